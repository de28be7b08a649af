// SPDX-License-Identifier: GPL-2.0

#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

struct pid_namespace *rust_helper_get_pid_ns(struct pid_namespace *ns)
{
	return get_pid_ns(ns);
}

pid_t rust_helper_task_ppid_nr_ns(const struct task_struct *tsk,
				  struct pid_namespace *ns)
{
	return task_ppid_nr_ns(tsk, ns);
}

struct task_struct *rust_helper_ptrace_parent(struct task_struct *task)
{
	return ptrace_parent(task);
}

unsigned int rust_helper_task_state_index(struct task_struct *tsk)
{
	return task_state_index(tsk);
}
