// SPDX-License-Identifier: GPL-2.0
/*
 * task_proc_all [FILE]
 *
 * The /proc side of the task_diag benchmarks: reads /proc/PID/FILE ("stat"
 * by default) of every process, one open(), read() and close() each, into a
 * buffer of 4 KiB, then prints "tasks: N", the number of files read.
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

int main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "stat";
	char path[PATH_MAX], buf[4096];
	struct dirent *de;
	long tasks = 0;
	DIR *d;
	int fd;

	if (argc > 2) {
		fprintf(stderr, "usage: task_proc_all [FILE]\n");
		return 2;
	}
	d = opendir("/proc");
	if (!d) {
		fprintf(stderr, "task_proc_all: /proc: %s\n", strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (!is_pid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/%s", de->d_name, file);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;	/* the process has ended */
		if (read(fd, buf, sizeof(buf)) >= 0)
			tasks++;
		close(fd);
	}
	closedir(d);
	printf("tasks: %ld\n", tasks);
	return 0;
}
