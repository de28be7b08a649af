// SPDX-License-Identifier: GPL-2.0

//! Files in procfs with typed per-open state.
//!
//! A type implementing [`ProcFile`] is the state of one open file: it is
//! created by [`ProcFile::open`], kept in the file's `private_data` while the
//! file is open, and dropped on the last close. The files are non-seekable
//! streams (`nonseekable_open()`), as suits transaction files: `lseek()` and
//! `pread()` fail with `ESPIPE`.
//!
//! C header: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h)

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_char, c_int},
    fs::File,
    pid_namespace::PidNamespace,
    prelude::*,
    types::ForeignOwnable,
    uaccess::{UserSlice, UserSliceReader, UserSliceWriter},
};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};

/// An open procfs file, as [`ProcFile`] callbacks see it.
///
/// # Invariants
///
/// The file was opened on a procfs instance (its inode's superblock is a
/// procfs superblock).
#[repr(transparent)]
pub struct OpenFile(File);

impl OpenFile {
    /// # Safety
    ///
    /// `ptr` must be a valid procfs file, referenced for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a OpenFile {
        // SAFETY: `OpenFile` is a transparent wrapper of `File`, itself one
        // of `struct file`; the caller guarantees validity for `'a`.
        // INVARIANT: the caller guarantees a procfs file.
        unsafe { &*ptr.cast() }
    }

    /// The pid namespace of the procfs instance the file was opened on: the
    /// namespace whose pids the file's contents should use.
    pub fn pid_ns(&self) -> &PidNamespace {
        // SAFETY: An open file pins its inode and superblock. By the type
        // invariant the superblock is procfs's, whose pid namespace is held
        // until the superblock is destroyed.
        unsafe {
            let inode = (*self.0.as_raw()).f_inode;
            PidNamespace::from_ptr(bindings::proc_pid_ns((*inode).i_sb))
        }
    }
}

impl Deref for OpenFile {
    type Target = File;

    fn deref(&self) -> &File {
        &self.0
    }
}

/// Operations of a procfs file; `Self` is the state of one open file.
#[vtable]
pub trait ProcFile: Sized + Send + Sync + 'static {
    /// Called on `open()`: returns the state of this open file.
    fn open(file: &OpenFile) -> Result<Pin<KBox<Self>>>;

    /// Called on `read()`: copies at most `writer.len()` bytes to the caller
    /// and returns how many were copied (0 at end of file).
    fn read(_this: Pin<&Self>, _file: &OpenFile, _writer: &mut UserSliceWriter) -> Result<usize> {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// Called on `write()`: consumes at most `reader.len()` bytes from the
    /// caller and returns how many were consumed.
    fn write(_this: Pin<&Self>, _file: &OpenFile, _reader: &mut UserSliceReader) -> Result<usize> {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }
}

/// The `proc_ops` table of a [`ProcFile`].
struct OpsTable<T: ProcFile>(PhantomData<T>);

impl<T: ProcFile> OpsTable<T> {
    const OPS: bindings::proc_ops = bindings::proc_ops {
        proc_flags: 0,
        proc_open: Some(open_callback::<T>),
        proc_read: if T::HAS_READ {
            Some(read_callback::<T>)
        } else {
            None
        },
        proc_write: if T::HAS_WRITE {
            Some(write_callback::<T>)
        } else {
            None
        },
        proc_release: Some(release_callback::<T>),
        // SAFETY: The remaining members are optional function pointers, for
        // which all-zeroes is the valid value `None`. `proc_lseek` may stay
        // unset because every open goes through `nonseekable_open()`, and
        // `proc_read_iter` must stay unset when `proc_read` is used.
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };
}

/// # Safety
///
/// Called by procfs with a valid inode and a valid file being opened.
unsafe extern "C" fn open_callback<T: ProcFile>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    from_result(|| {
        // SAFETY: Both pointers are valid, as procfs guarantees for `open`.
        to_result(unsafe { bindings::nonseekable_open(inode, file) })?;
        // SAFETY: `file` is valid and referenced while `open` runs.
        let f = unsafe { OpenFile::from_raw(file) };
        let state = T::open(f)?;
        // SAFETY: `file` is valid; `private_data` belongs to the opener.
        unsafe { (*file).private_data = state.into_foreign().cast_mut() };
        Ok(0)
    })
}

