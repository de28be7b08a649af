// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of /proc/task_diag: the dumps against /proc, the errors of the
 * protocol, reads of every size, pid namespaces, visibility through passed
 * file descriptors and concurrent readers.
 *
 * Run as root on a kernel with CONFIG_PROC_TASK_DIAG=y.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "task_diag_util.h"

#define BUF_1M		(1024 * 1024)
#define BUF_64K		(64 * 1024)
#define SHARED_MAX	16384
#define NR_READERS	8

/* A name with spaces and parentheses, as /proc/PID/stat must cope with. */
#define ODD_NAME	"td (o) d)d n"

FIXTURE(td) {
	struct kids	kids;
};

FIXTURE_SETUP(td)
{
	self->kids.nr = 0;
	if (access(TD_PATH, F_OK))
		SKIP(return, "%s: %s (a kernel without CONFIG_PROC_TASK_DIAG?)",
		     TD_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(td)
{
	kids_kill(&self->kids);
}

/* The first of @pids that a dump lacks, 0 if none. */
static pid_t first_missing(const struct td_dump *d, const pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!td_find(d, pids[i]))
			return pids[i];
	return 0;
}

static bool is_kthread(const struct proc_stat *st)
{
	return st->pid == 2 || st->ppid == 2;
}

/*
 * Compares the BASE of a dumped task with PROC/TGID/task/TID/stat and
 * status (PROC/PID/... for a process). Returns 0 when they agree, 1 when
 * the task is gone, -1 with the difference in @why.
 */
static int cmp_with_proc(const char *proc, const struct td_task *t,
			 bool thread, char *why, size_t size)
{
	const struct task_diag_base *b = &t->base;
	struct proc_status ss;
	struct proc_stat st;
	size_t len;

	if (proc_read_stat(proc, t->tgid, thread ? t->pid : 0, &st) ||
	    proc_read_status(proc, t->tgid, thread ? t->pid : 0, &ss)) {
		if (errno != EINVAL)
			return 1;
		snprintf(why, size, "task %d: cannot parse its /proc files",
			 t->pid);
		return -1;
	}
	if (st.pid != (int)b->pid || ss.tgid != (int)b->tgid) {
		snprintf(why, size, "task %d/%d: /proc says %d/%d", b->pid,
			 b->tgid, st.pid, ss.tgid);
		return -1;
	}
	if (st.ppid != (int)b->ppid || st.pgrp != (int)b->pgid ||
	    st.session != (int)b->sid) {
		snprintf(why, size,
			 "task %d: ppid/pgid/sid %u/%u/%u, /proc says %d/%d/%d",
			 b->pid, b->ppid, b->pgid, b->sid, st.ppid, st.pgrp,
			 st.session);
		return -1;
	}
	if (ss.tracer_pid != (int)b->tpid) {
		snprintf(why, size, "task %d: tpid %u, /proc says %d", b->pid,
			 b->tpid, ss.tracer_pid);
		return -1;
	}
	/*
	 * /proc shows the full names of kernel threads and the work queue of
	 * kworkers; task_diag has the 15 bytes of task->comm.
	 */
	len = strlen(b->comm);
	if (strcmp(b->comm, st.comm) &&
	    !(is_kthread(&st) && !strncmp(b->comm, st.comm, len))) {
		snprintf(why, size, "task %d: comm '%s', /proc says '%s'",
			 b->pid, b->comm, st.comm);
		return -1;
	}
	return 0;
}

/*
 * Checks a dumped task against /proc. A task may change between the dump
 * and the reading of /proc (exec, exit, reparenting): a difference is only
 * reported when it stays over five fresh TASK_DIAG_DUMP_ONE of the task.
 */
static int check_task(int fd, const char *proc, const struct td_task *t,
		      bool thread, char *why, size_t size)
{
	struct td_task cur = *t;
	struct td_dump d;
	int i, ret;

	for (i = 0; i < 5; i++) {
		ret = cmp_with_proc(proc, &cur, thread, why, size);
		if (ret >= 0)
			return 0;
		usleep(20000);
		ret = td_dump(fd, TASK_DIAG_DUMP_ONE, t->pid, 4096, &d);
		if (d.write_errno == ESRCH) {
			td_dump_free(&d);
			return 0;
		}
		if (ret || d.nr != 1) {
			snprintf(why, size, "DUMP_ONE of %d: %zu tasks, %.160s",
				 t->pid, d.nr, d.err);
			td_dump_free(&d);
			return -1;
		}
		cur = d.tasks[0];
		td_dump_free(&d);
	}
	return -1;
}

/*
 * The dump and two listings of /proc, before and after it: a task in both
 * listings must be in the dump, and a dumped task must be in one of them,
 * with the same thread-group id.
 */
static bool same_as_listings(const struct td_dump *d,
			     const struct pid_set *before,
			     const struct pid_set *after,
			     char *why, size_t size)
{
	const struct pid_ent *a, *b;
	size_t i;

	for (i = 0; i < before->nr; i++) {
		if (!pid_set_find(after, before->v[i].pid))
			continue;
		if (!td_find(d, before->v[i].pid)) {
			snprintf(why, size, "%d is in /proc but not in the dump",
				 before->v[i].pid);
			return false;
		}
	}
	for (i = 0; i < d->nr; i++) {
		const struct td_task *t = &d->tasks[i];

		a = pid_set_find(before, t->pid);
		b = pid_set_find(after, t->pid);
		if (!a && !b) {
			snprintf(why, size, "%d is in the dump but not in /proc",
				 t->pid);
			return false;
		}
		if ((a && a->tgid != t->tgid) || (b && b->tgid != t->tgid)) {
			snprintf(why, size, "%d: tgid %d, /proc says %d", t->pid,
				 t->tgid, a ? a->tgid : b->tgid);
			return false;
		}
	}
	return true;
}

static int list_proc(bool threads, struct pid_set *s)
{
	if (threads)
		return proc_list_threads("/proc", s);
	return proc_list_pids("/proc", 0, s);
}

/*
 * Dumps @strategy between two listings of /proc, up to three times while
 * they disagree (tasks that start and end around the dump).
 */
static int dump_between_listings(struct __test_metadata *_metadata, int fd,
				 __u64 strategy, struct td_dump *d)
{
	bool threads = strategy == TASK_DIAG_DUMP_ALL_THREAD;
	char why[256] = "";
	int attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		struct pid_set before = { 0 }, after = { 0 };
		bool same;

		ASSERT_EQ(0, list_proc(threads, &before));
		ASSERT_EQ(0, td_dump(fd, strategy, 0, BUF_1M, d))
			TH_LOG("%s", d->err);
		ASSERT_EQ(0, list_proc(threads, &after));
		same = same_as_listings(d, &before, &after, why, sizeof(why));
		pid_set_free(&before);
		pid_set_free(&after);
		if (same)
			return 0;
		TH_LOG("attempt %d: %s", attempt + 1, why);
		td_dump_free(d);
	}
	return -1;
}

