// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the VMA and VMA_STAT groups of /proc/task_diag: records equal
 * to /proc/PID/maps line for line and to /proc/PID/smaps field for field
 * for quiescent processes, 50,000 mappings through every read size, maps
 * that change, and a process that runs a new program or exits in the
 * middle of a dump, maps sent once per process by the thread strategies,
 * and the maps a reader may not see (another user's, a set-user-ID
 * program's).
 *
 * Run as root on a kernel with CONFIG_PROC_TASK_DIAG=y; the named and
 * huge-page mappings need CONFIG_ANON_VMA_NAME and
 * CONFIG_TRANSPARENT_HUGEPAGE (without them those mappings are left out,
 * and the test says so).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "task_diag_util.h"

#define BUF_1M		(1024 * 1024)
#define BUF_64K		(64 * 1024)
#define MANY_MAPS	50000

#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

#define VMA_F(v, f)	(((v)->vm_flags >> TASK_DIAG_VMA_F_##f) & 1)
/* The width show_vma_header_prefix() pads the fields of a maps line to. */
#define MAPS_NAME_COL	((int)(25 + sizeof(void *) * 6 - 1))

/* The environment variable that makes an exec'd copy of us only sleep. */
#define PARK_ENV	"TD_VMA_PARK"

static void __attribute__((constructor)) park_child(void)
{
	if (getenv(PARK_ENV))
		park();
}

FIXTURE(vma) {
	struct kids	kids;
};

FIXTURE_SETUP(vma)
{
	self->kids.nr = 0;
	if (access(TD_PATH, F_OK))
		SKIP(return, "%s: %s (a kernel without CONFIG_PROC_TASK_DIAG?)",
		     TD_PATH, strerror(errno));
	if (geteuid())
		SKIP(return, "must run as root");
}

FIXTURE_TEARDOWN(vma)
{
	kids_kill(&self->kids);
}

/* The lines of a /proc/PID/maps text, as the records of one task give it. */
struct maps_text {
	char	*p;
	size_t	len;
	size_t	alloc;
};

static int text_add(struct maps_text *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->p + m->len, m->alloc - m->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < m->alloc - m->len)
			break;
		m->alloc = 2 * (m->alloc + n + 1);
		m->p = realloc(m->p, m->alloc);
		if (!m->p)
			return -1;
	}
	m->len += n;
	return 0;
}

/*
 * Appends the line /proc/PID/maps prints for record @v named @name: the
 * fields, then the name after a blank, from column MAPS_NAME_COL + 1 on at
 * the earliest (show_map_vma() pads the fields to that width).
 */
static int text_add_map(struct maps_text *m, const struct task_diag_vma *v,
			const char *name)
{
	size_t before = m->len;
	int col;

	if (text_add(m, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
		     (unsigned long long)v->start, (unsigned long long)v->end,
		     VMA_F(v, READ) ? 'r' : '-', VMA_F(v, WRITE) ? 'w' : '-',
		     VMA_F(v, EXEC) ? 'x' : '-', VMA_F(v, MAYSHARE) ? 's' : 'p',
		     (unsigned long long)v->pgoff, v->major, v->minor,
		     (unsigned long long)v->inode))
		return -1;
	col = m->len - before;
	if (name)
		return text_add(m, "%*s %s\n",
				col < MAPS_NAME_COL ? MAPS_NAME_COL - col : 0,
				"", name);
	return text_add(m, "\n");
}

/* The record at @off of a task's VMA payload, with its name and stats. */
static const struct task_diag_vma *record(const struct td_attr *a, size_t off,
					  struct task_diag_vma *v,
					  const char **name,
					  struct task_diag_vma_stat *st)
{
	if (a->len - off < sizeof(*v))
		return NULL;
	memcpy(v, a->p + off, sizeof(*v));
	*name = v->name_len ? (const char *)a->p + off + v->name_off : NULL;
	if (st) {
		memset(st, 0, sizeof(*st));
		if (v->stat_len)
			memcpy(st, a->p + off + v->stat_off, sizeof(*st));
	}
	return v;
}

/* The maps text of task @t of a dump: what /proc/PID/maps would print. */
static int maps_of(const struct td_task *t, struct maps_text *m,
		   unsigned int *nr)
{
	const struct td_attr *a = &t->a[TASK_DIAG_VMA];
	const char *name;
	struct task_diag_vma v;
	size_t off = 0;

	*nr = 0;
	m->len = 0;
	if (text_add(m, "%s", ""))
		return -1;
	while (off < a->len && record(a, off, &v, &name, NULL)) {
		if (text_add_map(m, &v, name))
			return -1;
		off += v.vma_len;
		(*nr)++;
	}
	return 0;
}

