// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the task_diag selftests and tools.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "task_diag_util.h"

static const char td_states[] = "RSDTtXZPI";

int td_open_path(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

int td_open(void)
{
	return td_open_path(TD_PATH);
}

__u32 td_next_seq(void)
{
	static __u32 seq = 0x7d000000;

	return __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
}

void td_req_init(struct td_req *req, __u64 show, __u64 strategy, __u32 pid,
		 __u32 seq)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = sizeof(*req);
	req->hdr.nlmsg_seq = seq;
	req->pid.show_flags = show;
	req->pid.dump_strategy = strategy;
	req->pid.pid = pid;
}

ssize_t td_send(int fd, __u64 show, __u64 strategy, __u32 pid, __u32 seq)
{
	struct td_req req;

	td_req_init(&req, show, strategy, pid, seq);
	return write(fd, &req, sizeof(req));
}

char td_state_letter(unsigned int state)
{
	if (state >= sizeof(td_states) - 1)
		return '?';
	return td_states[state];
}

int td_state_index(char letter)
{
	const char *p = letter ? strchr(td_states, letter) : NULL;

	return p ? p - td_states : -1;
}

bool td_thread_strategy(__u64 strategy)
{
	return strategy == TASK_DIAG_DUMP_ALL_THREAD ||
	       strategy == TASK_DIAG_DUMP_THREAD;
}

void td_dump_init(struct td_dump *d, __u64 show, __u32 seq)
{
	memset(d, 0, sizeof(*d));
	d->show = show;
	d->seq = seq;
}

void td_dump_free(struct td_dump *d)
{
	size_t i;
	int a;

	for (i = 0; i < d->nr; i++)
		for (a = 0; a < TD_NR_ATTRS; a++)
			free(d->tasks[i].a[a].p);
	free(d->tasks);
	d->tasks = NULL;
	d->nr = 0;
	d->alloc = 0;
}

