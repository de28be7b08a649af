// SPDX-License-Identifier: GPL-2.0

#include <linux/pid_namespace.h>
#include <linux/sched.h>

struct pid_namespace *rust_helper_get_pid_ns(struct pid_namespace *ns)
{
	return get_pid_ns(ns);
}

unsigned int rust_helper_task_state_index(struct task_struct *tsk)
{
	return task_state_index(tsk);
}