/* The first line where @a and @b differ, for the log. */
static void first_difference(const char *a, const char *b, char *why,
			     size_t size)
{
	size_t line = 1, i = 0, start = 0;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	snprintf(why, size, "line %zu: task_diag \"%.120s\" /proc \"%.120s\"",
		 line, a + start, b + start);
	for (i = 0; why[i]; i++)
		if (why[i] == '\n')
			why[i] = '|';
}

/*
 * Dumps @pid with VMA (and @extra) through reads of @bufsize bytes and
 * compares the records with /proc/PID/maps, read just before.
 */
static int check_maps(int fd, pid_t pid, __u64 extra, size_t bufsize,
		      unsigned int *nr, char *why, size_t size)
{
	struct maps_text m = {};
	char path[64], *want;
	struct td_task *t;
	struct td_dump d;
	size_t len;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (proc_read_all(path, &want, &len)) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (td_dump_show(fd, TASK_DIAG_SHOW_VMA | extra, TASK_DIAG_DUMP_ONE,
			 pid, bufsize, &d)) {
		snprintf(why, size, "dump: %.400s", d.err);
		goto out;
	}
	t = td_find(&d, pid);
	if (!t || maps_of(t, &m, nr)) {
		snprintf(why, size, "task %d: %s", pid, t ? "no memory" : "not dumped");
		goto out;
	}
	if (strcmp(m.p, want)) {
		first_difference(m.p, want, why, size);
		goto out;
	}
	ret = 0;
out:
	td_dump_free(&d);
	free(m.p);
	free(want);
	return ret;
}

/* The smaps fields of one mapping that VMA_STAT carries, in kB. */
struct smaps_fields {
	unsigned long long v[10];
};

static const char *const smaps_keys[] = {
	"Rss:", "Shared_Clean:", "Shared_Dirty:", "Private_Clean:",
	"Private_Dirty:", "Referenced:", "Anonymous:", "AnonHugePages:",
	"Swap:", "Pss:",
};

/* The VmFlags mnemonics of smaps, by TASK_DIAG_VMA_F_* bit. */
static const struct {
	const char	*mnemonic;
	int		bit;
} vm_flags_names[] = {
	{ "rd", TASK_DIAG_VMA_F_READ }, { "wr", TASK_DIAG_VMA_F_WRITE },
	{ "ex", TASK_DIAG_VMA_F_EXEC }, { "sh", TASK_DIAG_VMA_F_SHARED },
	{ "mr", TASK_DIAG_VMA_F_MAYREAD }, { "mw", TASK_DIAG_VMA_F_MAYWRITE },
	{ "me", TASK_DIAG_VMA_F_MAYEXEC }, { "ms", TASK_DIAG_VMA_F_MAYSHARE },
	{ "gd", TASK_DIAG_VMA_F_GROWSDOWN }, { "pf", TASK_DIAG_VMA_F_PFNMAP },
	{ "lo", TASK_DIAG_VMA_F_LOCKED }, { "io", TASK_DIAG_VMA_F_IO },
	{ "sr", TASK_DIAG_VMA_F_SEQ_READ }, { "rr", TASK_DIAG_VMA_F_RAND_READ },
	{ "dc", TASK_DIAG_VMA_F_DONTCOPY }, { "de", TASK_DIAG_VMA_F_DONTEXPAND },
	{ "ac", TASK_DIAG_VMA_F_ACCOUNT }, { "nr", TASK_DIAG_VMA_F_NORESERVE },
	{ "ht", TASK_DIAG_VMA_F_HUGETLB }, { "ar", TASK_DIAG_VMA_F_ARCH_1 },
	{ "dd", TASK_DIAG_VMA_F_DONTDUMP }, { "sd", TASK_DIAG_VMA_F_SOFTDIRTY },
	{ "mm", TASK_DIAG_VMA_F_MIXEDMAP }, { "hg", TASK_DIAG_VMA_F_HUGEPAGE },
	{ "nh", TASK_DIAG_VMA_F_NOHUGEPAGE }, { "mg", TASK_DIAG_VMA_F_MERGEABLE },
};

/*
 * Compares the flag bits of @v with the VmFlags line at @line: every
 * mnemonic of a bit the record has, none of one it lacks.
 */
