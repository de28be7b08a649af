// SPDX-License-Identifier: MIT OR Apache-2.0

//! The record of one task, as both backends yield it.

use std::borrow::Cow;
use std::fmt;

use task_diag_uapi::abi::TaskDiagBase;
use task_diag_uapi::TaskState;

use crate::parts::{Creds, Stat, Statm, Vma};

/// A task's command name: its bytes, NUL padded, up to [`Comm::CAPACITY`].
///
/// [`Task::comm`] is the kernel's `comm`, at most 15 bytes, from either
/// backend. [`Task::name`] (`TASK_DIAG_NAME`, field 2 of `/proc/PID/stat`)
/// is longer for kernel threads (their full name, such as
/// `rcu_exp_par_gp_kthread_worker/0`) and for workqueue workers (the
/// workqueue they run, as in `kworker/0:1-events`): the kernel builds those
/// names in a 64-byte buffer, so a `Comm` holds 64 bytes. A name is stored
/// as given; it is never escaped.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Comm {
    bytes: [u8; Comm::CAPACITY],
}

impl Comm {
    /// The most bytes a name can have: the size of the kernel's buffer for
    /// `/proc/PID/stat` names (`TASK_COMM_LEN` is 16, the NUL included).
    pub const CAPACITY: usize = 64;

    /// The name `bytes` up to its first NUL, cut at [`Comm::CAPACITY`]
    /// bytes.
    pub fn new(bytes: &[u8]) -> Self {
        let mut out = [0u8; Self::CAPACITY];
        let end = bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(bytes.len())
            .min(Self::CAPACITY);
        if let (Some(dst), Some(src)) = (out.get_mut(..end), bytes.get(..end)) {
            dst.copy_from_slice(src);
        }
        Self { bytes: out }
    }

    /// The bytes of the name, without padding.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self
            .bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.bytes.len());
        self.bytes.get(..end).unwrap_or(&self.bytes)
    }

    /// The whole NUL-padded buffer.
    pub fn padded(&self) -> &[u8; Self::CAPACITY] {
        &self.bytes
    }

    /// The name as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// The length of the name in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the name is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.first().is_none_or(|&b| b == 0)
    }
}

impl Default for Comm {
    fn default() -> Self {
        Self {
            bytes: [0; Self::CAPACITY],
        }
    }
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Comm({:?})", self.to_str_lossy())
    }
}

impl fmt::Display for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

impl From<&[u8]> for Comm {
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes)
    }
}

/// One task (a thread; a process is its thread-group leader): the
/// `TASK_DIAG_BASE` group, from either backend.
///
/// Process ids are those of the pid namespace of the procfs mount read; 0
/// stands for a task outside it (the parent of a namespace's init, for
/// example).
///
/// The other groups are optional parts, set only when requested (and
/// sent): [`creds`](Self::creds), [`stat`](Self::stat),
/// [`statm`](Self::statm), [`vmas`](Self::vmas) (task_diag only),
/// [`cmdline`](Self::cmdline) and [`name`](Self::name). The record is
/// non-exhaustive, so that later groups can be added.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Task {
    /// The task's id (its thread id; the process id for a group leader).
    pub pid: i32,
    /// The id of its thread group (the process id).
    pub tgid: i32,
    /// The process id of its parent.
    pub ppid: i32,
    /// The process id of its tracer, 0 when not traced.
    pub tpid: i32,
    /// Its session id.
    pub sid: i32,
    /// Its process-group id.
    pub pgid: i32,
    /// Its scheduling state.
    pub state: TaskState,
    /// Its command name: the kernel's `comm`, at most 15 bytes (BASE's;
    /// the procfs backend cuts field 2 of `stat` to it). The fuller
    /// [`name`](Self::name) is what `ps` shows.
    pub comm: Comm,
    /// `TASK_DIAG_CRED`: its user and group ids and capabilities.
    pub creds: Option<Creds>,
    /// `TASK_DIAG_STAT`: its faults, times and scheduling.
    pub stat: Option<Stat>,
    /// `TASK_DIAG_STATM`: its memory sizes.
    pub statm: Option<Statm>,
    /// `TASK_DIAG_VMA`: its process's memory mappings in address order,
    /// each with its statistics when `TASK_DIAG_SHOW_VMA_STAT` was asked
    /// for; empty for kernel threads and zombies. Only the task_diag
    /// backend reports it; in a dump of threads (ALL_THREAD, THREAD) only
    /// a process's leader has it.
    pub vmas: Option<Vec<Vma>>,
    /// `TASK_DIAG_CMDLINE`: the bytes of `/proc/PID/cmdline` (arguments,
    /// each NUL-terminated, unless the process rewrote them); empty for
    /// kernel threads and zombies.
    pub cmdline: Option<Vec<u8>>,
    /// `TASK_DIAG_NAME`: the full name field 2 of `/proc/PID/stat` shows
    /// (the comm, or a kernel thread's or workqueue worker's longer name).
    pub name: Option<Comm>,
}

