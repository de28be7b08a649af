// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the attribute groups of /proc/task_diag (CRED, STAT, STATM,
 * CMDLINE and NAME against /proc/PID/status, stat, statm and cmdline), of
 * their combinations, and of the rules that keep a dump safe: visibility
 * checked afresh after a failed read(), nothing lost, no audit noise, and
 * tasks that exit in the middle of their messages.
 *
 * Run as root on a kernel with CONFIG_PROC_TASK_DIAG=y. The processes the
 * tests compare are quiescent (stopped or asleep), so that /proc and the
 * dump see the same values.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "task_diag_util.h"

#define BUF_1M		(1024 * 1024)
#define BUF_64K		(64 * 1024)
#define REPORT_MAX	8192

/* The command line of the big child: argv[0], then BIG_ARGS strings. */
#define BIG_ARGS	9
#define BIG_ARG_LEN	120000	/* < MAX_ARG_STRLEN (128 KiB) */

/* The environment variable that makes an exec'd copy of us a child. */
#define CHILD_ENV	"TD_GROUPS_CHILD"
#define READY_FD	3

#define PF_SUPERPRIV_FLAG	0x00000100

FIXTURE(grp) {
	struct kids	kids;
};

FIXTURE_SETUP(grp)
{
	self->kids.nr = 0;
	if (access(TD_PATH, F_OK))
		SKIP(return, "%s: %s (a kernel without CONFIG_PROC_TASK_DIAG?)",
		     TD_PATH, strerror(errno));
	if (geteuid())
		SKIP(return, "must run as root");
}

FIXTURE_TEARDOWN(grp)
{
	kids_kill(&self->kids);
}

/*
 * A copy of this program exec'd with CHILD_ENV set does not run the tests:
 * it rewrites its argument area as CHILD_ENV says, tells READY_FD, and
 * sleeps until killed.
 *
 *	park		leave argv as it is
 *	title		write a title longer than argv[0] over it, into the
 *			following strings, the last byte of the area kept NUL
 *	title_env	fill the whole area, its last byte too, with non-NUL
 *			bytes, so that the command line runs on into the
 *			environment (setproctitle())
 */
static void __attribute__((constructor)) exec_child(int argc, char **argv,
						    char **envp)
{
	const char *mode = getenv(CHILD_ENV);
	char *start, *end;

	(void)envp;
	if (!mode)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	start = argv[0];
	end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	if (!strcmp(mode, "title")) {
		size_t n = strlen(argv[0]) + (end - start - strlen(argv[0])) / 2;

		memset(start, 'T', n);
		start[n] = '\0';
	} else if (!strcmp(mode, "title_env")) {
		memset(start, 'E', end - start);
	}
	if (write(READY_FD, "x", 1) != 1)
		_exit(1);
	close(READY_FD);
	park();
}

/*
 * Execs a copy of this program in CHILD_ENV @mode with @argv; @env0, when
 * not NULL, is the first string of its environment, right after the
 * argument strings. Returns its pid once it is ready.
 */
static pid_t spawn_exec(struct kids *k, const char *mode, char *const *argv,
			const char *env0)
{
	char mode_env[64], *envp[3];
	pid_t pid;
	int p[2], n = 0;
	char c;

	snprintf(mode_env, sizeof(mode_env), "%s=%s", CHILD_ENV, mode);
	if (env0)
		envp[n++] = (char *)env0;
	envp[n++] = mode_env;
	envp[n] = NULL;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit rl;

		close(p[0]);
		if (dup2(p[1], READY_FD) != READY_FD)
			_exit(1);
		/* The argument strings may take a quarter of the stack limit. */
		if (!getrlimit(RLIMIT_STACK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < 16 << 20) {
			rl.rlim_cur = 16 << 20;
			if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
				rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_STACK, &rl);
		}
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	track(k, pid);
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

/* The big command line: @argv points into @buf, which the caller frees. */
static char **big_argv(char **buf, size_t *len)
{
	static char *argv[BIG_ARGS + 2];
	size_t off = 0;
	char *b;
	int i, j;

	b = malloc(sizeof("td-big") + BIG_ARGS * (BIG_ARG_LEN + 1));
	if (!b)
		return NULL;
	memcpy(b, "td-big", sizeof("td-big"));
	argv[0] = b;
	off = sizeof("td-big");
	for (i = 0; i < BIG_ARGS; i++) {
		argv[i + 1] = b + off;
		for (j = 0; j < BIG_ARG_LEN; j++)
			b[off + j] = 'a' + (i * 7 + j / 3) % 26;
		b[off + BIG_ARG_LEN] = '\0';
		off += BIG_ARG_LEN + 1;
	}
	argv[BIG_ARGS + 1] = NULL;
	*buf = b;
	*len = off;
	return argv;
}

static pid_t spawn_big(struct kids *k, char **cmdline, size_t *len)
{
	char **argv = big_argv(cmdline, len);

	if (!argv)
		return -1;
	return spawn_exec(k, "park", argv, NULL);
}

/* Stops a process and waits until each of its threads shows 'T'. */
static int stop_process(pid_t pid)
{
	struct pid_set tasks = { 0 };
	char path[64];
	size_t i;
	int ret = 0;

	if (kill(pid, SIGSTOP))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (proc_list_pids(path, pid, &tasks))
		return -1;
	for (i = 0; i < tasks.nr && !ret; i++)
		ret = wait_state(pid, tasks.v[i].pid, 'T');
	pid_set_free(&tasks);
	return ret;
}

/* A dump of one task with the groups @show, whose only task must be @pid. */
static int dump_one(int fd, __u64 show, pid_t pid, struct td_dump *d)
{
	if (td_dump_show(fd, show, TASK_DIAG_DUMP_ONE, pid, BUF_64K, d))
		return -1;
	if (d->nr != 1 || d->tasks[0].pid != pid) {
		snprintf(d->err, sizeof(d->err), "ONE of %d: %zu tasks", pid,
			 d->nr);
		return -1;
	}
	return 0;
}

/* What a child process reports of its checks. */
struct report {
	int	ret;		/* 0: every check passed */
	int	checked;	/* tasks checked */
	char	err[1024];
	int	nr;
	int	pid[REPORT_MAX];
};

static struct report *report_new(void)
{
	struct report *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	r->ret = -1;
	snprintf(r->err, sizeof(r->err), "no report");
	return r;
}

static __printf(2, 3) void report_fail(struct report *r, const char *fmt, ...)
{
	va_list ap;

	r->ret = -1;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

static void report_dump(struct report *r, const struct td_dump *d)
{
	size_t i;

	for (i = 0; i < d->nr && r->nr < REPORT_MAX; i++)
		r->pid[r->nr++] = d->tasks[i].pid;
}

static bool report_has(const struct report *r, pid_t pid)
{
	int i;

	for (i = 0; i < r->nr; i++)
		if (r->pid[i] == pid)
			return true;
	return false;
}

/*
 * Whether a task runs as root under ptrace rules: one of its real,
 * effective and saved uids is 0. A task that is gone is not.
 */
static bool runs_as_root(pid_t pid)
{
	struct proc_status ss;

	if (proc_read_status("/proc", pid, 0, &ss))
		return false;
	return !ss.uid[0] || !ss.uid[1] || !ss.uid[2];
}

/* Each task a child reported must have been visible to nobody. */
static void expect_nobody_view(struct __test_metadata *_metadata,
			       const struct report *r)
{
	int i;

	EXPECT_FALSE(report_has(r, 1)) TH_LOG("pid 1 leaked to nobody");
	EXPECT_FALSE(report_has(r, getpid()))
		TH_LOG("the root test process leaked to nobody");
	for (i = 0; i < r->nr; i++) {
		EXPECT_FALSE(runs_as_root(r->pid[i]))
			TH_LOG("root task %d leaked to nobody", r->pid[i]);
	}
}

/* ---------------------------------------------------------------- CRED */

/* Ids and capabilities, as /proc/PID/status or TASK_DIAG_CRED gives them. */
struct ids_caps {
	unsigned int		uid[4];	/* real, effective, saved, fs */
	unsigned int		gid[4];
	unsigned long long	cap[4];	/* inheritable, permitted, effective, bounding */
};

static int parse_status_creds(const char *text, struct ids_caps *c)
{
	static const char * const caps[] = {
		"CapInh", "CapPrm", "CapEff", "CapBnd",
	};
	const char *v;
	char *end;
	int i;

	memset(c, 0, sizeof(*c));
	v = status_value(text, "Uid");
	if (!v || sscanf(v, "%u %u %u %u", &c->uid[0], &c->uid[1], &c->uid[2],
			 &c->uid[3]) != 4)
		return -1;
	v = status_value(text, "Gid");
	if (!v || sscanf(v, "%u %u %u %u", &c->gid[0], &c->gid[1], &c->gid[2],
			 &c->gid[3]) != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		v = status_value(text, caps[i]);
		c->cap[i] = v ? strtoull(v, &end, 16) : 0;
		if (!v || end == v)
			return -1;
	}
	return 0;
}

/* PROC/TGID/status, or PROC/TGID/task/TID/status when @tid > 0. */
static int read_status_text(int tgid, int tid, char *buf, size_t size)
{
	char path[128];

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", tgid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", tgid);
	return proc_read_text(path, buf, size) < 0 ? -1 : 0;
}

static int proc_creds(int tgid, int tid, struct ids_caps *c)
{
	char buf[8192];

	if (read_status_text(tgid, tid, buf, sizeof(buf)))
		return -1;
	return parse_status_creds(buf, c);
}

static unsigned long long caps64(const struct task_diag_caps *c)
{
	return (unsigned long long)c->cap[1] << 32 | c->cap[0];
}

static void td_creds(const struct td_task *t, struct ids_caps *c)
{
	struct task_diag_creds cr;

	td_attr_copy(t, TASK_DIAG_CRED, &cr, sizeof(cr));
	c->uid[0] = cr.uid;
	c->uid[1] = cr.euid;
	c->uid[2] = cr.suid;
	c->uid[3] = cr.fsuid;
	c->gid[0] = cr.gid;
	c->gid[1] = cr.egid;
	c->gid[2] = cr.sgid;
	c->gid[3] = cr.fsgid;
	c->cap[0] = caps64(&cr.cap_inheritable);
	c->cap[1] = caps64(&cr.cap_permitted);
	c->cap[2] = caps64(&cr.cap_effective);
	c->cap[3] = caps64(&cr.cap_bset);
}

static int cmp_creds(int pid, const struct ids_caps *td,
		     const struct ids_caps *proc, char *why, size_t size)
{
	if (!memcmp(td, proc, sizeof(*td)))
		return 0;
	snprintf(why, size,
		 "task %d: uids %u %u %u %u gids %u %u %u %u caps %llx %llx %llx %llx; /proc: uids %u %u %u %u gids %u %u %u %u caps %llx %llx %llx %llx",
		 pid, td->uid[0], td->uid[1], td->uid[2], td->uid[3],
		 td->gid[0], td->gid[1], td->gid[2], td->gid[3],
		 td->cap[0], td->cap[1], td->cap[2], td->cap[3],
		 proc->uid[0], proc->uid[1], proc->uid[2], proc->uid[3],
		 proc->gid[0], proc->gid[1], proc->gid[2], proc->gid[3],
		 proc->cap[0], proc->cap[1], proc->cap[2], proc->cap[3]);
	return -1;
}

/*
 * Compares the CRED of each task of a dump with its /proc/PID/status, read
 * by this process. A task whose credentials change meanwhile is dumped
 * again (ONE), up to three times. Returns the number of tasks compared, -1
 * with the difference in @why.
 */
static int check_dump_creds(int fd, const struct td_dump *d, bool threads,
			    char *why, size_t size)
{
	struct ids_caps td, proc, after;
	int checked = 0, tries;
	size_t i;

	for (i = 0; i < d->nr; i++) {
		const struct td_task *t = &d->tasks[i];
		struct td_dump one;
		bool same = false;

		td_creds(t, &td);
		for (tries = 0; tries < 3 && !same; tries++) {
			if (proc_creds(t->tgid, threads ? t->pid : 0, &proc))
				break;	/* gone */
			if (!cmp_creds(t->pid, &td, &proc, why, size)) {
				same = true;
				break;
			}
			if (dump_one(fd, TASK_DIAG_SHOW_CRED, t->pid, &one)) {
				td_dump_free(&one);
				break;
			}
			td_creds(&one.tasks[0], &td);
			td_dump_free(&one);
			if (proc_creds(t->tgid, threads ? t->pid : 0, &after))
				break;
			if (!memcmp(&proc, &after, sizeof(proc)) &&
			    cmp_creds(t->pid, &td, &proc, why, size))
				return -1;
		}
		if (same)
			checked++;
	}
	return checked;
}

TEST_F_TIMEOUT(grp, cred_all_as_root, 300)
{
	static const __u64 strategies[] = {
		TASK_DIAG_DUMP_ALL, TASK_DIAG_DUMP_ALL_THREAD,
	};
	struct td_dump d;
	char why[1024];
	size_t s;
	int fd, n;

	ASSERT_LT(0, spawn_nobody_sleeper(&self->kids));
	fd = td_open();
	ASSERT_LE(0, fd);
	for (s = 0; s < ARRAY_SIZE(strategies); s++) {
		ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_CRED,
					  strategies[s], 0, BUF_1M, &d))
			TH_LOG("%s", d.err);
		ASSERT_NE(NULL, td_find(&d, 1));
		n = check_dump_creds(fd, &d, s == 1, why, sizeof(why));
		EXPECT_LT(1, n) TH_LOG("strategy %llu: %s",
				       (unsigned long long)strategies[s], why);
		td_dump_free(&d);
	}
	close(fd);
}