static int check_vm_flags(const struct task_diag_vma *v, const char *line,
			  char *why, size_t size)
{
	const char *eol = strchr(line, '\n');
	size_t i, len = eol ? (size_t)(eol - line) : strlen(line);
	char text[256];

	snprintf(text, sizeof(text), " %.*s ", (int)len,
		 line + strlen("VmFlags:"));
	for (i = 0; i < ARRAY_SIZE(vm_flags_names); i++) {
		char word[8];
		bool has = (v->vm_flags >> vm_flags_names[i].bit) & 1;

		snprintf(word, sizeof(word), " %s ", vm_flags_names[i].mnemonic);
		if (has != !!strstr(text, word)) {
			snprintf(why, size, "%#llx: flag %s %s in task_diag, VmFlags:%s",
				 (unsigned long long)v->start,
				 vm_flags_names[i].mnemonic, has ? "set" : "clear",
				 text);
			return -1;
		}
	}
	return 0;
}

static void stat_fields(const struct task_diag_vma_stat *st,
			struct smaps_fields *f)
{
	f->v[0] = st->resident >> 10;
	f->v[1] = st->shared_clean >> 10;
	f->v[2] = st->shared_dirty >> 10;
	f->v[3] = st->private_clean >> 10;
	f->v[4] = st->private_dirty >> 10;
	f->v[5] = st->referenced >> 10;
	f->v[6] = st->anonymous >> 10;
	f->v[7] = st->anonymous_thp >> 10;
	f->v[8] = st->swap >> 10;
	f->v[9] = st->pss >> (12 + 10);
}

/*
 * Compares the records of a VMA|VMA_STAT dump of @pid with
 * /proc/PID/smaps: the header line of each mapping and its ten fields.
 */
static int check_smaps_once(int fd, pid_t pid, char *why, size_t size)
{
	const char *name, *line;
	struct task_diag_vma_stat st;
	struct task_diag_vma v;
	struct maps_text m = {};
	const struct td_attr *a;
	struct smaps_fields f;
	char path[64], *text;
	struct td_task *t;
	struct td_dump d;
	size_t len, off = 0, i;
	int ret = -1, nr = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	if (proc_read_all(path, &text, &len)) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (td_dump_show(fd, TASK_DIAG_SHOW_VMA | TASK_DIAG_SHOW_VMA_STAT,
			 TASK_DIAG_DUMP_ONE, pid, BUF_64K, &d)) {
		snprintf(why, size, "dump: %.400s", d.err);
		goto out;
	}
	t = td_find(&d, pid);
	if (!t) {
		snprintf(why, size, "task %d not dumped", pid);
		goto out;
	}
	a = &t->a[TASK_DIAG_VMA];
	line = text;
	while (off < a->len && record(a, off, &v, &name, &st)) {
		m.len = 0;
		if (text_add_map(&m, &v, name))
			goto out;
		if (strncmp(line, m.p, m.len)) {
			first_difference(m.p, line, why, size);
			goto out;
		}
		line += m.len;
		stat_fields(&st, &f);
		for (i = 0; i < ARRAY_SIZE(smaps_keys); i++) {
			const char *k = strstr(line, smaps_keys[i]);
			const char *next = strstr(line, "VmFlags:");

			if (!k || !next || k > next) {
				snprintf(why, size, "mapping %d: no %s", nr,
					 smaps_keys[i]);
				goto out;
			}
			if (strtoull(k + strlen(smaps_keys[i]), NULL, 10) != f.v[i]) {
				snprintf(why, size, "mapping %d (%#llx): %s %llu kB, smaps %s",
					 nr, (unsigned long long)v.start,
					 smaps_keys[i], f.v[i], k);
				for (i = 0; why[i]; i++)
					if (why[i] == '\n')
						why[i] = '\0';
				goto out;
			}
		}
		line = strstr(line, "VmFlags:");
		if (check_vm_flags(&v, line, why, size))
			goto out;
		line = strchr(line, '\n');
		if (!line) {
			snprintf(why, size, "smaps ends in mapping %d", nr);
			goto out;
		}
		line++;
		off += v.vma_len;
		nr++;
	}
	if (*line) {
		snprintf(why, size, "smaps has more than the %d mappings of the dump",
			 nr);
		goto out;
	}
	ret = 0;
out:
	td_dump_free(&d);
	free(m.p);
	free(text);
	return ret;
}

/*
 * The page counts of shared pages depend on what other processes map
 * meanwhile (a process the test harness forks shares the C library): a
 * few tries absorb that, a wrong value fails them all.
 */
