// SPDX-License-Identifier: GPL-2.0

#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/radix-tree.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

struct pid_namespace *rust_helper_get_pid_ns(struct pid_namespace *ns)
{
	return get_pid_ns(ns);
}

struct pid *rust_helper_get_pid(struct pid *pid)
{
	return get_pid(pid);
}

unsigned int rust_helper_task_state_index(struct task_struct *tsk)
{
	return task_state_index(tsk);
}

/* The helpers below are called with rcu_read_lock() held. */

/*
 * The ids of @t in @ns, in this order: what task_pid_nr_ns(),
 * task_tgid_nr_ns(), task_ppid_nr_ns(), task_pid_nr_ns() of the tracer,
 * task_session_nr_ns() and task_pgrp_nr_ns() return, without taking the
 * RCU read lock once per id.
 */
void rust_helper_task_ids_rcu(struct task_struct *t, struct pid_namespace *ns,
			      pid_t *ids)
{
	struct task_struct *tracer = ptrace_parent(t);
	struct signal_struct *sig = t->signal;

	ids[0] = pid_nr_ns(rcu_dereference(t->thread_pid), ns);
	ids[1] = pid_nr_ns(rcu_dereference(sig->pids[PIDTYPE_TGID]), ns);
	ids[2] = pid_alive(t) ?
		pid_nr_ns(task_tgid(rcu_dereference(t->real_parent)), ns) : 0;
	ids[3] = tracer ? pid_nr_ns(task_pid(tracer), ns) : 0;
	ids[4] = pid_nr_ns(rcu_dereference(sig->pids[PIDTYPE_SID]), ns);
	ids[5] = pid_nr_ns(rcu_dereference(sig->pids[PIDTYPE_PGID]), ns);
}

struct pid *rust_helper_task_tgid(struct task_struct *t)
{
	return task_tgid(t);
}

/* The process id of the real parent; NULL once @t is reaped. */
struct pid *rust_helper_task_parent_tgid_rcu(struct task_struct *t)
{
	return pid_alive(t) ? task_tgid(rcu_dereference(t->real_parent)) : NULL;
}

/* Up to @max pids of @ns numbered @nr or more, in number order. */
unsigned int rust_helper_pid_ns_find_ge(struct pid_namespace *ns, pid_t nr,
					struct pid **pids, unsigned int max)
{
	return radix_tree_gang_lookup(&ns->idr.idr_rt, (void **)pids,
				      nr - ns->idr.idr_base, max);
}

/* The first thread of @t's thread group, in thread-list order. */
struct task_struct *rust_helper_first_thread(struct task_struct *t)
{
	return list_first_or_null_rcu(&t->signal->thread_head,
				      struct task_struct, thread_node);
}

/* The thread after @t in its group's list, NULL after the last. */
struct task_struct *rust_helper_next_thread(struct task_struct *t)
{
	return __next_thread(t);
}

struct pid *rust_helper_task_pid(struct task_struct *t)
{
	return task_pid(t);
}
