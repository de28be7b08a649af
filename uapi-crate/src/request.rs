// SPDX-License-Identifier: MIT OR Apache-2.0

//! The request: a [`NlMsgHdr`] followed by a [`TaskDiagPid`], written to
//! `/proc/task_diag` in one `write()`.
//!
//! ```
//! use task_diag_uapi::{DumpStrategy, Request, ShowFlags, REQUEST_LEN};
//!
//! let req = Request::new(DumpStrategy::One)
//!     .show(ShowFlags::BASE | ShowFlags::STAT)
//!     .pid(1)
//!     .seq(7);
//! let bytes: [u8; REQUEST_LEN] = req.to_bytes();
//! assert_eq!(bytes[..4], 40u32.to_ne_bytes()); // nlmsg_len
//! assert_eq!(bytes[8..12], 7u32.to_ne_bytes()); // nlmsg_seq
//! assert_eq!(bytes[16..24], 0x11u64.to_ne_bytes()); // show_flags
//! assert_eq!(bytes[24..32], 1u64.to_ne_bytes()); // dump_strategy
//! assert_eq!(bytes[32..36], 1u32.to_ne_bytes()); // pid
//! ```

use core::fmt;

use zerocopy::{Immutable, IntoBytes};

use crate::abi::{NlMsgHdr, TaskDiagPid, NLMSG_HDRLEN};
use crate::{DumpStrategy, ShowFlags, VmaStatWithoutVma};

/// The length of a request this crate builds: a [`NlMsgHdr`] (16 bytes) and
/// a [`TaskDiagPid`] (24 bytes).
pub const REQUEST_LEN: usize = NLMSG_HDRLEN + core::mem::size_of::<TaskDiagPid>();

/// The bytes of a request, as one `#[repr(C)]` value with no padding.
#[derive(IntoBytes, Immutable)]
#[repr(C)]
struct RequestBytes {
    header: NlMsgHdr,
    payload: TaskDiagPid,
}

/// A request builder: which tasks, which groups, which sequence number.
///
/// The header it writes has `nlmsg_len` = [`REQUEST_LEN`] and `nlmsg_type`,
/// `nlmsg_flags` and `nlmsg_pid` zero: the kernel ignores those three. The
/// reserved field of the payload is zero, as the kernel requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Request {
    strategy: DumpStrategy,
    show: ShowFlags,
    pid: u32,
    seq: u32,
}

impl Request {
    /// A request for the tasks of `strategy`, with no group, pid 0 and
    /// sequence number 0.
    pub const fn new(strategy: DumpStrategy) -> Self {
        Self {
            strategy,
            show: ShowFlags::empty(),
            pid: 0,
            seq: 0,
        }
    }

    /// Adds the groups of `flags` to those requested.
    #[must_use]
    pub const fn show(mut self, flags: ShowFlags) -> Self {
        self.show = self.show.union(flags);
        self
    }

    /// Sets the pid that [`DumpStrategy::One`], [`DumpStrategy::Children`]
    /// and [`DumpStrategy::Thread`] act on (in the pid namespace of the
    /// procfs mount).
    #[must_use]
    pub const fn pid(mut self, pid: u32) -> Self {
        self.pid = pid;
        self
    }

    /// Sets the sequence number, echoed in every response message.
    #[must_use]
    pub const fn seq(mut self, seq: u32) -> Self {
        self.seq = seq;
        self
    }

    /// The strategy of the request.
    pub const fn strategy(&self) -> DumpStrategy {
        self.strategy
    }

    /// The groups of the request.
    pub const fn show_flags(&self) -> ShowFlags {
        self.show
    }

    /// The netlink header of the request.
    pub const fn header(&self) -> NlMsgHdr {
        NlMsgHdr {
            nlmsg_len: REQUEST_LEN as u32,
            nlmsg_type: 0,
            nlmsg_flags: 0,
            nlmsg_seq: self.seq,
            nlmsg_pid: 0,
        }
    }

    /// The payload of the request.
    pub const fn payload(&self) -> TaskDiagPid {
        TaskDiagPid {
            show_flags: self.show.bits(),
            dump_strategy: self.strategy.value(),
            pid: self.pid,
            reserved: 0,
        }
    }

    /// `Ok` when the request asks for something the kernel can answer
    /// usefully: its [`ShowFlags::check`]. [`to_bytes`](Self::to_bytes)
    /// and [`write_to`](Self::write_to) do not check, since the bits are a
    /// valid `show_flags` value: by the header, `VMA_STAT` without `VMA`
    /// sends no attribute for it.
    pub const fn check(&self) -> Result<(), VmaStatWithoutVma> {
        match self.show.check() {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The bytes to write, in native byte order.
    pub fn to_bytes(&self) -> [u8; REQUEST_LEN] {
        let bytes = RequestBytes {
            header: self.header(),
            payload: self.payload(),
        };
        // Same size, checked at compile time; no padding (`IntoBytes`).
        zerocopy::transmute!(bytes)
    }

    /// Writes the bytes of the request at the start of `buf` and returns
    /// their number, [`REQUEST_LEN`].
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let available = buf.len();
        let dst = buf.get_mut(..REQUEST_LEN).ok_or(BufferTooSmall {
            needed: REQUEST_LEN,
            available,
        })?;
        dst.copy_from_slice(&self.to_bytes());
        Ok(REQUEST_LEN)
    }
}

/// The error of [`Request::write_to`]: the buffer is too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BufferTooSmall {
    /// The bytes the request needs.
    pub needed: usize,
    /// The bytes the buffer has.
    pub available: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a task_diag request needs {} bytes, the buffer has {}",
            self.needed, self.available
        )
    }
}

impl core::error::Error for BufferTooSmall {}
