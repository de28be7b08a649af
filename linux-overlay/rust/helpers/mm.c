// SPDX-License-Identifier: GPL-2.0

#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

void rust_helper_mmgrab(struct mm_struct *mm)
{
	mmgrab(mm);
}

void rust_helper_mmdrop(struct mm_struct *mm)
{
	mmdrop(mm);
}

void rust_helper_mmget(struct mm_struct *mm)
{
	mmget(mm);
}

bool rust_helper_mmget_not_zero(struct mm_struct *mm)
{
	return mmget_not_zero(mm);
}

int rust_helper_exec_update_read_lock_killable(struct task_struct *t)
{
	return down_read_killable(&t->signal->exec_update_lock);
}

void rust_helper_exec_update_read_unlock(struct task_struct *t)
{
	up_read(&t->signal->exec_update_lock);
}

int rust_helper_mmap_read_lock_killable(struct mm_struct *mm)
{
	return mmap_read_lock_killable(mm);
}

void rust_helper_mmap_read_unlock(struct mm_struct *mm)
{
	mmap_read_unlock(mm);
}
