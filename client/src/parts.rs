// SPDX-License-Identifier: MIT OR Apache-2.0

//! The optional parts of a [`Task`](crate::Task), one per attribute group
//! beyond `TASK_DIAG_BASE`: [`Creds`] (`TASK_DIAG_CRED`), [`Stat`]
//! (`TASK_DIAG_STAT`), [`Statm`] (`TASK_DIAG_STATM`), the mappings as
//! [`Vma`] records (`TASK_DIAG_VMA`, each with its [`VmaStat`] under
//! `TASK_DIAG_SHOW_VMA_STAT`); the command line (`TASK_DIAG_CMDLINE`) is
//! bytes and the full name (`TASK_DIAG_NAME`) a [`Comm`](crate::Comm).
//!
//! Each part has the meaning the kernel's header gives its structure, so
//! that both backends fill it alike; the conversions from the
//! `task-diag-uapi` structures are here.

use task_diag_uapi::abi::{
    TaskDiagCaps, TaskDiagCreds, TaskDiagStat, TaskDiagStatVer0, TaskDiagStatm,
};
use task_diag_uapi::response;
use task_diag_uapi::ShowFlags;

pub use crate::procfs::maps::{Vma, VmaStat};

/// The flag requesting `TASK_DIAG_NAME`, the full name.
pub fn show_name() -> ShowFlags {
    ShowFlags::NAME
}

/// The groups both backends report, BASE included: the flags the procfs
/// backend accepts in a request. The task_diag backend also decodes VMA
/// and VMA_STAT ([`task_diag_groups`]).
pub fn supported_groups() -> ShowFlags {
    ShowFlags::BASE
        | ShowFlags::CRED
        | ShowFlags::STAT
        | ShowFlags::STATM
        | ShowFlags::CMDLINE
        | show_name()
}

/// The groups the task_diag backend decodes into a [`Task`](crate::Task):
/// those of [`supported_groups`], and VMA with its VMA_STAT (the mappings
/// of [`Task::vmas`](crate::Task::vmas)), which the procfs backend does
/// not report (`/proc/PID/maps` and `smaps` are read by
/// [`procfs::maps`](crate::procfs::maps) instead).
pub fn task_diag_groups() -> ShowFlags {
    supported_groups() | ShowFlags::VMA | ShowFlags::VMA_STAT
}

/// The user and group ids and capability sets of a task
/// (`struct task_diag_creds`). Ids are those of the reader's user
/// namespace; capability `n` is bit `n` of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Creds {
    /// Real user id.
    pub uid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Saved user id.
    pub suid: u32,
    /// Filesystem user id.
    pub fsuid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Saved group id.
    pub sgid: u32,
    /// Filesystem group id.
    pub fsgid: u32,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Capability bounding set.
    pub cap_bset: u64,
}

impl From<&TaskDiagCreds> for Creds {
    fn from(c: &TaskDiagCreds) -> Self {
        let bits = |caps: &TaskDiagCaps| caps.bits();
        Self {
            uid: c.uid,
            euid: c.euid,
            suid: c.suid,
            fsuid: c.fsuid,
            gid: c.gid,
            egid: c.egid,
            sgid: c.sgid,
            fsgid: c.fsgid,
            cap_inheritable: bits(&c.cap_inheritable),
            cap_permitted: bits(&c.cap_permitted),
            cap_effective: bits(&c.cap_effective),
            cap_bset: bits(&c.cap_bset),
        }
    }
}

/// Faults, times and scheduling of a task (`struct task_diag_stat`, the
/// appended fields included). Times are in clock ticks
/// (`sysconf(_SC_CLK_TCK)`).
///
/// Faults and times are the thread group's for a process (as
/// `/proc/PID/stat`), the thread's own for a thread listed as one (as
/// `/proc/PID/task/TID/stat`); `threads` is always the group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stat {
    /// Minor faults.
    pub minflt: u64,
    /// Minor faults of the waited-for children.
    pub cminflt: u64,
    /// Major faults.
    pub majflt: u64,
    /// Major faults of the waited-for children.
    pub cmajflt: u64,
    /// User time.
    pub utime: u64,
    /// System time.
    pub stime: u64,
    /// User time of the waited-for children.
    pub cutime: u64,
    /// System time of the waited-for children.
    pub cstime: u64,
    /// Threads in the thread group.
    pub threads: u32,
    /// Start, in clock ticks after boot (field 22 of `/proc/PID/stat`).
    pub start_time: u64,
    /// The controlling terminal as field 7 of `/proc/PID/stat` encodes it
    /// (`new_encode_dev()`); 0 when none.
    pub tty_nr: u32,
    /// The terminal's foreground process group; -1 when none.
    pub tpgid: i32,
    /// Nice value, -20 to 19.
    pub nice: i32,
    /// Priority, as field 18 of `/proc/PID/stat`.
    pub priority: i32,
    /// Real-time priority, 0 for normal policies.
    pub rt_priority: u32,
    /// Scheduling policy, a `SCHED_*` value.
    pub policy: u32,
    /// The CPU the task last ran on.
    pub processor: u32,
    /// The `PF_*` flags, as field 9 of `/proc/PID/stat`.
    pub flags: u32,
}

