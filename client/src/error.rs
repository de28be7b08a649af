// SPDX-License-Identifier: MIT OR Apache-2.0

//! The error type of the crate.

use std::fmt;
use std::io;
use std::path::PathBuf;

use task_diag_uapi::response::ParseError;
use task_diag_uapi::{DumpStrategy, ShowFlags};

use crate::procfs::parse::ParseError as ProcfsParseError;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a failed dump was asked for: named in every error of a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The strategy of the dump.
    pub strategy: DumpStrategy,
    /// The pid the strategy acts on, if it uses one.
    pub pid: Option<i32>,
    /// The groups requested.
    pub show: ShowFlags,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.strategy {
            DumpStrategy::All => "ALL",
            DumpStrategy::One => "ONE",
            DumpStrategy::AllThread => "ALL_THREAD",
            DumpStrategy::Children => "CHILDREN",
            DumpStrategy::Thread => "THREAD",
        };
        write!(f, "dump {name}")?;
        if let Some(pid) = self.pid {
            write!(f, " of pid {pid}")?;
        }
        write!(f, " ({:?})", self.show)
    }
}

/// A violation of the protocol by a response, in [`Error::Protocol`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A message does not echo the request's sequence number.
    SeqMismatch {
        /// The request's `nlmsg_seq`.
        expected: u32,
        /// The message's.
        found: u32,
    },
    /// `read()` returned 0 before the `NLMSG_DONE` message.
    Truncated,
    /// A message followed `NLMSG_DONE` in the same read.
    DataAfterDone,
    /// `NLMSG_DONE` carried a status other than 0.
    DoneStatus(i32),
    /// An `NLMSG_ERROR` message, with its (negative errno) status.
    ErrorMessage(i32),
    /// A message of a type task_diag does not send.
    UnexpectedType(u16),
    /// A task's first message has no `TASK_DIAG_BASE` attribute.
    MissingBase {
        /// The task's pid.
        pid: u32,
    },
    /// A `TASK_DIAG_BASE` attribute with a state that names no state.
    UnknownState {
        /// The task's pid.
        pid: u32,
        /// The state value.
        state: u8,
    },
    /// A task message of a task continued by the previous one carries no
    /// attribute (every message carries at least one).
    EmptyMessage {
        /// The task's pid.
        pid: u32,
    },
    /// An attribute out of group order, repeated (other than a split
    /// `TASK_DIAG_CMDLINE` or `TASK_DIAG_VMA` continued at the start of
    /// the next message), or of a group the request did not name.
    UnexpectedAttr {
        /// The task's pid.
        pid: u32,
        /// The attribute's type (its group number).
        ty: u16,
    },
    /// A `TASK_DIAG_VMA` record with statistics when
    /// `TASK_DIAG_SHOW_VMA_STAT` was not requested, or without when it
    /// was.
    VmaStat {
        /// The task's pid.
        pid: u32,
        /// The record's first address.
        start: u64,
        /// Whether `TASK_DIAG_SHOW_VMA_STAT` was requested.
        requested: bool,
    },
    /// A `TASK_DIAG_VMA` record that is empty (its end not above its
    /// start) or does not end above the task's record before it (records
    /// come in address order, across the parts of a split attribute too;
    /// a part resumes at the first mapping that ends above the last record
    /// sent).
    VmaOrder {
        /// The task's pid.
        pid: u32,
        /// The record's first address.
        start: u64,
        /// The record's end.
        end: u64,
    },
    /// A task whose last message ended it (no `TASK_DIAG_FLAG_CONT`)
    /// lacks the attribute of a requested group.
    MissingGroup {
        /// The task's pid.
        pid: u32,
        /// The group's number.
        group: u16,
    },
}