/* Records the first problem of a dump; returns -1. */
static __printf(2, 3) int td_fail(struct td_dump *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

static struct td_task *td_add(struct td_dump *d)
{
	struct td_task *t;

	if (d->nr == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 256;

		t = realloc(d->tasks, n * sizeof(*t));
		if (!t)
			return NULL;
		d->tasks = t;
		d->alloc = n;
	}
	t = &d->tasks[d->nr++];
	memset(t, 0, sizeof(*t));
	return t;
}

/* Checks and copies one TASK_DIAG_BASE payload. */
static int td_parse_base(struct td_dump *d, struct td_task *t,
			 const char *p, size_t len)
{
	struct task_diag_base *b = &t->base;
	size_t i, n;

	if (len < sizeof(*b))
		return td_fail(d, "task %d: BASE payload of %zu bytes, want %zu",
			       t->pid, len, sizeof(*b));
	memcpy(b, p, sizeof(*b));
	if ((int)b->pid != t->pid || (int)b->tgid != t->tgid)
		return td_fail(d, "task %d/%d: BASE says pid %u tgid %u",
			       t->pid, t->tgid, b->pid, b->tgid);
	if (b->state > TASK_DIAG_IDLE)
		return td_fail(d, "task %d: state %u", t->pid, b->state);
	n = strnlen(b->comm, sizeof(b->comm));
	if (n == sizeof(b->comm))
		return td_fail(d, "task %d: comm is not NUL-terminated",
			       t->pid);
	for (i = n; i < sizeof(b->comm); i++)
		if (b->comm[i])
			return td_fail(d, "task %d: comm is not NUL padded",
				       t->pid);
	for (i = 0; i < sizeof(b->reserved); i++)
		if (b->reserved[i])
			return td_fail(d, "task %d: BASE reserved byte %zu is %u",
				       t->pid, i, b->reserved[i]);
	return 0;
}

/* The smallest payload of each group, 0 when any length is valid. */
static size_t td_min_len(int type)
{
	switch (type) {
	case TASK_DIAG_BASE:
		return sizeof(struct task_diag_base);
	case TASK_DIAG_CRED:
		return sizeof(struct task_diag_creds);
	case TASK_DIAG_STAT:
		return TD_STAT_MIN_LEN;
	case TASK_DIAG_STATM:
		return sizeof(struct task_diag_statm);
	case TASK_DIAG_NAME:
		return 1;
	}
	return 0;
}

/* Checks the payload of a group of a fixed layout. */
static int td_check_payload(struct td_dump *d, const struct td_task *t,
			    int type, const unsigned char *p, size_t len)
{
	struct task_diag_stat st;
	size_t i, n;

	if (len < td_min_len(type))
		return td_fail(d, "task %d: attribute %d of %zu bytes, want %zu",
			       t->pid, type, len, td_min_len(type));
	switch (type) {
	case TASK_DIAG_STAT:
		memcpy(&st, p, sizeof(st));
		if (st.reserved)
			return td_fail(d, "task %d: STAT reserved is %u",
				       t->pid, st.reserved);
		break;
	case TASK_DIAG_NAME:
		if (len > TASK_DIAG_NAME_LEN)
			return td_fail(d, "task %d: NAME of %zu bytes", t->pid,
				       len);
		n = strnlen((const char *)p, len);
		if (n == len)
			return td_fail(d, "task %d: NAME is not NUL-terminated",
				       t->pid);
		for (i = n; i < len; i++)
			if (p[i])
				return td_fail(d, "task %d: NAME has bytes after its NUL",
					       t->pid);
		break;
	}
	return 0;
}

/* Appends a payload, or a part of a split one, to a task's copy. */
static int td_keep(struct td_dump *d, struct td_task *t, int type,
		   const void *p, size_t len)
{
	struct td_attr *a = &t->a[type];
	unsigned char *n = realloc(a->p, a->len + len + 1);

	if (!n)
		return td_fail(d, "out of memory");
	memcpy(n + a->len, p, len);
	a->p = n;
	a->len += len;
	a->p[a->len] = 0;
	return 0;
}

/* Marks the last task as ended without the rest it promised. */
static void td_cut(struct td_dump *d, struct td_task *last)
{
	if (last && (last->flags & TASK_DIAG_FLAG_CONT) && !last->cut) {
		last->cut = true;
		d->nr_cut++;
	}
}

/*
 * Checks one part of a VMA attribute: whole records, each with its name
 * and statistics inside it, in strictly increasing address order across
 * all the parts of the task.
 */
static int td_check_vmas(struct td_dump *d, struct td_task *t,
			 const unsigned char *p, size_t len)
{
	size_t stat_len = d->show & TASK_DIAG_SHOW_VMA_STAT ?
			  sizeof(struct task_diag_vma_stat) : 0;
	size_t off = 0;

	while (off < len) {
		struct task_diag_vma v;
		const unsigned char *name;

		if (len - off < sizeof(v))
			return td_fail(d, "task %d: %zu stray bytes after VMA record %u",
				       t->pid, len - off, t->nr_vmas);
		memcpy(&v, p + off, sizeof(v));
		if (v.vma_len < sizeof(v) + stat_len || v.vma_len % 8 ||
		    v.vma_len > len - off)
			return td_fail(d, "task %d: VMA record %u of %u bytes at %zu of %zu",
				       t->pid, t->nr_vmas, v.vma_len, off, len);
		if (v.reserved)
			return td_fail(d, "task %d: VMA record %u reserved is %u",
				       t->pid, t->nr_vmas, v.reserved);
		if (v.start >= v.end || v.end <= t->vma_end)
			return td_fail(d, "task %d: VMA %#llx-%#llx after one that ended at %#llx",
				       t->pid, (unsigned long long)v.start,
				       (unsigned long long)v.end,
				       (unsigned long long)t->vma_end);
		if (v.stat_len != stat_len ||
		    (stat_len && v.stat_off != sizeof(v)) ||
		    (!stat_len && v.stat_off))
			return td_fail(d, "task %d: VMA record %u: stat at %u of %u bytes",
				       t->pid, t->nr_vmas, v.stat_off, v.stat_len);
		if (v.vm_flags >> (TASK_DIAG_VMA_F_MERGEABLE + 1))
			return td_fail(d, "task %d: VMA flags %#llx",
				       t->pid, (unsigned long long)v.vm_flags);
		if (v.name_len) {
			name = p + off + v.name_off;
			if (v.name_off != sizeof(v) + stat_len ||
			    v.name_off + v.name_len > v.vma_len ||
			    strnlen((const char *)name, v.name_len) !=
			    v.name_len - 1u)
				return td_fail(d, "task %d: VMA record %u: name at %u of %u bytes",
					       t->pid, t->nr_vmas, v.name_off,
					       v.name_len);
		} else if (v.name_off) {
			return td_fail(d, "task %d: VMA record %u: name at %u of 0 bytes",
				       t->pid, t->nr_vmas, v.name_off);
		}
		t->vma_end = v.end;
		t->nr_vmas++;
		off += v.vma_len;
	}
	return 0;
}

/* The attributes a task of the dump must have. */
static unsigned int td_want(const struct td_dump *d, const struct td_task *t)
{
	/* VMA_STAT only adds to the VMA records: no attribute. */
	unsigned int want = d->show & ~TASK_DIAG_SHOW_VMA_STAT;

	/* Thread strategies send the maps with the leader only. */
	if (d->threads && t->pid != t->tgid)
		want &= ~TASK_DIAG_SHOW_VMA;
	return want;
}

static bool td_splittable(int type)
{
	return type == TASK_DIAG_VMA || type == TASK_DIAG_CMDLINE;
}

/*
 * Checks one TASK_DIAG_CMD_GET message and adds it to the dump. A task
 * that continues (TASK_DIAG_FLAG_CONT) has its next message right after;
 * only a message of another, greater pid may end it early, when it exited
 * or became invisible meanwhile.
 */
static int td_parse_task(struct td_dump *d, const char *p, size_t len)
{
	struct td_task *last = d->nr ? &d->tasks[d->nr - 1] : NULL;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct task_diag_msg));
	struct task_diag_msg msg;
	bool cont = false;
	int last_type = -1, nattrs = 0;
	struct td_task *t;

	if (len < NLMSG_HDRLEN + sizeof(msg))
		return td_fail(d, "task message of %zu bytes", len);
	memcpy(&msg, p + NLMSG_HDRLEN, sizeof(msg));
	if (!msg.pid || !msg.tgid)
		return td_fail(d, "a message of pid %u tgid %u", msg.pid,
			       msg.tgid);
	if (msg.flags & ~TASK_DIAG_FLAG_CONT)
		return td_fail(d, "task %u: flags %#x", msg.pid, msg.flags);
	if (last && (last->flags & TASK_DIAG_FLAG_CONT) &&
	    (int)msg.pid == last->pid) {
		if ((int)msg.tgid != last->tgid)
			return td_fail(d, "task %d of tgid %d continued with tgid %u",
				       last->pid, last->tgid, msg.tgid);
		t = last;
		cont = true;
		if (t->attrs)
			last_type = 31 - __builtin_clz(t->attrs);
	} else {
		if (last && (int)msg.pid <= last->pid)
			return td_fail(d, "task %u after task %d: pids not increasing",
				       msg.pid, last->pid);
		td_cut(d, last);
		t = td_add(d);
		if (!t)
			return td_fail(d, "out of memory");
		t->pid = msg.pid;
		t->tgid = msg.tgid;
	}
	t->flags = msg.flags;
	t->nr_msgs++;

	while (off < len) {
		struct nlattr nla;
		size_t plen;
		int type;

		if (len - off < NLA_HDRLEN)
			return td_fail(d, "task %d: %zu stray bytes after its attributes",
				       t->pid, len - off);
		memcpy(&nla, p + off, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len - off)
			return td_fail(d, "task %d: attribute of %u bytes at %zu of %zu",
				       t->pid, nla.nla_len, off, len);
		if (nla.nla_type & ~NLA_TYPE_MASK)
			return td_fail(d, "task %d: attribute type %#x has flags",
				       t->pid, nla.nla_type);
		type = nla.nla_type;
		plen = nla.nla_len - NLA_HDRLEN;
		if (type > TASK_DIAG_ATTR_MAX || !(d->show & (1ULL << type)) ||
		    type == TASK_DIAG_VMA_STAT)
			return td_fail(d, "task %d: attribute %d was not requested",
				       t->pid, type);
		if (cont && !nattrs && type == last_type && td_splittable(type)) {
			/* The next part of a split attribute: not empty. */
			if (!plen)
				return td_fail(d, "task %d: an empty part of attribute %d",
					       t->pid, type);
		} else if (type <= last_type) {
			return td_fail(d, "task %d: attribute %d after %d",
				       t->pid, type, last_type);
		} else if (td_check_payload(d, t, type,
					    (const unsigned char *)p + off +
					    NLA_HDRLEN, plen)) {
			return -1;
		}
		if (type == TASK_DIAG_VMA) {
			if (d->threads && t->pid != t->tgid)
				return td_fail(d, "thread %d of %d: maps, not with the leader",
					       t->pid, t->tgid);
			if (td_check_vmas(d, t, (const unsigned char *)p + off +
					  NLA_HDRLEN, plen))
				return -1;
		}
		last_type = type;
		nattrs++;
		t->attrs |= 1U << type;
		if (type == TASK_DIAG_BASE &&
		    td_parse_base(d, t, p + off + NLA_HDRLEN, plen))
			return -1;
		if (d->keep && td_keep(d, t, type, p + off + NLA_HDRLEN, plen))
			return -1;
		off += NLA_ALIGN(nla.nla_len);
	}
	if (!nattrs && (cont || td_want(d, t)))
		return td_fail(d, "task %d: a message without an attribute",
			       t->pid);
	return 0;
}