/* A sleeper with distinct ids in each of the four places. */
static pid_t spawn_ids_child(struct kids *k)
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
		kid_start(parent, "td ids");
		if (setgroups(0, NULL) || setresgid(11, 12, 13) ||
		    setresuid(1, 2, 3))
			_exit(1);
		/* Unprivileged now: the fs ids may be any of the others. */
		setfsgid(13);
		setfsuid(3);
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

#define CAP_BIT(c)	(1ULL << (c))

/* A root sleeper with four different capability sets, in both words. */
static pid_t spawn_caps_child(struct kids *k)
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
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		unsigned long long prm, eff, inh;

		close(p[0]);
		kid_start(parent, "td caps");
		if (prctl(PR_CAPBSET_DROP, CAP_SYSLOG, 0, 0, 0) ||
		    prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0))
			_exit(1);
		if (syscall(SYS_capget, &hdr, data))
			_exit(1);
		prm = ((unsigned long long)data[1].permitted << 32 |
		       data[0].permitted) & ~CAP_BIT(CAP_BPF);
		eff = prm & ~(CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_PERFMON));
		inh = CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_AUDIT_READ);
		data[0].permitted = prm;
		data[1].permitted = prm >> 32;
		data[0].effective = eff;
		data[1].effective = eff >> 32;
		data[0].inheritable = inh;
		data[1].inheritable = inh >> 32;
		if (syscall(SYS_capset, &hdr, data))
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

TEST_F_TIMEOUT(grp, cred_ids_and_caps, 60)
{
	struct ids_caps td, proc;
	struct td_dump d;
	pid_t ids, caps;
	char why[1024];
	int fd;

	ids = spawn_ids_child(&self->kids);
	ASSERT_LT(0, ids);
	caps = spawn_caps_child(&self->kids);
	ASSERT_LT(0, caps);
	fd = td_open();
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, dump_one(fd, TASK_DIAG_SHOW_CRED, ids, &d))
		TH_LOG("%s", d.err);
	td_creds(&d.tasks[0], &td);
	td_dump_free(&d);
	ASSERT_EQ(0, proc_creds(ids, 0, &proc));
	EXPECT_EQ(0, cmp_creds(ids, &td, &proc, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(1, td.uid[0]);
	EXPECT_EQ(2, td.uid[1]);
	EXPECT_EQ(3, td.uid[2]);
	EXPECT_EQ(3, td.uid[3]);
	EXPECT_EQ(11, td.gid[0]);
	EXPECT_EQ(12, td.gid[1]);
	EXPECT_EQ(13, td.gid[2]);
	EXPECT_EQ(13, td.gid[3]);
	EXPECT_EQ(0, td.cap[1]);
	EXPECT_EQ(0, td.cap[2]);

	ASSERT_EQ(0, dump_one(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_CRED,
			      caps, &d))
		TH_LOG("%s", d.err);
	td_creds(&d.tasks[0], &td);
	td_dump_free(&d);
	ASSERT_EQ(0, proc_creds(caps, 0, &proc));
	EXPECT_EQ(0, cmp_creds(caps, &td, &proc, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_AUDIT_READ), td.cap[0]);
	EXPECT_EQ(0, td.cap[1] & CAP_BIT(CAP_BPF));
	EXPECT_NE(0, td.cap[1] & CAP_BIT(CAP_SYS_ADMIN));
	EXPECT_EQ(0, td.cap[2] & (CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_PERFMON)));
	EXPECT_NE(0, td.cap[2] & CAP_BIT(CAP_SYS_ADMIN));
	EXPECT_EQ(0, td.cap[3] & (CAP_BIT(CAP_SYSLOG) | CAP_BIT(CAP_MKNOD)));
	EXPECT_NE(0, td.cap[3] & CAP_BIT(CAP_WAKE_ALARM));
	close(fd);
}

/*
 * In a child: dumps the groups BASE and CRED with @strategy and compares
 * each task with the /proc/PID/status this process reads.
 */
static void child_check_creds(struct report *r, __u64 strategy, pid_t pid,
			      int min_checked)
{
	struct td_dump d;
	char why[1024] = "";
	int fd = td_open(), n;

	if (fd < 0) {
		report_fail(r, "open: %s", strerror(errno));
		return;
	}
	if (td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_CRED,
			 strategy, pid, BUF_1M, &d)) {
		report_fail(r, "dump: %s", d.err);
		goto out;
	}
	report_dump(r, &d);
	n = check_dump_creds(fd, &d, strategy == TASK_DIAG_DUMP_ALL_THREAD,
			     why, sizeof(why));
	if (n < 0) {
		report_fail(r, "%s", why);
		goto out;
	}
	r->checked += n;
	if (n < min_checked)
		report_fail(r, "%d tasks checked, want %d", n, min_checked);
out:
	td_dump_free(&d);
	close(fd);
}

TEST_F_TIMEOUT(grp, cred_unprivileged, 180)
{
	struct report *r = report_new();
	pid_t sibling, pid;

	ASSERT_NE(NULL, r);
	sibling = spawn_nobody_sleeper(&self->kids);
	ASSERT_LT(0, sibling);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (drop_to_nobody())
			_exit(2);
		r->ret = 0;
		child_check_creds(r, TASK_DIAG_DUMP_ONE, getpid(), 1);
		if (!r->ret)
			child_check_creds(r, TASK_DIAG_DUMP_ONE, sibling, 1);
		if (!r->ret)
			child_check_creds(r, TASK_DIAG_DUMP_ALL, 0, 2);
		_exit(0);
	}
	track(&self->kids, pid);
	ASSERT_EQ(0, wait_kid(&self->kids, pid));
	ASSERT_EQ(0, r->ret) TH_LOG("%s", r->err);
	EXPECT_TRUE(report_has(r, sibling));
	expect_nobody_view(_metadata, r);
	munmap(r, sizeof(*r));
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static unsigned int overflow_id(const char *file)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", file);
	if (proc_read_text(path, buf, sizeof(buf)) < 0)
		return 65534;
	return strtoul(buf, NULL, 10);
}

/*
 * A process of uids 1000 1000 1001 and gids 2000 2000 2001 enters a new
 * user namespace. Unmapped, every id reads as the overflow id; once the
 * parent maps 1000 and 2000 to 0 (not 1001 nor 2001), its ids and those of
 * its child read as 0 0 overflow 0, in TASK_DIAG_CRED as in the
 * /proc/PID/status it reads itself.
 */
