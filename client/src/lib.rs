// SPDX-License-Identifier: MIT OR Apache-2.0

//! A client of `/proc/task_diag`, with a procfs fallback.
//!
//! [`Client`] reads [`Task`] records, one per task, for a
//! [`DumpStrategy`] (every process, every thread, the threads or children
//! of a process, one task) from one of two backends:
//!
//! - [`Backend::TaskDiag`]: one request written to `/proc/task_diag`, the
//!   response read into one reused buffer and decoded with the
//!   `task-diag-uapi` crate, with no allocation per task
//!   ([`stream::TaskDiagReader`]);
//! - [`Backend::Procfs`]: `/proc/PID/stat` and `/proc/PID/status` of each
//!   task ([`procfs`]), for kernels without task_diag.
//!
//! [`BackendChoice::Auto`] takes task_diag when the file exists. Both
//! backends yield the same records in the same (pid) order.
//!
//! ```no_run
//! use task_diag::{BackendChoice, Client, DumpStrategy, ShowFlags};
//!
//! let mut client = Client::open(BackendChoice::Auto)?;
//! let me = std::process::id() as i32;
//! for task in client.dump(DumpStrategy::Thread, Some(me), ShowFlags::BASE)? {
//!     let task = task?;
//!     println!("{:>7} {} {}", task.pid, task.state.letter(), task.comm_str());
//! }
//! # Ok::<(), task_diag::Error>(())
//! ```
//!
//! The task_diag backend also decodes the VMA group (the mappings of
//! [`Task::vmas`], with their statistics under VMA_STAT); the procfs
//! backend refuses it, and [`procfs::maps`] reads `/proc/PID/maps` and
//! `smaps` into the same [`Vma`] records instead.
//!
//! The binaries of this package are `tdps`, a `ps`, and `tdpmap`, a
//! `pmap`, over this crate.

#![forbid(unsafe_code)]

mod client;
mod error;
pub mod parts;
pub mod procfs;
pub mod stream;
mod task;

pub use client::{Backend, BackendChoice, Client, Options, TaskIter};
pub use error::{Error, Operation, ProtocolError, Result};
pub use parts::{show_name, supported_groups, task_diag_groups, Creds, Stat, Statm, Vma, VmaStat};
pub use task::{Comm, Task};
pub use task_diag_uapi::{DumpStrategy, ShowFlags, TaskState};
