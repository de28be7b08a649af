// SPDX-License-Identifier: GPL-2.0

//! Virtual memory areas: the mappings of an address space.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use crate::{bindings, types::Opaque};

/// A mapping (`struct vm_area_struct`), borrowed while the mmap lock of its
/// address space is held.
///
/// # Invariants
///
/// The mapping is valid, and its fields are stable, for the lifetime of the
/// reference: the caller holds the mmap lock of its address space, or the
/// mapping is a static one (the gate area).
#[repr(transparent)]
pub struct VmaRef {
    vma: Opaque<bindings::vm_area_struct>,
}

impl VmaRef {
    /// Borrows a mapping.
    ///
    /// # Safety
    ///
    /// `vma` is a valid mapping whose mmap lock (of its address space) is
    /// held for the lifetime `'a`, or a static mapping.
    pub unsafe fn from_raw<'a>(vma: *const bindings::vm_area_struct) -> &'a Self {
        // SAFETY: The caller guarantees validity for `'a`; `VmaRef` is a
        // transparent wrapper.
        unsafe { &*vma.cast() }
    }

    /// Returns the raw `struct vm_area_struct` pointer.
    pub fn as_ptr(&self) -> *mut bindings::vm_area_struct {
        self.vma.get()
    }

    /// The first address of the mapping.
    pub fn start(&self) -> usize {
        // SAFETY: The fields are stable by the type invariant.
        unsafe { (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.vm_start }
    }

    /// The first address past the mapping.
    pub fn end(&self) -> usize {
        // SAFETY: The fields are stable by the type invariant.
        unsafe { (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.vm_end }
    }
}