int td_parse(struct td_dump *d, const void *buf, size_t len)
{
	const char *p = buf;
	size_t off = 0, msgs = 0;

	d->nr_reads++;
	while (off < len) {
		struct nlmsghdr h;
		int done;

		if (len - off < NLMSG_HDRLEN)
			return td_fail(d, "%zu stray bytes at the end of a read of %zu",
				       len - off, len);
		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN)
			return td_fail(d, "nlmsg_len %u < %d", h.nlmsg_len,
				       NLMSG_HDRLEN);
		if (h.nlmsg_len > len - off)
			return td_fail(d, "message of %u bytes at %zu of a read of %zu: not whole",
				       h.nlmsg_len, off, len);
		if (h.nlmsg_seq != d->seq)
			return td_fail(d, "nlmsg_seq %#x, want %#x", h.nlmsg_seq,
				       d->seq);
		if (h.nlmsg_flags != NLM_F_MULTI)
			return td_fail(d, "nlmsg_flags %#x, want NLM_F_MULTI",
				       h.nlmsg_flags);
		if (h.nlmsg_pid)
			return td_fail(d, "nlmsg_pid %u, want 0", h.nlmsg_pid);
		if (d->nr_done)
			return td_fail(d, "a message of type %#x after NLMSG_DONE",
				       h.nlmsg_type);
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			if (h.nlmsg_len != TD_DONE_MSG_LEN)
				return td_fail(d, "NLMSG_DONE of %u bytes",
					       h.nlmsg_len);
			memcpy(&done, p + off + NLMSG_HDRLEN, sizeof(done));
			if (done)
				return td_fail(d, "NLMSG_DONE carries %d", done);
			/* The last task may end early: it exited meanwhile. */
			td_cut(d, d->nr ? &d->tasks[d->nr - 1] : NULL);
			d->nr_done++;
			break;
		case TASK_DIAG_CMD_GET:
			if (td_parse_task(d, p + off, h.nlmsg_len))
				return -1;
			break;
		default:
			return td_fail(d, "message type %#x", h.nlmsg_type);
		}
		msgs++;
		if (h.nlmsg_len > d->max_msg_len)
			d->max_msg_len = h.nlmsg_len;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	if (!msgs)
		return td_fail(d, "a read of %zu bytes without a message", len);
	d->nr_msgs += msgs;
	if (!d->min_msgs || msgs < d->min_msgs)
		d->min_msgs = msgs;
	if (msgs > d->max_msgs)
		d->max_msgs = msgs;
	return 0;
}

