// SPDX-License-Identifier: GPL-2.0

//! Pid namespaces, task ids as a namespace sees them, and walking the tasks
//! of a namespace in pid order.
//!
//! C headers: [`include/linux/pid.h`](srctree/include/linux/pid.h),
//! [`include/linux/pid_namespace.h`](srctree/include/linux/pid_namespace.h)

use crate::{
    bindings,
    sync::rcu,
    task::Task,
    types::{AlwaysRefCounted, Opaque},
};
use core::ptr::{self, NonNull};

/// A pid number (`pid_t`) as a given namespace sees it; 0 where the task or
/// id is not visible there.
pub type Pid = bindings::pid_t;

/// A pid namespace (`struct pid_namespace`).
///
/// # Invariants
///
/// The inner `struct pid_namespace` is valid and has a non-zero reference
/// count for as long as the `&PidNamespace` or `ARef<PidNamespace>` exists.
#[repr(transparent)]
pub struct PidNamespace(Opaque<bindings::pid_namespace>);

// SAFETY: Pid namespaces are reference counted with atomics and their fields
// used here are immutable or read under RCU by the C functions called.
unsafe impl Send for PidNamespace {}
// SAFETY: See above.
unsafe impl Sync for PidNamespace {}

/// Which tasks [`PidNamespace::next_task`] walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// Every task (thread).
    Thread,
    /// Thread-group leaders only (processes).
    Leader,
}

impl PidNamespace {
    /// Borrows a `struct pid_namespace` for the lifetime `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid pid namespace whose reference count stays
    /// non-zero for the whole lifetime `'a`.
    pub unsafe fn from_ptr<'a>(ptr: *mut bindings::pid_namespace) -> &'a PidNamespace {
        // SAFETY: Transparent wrapper; the caller guarantees validity.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct pid_namespace` pointer.
    pub fn as_ptr(&self) -> *mut bindings::pid_namespace {
        self.0.get()
    }

    /// Returns the first task whose pid number in this namespace is `from` or
    /// greater, with that number; `None` when there is none.
    ///
    /// Calling it again with the returned number plus one walks every task of
    /// the namespace once, in pid order, whatever forks and exits meanwhile:
    /// a task alive for the whole walk is returned exactly once. The task is
    /// borrowed for the RCU read-side critical section (take an
    /// [`ARef<Task>`](crate::types::ARef) to keep it longer).
    #[inline]
    pub fn next_task<'a>(
        &'a self,
        from: Pid,
        kind: TaskKind,
        rcu: &'a rcu::Guard,
    ) -> Option<(Pid, &'a Task)> {
        TaskWalk::new(self, from, kind, 1, rcu).next()
    }

    /// Walks the tasks whose pid numbers in this namespace are `from` or
    /// greater, in pid order, as repeated [`Self::next_task`] calls would,
    /// within one RCU read-side critical section.
    ///
    /// The walk looks pids up [`TaskWalk::BATCH`] at a time, in one descent
    /// of the namespace's pid tree where `next_task` makes one per task.
    pub fn walk<'a>(&'a self, from: Pid, kind: TaskKind, rcu: &'a rcu::Guard) -> TaskWalk<'a> {
        TaskWalk::new(self, from, kind, TaskWalk::BATCH, rcu)
    }
}

/// The tasks of a pid namespace in pid order, from [`PidNamespace::walk`].
///
/// Yields each task with its pid number in the namespace. A task alive for
/// the whole walk is yielded exactly once, whatever forks and exits
/// meanwhile; a task that exits meanwhile may or may not be.
///
/// # Invariants
///
/// `pids[pos..len]` are pids of the namespace found under the RCU read lock
/// that `'a` borrows, in ascending number order; `pos <= len <= max <=
/// BATCH`.
pub struct TaskWalk<'a> {
    ns: &'a PidNamespace,
    ty: bindings::pid_type,
    /// The pid number the next lookup starts at; `None` once the tree holds
    /// no pid past the batch.
    next: Option<Pid>,
    pids: [*mut bindings::pid; TaskWalk::BATCH],
    pos: usize,
    len: usize,
    max: usize,
    _rcu: &'a rcu::Guard,
}

impl<'a> TaskWalk<'a> {
    /// How many pids one lookup finds at most.
    pub const BATCH: usize = 32;

    fn new(
        ns: &'a PidNamespace,
        from: Pid,
        kind: TaskKind,
        max: usize,
        rcu: &'a rcu::Guard,
    ) -> Self {
        let ty = match kind {
            TaskKind::Thread => bindings::pid_type_PIDTYPE_PID,
            TaskKind::Leader => bindings::pid_type_PIDTYPE_TGID,
        };
        // INVARIANT: No pids yet; `max` is at most `BATCH`.
        Self {
            ns,
            ty,
            next: Some(from.max(1)),
            pids: [ptr::null_mut(); Self::BATCH],
            pos: 0,
            len: 0,
            max: max.clamp(1, Self::BATCH),
            _rcu: rcu,
        }
    }