impl Task {
    /// A record with these fields (for tests and other sources; the fields
    /// of later groups are left unset).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pid: i32,
        tgid: i32,
        ppid: i32,
        tpid: i32,
        sid: i32,
        pgid: i32,
        state: TaskState,
        comm: Comm,
    ) -> Self {
        Self {
            pid,
            tgid,
            ppid,
            tpid,
            sid,
            pgid,
            state,
            comm,
            creds: None,
            stat: None,
            statm: None,
            vmas: None,
            cmdline: None,
            name: None,
        }
    }

    /// The record of a `TASK_DIAG_BASE` payload, or the state value when it
    /// names no state.
    pub(crate) fn from_base(base: &TaskDiagBase) -> Result<Self, u8> {
        let state = TaskState::try_from(base.state).map_err(|e| e.0)?;
        Ok(Self {
            pid: base.pid.cast_signed(),
            tgid: base.tgid.cast_signed(),
            ppid: base.ppid.cast_signed(),
            tpid: base.tpid.cast_signed(),
            sid: base.sid.cast_signed(),
            pgid: base.pgid.cast_signed(),
            state,
            comm: Comm::new(base.comm_bytes()),
            creds: None,
            stat: None,
            statm: None,
            vmas: None,
            cmdline: None,
            name: None,
        })
    }

    /// The command name's bytes, without padding.
    pub fn comm_bytes(&self) -> &[u8] {
        self.comm.as_bytes()
    }

    /// The command name as text, invalid UTF-8 replaced by U+FFFD.
    pub fn comm_str(&self) -> Cow<'_, str> {
        self.comm.to_str_lossy()
    }

    /// The fullest name known: the `TASK_DIAG_NAME` part when set, else the
    /// BASE command name.
    pub fn full_name(&self) -> &Comm {
        self.name.as_ref().unwrap_or(&self.comm)
    }

    /// Whether the task leads its thread group (is a process).
    pub fn is_group_leader(&self) -> bool {
        self.pid == self.tgid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_cuts_at_nul_and_capacity() {
        assert_eq!(Comm::new(b"bash\0junk").as_bytes(), b"bash");
        let long = [b'x'; 80];
        assert_eq!(Comm::new(&long).len(), Comm::CAPACITY);
        assert!(Comm::new(b"").is_empty());
        assert!(!Comm::new(b"a").is_empty());
        assert_eq!(Comm::new(b"a\xffb").to_str_lossy(), "a\u{fffd}b");
    }

    #[test]
    fn from_base_copies_every_field() {
        let mut base = TaskDiagBase {
            tgid: 10,
            pid: 11,
            ppid: 1,
            tpid: 7,
            sid: 3,
            pgid: 4,
            state: 6,
            ..TaskDiagBase::default()
        };
        base.comm[..5].copy_from_slice(b"hello");
        let task = Task::from_base(&base).unwrap();
        assert_eq!(
            task,
            Task::new(11, 10, 1, 7, 3, 4, TaskState::Zombie, Comm::new(b"hello"))
        );
        assert_eq!(task.comm_str(), "hello");
        assert!(!task.is_group_leader());
        base.state = 9;
        assert_eq!(Task::from_base(&base), Err(9));
    }
}