int td_finish(struct td_dump *d)
{
	unsigned int want;
	size_t i;

	if (d->err[0])
		return -1;
	if (d->nr_done != 1)
		return td_fail(d, "%d NLMSG_DONE messages", d->nr_done);
	for (i = 0; i < d->nr; i++) {
		const struct td_task *t = &d->tasks[i];

		want = td_want(d, t);
		if (!t->cut && (t->attrs & want) != want)
			return td_fail(d, "task %d: attributes %#x, want %#x",
				       t->pid, t->attrs, want);
	}
	return 0;
}

int td_read_dump(int fd, size_t bufsize, struct td_dump *d)
{
	char *buf = malloc(bufsize ? bufsize : 1);
	ssize_t n;

	if (!buf)
		return td_fail(d, "out of memory");
	for (;;) {
		n = read(fd, buf, bufsize);
		if (n < 0) {
			d->read_errno = errno;
			td_fail(d, "read(%zu bytes): %s", bufsize,
				strerror(errno));
			break;
		}
		if (n == 0) {
			if (!d->nr_done)
				td_fail(d, "read() returned 0 before NLMSG_DONE");
			break;
		}
		if ((size_t)n > bufsize) {
			td_fail(d, "read(%zu bytes) returned %zd", bufsize, n);
			break;
		}
		if (d->nr_done) {
			td_fail(d, "read() returned %zd bytes after NLMSG_DONE",
				n);
			break;
		}
		if (td_parse(d, buf, n))
			break;
	}
	free(buf);
	return td_finish(d);
}