TEST_F_TIMEOUT(grp, cred_user_namespace, 120)
{
	unsigned int ou = overflow_id("overflowuid");
	unsigned int og = overflow_id("overflowgid");
	struct report *r = report_new();
	int go[2], ready[2];
	char path[64], c;
	pid_t pid;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ids_caps mine;
		struct td_dump d;
		pid_t kid;
		int fd;

		close(go[1]);
		close(ready[0]);
		if (setgroups(0, NULL) || setresgid(2000, 2000, 2001) ||
		    setresuid(1000, 1000, 1001))
			_exit(2);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (unshare(CLONE_NEWUSER))
			_exit(errno == EINVAL || errno == EPERM ? 4 : 3);
		r->ret = 0;
		/* Not mapped yet. */
		fd = td_open();
		if (fd < 0 || dump_one(fd, TASK_DIAG_SHOW_CRED, getpid(), &d)) {
			report_fail(r, "unmapped: %s", fd < 0 ? "open" : d.err);
			_exit(0);
		}
		td_creds(&d.tasks[0], &mine);
		td_dump_free(&d);
		close(fd);
		if (mine.uid[0] != ou || mine.uid[1] != ou || mine.uid[2] != ou ||
		    mine.uid[3] != ou || mine.gid[0] != og || mine.gid[3] != og)
			report_fail(r, "unmapped: uids %u %u %u %u gids %u .. %u",
				    mine.uid[0], mine.uid[1], mine.uid[2],
				    mine.uid[3], mine.gid[0], mine.gid[3]);
		if (!r->ret)
			child_check_creds(r, TASK_DIAG_DUMP_ONE, getpid(), 1);
		if (write(ready[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		if (r->ret)
			_exit(0);

		/* Mapped now, but for the saved ids. */
		kid = fork();
		if (kid == 0)
			park();
		if (kid < 0)
			_exit(6);
		if (wait_state(kid, 0, 'S'))
			_exit(7);
		fd = td_open();
		if (fd < 0 || dump_one(fd, TASK_DIAG_SHOW_CRED, getpid(), &d)) {
			report_fail(r, "mapped: %s", fd < 0 ? "open" : d.err);
		} else {
			td_creds(&d.tasks[0], &mine);
			td_dump_free(&d);
			if (mine.uid[0] || mine.uid[1] || mine.uid[2] != ou ||
			    mine.uid[3] || mine.gid[0] || mine.gid[1] ||
			    mine.gid[2] != og || mine.gid[3])
				report_fail(r, "mapped: uids %u %u %u %u gids %u %u %u %u",
					    mine.uid[0], mine.uid[1], mine.uid[2],
					    mine.uid[3], mine.gid[0], mine.gid[1],
					    mine.gid[2], mine.gid[3]);
		}
		if (fd >= 0)
			close(fd);
		if (!r->ret)
			child_check_creds(r, TASK_DIAG_DUMP_ONE, kid, 1);
		/* Itself and its child, those of its namespace. */
		if (!r->ret)
			child_check_creds(r, TASK_DIAG_DUMP_ALL, 0, 2);
		kill(kid, SIGKILL);
		_exit(0);
	}
	track(&self->kids, pid);
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		int ret = wait_kid(&self->kids, pid);

		if (ret == 4)
			SKIP(return, "no unprivileged user namespaces");
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, r->ret) TH_LOG("%s", r->err);
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	ASSERT_EQ(0, write_file(path, "0 1000 1\n"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	ASSERT_EQ(0, write_file(path, "0 2000 1\n"));
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	close(ready[0]);
	ASSERT_EQ(0, wait_kid(&self->kids, pid));
	ASSERT_EQ(0, r->ret) TH_LOG("%s", r->err);
	/* Itself unmapped, its child, both of them in ALL. */
	EXPECT_LE(4, r->checked);
	munmap(r, sizeof(*r));
}

/* ---------------------------------------------------------------- STAT */

/* The fields of /proc/PID/stat that TASK_DIAG_STAT carries, by number. */
static const struct {
	int		field;
	const char	*name;
} stat_fields[] = {
	{ 10, "minflt" }, { 11, "cminflt" }, { 12, "majflt" },
	{ 13, "cmajflt" }, { 14, "utime" }, { 15, "stime" },
	{ 16, "cutime" }, { 17, "cstime" }, { 18, "priority" },
	{ 19, "nice" }, { 20, "threads" }, { 22, "start_time" },
	{ 7, "tty_nr" }, { 8, "tpgid" }, { 9, "flags" },
	{ 39, "processor" }, { 40, "rt_priority" }, { 41, "policy" },
};

/* The value of each of stat_fields, from a STAT payload. */
static void td_stat_values(const struct task_diag_stat *s, long long *v)
{
	v[0] = s->minflt;
	v[1] = s->cminflt;
	v[2] = s->majflt;
	v[3] = s->cmajflt;
	v[4] = s->utime;
	v[5] = s->stime;
	v[6] = s->cutime;
	v[7] = s->cstime;
	v[8] = s->priority;
	v[9] = s->nice;
	v[10] = s->threads;
	v[11] = s->start_time;
	v[12] = (int)s->tty_nr;
	v[13] = s->tpgid;
	v[14] = s->flags;
	v[15] = s->processor;
	v[16] = s->rt_priority;
	v[17] = s->policy;
}

static int cmp_stat(int pid, const struct task_diag_stat *s,
		    const struct proc_stat_all *st, char *why, size_t size)
{
	long long v[ARRAY_SIZE(stat_fields)];
	size_t i;

	td_stat_values(s, v);
	for (i = 0; i < ARRAY_SIZE(stat_fields); i++) {
		long long want = st->f[stat_fields[i].field];

		/* Field 9 is printed unsigned, field 7 as a signed int. */
		if (stat_fields[i].field == 9)
			want = (unsigned int)want;
		if (v[i] != want) {
			snprintf(why, size, "task %d: %s (field %d) %lld, /proc says %lld",
				 pid, stat_fields[i].name, stat_fields[i].field,
				 v[i], want);
			return -1;
		}
	}
	return 0;
}

/*
 * Compares a dumped task's STAT with /proc/TGID/stat (@thread false) or
 * /proc/TGID/task/TID/stat, read before and after a fresh dump when they
 * differ: only a difference that stays while /proc does not change fails.
 */
static int check_stat(int fd, const struct td_task *t, __u64 strategy,
		      bool thread, char *why, size_t size)
{
	int pid = t->pid, tgid = t->tgid, tid = thread ? t->pid : 0, tries;
	bool per_thread = strategy == TASK_DIAG_DUMP_ALL_THREAD ||
			  strategy == TASK_DIAG_DUMP_THREAD;
	struct proc_stat_all a, b;
	struct task_diag_stat s;
	struct td_dump d;

	td_attr_copy(t, TASK_DIAG_STAT, &s, sizeof(s));
	for (tries = 0; tries < 3; tries++) {
		if (proc_read_stat_all("/proc", tgid, tid, &a))
			return 1;
		if (!cmp_stat(pid, &s, &a, why, size))
			return 0;
		/* The same values again: THREAD for threads, else ONE. */
		if (td_dump_show(fd, TASK_DIAG_SHOW_STAT,
				 per_thread ? TASK_DIAG_DUMP_THREAD :
				 TASK_DIAG_DUMP_ONE,
				 per_thread ? tgid : pid, BUF_1M, &d))
			break;
		t = td_find(&d, pid);
		if (t)
			td_attr_copy(t, TASK_DIAG_STAT, &s, sizeof(s));
		td_dump_free(&d);
		if (!t || proc_read_stat_all("/proc", tgid, tid, &b))
			return 1;
		if (!memcmp(&a, &b, sizeof(a)))
			return cmp_stat(pid, &s, &a, why, size);
	}
	return -1;
}

static void burn_cpu(long ms)
{
	struct timespec ts;
	long long end, now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	end = ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	} while (now < end);
}

/* Faults in @pages new pages. */
static void touch_pages(int pages)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0; i < pages; i++)
		p[i * ps] = 1;
}

struct worker_arg {
	int	fd;
	int	n;
};

