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
//!   record.
//!
//! # Example
//!
//! ```
//! use task_diag_uapi::abi::{
//!     NlAttr, NlMsgHdr, TaskDiagBase, TaskDiagMsg, NLMSG_DONE, NLM_F_MULTI,
//!     TASK_DIAG_BASE, TASK_DIAG_CMD_GET,
//! };
//! use task_diag_uapi::response::{Attr, MessageKind, Messages};
//! use task_diag_uapi::{DumpStrategy, Request, ShowFlags, TaskState};
//! use zerocopy::IntoBytes;
//!
//! // The request: every process, its BASE group, sequence number 42.
//! let request = Request::new(DumpStrategy::All)
//!     .show(ShowFlags::BASE)
//!     .seq(42)
//!     .to_bytes();
//! assert_eq!(request.len(), 40);
//! // A client writes `request` to /proc/task_diag in one write().
//!
//! // What a read() could return: one task, then the end of the dump.
//! let mut base = TaskDiagBase {
//!     tgid: 1,
//!     pid: 1,
//!     state: TaskState::Interruptible.into(),
//!     ..TaskDiagBase::default()
//! };
//! base.comm[..4].copy_from_slice(b"init");
//! let task_len = 16 + 12 + 4 + 44;
//! let mut response = Vec::new();
//! response.extend_from_slice(
//!     NlMsgHdr {
//!         nlmsg_len: task_len,
//!         nlmsg_type: TASK_DIAG_CMD_GET,
//!         nlmsg_flags: NLM_F_MULTI,
//!         nlmsg_seq: 42,
//!         nlmsg_pid: 0,
//!     }
//!     .as_bytes(),
//! );
//! response.extend_from_slice(TaskDiagMsg { pid: 1, tgid: 1, flags: 0 }.as_bytes());
//! response.extend_from_slice(NlAttr { nla_len: 4 + 44, nla_type: TASK_DIAG_BASE }.as_bytes());
//! response.extend_from_slice(base.as_bytes());
//! response.extend_from_slice(
//!     NlMsgHdr {
//!         nlmsg_len: 16 + 4,
//!         nlmsg_type: NLMSG_DONE,
//!         nlmsg_flags: NLM_F_MULTI,
//!         nlmsg_seq: 42,
//!         nlmsg_pid: 0,
//!     }
//!     .as_bytes(),
//! );
//! response.extend_from_slice(0i32.as_bytes());
//!
//! // Walk it.
//! let mut names = Vec::new();
//! let mut done = false;
//! for message in Messages::new(&response) {
//!     let message = message.expect("a well-formed response");
//!     assert_eq!(message.header().nlmsg_seq, 42);
//!     match message.kind() {
//!         MessageKind::Task(task) => {
//!             assert_eq!(task.pid(), 1);
//!             assert!(!task.is_continued());
//!             for attr in task.attrs() {
//!                 if let Attr::Base(base) = attr.expect("a well-formed attribute") {
//!                     let state = base.task_state().expect("a known state");
//!                     names.push((base.pid, state.letter(), base.comm_bytes().to_vec()));
//!                 }
//!             }
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
//! assert_eq!(names, [(1, 'S', b"init".to_vec())]);
//! ```

#![no_std]
#![forbid(unsafe_code)]

pub mod abi;
pub mod request;
pub mod response;
mod types;

pub use request::{Request, REQUEST_LEN};
pub use types::{
    DumpStrategy, Group, ShowFlags, TaskState, UnknownDumpStrategy, UnknownGroup, UnknownTaskState,
};