/// The name of attribute group `ty`.
fn group_name(ty: u16) -> std::borrow::Cow<'static, str> {
    use task_diag_uapi::abi::*;
    std::borrow::Cow::Borrowed(match ty {
        TASK_DIAG_BASE => "TASK_DIAG_BASE",
        TASK_DIAG_CRED => "TASK_DIAG_CRED",
        TASK_DIAG_VMA => "TASK_DIAG_VMA",
        TASK_DIAG_VMA_STAT => "TASK_DIAG_VMA_STAT",
        TASK_DIAG_STAT => "TASK_DIAG_STAT",
        TASK_DIAG_STATM => "TASK_DIAG_STATM",
        TASK_DIAG_CMDLINE => "TASK_DIAG_CMDLINE",
        TASK_DIAG_NAME => "TASK_DIAG_NAME",
        other => return std::borrow::Cow::Owned(format!("attribute type {other}")),
    })
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ProtocolError::SeqMismatch { expected, found } => write!(
                f,
                "sequence number {found} in a response to request {expected}"
            ),
            ProtocolError::Truncated => f.write_str("the stream ended before NLMSG_DONE"),
            ProtocolError::DataAfterDone => f.write_str("data after NLMSG_DONE"),
            ProtocolError::DoneStatus(status) => write!(f, "NLMSG_DONE with status {status}"),
            ProtocolError::ErrorMessage(status) => write!(f, "NLMSG_ERROR with status {status}"),
            ProtocolError::UnexpectedType(ty) => write!(f, "unexpected message type {ty:#x}"),
            ProtocolError::MissingBase { pid } => {
                write!(f, "task {pid} has no TASK_DIAG_BASE attribute")
            }
            ProtocolError::UnknownState { pid, state } => {
                write!(f, "task {pid} has unknown state {state}")
            }
            ProtocolError::EmptyMessage { pid } => {
                write!(f, "a continued message of task {pid} has no attribute")
            }
            ProtocolError::UnexpectedAttr { pid, ty } => write!(
                f,
                "task {pid}: {} out of group order, repeated or not requested",
                group_name(ty)
            ),
            ProtocolError::VmaStat {
                pid,
                start,
                requested,
            } => write!(
                f,
                "task {pid}: the VMA record at {start:#x} {}",
                if requested {
                    "has no statistics, though TASK_DIAG_SHOW_VMA_STAT was requested"
                } else {
                    "has statistics, though TASK_DIAG_SHOW_VMA_STAT was not requested"
                }
            ),
            ProtocolError::VmaOrder { pid, start, end } => write!(
                f,
                "task {pid}: the VMA record {start:#x}-{end:#x} is empty or does not end above the one before it"
            ),
            ProtocolError::MissingGroup { pid, group } => write!(
                f,
                "task {pid} ended without its requested {} attribute",
                group_name(group)
            ),
        }
    }
}

/// Everything that can fail in this crate.
///
/// Errors of a dump name the [`Operation`]; errors of procfs name the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening a file failed.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The request was refused with `EINVAL`: an unknown or unsupported
    /// group or strategy.
    #[error("task_diag refused the request ({op}): invalid request")]
    InvalidRequest {
        /// The request.
        op: Operation,
    },
    /// The task a strategy acts on is not there or not visible (`ESRCH`
    /// from task_diag; a missing `/proc/PID` from procfs).
    #[error("{op}: no such task")]
    NoSuchTask {
        /// The request.
        op: Operation,
    },
    /// A strategy that acts on a pid was given none, or a pid below 1.
    #[error("{op}: a pid above 0 is needed")]
    BadPid {
        /// The request.
        op: Operation,
    },
    /// The backend cannot produce a requested group.
    #[error("{op}: the procfs backend cannot report {unsupported:?}")]
    UnsupportedGroups {
        /// The request.
        op: Operation,
        /// The groups it cannot report.
        unsupported: ShowFlags,
    },
    /// `write()` of the request failed with another error.
    #[error("cannot write the task_diag request ({op}): {source}")]
    Write {
        /// The request.
        op: Operation,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `write()` took only part of the request.
    #[error("task_diag took {written} of the {expected} bytes of the request ({op})")]
    ShortWrite {
        /// The request.
        op: Operation,
        /// The bytes written.
        written: usize,
        /// The length of the request.
        expected: usize,
    },
    /// A message did not fit in the largest read buffer allowed
    /// (`EMSGSIZE` at the cap).
    #[error("a task_diag message does not fit in {buffer_len} bytes ({op})")]
    MessageTooBig {
        /// The request.
        op: Operation,
        /// The size of the last buffer tried.
        buffer_len: usize,
    },
    /// `read()` of the response failed with another error.
    #[error("cannot read the task_diag response ({op}): {source}")]
    Read {
        /// The request.
        op: Operation,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A response could not be parsed. Offsets in `source` count from the
    /// start of the message.
    #[error("malformed task_diag response ({op}){}: {source}", in_task(*.task))]
    Malformed {
        /// The request.
        op: Operation,
        /// The pid of the task message, when its header could be read.
        task: Option<u32>,
        /// What is wrong with it.
        #[source]
        source: ParseError,
    },
    /// A response broke the protocol.
    #[error("unexpected task_diag response ({op}): {problem}")]
    Protocol {
        /// The request.
        op: Operation,
        /// What is wrong with it.
        problem: ProtocolError,
    },
    /// Reading a procfs file or directory failed.
    #[error("cannot read {path}: {source}")]
    ProcfsRead {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A procfs file could not be parsed.
    #[error("cannot parse {path}: {source}")]
    ProcfsParse {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: ProcfsParseError,
    },
}

/// " in the message of task PID", or nothing.
fn in_task(task: Option<u32>) -> String {
    task.map(|pid| format!(" in a message of task {pid}"))
        .unwrap_or_default()
}

impl Error {
    /// The errno of the system call that failed, if one did.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Open { source, .. }
            | Error::Write { source, .. }
            | Error::Read { source, .. }
            | Error::ProcfsRead { source, .. } => source.raw_os_error(),
            Error::InvalidRequest { .. } => Some(rustix::io::Errno::INVAL.raw_os_error()),
            Error::NoSuchTask { .. } => Some(rustix::io::Errno::SRCH.raw_os_error()),
            Error::MessageTooBig { .. } => Some(rustix::io::Errno::MSGSIZE.raw_os_error()),
            _ => None,
        }
    }
}