static int check_smaps(int fd, pid_t pid, char *why, size_t size)
{
	int i;

	for (i = 0; i < 5; i++)
		if (!check_smaps_once(fd, pid, why, size))
			return 0;
	return -1;
}

/* ------------------------------------------------- a process to compare */

#define NL_FILE		"/tmp/td vma\nnewline"
#define DELETED_FILE	"/tmp/td_vma_deleted"

/* What the mapping child got: named and huge-page mappings are optional. */
struct maps_child {
	bool	named;
	bool	huge;
};

static struct maps_child *shared_result;

/* Maps a file of @pages pages created at @path, touched; -1 on failure. */
static int map_file(const char *path, int pages, bool unlink_it)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *p, sum = 0;
	int fd, i;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, pages * ps))
		return -1;
	p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < pages; i++)
		sum += p[i * ps]++;
	if (unlink_it && unlink(path))
		return -1;
	return sum;
}

/*
 * The mappings of the compared child: private and shared anonymous memory,
 * touched in part, a read-only file, a file with a newline in its name, a
 * deleted file, named anonymous memory and shared memory, and a region
 * advised for huge pages.
 */
static int maps_setup(void *arg)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t huge = 4UL << 20;
	char *anon, *shm, *ro, *h;
	int i, fd;

	(void)arg;
	anon = mmap(NULL, 64 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shm = mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ro = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0);
	if (anon == MAP_FAILED || shm == MAP_FAILED || ro == MAP_FAILED)
		return -1;
	for (i = 0; i < 32; i++)
		anon[i * ps] = 1;
	for (i = 0; i < 8; i++)
		shm[i * ps] = 1;
	/* Not mergeable with its neighbour: another protection. */
	if (mprotect(anon + 48 * ps, 16 * ps, PROT_READ))
		return -1;
	if (map_file(NL_FILE, 2, true) < 0 || map_file(DELETED_FILE, 3, true) < 0)
		return -1;
	shared_result->named =
		!prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)anon,
		       16 * ps, (unsigned long)"td vma name") &&
		!prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)shm,
		       16 * ps, (unsigned long)"td shm name");
	h = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return -1;
	h = (char *)(((uintptr_t)h + huge - 1) & ~(huge - 1));
	shared_result->huge = !madvise(h, huge / 2, MADV_HUGEPAGE);
	memset(h, 1, huge / 2);
	return 0;
}

static pid_t spawn_maps_child(struct kids *k, struct maps_child *got)
{
	pid_t pid;

	shared_result = mmap(NULL, sizeof(*shared_result),
			     PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_result == MAP_FAILED)
		return -1;
	pid = spawn_parked(k, "td maps", maps_setup, NULL);
	*got = *shared_result;
	munmap(shared_result, sizeof(*shared_result));
	return pid;
}

/* Whether the maps text of @pid holds @needle. */
static bool maps_have(pid_t pid, const char *needle)
{
	char path[64], *text;
	size_t len;
	bool ret;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (proc_read_all(path, &text, &len))
		return false;
	ret = strstr(text, needle);
	free(text);
	return ret;
}

/* Whether the process @pid runs as nobody (procfs shows its owner). */
static bool runs_as_nobody(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return !stat(path, &st) && st.st_uid == NOBODY;
}

static int many_setup(void *arg)
{
	long ps = sysconf(_SC_PAGESIZE);
	int n = (intptr_t)arg, i;
	char *p;

	/* One area, every other page made read-only: n mappings. */
	p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 1; i < n; i += 2)
		if (mprotect(p + i * ps, ps, PROT_READ))
			return -1;
	return 0;
}

/* ------------------------------------------------------------ the tests */

/* Every kind of mapping, line for line as /proc/PID/maps, any read size. */
TEST_F_TIMEOUT(vma, maps_match_proc, 300)
{
	static const size_t sizes[] = { BUF_1M, BUF_64K, 8192 };
	struct maps_child got;
	unsigned int nr;
	char why[512];
	size_t i;
	pid_t pid;
	int fd;

	pid = spawn_maps_child(&self->kids, &got);
	ASSERT_LT(0, pid);
	if (!got.named)
		TH_LOG("no named anonymous memory (CONFIG_ANON_VMA_NAME?)");
	if (!got.huge)
		TH_LOG("no huge pages (CONFIG_TRANSPARENT_HUGEPAGE?)");
	EXPECT_TRUE(maps_have(pid, "/tmp/td vma\\012newline (deleted)"));
	EXPECT_TRUE(maps_have(pid, DELETED_FILE " (deleted)"));
	EXPECT_TRUE(maps_have(pid, "[stack]"));
	EXPECT_TRUE(maps_have(pid, "[vdso]"));
	if (got.named) {
		EXPECT_TRUE(maps_have(pid, "[anon:td vma name]"));
		EXPECT_TRUE(maps_have(pid, "[anon_shmem:td shm name]"));
	}
	fd = td_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(0, check_maps(fd, pid, 0, sizes[i], &nr, why,
					sizeof(why)))
			TH_LOG("reads of %zu: %s", sizes[i], why);
		EXPECT_LT(10, nr);
	}
	/* With every other group around VMA. */
	EXPECT_EQ(0, check_maps(fd, pid, TD_SHOW_IMPLEMENTED &
				~TASK_DIAG_SHOW_VMA_STAT, BUF_64K, &nr, why,
				sizeof(why)))
		TH_LOG("%s", why);
	close(fd);
}

