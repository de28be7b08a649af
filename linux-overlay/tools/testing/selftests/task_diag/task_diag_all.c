// SPDX-License-Identifier: GPL-2.0
/*
 * task_diag_all all|All|threads|children|one [--pid N] [--quiet] [--base]
 *		 [--cred] [--stat] [--statm] [--vma] [--vma-stat] [--cmdline]
 *		 [--name] [--groups LIST] [--show MASK] [--bufsize N] [--time]
 *
 * The task_diag side of the benchmarks: one dump of /proc/task_diag.
 *
 *	all		every process (TASK_DIAG_DUMP_ALL)
 *	All		every thread (TASK_DIAG_DUMP_ALL_THREAD)
 *	threads		the threads of the process of --pid (TASK_DIAG_DUMP_THREAD)
 *	children	the children of --pid (TASK_DIAG_DUMP_CHILDREN)
 *	one		the task --pid (TASK_DIAG_DUMP_ONE)
 *
 * --pid defaults to 1. The groups are those of the group options, of
 * --groups LIST (comma-separated group names: base, cred, vma, vma-stat,
 * stat, statm, cmdline, name; "none" for no group) and of --show MASK (the
 * show_flags, as a number: 0 asks for no group, the floor of the walk),
 * or'ed; --base alone when none of them is given. Prints one line per
 * task with its BASE unless --quiet, then "tasks: N". Reads with a buffer
 * of --bufsize bytes, 256 KiB by default: some 3,400 tasks of BASE a read,
 * and a quarter of the page faults of 1 MiB. --time prints to stderr the
 * time from the request to the end of the dump: the interface's cost
 * without the program's start and exit.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "task_diag_util.h"

static __noreturn __printf(1, 2) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "task_diag_all: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static __noreturn void bad_usage(void)
{
	fprintf(stderr,
		"usage: task_diag_all all|All|threads|children|one [--pid N] [--quiet]\n"
		"       [--base] [--cred] [--stat] [--statm] [--vma] [--vma-stat]\n"
		"       [--cmdline] [--name] [--groups LIST] [--show MASK]\n"
		"       [--bufsize N] [--time]\n");
	exit(2);
}

static long parse_number(const char *name, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		die("%s %s: want a number in [%ld, %ld]", name, s, min, max);
	return v;
}

/* A show_flags value: any 64-bit number, the kernel refuses unknown bits. */
static __u64 parse_mask(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die("--show %s: want a number, as 0x71", s);
	return v;
}

enum {
	OPT_PID = 'p',
	OPT_QUIET = 'q',
	OPT_BUFSIZE = 'b',
	OPT_TIME = 't',
	OPT_GROUPS = 'g',
	OPT_SHOW = 's',
	OPT_GROUP = 0x100,	/* + the group's number */
};

static const struct option options[] = {
	{ "pid",	required_argument, NULL, OPT_PID },
	{ "quiet",	no_argument, NULL, OPT_QUIET },
	{ "bufsize",	required_argument, NULL, OPT_BUFSIZE },
	{ "time",	no_argument, NULL, OPT_TIME },
	{ "groups",	required_argument, NULL, OPT_GROUPS },
	{ "show",	required_argument, NULL, OPT_SHOW },
	{ "base",	no_argument, NULL, OPT_GROUP + TASK_DIAG_BASE },
	{ "cred",	no_argument, NULL, OPT_GROUP + TASK_DIAG_CRED },
	{ "vma",	no_argument, NULL, OPT_GROUP + TASK_DIAG_VMA },
	{ "vma-stat",	no_argument, NULL, OPT_GROUP + TASK_DIAG_VMA_STAT },
	{ "stat",	no_argument, NULL, OPT_GROUP + TASK_DIAG_STAT },
	{ "statm",	no_argument, NULL, OPT_GROUP + TASK_DIAG_STATM },
	{ "cmdline",	no_argument, NULL, OPT_GROUP + TASK_DIAG_CMDLINE },
	{ "name",	no_argument, NULL, OPT_GROUP + TASK_DIAG_NAME },
	{ }
};

/*
 * The show_flags of the comma-separated group names of @list, the names
 * of the group options; "none" alone is no group.
 */
static __u64 parse_groups(char *list)
{
	const struct option *o;
	__u64 show = 0;
	char *s = list, *comma;

	if (!strcmp(list, "none"))
		return 0;
	for (;;) {
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		for (o = options; o->name; o++)
			if (o->val >= OPT_GROUP && !strcmp(o->name, s))
				break;
		if (!o->name)
			die("--groups: no group '%s' (%s)", s,
			    "base, cred, vma, vma-stat, stat, statm, cmdline, name or none");
		show |= 1ULL << (o->val - OPT_GROUP);
		if (!comma)
			return show;
		s = comma + 1;
	}
}

static const struct {
	const char	*name;
	__u64		strategy;
} strategies[] = {
	{ "all",	TASK_DIAG_DUMP_ALL },
	{ "All",	TASK_DIAG_DUMP_ALL_THREAD },
	{ "threads",	TASK_DIAG_DUMP_THREAD },
	{ "children",	TASK_DIAG_DUMP_CHILDREN },
	{ "one",	TASK_DIAG_DUMP_ONE },
};