static char state_of(const struct td_dump *d, pid_t pid)
{
	const struct td_task *t = td_find(d, pid);

	return t ? td_state_letter(t->base.state) : 0;
}

TEST_F(td, read_before_request_is_eof)
{
	char buf[4096];
	int fd = td_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F_TIMEOUT(td, all_matches_proc, 120)
{
	pid_t me = getpid(), sleepers[3], stopped, zombie, traced, leader;
	char why[256];
	struct td_dump d;
	siginfo_t si;
	size_t i;
	int fd, status;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 3, ODD_NAME, 0, sleepers));
	stopped = spawn_sleeper(&self->kids, "td stopped", 0);
	ASSERT_LT(0, stopped);
	ASSERT_EQ(0, kill(stopped, SIGSTOP));
	ASSERT_EQ(stopped, waitpid(stopped, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	traced = spawn_sleeper(&self->kids, "td traced", 0);
	ASSERT_LT(0, traced);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, traced, 0, 0));
	leader = spawn_sleeper(&self->kids, "td leader", KID_SETSID);
	ASSERT_LT(0, leader);
	zombie = fork();
	ASSERT_LE(0, zombie);
	if (zombie == 0)
		_exit(0);
	track(&self->kids, zombie);
	ASSERT_EQ(0, waitid(P_PID, zombie, &si, WEXITED | WNOWAIT));
	ASSERT_EQ(0, wait_states(0, sleepers, 3, 'S'));
	ASSERT_EQ(0, wait_state(traced, 0, 'S'));
	ASSERT_EQ(0, wait_state(leader, 0, 'S'));
	ASSERT_EQ(0, wait_state(zombie, 0, 'Z'));
	ASSERT_EQ(0, wait_state(stopped, 0, 'T'));

	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dump_between_listings(_metadata, fd, TASK_DIAG_DUMP_ALL,
					   &d));

	for (i = 0; i < d.nr; i++) {
		const struct td_task *t = &d.tasks[i];

		EXPECT_EQ(t->pid, t->tgid);
		EXPECT_EQ(0, check_task(fd, "/proc", t, false, why, sizeof(why)))
			TH_LOG("%s", why);
	}
	ASSERT_NE(NULL, td_find(&d, me));
	ASSERT_NE(NULL, td_find(&d, 1));
	for (i = 0; i < 3; i++) {
		const struct td_task *t = td_find(&d, sleepers[i]);

		EXPECT_EQ('S', state_of(&d, sleepers[i]));
		EXPECT_STREQ(ODD_NAME, t ? t->base.comm : "(not dumped)");
	}
	EXPECT_EQ('T', state_of(&d, stopped));
	EXPECT_EQ('Z', state_of(&d, zombie));
	EXPECT_EQ('S', state_of(&d, traced));
	EXPECT_EQ('S', state_of(&d, leader));
	ASSERT_NE(NULL, td_find(&d, traced));
	EXPECT_EQ(me, td_find(&d, traced)->base.tpid);
	EXPECT_EQ(me, td_find(&d, traced)->base.ppid);
	ASSERT_NE(NULL, td_find(&d, leader));
	EXPECT_EQ(leader, td_find(&d, leader)->base.sid);
	EXPECT_EQ(leader, td_find(&d, leader)->base.pgid);
	ASSERT_NE(NULL, td_find(&d, zombie));
	EXPECT_EQ(me, td_find(&d, zombie)->base.ppid);
	EXPECT_EQ(getsid(0), td_find(&d, me)->base.sid);
	EXPECT_EQ(getpgrp(), td_find(&d, me)->base.pgid);
	EXPECT_EQ(getppid(), td_find(&d, me)->base.ppid);
	td_dump_free(&d);
	close(fd);
}

TEST_F_TIMEOUT(td, all_thread_matches_proc, 120)
{
	pid_t tids[5], pid;
	char why[256];
	struct td_dump d;
	size_t i;
	int fd;

	if (geteuid())
		SKIP(return, "must run as root");
	pid = spawn_threaded(&self->kids, 5, tids);
	ASSERT_LT(0, pid);

	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dump_between_listings(_metadata, fd,
					   TASK_DIAG_DUMP_ALL_THREAD, &d));
	for (i = 0; i < d.nr; i++) {
		EXPECT_EQ(0, check_task(fd, "/proc", &d.tasks[i], true, why,
					sizeof(why)))
			TH_LOG("%s", why);
	}
	for (i = 0; i < 5; i++) {
		const struct td_task *t = td_find(&d, tids[i]);

		ASSERT_NE(NULL, t) TH_LOG("thread %d of %d", tids[i], pid);
		EXPECT_EQ(pid, t->tgid);
		EXPECT_EQ(tids[i], (pid_t)t->base.pid);
		EXPECT_EQ(pid, (pid_t)t->base.tgid);
	}
	ASSERT_NE(NULL, td_find(&d, getpid()));
	td_dump_free(&d);
	close(fd);
}

/* Whether a dump holds exactly the tasks of @set. */
static bool dump_is_set(const struct td_dump *d, const struct pid_set *set)
{
	size_t i;

	if (d->nr != set->nr)
		return false;
	for (i = 0; i < d->nr; i++)
		if (d->tasks[i].pid != set->v[i].pid)
			return false;
	return true;
}