/* VMA_STAT field for field as /proc/PID/smaps, and the flags as VmFlags. */
TEST_F_TIMEOUT(vma, stats_match_smaps, 300)
{
	struct maps_child got;
	char why[512];
	pid_t pid, many;
	int fd;

	pid = spawn_maps_child(&self->kids, &got);
	ASSERT_LT(0, pid);
	many = spawn_parked(&self->kids, "td many", many_setup,
			    (void *)(intptr_t)2000);
	ASSERT_LT(0, many);
	fd = td_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, check_smaps(fd, pid, why, sizeof(why))) TH_LOG("%s", why);
	/* Split across messages: 2,000 mappings. */
	EXPECT_EQ(0, check_smaps(fd, many, why, sizeof(why)))
		TH_LOG("2,000 mappings: %s", why);
	close(fd);
}

/* Kernel threads have a VMA attribute, empty. */
TEST_F(vma, kernel_thread_has_no_maps)
{
	struct td_task *t;
	struct td_dump d;
	int fd = td_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_VMA |
				  TASK_DIAG_SHOW_VMA_STAT, TASK_DIAG_DUMP_ONE,
				  2, BUF_64K, &d))
		TH_LOG("%s", d.err);
	t = td_find(&d, 2);
	ASSERT_NE(NULL, t);
	EXPECT_TRUE(t->attrs & TASK_DIAG_SHOW_VMA);
	EXPECT_EQ(0, t->a[TASK_DIAG_VMA].len);
	td_dump_free(&d);
	close(fd);
}

/* THREAD and ALL_THREAD send the maps once per process, with its leader. */
TEST_F_TIMEOUT(vma, threads_send_maps_with_the_leader, 120)
{
	static const __u64 strategies[] = {
		TASK_DIAG_DUMP_THREAD, TASK_DIAG_DUMP_ALL_THREAD,
	};
	struct maps_text m = {};
	unsigned int nr;
	char why[512];
	struct td_dump d;
	pid_t tids[3];
	size_t s;
	int fd, i;

	ASSERT_LT(0, spawn_threaded(&self->kids, 3, tids));
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, check_maps(fd, tids[0], 0, BUF_64K, &nr, why, sizeof(why)))
		TH_LOG("%s", why);
	for (s = 0; s < ARRAY_SIZE(strategies); s++) {
		/* td_finish() checks that no other thread has maps. */
		ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_BASE |
					  TASK_DIAG_SHOW_VMA, strategies[s],
					  tids[1], BUF_64K, &d))
			TH_LOG("strategy %llu: %s",
			       (unsigned long long)strategies[s], d.err);
		for (i = 0; i < 3; i++) {
			struct td_task *t = td_find(&d, tids[i]);
			unsigned int n;

			ASSERT_NE(NULL, t) TH_LOG("thread %d", tids[i]);
			EXPECT_EQ(i == 0, !!(t->attrs & TASK_DIAG_SHOW_VMA));
			ASSERT_EQ(0, maps_of(t, &m, &n));
			EXPECT_EQ(i == 0 ? nr : 0, n);
		}
		td_dump_free(&d);
	}
	free(m.p);
	close(fd);
}

/*
 * 50,000 mappings dump completely through reads of one message to 1 MiB:
 * the smallest read that works compared with maps line for line, 1 MiB
 * reads and small ones counted (each pass over maps takes minutes under
 * KASAN in an emulated guest).
 */
