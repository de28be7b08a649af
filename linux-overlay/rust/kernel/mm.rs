// SPDX-License-Identifier: GPL-2.0

//! Memory management: references to a process's memory (`struct mm_struct`),
//! taking it from another task the way `mm_access()` does, and reading its
//! mappings under the mmap lock.
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h),
//! [`include/linux/sched/mm.h`](srctree/include/linux/sched/mm.h)

use crate::{
    bindings,
    error::{to_result, Result},
    task::Task,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};

pub mod virt;

/// A `struct mm_struct` kept from being freed (`mmgrab()`).
///
/// Such a reference keeps the structure, not the address space: its
/// mappings may be torn down meanwhile. [`Mm::mmget_not_zero`] gives an
/// [`MmWithUser`] while the address space is still alive. Holding one only
/// to recognise the same memory later, as a cursor across system calls,
/// pins a few hundred bytes, never the process's memory.
///
/// # Invariants
///
/// The inner `struct mm_struct` is valid, with a non-zero `mm_count`, for as
/// long as the `&Mm` or `ARef<Mm>` exists.
#[repr(transparent)]
pub struct Mm(Opaque<bindings::mm_struct>);

// SAFETY: `mm_struct` is reference counted with atomics and may be used and
// released from any thread.
unsafe impl Send for Mm {}
// SAFETY: The methods of `&Mm` call C functions that synchronise themselves.
unsafe impl Sync for Mm {}

impl Mm {
    /// Returns the raw `struct mm_struct` pointer.
    pub fn as_raw(&self) -> *mut bindings::mm_struct {
        self.0.get()
    }

    /// A user of the address space (`mmget_not_zero()`), unless it has been
    /// torn down already.
    pub fn mmget_not_zero(&self) -> Option<ARef<MmWithUser>> {
        // SAFETY: `self` is valid, so its `mm_users` may be tested.
        if unsafe { bindings::mmget_not_zero(self.as_raw()) } {
            // SAFETY: A user reference was just taken; the `ARef` owns it.
            // `MmWithUser` is a transparent wrapper of `Mm`.
            Some(unsafe { ARef::from_raw(NonNull::new_unchecked(self.as_raw().cast())) })
        } else {
            None
        }
    }
}

// SAFETY: The type invariants guarantee a non-zero `mm_count`, which
// `mmgrab` and `mmdrop` maintain.
unsafe impl AlwaysRefCounted for Mm {
    fn inc_ref(&self) {
        // SAFETY: The count is non-zero by the type invariant.
        unsafe { bindings::mmgrab(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned.
        unsafe { bindings::mmdrop(obj.cast().as_ptr()) };
    }
}

/// A `struct mm_struct` whose address space is kept alive (`mmget()`): its
/// mappings and pages may be read.
///
/// # Invariants
///
/// The inner `struct mm_struct` has a non-zero `mm_users` for as long as the
/// `&MmWithUser` or `ARef<MmWithUser>` exists.
#[repr(transparent)]
pub struct MmWithUser(Mm);

// SAFETY: As for `Mm`; `mmput()` may sleep, but any thread may call it.
unsafe impl Send for MmWithUser {}
// SAFETY: As for `Mm`.
unsafe impl Sync for MmWithUser {}

impl Deref for MmWithUser {
    type Target = Mm;

    fn deref(&self) -> &Mm {
        &self.0
    }
}

// SAFETY: The type invariants guarantee a non-zero `mm_users`, which `mmget`
// and `mmput` maintain.
unsafe impl AlwaysRefCounted for MmWithUser {
    fn inc_ref(&self) {
        // SAFETY: The count is non-zero by the type invariant.
        unsafe { bindings::mmget(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned; `mmput()` may
        // sleep, which `MmWithUser` users know (it is dropped in process
        // context).
        unsafe { bindings::mmput(obj.cast().as_ptr()) };
    }
}

impl MmWithUser {
    /// Takes the mmap lock for reading, waiting killably (`EINTR` when a
    /// fatal signal comes first).
    pub fn mmap_read_lock_killable(&self) -> Result<MmapReadGuard<'_>> {
        // SAFETY: `self` is a live mm, so its lock may be taken.
        to_result(unsafe { bindings::mmap_read_lock_killable(self.as_raw()) })?;
        // INVARIANT: The lock was just taken by the current task.
        Ok(MmapReadGuard {
            mm: self,
            _not_send: PhantomData,
        })
    }
}

/// The mmap lock of an address space held for reading, from
/// [`MmWithUser::mmap_read_lock_killable`]: its mappings can be read, and
/// none is added, removed or changed while the guard exists.
///
/// # Invariants
///
/// The current task holds the mmap lock of `mm` for reading.
pub struct MmapReadGuard<'a> {
    mm: &'a MmWithUser,
    // The lock is released by the task that took it.
    _not_send: PhantomData<*mut ()>,
}

impl MmapReadGuard<'_> {
    /// The address space whose lock is held.
    pub fn mm(&self) -> &MmWithUser {
        self.mm
    }
}

impl Drop for MmapReadGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the current task holds the lock.
        unsafe { bindings::mmap_read_unlock(self.mm.as_raw()) };
    }
}

/// The exec update lock of a task's process held for reading
/// (`signal->exec_update_lock`), from [`Task::exec_update_read_killable`]:
/// the credentials and the memory of the process cannot change by an
/// `execve()` while it exists.
///
/// # Invariants
///
/// The lock of `task`'s process is held for reading by the current task.
pub struct ExecUpdateReadGuard<'a> {
    task: &'a Task,
    _not_send: PhantomData<*mut ()>,
}

impl Task {
    /// Takes the exec update lock of the task's process for reading, as
    /// `mm_access()` and `/proc/PID/` files do before they check access and
    /// read the memory; waits killably.
    pub fn exec_update_read_killable(&self) -> Result<ExecUpdateReadGuard<'_>> {
        // SAFETY: `self` is a valid task, whose `signal` lives as long.
        to_result(unsafe { bindings::exec_update_read_lock_killable(self.0.get()) })?;
        // INVARIANT: The lock was just taken by the current task.
        Ok(ExecUpdateReadGuard {
            task: self,
            _not_send: PhantomData,
        })
    }

    /// The memory of the task with a user reference (`get_task_mm()`);
    /// `None` for a kernel thread or a task that has exited.
    ///
    /// Whoever reads it on behalf of another task must check access to it
    /// under the exec update lock ([`Task::exec_update_read_killable`]), as
    /// `mm_access()` does, so that it cannot be the memory of a new program
    /// run by `execve()` after the check.
    pub fn get_mm(&self) -> Option<ARef<MmWithUser>> {
        // SAFETY: `self` is a valid task.
        let mm = unsafe { bindings::get_task_mm(self.0.get()) };
        // SAFETY: `get_task_mm()` returned a user reference, which the `ARef`
        // takes over. `MmWithUser` is a transparent wrapper.
        NonNull::new(mm).map(|mm| unsafe { ARef::from_raw(mm.cast()) })
    }
}

impl Drop for ExecUpdateReadGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the current task holds the lock.
        unsafe { bindings::exec_update_read_unlock(self.task.0.get()) };
    }
}
