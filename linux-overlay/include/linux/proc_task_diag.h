/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What procfs computes about a task, for /proc/task_diag: the same code
 * as /proc/PID/stat, status, statm, cmdline, maps and smaps, so that the
 * two never disagree.
 */
#ifndef _LINUX_PROC_TASK_DIAG_H
#define _LINUX_PROC_TASK_DIAG_H

#include <linux/types.h>
#include <uapi/linux/task_diag.h>

struct mm_struct;
struct path;
struct pid_namespace;
struct task_struct;
struct vm_area_struct;
struct vma_iterator;

size_t proc_task_name_buf(struct task_struct *p, char *buf, size_t size);
void proc_task_diag_creds(struct task_struct *task,
			  struct task_diag_creds *creds);
void proc_task_diag_stat(struct task_struct *task, struct pid_namespace *ns,
			 bool whole, struct task_diag_stat *st);
void proc_task_diag_statm(struct mm_struct *mm, struct task_diag_statm *st);
ssize_t proc_mm_cmdline(struct mm_struct *mm, char *buf, size_t count,
			loff_t pos);
void proc_task_diag_vma_start(struct vma_iterator *vmi, struct mm_struct *mm,
			      unsigned long addr);
struct vm_area_struct *proc_task_diag_vma_next(struct vma_iterator *vmi,
					       struct mm_struct *mm,
					       unsigned long addr);
void proc_task_diag_vma(struct vm_area_struct *vma, struct task_diag_vma *rec);
int proc_task_diag_vma_name(struct vm_area_struct *vma, char *buf,
			    size_t size, const struct path **last);
void proc_task_diag_vma_stat(struct vm_area_struct *vma,
			     struct task_diag_vma_stat *st);

#endif /* _LINUX_PROC_TASK_DIAG_H */