TEST_F_TIMEOUT(vma, many_mappings_every_read_size, 1200)
{
	struct maps_text all = {};
	unsigned int n_all;
	unsigned int nr;
	struct td_dump d;
	size_t sizes[2];
	char why[512];
	pid_t pid;
	int fd, i;

	pid = spawn_parked(&self->kids, "td many", many_setup,
			   (void *)(intptr_t)MANY_MAPS);
	ASSERT_LT(0, pid);
	fd = td_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_VMA, TASK_DIAG_DUMP_ONE,
				  pid, BUF_1M, &d))
		TH_LOG("%s", d.err);
	/* The smallest read that works holds the longest message. */
	sizes[0] = d.max_msg_len;
	sizes[1] = BUF_1M;
	EXPECT_LT(1, d.nr_msgs - 1) TH_LOG("the maps were not split");
	td_dump_free(&d);
	ASSERT_EQ(0, check_maps(fd, pid, TASK_DIAG_SHOW_BASE, sizes[0], &nr,
				why, sizeof(why)))
		TH_LOG("reads of %zu: %s", sizes[0], why);
	EXPECT_LT(MANY_MAPS, nr);
	ASSERT_EQ(0, td_dump_show(fd, TASK_DIAG_SHOW_VMA, TASK_DIAG_DUMP_ONE,
				  pid, sizes[1], &d))
		TH_LOG("%s", d.err);
	ASSERT_EQ(1, d.nr);
	ASSERT_EQ(0, maps_of(&d.tasks[0], &all, &n_all));
	EXPECT_EQ(nr, n_all);
	free(all.p);
	td_dump_free(&d);
	/*
	 * Fewer bytes than a message with one record: EMSGSIZE, and nothing
	 * lost; then small reads, of a few records each (the names of this
	 * program's mappings are short).
	 */
	td_dump_init(&d, TASK_DIAG_SHOW_VMA, td_next_seq());
	d.keep = true;
	ASSERT_EQ(sizeof(struct td_req), td_send(fd, d.show, TASK_DIAG_DUMP_ONE,
						 pid, d.seq));
	{
		size_t one = NLMSG_HDRLEN + sizeof(struct task_diag_msg) +
			     NLA_HDRLEN + sizeof(struct task_diag_vma);
		char *buf = malloc(BUF_1M);
		struct maps_text m = {};
		ssize_t n;

		ASSERT_NE(NULL, buf);
		EXPECT_EQ(-1, read(fd, buf, one - 1));
		EXPECT_EQ(EMSGSIZE, errno);
		for (i = 0; i < 1000 && (n = read(fd, buf, one + 256)) > 0; i++)
			ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
		EXPECT_EQ(1000, i);
		while ((n = read(fd, buf, BUF_1M)) > 0)
			ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
		EXPECT_EQ(0, n);
		EXPECT_EQ(0, td_finish(&d)) TH_LOG("%s", d.err);
		ASSERT_EQ(1, d.nr);
		ASSERT_EQ(0, maps_of(&d.tasks[0], &m, &nr));
		EXPECT_LT(MANY_MAPS, nr);
		free(m.p);
		free(buf);
	}
	td_dump_free(&d);
	close(fd);
}

struct storm {
	char		*base;
	long		pages;
	int		stop;
};

/* Maps, unmaps and reprotects pages of one area until told to stop. */
static void *storm_thread(void *arg)
{
	struct storm *s = arg;
	long ps = sysconf(_SC_PAGESIZE);
	unsigned int seed = 1;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		char *p = s->base + (rand_r(&seed) % s->pages) * ps;

		switch (rand_r(&seed) % 3) {
		case 0:
			munmap(p, ps);
			break;
		case 1:
			mmap(p, ps, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			*p = 1;
			break;
		default:
			mprotect(p, ps, rand_r(&seed) % 2 ? PROT_READ :
				 PROT_READ | PROT_WRITE);
		}
	}
	return NULL;
}

/*
 * Mappings added, removed and merged in another thread while dumps read
 * them in small pieces: every dump well formed, records strictly
 * increasing (td_parse() checks both).
 */
TEST_F_TIMEOUT(vma, storm_during_dumps, 120)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct storm s = { .pages = 2048 };
	time_t end = time(NULL) + 15;
	pthread_t th;
	struct td_dump d;
	int fd, n;

	s.base = mmap(NULL, s.pages * ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s.base);
	for (n = 1; n < s.pages; n += 2)
		ASSERT_EQ(0, mprotect(s.base + n * ps, ps, PROT_READ));
	n = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, storm_thread, &s));
	fd = td_open();
	ASSERT_LE(0, fd);
	while (time(NULL) < end) {
		__u64 show = TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_VMA |
			     (n % 2 ? TASK_DIAG_SHOW_VMA_STAT : 0);

		EXPECT_EQ(0, td_dump_show(fd, show, n % 3 ?
					  TASK_DIAG_DUMP_ONE :
					  TASK_DIAG_DUMP_THREAD, getpid(),
					  n % 4 ? 8192 : BUF_64K, &d))
			TH_LOG("dump %d: %s", n, d.err);
		td_dump_free(&d);
		n++;
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	TH_LOG("%d dumps", n);
	EXPECT_LT(0, n);
	close(fd);
}

