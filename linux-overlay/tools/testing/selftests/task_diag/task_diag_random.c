// SPDX-License-Identifier: GPL-2.0
/*
 * A randomised robustness test of /proc/task_diag: random requests (lengths,
 * nlmsg_len, show_flags with unknown bits, strategies, pids, reserved and
 * trailing bytes), random read sizes and unwritable buffers, a file shared
 * by root and a process of nobody, and a fork/exit storm behind it all.
 * Every response must be well formed (the checks of td_parse()) and every
 * error one that the header documents for the call.
 *
 * TD_RANDOM_SECONDS (default 60) bounds its run time, TD_RANDOM_SEED makes
 * a run repeatable; it stops after 100,000 transactions in any case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "task_diag_util.h"

#define MAX_TRANSACTIONS	100000
#define DEFAULT_SECONDS		60
#define READ_MAX		(1024 * 1024)
#define WRITE_MAX		(NLMSG_HDRLEN + 4096 + 64)
/* No message is this long: a read of this size never fails with EMSGSIZE. */
#define MSG_BOUND		(64 * 1024)
#define PAYLOAD_MAX		4096

#define CHILD_ENV		"TD_RANDOM_CHILD"
#define BIG_ARGS		3
#define BIG_ARG_LEN		100000

/* An exec'd copy of this program with CHILD_ENV set only sleeps. */
static void __attribute__((constructor)) exec_child(void)
{
	if (!getenv(CHILD_ENV))
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	park();
}

/* A child with a command line of a few hundred KiB: split in messages. */
static pid_t spawn_big(struct kids *k)
{
	static char env[] = CHILD_ENV "=1";
	char *argv[BIG_ARGS + 2], *envp[] = { env, NULL };
	pid_t pid;
	int i;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		argv[0] = "td-random-big";
		for (i = 1; i <= BIG_ARGS; i++) {
			argv[i] = malloc(BIG_ARG_LEN + 1);
			if (!argv[i])
				_exit(1);
			memset(argv[i], 'a' + i, BIG_ARG_LEN);
			argv[i][BIG_ARG_LEN] = '\0';
		}
		argv[BIG_ARGS + 1] = NULL;
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	track(k, pid);
	return pid;
}

/* xorshift64*: a small generator that a seed makes repeatable. */
static __u64 rnd_state;

static __u64 rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

/* A number below @n. */
static __u64 below(__u64 n)
{
	return n ? rnd() % n : 0;
}

/* True with probability @pct percent. */
static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* What the nobody helper does for us, through shared memory. */
struct helper {
	int		op;	/* 1: read, 2: write */
	size_t		len;
	ssize_t		ret;
	int		err;
	unsigned char	req[WRITE_MAX];
	unsigned char	buf[READ_MAX];
};

/* One file and the dump going on in it. */
struct stream {
	int		fd;
	bool		shared;		/* also read and written by the helper */
	bool		active;		/* a request was accepted ... */
	bool		done;		/* ... and its NLMSG_DONE was read */
	bool		nobody_wrote;	/* the helper wrote the request */
	struct td_dump	d;
};

struct ctx {
	struct helper		*h;
	int			sock;		/* to the helper */
	pid_t			helper;
	pid_t			targets[12];
	int			nr_targets;
	unsigned char		*wbuf;
	unsigned char		*rbuf;
	void			*ro;		/* READ_MAX unwritable bytes */
	void			*none;		/* a page without access */
	unsigned long		transactions;
	unsigned long		reads;
	unsigned long		dumps;
	unsigned long		errors[4];	/* EMSGSIZE, EFAULT, EINVAL, E2BIG */
	char			err[1024];
};

static __printf(2, 3) void fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* The helper: nobody, it reads and writes the shared file on request. */
static __noreturn void helper_main(int sock, int fd, struct helper *h)
{
	char c;

	if (drop_to_nobody())
		_exit(2);
	while (read(sock, &c, 1) == 1) {
		if (h->op == 1)
			h->ret = read(fd, h->buf, h->len);
		else
			h->ret = write(fd, h->req, h->len);
		h->err = h->ret < 0 ? errno : 0;
		if (write(sock, &c, 1) != 1)
			break;
	}
	_exit(0);
}