static void print_base(const char *p, size_t len)
{
	struct task_diag_base b;

	if (len < sizeof(b))
		die("a BASE attribute of %zu bytes", len);
	memcpy(&b, p, sizeof(b));
	b.comm[sizeof(b.comm) - 1] = '\0';
	printf("pid %5u tgid %5u ppid %5u sid %5u pgid %5u comm %s\n",
	       b.pid, b.tgid, b.ppid, b.sid, b.pgid, b.comm);
}

/*
 * Walks the messages of one read(); counts the tasks (a task continued in
 * more messages counts once) and returns whether NLMSG_DONE came.
 */
static int walk(const char *buf, size_t len, __u32 seq, bool quiet,
		long *tasks, bool *cont)
{
	size_t off = 0;

	while (off < len) {
		const char *m = buf + off;
		struct task_diag_msg msg;
		struct nlmsghdr h;
		size_t a;

		if (len - off < NLMSG_HDRLEN)
			die("%zu stray bytes after the messages", len - off);
		memcpy(&h, m, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off)
			die("a message of %u bytes in %zu", h.nlmsg_len,
			    len - off);
		if (h.nlmsg_seq != seq)
			die("a message of seq %u, want %u", h.nlmsg_seq, seq);
		if (h.nlmsg_type == NLMSG_DONE)
			return 1;
		if (h.nlmsg_type != TASK_DIAG_CMD_GET)
			die("a message of type %#x", h.nlmsg_type);
		if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(msg))
			die("a task message of %u bytes", h.nlmsg_len);
		memcpy(&msg, m + NLMSG_HDRLEN, sizeof(msg));
		if (!*cont)
			(*tasks)++;
		*cont = msg.flags & TASK_DIAG_FLAG_CONT;

		a = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(msg));
		while (a + NLA_HDRLEN <= h.nlmsg_len) {
			struct nlattr nla;

			memcpy(&nla, m + a, sizeof(nla));
			if (nla.nla_len < NLA_HDRLEN ||
			    nla.nla_len > h.nlmsg_len - a)
				die("task %u: an attribute of %u bytes",
				    msg.pid, nla.nla_len);
			if (!quiet && (nla.nla_type & NLA_TYPE_MASK) ==
			    TASK_DIAG_BASE)
				print_base(m + a + NLA_HDRLEN,
					   nla.nla_len - NLA_HDRLEN);
			a += NLA_ALIGN(nla.nla_len);
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long pid = 1, bufsize = 256 << 10, tasks = 0;
	bool quiet = false, cont = false, done = false, timed = false;
	bool chosen = false;
	struct timespec t0, t1;
	__u64 show = 0, strategy;
	struct td_req req;
	ssize_t n;
	size_t i;
	char *buf;
	int fd, c;

	if (argc < 2)
		bad_usage();
	for (i = 0; i < ARRAY_SIZE(strategies); i++)
		if (!strcmp(argv[1], strategies[i].name))
			break;
	if (i == ARRAY_SIZE(strategies))
		bad_usage();
	strategy = strategies[i].strategy;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_PID:
			pid = parse_number("--pid", optarg, 0, INT_MAX);
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_TIME:
			timed = true;
			break;
		case OPT_BUFSIZE:
			bufsize = parse_number("--bufsize", optarg, 1, INT_MAX);
			break;
		case OPT_GROUPS:
			show |= parse_groups(optarg);
			chosen = true;
			break;
		case OPT_SHOW:
			show |= parse_mask(optarg);
			chosen = true;
			break;
		default:
			if (c < OPT_GROUP || c > OPT_GROUP + TASK_DIAG_ATTR_MAX)
				bad_usage();
			show |= 1ULL << (c - OPT_GROUP);
			chosen = true;
		}
	}
	if (optind != argc)
		bad_usage();
	if (!chosen)
		show = TASK_DIAG_SHOW_BASE;

	buf = malloc(bufsize);
	if (!buf)
		die("cannot allocate a buffer of %ld bytes", bufsize);
	fd = td_open();
	if (fd < 0)
		die("open %s: %s", TD_PATH, strerror(errno));

	td_req_init(&req, show, strategy, pid, getpid());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = write(fd, &req, sizeof(req));
	if (n < 0)
		die("write of the request to %s (%s, pid %ld, groups %#llx): %s",
		    TD_PATH, argv[1], pid, (unsigned long long)show,
		    strerror(errno));
	if (n != sizeof(req))
		die("write of the request to %s: %zd bytes of %zu", TD_PATH,
		    n, sizeof(req));

	for (;;) {
		n = read(fd, buf, bufsize);
		if (n < 0)
			die("read of %s with a buffer of %ld bytes: %s", TD_PATH,
			    bufsize, strerror(errno));
		if (n == 0)
			break;
		if (done)
			die("read of %s: %zd bytes after NLMSG_DONE", TD_PATH, n);
		done = walk(buf, n, req.hdr.nlmsg_seq, quiet, &tasks, &cont);
	}
	if (!done)
		die("read of %s: end of file without NLMSG_DONE", TD_PATH);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (timed)
		fprintf(stderr, "dump: %.6f s\n", (t1.tv_sec - t0.tv_sec) +
			(t1.tv_nsec - t0.tv_nsec) / 1e9);
	close(fd);
	free(buf);
	printf("tasks: %ld\n", tasks);
	return 0;
}
