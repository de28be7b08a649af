// SPDX-License-Identifier: GPL-2.0
/*
 * task_proc_all [--threads] [FILE[,FILE...]]
 *
 * The /proc side of the task_diag benchmarks: reads /proc/PID/FILE ("stat"
 * by default) of every process, or with --threads /proc/PID/task/TID/FILE
 * of every thread, one open(), read() and close() each, into a buffer of
 * 4 KiB, then prints "tasks: N", the number of tasks read.
 *
 * With several files, comma separated (as "stat,status,statm,cmdline",
 * the files ps aux reads), reads them all of each task in that order, as
 * ps does, and skips the rest of a task whose first file is gone; then
 * also prints "files: N", the number of files read.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES	16

struct files {
	const char	*name[MAX_FILES];
	int		nr;
	long		tasks;
	long		read;
};

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * Splits the comma-separated @list (written over) into @f; returns 0, or
 * -1 when a name is empty, has a '/' or there are more than MAX_FILES.
 */
static int split_files(char *list, struct files *f)
{
	char *s = list, *comma;

	f->nr = 0;
	for (;;) {
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		if (!*s || strchr(s, '/') || f->nr == MAX_FILES)
			return -1;
		f->name[f->nr++] = s;
		if (!comma)
			return 0;
		s = comma + 1;
	}
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

/* Reads the files of @f in the directory @dir of one task. */
static void read_task(const char *dir, struct files *f, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < f->nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f->name[i]);
		if (read_one(path, buf, size)) {
			f->read++;
			if (!i)
				f->tasks++;
		} else if (!i) {
			return;
		}
	}
}

/* Reads the files of @f of every thread of process @pid. */
static void read_threads(const char *pid, struct files *f, char *buf,
			 size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!is_pid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s", pid,
			 de->d_name);
		read_task(path, f, buf, size);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], buf[4096], def_file[] = "stat";
	struct files f = { };
	struct dirent *de;
	char *list = def_file;
	int threads = 0, i;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads")) {
			threads = 1;
		} else if (argv[i][0] != '-' && i == argc - 1) {
			list = argv[i];
		} else {
			list = NULL;
			break;
		}
	}
	if (!list || split_files(list, &f)) {
		fprintf(stderr,
			"usage: task_proc_all [--threads] [FILE[,FILE...]] (at most %d files)\n",
			MAX_FILES);
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
		if (threads) {
			read_threads(de->d_name, &f, buf, sizeof(buf));
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s", de->d_name);
		read_task(path, &f, buf, sizeof(buf));
	}
	closedir(d);
	printf("tasks: %ld\n", f.tasks);
	if (f.nr > 1)
		printf("files: %ld\n", f.read);
	return 0;
}
