/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * task_diag: a binary, transactional interface to task information,
 * the file /proc/task_diag.
 */
#ifndef _UAPI_LINUX_TASK_DIAG_H
#define _UAPI_LINUX_TASK_DIAG_H

#include <linux/types.h>

/**
 * DOC: task_diag protocol
 *
 * Open /proc/task_diag, then write() one request in a single call:
 *
 *	struct nlmsghdr		nlmsg_len = the number of bytes written
 *				(header and payload), nlmsg_seq = any value,
 *				echoed in every response message;
 *				nlmsg_type, nlmsg_flags and nlmsg_pid are
 *				ignored (set them to zero)
 *	struct task_diag_pid	the request payload, right after the header
 *
 * struct task_diag_pid is extensible (as struct open_how of openat2()):
 * a shorter payload is refused, a longer one is accepted only when every
 * byte past struct task_diag_pid is zero.
 *
 * Then read() until it returns 0.  Each read() returns whole messages
 * only, as many as fit in the buffer.  A task message is:
 *
 *	struct nlmsghdr		nlmsg_type = TASK_DIAG_CMD_GET,
 *				nlmsg_flags = NLM_F_MULTI,
 *				nlmsg_seq = the request's nlmsg_seq,
 *				nlmsg_pid = 0
 *	struct task_diag_msg	which task
 *	struct nlattr + payload	one per requested group, in the order of
 *				the TASK_DIAG_BASE ... TASK_DIAG_NAME
 *				attribute types; the attribute type is the
 *				group's number
 *
 * Messages and attributes are aligned to 4 bytes (NLMSG_ALIGN(),
 * NLA_ALIGN()) only, although most payloads hold __u64 fields: readers
 * must copy a payload (memcpy()) before reading it as a structure.
 * A payload may be longer than the structure of this header (a newer
 * kernel with a bigger structure): readers use the prefix they know.
 *
 * The TASK_DIAG_VMA attribute holds one record per memory mapping, in
 * address order: struct task_diag_vma, then optionally a
 * struct task_diag_vma_stat (TASK_DIAG_SHOW_VMA_STAT, which only adds
 * these to the records of TASK_DIAG_VMA and sends no attribute of its
 * own) and the NUL-terminated name of the mapping, at the offsets the
 * record gives.  The next record starts task_diag_vma.vma_len bytes after
 * the start of this one.  The records are those /proc/PID/maps lists, in
 * its order (the gate area, "[vsyscall]", last), with the same fields and
 * the same name, " (deleted)" and the "\012" escape of a newline
 * included; a file path that does not fit in PATH_MAX bytes with its NUL
 * is sent without a name (name_len 0).  The statistics are the values
 * /proc/PID/smaps computes for the mapping.  Kernel threads and zombies
 * have an empty TASK_DIAG_VMA attribute.  TASK_DIAG_DUMP_ALL_THREAD and
 * _THREAD send the maps once per process, with its thread-group leader;
 * the other threads have no TASK_DIAG_VMA attribute.
 *
 * A task whose attributes do not fit in one message continues in the
 * next message(s): each repeats struct task_diag_msg (the task's pid and
 * tgid as they were when its first message was built) and carries the
 * next attributes in group order; all but the task's last message have
 * TASK_DIAG_FLAG_CONT set in task_diag_msg.flags.  Only two attributes are
 * ever split: TASK_DIAG_VMA, each part holding whole records, and
 * TASK_DIAG_CMDLINE, whose parts are consecutive byte ranges to be
 * concatenated.  Every message carries at least one attribute, or at
 * least one byte or record of a split one, but the message of a task that
 * none of the requested groups applies to (show_flags 0, or only the maps
 * for a thread that is not the leader under the thread strategies).  A
 * split TASK_DIAG_VMA resumes at the first mapping that ends above the end
 * of the last record sent, as /proc/PID/smaps resumes between two reads:
 * whatever mappings change between two messages, the ends of the records
 * strictly increase; a mapping that grew past that end meanwhile comes
 * again with its new extent.  When the task exits or becomes invisible to
 * a reader between two of its messages, its last message may lack
 * TASK_DIAG_FLAG_CONT's promised rest: a reader takes the next message of
 * another pid as the end of the task.  When it runs a new program between
 * two messages, a split TASK_DIAG_VMA or TASK_DIAG_CMDLINE ends there (the
 * rest would describe another program) and the next groups follow.
 *
 * TASK_DIAG_CMDLINE holds the bytes /proc/PID/cmdline gives, by the same
 * rules (a process that rewrote its argument area included), whole,
 * never truncated; it is empty for kernel threads and zombies.
 * TASK_DIAG_STATM is all zero for tasks without memory (kernel threads,
 * zombies).  TASK_DIAG_NAME holds the name field 2 of /proc/PID/stat shows
 * (the comm, or a kernel thread's or workqueue worker's longer name),
 * NUL-terminated, at most TASK_DIAG_NAME_LEN bytes.
 *
 * The dump ends with one NLMSG_DONE message (nlmsg_flags = NLM_F_MULTI,
 * payload: an int 0), after which read() returns 0.  A new request may
 * then be written to the same file.
 *
 * Visibility: a task appears only if the credentials of the opener of the
 * file, of the writer of the request and of the reader could each
 * ptrace-read it (PTRACE_MODE_READ_FSCREDS), as in procfs mounted with
 * hidepid=2; other tasks are skipped.  Process ids are those of the pid
 * namespace of the procfs mount the file was opened on; user and group ids
 * are mapped into the user namespace of the reader.
 */