int td_dump(int fd, __u64 strategy, int pid, size_t bufsize,
	    struct td_dump *d)
{
	__u32 seq = td_next_seq();

	td_dump_init(d, TASK_DIAG_SHOW_BASE, seq);
	d->threads = td_thread_strategy(strategy);
	if (td_send(fd, TASK_DIAG_SHOW_BASE, strategy, pid, seq) < 0) {
		d->write_errno = errno;
		return td_fail(d, "write(strategy %llu, pid %d): %s",
			       (unsigned long long)strategy, pid,
			       strerror(errno));
	}
	return td_read_dump(fd, bufsize, d);
}

/* A dump of the groups @show, every payload kept in td_task.a. */
int td_dump_show(int fd, __u64 show, __u64 strategy, int pid,
		 size_t bufsize, struct td_dump *d)
{
	__u32 seq = td_next_seq();

	td_dump_init(d, show, seq);
	d->keep = true;
	d->threads = td_thread_strategy(strategy);
	if (td_send(fd, show, strategy, pid, seq) < 0) {
		d->write_errno = errno;
		return td_fail(d, "write(strategy %llu, pid %d): %s",
			       (unsigned long long)strategy, pid,
			       strerror(errno));
	}
	return td_read_dump(fd, bufsize, d);
}

struct td_task *td_find(const struct td_dump *d, int pid)
{
	size_t lo = 0, hi = d->nr;

