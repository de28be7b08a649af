// SPDX-License-Identifier: GPL-2.0

//! What procfs computes about a task, for `/proc/task_diag`: the code
//! behind `/proc/PID/stat`, `status`, `statm`, `cmdline`, `maps` and
//! `smaps`, so that the two interfaces never disagree.
//!
//! C header: [`include/linux/proc_task_diag.h`](srctree/include/linux/proc_task_diag.h)

use core::ptr;

use crate::{
    bindings,
    error::{Error, Result},
    mm::{virt::VmaRef, MmWithUser, MmapReadGuard},
    pid_namespace::PidNamespace,
    task::Task,
    types::Opaque,
    uapi,
};

/// Size of the buffer [`Task::proc_name`] fills: `TASK_DIAG_NAME_LEN`.
pub const NAME_LEN: usize = uapi::TASK_DIAG_NAME_LEN as usize;

impl Task {
    /// The name field 2 of `/proc/PID/stat` shows: the comm, or a kernel
    /// thread's full name, or a workqueue worker's name with its workqueue.
    /// Returns its length; `buf` holds it NUL-terminated.
    ///
    /// May sleep.
    pub fn proc_name(&self, buf: &mut [u8; NAME_LEN]) -> usize {
        // SAFETY: `self` is a valid task and `buf` is writable for its
        // length; the function writes a NUL-terminated name within it.
        unsafe { bindings::proc_task_name_buf(self.0.get(), buf.as_mut_ptr().cast(), NAME_LEN) }
    }

    /// The task's credentials as `/proc/PID/status` shows them, ids mapped
    /// into the current task's user namespace.
    pub fn proc_creds(&self, out: &mut uapi::task_diag_creds) {
        // SAFETY: `self` is a valid task; `out` is a writable `struct
        // task_diag_creds` (the uapi type is the C one).
        unsafe {
            bindings::proc_task_diag_creds(self.0.get(), (out as *mut uapi::task_diag_creds).cast())
        }
    }

    /// The task's counters as `/proc/PID/stat` shows them (`whole`: of the
    /// thread group, as `/proc/PID/stat`; else of the task, as
    /// `/proc/PID/task/TID/stat`), the terminal's process group in `ns`.
    ///
    /// Does not sleep.
    pub fn proc_stat(&self, ns: &PidNamespace, whole: bool, out: &mut uapi::task_diag_stat) {
        // SAFETY: `self` and `ns` are valid; `out` is a writable `struct
        // task_diag_stat`.
        unsafe {
            bindings::proc_task_diag_stat(
                self.0.get(),
                ns.as_ptr(),
                whole,
                (out as *mut uapi::task_diag_stat).cast(),
            )
        }
    }
}

impl MmWithUser {
    /// The memory sizes `/proc/PID/status` shows, in pages.
    pub fn proc_statm(&self, out: &mut uapi::task_diag_statm) {
        // SAFETY: `self` is a live mm; `out` is a writable `struct
        // task_diag_statm`.
        unsafe {
            bindings::proc_task_diag_statm(
                self.as_raw(),
                (out as *mut uapi::task_diag_statm).cast(),
            )
        }
    }

    /// Reads the bytes of `/proc/PID/cmdline` from offset `pos` into `buf`;
    /// returns how many, 0 at the end.
    ///
    /// May sleep (it reads the process's memory).
    pub fn proc_cmdline(&self, pos: usize, buf: &mut [u8]) -> Result<usize> {
        let pos = i64::try_from(pos).map_err(|_| crate::error::code::EINVAL)?;
        // SAFETY: `self` is a live mm; `buf` is writable for its length.
        let n = unsafe {
            bindings::proc_mm_cmdline(self.as_raw(), buf.as_mut_ptr().cast(), buf.len(), pos)
        };
        usize::try_from(n).map_err(|_| Error::from_errno(n as i32))
    }
}

impl MmapReadGuard<'_> {
    /// The mappings `/proc/PID/maps` shows, in its order, from the first
    /// that ends above `addr` (0 for all of them), the gate area last: the
    /// walk resumes where one that ended at `addr` stopped. [`ProcVmas::name`]
    /// writes their names into `name`.
    pub fn proc_vmas<'b>(&self, addr: usize, name: &'b mut [u8]) -> ProcVmas<'_, 'b> {
        let vmi = Opaque::<bindings::vma_iterator>::uninit();
        // SAFETY: The mmap lock of the live mm is held, as the guard exists;
        // `vmi` is writable and the function initialises it.
        unsafe { bindings::proc_task_diag_vma_start(vmi.get(), self.mm().as_raw(), addr as _) };
        // INVARIANT: `vmi` was just started on the mm whose lock `self` holds.
        ProcVmas {
            vmi,
            guard: self,
            addr,
            name,
            last: ptr::null(),
        }
    }
}

