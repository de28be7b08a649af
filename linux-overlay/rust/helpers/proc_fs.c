// SPDX-License-Identifier: GPL-2.0

#include <linux/proc_fs.h>

struct pid_namespace *rust_helper_proc_pid_ns(struct super_block *sb)
{
	return proc_pid_ns(sb);
}