static void *stat_worker(void *arg)
{
	struct worker_arg *w = arg;
	pid_t tid = sys_gettid();

	touch_pages(16 * w->n);
	burn_cpu(10 * w->n);
	if (write(w->fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	park();
}

/*
 * A process of three threads that each did a different amount of work,
 * after a waited-for child that did some: @tids gets its thread ids, the
 * leader first.
 */
static pid_t spawn_workers(struct kids *k, pid_t tids[3])
{
	static struct worker_arg args[3];
	pid_t parent = getpid(), pid;
	int p[2], i;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		pthread_t th;
		pid_t kid;

		close(p[0]);
		kid_start(parent, "td workers");
		kid = fork();
		if (kid == 0) {
			touch_pages(64);
			burn_cpu(30);
			_exit(0);
		}
		if (kid < 0 || waitpid(kid, NULL, 0) != kid)
			_exit(1);
		for (i = 1; i < 3; i++) {
			args[i].fd = p[1];
			args[i].n = i + 1;
			if (pthread_create(&th, NULL, stat_worker, &args[i]))
				_exit(1);
		}
		args[0].fd = p[1];
		args[0].n = 1;
		stat_worker(&args[0]);
	}
	track(k, pid);
	close(p[1]);
	for (i = 0; i < 3; i++)
		if (read_full(p[0], &tids[i], sizeof(tids[i])))
			break;
	close(p[0]);
	if (i < 3)
		return -1;
	/* The leader's id is the pid: put it first. */
	for (i = 0; i < 3; i++) {
		if (tids[i] == pid) {
			tids[i] = tids[0];
			tids[0] = pid;
		}
	}
	return pid;
}

/* A sleeper with nice 5 (@how 0), SCHED_FIFO 10 (1) or a terminal (2). */
static pid_t spawn_sched(struct kids *k, int how, int *master)
{
	pid_t parent = getpid(), pid;
	char *slave = NULL;
	int p[2];
	char c;

	if (how == 2) {
		*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (*master < 0 || grantpt(*master) || unlockpt(*master))
			return -1;
		slave = ptsname(*master);
		if (!slave)
			return -1;
	}
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sched_param sp = { .sched_priority = 10 };
		int tty;

		close(p[0]);
		kid_start(parent, "td sched");
		if (how == 0 && setpriority(PRIO_PROCESS, 0, 5))
			_exit(1);
		if (how == 1 && sched_setscheduler(0, SCHED_FIFO, &sp))
			_exit(1);
		if (how == 2) {
			if (setsid() < 0)
				_exit(1);
			tty = open(slave, O_RDWR | O_CLOEXEC);
			if (tty < 0 || ioctl(tty, TIOCSCTTY, 0))
				_exit(1);
		}
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

/* new_encode_dev() of the kernel, as field 7 of /proc/PID/stat has it. */
static unsigned int encode_dev(dev_t dev)
{
	unsigned int ma = major(dev), mi = minor(dev);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

/* Checks the STAT of every task of a dump of @strategy found in @want. */
static void check_stat_dump(struct __test_metadata *_metadata, int fd,
			    __u64 strategy, pid_t pid, bool thread,
			    const pid_t *want, int nr_want)
{
	struct td_dump d;
	char why[512];
	int i;

	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_STAT,
				  strategy, pid, BUF_1M, &d))
		TH_LOG("strategy %llu: %s", (unsigned long long)strategy, d.err);
	for (i = 0; i < nr_want; i++) {
		const struct td_task *t = td_find(&d, want[i]);

		EXPECT_NE(NULL, t) TH_LOG("strategy %llu: no task %d",
					  (unsigned long long)strategy, want[i]);
		if (!t)
			continue;
		EXPECT_EQ(0, check_stat(fd, t, strategy, thread, why, sizeof(why)))
			TH_LOG("strategy %llu: %s", (unsigned long long)strategy,
			       why);
	}
	td_dump_free(&d);
}

static int stat_of(int fd, pid_t pid, struct task_diag_stat *s)
{
	struct td_dump d;

	if (dump_one(fd, TASK_DIAG_SHOW_STAT, pid, &d)) {
		td_dump_free(&d);
		return -1;
	}
	td_attr_copy(&d.tasks[0], TASK_DIAG_STAT, s, sizeof(*s));
	td_dump_free(&d);
	return 0;
}

TEST_F_TIMEOUT(grp, stat_matches_proc, 300)
{
	struct task_diag_stat s, s1;
	pid_t tids[3], procs[5];
	int fd, master = -1, i;
	struct stat tty_st;
	bool fifo;

	procs[0] = spawn_workers(&self->kids, tids);
	ASSERT_LT(0, procs[0]);
	procs[1] = spawn_sched(&self->kids, 0, NULL);
	ASSERT_LT(0, procs[1]);
	procs[2] = spawn_sched(&self->kids, 1, NULL);
	fifo = procs[2] > 0;
	if (!fifo)
		TH_LOG("no SCHED_FIFO here: not checked");
	procs[3] = spawn_sched(&self->kids, 2, &master);
	ASSERT_LT(0, procs[3]);
	procs[4] = spawn_sleeper(&self->kids, "td plain", 0);
	ASSERT_LT(0, procs[4]);
	for (i = 0; i < 5; i++) {
		if (procs[i] > 0)
			ASSERT_EQ(0, stop_process(procs[i]));
	}
	if (!fifo)
		procs[2] = procs[4];
	fd = td_open();
	ASSERT_LE(0, fd);

	/* Process-wide values: ALL, CHILDREN, ONE of a leader. */
	check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_ALL, 0, false, procs, 5);
	check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_CHILDREN, getpid(), false,
			procs, 5);
	for (i = 0; i < 5; i++)
		check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_ONE, procs[i],
				false, &procs[i], 1);
	/* The thread's own values: ALL_THREAD, THREAD, ONE of a non-leader. */
	check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_ALL_THREAD, 0, true,
			tids, 3);
	check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_THREAD, procs[0], true,
			tids, 3);
	check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_THREAD, tids[2], true,
			tids, 3);
	for (i = 1; i < 3; i++)
		check_stat_dump(_metadata, fd, TASK_DIAG_DUMP_ONE, tids[i],
				true, &tids[i], 1);

	/* The values themselves. */
	ASSERT_EQ(0, stat_of(fd, procs[0], &s));
	ASSERT_EQ(0, stat_of(fd, tids[2], &s1));
	EXPECT_EQ(3, s.threads);
	EXPECT_EQ(3, s1.threads);
	EXPECT_LT(s1.minflt, s.minflt) TH_LOG("group minflt is not the sum");
	EXPECT_LT(0, s.cminflt);
	EXPECT_EQ(s.cminflt, s1.cminflt);
	EXPECT_EQ(0, s.nice);
	EXPECT_EQ(20, s.priority);
	EXPECT_EQ(SCHED_OTHER, s.policy);
	EXPECT_EQ(0, s.rt_priority);
	EXPECT_NE(0, s.start_time);

	ASSERT_EQ(0, stat_of(fd, procs[1], &s));
	EXPECT_EQ(5, s.nice);
	EXPECT_EQ(25, s.priority);
	if (fifo) {
		ASSERT_EQ(0, stat_of(fd, procs[2], &s));
		EXPECT_EQ(SCHED_FIFO, s.policy);
		EXPECT_EQ(10, s.rt_priority);
		EXPECT_EQ(-11, s.priority);
	}
	ASSERT_EQ(0, stat_of(fd, procs[3], &s));
	ASSERT_EQ(0, stat(ptsname(master), &tty_st));
	EXPECT_EQ(encode_dev(tty_st.st_rdev), s.tty_nr);
	EXPECT_EQ(procs[3], s.tpgid);
	close(master);
	close(fd);
}

/* --------------------------------------------------------------- STATM */

/* /proc/PID/status lines and the STATM fields in pages they show in kB. */
static const struct {
	const char	*key;
	size_t		off;
	bool		bytes;	/* the field is in bytes, not pages */
} statm_fields[] = {
	{ "VmPeak", offsetof(struct task_diag_statm, hiwater_vm), false },
	{ "VmSize", offsetof(struct task_diag_statm, total_vm), false },
	{ "VmLck", offsetof(struct task_diag_statm, locked_vm), false },
	{ "VmPin", offsetof(struct task_diag_statm, pinned_vm), false },
	{ "VmHWM", offsetof(struct task_diag_statm, hiwater_rss), false },
	{ "VmRSS", offsetof(struct task_diag_statm, total_rss), false },
	{ "RssAnon", offsetof(struct task_diag_statm, anon), false },
	{ "RssFile", offsetof(struct task_diag_statm, file), false },
	{ "RssShmem", offsetof(struct task_diag_statm, shmem), false },
	{ "VmData", offsetof(struct task_diag_statm, data_vm), false },
	{ "VmStk", offsetof(struct task_diag_statm, stack_vm), false },
	{ "VmExe", offsetof(struct task_diag_statm, text), false },
	{ "VmLib", offsetof(struct task_diag_statm, lib), false },
	{ "VmPTE", offsetof(struct task_diag_statm, ptes), true },
	{ "VmSwap", offsetof(struct task_diag_statm, swap), false },
};

static __u64 statm_get(const struct task_diag_statm *m, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)m + off, sizeof(v));
	return v;
}

/*
 * Compares a STATM with PROC/PID/status and PROC/PID/statm, both read
 * twice around the comparison: 1 when /proc changed meanwhile.
 */
static int cmp_statm(pid_t pid, const struct task_diag_statm *m, char *why,
		     size_t size)
{
	unsigned long long sz, res, shared, text, lib, data, dt;
	unsigned long long kb_per_page = sysconf(_SC_PAGESIZE) / 1024;
	char st1[8192], st2[8192], sm1[256], sm2[256], path[64];
	size_t i;

	if (read_status_text(pid, 0, st1, sizeof(st1)))
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (proc_read_text(path, sm1, sizeof(sm1)) < 0)
		return 1;
	for (i = 0; i < ARRAY_SIZE(statm_fields); i++) {
		const char *v = status_value(st1, statm_fields[i].key);
		__u64 got = statm_get(m, statm_fields[i].off);
		unsigned long long kb;

		if (!v || sscanf(v, "%llu kB", &kb) != 1) {
			snprintf(why, size, "task %d: no %s in its status", pid,
				 statm_fields[i].key);
			return -1;
		}
		if (statm_fields[i].bytes ? (got >> 10) != kb :
		    got * kb_per_page != kb) {
			snprintf(why, size, "task %d: %s %llu kB, STATM says %llu %s",
				 pid, statm_fields[i].key, kb,
				 (unsigned long long)got,
				 statm_fields[i].bytes ? "bytes" : "pages");
			goto changed;
		}
	}
	if (sscanf(sm1, "%llu %llu %llu %llu %llu %llu %llu", &sz, &res, &shared,
		   &text, &lib, &data, &dt) != 7) {
		snprintf(why, size, "task %d: statm '%s'", pid, sm1);
		return -1;
	}
	if (sz != m->total_vm || res != m->total_rss ||
	    shared != m->file + m->shmem || text != m->text ||
	    data != m->data_vm + m->stack_vm) {
		snprintf(why, size,
			 "task %d: statm '%.100s', STATM total_vm %llu total_rss %llu file+shmem %llu text %llu data+stack %llu",
			 pid, sm1, (unsigned long long)m->total_vm,
			 (unsigned long long)m->total_rss,
			 (unsigned long long)(m->file + m->shmem),
			 (unsigned long long)m->text,
			 (unsigned long long)(m->data_vm + m->stack_vm));
		goto changed;
	}
	return 0;
changed:
	if (read_status_text(pid, 0, st2, sizeof(st2)) ||
	    proc_read_text(path, sm2, sizeof(sm2)) < 0)
		return 1;
	return strcmp(st1, st2) || strcmp(sm1, sm2) ? 1 : -1;
}

static int check_statm(int fd, const struct td_task *t, char *why,
		       size_t size)
{
	struct task_diag_statm m;
	struct td_dump d;
	int tries, ret = 1;

	td_attr_copy(t, TASK_DIAG_STATM, &m, sizeof(m));
	for (tries = 0; tries < 3 && ret > 0; tries++) {
		if (tries) {
			if (dump_one(fd, TASK_DIAG_SHOW_STATM, t->pid, &d)) {
				td_dump_free(&d);
				return 0;	/* gone */
			}
			td_attr_copy(&d.tasks[0], TASK_DIAG_STATM, &m, sizeof(m));
			td_dump_free(&d);
		}
		ret = cmp_statm(t->pid, &m, why, size);
	}
	return ret < 0 ? -1 : 0;
}