/**
 * DOC: task_diag errors
 *
 * Errors are the negative return values of write() and read(); a response
 * is never silently truncated.
 *
 * write():
 *
 *	EINVAL	the payload is shorter than struct task_diag_pid; nlmsg_len
 *		is not the number of bytes written; show_flags has a bit
 *		that is not a TASK_DIAG_SHOW_*; dump_strategy is not a
 *		TASK_DIAG_DUMP_*; a reserved field is not zero;
 *		TASK_DIAG_SHOW_VMA_STAT without TASK_DIAG_SHOW_VMA
 *	E2BIG	the payload is longer than struct task_diag_pid and a byte
 *		past it is not zero
 *	ESRCH	TASK_DIAG_DUMP_ONE, _CHILDREN or _THREAD: no task with this
 *		pid is visible
 *	EBUSY	the previous dump has not been read to its end
 *	EFAULT	the buffer is not readable
 *	ENOMEM	no memory for the dump's buffer
 *
 * read():
 *
 *	EMSGSIZE	the buffer cannot hold the next whole message; the
 *			dump is kept and a read() with a bigger buffer
 *			continues it
 *	EFAULT		the buffer is not writable; the messages that could
 *			not be copied are built again for the next read()
 *	EINTR		a fatal signal is pending and nothing was copied
 *	ENOMEM		no memory to describe a task
 *
 * A read() that fails copies nothing and loses nothing: the next read()
 * (by this or another reader, checked afresh) continues where the last
 * one that succeeded ended.  A read() that copied some messages returns
 * their length instead of an error.
 */

/* nlmsg_type of every task message of a response */
#define TASK_DIAG_CMD_GET	0xd101

/* task_diag_msg.flags: this task continues in the next message */
#define TASK_DIAG_FLAG_CONT	0x1

/* size of task_diag_base.comm, the NUL included */
#define TASK_DIAG_COMM_LEN	16

/*
 * Attribute groups: the nla_type of an attribute of a task message and
 * the bit number of its TASK_DIAG_SHOW_* flag.  Attributes are sent in
 * this order.
 */
enum {
	TASK_DIAG_BASE = 0,	/* struct task_diag_base */
	TASK_DIAG_CRED,		/* struct task_diag_creds */
	TASK_DIAG_VMA,		/* struct task_diag_vma records */
	TASK_DIAG_VMA_STAT,	/* struct task_diag_vma_stat in each record */
	TASK_DIAG_STAT,		/* struct task_diag_stat */
	TASK_DIAG_STATM,	/* struct task_diag_statm */
	TASK_DIAG_CMDLINE,	/* argv as in /proc/PID/cmdline */
	TASK_DIAG_NAME,		/* the name /proc/PID/stat shows */

	__TASK_DIAG_ATTR_MAX
};

#define TASK_DIAG_ATTR_MAX	(__TASK_DIAG_ATTR_MAX - 1)