    /// Looks up the next batch of pids; `false` when there are none.
    fn fill(&mut self) -> bool {
        let Some(from) = self.next else {
            return false;
        };
        let ns = self.ns.as_ptr();
        // SAFETY: `ns` is valid; its `idr` is set up when it is created.
        let (tree, base) = unsafe { (ptr::addr_of!((*ns).idr.idr_rt), (*ns).idr.idr_base) };
        let Ok(index) = u32::try_from(from).map(|n| n.saturating_sub(base)) else {
            return false;
        };
        // SAFETY: The RCU read lock is held (`_rcu`), under which the pid
        // tree may be read: a pid found stays valid until it is dropped.
        // `pids` has room for `max` entries.
        let found = unsafe {
            bindings::radix_tree_gang_lookup(
                tree,
                self.pids.as_mut_ptr().cast(),
                index as usize,
                self.max as u32,
            )
        } as usize;
        // INVARIANT: the lookup stored `found <= max` pids in index order.
        self.pos = 0;
        self.len = found.min(self.max);
        // A full batch may have more pids after it.
        let last = match self.len.checked_sub(1) {
            Some(i) if self.len == self.max => self.pids.get(i).copied(),
            _ => None,
        };
        self.next = last.and_then(|pid| {
            // SAFETY: `pid` was just found under RCU; `ns` is valid.
            unsafe { bindings::pid_nr_ns(pid, ns) }.checked_add(1)
        });
        self.len > 0
    }
}

impl<'a> Iterator for TaskWalk<'a> {
    type Item = (Pid, &'a Task);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pos == self.len && !self.fill() {
                return None;
            }
            let pid = *self.pids.get(self.pos)?;
            self.pos += 1;
            // SAFETY: `pid` was found under the RCU read lock, still held;
            // the namespace is valid.
            let nr = unsafe { bindings::pid_nr_ns(pid, self.ns.as_ptr()) };
            // SAFETY: As above.
            let task = unsafe { bindings::pid_task(pid, self.ty) };
            if let Some(task) = NonNull::new(task) {
                // SAFETY: A task found under RCU is freed only after a grace
                // period, so it stays valid while the guard, which `'a`
                // borrows, holds the read lock; `Task` is a transparent
                // wrapper of `struct task_struct`.
                return Some((nr, unsafe { &*task.as_ptr().cast() }));
            }
        }
    }
}