/* A process with anonymous, file, shared and locked memory, stopped. */
static pid_t spawn_mem(struct kids *k)
{
	long ps = sysconf(_SC_PAGESIZE);
	pid_t parent = getpid(), pid;
	int p[2];
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char sum = 0;
		char *anon, *file, *shm;
		int i, fd;

		close(p[0]);
		kid_start(parent, "td mem");
		anon = mmap(NULL, 64 * ps, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		file = mmap(NULL, 4 * ps, PROT_READ, MAP_PRIVATE, fd, 0);
		shm = mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (anon == MAP_FAILED || file == MAP_FAILED || shm == MAP_FAILED)
			_exit(1);
		for (i = 0; i < 64; i++)
			anon[i * ps] = 1;
		for (i = 0; i < 4; i++)
			sum += file[i * ps];
		for (i = 0; i < 16; i++)
			shm[i * ps] = 1;
		if (mlock(anon, 4 * ps))
			_exit(1);
		/* A peak above the current size. */
		munmap(anon + 32 * ps, 32 * ps);
		/* Any byte: the sum keeps the reads of the file. */
		if (write(p[1], sum ? "y" : "x", 1) != 1)
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

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

TEST_F_TIMEOUT(grp, statm_matches_proc, 120)
{
	struct task_diag_statm m;
	struct td_dump d;
	char why[512];
	pid_t mem, zombie;
	siginfo_t si;
	size_t i;
	int fd, nr_kthreads = 0;

	mem = spawn_mem(&self->kids);
	ASSERT_LT(0, mem);
	ASSERT_EQ(0, stop_process(mem));
	zombie = fork();
	ASSERT_LE(0, zombie);
	if (zombie == 0)
		_exit(0);
	track(&self->kids, zombie);
	ASSERT_EQ(0, waitid(P_PID, zombie, &si, WEXITED | WNOWAIT));
	fd = td_open();
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, dump_one(fd, TASK_DIAG_SHOW_STATM, mem, &d))
		TH_LOG("%s", d.err);
	EXPECT_EQ(0, check_statm(fd, &d.tasks[0], why, sizeof(why)))
		TH_LOG("%s", why);
	td_attr_copy(&d.tasks[0], TASK_DIAG_STATM, &m, sizeof(m));
	td_dump_free(&d);
	EXPECT_LE(32, m.anon);
	EXPECT_LE(16, m.shmem);
	EXPECT_LE(4, m.locked_vm);
	EXPECT_LT(m.total_vm, m.hiwater_vm);
	EXPECT_LT(0, m.file);
	EXPECT_LT(0, m.text);
	EXPECT_LT(0, m.ptes);
	EXPECT_LT(0, m.stack_vm);

	/* Every stopped or sleeping child of ours, in one dump. */
	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_STATM,
				  TASK_DIAG_DUMP_CHILDREN, getpid(), BUF_1M, &d))
		TH_LOG("%s", d.err);
	ASSERT_NE(NULL, td_find(&d, mem));
	EXPECT_EQ(0, check_statm(fd, td_find(&d, mem), why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_NE(NULL, td_find(&d, zombie));
	EXPECT_TRUE(all_zero(td_find(&d, zombie)->a[TASK_DIAG_STATM].p,
			     td_find(&d, zombie)->a[TASK_DIAG_STATM].len))
		TH_LOG("a zombie has memory");
	td_dump_free(&d);

	/* Kernel threads have no memory. */
	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_STATM,
				  TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d))
		TH_LOG("%s", d.err);
	for (i = 0; i < d.nr; i++) {
		const struct td_task *t = &d.tasks[i];

		if (t->pid != 2 && t->base.ppid != 2)
			continue;
		nr_kthreads++;
		EXPECT_TRUE(all_zero(t->a[TASK_DIAG_STATM].p,
				     t->a[TASK_DIAG_STATM].len))
			TH_LOG("kernel thread %d has memory", t->pid);
	}
	EXPECT_LT(1, nr_kthreads);
	ASSERT_NE(NULL, td_find(&d, 2));
	td_dump_free(&d);
	close(fd);
}

/* ------------------------------------------------------------- CMDLINE */

/* Compares a dumped CMDLINE with @want; 0 when equal. */
static int cmp_bytes(const struct td_task *t, const char *want, size_t len,
		     char *why, size_t size)
{
	const struct td_attr *a = &t->a[TASK_DIAG_CMDLINE];
	size_t i;

	if (a->len == len && (!len || !memcmp(a->p, want, len)))
		return 0;
	for (i = 0; i < len && i < a->len && a->p[i] == (unsigned char)want[i];)
		i++;
	snprintf(why, size, "task %d: CMDLINE of %zu bytes, want %zu; first difference at %zu",
		 t->pid, a->len, len, i);
	return -1;
}

/* The /proc/PID/cmdline of a task; the caller frees it. */
static char *proc_cmdline(pid_t pid, size_t *len)
{
	char path[64], *buf;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (proc_read_all(path, &buf, len))
		return NULL;
	return buf;
}

/* Dumps the CMDLINE of @pid alone and compares it with @want. */
static int check_cmdline(int fd, pid_t pid, const char *want, size_t len,
			 size_t bufsize, char *why, size_t size)
{
	struct td_dump d;
	int ret;

	if (td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_CMDLINE |
			 TASK_DIAG_SHOW_NAME, TASK_DIAG_DUMP_ONE, pid, bufsize,
			 &d) || d.nr != 1) {
		snprintf(why, size, "read size %zu: %zu tasks, %.400s", bufsize,
			 d.nr, d.err);
		td_dump_free(&d);
		return -1;
	}
	ret = cmp_bytes(&d.tasks[0], want, len, why, size);
	if (!ret && d.tasks[0].cut) {
		snprintf(why, size, "task %d cut short", pid);
		ret = -1;
	}
	td_dump_free(&d);
	return ret;
}