/* task_diag_pid.show_flags: the groups to send */
#define TASK_DIAG_SHOW_BASE	(1ULL << TASK_DIAG_BASE)
#define TASK_DIAG_SHOW_CRED	(1ULL << TASK_DIAG_CRED)
#define TASK_DIAG_SHOW_VMA	(1ULL << TASK_DIAG_VMA)
#define TASK_DIAG_SHOW_VMA_STAT	(1ULL << TASK_DIAG_VMA_STAT)
#define TASK_DIAG_SHOW_STAT	(1ULL << TASK_DIAG_STAT)
#define TASK_DIAG_SHOW_STATM	(1ULL << TASK_DIAG_STATM)
#define TASK_DIAG_SHOW_CMDLINE	(1ULL << TASK_DIAG_CMDLINE)
#define TASK_DIAG_SHOW_NAME	(1ULL << TASK_DIAG_NAME)

/*
 * Longest TASK_DIAG_NAME payload, its NUL included: a kernel thread's
 * full name or a workqueue worker's "kworker/u8:1-events_unbound".
 */
#define TASK_DIAG_NAME_LEN	64

/*
 * task_diag_pid.dump_strategy: which tasks, in pid order.  ALL and
 * ALL_THREAD ignore task_diag_pid.pid; the others act on that pid.
 */
#define TASK_DIAG_DUMP_ALL		0	/* every thread-group leader */
#define TASK_DIAG_DUMP_ONE		1	/* the task pid */
#define TASK_DIAG_DUMP_ALL_THREAD	2	/* every thread */
#define TASK_DIAG_DUMP_CHILDREN		3	/* pid's process's children */
#define TASK_DIAG_DUMP_THREAD		4	/* the threads of pid's process */

/* task_diag_base.state: the "RSDTtXZPI" letters of /proc/PID/stat */
enum {
	TASK_DIAG_RUNNING = 0,		/* R */
	TASK_DIAG_INTERRUPTIBLE,	/* S */
	TASK_DIAG_UNINTERRUPTIBLE,	/* D */
	TASK_DIAG_STOPPED,		/* T */
	TASK_DIAG_TRACE_STOP,		/* t */
	TASK_DIAG_DEAD,			/* X */
	TASK_DIAG_ZOMBIE,		/* Z */
	TASK_DIAG_PARKED,		/* P */
	TASK_DIAG_IDLE			/* I */
};

/*
 * task_diag_vma.vm_flags: bit numbers of stable flags, not the kernel's
 * VM_* values.  The kernel no longer has DENYWRITE and MPX mappings: those
 * bits are never set.
 */
#define TASK_DIAG_VMA_F_READ		0
#define TASK_DIAG_VMA_F_WRITE		1
#define TASK_DIAG_VMA_F_EXEC		2
#define TASK_DIAG_VMA_F_SHARED		3
#define TASK_DIAG_VMA_F_MAYREAD		4
#define TASK_DIAG_VMA_F_MAYWRITE	5
#define TASK_DIAG_VMA_F_MAYEXEC		6
#define TASK_DIAG_VMA_F_MAYSHARE	7
#define TASK_DIAG_VMA_F_GROWSDOWN	8
#define TASK_DIAG_VMA_F_PFNMAP		9
#define TASK_DIAG_VMA_F_DENYWRITE	10
#define TASK_DIAG_VMA_F_MPX		11
#define TASK_DIAG_VMA_F_LOCKED		12
#define TASK_DIAG_VMA_F_IO		13
#define TASK_DIAG_VMA_F_SEQ_READ	14
#define TASK_DIAG_VMA_F_RAND_READ	15
#define TASK_DIAG_VMA_F_DONTCOPY	16
#define TASK_DIAG_VMA_F_DONTEXPAND	17
#define TASK_DIAG_VMA_F_ACCOUNT		18
#define TASK_DIAG_VMA_F_NORESERVE	19
#define TASK_DIAG_VMA_F_HUGETLB		20
#define TASK_DIAG_VMA_F_ARCH_1		21
#define TASK_DIAG_VMA_F_DONTDUMP	22
#define TASK_DIAG_VMA_F_SOFTDIRTY	23
#define TASK_DIAG_VMA_F_MIXEDMAP	24
#define TASK_DIAG_VMA_F_HUGEPAGE	25
#define TASK_DIAG_VMA_F_NOHUGEPAGE	26
#define TASK_DIAG_VMA_F_MERGEABLE	27