/// Borrows the state stored by [`open_callback`].
///
/// # Safety
///
/// `file` must be a valid file opened through [`open_callback`] for `T` and
/// not yet released, and the result must not outlive the current callback.
unsafe fn state<'a, T: ProcFile>(file: *mut bindings::file) -> Pin<&'a T> {
    // SAFETY: `private_data` was set by `open_callback` from
    // `Pin<KBox<T>>::into_foreign` and is only given back by
    // `release_callback`, which cannot run while a callback holds the file.
    unsafe { <Pin<KBox<T>> as ForeignOwnable>::borrow((*file).private_data) }
}

/// # Safety
///
/// Called by procfs with a valid file opened by [`open_callback`] and a user
/// buffer of `len` bytes.
unsafe extern "C" fn read_callback<T: ProcFile>(
    file: *mut bindings::file,
    buf: *mut c_char,
    len: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    from_result(|| {
        // SAFETY: The file is open and referenced while `read` runs.
        let (this, f) = unsafe { (state::<T>(file), OpenFile::from_raw(file)) };
        let mut writer = UserSlice::new(buf as usize, len).writer();
        let n = T::read(this, f, &mut writer)?;
        Ok(n.try_into().unwrap_or(isize::MAX))
    })
}

/// # Safety
///
/// Called by procfs with a valid file opened by [`open_callback`] and a user
/// buffer of `len` bytes.
unsafe extern "C" fn write_callback<T: ProcFile>(
    file: *mut bindings::file,
    buf: *const c_char,
    len: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    from_result(|| {
        // SAFETY: The file is open and referenced while `write` runs.
        let (this, f) = unsafe { (state::<T>(file), OpenFile::from_raw(file)) };
        let mut reader = UserSlice::new(buf as usize, len).reader();
        let n = T::write(this, f, &mut reader)?;
        Ok(n.try_into().unwrap_or(isize::MAX))
    })
}

/// # Safety
///
/// Called by procfs once, on the last close of a file opened by
/// [`open_callback`].
unsafe extern "C" fn release_callback<T: ProcFile>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` came from `into_foreign` in `open_callback`, and
    // no other callback can run on this file any more.
    drop(unsafe { <Pin<KBox<T>> as ForeignOwnable>::from_foreign((*file).private_data) });
    0
}

/// A file in `/proc`, removed when dropped.
///
/// # Invariants
///
/// `entry` was returned by `proc_create()` with the `proc_ops` of `T` and has
/// not been removed.
pub struct Registration<T: ProcFile> {
    entry: NonNull<bindings::proc_dir_entry>,
    _ops: PhantomData<T>,
}

// SAFETY: The entry is only used to remove it, which may happen on any thread.
unsafe impl<T: ProcFile> Send for Registration<T> {}
// SAFETY: `&Registration` gives no access to the entry.
unsafe impl<T: ProcFile> Sync for Registration<T> {}

impl<T: ProcFile> Registration<T> {
    /// Creates `/proc/<name>` with permission bits `mode`.
    pub fn register(name: &'static CStr, mode: u16) -> Result<Self> {
        // SAFETY: `name` is a valid C string; the parent NULL means `/proc`;
        // the ops table is a promoted constant, so it lives forever.
        let ptr = unsafe {
            bindings::proc_create(
                name.as_char_ptr(),
                mode,
                core::ptr::null_mut(),
                &OpsTable::<T>::OPS,
            )
        };
        let entry = NonNull::new(ptr).ok_or(ENOMEM)?;
        // INVARIANT: `entry` was just created with the ops of `T`.
        Ok(Self {
            entry,
            _ops: PhantomData,
        })
    }
}

impl<T: ProcFile> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the entry exists; after this the
        // registration is gone, so it is removed exactly once.
        unsafe { bindings::proc_remove(self.entry.as_ptr()) };
    }
}