TEST_F(td, thread_matches_proc)
{
	struct pid_set set = { 0 };
	char path[64], why[256];
	struct td_dump d;
	pid_t tids[4], pid;
	size_t i, k;

	if (geteuid())
		SKIP(return, "must run as root");
	pid = spawn_threaded(&self->kids, 4, tids);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_states(pid, tids, 4, 'S'));
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	ASSERT_EQ(0, proc_list_pids(path, pid, &set));
	ASSERT_EQ(4, set.nr);

	/* The process itself, then one of its other threads. */
	for (k = 0; k < 2; k++) {
		pid_t target = k ? tids[2] : pid;
		int fd = td_open();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_THREAD, target, BUF_1M,
				     &d))
			TH_LOG("%s", d.err);
		EXPECT_TRUE(dump_is_set(&d, &set))
			TH_LOG("pid %d: %zu threads, /proc has %zu", target,
			       d.nr, set.nr);
		for (i = 0; i < d.nr; i++) {
			EXPECT_EQ(pid, d.tasks[i].tgid);
			EXPECT_EQ('S', td_state_letter(d.tasks[i].base.state));
			EXPECT_EQ(0, cmp_with_proc("/proc", &d.tasks[i], true,
						   why, sizeof(why)))
				TH_LOG("%s", why);
		}
		td_dump_free(&d);
		close(fd);
	}
	pid_set_free(&set);
}

/* The union of /proc/PID/task/ * /children; -1 without CONFIG_PROC_CHILDREN. */
static int proc_children(pid_t pid, struct pid_set *out)
{
	struct pid_set tasks = { 0 };
	char path[128], buf[4096], *p, *end;
	size_t i;
	int fd, ret = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (proc_list_pids(path, pid, &tasks))
		return -1;
	for (i = 0; i < tasks.nr && !ret; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid,
			 tasks.v[i].pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = -1;
			break;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0) {
			ret = -1;
			break;
		}
		buf[n] = '\0';
		for (p = buf; ; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			pid_set_add(out, c, c);
		}
	}
	pid_set_free(&tasks);
	pid_set_sort(out);
	return ret;
}

static void *fork_thread(void *arg)
{
	int fd = (intptr_t)arg;
	pid_t ids[2] = { sys_gettid() }, parent = getpid();

	ids[1] = fork();
	if (ids[1] == 0) {
		kid_start(parent, "td grandchild");
		park();
	}
	if (write(fd, ids, sizeof(ids)) != sizeof(ids))
		_exit(1);
	park();
}

/*
 * Starts a process that forks two children from its main thread and one
 * from another thread; @ids receives that thread's id and the three
 * children.
 */
static pid_t spawn_parent(struct kids *k, pid_t ids[4])
{
	pid_t parent = getpid(), pid;
	int p[2], i;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		pid_t kids[2], me = getpid();
		pthread_t th;

		close(p[0]);
		kid_start(parent, "td parent");
		for (i = 0; i < 2; i++) {
			kids[i] = fork();
			if (kids[i] < 0)
				_exit(1);
			if (kids[i] == 0) {
				kid_start(me, "td grandchild");
				park();
			}
		}
		if (write(p[1], kids, sizeof(kids)) != sizeof(kids))
			_exit(1);
		if (pthread_create(&th, NULL, fork_thread, (void *)(intptr_t)p[1]))
			_exit(1);
		park();
	}
	track(k, pid);
	close(p[1]);
	/* The main thread's children, then the thread and its child. */
	i = read_full(p[0], &ids[1], 2 * sizeof(pid_t));
	if (!i) {
		pid_t th[2];

		i = read_full(p[0], th, sizeof(th));
		ids[0] = th[0];
		ids[3] = th[1];
	}
	close(p[0]);
	return i ? -1 : pid;
}

TEST_F(td, children_matches_proc)
{
	struct pid_set want = { 0 }, procs = { 0 };
	struct td_dump d;
	pid_t ids[4], pid;
	size_t i, k;
	int fd;

	if (geteuid())
		SKIP(return, "must run as root");
	pid = spawn_parent(&self->kids, ids);
	ASSERT_LT(0, pid);
	for (i = 1; i < 4; i++) {
		ASSERT_LT(0, ids[i]);
		ASSERT_EQ(0, pid_set_add(&want, ids[i], ids[i]));
	}
	pid_set_sort(&want);
	if (proc_children(pid, &procs) == 0) {
		/* The children files must agree with what was forked. */
		EXPECT_EQ(want.nr, procs.nr);
		for (i = 0; i < procs.nr; i++) {
			EXPECT_NE(NULL, pid_set_find(&want, procs.v[i].pid))
				TH_LOG("%d is not a child of %d", procs.v[i].pid,
				       pid);
		}
	} else {
		TH_LOG("no /proc/PID/task/TID/children: comparing with the forked pids only");
	}

	/* The process, then the thread that forked one of the children. */
	for (k = 0; k < 2; k++) {
		pid_t target = k ? ids[0] : pid;

		fd = td_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, target,
				     BUF_1M, &d))
			TH_LOG("%s", d.err);
		EXPECT_TRUE(dump_is_set(&d, &want))
			TH_LOG("children of %d: %zu tasks, want 3", target, d.nr);
		for (i = 0; i < d.nr; i++) {
			EXPECT_EQ(pid, (pid_t)d.tasks[i].base.ppid);
			EXPECT_EQ(d.tasks[i].pid, d.tasks[i].tgid);
		}
		td_dump_free(&d);
		close(fd);
	}

	/* A process without children. */
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, ids[1], BUF_1M, &d))
		TH_LOG("%s", d.err);
	EXPECT_EQ(0, d.nr);
	td_dump_free(&d);
	close(fd);
	pid_set_free(&want);
	pid_set_free(&procs);
}