static int helper_call(struct ctx *c, int op, size_t len)
{
	char x = 'x';

	c->h->op = op;
	c->h->len = len;
	if (write(c->sock, &x, 1) != 1 || read(c->sock, &x, 1) != 1) {
		fail(c, "the helper is gone");
		return -1;
	}
	return 0;
}

/* The pid a request names: one of ours, 0, 1, 2, a dead one, any. */
static __u32 random_pid(struct ctx *c)
{
	if (chance(80))
		return c->targets[below(c->nr_targets)];
	if (chance(50))
		return below(3);
	return below(4194304 + 10);
}

static __u64 random_show(void)
{
	__u64 show = 0;
	int bit;

	for (bit = 0; bit <= TASK_DIAG_ATTR_MAX; bit++)
		if ((TD_SHOW_IMPLEMENTED & (1ULL << bit)) && chance(40))
			show |= 1ULL << bit;
	if (chance(10))
		show |= 1ULL << (TASK_DIAG_VMA + below(2));
	if (chance(10))
		show |= 1ULL << (TASK_DIAG_ATTR_MAX + 1 + below(63 - TASK_DIAG_ATTR_MAX));
	return show;
}

static __u64 random_strategy(void)
{
	static const __u64 bad[] = { 5, 6, 255, 1ULL << 32, ~0ULL };

	if (chance(94))
		return below(5);
	return bad[below(ARRAY_SIZE(bad))];
}

/* The errors write() may return, as bits of a set. */
enum { W_EINVAL, W_E2BIG, W_ESRCH, W_EBUSY, W_EFAULT, W_ENOMEM, W_OTHER = 31 };
#define E(x)	(1U << (x))

static int errbit(int e)
{
	switch (e) {
	case EINVAL:
		return W_EINVAL;
	case E2BIG:
		return W_E2BIG;
	case ESRCH:
		return W_ESRCH;
	case EBUSY:
		return W_EBUSY;
	case EFAULT:
		return W_EFAULT;
	case ENOMEM:
		return W_ENOMEM;
	}
	return W_OTHER;
}

/*
 * Builds a random request in c->wbuf; returns its length and the errors
 * it deserves in @errs (a request without any may also succeed).
 */
static size_t random_request(struct ctx *c, unsigned int *errs, __u64 *show,
			     __u32 *seq)
{
	size_t req_len = NLMSG_HDRLEN + sizeof(struct task_diag_pid);
	struct td_req req;
	size_t len, i;

	*show = random_show();
	*seq = rnd();
	td_req_init(&req, *show, random_strategy(), random_pid(c), *seq);
	if (chance(4))
		req.pid.reserved = 1 + below(0xffffffffULL);
	if (chance(2))
		req.hdr.nlmsg_type = rnd();
	len = req_len;
	if (chance(6))
		len = 1 + below(req_len - 1);
	else if (chance(8))
		len = req_len + 1 + below(WRITE_MAX - req_len);
	memset(c->wbuf, 0, WRITE_MAX);
	req.hdr.nlmsg_len = len;
	if (chance(4))
		req.hdr.nlmsg_len = below(WRITE_MAX + 16);
	memcpy(c->wbuf, &req, len < sizeof(req) ? len : sizeof(req));
	if (len > req_len && chance(50))
		c->wbuf[req_len + below(len - req_len)] = 1 + below(255);

	*errs = E(W_ENOMEM);
	if (len < req_len || req.hdr.nlmsg_len != len)
		*errs |= E(W_EINVAL);
	if (len >= req_len) {
		if ((req.pid.show_flags & ~TD_SHOW_IMPLEMENTED) ||
		    (req.pid.show_flags & (TASK_DIAG_SHOW_VMA |
					   TASK_DIAG_SHOW_VMA_STAT)) ==
		    TASK_DIAG_SHOW_VMA_STAT ||
		    req.pid.dump_strategy > TASK_DIAG_DUMP_THREAD ||
		    req.pid.reserved)
			*errs |= E(W_EINVAL);
		for (i = req_len; i < len; i++)
			if (c->wbuf[i])
				*errs |= E(W_E2BIG);
		if (len - NLMSG_HDRLEN > PAYLOAD_MAX)
			*errs |= E(W_E2BIG);
		if (!(*errs & (E(W_EINVAL) | E(W_E2BIG))) &&
		    (req.pid.dump_strategy == TASK_DIAG_DUMP_ONE ||
		     req.pid.dump_strategy == TASK_DIAG_DUMP_CHILDREN ||
		     req.pid.dump_strategy == TASK_DIAG_DUMP_THREAD))
			*errs |= E(W_ESRCH);
	}
	return len;
}