/**
 * struct task_diag_pid - a request, the payload after its struct nlmsghdr
 * @show_flags: the groups to send: TASK_DIAG_SHOW_* flags; any other bit
 *	is refused
 * @dump_strategy: the tasks to describe: a TASK_DIAG_DUMP_* value
 * @pid: the task that TASK_DIAG_DUMP_ONE, _CHILDREN and _THREAD act on;
 *	ignored by TASK_DIAG_DUMP_ALL and _ALL_THREAD
 * @reserved: must be zero
 */
struct task_diag_pid {
	__u64	show_flags;
	__u64	dump_strategy;
	__u32	pid;
	__u32	reserved;
};

/**
 * struct task_diag_msg - the first payload of every task message
 * @pid: the task's pid
 * @tgid: the task's thread-group id
 * @flags: TASK_DIAG_FLAG_CONT when the task continues in the next message
 */
struct task_diag_msg {
	__u32	pid;
	__u32	tgid;
	__u32	flags;
};

/**
 * struct task_diag_base - the TASK_DIAG_BASE attribute
 * @tgid: thread-group id
 * @pid: pid (thread id)
 * @ppid: pid of the parent, 0 when not visible
 * @tpid: pid of the tracer, 0 when not traced
 * @sid: session id
 * @pgid: process-group id
 * @state: a TASK_DIAG_RUNNING ... TASK_DIAG_IDLE value
 * @comm: the command name, NUL-terminated and NUL-padded
 * @reserved: zero
 */
struct task_diag_base {
	__u32	tgid;
	__u32	pid;
	__u32	ppid;
	__u32	tpid;
	__u32	sid;
	__u32	pgid;
	__u8	state;
	char	comm[TASK_DIAG_COMM_LEN];
	__u8	reserved[3];
};

/**
 * struct task_diag_caps - a capability set
 * @cap: the capability bits, bit n of cap[n / 32] for capability n
 */
struct task_diag_caps {
	__u32	cap[2];
};

/**
 * struct task_diag_creds - the TASK_DIAG_CRED attribute
 * @cap_inheritable: inheritable capabilities
 * @cap_permitted: permitted capabilities
 * @cap_effective: effective capabilities
 * @cap_bset: capability bounding set
 * @uid: real user id
 * @euid: effective user id
 * @suid: saved user id
 * @fsuid: filesystem user id
 * @gid: real group id
 * @egid: effective group id
 * @sgid: saved group id
 * @fsgid: filesystem group id
 *
 * Ids are mapped into the user namespace of the reader.
 */
struct task_diag_creds {
	struct task_diag_caps	cap_inheritable;
	struct task_diag_caps	cap_permitted;
	struct task_diag_caps	cap_effective;
	struct task_diag_caps	cap_bset;
	__u32	uid;
	__u32	euid;
	__u32	suid;
	__u32	fsuid;
	__u32	gid;
	__u32	egid;
	__u32	sgid;
	__u32	fsgid;
};

/**
 * struct task_diag_vma - one record of the TASK_DIAG_VMA attribute
 * @start: first address of the mapping
 * @end: first address past the mapping
 * @vm_flags: bits numbered by TASK_DIAG_VMA_F_*
 * @pgoff: offset in the file, in bytes; 0 when anonymous, as in maps
 * @major: major number of the file's device
 * @minor: minor number of the file's device
 * @inode: inode number of the file, 0 when anonymous
 * @generation: inode generation of the file
 * @vma_len: length of the whole record, this structure, its
 *	struct task_diag_vma_stat, its name and padding included; a multiple
 *	of 8; the next record starts @vma_len bytes after this one
 * @name_off: offset of the name from the start of the record, 0 when none
 * @name_len: length of the name, its terminating NUL included, 0 when none
 * @stat_off: offset of the struct task_diag_vma_stat from the start of the
 *	record, 0 when none
 * @stat_len: length of the struct task_diag_vma_stat, 0 when none
 * @reserved: zero
 */
struct task_diag_vma {
	__u64	start;
	__u64	end;
	__u64	vm_flags;
	__u64	pgoff;
	__u32	major;
	__u32	minor;
	__u64	inode;
	__u32	generation;
	__u16	vma_len;
	__u16	name_off;
	__u16	name_len;
	__u16	stat_off;
	__u16	stat_len;
	__u16	reserved;
};