TEST_F(td, one_matches_stat)
{
	struct td_dump d;
	pid_t tids[2], pid;
	char why[256];
	int fd, status;
	size_t k;

	if (geteuid())
		SKIP(return, "must run as root");
	pid = spawn_threaded(&self->kids, 2, tids);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, wait_state(pid, tids[1], 'T'));

	/* The process, then its second thread. */
	for (k = 0; k < 2; k++) {
		fd = td_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_ONE, tids[k], BUF_1M,
				     &d))
			TH_LOG("%s", d.err);
		ASSERT_EQ(1, d.nr);
		EXPECT_EQ(tids[k], d.tasks[0].pid);
		EXPECT_EQ(pid, d.tasks[0].tgid);
		EXPECT_EQ(TASK_DIAG_STOPPED, d.tasks[0].base.state);
		EXPECT_EQ(getpid(), (pid_t)d.tasks[0].base.ppid);
		EXPECT_STREQ("td threads", d.tasks[0].base.comm);
		EXPECT_EQ(0, cmp_with_proc("/proc", &d.tasks[0], k == 1, why,
					   sizeof(why)))
			TH_LOG("%s", why);
		td_dump_free(&d);
		close(fd);
	}
}

/* write() of a request of @len bytes, its nlmsg_len set to @nlmsg_len. */
static ssize_t write_req(int fd, const struct td_req *req, size_t len,
			 __u32 nlmsg_len)
{
	char buf[2 * 4096 + 64] = { 0 };
	struct td_req r = *req;

	if (len > sizeof(buf)) {
		errno = EOVERFLOW;
		return -1;
	}
	r.hdr.nlmsg_len = nlmsg_len;
	memcpy(buf, &r, len < sizeof(r) ? len : sizeof(r));
	return write(fd, buf, len);
}

/* Reads a dump to its end after a successful write of a request. */
static int drain(int fd, __u32 seq, char *why, size_t size)
{
	struct td_dump d;
	int ret;

	td_dump_init(&d, TASK_DIAG_SHOW_BASE, seq);
	ret = td_read_dump(fd, BUF_64K, &d);
	snprintf(why, size, "%s", d.err);
	td_dump_free(&d);
	return ret;
}