enum between { BETWEEN_EXEC, BETWEEN_EXIT, BETWEEN_REAP };

/*
 * A process with many mappings runs a new program (@how BETWEEN_EXEC),
 * exits (BETWEEN_EXIT) or exits and is reaped (BETWEEN_REAP) after the
 * first message of its maps: its VMA group ends there, the dump goes on,
 * and every record sent was a mapping of the old program.
 */
static void change_between_messages(struct __test_metadata *_metadata,
				    struct kids *k, enum between how)
{
	struct maps_text m = {};
	int go[2], fd, status;
	char *before, *buf, path[64];
	unsigned int nr;
	struct td_task *t;
	struct td_dump d;
	size_t len, off;
	pid_t pid, parent;
	__u32 seq;
	ssize_t n;

	ASSERT_EQ(0, pipe(go));
	parent = getpid();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		close(go[1]);
		kid_start(parent, "td exec");
		if (many_setup((void *)(intptr_t)4000))
			_exit(1);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (how == BETWEEN_EXEC)
			execl("/bin/sleep", "sleep", "1000", NULL);
		_exit(0);
	}
	track(k, pid);
	close(go[0]);
	/* Mapped: the maps text grew past 4,000 lines. */
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	for (n = 0; n < 100; n++) {
		ASSERT_EQ(0, proc_read_all(path, &before, &len));
		if (len > 4000 * 30)
			break;
		free(before);
		usleep(100000);
	}
	ASSERT_GT(100, n);

	fd = td_open();
	ASSERT_LE(0, fd);
	buf = malloc(BUF_1M);
	ASSERT_NE(NULL, buf);
	seq = td_next_seq();
	td_dump_init(&d, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_VMA, seq);
	d.keep = true;
	ASSERT_EQ(sizeof(struct td_req),
		  td_send(fd, d.show, TASK_DIAG_DUMP_ONE, pid, seq));
	n = read(fd, buf, 8192);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
	ASSERT_EQ(1, d.nr);
	ASSERT_TRUE(d.tasks[0].flags & TASK_DIAG_FLAG_CONT);

	ASSERT_EQ(1, write(go[1], "x", 1));
	switch (how) {
	case BETWEEN_EXEC:
		for (n = 0; n < 100 && !maps_have(pid, "/sleep"); n++)
			usleep(100000);
		ASSERT_TRUE(maps_have(pid, "/sleep"));
		break;
	case BETWEEN_EXIT:
		ASSERT_EQ(0, wait_state(pid, pid, 'Z'));
		break;
	case BETWEEN_REAP:
		ASSERT_EQ(0, reap(k, pid));
		break;
	}
	while ((n = read(fd, buf, BUF_1M)) > 0)
		ASSERT_EQ(0, td_parse(&d, buf, n)) TH_LOG("%s", d.err);
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, td_finish(&d)) TH_LOG("%s", d.err);
	t = td_find(&d, pid);
	ASSERT_NE(NULL, t);
	EXPECT_TRUE(t->cut);
	ASSERT_EQ(0, maps_of(t, &m, &nr));
	/* Whole lines of the old maps, in order; fewer than all of them. */
	EXPECT_LT(0, nr);
	EXPECT_GT(4000, nr);
	for (off = 0; off < m.len;) {
		const char *eol = strchr(m.p + off, '\n');
		char *line = strndup(m.p + off, eol - (m.p + off) + 1);

		EXPECT_NE(NULL, strstr(before, line)) TH_LOG("%s", line);
		free(line);
		off = eol - m.p + 1;
	}
	if (how != BETWEEN_REAP) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	free(m.p);
	free(before);
	free(buf);
	close(fd);
}

TEST_F_TIMEOUT(vma, exec_between_messages, 300)
{
	change_between_messages(_metadata, &self->kids, BETWEEN_EXEC);
}

TEST_F_TIMEOUT(vma, exit_between_messages, 300)
{
	change_between_messages(_metadata, &self->kids, BETWEEN_EXIT);
}

