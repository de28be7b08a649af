// SPDX-License-Identifier: GPL-2.0

//! Open files.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use crate::{bindings, cred::Credential, types::Opaque};

/// An open file (`struct file`), borrowed for the duration of a file operation.
///
/// The file is never owned here: file operations receive a `&File` that lives
/// as long as the callback runs, which the VFS guarantees by holding a reference.
///
/// # Invariants
///
/// The inner `struct file` is valid and its reference count is non-zero for
/// the lifetime of every `&File`.
#[repr(transparent)]
pub struct File(Opaque<bindings::file>);

// SAFETY: A `struct file` may be used from any thread; the fields read through
// `File` are either immutable for the life of the file or read with the
// required locking by the C functions called.
unsafe impl Sync for File {}

impl File {
    /// Borrows a `struct file` for the lifetime `'a`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct file` whose reference count stays
    /// non-zero for the whole lifetime `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a File {
        // SAFETY: `File` is a transparent wrapper of `struct file`, and the
        // caller guarantees that `ptr` is valid for `'a`.
        // INVARIANT: the caller guarantees the reference count for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct file` pointer.
    pub fn as_raw(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The credentials of the task that opened the file (`f_cred`).
    pub fn cred(&self) -> &Credential {
        // SAFETY: `f_cred` is set when the file is opened and holds a
        // reference until the file is freed, so it outlives `&self`.
        unsafe { Credential::from_ptr((*self.0.get()).f_cred) }
    }
}