TEST_F(td, einval_short_request)
{
	struct td_req req;
	int fd = td_open();

	ASSERT_LE(0, fd);
	td_req_init(&req, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, 0, 1);
	EXPECT_EQ(-1, write_req(fd, &req, sizeof(req) - 1, sizeof(req) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_req(fd, &req, NLMSG_HDRLEN, NLMSG_HDRLEN));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_req(fd, &req, 1, 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(td, einval_nlmsg_len)
{
	struct td_req req;
	int fd = td_open();

	ASSERT_LE(0, fd);
	td_req_init(&req, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, 0, 1);
	EXPECT_EQ(-1, write_req(fd, &req, sizeof(req), sizeof(req) + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_req(fd, &req, sizeof(req), sizeof(req) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_req(fd, &req, sizeof(req), 0));
	EXPECT_EQ(EINVAL, errno);
	/* Zero bytes past the request that nlmsg_len does not count. */
	EXPECT_EQ(-1, write_req(fd, &req, sizeof(req) + 8, sizeof(req)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(td, einval_strategy)
{
	static const __u64 bad[] = { 5, 6, 1ULL << 32, ~0ULL };
	struct td_req req;
	size_t i;
	int fd = td_open();

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		td_req_init(&req, TASK_DIAG_SHOW_BASE, bad[i], getpid(), 1);
		EXPECT_EQ(-1, write(fd, &req, sizeof(req)))
			TH_LOG("strategy %#llx", (unsigned long long)bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	close(fd);
}

TEST_F(td, einval_show_flags)
{
	static const __u64 bad[] = {
		1ULL << 40, 1ULL << (TASK_DIAG_ATTR_MAX + 1), 1ULL << 63,
		TASK_DIAG_SHOW_BASE | (1ULL << 40),
	};
	struct td_req req;
	size_t i;
	int fd = td_open();

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		td_req_init(&req, bad[i], TASK_DIAG_DUMP_ALL, 0, 1);
		EXPECT_EQ(-1, write(fd, &req, sizeof(req)))
			TH_LOG("show_flags %#llx", (unsigned long long)bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	close(fd);
}

TEST_F(td, einval_reserved)
{
	struct td_req req;
	int fd = td_open();

	ASSERT_LE(0, fd);
	td_req_init(&req, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, 0, 1);
	req.pid.reserved = 1;
	EXPECT_EQ(-1, write(fd, &req, sizeof(req)));
	EXPECT_EQ(EINVAL, errno);
	req.pid.reserved = 0x80000000;
	EXPECT_EQ(-1, write(fd, &req, sizeof(req)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* Reads a dump of the groups @show to its end after a write of its request. */
static int drain_show(int fd, __u64 show, __u32 seq, char *why, size_t size)
{
	struct td_dump d;
	int ret;

	td_dump_init(&d, show, seq);
	ret = td_read_dump(fd, BUF_64K, &d);
	snprintf(why, size, "%s", d.err);
	td_dump_free(&d);
	return ret;
}

/*
 * VMA_STAT only adds to the records of VMA: without VMA it is refused,
 * alone or with the other groups; every other group is accepted alone.
 */
TEST_F(td, each_group_alone_vma_stat_needs_vma)
{
	struct td_req req;
	char why[512];
	int fd = td_open(), g;

	ASSERT_LE(0, fd);
	td_req_init(&req, TASK_DIAG_SHOW_VMA_STAT, TASK_DIAG_DUMP_ONE,
		    getpid(), 1);
	EXPECT_EQ(-1, write(fd, &req, sizeof(req)));
	EXPECT_EQ(EINVAL, errno);
	td_req_init(&req, TD_SHOW_IMPLEMENTED & ~TASK_DIAG_SHOW_VMA,
		    TASK_DIAG_DUMP_ALL, 0, 1);
	EXPECT_EQ(-1, write(fd, &req, sizeof(req)));
	EXPECT_EQ(EINVAL, errno);
	for (g = TASK_DIAG_BASE; g <= TASK_DIAG_ATTR_MAX; g++) {
		__u32 seq = td_next_seq();

		if (!(TD_SHOW_IMPLEMENTED & (1ULL << g)) ||
		    g == TASK_DIAG_VMA_STAT)
			continue;
		td_req_init(&req, 1ULL << g, TASK_DIAG_DUMP_ONE, getpid(), seq);
		EXPECT_EQ(sizeof(req), write(fd, &req, sizeof(req)))
			TH_LOG("group %d: %s", g, strerror(errno));
		EXPECT_EQ(0, drain_show(fd, 1ULL << g, seq, why, sizeof(why)))
			TH_LOG("group %d: %s", g, why);
	}
	close(fd);
}

TEST_F(td, e2big_longer_request)
{
	char buf[NLMSG_HDRLEN + 4096 + 8], why[512];
	struct td_req req;
	int fd = td_open();
	__u32 seq = td_next_seq();
	size_t len = sizeof(req) + 8;

	ASSERT_LE(0, fd);
	td_req_init(&req, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ONE, getpid(),
		    seq);

	/* A non-zero byte past the known struct, first or last. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &req, sizeof(req));
	((struct nlmsghdr *)buf)->nlmsg_len = len;
	buf[sizeof(req)] = 1;
	EXPECT_EQ(-1, write(fd, buf, len));
	EXPECT_EQ(E2BIG, errno);
	buf[sizeof(req)] = 0;
	buf[len - 1] = 0x80;
	EXPECT_EQ(-1, write(fd, buf, len));
	EXPECT_EQ(E2BIG, errno);

	/* Zeroes only: accepted, and the dump is the same. */
	buf[len - 1] = 0;
	EXPECT_EQ(len, write(fd, buf, len));
	EXPECT_EQ(0, drain(fd, seq, why, sizeof(why)))
		TH_LOG("%s", why);

	/* A payload of a page is accepted, a longer one is not. */
	len = NLMSG_HDRLEN + 4096;
	((struct nlmsghdr *)buf)->nlmsg_len = len;
	EXPECT_EQ(len, write(fd, buf, len));
	EXPECT_EQ(0, drain(fd, seq, why, sizeof(why)))
		TH_LOG("%s", why);
	len = sizeof(buf);
	((struct nlmsghdr *)buf)->nlmsg_len = len;
	EXPECT_EQ(-1, write(fd, buf, len));
	EXPECT_EQ(E2BIG, errno);
	close(fd);
}

TEST_F(td, esrch_no_such_task)
{
	static const __u64 strategies[] = {
		TASK_DIAG_DUMP_ONE, TASK_DIAG_DUMP_THREAD,
		TASK_DIAG_DUMP_CHILDREN,
	};
	char why[512];
	size_t i;
	pid_t dead;
	int fd;

	dead = fork();
	ASSERT_LE(0, dead);
	if (dead == 0)
		_exit(0);
	track(&self->kids, dead);
	ASSERT_EQ(0, reap(&self->kids, dead));

	fd = td_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(strategies); i++) {
		EXPECT_EQ(-1, td_send(fd, TASK_DIAG_SHOW_BASE, strategies[i],
				      dead, 1))
			TH_LOG("strategy %llu",
			       (unsigned long long)strategies[i]);
		EXPECT_EQ(ESRCH, errno);
	}
	/* ALL and ALL_THREAD ignore the pid. */
	EXPECT_EQ(sizeof(struct td_req),
		  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, dead, 7));
	EXPECT_EQ(0, drain(fd, 7, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(sizeof(struct td_req),
		  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL_THREAD,
			  dead, 8));
	EXPECT_EQ(0, drain(fd, 8, why, sizeof(why)))
		TH_LOG("%s", why);
	close(fd);
}

TEST_F(td, ebusy_until_read_to_end)
{
	char buf[TD_BASE_MSG_LEN];
	struct td_dump d;
	__u32 seq = td_next_seq();
	int fd = td_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 3, NULL, 0, NULL));
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_CHILDREN,
			  getpid(), seq));
	/* Nothing read yet. */
	EXPECT_EQ(-1, td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, 0,
			      seq + 1));
	EXPECT_EQ(EBUSY, errno);

	/* One message read. */
	td_dump_init(&d, TASK_DIAG_SHOW_BASE, seq);
	ASSERT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, td_parse(&d, buf, sizeof(buf))) TH_LOG("%s", d.err);
	EXPECT_EQ(-1, td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, 0,
			      seq + 1));
	EXPECT_EQ(EBUSY, errno);

	/* The refused writes changed nothing: the dump goes on to its end. */
	ASSERT_EQ(0, td_read_dump(fd, BUF_64K, &d)) TH_LOG("%s", d.err);
	EXPECT_EQ(3, d.nr);
	td_dump_free(&d);

	/* Then a new request is accepted. */
	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, getpid(), BUF_64K,
			     &d))
		TH_LOG("%s", d.err);
	EXPECT_EQ(3, d.nr);
	td_dump_free(&d);
	close(fd);
}

TEST_F(td, efault_keeps_the_dump)
{
	struct td_dump d, ref;
	__u32 seq = td_next_seq();
	struct td_req req;
	pid_t pids[3];
	void *bad;
	int fd = td_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 3, NULL, 0, pids));
	ASSERT_EQ(0, wait_states(0, pids, 3, 'S'));
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);

	td_req_init(&req, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_CHILDREN,
		    getpid(), seq);
	EXPECT_EQ(-1, write(fd, bad, sizeof(req)));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(sizeof(req), write(fd, &req, sizeof(req)));
	EXPECT_EQ(-1, read(fd, bad, 4096));
	EXPECT_EQ(EFAULT, errno);
	/* The message that could not be copied is still the next one. */
	td_dump_init(&d, TASK_DIAG_SHOW_BASE, seq);
	ASSERT_EQ(0, td_read_dump(fd, BUF_64K, &d)) TH_LOG("%s", d.err);
	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, getpid(), BUF_64K,
			     &ref))
		TH_LOG("%s", ref.err);
	EXPECT_EQ(3, ref.nr);
	ASSERT_EQ(ref.nr, d.nr);
	EXPECT_EQ(0, memcmp(ref.tasks, d.tasks, d.nr * sizeof(*d.tasks)));
	td_dump_free(&d);
	td_dump_free(&ref);
	munmap(bad, 4096);
	close(fd);
}