static void start_dump(struct stream *s, __u64 show, __u32 seq,
		       __u64 strategy, bool by_nobody)
{
	td_dump_free(&s->d);
	td_dump_init(&s->d, show, seq);
	s->d.threads = td_thread_strategy(strategy);
	s->active = true;
	s->done = false;
	s->nobody_wrote = by_nobody;
}

/* The strategy of the request in the write buffer, which was accepted. */
static __u64 written_strategy(const struct ctx *c)
{
	struct td_req req;

	memcpy(&req, c->wbuf, sizeof(req));
	return req.pid.dump_strategy;
}

/* One write() of a random request, by us or by the helper. */
static void do_write(struct ctx *c, struct stream *s)
{
	bool by_helper = s->shared && chance(30);
	bool bad_buf = !by_helper && chance(2);
	unsigned int errs, want_fatal;
	ssize_t ret;
	__u64 show;
	__u32 seq;
	size_t len;
	int err;

	len = random_request(c, &errs, &show, &seq);
	want_fatal = errs & (E(W_EINVAL) | E(W_E2BIG));
	if (s->active)
		errs |= E(W_EBUSY);
	if (bad_buf)
		errs |= E(W_EFAULT);
	c->transactions++;
	if (by_helper) {
		memcpy(c->h->req, c->wbuf, len);
		if (helper_call(c, 2, len))
			return;
		ret = c->h->ret;
		err = c->h->err;
	} else {
		ret = write(s->fd, bad_buf ? c->none : c->wbuf, len);
		err = errno;
	}
	if (ret >= 0) {
		if (ret != (ssize_t)len)
			fail(c, "write(%zu) returned %zd", len, ret);
		else if (want_fatal || bad_buf)
			fail(c, "write(%zu) of a bad request succeeded (errors %#x%s)",
			     len, want_fatal, bad_buf ? ", bad buffer" : "");
		else if (s->active && !s->done)
			fail(c, "write(%zu) succeeded during a dump", len);
		else
			start_dump(s, show, seq, written_strategy(c), by_helper);
		return;
	}
	if (errbit(err) == W_OTHER || !(errs & E(errbit(err)))) {
		/* @errs: EINVAL 1, E2BIG 2, ESRCH 4, EBUSY 8, EFAULT 16, ENOMEM 32 */
		fail(c, "write(%zu%s) by %s: %s, want one of %#x",
		     len, bad_buf ? ", bad buffer" : "",
		     by_helper ? "nobody" : "root", strerror(err), errs);
		return;
	}
	/* A refused request changes nothing: the dump goes on, if any. */
	if (err == EINVAL)
		c->errors[2]++;
	if (err == E2BIG)
		c->errors[3]++;
}

/*
 * Checks a read of a dump that nobody wrote or read: no pid 1, and, when
 * nobody read it (@by_nobody), not our process either; when we read it, our
 * own threads may be there (a task may always read its own process).
 */
