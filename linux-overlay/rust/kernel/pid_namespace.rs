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
    pub fn next_task<'a>(
        &self,
        from: Pid,
        kind: TaskKind,
        _rcu: &'a rcu::Guard,
    ) -> Option<(Pid, &'a Task)> {
        let ty = match kind {
            TaskKind::Thread => bindings::pid_type_PIDTYPE_PID,
            TaskKind::Leader => bindings::pid_type_PIDTYPE_TGID,
        };
        let mut nr = from.max(1);
        loop {
            // SAFETY: The RCU read lock is held (the guard), as `find_ge_pid`
            // requires; `self` is a valid namespace.
            let pid = unsafe { bindings::find_ge_pid(nr, self.as_ptr()) };
            if pid.is_null() {
                return None;
            }
            // SAFETY: `pid` is valid under RCU and `self` is valid.
            let found = unsafe { bindings::pid_nr_ns(pid, self.as_ptr()) };
            // SAFETY: `pid` is valid under RCU.
            let task = unsafe { bindings::pid_task(pid, ty) };
            if let Some(task) = NonNull::new(task) {
                // SAFETY: A task found under RCU is freed only after a grace
                // period, so it stays valid while the guard, which `'a`
                // borrows, holds the read lock; `Task` is a transparent
                // wrapper of `struct task_struct`.
                let task: &'a Task = unsafe { &*task.as_ptr().cast() };
                return Some((found, task));
            }
            if found < nr || found == Pid::MAX {
                return None;
            }
            nr = found + 1;
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

impl Task {
    fn nr_ns(&self, ty: bindings::pid_type, ns: &PidNamespace) -> Pid {
        // SAFETY: `self` is a valid task and `ns` a valid namespace;
        // `__task_pid_nr_ns` takes the RCU read lock itself.
        unsafe { bindings::__task_pid_nr_ns(self.0.get(), ty, ns.as_ptr()) }
    }

    /// The task's id (thread id) in `ns`.
    pub fn pid_nr_ns(&self, ns: &PidNamespace) -> Pid {
        self.nr_ns(bindings::pid_type_PIDTYPE_PID, ns)
    }

    /// The task's thread-group id (process id) in `ns`.
    pub fn tgid_nr_ns(&self, ns: &PidNamespace) -> Pid {
        self.nr_ns(bindings::pid_type_PIDTYPE_TGID, ns)
    }

    /// The task's process-group id in `ns`.
    pub fn pgrp_nr_ns(&self, ns: &PidNamespace) -> Pid {
        self.nr_ns(bindings::pid_type_PIDTYPE_PGID, ns)
    }

    /// The task's session id in `ns`.
    pub fn session_nr_ns(&self, ns: &PidNamespace) -> Pid {
        self.nr_ns(bindings::pid_type_PIDTYPE_SID, ns)
    }

    /// The process id in `ns` of the task's real parent (0 once the task is
    /// dead or when the parent is outside `ns`).
    pub fn ppid_nr_ns(&self, ns: &PidNamespace) -> Pid {
        // SAFETY: Both are valid; the helper takes the RCU read lock.
        unsafe { bindings::task_ppid_nr_ns(self.0.get(), ns.as_ptr()) }
    }

    /// The id in `ns` of the task tracing this one, 0 when not traced.
    pub fn tracer_pid_nr_ns(&self, ns: &PidNamespace) -> Pid {
        let _rcu = rcu::read_lock();
        // SAFETY: `self` is valid; `ptrace_parent` requires the RCU read lock,
        // held by `_rcu`.
        let tracer = unsafe { bindings::ptrace_parent(self.0.get()) };
        if tracer.is_null() {
            return 0;
        }
        // SAFETY: The tracer stays valid under RCU; `ns` is valid.
        unsafe { bindings::__task_pid_nr_ns(tracer, bindings::pid_type_PIDTYPE_PID, ns.as_ptr()) }
    }

    /// The index of the task's state in `"RSDTtXZPI"`, as the state field of
    /// `/proc/PID/stat` reports it.
    pub fn state_index(&self) -> u32 {
        // SAFETY: `self` is a valid task.
        unsafe { bindings::task_state_index(self.0.get()) }
    }

    /// The task's command name, NUL padded.
    pub fn comm(&self) -> [u8; 16] {
        let mut buf = [0u8; 16];
        // SAFETY: `buf` is writable for its length; `__get_task_comm` takes
        // the task lock and always NUL-terminates.
        unsafe { bindings::__get_task_comm(buf.as_mut_ptr().cast(), buf.len(), self.0.get()) };
        buf
    }
}

impl PartialEq for PidNamespace {
    fn eq(&self, other: &Self) -> bool {
        ptr::eq(self.as_ptr(), other.as_ptr())
    }
}