	/* Tasks are in increasing pid order: td_parse() checked it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->tasks[mid].pid == pid)
			return &d->tasks[mid];
		if (d->tasks[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Copies a kept payload to @dst, zero-filled past its end; returns the
 * payload's length.
 */
size_t td_attr_copy(const struct td_task *t, int type, void *dst,
		    size_t size)
{
	const struct td_attr *a = &t->a[type];

	memset(dst, 0, size);
	if (a->p)
		memcpy(dst, a->p, a->len < size ? a->len : size);
	return a->len;
}

int pid_set_add(struct pid_set *s, int pid, int tgid)
{
	if (s->nr == s->alloc) {
		size_t n = s->alloc ? s->alloc * 2 : 256;
		struct pid_ent *v = realloc(s->v, n * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->alloc = n;
	}
	s->v[s->nr].pid = pid;
	s->v[s->nr].tgid = tgid;
	s->nr++;
	return 0;
}

static int pid_ent_cmp(const void *a, const void *b)
{
	const struct pid_ent *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

void pid_set_sort(struct pid_set *s)
{
	if (s->nr)
		qsort(s->v, s->nr, sizeof(*s->v), pid_ent_cmp);
}

const struct pid_ent *pid_set_find(const struct pid_set *s, int pid)
{
	struct pid_ent key = { .pid = pid };

	if (!s->nr)
		return NULL;
	return bsearch(&key, s->v, s->nr, sizeof(*s->v), pid_ent_cmp);
}

void pid_set_free(struct pid_set *s)
{
	free(s->v);
	s->v = NULL;
	s->nr = 0;
	s->alloc = 0;
}

/* Parses a whole decimal pid: the name of a /proc entry. */
static int parse_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 0x3fffffff)
			return -1;
	}
	return v;
}

/*
 * Adds the numeric entries of @dir to @s, each with @tgid, or with itself
 * as tgid when @tgid is 0; the set is then sorted.
 */
int proc_list_pids(const char *dir, int tgid, struct pid_set *s)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int pid = parse_pid(de->d_name);

		if (pid <= 0)
			continue;
		if (pid_set_add(s, pid, tgid ? tgid : pid)) {
			ret = -1;
			break;
		}
	}
	closedir(d);
	pid_set_sort(s);
	return ret;
}

/* Adds every PROC/TGID/task/TID as (TID, TGID) to @s, then sorts it. */
int proc_list_threads(const char *proc, struct pid_set *s)
{
	struct pid_set procs = { 0 };
	char path[256];
	int ret = 0;
	size_t i;

	if (proc_list_pids(proc, 0, &procs))
		return -1;
	for (i = 0; i < procs.nr; i++) {
		snprintf(path, sizeof(path), "%s/%d/task", proc, procs.v[i].pid);
		/* A process that ended meanwhile has no task directory. */
		if (proc_list_pids(path, procs.v[i].pid, s) && errno == ENOMEM) {
			ret = -1;
			break;
		}
	}
	pid_set_free(&procs);
	pid_set_sort(s);
	return ret;
}

int proc_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static void task_path(char *path, size_t size, const char *proc, int tgid,
		      int tid, const char *file)
{
	if (tid > 0)
		snprintf(path, size, "%s/%d/task/%d/%s", proc, tgid, tid, file);
	else
		snprintf(path, size, "%s/%d/%s", proc, tgid, file);
}

/*
 * Reads PROC/TGID/stat, or PROC/TGID/task/TID/stat when @tid > 0. The comm
 * may hold spaces and ')': it ends at the last ')'.
 */