static void check_restricted(struct ctx *c, const unsigned char *buf, size_t n,
			     bool by_nobody)
{
	size_t off = 0;

	while (off + NLMSG_HDRLEN <= n) {
		struct nlmsghdr h;
		struct task_diag_msg m;

		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN)
			return;
		if (h.nlmsg_type == TASK_DIAG_CMD_GET &&
		    h.nlmsg_len >= NLMSG_HDRLEN + sizeof(m)) {
			memcpy(&m, buf + off + NLMSG_HDRLEN, sizeof(m));
			if (m.pid == 1 || (by_nobody && (pid_t)m.tgid == getpid()))
				fail(c, "nobody was shown task %u of root", m.pid);
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
}

static size_t random_read_size(void)
{
	switch (below(8)) {
	case 0:
		return 1 + below(64);
	case 1:
		return TD_BASE_MSG_LEN + below(16);
	case 2:
		return READ_MAX;
	case 3:
		return MSG_BOUND;
	default:
		return 1 + below(1ULL << (6 + below(13)));
	}
}

/* One read() of a random size into a random buffer, by us or the helper. */
static void do_read(struct ctx *c, struct stream *s)
{
	bool by_helper = s->shared && chance(30);
	bool bad_buf = !by_helper && chance(3);
	size_t size = random_read_size();
	unsigned char *buf;
	ssize_t n;
	int err;

	c->reads++;
	if (by_helper) {
		if (helper_call(c, 1, size))
			return;
		n = c->h->ret;
		err = c->h->err;
		buf = c->h->buf;
	} else {
		buf = bad_buf ? c->ro : c->rbuf;
		n = read(s->fd, buf, size);
		err = errno;
	}
	if (n < 0) {
		if (err == EMSGSIZE && s->active && !s->done && size < MSG_BOUND) {
			c->errors[0]++;
			return;
		}
		if (err == EFAULT && bad_buf) {
			c->errors[1]++;
			return;
		}
		if (err == ENOMEM)
			return;
		fail(c, "read(%zu%s) by %s: %s (dump %s)", size,
		     bad_buf ? ", unwritable" : "", by_helper ? "nobody" : "root",
		     strerror(err), s->active ? s->done ? "done" : "going on" :
		     "none");
		return;
	}
	if (n == 0) {
		if (s->active && !s->done) {
			fail(c, "read(%zu) returned 0 before NLMSG_DONE", size);
			return;
		}
		if (s->active && td_finish(&s->d))
			fail(c, "dump: %s", s->d.err);
		if (s->active)
			c->dumps++;
		s->active = false;
		return;
	}
	if (bad_buf) {
		fail(c, "read(%zu) into an unwritable buffer returned %zd", size, n);
		return;
	}
	if ((size_t)n > size || !s->active || s->done) {
		fail(c, "read(%zu) returned %zd (dump %s)", size, n,
		     s->active ? s->done ? "done" : "going on" : "none");
		return;
	}
	if (by_helper || s->nobody_wrote)
		check_restricted(c, buf, n, by_helper);
	if (td_parse(&s->d, buf, n)) {
		fail(c, "read(%zu) by %s: %s", size, by_helper ? "nobody" : "root",
		     s->d.err);
		return;
	}
	s->done = s->d.nr_done > 0;
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

FIXTURE(rnd) {
	struct kids	kids;
};

FIXTURE_SETUP(rnd)
{
	self->kids.nr = 0;
	if (access(TD_PATH, F_OK))
		SKIP(return, "%s: %s (a kernel without CONFIG_PROC_TASK_DIAG?)",
		     TD_PATH, strerror(errno));
	if (geteuid())
		SKIP(return, "must run as root");
}

FIXTURE_TEARDOWN(rnd)
{
	kids_kill(&self->kids);
}

/*
 * The timeout covers the longest run TD_RANDOM_SECONDS may ask for (300 s)
 * and the setup, on a slow emulated debug kernel.
 */
TEST_F_TIMEOUT(rnd, random_requests_and_reads, 400)
{
	unsigned long seconds = env_ulong("TD_RANDOM_SECONDS", DEFAULT_SECONDS);
	unsigned long seed = env_ulong("TD_RANDOM_SEED", time(NULL) ^ getpid());
	struct stream streams[2] = { 0 };
	pid_t tids[3], dead;
	struct ctx c = { 0 };
	int sv[2], i;
	time_t end;

	if (seconds > 300)
		seconds = 300;
	rnd_state = seed * 2 + 1;
	ksft_print_msg("seed %lu, %lu s\n", seed, seconds);

	c.h = mmap(NULL, sizeof(*c.h), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c.h);
	c.ro = mmap(NULL, READ_MAX, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c.ro);
	c.none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c.none);
	c.wbuf = malloc(WRITE_MAX);
	c.rbuf = malloc(READ_MAX);
	ASSERT_NE(NULL, c.wbuf);
	ASSERT_NE(NULL, c.rbuf);

	/* Tasks to name: ours, threads, a nobody, a big one, a dead one. */
	c.targets[c.nr_targets++] = getpid();
	ASSERT_EQ(0, spawn_sleepers(&self->kids, 4, "td rnd", 0, NULL));
	c.targets[c.nr_targets] = spawn_threaded(&self->kids, 3, tids);
	ASSERT_LT(0, c.targets[c.nr_targets++]);
	c.targets[c.nr_targets++] = tids[2];
	c.targets[c.nr_targets] = spawn_nobody_sleeper(&self->kids);
	ASSERT_LT(0, c.targets[c.nr_targets++]);
	c.targets[c.nr_targets] = spawn_big(&self->kids);
	ASSERT_LT(0, c.targets[c.nr_targets++]);
	dead = fork();
	ASSERT_LE(0, dead);
	if (dead == 0)
		_exit(0);
	ASSERT_EQ(dead, waitpid(dead, NULL, 0));
	c.targets[c.nr_targets++] = dead;
	c.targets[c.nr_targets] = spawn_fork_storm(&self->kids);
	ASSERT_LT(0, c.targets[c.nr_targets++]);
	c.targets[c.nr_targets++] = 1;

	/* The shared file, and the helper that uses it as nobody. */
	streams[0].fd = td_open();
	ASSERT_LE(0, streams[0].fd);
	streams[0].shared = true;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	c.helper = fork();
	ASSERT_LE(0, c.helper);
	if (c.helper == 0) {
		close(sv[0]);
		kid_start(getppid(), "td rnd helper");
		helper_main(sv[1], streams[0].fd, c.h);
	}
	track(&self->kids, c.helper);
	close(sv[1]);
	c.sock = sv[0];
	streams[1].fd = td_open();
	ASSERT_LE(0, streams[1].fd);

	end = time(NULL) + seconds;
	while (!c.err[0] && c.transactions < MAX_TRANSACTIONS &&
	       time(NULL) < end) {
		struct stream *s = &streams[below(2)];
		unsigned int op = below(100);

		if (op < 25) {
			do_write(&c, s);
		} else if (op < 98) {
			/* Mostly to the end of what is going on. */
			for (i = 0; i < 1 + (int)below(20) && !c.err[0]; i++)
				do_read(&c, s);
		} else if (!s->shared) {
			/* Close in the middle of anything; a fresh file. */
			close(s->fd);
			td_dump_free(&s->d);
			memset(s, 0, sizeof(*s));
			s->fd = td_open();
			ASSERT_LE(0, s->fd);
		}
	}
	ksft_print_msg("%lu transactions, %lu reads, %lu whole dumps\n",
		       c.transactions, c.reads, c.dumps);
	ksft_print_msg("errors: EMSGSIZE %lu, EFAULT %lu, EINVAL %lu, E2BIG %lu\n",
		       c.errors[0], c.errors[1], c.errors[2], c.errors[3]);
	EXPECT_STREQ("", c.err) TH_LOG("seed %lu", seed);
	EXPECT_LT(0, c.dumps);
	for (i = 0; i < 2; i++) {
		td_dump_free(&streams[i].d);
		close(streams[i].fd);
	}
	close(c.sock);
	free(c.wbuf);
	free(c.rbuf);
}

TEST_HARNESS_MAIN
