// SPDX-License-Identifier: MIT OR Apache-2.0

//! The optional parts of a [`Task`](crate::Task), one per attribute group
//! beyond `TASK_DIAG_BASE`: [`Creds`] (`TASK_DIAG_CRED`), [`Stat`]
//! (`TASK_DIAG_STAT`), [`Statm`] (`TASK_DIAG_STATM`); the command line
//! (`TASK_DIAG_CMDLINE`) is bytes and the full name (`TASK_DIAG_NAME`) a
//! [`Comm`](crate::Comm).
//!
//! Each part has the meaning the kernel's header gives its structure, so
//! that both backends fill it alike; the conversions from the
//! `task-diag-uapi` structures are here.

use task_diag_uapi::abi::{TaskDiagCaps, TaskDiagCreds, TaskDiagStat, TaskDiagStatm};
use task_diag_uapi::ShowFlags;

/// The bit of `TASK_DIAG_SHOW_NAME` (group number 7,
/// `TASK_DIAG_NAME`), the one place this crate names it.
pub const SHOW_NAME_BIT: u64 = 1 << 7;

/// The flag requesting `TASK_DIAG_NAME`, when the `task-diag-uapi` crate in
/// use knows the group; empty otherwise (the name is then not requested,
/// and a reader falls back to the BASE command name).
pub fn show_name() -> ShowFlags {
    ShowFlags::from_bits(SHOW_NAME_BIT).unwrap_or_default()
}

/// The groups a [`Task`](crate::Task) can carry, BASE included: the
/// flags a backend accepts in a request.
pub fn supported_groups() -> ShowFlags {
    ShowFlags::BASE
        | ShowFlags::CRED
        | ShowFlags::STAT
        | ShowFlags::STATM
        | ShowFlags::CMDLINE
        | show_name()
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

/// Length of `struct task_diag_stat` as first published, before the
/// appended fields (`TASK_DIAG_STAT_SIZE_VER0`).
pub const STAT_SIZE_VER0: usize = 72;

impl From<&TaskDiagStat> for Stat {
    /// The fields of the published prefix; the appended ones are left at
    /// their defaults (tpgid -1) until `task-diag-uapi` has them: then
    /// copy them here, or use [`Stat::from_payload`].
    fn from(s: &TaskDiagStat) -> Self {
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

/// Reads native-endian integers from a payload, zero past its end (a
/// shorter, older structure).
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn u64(&self, at: usize) -> u64 {
        let mut b = [0u8; 8];
        if let Some(src) = self.0.get(at..at + 8) {
            b.copy_from_slice(src);
        }
        u64::from_ne_bytes(b)
    }

    fn u32(&self, at: usize) -> u32 {
        let mut b = [0u8; 4];
        if let Some(src) = self.0.get(at..at + 4) {
            b.copy_from_slice(src);
        }
        u32::from_ne_bytes(b)
    }
}

impl Stat {
    /// The part of a `TASK_DIAG_STAT` payload: every field of the header's
    /// structure that the payload holds (a 72-byte payload of an older
    /// kernel has none of the appended fields: they stay at their defaults,
    /// tpgid -1); bytes past the structure are ignored.
    pub fn from_payload(payload: &[u8]) -> Self {
        let f = Fields(payload);
        let appended = payload.len() >= STAT_SIZE_VER0 + 40;
        Self {
            minflt: f.u64(0),
            cminflt: f.u64(8),
            majflt: f.u64(16),
            cmajflt: f.u64(24),
            utime: f.u64(32),
            stime: f.u64(40),
            cutime: f.u64(48),
            cstime: f.u64(56),
            threads: f.u32(64),
            start_time: f.u64(72),
            tty_nr: f.u32(80),
            tpgid: if appended {
                f.u32(84).cast_signed()
            } else {
                -1
            },
            nice: f.u32(88).cast_signed(),
            priority: f.u32(92).cast_signed(),
            rt_priority: f.u32(96),
            policy: f.u32(100),
            processor: f.u32(104),
            flags: f.u32(108),
        }
    }
}

/// Memory sizes of a task (`struct task_diag_statm`): in pages, but
/// `ptes` in bytes. All zero for a task without memory (a kernel thread, a
/// zombie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Statm {
    /// Resident anonymous memory.
    pub anon: u64,
    /// Resident file mappings.
    pub file: u64,
    /// Resident shared memory.
    pub shmem: u64,
    /// Peak virtual memory size.
    pub hiwater_vm: u64,
    /// Peak resident set size.
    pub hiwater_rss: u64,
    /// Text (code) size.
    pub text: u64,
    /// Shared-library code size.
    pub lib: u64,
    /// Anonymous memory swapped out.
    pub swap: u64,
    /// Size of the page tables, in bytes.
    pub ptes: u64,
    /// Resident set size.
    pub total_rss: u64,
    /// Virtual memory size.
    pub total_vm: u64,
    /// Private writable mappings.
    pub data_vm: u64,
    /// Stack mappings.
    pub stack_vm: u64,
    /// Locked memory.
    pub locked_vm: u64,
    /// Pinned memory.
    pub pinned_vm: u64,
}

impl From<&TaskDiagStatm> for Statm {
    fn from(s: &TaskDiagStatm) -> Self {
        Self {
            anon: s.anon,
            file: s.file,
            shmem: s.shmem,
            hiwater_vm: s.hiwater_vm,
            hiwater_rss: s.hiwater_rss,
            text: s.text,
            lib: s.lib,
            swap: s.swap,
            ptes: s.ptes,
            total_rss: s.total_rss,
            total_vm: s.total_vm,
            data_vm: s.data_vm,
            stack_vm: s.stack_vm,
            locked_vm: s.locked_vm,
            pinned_vm: s.pinned_vm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_payload_prefix_and_appended() {
        let mut payload = vec![0u8; 112];
        payload[0..8].copy_from_slice(&5u64.to_ne_bytes());
        payload[32..40].copy_from_slice(&7u64.to_ne_bytes());
        payload[64..68].copy_from_slice(&3u32.to_ne_bytes());
        payload[72..80].copy_from_slice(&1234u64.to_ne_bytes());
        payload[84..88].copy_from_slice(&(-1i32).to_ne_bytes());
        payload[88..92].copy_from_slice(&(-5i32).to_ne_bytes());
        payload[108..112].copy_from_slice(&0x40_0040u32.to_ne_bytes());
        let stat = Stat::from_payload(&payload);
        assert_eq!(
            (stat.minflt, stat.utime, stat.threads, stat.start_time),
            (5, 7, 3, 1234)
        );
        assert_eq!((stat.tpgid, stat.nice, stat.flags), (-1, -5, 0x40_0040));
        // An older, 72-byte payload: no appended fields.
        let old = Stat::from_payload(&payload[..STAT_SIZE_VER0]);
        assert_eq!((old.threads, old.start_time, old.tpgid), (3, 0, -1));
        let abi = TaskDiagStat {
            minflt: 5,
            utime: 7,
            threads: 3,
            ..TaskDiagStat::default()
        };
        assert_eq!(Stat::from(&abi), old);
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