/**
 * struct task_diag_vma_stat - the statistics of one mapping, in bytes
 * @resident: resident set size
 * @shared_clean: clean pages mapped by more than one process
 * @shared_dirty: dirty pages mapped by more than one process
 * @private_clean: clean pages mapped by this process only
 * @private_dirty: dirty pages mapped by this process only
 * @referenced: pages marked referenced or accessed
 * @anonymous: pages that belong to no file
 * @anonymous_thp: anonymous memory in transparent huge pages
 * @swap: anonymous memory swapped out
 * @pss: proportional set size, in fixed point: bytes << 12
 */
struct task_diag_vma_stat {
	__u64	resident;
	__u64	shared_clean;
	__u64	shared_dirty;
	__u64	private_clean;
	__u64	private_dirty;
	__u64	referenced;
	__u64	anonymous;
	__u64	anonymous_thp;
	__u64	swap;
	__u64	pss;
};

/**
 * struct task_diag_stat - the TASK_DIAG_STAT attribute
 * @minflt: minor faults
 * @cminflt: minor faults of the waited-for children
 * @majflt: major faults
 * @cmajflt: major faults of the waited-for children
 * @utime: user time, in clock ticks (sysconf(_SC_CLK_TCK))
 * @stime: system time, in clock ticks
 * @cutime: user time of the waited-for children, in clock ticks
 * @cstime: system time of the waited-for children, in clock ticks
 * @threads: number of threads in the thread group
 * @reserved: zero
 * @start_time: when the task started, in clock ticks after boot (field 22
 *	of /proc/PID/stat, the reader's time namespace applied)
 * @tty_nr: the controlling terminal, encoded as field 7 of /proc/PID/stat
 *	(new_encode_dev()); 0 when none
 * @tpgid: the terminal's foreground process group, in the pid namespace of
 *	the procfs mount; -1 when none or not visible there
 * @nice: nice value, -20 to 19
 * @priority: priority as field 18 of /proc/PID/stat
 * @rt_priority: real-time priority, 0 for normal policies
 * @policy: scheduling policy, a SCHED_* value
 * @processor: the CPU the task last ran on
 * @flags: the task's PF_* flags, as field 9 of /proc/PID/stat
 *
 * Faults and times are those of the whole thread group for
 * TASK_DIAG_DUMP_ALL, _CHILDREN and _ONE of a thread-group leader (as
 * /proc/PID/stat), those of the thread itself otherwise (as
 * /proc/PID/task/TID/stat); @threads is always the group's.
 *
 * The fields from @start_time on were appended to the published 72-byte
 * structure: readers of the prefix only still work, and readers use the
 * prefix they know of a longer payload.
 */
struct task_diag_stat {
	__u64	minflt;
	__u64	cminflt;
	__u64	majflt;
	__u64	cmajflt;
	__u64	utime;
	__u64	stime;
	__u64	cutime;
	__u64	cstime;
	__u32	threads;
	__u32	reserved;
	__u64	start_time;
	__u32	tty_nr;
	__s32	tpgid;
	__s32	nice;
	__s32	priority;
	__u32	rt_priority;
	__u32	policy;
	__u32	processor;
	__u32	flags;
};

/* length of struct task_diag_stat as published, before the appended fields */
#define TASK_DIAG_STAT_SIZE_VER0	72

/**
 * struct task_diag_statm - the TASK_DIAG_STATM attribute
 * @anon: resident anonymous memory, in pages
 * @file: resident file mappings, in pages
 * @shmem: resident shared memory, in pages
 * @hiwater_vm: peak virtual memory size, in pages
 * @hiwater_rss: peak resident set size, in pages
 * @text: size of the text (code) mapping, in pages
 * @lib: size of the shared-library code, in pages
 * @swap: anonymous memory swapped out, in pages
 * @ptes: size of the page tables, in bytes
 * @total_rss: resident set size, in pages
 * @total_vm: virtual memory size, in pages
 * @data_vm: size of the private writable mappings, in pages
 * @stack_vm: size of the stack mappings, in pages
 * @locked_vm: locked memory, in pages
 * @pinned_vm: pinned memory, in pages
 */
struct task_diag_statm {
	__u64	anon;
	__u64	file;
	__u64	shmem;
	__u64	hiwater_vm;
	__u64	hiwater_rss;
	__u64	text;
	__u64	lib;
	__u64	swap;
	__u64	ptes;
	__u64	total_rss;
	__u64	total_vm;
	__u64	data_vm;
	__u64	stack_vm;
	__u64	locked_vm;
	__u64	pinned_vm;
};

#endif /* _UAPI_LINUX_TASK_DIAG_H */
