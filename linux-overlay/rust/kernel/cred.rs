// SPDX-License-Identifier: GPL-2.0

//! Credentials, and access checks made with them.
//!
//! C headers: [`include/linux/cred.h`](srctree/include/linux/cred.h),
//! [`include/linux/ptrace.h`](srctree/include/linux/ptrace.h)

use crate::{
    bindings,
    task::Task,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{
    marker::PhantomData,
    ptr::{self, NonNull},
};

/// A set of credentials (`struct cred`): who a task acts as.
///
/// Credentials are immutable once published and reference counted; they are
/// owned through [`ARef<Credential>`] or borrowed as `&Credential`.
///
/// # Invariants
///
/// The inner `struct cred` is valid and has a non-zero reference count for as
/// long as the `&Credential` or `ARef<Credential>` exists.
#[repr(transparent)]
pub struct Credential(Opaque<bindings::cred>);

// SAFETY: A `struct cred` is immutable after it is published, and its
// reference count may be changed from any thread.
unsafe impl Send for Credential {}
// SAFETY: See above: shared references only read immutable fields.
unsafe impl Sync for Credential {}

impl Credential {
    /// Borrows a `struct cred` for the lifetime `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct cred` whose reference count stays
    /// non-zero for the whole lifetime `'a`.
    pub unsafe fn from_ptr<'a>(ptr: *const bindings::cred) -> &'a Credential {
        // SAFETY: `Credential` is a transparent wrapper of `struct cred`, and
        // the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct cred` pointer.
    pub fn as_ptr(&self) -> *const bindings::cred {
        self.0.get()
    }

    /// Takes a reference to the current task's subjective credentials.
    pub fn current() -> ARef<Credential> {
        // SAFETY: `get_current_cred()` returns the current task's credentials
        // with a new reference, which the `ARef` takes over.
        let ptr = unsafe { bindings::get_current_cred() };
        // SAFETY: a task always has credentials; the reference is ours.
        unsafe { ARef::from_raw(NonNull::new_unchecked(ptr.cast_mut().cast())) }
    }

    /// Installs `self` as the current task's subjective credentials until
    /// the returned guard is dropped, as `override_creds()` and
    /// `revert_creds()` do.
    pub fn override_current(&self) -> CredOverride<'_> {
        // SAFETY: `self` is a valid credential; `override_creds()` takes its
        // own reference to it and returns the previous credentials, which the
        // guard puts back.
        let old = unsafe { bindings::override_creds(self.as_ptr()) };
        // INVARIANT: `old` was returned by `override_creds()` just now.
        CredOverride {
            old,
            _cred: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// Whether a task whose filesystem credentials were `self` could read
    /// `task` as `ptrace` allows it (`PTRACE_MODE_READ_FSCREDS`): the check
    /// behind `/proc/PID/` files.
    ///
    /// The check runs in the current task with `self` installed as its
    /// subjective credentials, so beyond the credentials it is made as the
    /// current task: a task may always read the tasks of its own thread group.
    /// It is not audited (`PTRACE_MODE_NOAUDIT`), as befits scans that look at
    /// many tasks: a denial is an answer, not an attempt to report, and a
    /// capability that allowed the read does not mark the task as having used
    /// its privileges (`PF_SUPERPRIV`).
    #[inline]
    pub fn may_ptrace_read(&self, task: &Task) -> bool {
        let mode = bindings::PTRACE_MODE_READ
            | bindings::PTRACE_MODE_FSCREDS
            | bindings::PTRACE_MODE_NOAUDIT;
        // SAFETY: The current task may always read its own `cred` pointer;
        // it is only compared, never dereferenced.
        let same = ptr::eq(unsafe { bindings::current_cred() }, self.as_ptr());
        let _guard = (!same).then(|| self.override_current());
        // SAFETY: `task` is valid as long as the reference is.
        unsafe { bindings::ptrace_may_access(task.0.get(), mode) }
    }
}

/// The current task's subjective credentials replaced by others, from
/// [`Credential::override_current`]; dropping it puts the previous ones back.
///
/// # Invariants
///
/// `old` is what the matching `override_creds()` returned, in this task.
#[must_use = "the credentials are reverted when the guard is dropped"]
pub struct CredOverride<'a> {
    old: *const bindings::cred,
    _cred: PhantomData<&'a Credential>,
    _not_send: PhantomData<*mut ()>,
}

impl Drop for CredOverride<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, `old` came from the matching
        // `override_creds()` in this task (the guard is not `Send`).
        unsafe { bindings::revert_creds(self.old) };
    }
}

// SAFETY: The type invariants guarantee a non-zero reference count; `get_cred`
// and `put_cred` maintain it.
unsafe impl AlwaysRefCounted for Credential {
    fn inc_ref(&self) {
        // SAFETY: The reference count is non-zero by the type invariant.
        unsafe { bindings::get_cred(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned.
        unsafe { bindings::put_cred(obj.cast().as_ptr()) };
    }
}