// SAFETY: The type invariants guarantee a non-zero reference count, which
// `get_pid_ns` and `put_pid_ns` maintain.
unsafe impl AlwaysRefCounted for PidNamespace {
    fn inc_ref(&self) {
        // SAFETY: The reference count is non-zero by the type invariant.
        unsafe { bindings::get_pid_ns(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned.
        unsafe { bindings::put_pid_ns(obj.cast().as_ptr()) };
    }
}

/// The ids of a task as one pid namespace sees them, read together by
/// [`Task::ids_in`]. An id the namespace cannot see is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskIds {
    /// The task's id (thread id).
    pub pid: Pid,
    /// The thread-group id (process id).
    pub tgid: Pid,
    /// The process id of the real parent; 0 once the task has been reaped.
    pub ppid: Pid,
    /// The thread id of the tracer; 0 when the task is not traced.
    pub tracer: Pid,
    /// The session id.
    pub sid: Pid,
    /// The process-group id.
    pub pgid: Pid,
}

/// Reads the RCU-protected pointer at `slot`, as `rcu_dereference()` does.
///
/// # Safety
///
/// `slot` must be valid for reads for the lifetime of `_rcu`, and the pointer
/// it holds must be one that RCU protects.
unsafe fn rcu_dereference<T>(slot: *const *mut T, _rcu: &rcu::Guard) -> *mut T {
    // SAFETY: The caller guarantees that `slot` is valid. Writers publish the
    // pointer with `rcu_assign_pointer()`; a volatile read is `READ_ONCE()`,
    // which pairs with it.
    unsafe { ptr::read_volatile(slot) }
}

/// The `struct pid` of type `ty` of `task`, or null once it is detached.
///
/// # Safety
///
/// `task` must be valid for the lifetime of `rcu`, which holds the RCU read
/// lock.
#[inline]
unsafe fn task_pid_ptr(
    task: *mut bindings::task_struct,
    ty: bindings::pid_type,
    rcu: &rcu::Guard,
) -> *mut bindings::pid {
    if ty == bindings::pid_type_PIDTYPE_PID {
        // SAFETY: `task` is valid; its `thread_pid` is RCU protected.
        return unsafe { rcu_dereference(ptr::addr_of!((*task).thread_pid), rcu) };
    }
    // SAFETY: `task` is valid; `signal` is set before the task is visible and
    // freed only with the task, which RCU keeps.
    let signal = unsafe { *ptr::addr_of!((*task).signal) };
    // SAFETY: `signal` is valid as said; its `pids` are RCU protected, and
    // `ty` is a pid type other than `PIDTYPE_PID`, below `PIDTYPE_MAX`.
    unsafe { rcu_dereference(ptr::addr_of!((*signal).pids[ty as usize]), rcu) }
}

impl Task {
    /// Every id of the task in `ns`, read within the caller's RCU read-side
    /// critical section.
    ///
    /// This is what `task_pid_nr_ns()`, `task_tgid_nr_ns()`,
    /// `task_ppid_nr_ns()`, `task_session_nr_ns()`, `task_pgrp_nr_ns()` and
    /// the tracer's `task_pid_nr_ns()` return, without taking and dropping the
    /// read lock once per id: for walks over many tasks.
    #[inline]
    pub fn ids_in(&self, ns: &PidNamespace, rcu: &rcu::Guard) -> TaskIds {
        let task = self.0.get();
        let nr = |pid: *mut bindings::pid| {
            // SAFETY: `pid` is null or valid under RCU; `ns` is valid.
            unsafe { bindings::pid_nr_ns(pid, ns.as_ptr()) }
        };
        // SAFETY: For the four calls, `task` is valid, and `rcu` holds the
        // read lock for as long as the borrow of `self`.
        let (thread_pid, tgid, sid, pgid) = unsafe {
            (
                task_pid_ptr(task, bindings::pid_type_PIDTYPE_PID, rcu),
                task_pid_ptr(task, bindings::pid_type_PIDTYPE_TGID, rcu),
                task_pid_ptr(task, bindings::pid_type_PIDTYPE_SID, rcu),
                task_pid_ptr(task, bindings::pid_type_PIDTYPE_PGID, rcu),
            )
        };
        // As `pid_alive()`: a reaped task's parent pointer is stale.
        let ppid = if thread_pid.is_null() {
            0
        } else {
            // SAFETY: `real_parent` is RCU protected; tasks are freed after a
            // grace period, so the parent is valid while `rcu` is held.
            let parent = unsafe { rcu_dereference(ptr::addr_of!((*task).real_parent), rcu) };
            // SAFETY: As above.
            nr(unsafe { task_pid_ptr(parent, bindings::pid_type_PIDTYPE_TGID, rcu) })
        };
        // As `ptrace_parent()`.
        // SAFETY: `task` is valid; `ptrace` is read once, racing as in C.
        let tracer = if unsafe { ptr::read_volatile(ptr::addr_of!((*task).ptrace)) } != 0 {
            // SAFETY: As for `real_parent`.
            let parent = unsafe { rcu_dereference(ptr::addr_of!((*task).parent), rcu) };
            // SAFETY: As above.
            nr(unsafe { task_pid_ptr(parent, bindings::pid_type_PIDTYPE_PID, rcu) })
        } else {
            0
        };
        TaskIds {
            pid: nr(thread_pid),
            tgid: nr(tgid),
            ppid,
            tracer,
            sid: nr(sid),
            pgid: nr(pgid),
        }
    }

    /// The index of the task's state in `"RSDTtXZPI"`, as the state field of
    /// `/proc/PID/stat` reports it.
    #[inline]
    pub fn state_index(&self) -> u32 {
        // SAFETY: `self` is a valid task.
        unsafe { bindings::task_state_index(self.0.get()) }
    }

    /// The task's command name, NUL terminated and NUL padded.
    ///
    /// Read without the task lock, as `get_task_comm()` does since Linux
    /// 6.13: `comm` always holds a NUL in its last byte, so a concurrent
    /// rename gives a mix of the old and the new name, never an overrun.
    #[inline]
    pub fn comm(&self) -> [u8; 16] {
        // SAFETY: `self` is a valid task. The type checks that `comm` has
        // 16 bytes.
        let comm: *const [u8; 16] = unsafe { ptr::addr_of!((*self.0.get()).comm) };
        // SAFETY: `comm` is valid for reads; the read may race with a rename,
        // hence volatile.
        let raw = u128::from_le_bytes(unsafe { ptr::read_volatile(comm) });
        // Keep the bytes before the first NUL, which the last byte is at the
        // latest: with `ONES` one in each byte, the lowest bit of `zeros` is
        // bit 7 of the first zero byte.
        const ONES: u128 = u128::MAX / 0xff;
        let raw = raw & (u128::MAX >> 8);
        let zeros = raw.wrapping_sub(ONES) & !raw & (ONES << 7);
        let keep = (1u128 << (zeros.trailing_zeros() - 7)) - 1;
        (raw & keep).to_le_bytes()
    }
}

impl PartialEq for PidNamespace {
    fn eq(&self, other: &Self) -> bool {
        ptr::eq(self.as_ptr(), other.as_ptr())
    }
}