TEST_F(td, no_groups)
{
	struct td_dump d;
	__u32 seq = td_next_seq();
	int fd = td_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, 0, TASK_DIAG_DUMP_ONE, getpid(), seq));
	td_dump_init(&d, 0, seq);
	ASSERT_EQ(0, td_read_dump(fd, BUF_64K, &d)) TH_LOG("%s", d.err);
	ASSERT_EQ(1, d.nr);
	EXPECT_EQ(getpid(), d.tasks[0].pid);
	EXPECT_EQ(0, d.tasks[0].attrs);
	td_dump_free(&d);
	close(fd);
}

/*
 * BASE's comm is NUL-terminated and NUL-padded: a name of 15 bytes comes
 * whole, and a shorter name after it leaves no byte of the longer one.
 */
TEST_F(td, comm_is_nul_padded)
{
	static const char * const names[] = { "fifteen bytes!!", "ab" };
	char want[TASK_DIAG_COMM_LEN];
	struct td_dump d;
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, prctl(PR_SET_NAME, names[i], 0, 0, 0));
		fd = td_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_ONE, sys_gettid(), BUF_64K,
				     &d))
			TH_LOG("%s", d.err);
		ASSERT_EQ(1, d.nr);
		memset(want, 0, sizeof(want));
		memcpy(want, names[i], strlen(names[i]));
		EXPECT_EQ(0, memcmp(want, d.tasks[0].base.comm, sizeof(want)))
			TH_LOG("name '%s': comm '%.16s'", names[i],
			       d.tasks[0].base.comm);
		td_dump_free(&d);
		close(fd);
	}
}

/* Whether two dumps hold the same tasks with the same BASE. */
static bool same_dumps(const struct td_dump *a, const struct td_dump *b)
{
	size_t i;

	if (a->nr != b->nr)
		return false;
	for (i = 0; i < a->nr; i++)
		if (a->tasks[i].pid != b->tasks[i].pid ||
		    a->tasks[i].tgid != b->tasks[i].tgid ||
		    a->tasks[i].attrs != b->tasks[i].attrs ||
		    memcmp(&a->tasks[i].base, &b->tasks[i].base,
			   sizeof(a->tasks[i].base)))
			return false;
	return true;
}

TEST_F(td, emsgsize_then_bigger_read)
{
	struct td_dump d, ref;
	__u32 seq = td_next_seq();
	pid_t pids[10];
	char buf[TD_BASE_MSG_LEN];
	int fd = td_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 10, NULL, 0, pids));
	ASSERT_EQ(0, wait_states(0, pids, 10, 'S'));

	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_CHILDREN,
			  getpid(), seq));
	EXPECT_EQ(-1, read(fd, buf, 8));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, read(fd, buf, TD_BASE_MSG_LEN - 1));
	EXPECT_EQ(EMSGSIZE, errno);
	td_dump_init(&d, TASK_DIAG_SHOW_BASE, seq);
	ASSERT_EQ(0, td_read_dump(fd, BUF_64K, &d)) TH_LOG("%s", d.err);
	EXPECT_EQ(1, d.nr_reads);

	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, getpid(), BUF_1M,
			     &ref))
		TH_LOG("%s", ref.err);
	EXPECT_EQ(10, ref.nr);
	EXPECT_TRUE(same_dumps(&ref, &d));
	EXPECT_EQ(0, first_missing(&d, pids, 10));
	td_dump_free(&d);
	td_dump_free(&ref);
	close(fd);
}

TEST_F_TIMEOUT(td, one_message_per_read, 120)
{
	struct td_dump d, ref;
	pid_t pids[50];
	int fd = td_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 50, NULL, 0, pids));
	ASSERT_EQ(0, wait_states(0, pids, 50, 'S'));

	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, getpid(),
			     TD_BASE_MSG_LEN, &d))
		TH_LOG("%s", d.err);
	EXPECT_EQ(1, d.max_msgs);
	EXPECT_EQ(51, d.nr_reads);
	EXPECT_EQ(50, d.nr);

	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_CHILDREN, getpid(), BUF_1M,
			     &ref))
		TH_LOG("%s", ref.err);
	EXPECT_EQ(1, ref.nr_reads);
	EXPECT_TRUE(same_dumps(&ref, &d));
	EXPECT_EQ(0, first_missing(&d, pids, 50));
	td_dump_free(&d);
	td_dump_free(&ref);
	close(fd);
}

TEST_F_TIMEOUT(td, big_buffer_many_tasks, 180)
{
	static pid_t pids[200];
	struct td_dump d;
	int fd = td_open();

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 200, NULL, 0, pids));

	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d))
		TH_LOG("%s", d.err);
	EXPECT_LT(100, d.max_msgs)
		TH_LOG("%zu tasks in %zu reads", d.nr, d.nr_reads);
	EXPECT_EQ(0, first_missing(&d, pids, 200));
	td_dump_free(&d);
	close(fd);
}

/* What a child reports of its dump. */
struct shared_dump {
	int	ret;		/* 0: the dump was read and checked */
	pid_t	self;		/* the reporter's pid, as it sees it */
	pid_t	other;		/* another pid it knows, as it sees it */
	char	err[512];
	int	nr;
	struct {
		int	pid;
		int	tgid;
		int	ppid;
		int	proc_ppid;	/* from its /proc/PID/stat, or -1 */
	} t[SHARED_MAX];
};

static struct shared_dump *shared_dump_new(void)
{
	struct shared_dump *sh = mmap(NULL, sizeof(*sh),
				      PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED)
		return NULL;
	sh->ret = -1;
	snprintf(sh->err, sizeof(sh->err), "no report");
	return sh;
}