TEST_F_TIMEOUT(vma, reaped_between_messages, 300)
{
	change_between_messages(_metadata, &self->kids, BETWEEN_REAP);
}

/*
 * nobody sees the maps of its own processes, never those of root's: a
 * dump of every process as nobody has no root process in it.
 */
TEST_F_TIMEOUT(vma, nobody_sees_no_maps_of_root, 120)
{
	struct maps_child got;
	pid_t root_kid, pid;
	int status;

	root_kid = spawn_maps_child(&self->kids, &got);
	ASSERT_LT(0, root_kid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_task *t;
		struct td_dump d;
		size_t i;
		int fd = td_open();

		if (fd < 0 || drop_to_nobody())
			_exit(2);
		if (td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_VMA |
				 TASK_DIAG_SHOW_VMA_STAT, TASK_DIAG_DUMP_ALL, 0,
				 BUF_64K, &d)) {
			fprintf(stderr, "dump: %s\n", d.err);
			_exit(3);
		}
		if (td_find(&d, root_kid) || td_find(&d, 1))
			_exit(4);
		t = td_find(&d, getpid());
		if (!t || !t->a[TASK_DIAG_VMA].len)
			_exit(5);
		for (i = 0; i < d.nr; i++)
			if (!runs_as_nobody(d.tasks[i].pid))
				_exit(6);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("2 setup, 3 dump, 4 root's task, 5 no maps, 6 another's task");
}

/* Whether process @pid runs with the effective uid of root, as nobody. */
static bool setuid_root(pid_t pid)
{
	char path[64], text[4096];
	unsigned int ruid, euid;
	const char *uid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (proc_read_text(path, text, sizeof(text)) < 0)
		return false;
	uid = status_value(text, "Uid");
	return uid && sscanf(uid, "%u %u", &ruid, &euid) == 2 &&
	       ruid == NOBODY && euid == 0;
}

static int copy_file(const char *from, const char *to)
{
	size_t len;
	char *data;
	int fd, ret = -1;

	if (proc_read_all(from, &data, &len))
		return -1;
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd >= 0 && write(fd, data, len) == (ssize_t)len)
		ret = 0;
	if (fd >= 0 && close(fd))
		ret = -1;
	free(data);
	return ret;
}

/*
 * A process of nobody that runs a set-user-ID root program (a copy of this
 * one, on a tmpfs of our own): nobody's dump shows neither it nor its maps.
 */
TEST_F_TIMEOUT(vma, nobody_sees_no_setuid_process, 120)
{
	char dir[] = "/tmp/td_vma_suid.XXXXXX", prog[64];
	pid_t suid, pid;
	int status, i;

	ASSERT_NE(NULL, mkdtemp(dir));
	if (mount("td_vma", dir, "tmpfs", 0, "mode=0755")) {
		rmdir(dir);
		SKIP(return, "mount tmpfs on %s: %s", dir, strerror(errno));
	}
	snprintf(prog, sizeof(prog), "%s/td_suid", dir);
	ASSERT_EQ(0, copy_file("/proc/self/exe", prog));
	ASSERT_EQ(0, chmod(prog, 04755));
	suid = fork();
	ASSERT_LE(0, suid);
	if (suid == 0) {
		if (drop_to_nobody() || setenv(PARK_ENV, "1", 1))
			_exit(2);
		execl(prog, prog, (char *)NULL);
		_exit(3);
	}
	track(&self->kids, suid);
	for (i = 0; i < 100 && !setuid_root(suid); i++)
		usleep(100000);
	if (!setuid_root(suid)) {
		/* A setup this guest may not allow: say which part failed. */
		if (waitpid(suid, &status, WNOHANG) == suid)
			SKIP(goto out, "the set-user-ID copy did not run (status %#x)",
			     status);
		SKIP(goto out, "the set-user-ID bit of %s did not take", prog);
	}

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct td_task *t;
		struct td_dump d;
		int fd = td_open();

		if (fd < 0 || drop_to_nobody())
			_exit(2);
		if (td_dump_show(fd, TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_VMA,
				 TASK_DIAG_DUMP_ALL, 0, BUF_64K, &d))
			_exit(3);
		if (td_find(&d, suid))
			_exit(4);
		t = td_find(&d, getpid());
		if (!t || !t->a[TASK_DIAG_VMA].len)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("2 setup, 3 dump, 4 the set-user-ID process, 5 no maps");
out:
	kill(suid, SIGKILL);
	reap(&self->kids, suid);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

TEST_HARNESS_MAIN
