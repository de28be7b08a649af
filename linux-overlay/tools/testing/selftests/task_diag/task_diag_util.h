/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the task_diag selftests and tools: requests, a checking
 * reader of dumps, and parsers of /proc/PID/stat and /proc/PID/status.
 */
#ifndef __TASK_DIAG_UTIL_H
#define __TASK_DIAG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <linux/task_diag.h>

#include "kselftest.h"

#define TD_PATH		"/proc/task_diag"

#define NOBODY		65534
#define MAX_KIDS	512

/* The groups this kernel implements, and the number of attribute types. */
#define TD_SHOW_IMPLEMENTED	(TASK_DIAG_SHOW_BASE | TASK_DIAG_SHOW_CRED | \
				 TASK_DIAG_SHOW_VMA | TASK_DIAG_SHOW_VMA_STAT | \
				 TASK_DIAG_SHOW_STAT | TASK_DIAG_SHOW_STATM | \
				 TASK_DIAG_SHOW_CMDLINE | TASK_DIAG_SHOW_NAME)
#define TD_NR_ATTRS		__TASK_DIAG_ATTR_MAX
/* Smallest payload of each fixed-size group, as this header defines it. */
#define TD_STAT_MIN_LEN		112

/* One BASE message: nlmsghdr, task_diag_msg, nlattr, task_diag_base. */
#define TD_BASE_MSG_LEN	(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct task_diag_msg)) + \
			 NLA_HDRLEN + NLA_ALIGN(sizeof(struct task_diag_base)))
/* The NLMSG_DONE message: nlmsghdr and an int. */
#define TD_DONE_MSG_LEN	(NLMSG_HDRLEN + sizeof(int))

/* A request as written: the header, then the payload. */
struct td_req {
	struct nlmsghdr		hdr;
	struct task_diag_pid	pid;
};

/* The payload of one attribute of a task, its parts concatenated. */
struct td_attr {
	unsigned char	*p;
	size_t		len;
};

/* One task of a dump. */
struct td_task {
	int			pid;
	int			tgid;
	unsigned int		flags;	/* task_diag_msg.flags of its last message */
	unsigned int		attrs;	/* bit n: attribute type n was seen */
	unsigned int		nr_msgs;	/* its messages */
	bool			cut;	/* it ended with TASK_DIAG_FLAG_CONT */
	unsigned int		nr_vmas;	/* its VMA records */
	__u64			vma_end;	/* end of its last VMA record */
	struct task_diag_base	base;	/* valid when attrs has TASK_DIAG_BASE */
	struct td_attr		a[TD_NR_ATTRS];	/* when td_dump.keep */
};

/* A dump as read, with what the reader checked on the way. */
struct td_dump {
	struct td_task	*tasks;
	size_t		nr;
	size_t		alloc;
	__u64		show;		/* the groups requested */
	__u32		seq;		/* the request's nlmsg_seq */
	int		nr_done;	/* NLMSG_DONE messages seen */
	size_t		nr_reads;	/* read() calls that returned data */
	size_t		nr_msgs;	/* messages of every kind */
	size_t		min_msgs;	/* fewest messages in one read() */
	size_t		max_msgs;	/* most messages in one read() */
	bool		keep;		/* keep every payload in td_task.a */
	bool		threads;	/* a thread strategy: maps with leaders */
	size_t		nr_cut;		/* tasks whose promised rest never came */
	size_t		max_msg_len;	/* the longest message */
	int		write_errno;	/* errno of a failed write(), else 0 */
	int		read_errno;	/* errno of a failed read(), else 0 */
	char		err[512];	/* the first problem found, "" if none */
};

int td_open(void);
int td_open_path(const char *path);
__u32 td_next_seq(void);
void td_req_init(struct td_req *req, __u64 show, __u64 strategy, __u32 pid,
		 __u32 seq);
ssize_t td_send(int fd, __u64 show, __u64 strategy, __u32 pid, __u32 seq);