/* Copies a dump read by a child to the shared report. */
static void report(struct shared_dump *sh, const struct td_dump *d, int ret,
		   const char *proc)
{
	struct proc_stat st;
	size_t i;

	snprintf(sh->err, sizeof(sh->err), "%s", d->err);
	sh->nr = 0;
	for (i = 0; i < d->nr && i < SHARED_MAX; i++) {
		sh->t[i].pid = d->tasks[i].pid;
		sh->t[i].tgid = d->tasks[i].tgid;
		sh->t[i].ppid = d->tasks[i].base.ppid;
		sh->t[i].proc_ppid = -1;
		if (proc && !proc_read_stat(proc, d->tasks[i].tgid, 0, &st))
			sh->t[i].proc_ppid = st.ppid;
		sh->nr++;
	}
	if (d->nr > SHARED_MAX) {
		snprintf(sh->err, sizeof(sh->err), "%zu tasks", d->nr);
		ret = -1;
	}
	sh->ret = ret;
}

static int shared_find(const struct shared_dump *sh, pid_t pid)
{
	int i;

	for (i = 0; i < sh->nr; i++)
		if (sh->t[i].pid == pid)
			return i;
	return -1;
}

static void expect_no_root_task(struct __test_metadata *_metadata,
				const struct shared_dump *sh)
{
	struct proc_status ss;
	int i;

	for (i = 0; i < sh->nr; i++) {
		if (proc_read_status("/proc", sh->t[i].tgid, 0, &ss))
			continue;	/* gone */
		/* Under ptrace rules: the real, effective and saved uids. */
		EXPECT_TRUE(ss.uid[0] == NOBODY && ss.uid[1] == NOBODY &&
			    ss.uid[2] == NOBODY)
			TH_LOG("task %d of uids %d %d %d", sh->t[i].pid,
			       ss.uid[0], ss.uid[1], ss.uid[2]);
	}
}

TEST_F(td, unprivileged)
{
	struct shared_dump *sh = shared_dump_new();
	struct proc_status init;
	pid_t sibling, pid;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, proc_read_status("/proc", 1, 0, &init));
	ASSERT_EQ(0, init.uid[0]) TH_LOG("pid 1 does not run as root");
	sibling = spawn_nobody_sleeper(&self->kids);
	ASSERT_LT(0, sibling);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_dump d;
		int fd, ret;

		if (drop_to_nobody())
			_exit(2);
		fd = td_open();
		if (fd < 0)
			_exit(3);
		ret = td_dump(fd, TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d);
		report(sh, &d, ret, NULL);
		_exit(0);
	}
	track(&self->kids, pid);
	ASSERT_EQ(0, wait_kid(&self->kids, pid));
	ASSERT_EQ(0, sh->ret) TH_LOG("%s", sh->err);
	EXPECT_LE(0, shared_find(sh, pid));
	EXPECT_LE(0, shared_find(sh, sibling));
	EXPECT_EQ(-1, shared_find(sh, 1));
	EXPECT_EQ(-1, shared_find(sh, getpid()));
	expect_no_root_task(_metadata, sh);
	munmap(sh, sizeof(*sh));
}

TEST_F(td, passed_fd_root_to_nobody)
{
	struct shared_dump *sh = shared_dump_new();
	pid_t sibling, pid;
	int fd;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_NE(NULL, sh);
	sibling = spawn_nobody_sleeper(&self->kids);
	ASSERT_LT(0, sibling);
	fd = td_open();
	ASSERT_LE(0, fd);

	/* Opened by root, written and read by nobody. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_dump d;
		int ret;

		if (drop_to_nobody())
			_exit(2);
		ret = td_dump(fd, TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d);
		report(sh, &d, ret, NULL);
		_exit(0);
	}
	track(&self->kids, pid);
	ASSERT_EQ(0, wait_kid(&self->kids, pid));
	ASSERT_EQ(0, sh->ret) TH_LOG("%s", sh->err);
	EXPECT_EQ(-1, shared_find(sh, 1));
	EXPECT_EQ(-1, shared_find(sh, getpid()));
	EXPECT_LE(0, shared_find(sh, pid));
	EXPECT_LE(0, shared_find(sh, sibling));
	expect_no_root_task(_metadata, sh);
	close(fd);
	munmap(sh, sizeof(*sh));
}

TEST_F(td, passed_fd_written_by_root_read_by_nobody)
{
	struct shared_dump *sh = shared_dump_new();
	__u32 seq = td_next_seq();
	pid_t sibling, pid;
	int fd;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_NE(NULL, sh);
	sibling = spawn_nobody_sleeper(&self->kids);
	ASSERT_LT(0, sibling);
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL, 0, seq));

	/* Opened and written by root, read by nobody. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_dump d;
		int ret;

		if (drop_to_nobody())
			_exit(2);
		td_dump_init(&d, TASK_DIAG_SHOW_BASE, seq);
		ret = td_read_dump(fd, BUF_1M, &d);
		report(sh, &d, ret, NULL);
		_exit(0);
	}
	track(&self->kids, pid);
	ASSERT_EQ(0, wait_kid(&self->kids, pid));
	ASSERT_EQ(0, sh->ret) TH_LOG("%s", sh->err);
	EXPECT_EQ(-1, shared_find(sh, 1));
	EXPECT_EQ(-1, shared_find(sh, getpid()));
	EXPECT_LE(0, shared_find(sh, pid));
	EXPECT_LE(0, shared_find(sh, sibling));
	expect_no_root_task(_metadata, sh);
	close(fd);
	munmap(sh, sizeof(*sh));
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

TEST_F(td, passed_fd_nobody_to_root)
{
	pid_t parent = getpid(), pid;
	struct td_dump d;
	int sv[2], fd;
	size_t i;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		kid_start(parent, "td opener");
		if (drop_to_nobody())
			_exit(2);
		fd = td_open();
		if (fd < 0 || send_fd(sv[1], fd))
			_exit(3);
		close(fd);
		park();
	}
	track(&self->kids, pid);
	close(sv[1]);
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	close(sv[0]);

	/*
	 * Opened by nobody, written and read by root. The reader's own
	 * process is not checked: the opener's credentials are checked as
	 * the reading task, which may always read its own thread group.
	 */
	ASSERT_EQ(0, td_dump(fd, TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d))
		TH_LOG("%s", d.err);
	EXPECT_EQ(NULL, td_find(&d, 1));
	EXPECT_NE(NULL, td_find(&d, pid));
	for (i = 0; i < d.nr; i++) {
		struct proc_status ss;

		if (proc_read_status("/proc", d.tasks[i].tgid, 0, &ss) ||
		    d.tasks[i].tgid == getpid())
			continue;
		EXPECT_EQ(NOBODY, ss.uid[1])
			TH_LOG("task %d of euid %d", d.tasks[i].pid, ss.uid[1]);
	}
	td_dump_free(&d);
	close(fd);
}

