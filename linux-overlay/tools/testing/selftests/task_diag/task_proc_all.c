// SPDX-License-Identifier: GPL-2.0
/*
 * task_proc_all [--threads] [FILE]
 *
 * The /proc side of the task_diag benchmarks: reads /proc/PID/FILE ("stat"
 * by default) of every process, or with --threads /proc/PID/task/TID/FILE
 * of every thread, one open(), read() and close() each, into a buffer of
 * 4 KiB, then prints "tasks: N", the number of files read.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Reads @path into @buf; returns 1 when it was read, 0 when it is gone. */
static int read_one(const char *path, char *buf, size_t size)
{
	int fd, ok;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;	/* the task has ended */
	ok = read(fd, buf, size) >= 0;
	close(fd);
	return ok;
}

/* Reads FILE of every thread of process @pid. */
static long read_threads(const char *pid, const char *file, char *buf,
			 size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	long tasks = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!is_pid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/%s", pid,
			 de->d_name, file);
		tasks += read_one(path, buf, size);
	}
	closedir(d);
	return tasks;
}

int main(int argc, char **argv)
{
	const char *file = "stat";
	char path[PATH_MAX], buf[4096];
	struct dirent *de;
	int threads = 0, i;
	long tasks = 0;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads")) {
			threads = 1;
		} else if (argv[i][0] != '-' && i == argc - 1) {
			file = argv[i];
		} else {
			fprintf(stderr, "usage: task_proc_all [--threads] [FILE]\n");
			return 2;
		}
	}
	d = opendir("/proc");
	if (!d) {
		fprintf(stderr, "task_proc_all: /proc: %s\n", strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (!is_pid(de->d_name))
			continue;
		if (threads) {
			tasks += read_threads(de->d_name, file, buf, sizeof(buf));
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s/%s", de->d_name, file);
		tasks += read_one(path, buf, sizeof(buf));
	}
	closedir(d);
	printf("tasks: %ld\n", tasks);
	return 0;
}