bool td_thread_strategy(__u64 strategy);
void td_dump_init(struct td_dump *d, __u64 show, __u32 seq);
void td_dump_free(struct td_dump *d);
int td_parse(struct td_dump *d, const void *buf, size_t len);
int td_finish(struct td_dump *d);
int td_read_dump(int fd, size_t bufsize, struct td_dump *d);
int td_dump(int fd, __u64 strategy, int pid, size_t bufsize,
	    struct td_dump *d);
int td_dump_show(int fd, __u64 show, __u64 strategy, int pid,
		 size_t bufsize, struct td_dump *d);
struct td_task *td_find(const struct td_dump *d, int pid);
size_t td_attr_copy(const struct td_task *t, int type, void *dst,
		    size_t size);
char td_state_letter(unsigned int state);
int td_state_index(char letter);

/* A set of (pid, tgid) pairs, sorted by pid by pid_set_sort(). */
struct pid_ent {
	int	pid;
	int	tgid;
};

struct pid_set {
	struct pid_ent	*v;
	size_t		nr;
	size_t		alloc;
};

int pid_set_add(struct pid_set *s, int pid, int tgid);
void pid_set_sort(struct pid_set *s);
const struct pid_ent *pid_set_find(const struct pid_set *s, int pid);
void pid_set_free(struct pid_set *s);
int proc_list_pids(const char *dir, int tgid, struct pid_set *s);
int proc_list_threads(const char *proc, struct pid_set *s);

/* The fields of /proc/PID/stat the tests compare. */
struct proc_stat {
	int	pid;
	char	comm[64];
	char	state;
	int	ppid;
	int	pgrp;
	int	session;
};

/* The fields of /proc/PID/status the tests compare. */
struct proc_status {
	char	name[64];
	int	tgid;
	int	pid;
	int	ppid;
	int	tracer_pid;
	int	uid[4];
	int	gid[4];
};

/* Every field of /proc/PID/stat: f[n] is field n (1-based), f[3] the state. */
#define PROC_STAT_FIELDS	53
struct proc_stat_all {
	char		name[128];	/* field 2, between '(' and the last ')' */
	char		state;
	int		nr;		/* fields read */
	long long	f[PROC_STAT_FIELDS];
};

int proc_read_stat(const char *proc, int tgid, int tid, struct proc_stat *st);
int proc_read_stat_all(const char *proc, int tgid, int tid,
		       struct proc_stat_all *st);
int proc_read_text(const char *path, char *buf, size_t size);
int proc_read_all(const char *path, char **buf, size_t *len);
const char *status_value(const char *status, const char *key);
int proc_read_status(const char *proc, int tgid, int tid,
		     struct proc_status *st);

/* Children a test started, killed and reaped by the teardown. */
struct kids {
	int	nr;
	pid_t	pid[MAX_KIDS];
};

#define KID_SETSID	0x1

pid_t sys_gettid(void);
void track(struct kids *k, pid_t pid);
int reap(struct kids *k, pid_t pid);
int wait_kid(struct kids *k, pid_t pid);
__noreturn void park(void);
void kid_start(pid_t parent, const char *name);
int spawn_sleepers(struct kids *k, int n, const char *name,
		   unsigned int flags, pid_t *pids);
pid_t spawn_sleeper(struct kids *k, const char *name, unsigned int flags);
pid_t spawn_parked(struct kids *k, const char *name, int (*setup)(void *),
		   void *arg);
void kids_kill(struct kids *k);
int read_full(int fd, void *buf, size_t len);
pid_t spawn_threaded(struct kids *k, int n, pid_t *tids);
int wait_state(pid_t tgid, pid_t tid, char state);
pid_t wait_states(pid_t tgid, const pid_t *ids, int n, char state);
int drop_to_nobody(void);
pid_t spawn_nobody_sleeper(struct kids *k);
pid_t spawn_fork_storm(struct kids *k);

#endif /* __TASK_DIAG_UTIL_H */
