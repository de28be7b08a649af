// SPDX-License-Identifier: GPL-2.0
/*
 * fork [--maps N] NPROC [NTHREADS [SLEEP]]
 *
 * Creates NPROC processes of NTHREADS threads each (the main thread
 * included, 1 by default), all parked in pause(), for the task_diag
 * benchmarks. Prints "ready PID" on stdout once every thread exists, then
 * sleeps SLEEP seconds (0, the default: until SIGTERM or SIGINT) and kills
 * them all. The processes are in the process group of this one and die
 * with it (PR_SET_PDEATHSIG).
 *
 * With --maps N, each process also maps N more pages of anonymous memory,
 * touched, one mapping a page: read-write and read-only in turn, so that
 * no two of them merge (N more lines in /proc/PID/maps, but for an end
 * page that merges with a neighbour of the same protection).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREAD_STACK	(64 * 1024)

static void bad_usage(void)
{
	fprintf(stderr, "usage: fork [--maps N] NPROC [NTHREADS [SLEEP]]\n");
	exit(2);
}

static long parse_number(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > INT_MAX)
		bad_usage();
	return v;
}

static void *park(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

/*
 * Maps @n pages of anonymous memory, touched, as @n mappings: every other
 * page made read-only, so that no two neighbours merge. Returns 0, or -1.
 */
static int extra_maps(long n)
{
	long page = sysconf(_SC_PAGESIZE), i;
	char *p;

	if (!n)
		return 0;
	p = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 1, n * page);
	for (i = 1; i < n; i += 2)
		if (mprotect(p + i * page, page, PROT_READ))
			return -1;
	return 0;
}

/*
 * A child: its @nmaps extra mappings and its threads, then a byte on @fd
 * to say that they exist.
 */
static void child(pid_t parent, long nmaps, long nthreads, int fd)
{
	pthread_attr_t attr;
	sigset_t none;
	pthread_t th;
	long i;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1);
	if (extra_maps(nmaps)) {
		fprintf(stderr, "fork: %ld mappings: %s\n", nmaps,
			strerror(errno));
		_exit(1);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (i = 1; i < nthreads; i++) {
		if (pthread_create(&th, &attr, park, NULL)) {
			fprintf(stderr, "fork: pthread_create failed\n");
			_exit(1);
		}
	}
	if (write(fd, "x", 1) != 1)
		_exit(1);
	close(fd);
	park(NULL);
	_exit(0);
}

/* Kills every child: the process group, or each one when not a leader. */
static void kill_all(const pid_t *pids, long n, bool group)
{
	long i;

	if (group) {
		/* SIGTERM is blocked here: only the children die of it. */
		kill(0, SIGTERM);
	} else {
		for (i = 0; i < n; i++)
			kill(pids[i], SIGTERM);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long nproc, nthreads = 1, sleep_s = 0, nmaps = 0, i, ready = 0;
	pid_t parent = getpid(), *pids;
	sigset_t stop;
	bool group;
	int p[2], sig;
	char buf[4096];
	ssize_t n;

	if (argc > 2 && !strcmp(argv[1], "--maps")) {
		nmaps = parse_number(argv[2], 0);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2 || argc > 4)
		bad_usage();
	nproc = parse_number(argv[1], 0);
	if (argc > 2)
		nthreads = parse_number(argv[2], 1);
	if (argc > 3)
		sleep_s = parse_number(argv[3], 0);

	pids = calloc(nproc ? nproc : 1, sizeof(*pids));
	if (!pids || pipe(p)) {
		perror("fork: setup");
		return 1;
	}
	/* Lead a process group of our own, so that kill(0) spares our shell. */
	group = getpgrp() == getpid() || setpgid(0, 0) == 0;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGALRM);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	for (i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "fork: fork of process %ld: %s\n", i + 1,
				strerror(errno));
			kill_all(pids, i, group);
			return 1;
		}
		if (pid == 0) {
			close(p[0]);
			child(parent, nmaps, nthreads, p[1]);
		}
		pids[i] = pid;
		if ((i + 1) % 1000 == 0)
			fprintf(stderr, "fork: %ld processes\n", i + 1);
	}
	close(p[1]);
	while (ready < nproc) {
		n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fork: %ld of %ld processes started\n",
				ready, nproc);
			kill_all(pids, nproc, group);
			return 1;
		}
		ready += n;
	}
	close(p[0]);
	printf("ready %d\n", getpid());
	fflush(stdout);

	if (sleep_s)
		alarm(sleep_s);
	while (sigwait(&stop, &sig))
		;
	kill_all(pids, nproc, group);
	free(pids);
	return 0;
}