TEST_F_TIMEOUT(td, pidns, 60)
{
	struct shared_dump *sh = shared_dump_new();
	pid_t pid, parent = getpid();
	int ret, i;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_NE(NULL, sh);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t init;
		int status;

		kid_start(parent, "td nsparent");
		if (unshare(CLONE_NEWPID | CLONE_NEWNS))
			_exit(errno == EINVAL ? 4 : 2);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(5);
		init = fork();
		if (init < 0)
			_exit(6);
		if (init == 0) {
			struct td_dump d;
			pid_t kid;
			int fd;

			/* Pid 1 of the new namespace. */
			kid_start(0, "td nsinit");
			if (mount("proc", "/proc", "proc",
				  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
				_exit(7);
			kid = fork();
			if (kid < 0)
				_exit(8);
			if (kid == 0) {
				kid_start(1, "td nskid");
				park();
			}
			/* Let the child name itself. */
			if (wait_state(kid, 0, 'S'))
				_exit(9);
			fd = td_open();
			if (fd < 0)
				_exit(10);
			sh->self = getpid();
			sh->other = kid;
			ret = td_dump(fd, TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d);
			report(sh, &d, ret, "/proc");
			kill(kid, SIGKILL);
			_exit(0);
		}
		if (waitpid(init, &status, 0) != init)
			_exit(11);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 12);
	}
	track(&self->kids, pid);
	ret = wait_kid(&self->kids, pid);
	if (ret == 4)
		SKIP(return, "no pid namespaces (CONFIG_PID_NS)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, sh->ret) TH_LOG("%s", sh->err);
	EXPECT_EQ(1, sh->self);
	ASSERT_EQ(2, sh->nr);
	EXPECT_EQ(1, sh->t[0].pid);
	EXPECT_EQ(1, sh->t[0].tgid);
	EXPECT_EQ(0, sh->t[0].ppid);
	EXPECT_EQ(sh->other, sh->t[1].pid);
	EXPECT_EQ(sh->other, sh->t[1].tgid);
	EXPECT_EQ(1, sh->t[1].ppid);
	for (i = 0; i < sh->nr; i++) {
		EXPECT_EQ(sh->t[i].proc_ppid, sh->t[i].ppid)
			TH_LOG("task %d", sh->t[i].pid);
	}
	munmap(sh, sizeof(*sh));
}

/* One of the threads of concurrent_readers. */
struct reader {
	pthread_t		th;
	int			fd;
	pthread_barrier_t	*start;
	struct td_dump		d;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	char buf[4096];
	ssize_t n;

	pthread_barrier_wait(r->start);
	for (;;) {
		n = read(r->fd, buf, sizeof(buf));
		if (n < 0) {
			r->d.read_errno = errno;
			snprintf(r->d.err, sizeof(r->d.err), "read: %s",
				 strerror(errno));
			break;
		}
		if (n == 0 || td_parse(&r->d, buf, n))
			break;
	}
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

TEST_F_TIMEOUT(td, concurrent_readers, 300)
{
	static struct reader readers[NR_READERS];
	static pid_t stable[100];
	pthread_barrier_t start;
	int fd, round, i, nr, done, *all;
	char buf[64];
	size_t k;

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 100, NULL, 0, stable));
	ASSERT_LT(0, spawn_fork_storm(&self->kids));
	fd = td_open();
	ASSERT_LE(0, fd);

	for (round = 0; round < 5; round++) {
		__u32 seq = td_next_seq();

		ASSERT_EQ(0, pthread_barrier_init(&start, NULL, NR_READERS));
		ASSERT_EQ(sizeof(struct td_req),
			  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_ALL,
				  0, seq));
		for (i = 0; i < NR_READERS; i++) {
			readers[i].fd = fd;
			readers[i].start = &start;
			td_dump_init(&readers[i].d, TASK_DIAG_SHOW_BASE, seq);
			ASSERT_EQ(0, pthread_create(&readers[i].th, NULL,
						    reader_thread, &readers[i]));
		}
		nr = 0;
		done = 0;
		for (i = 0; i < NR_READERS; i++) {
			ASSERT_EQ(0, pthread_join(readers[i].th, NULL));
			EXPECT_STREQ("", readers[i].d.err)
				TH_LOG("round %d, reader %d", round, i);
			nr += readers[i].d.nr;
			done += readers[i].d.nr_done;
		}
		pthread_barrier_destroy(&start);
		EXPECT_EQ(1, done) TH_LOG("round %d", round);

		all = malloc((nr ? nr : 1) * sizeof(*all));
		ASSERT_NE(NULL, all);
		nr = 0;
		for (i = 0; i < NR_READERS; i++) {
			for (k = 0; k < readers[i].d.nr; k++)
				all[nr++] = readers[i].d.tasks[k].pid;
			td_dump_free(&readers[i].d);
		}
		qsort(all, nr, sizeof(*all), cmp_int);
		for (i = 1; i < nr; i++) {
			EXPECT_NE(all[i - 1], all[i])
				TH_LOG("round %d: pid %d read twice", round, all[i]);
		}
		for (i = 0; i < 100; i++) {
			EXPECT_NE(NULL, bsearch(&stable[i], all, nr,
						sizeof(*all), cmp_int))
				TH_LOG("round %d: %d is missing", round, stable[i]);
		}
		free(all);
		if (_metadata->exit_code)
			break;
	}

	/* The file is a stream. */
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);
}

TEST_HARNESS_MAIN
