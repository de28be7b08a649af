// SPDX-License-Identifier: GPL-2.0

//! Pid namespaces, task ids as a namespace sees them, and walking the tasks
//! of a namespace in pid order.
//!
//! C headers: [`include/linux/pid.h`](srctree/include/linux/pid.h),
//! [`include/linux/pid_namespace.h`](srctree/include/linux/pid_namespace.h)

use crate::{
    bindings,
    sync::rcu,
    task::{Pid, Task},
    types::{AlwaysRefCounted, Opaque},
};
use core::ptr::{self, NonNull};

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

impl TaskKind {
    fn pid_type(self) -> bindings::pid_type {
        match self {
            TaskKind::Thread => bindings::pid_type_PIDTYPE_PID,
            TaskKind::Leader => bindings::pid_type_PIDTYPE_TGID,
        }
    }
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

    /// [`Self::walk`] with lookups of `batch` pids (1 to [`TaskWalk::BATCH`]):
    /// for walks that end after a few tasks.
    pub fn walk_n<'a>(
        &'a self,
        from: Pid,
        kind: TaskKind,
        batch: usize,
        rcu: &'a rcu::Guard,
    ) -> TaskWalk<'a> {
        TaskWalk::new(self, from, kind, batch, rcu)
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
        let ty = kind.pid_type();
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
        // SAFETY: The RCU read lock is held (`_rcu`), under which the pid
        // table may be read: a pid found stays valid until it is dropped.
        // `pids` has room for `max` entries.
        let found =
            unsafe { bindings::pid_ns_find_ge(ns, from, self.pids.as_mut_ptr(), self.max as u32) }
                as usize;
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

/// A `struct pid`: the identity of a task, a process, a process group or a
/// session.
///
/// Its number may name another task once the task is gone, but a `struct
/// pid` is never reused while a reference to it is held: comparing two of
/// them compares identities, without the races of comparing numbers.
///
/// # Invariants
///
/// The inner `struct pid` is valid and has a non-zero reference count for as
/// long as the `&PidRef` or `ARef<PidRef>` exists.
#[repr(transparent)]
pub struct PidRef(Opaque<bindings::pid>);

// SAFETY: `struct pid` is reference counted with atomics; its fields read
// here are immutable or read under RCU by the C functions called.
unsafe impl Send for PidRef {}
// SAFETY: See above.
unsafe impl Sync for PidRef {}

impl PidRef {
    /// Borrows a `struct pid` for the lifetime `'a`; `None` for a null
    /// pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to a valid `struct pid` that stays valid
    /// for `'a` (under RCU, or with a reference held).
    unsafe fn from_ptr<'a>(ptr: *mut bindings::pid) -> Option<&'a PidRef> {
        // SAFETY: Transparent wrapper; the caller guarantees validity.
        NonNull::new(ptr).map(|p| unsafe { &*p.as_ptr().cast() })
    }

    /// Returns the raw `struct pid` pointer.
    pub fn as_ptr(&self) -> *mut bindings::pid {
        self.0.get()
    }

    /// The task of `kind` attached to this pid: the thread for
    /// [`TaskKind::Thread`], the thread-group leader for
    /// [`TaskKind::Leader`]; `None` once it is gone.
    pub fn task<'a>(&'a self, kind: TaskKind, _rcu: &'a rcu::Guard) -> Option<&'a Task> {
        // SAFETY: `self` is valid; the RCU read lock is held.
        let task = unsafe { bindings::pid_task(self.as_ptr(), kind.pid_type()) };
        // SAFETY: A task found under RCU is freed only after a grace period,
        // so it stays valid while `_rcu`, which `'a` borrows, holds the lock.
        NonNull::new(task).map(|t| unsafe { &*t.as_ptr().cast() })
    }
}