TEST_F_TIMEOUT(grp, cmdline_matches_proc, 120)
{
	static char * const argv[] = {
		"td-title", "first", "second argument", "third", NULL,
	};
	char *want, *mine, why[512], env0[5000];
	size_t len, mine_len;
	struct td_dump d;
	pid_t pid, zombie;
	siginfo_t si;
	int fd, i;

	fd = td_open();
	ASSERT_LE(0, fd);
	mine = proc_cmdline(getpid(), &mine_len);
	ASSERT_NE(NULL, mine);
	ASSERT_LT(0, mine_len);
	EXPECT_EQ(0, check_cmdline(fd, getpid(), mine, mine_len, BUF_64K, why,
				   sizeof(why)))
		TH_LOG("%s", why);
	/* A forked child shares the command line. */
	pid = spawn_sleeper(&self->kids, "td cmdline", 0);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, check_cmdline(fd, pid, mine, mine_len, BUF_64K, why,
				   sizeof(why)))
		TH_LOG("%s", why);
	free(mine);

	/*
	 * An exec'd child: as it is, with a title over its arguments, then
	 * running into a short and into a long environment string.
	 */
	for (i = 0; i < 4; i++) {
		static const char * const modes[] = {
			"park", "title", "title_env", "title_env",
		};
		const char *e0 = NULL;

		if (i >= 2) {
			size_t n = i == 2 ? 20 : sizeof(env0) - 1;

			memset(env0, 'v', n);
			memcpy(env0, "TDE=", 4);
			env0[n] = '\0';
			e0 = env0;
		}
		pid = spawn_exec(&self->kids, modes[i], argv, e0);
		ASSERT_LT(0, pid) TH_LOG("mode %s", modes[i]);
		want = proc_cmdline(pid, &len);
		ASSERT_NE(NULL, want);
		EXPECT_EQ(0, check_cmdline(fd, pid, want, len, BUF_64K, why,
					   sizeof(why)))
			TH_LOG("mode %s: %s", modes[i], why);
		EXPECT_EQ(0, check_cmdline(fd, pid, want, len, BUF_1M, why,
					   sizeof(why)))
			TH_LOG("mode %s: %s", modes[i], why);
		switch (i) {
		case 0:
			EXPECT_EQ(sizeof("td-title") + sizeof("first") +
				  sizeof("second argument") + sizeof("third"), len);
			break;
		case 1:
			/* The title, then the rest of the old strings. */
			EXPECT_EQ('T', want[0]);
			EXPECT_EQ(sizeof("td-title") + sizeof("first") +
				  sizeof("second argument") + sizeof("third"), len);
			EXPECT_EQ('\0', want[len - 1]);
			break;
		case 2:
			/* The area, the first environment string and its NUL. */
			EXPECT_EQ(sizeof("td-title") + sizeof("first") +
				  sizeof("second argument") + sizeof("third") +
				  strlen(env0) + 1, len);
			EXPECT_EQ(0, memcmp(want + len - 1 - strlen(env0), env0,
					    strlen(env0) + 1));
			break;
		case 3:
			/* One page of it, without a NUL. */
			EXPECT_EQ(sysconf(_SC_PAGESIZE), len);
			break;
		}
		free(want);
		kill(pid, SIGKILL);
		reap(&self->kids, pid);
	}

	/* Kernel threads and zombies have none. */
	zombie = fork();
	ASSERT_LE(0, zombie);
	if (zombie == 0)
		_exit(0);
	track(&self->kids, zombie);
	ASSERT_EQ(0, waitid(P_PID, zombie, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(0, check_cmdline(fd, zombie, "", 0, BUF_64K, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(0, check_cmdline(fd, 2, "", 0, BUF_64K, why, sizeof(why)))
		TH_LOG("%s", why);

	/* Every process: as its /proc/PID/cmdline, when that holds still. */
	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_CMDLINE, TASK_DIAG_DUMP_ALL,
				  0, BUF_1M, &d))
		TH_LOG("%s", d.err);
	for (i = 0; i < (int)d.nr; i++) {
		const struct td_task *t = &d.tasks[i];

		want = proc_cmdline(t->pid, &len);
		if (!want)
			continue;
		if (cmp_bytes(t, want, len, why, sizeof(why)) &&
		    t->pid != getpid()) {
			char *again = proc_cmdline(t->pid, &mine_len);

			/* A failure only if /proc says the same again. */
			if (again && mine_len == len && !memcmp(again, want, len)) {
				EXPECT_EQ(0, check_cmdline(fd, t->pid, want, len,
							   BUF_64K, why,
							   sizeof(why)))
					TH_LOG("%s", why);
			}
			free(again);
		}
		free(want);
	}
	td_dump_free(&d);
	close(fd);
}

/*
 * Reads a whole dump of @show and @strategy with reads of @bufsize, into
 * @d; returns 0 or -1 with the problem in d->err.
 */
static int dump_sized(int fd, __u64 show, __u64 strategy, pid_t pid,
		      size_t bufsize, struct td_dump *d)
{
	return td_dump_show(fd, show, strategy, pid, bufsize, d);
}

/*
 * Reads a dump through the smallest reads that work: from 16 bytes up, 4
 * more after each EMSGSIZE (which loses nothing). @largest gets the
 * largest read size it took.
 */
static int dump_smallest_reads(int fd, __u64 show, __u64 strategy, pid_t pid,
			       struct td_dump *d, size_t *largest)
{
	__u32 seq = td_next_seq();
	size_t size = 16;
	char *buf = malloc(BUF_64K);
	ssize_t n;
	int ret = -1;

	td_dump_init(d, show, seq);
	d->keep = true;
	d->threads = td_thread_strategy(strategy);
	if (!buf || td_send(fd, show, strategy, pid, seq) < 0) {
		snprintf(d->err, sizeof(d->err), "write: %s", strerror(errno));
		free(buf);
		return -1;
	}
	for (;;) {
		n = read(fd, buf, size);
		if (n < 0 && errno == EMSGSIZE && size < BUF_64K) {
			size += 4;
			continue;
		}
		if (n < 0) {
			snprintf(d->err, sizeof(d->err), "read(%zu): %s", size,
				 strerror(errno));
			break;
		}
		if (n == 0) {
			ret = td_finish(d);
			break;
		}
		if (td_parse(d, buf, n))
			break;
	}
	*largest = size;
	free(buf);
	return ret;
}

TEST_F_TIMEOUT(grp, cmdline_big, 600)
{
	__u64 show = TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_STAT |
		     TASK_DIAG_SHOW_CMDLINE | TASK_DIAG_SHOW_NAME;
	char *want, *proc, why[512];
	size_t len, plen, max, smallest, sizes[7];
	struct td_dump d;
	pid_t big, after;
	int fd, i;

	big = spawn_big(&self->kids, &want, &len);
	ASSERT_LT(0, big);
	after = spawn_sleeper(&self->kids, "td after", 0);
	ASSERT_LT(0, after);
	ASSERT_EQ(0, stop_process(big));
	proc = proc_cmdline(big, &plen);
	ASSERT_NE(NULL, proc);
	ASSERT_EQ(len, plen);
	ASSERT_EQ(0, memcmp(want, proc, len));
	free(proc);
	fd = td_open();
	ASSERT_LE(0, fd);

	/* The longest message: the smallest read that always works. */
	ASSERT_EQ(0, dump_sized(fd, show, TASK_DIAG_DUMP_ONE, big, BUF_1M, &d))
		TH_LOG("%s", d.err);
	ASSERT_EQ(1, d.nr);
	EXPECT_EQ(0, cmp_bytes(&d.tasks[0], want, len, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_LE(2, d.tasks[0].nr_msgs);
	max = d.max_msg_len;
	td_dump_free(&d);
	ASSERT_LT(0, max);

	/* The smallest reads: tiny parts of the command line. */
	ASSERT_EQ(0, dump_smallest_reads(fd, show, TASK_DIAG_DUMP_ONE, big, &d,
					 &smallest))
		TH_LOG("%s", d.err);
	ASSERT_EQ(1, d.nr);
	EXPECT_FALSE(d.tasks[0].cut);
	EXPECT_EQ(0, cmp_bytes(&d.tasks[0], want, len, why, sizeof(why)))
		TH_LOG("smallest reads (up to %zu bytes): %s", smallest, why);
	TH_LOG("smallest reads: up to %zu bytes, %u messages", smallest,
	       d.tasks[0].nr_msgs);
	EXPECT_GE(max, smallest);
	td_dump_free(&d);

	sizes[0] = max;
	sizes[1] = max + 1;
	sizes[2] = max + 3;
	sizes[3] = 2 * max - 1;
	sizes[4] = 3 * max + 5;
	sizes[5] = BUF_64K;
	sizes[6] = BUF_1M;
	for (i = 0; i < 7; i++) {
		const struct td_task *t;

		EXPECT_EQ(0, check_cmdline(fd, big, want, len, sizes[i], why,
					   sizeof(why)))
			TH_LOG("read size %zu: %s", sizes[i], why);
		/* With its siblings, whole and in pid order. */
		ASSERT_EQ(0, dump_sized(fd, show, TASK_DIAG_DUMP_CHILDREN,
					getpid(), sizes[i], &d))
			TH_LOG("read size %zu: %s", sizes[i], d.err);
		t = td_find(&d, big);
		ASSERT_NE(NULL, t);
		EXPECT_FALSE(t->cut);
		EXPECT_EQ(0, cmp_bytes(t, want, len, why, sizeof(why)))
			TH_LOG("read size %zu: %s", sizes[i], why);
		EXPECT_NE(NULL, td_find(&d, after));
		EXPECT_EQ(0, d.nr_cut);
		td_dump_free(&d);
	}
	free(want);
	close(fd);
}

/*
 * A read() that fails loses nothing, at a TASK_DIAG_FLAG_CONT boundary
 * too: between every two reads of one message size, a read too small
 * (EMSGSIZE) and now and then one into an unwritable buffer (EFAULT).
 */
TEST_F_TIMEOUT(grp, cmdline_failed_reads_lose_nothing, 300)
{
	__u64 show = TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_CMDLINE;
	char *want, *buf, *ro;
	size_t len, max;
	struct td_dump d;
	__u32 seq;
	ssize_t n;
	pid_t big;
	int fd, k = 0, cont_fails = 0;

	big = spawn_big(&self->kids, &want, &len);
	ASSERT_LT(0, big);
	ASSERT_EQ(0, stop_process(big));
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dump_sized(fd, show, TASK_DIAG_DUMP_ONE, big, BUF_1M, &d))
		TH_LOG("%s", d.err);
	max = d.max_msg_len;
	td_dump_free(&d);
	buf = malloc(BUF_1M);
	ASSERT_NE(NULL, buf);
	ro = mmap(NULL, BUF_64K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);

	seq = td_next_seq();
	td_dump_init(&d, show, seq);
	d.keep = true;
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, show, TASK_DIAG_DUMP_ONE, big, seq));
	for (;;) {
		bool in_cont = d.nr && (d.tasks[d.nr - 1].flags &
					TASK_DIAG_FLAG_CONT);

		n = read(fd, buf, 16);
		if (n == 0)
			break;
		ASSERT_EQ(-1, n);
		ASSERT_EQ(EMSGSIZE, errno);
		if (k++ % 8 == 0) {
			ASSERT_EQ(-1, read(fd, ro, max));
			ASSERT_EQ(EFAULT, errno);
		}
		cont_fails += in_cont;
		n = read(fd, buf, k % 3 ? max : BUF_1M);
		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
		ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
	}
	ASSERT_EQ(0, td_finish(&d)) TH_LOG("%s", d.err);
	ASSERT_EQ(1, d.nr);
	EXPECT_FALSE(d.tasks[0].cut);
	EXPECT_LT(0, cont_fails);
	EXPECT_EQ(len, d.tasks[0].a[TASK_DIAG_CMDLINE].len);
	EXPECT_EQ(0, memcmp(want, d.tasks[0].a[TASK_DIAG_CMDLINE].p,
			    d.tasks[0].a[TASK_DIAG_CMDLINE].len < len ?
			    d.tasks[0].a[TASK_DIAG_CMDLINE].len : len));
	td_dump_free(&d);
	munmap(ro, BUF_64K);
	free(buf);
	free(want);
	close(fd);
}

/* ---------------------------------------------------------------- NAME */

/* A task's NAME, as a string ("" when none). */
static const char *name_of(const struct td_task *t)
{
	const struct td_attr *a = &t->a[TASK_DIAG_NAME];

	return a->p ? (const char *)a->p : "";
}

/*
 * Whether a task's NAME is field 2 of its /proc stat file, read before or
 * after one of up to ten fresh dumps (kworkers rename themselves as they
 * run work).
 */
static bool name_matches(int fd, const struct td_task *t, bool thread,
			 char *proc_name, size_t size)
{
	struct proc_stat_all a, b;
	char name[TASK_DIAG_NAME_LEN + 1];
	struct td_dump d;
	int tries;

	snprintf(name, sizeof(name), "%s", name_of(t));
	for (tries = 0; tries < 10; tries++) {
		if (proc_read_stat_all("/proc", t->tgid, thread ? t->pid : 0, &a))
			return true;	/* gone */
		snprintf(proc_name, size, "%s", a.name);
		if (!strcmp(name, a.name))
			return true;
		if (dump_one(fd, TASK_DIAG_SHOW_NAME, t->pid, &d)) {
			td_dump_free(&d);
			return true;
		}
		snprintf(name, sizeof(name), "%s", name_of(&d.tasks[0]));
		td_dump_free(&d);
		if (proc_read_stat_all("/proc", t->tgid, thread ? t->pid : 0, &b))
			return true;
		if (!strcmp(name, a.name) || !strcmp(name, b.name))
			return true;
	}
	return false;
}

TEST_F_TIMEOUT(grp, name_matches_stat, 300)
{
	static const char * const names[] = {
		"td (o) d)d n", "fifteen bytes!!", "x",
	};
	int fd, s, long_names = 0, kworkers = 0;
	char proc_name[128];
	pid_t pids[3];
	struct td_dump d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		pids[i] = spawn_sleeper(&self->kids, names[i], 0);
		ASSERT_LT(0, pids[i]);
	}
	fd = td_open();
	ASSERT_LE(0, fd);
	for (s = 0; s < 2; s++) {
		__u64 strategy = s ? TASK_DIAG_DUMP_ALL_THREAD : TASK_DIAG_DUMP_ALL;

		ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_NAME,
					  strategy, 0, BUF_1M, &d))
			TH_LOG("%s", d.err);
		for (i = 0; i < d.nr; i++) {
			const struct td_task *t = &d.tasks[i];
			bool kthread = t->pid == 2 || t->base.ppid == 2;

			EXPECT_TRUE(name_matches(fd, t, s, proc_name,
						 sizeof(proc_name)))
				TH_LOG("task %d: NAME '%s', /proc says '%s'",
				       t->pid, name_of(t), proc_name);
			if (kthread && strlen(name_of(t)) >= TASK_DIAG_COMM_LEN)
				long_names++;
			if (kthread && !strncmp(name_of(t), "kworker/", 8) &&
			    strpbrk(name_of(t), "-+"))
				kworkers++;
		}
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			const struct td_task *t = td_find(&d, pids[i]);

			ASSERT_NE(NULL, t);
			EXPECT_STREQ(names[i], name_of(t));
		}
		td_dump_free(&d);
	}
	EXPECT_LT(0, long_names) TH_LOG("no kernel thread with a long name");
	EXPECT_LT(0, kworkers) TH_LOG("no kworker with its workqueue in its name");
	close(fd);
}

