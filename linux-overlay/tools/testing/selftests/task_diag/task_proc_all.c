// SPDX-License-Identifier: GPL-2.0
/*
 * task_proc_all [--threads [--process FILE[,FILE...]]] [--whole]
 *		 [FILE[,FILE...]]
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
 *
 * --whole reads each file to its end, read() after read() until it
 * returns 0, as a reader of maps or smaps must: those return a page of
 * lines at most a read(). Without it one read() a file, which holds the
 * whole of stat, status, statm and a short cmdline.
 *
 * --process LIST, with --threads, also reads the files of LIST of each
 * process (/proc/PID/FILE), each to its end, after those of its threads:
 * "--threads --process maps stat" reads what perf reads at its start, the
 * task/ directory of each process, the stat of each thread, the maps of
 * each process. "files: N" then counts both kinds.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES	16

struct files {
	const char	*name[MAX_FILES];
	int		nr;
	bool		whole;	/* each file read to its end */
	long		tasks;	/* tasks whose first file was read */
	long		read;	/* files read */
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

/*
 * Reads @path into @buf, to its end when @whole; returns 1 when it was
 * read, 0 when it is gone.
 */
static int read_one(const char *path, char *buf, size_t size, bool whole)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;	/* the task has ended */
	do
		n = read(fd, buf, size);
	while (whole && n > 0);
	close(fd);
	return n >= 0;
}

/* Reads the files of @f in the directory @dir of one task. */
static void read_task(const char *dir, struct files *f, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < f->nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f->name[i]);
		if (read_one(path, buf, size, f->whole)) {
			f->read++;
			if (!i)
				f->tasks++;
		} else if (!i) {
			return;
		}
	}
}

/*
 * Reads the files of @f of every thread of process @pid, then those of
 * @pf of the process.
 */
static void read_threads(const char *pid, struct files *f, struct files *pf,
			 char *buf, size_t size)
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
	if (pf->nr) {
		snprintf(path, sizeof(path), "/proc/%s", pid);
		read_task(path, pf, buf, size);
	}
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], buf[4096], def_file[] = "stat";
	struct files f = { }, pf = { .whole = true };
	char *list = def_file, *plist = NULL;
	struct dirent *de;
	int threads = 0, i;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads")) {
			threads = 1;
		} else if (!strcmp(argv[i], "--whole")) {
			f.whole = true;
		} else if (!strcmp(argv[i], "--process") && i + 1 < argc) {
			plist = argv[++i];
		} else if (argv[i][0] != '-' && i == argc - 1) {
			list = argv[i];
		} else {
			list = NULL;
			break;
		}
	}
	if (!list || split_files(list, &f) ||
	    (plist && (!threads || split_files(plist, &pf)))) {
		fprintf(stderr,
			"usage: task_proc_all [--threads [--process FILE[,FILE...]]] [--whole] [FILE[,FILE...]] (at most %d files a list)\n",
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
			read_threads(de->d_name, &f, &pf, buf, sizeof(buf));
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s", de->d_name);
		read_task(path, &f, buf, sizeof(buf));
	}
	closedir(d);
	printf("tasks: %ld\n", f.tasks);
	if (f.nr > 1 || pf.nr)
		printf("files: %ld\n", f.read + pf.read);
	return 0;
}
