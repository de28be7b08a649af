// SPDX-License-Identifier: MIT OR Apache-2.0

//! The binary interface of `/proc/task_diag`, for user space.
//!
//! A client writes one request to `/proc/task_diag` (which tasks, which
//! groups of attributes), then reads until `read()` returns 0: a stream of
//! netlink-format messages, one or more per task, ended by an `NLMSG_DONE`
//! message. The C definitions are in `include/uapi/linux/task_diag.h`; its
//! comments describe the protocol and its errors.
//!
//! This crate does no I/O and no allocation (`no_std`):
//!
//! - [`abi`]: every constant and structure of the header, with the C names,
//!   and the netlink headers [`abi::NlMsgHdr`] and [`abi::NlAttr`];
//! - [`ShowFlags`], [`DumpStrategy`], [`TaskState`], [`Group`]: typed forms
//!   of the ABI's numbers;
//! - [`request`]: the bytes of a request, from a [`Request`] builder;
//! - [`response`]: checked, borrowing iterators over the bytes read, which
//!   never panic and stop at the first malformed message, attribute or
//!   record, and typed accessors of each group's attribute;
//! - [`emit`]: an encoder of responses into a caller's buffer, as the
//!   kernel writes them (for tests and fakes of the kernel).
//!
//! # Example
//!
//! ```
//! use task_diag_uapi::abi::{TaskDiagBase, TaskDiagMsg, TaskDiagStatVer0};
//! use task_diag_uapi::emit::Encoder;
//! use task_diag_uapi::response::{Attr, MessageKind, Messages};
//! use task_diag_uapi::{DumpStrategy, Request, ShowFlags, TaskState};
//!
//! // The request: every process, its BASE, STAT and NAME groups, sequence
//! // number 42.
//! let request = Request::new(DumpStrategy::All)
//!     .show(ShowFlags::BASE | ShowFlags::STAT | ShowFlags::NAME)
//!     .seq(42);
//! assert_eq!(request.check(), Ok(()));
//! let request = request.to_bytes();
//! assert_eq!(request.len(), 40);
//! // A client writes `request` to /proc/task_diag in one write().
//!
//! // What a read() could return: one task, then the end of the dump, here
//! // from a kernel that sends the published 72-byte STAT.
//! let mut base = TaskDiagBase {
//!     tgid: 1,
//!     pid: 1,
//!     state: TaskState::Interruptible.into(),
//!     ..TaskDiagBase::default()
//! };
//! base.comm[..4].copy_from_slice(b"init");
//! let mut buf = [0u8; 256];
//! let mut enc = Encoder::new(&mut buf);
//! let mut task = enc.task(42, TaskDiagMsg { pid: 1, tgid: 1, flags: 0 })?;
//! task.base(&base)?;
//! task.stat_ver0(&TaskDiagStatVer0 { threads: 1, ..Default::default() })?;
//! task.name(b"systemd")?;
//! task.finish();
//! enc.done(42)?;
//! let response = enc.as_bytes();
//!
//! // Walk it.
//! let mut rows = Vec::new();
//! let mut done = false;
//! for message in Messages::new(response) {
//!     let message = message.expect("a well-formed response");
//!     assert_eq!(message.header().nlmsg_seq, 42);
//!     match message.kind() {
//!         MessageKind::Task(task) => {
//!             assert_eq!(task.pid(), 1);
//!             assert!(!task.is_continued());
//!             for attr in task.attrs() {
//!                 if let Attr::Base(base) = attr.expect("a well-formed attribute") {
//!                     let state = base.task_state().expect("a known state");
//!                     rows.push((base.pid, state.letter(), base.comm_bytes().to_vec()));
//!                 }
//!             }
//!             // Or one group at a time.
//!             let stat = task.stat().expect("well-formed").expect("a STAT attribute");
//!             assert_eq!(stat.ver0().threads, 1);
//!             assert_eq!(stat.full(), None); // no appended fields from this kernel
//!             assert_eq!(task.name(), Ok(Some(&b"systemd"[..])));
//!         }
//!         MessageKind::Done(status) => {
//!             assert_eq!(*status, 0);
//!             done = true;
//!         }
//!         MessageKind::Error(errno) => panic!("error {errno}"),
//!         MessageKind::Other => {}
//!     }
//! }
//! assert!(done);
//! assert_eq!(rows, [(1, 'S', b"init".to_vec())]);
//! # Ok::<(), task_diag_uapi::emit::EmitError>(())
//! ```

#![no_std]
#![forbid(unsafe_code)]

pub mod abi;
pub mod emit;
pub mod request;
pub mod response;
mod types;

pub use request::{Request, REQUEST_LEN};
pub use types::{
    DumpStrategy, Group, ShowFlags, TaskState, UnknownDumpStrategy, UnknownGroup, UnknownTaskState,
    VmaStatWithoutVma,
};