/* -------------------------------------------------------- combinations */

static const __u64 groups[] = {
	TASK_DIAG_SHOW_BASE, TASK_DIAG_SHOW_CRED, TASK_DIAG_SHOW_VMA,
	TASK_DIAG_SHOW_VMA | TASK_DIAG_SHOW_VMA_STAT, TASK_DIAG_SHOW_STAT,
	TASK_DIAG_SHOW_STATM, TASK_DIAG_SHOW_CMDLINE, TASK_DIAG_SHOW_NAME,
};

/*
 * Every subset of the implemented groups with every strategy: well formed,
 * attributes in group order, each task with each group; bounded in time.
 */
TEST_F_TIMEOUT(grp, every_combination, 600)
{
	static const __u64 strategies[] = {
		TASK_DIAG_DUMP_ONE, TASK_DIAG_DUMP_THREAD,
		TASK_DIAG_DUMP_CHILDREN, TASK_DIAG_DUMP_ALL,
		TASK_DIAG_DUMP_ALL_THREAD,
	};
	time_t end = time(NULL) + 240;
	pid_t tids[3], pid;
	unsigned int mask;
	struct td_dump d;
	size_t s, g;
	int fd, n = 0;

	pid = spawn_threaded(&self->kids, 3, tids);
	ASSERT_LT(0, pid);
	ASSERT_LT(0, spawn_sleeper(&self->kids, "td combo", 0));
	fd = td_open();
	ASSERT_LE(0, fd);
	for (s = 0; s < ARRAY_SIZE(strategies); s++) {
		pid_t target = strategies[s] == TASK_DIAG_DUMP_CHILDREN ?
			       getpid() : tids[s % 3];

		for (mask = 0; mask < 1U << ARRAY_SIZE(groups); mask++) {
			__u64 show = 0;

			if (time(NULL) > end && s >= 3)
				break;
			for (g = 0; g < ARRAY_SIZE(groups); g++)
				if (mask & (1U << g))
					show |= groups[g];
			ASSERT_EQ(0, td_dump_show(fd, show, strategies[s], target,
						  mask & 1 ? BUF_64K : 4096, &d))
				TH_LOG("show %#llx strategy %llu: %s",
				       (unsigned long long)show,
				       (unsigned long long)strategies[s], d.err);
			EXPECT_LT(0, d.nr);
			if (strategies[s] == TASK_DIAG_DUMP_ONE)
				EXPECT_EQ(1, d.nr);
			if (strategies[s] == TASK_DIAG_DUMP_THREAD)
				EXPECT_EQ(3, d.nr);
			td_dump_free(&d);
			n++;
		}
	}
	TH_LOG("%d dumps", n);
	close(fd);
}

/* Unknown show_flags bits and the groups not implemented yet: EINVAL. */
TEST_F_TIMEOUT(grp, einval_unknown_groups, 60)
{
	struct td_req req;
	int fd = td_open(), bit;

	ASSERT_LE(0, fd);
	for (bit = TASK_DIAG_VMA; bit < 64; bit++) {
		if (TD_SHOW_IMPLEMENTED & (1ULL << bit))
			continue;
		td_req_init(&req, 1ULL << bit, TASK_DIAG_DUMP_ONE, getpid(), 1);
		EXPECT_EQ(-1, write(fd, &req, sizeof(req))) TH_LOG("bit %d", bit);
		EXPECT_EQ(EINVAL, errno) TH_LOG("bit %d", bit);
		td_req_init(&req, TD_SHOW_IMPLEMENTED | (1ULL << bit),
			    TASK_DIAG_DUMP_ALL, 0, 1);
		EXPECT_EQ(-1, write(fd, &req, sizeof(req))) TH_LOG("bit %d", bit);
		EXPECT_EQ(EINVAL, errno) TH_LOG("bit %d", bit);
	}
	close(fd);
}

/* ------------------------------------------------ visibility and safety */

/*
 * Root writes a request of every process and fails a read(); a child that
 * became nobody reads the rest on the same file. @efault: the failed read
 * is into an unwritable buffer, else into one too small.
 */
static void failed_read_then_nobody(struct __test_metadata *_metadata,
				    struct kids *k, bool efault, __u64 show)
{
	struct report *r = report_new();
	__u32 seq = td_next_seq();
	pid_t sibling, pid;
	char small[16];
	void *ro;
	int fd;

	ASSERT_NE(NULL, r);
	sibling = spawn_nobody_sleeper(k);
	ASSERT_LT(0, sibling);
	ASSERT_LT(0, spawn_sleeper(k, "td root", 0));
	ro = mmap(NULL, BUF_64K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, show, TASK_DIAG_DUMP_ALL, 0, seq));
	if (efault) {
		EXPECT_EQ(-1, read(fd, ro, BUF_64K));
		EXPECT_EQ(EFAULT, errno);
	} else {
		EXPECT_EQ(-1, read(fd, small, sizeof(small)));
		EXPECT_EQ(EMSGSIZE, errno);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_dump d;
		int ret;

		if (drop_to_nobody())
			_exit(2);
		td_dump_init(&d, show, seq);
		ret = td_read_dump(fd, BUF_64K, &d);
		report_dump(r, &d);
		r->ret = ret;
		snprintf(r->err, sizeof(r->err), "%s", d.err);
		_exit(0);
	}
	track(k, pid);
	ASSERT_EQ(0, wait_kid(k, pid));
	ASSERT_EQ(0, r->ret) TH_LOG("%s", r->err);
	EXPECT_TRUE(report_has(r, pid));
	EXPECT_TRUE(report_has(r, sibling));
	expect_nobody_view(_metadata, r);
	munmap(ro, BUF_64K);
	munmap(r, sizeof(*r));
	close(fd);
}

TEST_F_TIMEOUT(grp, emsgsize_then_nobody_reads, 180)
{
	failed_read_then_nobody(_metadata, &self->kids, false,
				TASK_DIAG_SHOW_BASE);
	failed_read_then_nobody(_metadata, &self->kids, false,
				TD_SHOW_IMPLEMENTED);
}

TEST_F_TIMEOUT(grp, efault_then_nobody_reads, 180)
{
	failed_read_then_nobody(_metadata, &self->kids, true,
				TASK_DIAG_SHOW_BASE);
	failed_read_then_nobody(_metadata, &self->kids, true,
				TD_SHOW_IMPLEMENTED);
}

/*
 * A dump of quiescent tasks read with failing reads in between (EFAULT,
 * EMSGSIZE, and buffers whose end is unwritable) has the same tasks as a
 * plain one.
 */
TEST_F_TIMEOUT(grp, efault_reads_lose_nothing, 180)
{
	__u64 show = TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_NAME;
	long ps = sysconf(_SC_PAGESIZE);
	struct td_dump d, ref;
	char *area, *buf;
	pid_t pids[20];
	int fd, round, i;
	__u32 seq;
	ssize_t n;

	ASSERT_EQ(0, spawn_sleepers(&self->kids, 20, "td quiet", 0, pids));
	ASSERT_EQ(0, wait_states(0, pids, 20, 'S'));
	/* Two pages: the first writable, the second not. */
	area = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, mprotect(area + ps, ps, PROT_READ));
	buf = malloc(BUF_64K);
	ASSERT_NE(NULL, buf);
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, td_dump_show(fd, show, TASK_DIAG_DUMP_CHILDREN, getpid(),
				  BUF_64K, &ref))
		TH_LOG("%s", ref.err);
	ASSERT_EQ(20, ref.nr);

	for (round = 0; round < 3; round++) {
		seq = td_next_seq();
		td_dump_init(&d, show, seq);
		d.keep = true;
		ASSERT_EQ(sizeof(struct td_req),
			  td_send(fd, show, TASK_DIAG_DUMP_CHILDREN, getpid(), seq));
		for (i = 0; ; i++) {
			size_t off = (i * 97) % ps;

			/* Each kind of failure in turn, then a read. */
			n = read(fd, area + ps, ps);
			if (n == 0)
				break;
			ASSERT_EQ(-1, n);
			ASSERT_EQ(EFAULT, errno);
			/* Its start writable, its end not. */
			n = read(fd, area + off, 2 * ps - off);
			if (n > 0) {
				ASSERT_GE(ps - off, n);
				memcpy(buf, area + off, n);
				ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
			} else if (n < 0) {
				ASSERT_EQ(EFAULT, errno);
			} else {
				break;
			}
			n = read(fd, buf, round == 2 ? 1 : 4);
			if (n == 0)
				break;
			ASSERT_EQ(-1, n);
			ASSERT_EQ(EMSGSIZE, errno);
			n = read(fd, buf, round ? BUF_64K : TD_BASE_MSG_LEN + 64);
			if (n == 0)
				break;
			ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
			ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
		}
		ASSERT_EQ(0, td_finish(&d)) TH_LOG("round %d: %s", round, d.err);
		EXPECT_EQ(ref.nr, d.nr) TH_LOG("round %d", round);
		for (i = 0; i < (int)ref.nr; i++) {
			EXPECT_NE(NULL, td_find(&d, ref.tasks[i].pid))
				TH_LOG("round %d: %d lost", round, ref.tasks[i].pid);
		}
		td_dump_free(&d);
	}
	td_dump_free(&ref);
	free(buf);
	munmap(area, 2 * ps);
	close(fd);
}

/* PF_SUPERPRIV (field 9 of /proc/self/stat) of the calling process. */
static int superpriv(void)
{
	struct proc_stat_all st;

	if (proc_read_stat_all("/proc", getpid(), sys_gettid(), &st))
		return -1;
	return !!(st.f[9] & PF_SUPERPRIV_FLAG);
}

/*
 * The visibility checks of a dump use capabilities as /proc/PID/stat does
 * (PTRACE_MODE_NOAUDIT): on this kernel ns_capable_noaudit() still sets
 * PF_SUPERPRIV, so what can be seen from user space is that a dump marks a
 * fresh child of root exactly when reading the same tasks' stat files does,
 * and never when it sees only tasks of its own user.
 */