/// A walk of the mappings of an address space in the order of
/// `/proc/PID/maps`, from [`MmapReadGuard::proc_vmas`].
///
/// # Invariants
///
/// `vmi` was started on the mm of `guard`, whose mmap lock is held for the
/// lifetime `'a`; `addr` is the end of the last mapping given, or the start
/// address. A `struct vma_iterator` of a read-only walk holds no pointer
/// into itself and no allocation, so it may be moved and needs no cleanup.
/// `last` is null or the path of the file of a mapping of the mm named
/// under this hold of the lock, whose name `name` holds.
pub struct ProcVmas<'a, 'b> {
    vmi: Opaque<bindings::vma_iterator>,
    guard: &'a MmapReadGuard<'a>,
    addr: usize,
    name: &'b mut [u8],
    last: *const bindings::path,
}

impl ProcVmas<'_, '_> {
    /// The name `/proc/PID/maps` shows for `vma`, a mapping of the walk,
    /// NUL-terminated, written into the walk's buffer; empty when the
    /// mapping has none, `ENAMETOOLONG` when the buffer is too small.
    ///
    /// The consecutive mappings of one file share the name looked up for
    /// the first of them.
    pub fn name(&mut self, vma: &VmaRef) -> Result<&[u8]> {
        // SAFETY: `vma` is valid under the mmap lock, held for the walk;
        // `name` is writable for its length. By the type invariants, `last`
        // is null or a path whose name `name` holds, and the function only
        // compares it with the path of `vma` before it sets it.
        let n = unsafe {
            bindings::proc_task_diag_vma_name(
                vma.as_ptr(),
                self.name.as_mut_ptr().cast(),
                self.name.len(),
                &mut self.last,
            )
        };
        // INVARIANT: The function left `last` null, or set it to the path
        // of `vma`, whose name it wrote into `name`.
        let n = usize::try_from(n).map_err(|_| Error::from_errno(n))?;
        Ok(self.name.get(..n).unwrap_or_default())
    }
}

impl<'a> Iterator for ProcVmas<'a, '_> {
    type Item = &'a VmaRef;

    fn next(&mut self) -> Option<&'a VmaRef> {
        // SAFETY: By the type invariants, `vmi` walks the mm of `guard`,
        // whose mmap lock is held, and `addr` is where the walk stands.
        let vma = unsafe {
            bindings::proc_task_diag_vma_next(
                self.vmi.get(),
                self.guard.mm().as_raw(),
                self.addr as _,
            )
        };
        if vma.is_null() {
            return None;
        }
        // SAFETY: A mapping of the mm, valid while its mmap lock is held,
        // which is for `'a`; or the static gate area.
        let vma = unsafe { VmaRef::from_raw(vma) };
        // INVARIANT: `vma` is the last mapping given.
        self.addr = vma.end();
        Some(vma)
    }
}

impl VmaRef {
    /// The fields of the mapping `/proc/PID/maps` shows: addresses, flags
    /// (`TASK_DIAG_VMA_F_*` bits), offset, device and inode. Leaves the
    /// record's lengths and offsets alone.
    pub fn proc_record(&self, out: &mut uapi::task_diag_vma) {
        // SAFETY: `self` is valid under its mmap lock; `out` is a writable
        // `struct task_diag_vma`.
        unsafe {
            bindings::proc_task_diag_vma(self.as_ptr(), (out as *mut uapi::task_diag_vma).cast())
        }
    }

    /// The page statistics `/proc/PID/smaps` shows for the mapping.
    ///
    /// Walks its page tables; may sleep.
    pub fn proc_stat(&self, out: &mut uapi::task_diag_vma_stat) {
        // SAFETY: `self` is valid under its mmap lock; `out` is a writable
        // `struct task_diag_vma_stat`.
        unsafe {
            bindings::proc_task_diag_vma_stat(
                self.as_ptr(),
                (out as *mut uapi::task_diag_vma_stat).cast(),
            )
        }
    }
}