int proc_read_stat(const char *proc, int tgid, int tid, struct proc_stat *st)
{
	char path[256], buf[4096], *open_paren, *close_paren;
	size_t n;

	task_path(path, sizeof(path), proc, tgid, tid, "stat");
	if (proc_read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren) {
		errno = EINVAL;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	n = close_paren - open_paren - 1;
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open_paren + 1, n);
	st->comm[n] = '\0';
	st->pid = strtol(buf, NULL, 10);
	if (sscanf(close_paren + 1, " %c %d %d %d", &st->state, &st->ppid,
		   &st->pgrp, &st->session) != 4) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Reads every field of PROC/TGID/stat, or of PROC/TGID/task/TID/stat. */
int proc_read_stat_all(const char *proc, int tgid, int tid,
		       struct proc_stat_all *st)
{
	char path[256], buf[4096], *open_paren, *close_paren, *p, *end;
	size_t n;

	task_path(path, sizeof(path), proc, tgid, tid, "stat");
	if (proc_read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    close_paren[1] != ' ') {
		errno = EINVAL;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	n = close_paren - open_paren - 1;
	if (n >= sizeof(st->name))
		n = sizeof(st->name) - 1;
	memcpy(st->name, open_paren + 1, n);
	st->f[1] = strtoll(buf, NULL, 10);
	st->state = close_paren[2];
	st->f[3] = st->state;
	st->nr = 3;
	p = close_paren + 3;
	while (st->nr + 1 < PROC_STAT_FIELDS) {
		long long v = strtoll(p, &end, 10);

		if (end == p)
			break;
		st->f[++st->nr] = v;
		p = end;
	}
	if (st->nr < 41) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Reads a whole file of any size into a new buffer, NUL-terminated, as
 * many reads as it takes.
 */
int proc_read_all(const char *path, char **buf, size_t *len)
{
	size_t size = 65536, n = 0;
	char *b = malloc(size + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !b) {
		if (fd >= 0)
			close(fd);
		free(b);
		return -1;
	}
	for (;;) {
		if (n == size) {
			char *nb = realloc(b, 2 * size + 1);

			if (!nb)
				break;
			b = nb;
			size *= 2;
		}
		r = read(fd, b + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	if (r < 0 || n > size) {
		free(b);
		return -1;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/*
 * The value of the line "KEY:" of a /proc/PID/status text, its leading
 * blanks skipped; NULL when there is none.
 */
const char *status_value(const char *status, const char *key)
{
	size_t n = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Reads PROC/TGID/status, or PROC/TGID/task/TID/status when @tid > 0. */
int proc_read_status(const char *proc, int tgid, int tid,
		     struct proc_status *st)
{
	char path[256], buf[8192], *line, *save = NULL;
	int seen = 0;

	task_path(path, sizeof(path), proc, tgid, tid, "status");
	if (proc_read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Name:\t", 6)) {
			snprintf(st->name, sizeof(st->name), "%s", line + 6);
			seen |= 1;
		} else if (sscanf(line, "Tgid: %d", &st->tgid) == 1) {
			seen |= 2;
		} else if (sscanf(line, "Pid: %d", &st->pid) == 1) {
			seen |= 4;
		} else if (sscanf(line, "PPid: %d", &st->ppid) == 1) {
			seen |= 8;
		} else if (sscanf(line, "TracerPid: %d", &st->tracer_pid) == 1) {
			seen |= 16;
		} else if (sscanf(line, "Uid: %d %d %d %d", &st->uid[0],
				  &st->uid[1], &st->uid[2], &st->uid[3]) == 4) {
			seen |= 32;
		} else if (sscanf(line, "Gid: %d %d %d %d", &st->gid[0],
				  &st->gid[1], &st->gid[2], &st->gid[3]) == 4) {
			seen |= 64;
		}
	}
	if (seen != 127) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

pid_t sys_gettid(void)
{
	return syscall(SYS_gettid);
}

void track(struct kids *k, pid_t pid)
{
	if (k->nr < MAX_KIDS) {
		k->pid[k->nr++] = pid;
		return;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Reaps a tracked child and forgets it, so the teardown kills no stranger. */
int reap(struct kids *k, pid_t pid)
{
	int i, status = -1;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	for (i = 0; i < k->nr; i++) {
		if (k->pid[i] == pid) {
			k->pid[i] = k->pid[--k->nr];
			break;
		}
	}
	return status;
}

__noreturn void park(void)
{
	for (;;)
		pause();
}

/* The first steps of every child: die with its parent, take a name. */
void kid_start(pid_t parent, const char *name)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1);
	if (name)
		prctl(PR_SET_NAME, name, 0, 0, 0);
}

/*
 * Starts @n children sleeping in pause(), each named @name, and waits until
 * each of them has started. Their pids go to @pids when not NULL.
 */
int spawn_sleepers(struct kids *k, int n, const char *name,
		   unsigned int flags, pid_t *pids)
{
	pid_t parent = getpid();
	int p[2], i, got = 0;
	char c;

	if (pipe(p))
		return -1;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (pid == 0) {
			close(p[0]);
			kid_start(parent, name);
			if ((flags & KID_SETSID) && setsid() < 0)
				_exit(1);
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			close(p[1]);
			park();
		}
		track(k, pid);
		if (pids)
			pids[i] = pid;
	}
	close(p[1]);
	while (got < i && read(p[0], &c, 1) == 1)
		got++;
	close(p[0]);
	return got == n ? 0 : -1;
}

pid_t spawn_sleeper(struct kids *k, const char *name, unsigned int flags)
{
	pid_t pid;

	if (spawn_sleepers(k, 1, name, flags, &pid))
		return -1;
	return pid;
}

/*
 * Starts a child named @name that runs @setup(@arg), tells the parent, and
 * sleeps until killed; a @setup that fails (returns non-zero) makes it
 * exit, and the call fail.
 */
pid_t spawn_parked(struct kids *k, const char *name, int (*setup)(void *),
		   void *arg)
{
	pid_t parent = getpid(), pid;
	int p[2];
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		kid_start(parent, name);
		if (setup && setup(arg))
			_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		park();
	}
	track(k, pid);
	close(p[1]);
	if (read_full(p[0], &c, 1))
		pid = -1;
	close(p[0]);
	return pid;
}

/* Kills and reaps every child of @k. */
void kids_kill(struct kids *k)
{
	int i;

	for (i = 0; i < k->nr; i++)
		kill(k->pid[i], SIGKILL);
	for (i = 0; i < k->nr; i++)
		waitpid(k->pid[i], NULL, 0);
	k->nr = 0;
}

static void *park_thread(void *arg)
{
	int fd = (intptr_t)arg;
	pid_t tid = sys_gettid();

	if (write(fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	park();
}

int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Starts a child process of @n threads (the main one included), all in
 * pause(); @tids receives the pid first, then the other threads' ids.
 */
pid_t spawn_threaded(struct kids *k, int n, pid_t *tids)
{
	pid_t parent = getpid(), pid;
	int p[2], i;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		pthread_t th;

		close(p[0]);
		kid_start(parent, "td threads");
		pid = getpid();
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		for (i = 1; i < n; i++)
			if (pthread_create(&th, NULL, park_thread,
					   (void *)(intptr_t)p[1]))
				_exit(1);
		park();
	}
	track(k, pid);
	close(p[1]);
	for (i = 0; i < n; i++)
		if (read_full(p[0], &tids[i], sizeof(tids[i])))
			break;
	close(p[0]);
	return i == n ? pid : -1;
}

/* Waits up to ten seconds for a task to show @state in /proc. */
int wait_state(pid_t tgid, pid_t tid, char state)
{
	struct proc_stat st;
	int i;

	for (i = 0; i < 1000; i++) {
		if (proc_read_stat("/proc", tgid, tid, &st))
			return -1;
		if (st.state == state)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * Waits for each task of @ids to show @state: processes when @tgid is 0,
 * else threads of @tgid. Returns 0, or the first that does not.
 */
pid_t wait_states(pid_t tgid, const pid_t *ids, int n, char state)
{
	int i;

	for (i = 0; i < n; i++)
		if (wait_state(tgid ? tgid : ids[i], tgid ? ids[i] : 0, state))
			return ids[i];
	return 0;
}

int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	/*
	 * A change of credentials makes the process non-dumpable, and hides
	 * it from every other unprivileged process under ptrace rules;
	 * undo that so that processes of the same user see each other.
	 * It also clears the parent-death signal.
	 */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return -1;
	return 0;
}

/* Starts a child that runs as nobody, dumpable, sleeping in pause(). */
pid_t spawn_nobody_sleeper(struct kids *k)
{
	pid_t parent = getpid(), pid;
	int p[2];
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		kid_start(parent, "td nobody");
		if (drop_to_nobody() || getppid() != parent)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		park();
	}
	track(k, pid);
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

int wait_kid(struct kids *k, pid_t pid)
{
	int status = reap(k, pid);

	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A process that forks and reaps short-lived children until killed. */
pid_t spawn_fork_storm(struct kids *k)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		kid_start(parent, "td storm");
		for (;;) {
			pid_t kid = fork();

			if (kid == 0)
				_exit(0);
			if (kid > 0)
				waitpid(kid, NULL, 0);
		}
	}
	track(k, pid);
	return pid;
}