// SAFETY: The type invariants guarantee a non-zero reference count, which
// `get_pid` and `put_pid` maintain.
unsafe impl AlwaysRefCounted for PidRef {
    fn inc_ref(&self) {
        // SAFETY: The reference count is non-zero by the type invariant.
        unsafe { bindings::get_pid(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned.
        unsafe { bindings::put_pid(obj.cast().as_ptr()) };
    }
}

impl PartialEq for PidRef {
    fn eq(&self, other: &Self) -> bool {
        ptr::eq(self.as_ptr(), other.as_ptr())
    }
}

impl PidNamespace {
    /// The `struct pid` numbered `nr` in this namespace, if any.
    pub fn find_pid<'a>(&'a self, nr: Pid, _rcu: &'a rcu::Guard) -> Option<&'a PidRef> {
        // SAFETY: The RCU read lock is held, under which `find_pid_ns()` may
        // be called; the pid it returns stays valid until a grace period
        // after it is detached, so for the lifetime of `_rcu`.
        unsafe { PidRef::from_ptr(bindings::find_pid_ns(nr, self.as_ptr())) }
    }
}

impl Task {
    /// The process id (`struct pid` of type `PIDTYPE_TGID`) of the task.
    pub fn tgid_pid<'a>(&'a self, _rcu: &'a rcu::Guard) -> Option<&'a PidRef> {
        // SAFETY: `self` is a valid task; its `signal` is valid for as long as
        // the task; the pid is valid under the RCU read lock held.
        unsafe { PidRef::from_ptr(bindings::task_tgid(self.0.get())) }
    }

    /// The process id of the task's real parent; `None` once the task has
    /// been reaped.
    pub fn parent_tgid_pid<'a>(&'a self, _rcu: &'a rcu::Guard) -> Option<&'a PidRef> {
        // SAFETY: `self` is a valid task; the RCU read lock is held, which
        // keeps the parent and its pid valid.
        unsafe { PidRef::from_ptr(bindings::task_parent_tgid_rcu(self.0.get())) }
    }
}

/// The threads of a process in the order of their pid numbers in a
/// namespace, from [`ThreadWalk::new`].
///
/// Each call to [`Iterator::next`] finds, in one pass over the thread list
/// of the process, the threads numbered at or after the cursor and keeps
/// the [`ThreadWalk::BATCH`] lowest: a thread alive for the whole walk is
/// yielded exactly once, whatever threads start and exit meanwhile, and
/// the walk can resume from a number in another RCU read-side critical
/// section. One pass costs the number of threads of the process.
///
/// # Invariants
///
/// `found[pos..len]` are threads of the process found under the RCU read
/// lock that `'a` borrows, in ascending number order; `pos <= len <= BATCH`.
pub struct ThreadWalk<'a> {
    ns: &'a PidNamespace,
    leader: Option<&'a Task>,
    next: Pid,
    found: [(Pid, *mut bindings::task_struct); ThreadWalk::BATCH],
    pos: usize,
    len: usize,
    _rcu: &'a rcu::Guard,
}

impl<'a> ThreadWalk<'a> {
    /// How many threads one pass keeps at most.
    pub const BATCH: usize = 32;

    /// Walks the threads of the process `tgid` numbered `from` or more in
    /// `ns`.
    pub fn new(ns: &'a PidNamespace, tgid: &'a PidRef, from: Pid, rcu: &'a rcu::Guard) -> Self {
        // INVARIANT: Nothing found yet.
        Self {
            ns,
            leader: tgid.task(TaskKind::Leader, rcu),
            next: from.max(1),
            found: [(0, ptr::null_mut()); Self::BATCH],
            pos: 0,
            len: 0,
            _rcu: rcu,
        }
    }

    /// One pass over the thread list: keeps the lowest-numbered threads at or
    /// after `next`; `false` when there are none.
    fn fill(&mut self) -> bool {
        let Some(leader) = self.leader else {
            return false;
        };
        self.pos = 0;
        self.len = 0;
        // SAFETY: `leader` is valid under the RCU read lock held, under which
        // its group's thread list may be walked.
        let mut t = unsafe { bindings::first_thread(leader.0.get()) };
        while !t.is_null() {
            // SAFETY: `t` is on the thread list under RCU; `ns` is valid.
            let nr = unsafe { bindings::pid_nr_ns(bindings::task_pid(t), self.ns.as_ptr()) };
            if nr >= self.next {
                // Insert in order, dropping the highest when full.
                let mut i = self.len;
                while i > 0 && self.found.get(i - 1).is_some_and(|f| f.0 > nr) {
                    i -= 1;
                }
                if i < Self::BATCH {
                    let end = self.len.min(Self::BATCH - 1);
                    self.found.copy_within(i..end, i + 1);
                    if let Some(slot) = self.found.get_mut(i) {
                        *slot = (nr, t);
                    }
                    // INVARIANT: the entries stay sorted and within `BATCH`.
                    self.len = (self.len + 1).min(Self::BATCH);
                }
            }
            // SAFETY: As above.
            t = unsafe { bindings::next_thread(t) };
        }
        if self.len == 0 {
            self.leader = None;
            return false;
        }
        let last = self.found.get(self.len - 1).map_or(Pid::MAX, |f| f.0);
        match last.checked_add(1) {
            Some(n) if self.len == Self::BATCH => self.next = n,
            // Fewer than a batch: this pass found every remaining thread.
            _ => self.leader = None,
        }
        true
    }
}

impl<'a> Iterator for ThreadWalk<'a> {
    type Item = (Pid, &'a Task);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos == self.len && !self.fill() {
            return None;
        }
        let (nr, t) = *self.found.get(self.pos)?;
        self.pos += 1;
        // SAFETY: `t` was found on the thread list under the RCU read lock,
        // still held for `'a`, so it stays valid; `Task` is a transparent
        // wrapper of `struct task_struct`.
        Some((nr, unsafe { &*t.cast() }))
    }
}

impl PartialEq for PidNamespace {
    fn eq(&self, other: &Self) -> bool {
        ptr::eq(self.as_ptr(), other.as_ptr())
    }
}