impl From<&TaskDiagStat> for Stat {
    /// The prefix's fields as the [`TaskDiagStatVer0`] conversion takes
    /// them, then the appended ones.
    fn from(s: &TaskDiagStat) -> Self {
        Self {
            start_time: s.start_time,
            tty_nr: s.tty_nr,
            tpgid: s.tpgid,
            nice: s.nice,
            priority: s.priority,
            rt_priority: s.rt_priority,
            policy: s.policy,
            processor: s.processor,
            flags: s.flags,
            ..Self::from(&s.ver0())
        }
    }
}

impl From<&TaskDiagStatVer0> for Stat {
    /// The fields of the published 72-byte prefix (an older kernel's);
    /// the appended ones are left at their defaults, tpgid -1.
    fn from(s: &TaskDiagStatVer0) -> Self {
        Self {
            minflt: s.minflt,
            cminflt: s.cminflt,
            majflt: s.majflt,
            cmajflt: s.cmajflt,
            utime: s.utime,
            stime: s.stime,
            cutime: s.cutime,
            cstime: s.cstime,
            threads: s.threads,
            tpgid: -1,
            ..Self::default()
        }
    }
}

impl From<&response::Stat> for Stat {
    /// The whole structure when the kernel sent it, else its prefix.
    fn from(s: &response::Stat) -> Self {
        match s.full() {
            Some(full) => Self::from(&full),
            None => Self::from(&s.ver0()),
        }
    }
}

impl From<&response::Vma<'_>> for Vma {
    /// The record's fields as they are (flags as `TASK_DIAG_VMA_F_*` bits,
    /// the offset in bytes), its name without the NUL (empty when it has
    /// none), its statistics when it carries them.
    fn from(rec: &response::Vma<'_>) -> Self {
        let v = &rec.vma;
        Self {
            start: v.start,
            end: v.end,
            flags: v.vm_flags,
            pgoff: v.pgoff,
            major: v.major,
            minor: v.minor,
            inode: v.inode,
            name: rec.name.unwrap_or_default().to_vec(),
            stat: rec.stat,
        }
    }
}

/// Memory sizes of a task (`struct task_diag_statm`): in pages, but
/// `ptes` in bytes. All zero for a task without memory (a kernel thread, a
/// zombie).
///
/// The structure of `task-diag-uapi` itself: the attribute's fields are
/// exactly what a task's part holds, so both backends fill it directly.
pub type Statm = TaskDiagStatm;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_from_abi_whole_and_prefix() {
        let abi = TaskDiagStat {
            minflt: 5,
            utime: 7,
            threads: 3,
            start_time: 1234,
            tty_nr: 34816,
            tpgid: 42,
            nice: -5,
            priority: 15,
            flags: 0x40_0040,
            ..TaskDiagStat::default()
        };
        let stat = Stat::from(&abi);
        assert_eq!(
            (stat.minflt, stat.utime, stat.threads, stat.start_time),
            (5, 7, 3, 1234)
        );
        assert_eq!(
            (
                stat.tty_nr,
                stat.tpgid,
                stat.nice,
                stat.priority,
                stat.flags
            ),
            (34816, 42, -5, 15, 0x40_0040)
        );
        // An older kernel's prefix: no appended fields.
        let old = Stat::from(&abi.ver0());
        assert_eq!((old.threads, old.start_time, old.tpgid), (3, 0, -1));
        assert_eq!((old.minflt, old.utime), (5, 7));
    }

    #[test]
    fn creds_from_abi() {
        let abi = TaskDiagCreds {
            cap_effective: TaskDiagCaps { cap: [1, 2] },
            uid: 1,
            euid: 2,
            fsgid: 8,
            ..TaskDiagCreds::default()
        };
        let creds = Creds::from(&abi);
        assert_eq!((creds.uid, creds.euid, creds.fsgid), (1, 2, 8));
        assert_eq!(creds.cap_effective, (2 << 32) | 1);
    }
}