TEST_F_TIMEOUT(grp, dump_uses_capabilities_as_proc_stat, 180)
{
	struct report *r = report_new();
	pid_t nobody, pid;
	int i, marks[3];

	ASSERT_NE(NULL, r);
	nobody = spawn_nobody_sleeper(&self->kids);
	ASSERT_LT(0, nobody);
	/* 0: stat of nobody's task; 1: a dump that sees it; 2: as nobody. */
	for (i = 0; i < 3; i++) {
		r->ret = -1;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct td_dump d;
			char path[64], buf[256];
			int fd;

			if (i == 2) {
				pid_t g;

				if (setgid(65534) || setuid(65534)) {
					report_fail(r, "setuid: %s", strerror(errno));
					_exit(0);
				}
				/* setuid() used CAP_SETUID: a fork starts clear. */
				g = fork();
				if (g < 0) {
					report_fail(r, "fork: %s", strerror(errno));
					_exit(0);
				}
				if (g > 0) {
					waitpid(g, NULL, 0);
					_exit(0);
				}
			}
			fd = td_open();
			if (fd < 0 || superpriv()) {
				report_fail(r, "set before the read");
				_exit(0);
			}
			if (i == 0) {
				snprintf(path, sizeof(path), "/proc/%d/stat", nobody);
				if (proc_read_text(path, buf, sizeof(buf)) < 0) {
					report_fail(r, "stat: %s", strerror(errno));
					_exit(0);
				}
			} else if (td_dump_show(fd, TD_SHOW_IMPLEMENTED,
						TASK_DIAG_DUMP_ALL, 0, BUF_1M, &d) ||
				   !td_find(&d, nobody)) {
				report_fail(r, "dump: %s", d.err);
				_exit(0);
			} else {
				td_dump_free(&d);
			}
			r->ret = superpriv();
			_exit(0);
		}
		track(&self->kids, pid);
		ASSERT_EQ(0, wait_kid(&self->kids, pid));
		ASSERT_LE(0, r->ret) TH_LOG("%s", r->err);
		marks[i] = r->ret;
	}
	EXPECT_EQ(marks[0], marks[1]) TH_LOG("stat: %d, dump: %d", marks[0], marks[1]);
	EXPECT_EQ(0, marks[2]);
	munmap(r, sizeof(*r));
}

/*
 * The big child is killed after its first message: its later messages, if
 * any, carry its pid and tgid, no message has pid 0 (the parser checks),
 * and the dump goes on with the next task, whole.
 */
static void exit_between_messages(struct __test_metadata *_metadata,
				  struct kids *k, __u64 strategy, bool do_reap)
{
	__u64 show = TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_STAT |
		     TASK_DIAG_SHOW_CMDLINE | TASK_DIAG_SHOW_NAME;
	size_t len, max;
	const struct td_task *t;
	struct td_dump d;
	pid_t big, after;
	bool killed = false;
	__u32 seq;
	char *want, *buf;
	ssize_t n;
	int fd;

	big = spawn_big(k, &want, &len);
	ASSERT_LT(0, big);
	free(want);
	after = spawn_sleeper(k, "td after", 0);
	ASSERT_LT(0, after);
	ASSERT_LT(big, after) TH_LOG("pids wrapped");
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, td_dump_show(fd, show, TASK_DIAG_DUMP_ONE, big, BUF_1M, &d))
		TH_LOG("%s", d.err);
	max = d.max_msg_len;
	td_dump_free(&d);
	buf = malloc(max);
	ASSERT_NE(NULL, buf);

	seq = td_next_seq();
	td_dump_init(&d, show, seq);
	d.keep = true;
	d.threads = td_thread_strategy(strategy);
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, show, strategy, getpid(), seq));
	while ((n = read(fd, buf, max)) > 0) {
		ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
		t = td_find(&d, big);
		if (!killed && t && (t->flags & TASK_DIAG_FLAG_CONT)) {
			ASSERT_EQ(0, kill(big, SIGKILL));
			ASSERT_LE(0, do_reap ? reap(k, big) :
				  wait_state(big, 0, 'Z'));
			killed = true;
		}
	}
	ASSERT_EQ(0, n) TH_LOG("read: %s", strerror(errno));
	ASSERT_EQ(0, td_finish(&d)) TH_LOG("%s", d.err);
	ASSERT_TRUE(killed);
	t = td_find(&d, big);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(big, t->tgid);
	t = td_find(&d, after);
	ASSERT_NE(NULL, t) TH_LOG("the dump ended with the task that exited");
	EXPECT_FALSE(t->cut);
	EXPECT_EQ(show, t->attrs) TH_LOG("the next task lost groups");
	EXPECT_STREQ("td after", name_of(t));
	td_dump_free(&d);
	free(buf);
	close(fd);
}

TEST_F_TIMEOUT(grp, cont_task_exits_between_messages, 300)
{
	exit_between_messages(_metadata, &self->kids, TASK_DIAG_DUMP_CHILDREN,
			      true);
	exit_between_messages(_metadata, &self->kids, TASK_DIAG_DUMP_CHILDREN,
			      false);
	exit_between_messages(_metadata, &self->kids, TASK_DIAG_DUMP_ALL, true);
}

static void *idle_thread(void *arg)
{
	(void)arg;
	park();
}

/*
 * THREAD of a process that is killed after the first message, its tgid
 * then given (through ns_last_pid, when there is one) to a new process of
 * as many threads: every task of the dump is one of the first process's
 * threads.
 */
TEST_F_TIMEOUT(grp, thread_dump_of_reused_tgid, 120)
{
	struct td_dump d;
	pid_t tids[10], pid, again = 0;
	char buf[4096], last[32];
	struct pid_set old = { 0 };
	__u32 seq = td_next_seq();
	bool killed = false;
	ssize_t n;
	size_t i;
	int fd;

	pid = spawn_threaded(&self->kids, 10, tids);
	ASSERT_LT(0, pid);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, pid_set_add(&old, tids[i], pid));
	pid_set_sort(&old);
	fd = td_open();
	ASSERT_LE(0, fd);
	td_dump_init(&d, TASK_DIAG_SHOW_BASE, seq);
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, TASK_DIAG_SHOW_BASE, TASK_DIAG_DUMP_THREAD, pid, seq));
	while ((n = read(fd, buf, TD_BASE_MSG_LEN)) > 0) {
		ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
		if (killed)
			continue;
		killed = true;
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_LE(0, reap(&self->kids, pid));
		snprintf(last, sizeof(last), "%d", pid - 1);
		if (write_file("/proc/sys/kernel/ns_last_pid", last))
			TH_LOG("no ns_last_pid: the tgid is not reused");
		again = fork();
		ASSERT_LE(0, again);
		if (again == 0) {
			pthread_t th;
			int j;

			/* Threads of ids the first process never had. */
			snprintf(last, sizeof(last), "%d", pid + 1000);
			write_file("/proc/sys/kernel/ns_last_pid", last);
			for (j = 1; j < 10; j++)
				pthread_create(&th, NULL, idle_thread, NULL);
			park();
		}
		track(&self->kids, again);
		if (again != pid)
			TH_LOG("the new process is %d, not %d", again, pid);
		usleep(100000);
	}
	ASSERT_EQ(0, n) TH_LOG("read: %s", strerror(errno));
	ASSERT_EQ(0, td_finish(&d)) TH_LOG("%s", d.err);
	for (i = 0; i < d.nr; i++) {
		EXPECT_EQ(pid, d.tasks[i].tgid);
		EXPECT_NE(NULL, pid_set_find(&old, d.tasks[i].pid))
			TH_LOG("task %d is not a thread of the first process",
			       d.tasks[i].pid);
	}
	pid_set_free(&old);
	td_dump_free(&d);
	close(fd);
}

/* Nobody dumps every process past 200 root sleepers it may not see. */
TEST_F_TIMEOUT(grp, unprivileged_many_invisible, 300)
{
	static const size_t sizes[] = { TD_BASE_MSG_LEN, 4096, BUF_1M };
	struct report *r = report_new();
	static pid_t pids[200];
	pid_t pid;
	int i;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 200, "td hidden", 0, pids));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_dump d;
		size_t s;
		int fd;

		if (drop_to_nobody())
			_exit(2);
		fd = td_open();
		if (fd < 0)
			_exit(3);
		r->ret = 0;
		for (s = 0; s < ARRAY_SIZE(sizes) && !r->ret; s++) {
			if (td_dump_show(fd, s == 1 ? TD_SHOW_IMPLEMENTED :
					 TASK_DIAG_SHOW_BASE, s ?
					 TASK_DIAG_DUMP_ALL_THREAD :
					 TASK_DIAG_DUMP_ALL, 0, sizes[s], &d))
				report_fail(r, "read size %zu: %s", sizes[s], d.err);
			report_dump(r, &d);
			td_dump_free(&d);
		}
		_exit(0);
	}
	track(&self->kids, pid);
	ASSERT_EQ(0, wait_kid(&self->kids, pid));
	ASSERT_EQ(0, r->ret) TH_LOG("%s", r->err);
	EXPECT_TRUE(report_has(r, pid));
	for (i = 0; i < 200; i++) {
		EXPECT_FALSE(report_has(r, pids[i]))
			TH_LOG("root sleeper %d", pids[i]);
	}
	expect_nobody_view(_metadata, r);
	munmap(r, sizeof(*r));
}

/*
 * Open, write and close without reading a dump to its end, many times:
 * the dump's memory is freed on close (kmemleak checks it in the VM).
 */
TEST_F_TIMEOUT(grp, open_write_close_cycles, 180)
{
	time_t end = time(NULL) + 30;
	char buf[4096];
	int i, fd;

	ASSERT_LT(0, spawn_sleeper(&self->kids, "td cycles", 0));
	for (i = 0; i < 2000 && time(NULL) < end; i++) {
		__u64 show = i % 2 ? TD_SHOW_IMPLEMENTED : TASK_DIAG_SHOW_BASE;

		fd = td_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(sizeof(struct td_req),
			  td_send(fd, show, i % 3 ? TASK_DIAG_DUMP_ALL :
				  TASK_DIAG_DUMP_CHILDREN, getpid(), i));
		switch (i % 4) {
		case 1:
			EXPECT_EQ(-1, read(fd, buf, 8));
			EXPECT_EQ(EMSGSIZE, errno);
			break;
		case 2:
			EXPECT_LT(0, read(fd, buf, sizeof(buf)));
			break;
		case 3:
			EXPECT_EQ(-1, td_send(fd, show, TASK_DIAG_DUMP_ALL, 0, i));
			EXPECT_EQ(EBUSY, errno);
			break;
		}
		close(fd);
	}
	TH_LOG("%d cycles", i);
}

TEST_HARNESS_MAIN
