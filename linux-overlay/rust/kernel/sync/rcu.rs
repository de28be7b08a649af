// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::bindings;
use core::marker::PhantomData;

/// Evidence that the RCU read-side lock is held.
///
/// Functions that walk RCU-protected data take a `&Guard`, so they cannot be
/// called outside a read-side critical section. The section must not sleep.
///
/// # Invariants
///
/// The RCU read-side lock is held while this exists, on the CPU and task that
/// created it.
#[must_use = "the RCU read-side lock is released when the guard is dropped"]
pub struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Enters an RCU read-side critical section.
    pub fn new() -> Self {
        // SAFETY: `rcu_read_lock()` may be called from any context.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the lock was just taken; `Guard` is `!Send`, so it is
        // released by the task that took it.
        Self(PhantomData)
    }

    /// Leaves the critical section (the same as dropping the guard).
    pub fn unlock(self) {}
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the lock is held by this task.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Enters an RCU read-side critical section, left when the guard is dropped.
pub fn read_lock() -> Guard {
    Guard::new()
}
