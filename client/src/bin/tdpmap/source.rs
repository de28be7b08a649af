// SPDX-License-Identifier: MIT OR Apache-2.0

//! Where processes and their mappings come from.
//!
//! [`Source`] is what the renderer needs: the identity of a process (its
//! thread group id, command line, command name, whether a zombie, and the
//! start of its stack, which pmap uses to tell `[ stack ]` from `[ anon ]`)
//! and its mappings as [`Vma`] records, with [`VmaStat`](task_diag::procfs::maps::VmaStat)
//! for `-x`, or as [`SmapsEntry`] blocks for `-X`.
//!
//! [`ProcfsSource`] reads `/proc/PID/{stat,status,cmdline,maps,smaps}`. A
//! task_diag source plugs in as another implementation: `maps` from the
//! VMA group (VMA_STAT added when `with_stat`), `process` from BASE, NAME
//! and CMDLINE. What task_diag does not carry it takes from procfs, as
//! [`ProcfsSource`] does: the start of the stack (field 28 of
//! `/proc/PID/stat`; no group has it), and the whole of `smaps` for `-X`,
//! whose columns (`KernelPageSize`, `Pss_Dirty`, `LazyFree`, `SwapPss`,
//! `Locked`, `THPeligible`...) and VmFlags mnemonics go beyond
//! `struct task_diag_vma_stat` and the numbered VMA flags.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use task_diag::procfs::maps::{read_maps, read_smaps, SmapsEntry, Vma};

/// One process to list, as pmap's header and mapping names need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    /// The thread group id: the pid printed, whose mappings are read.
    pub tgid: i32,
    /// `/proc/PID/cmdline` as read (NUL separated), empty for kernel
    /// threads and zombies.
    pub cmdline: Vec<u8>,
    /// The command name (field 2 of `/proc/PID/stat`).
    pub comm: Vec<u8>,
    /// Whether the process is a zombie.
    pub zombie: bool,
    /// The address of the start of the stack (field 28 of stat), 0 when
    /// unknown.
    pub start_stack: u64,
}

/// A source of processes and mappings.
pub trait Source {
    /// The process of `pid` (a process or thread id), `None` when there is
    /// no such task.
    fn process(&mut self, pid: i32) -> Option<Process>;

    /// The mappings of the process `tgid` in address order, with their
    /// statistics when `with_stat`.
    fn maps(&mut self, tgid: i32, with_stat: bool) -> io::Result<Vec<Vma>>;

    /// The smaps blocks of the process `tgid`, in address order.
    fn smaps(&mut self, tgid: i32) -> io::Result<Vec<SmapsEntry>>;
}

/// The fields of `/proc/PID/stat` pmap uses: command name, state letter,
/// start of the stack (field 28).
pub fn parse_stat(data: &[u8]) -> Option<(Vec<u8>, u8, u64)> {
    let open = data.iter().position(|&b| b == b'(')?;
    let close = data.iter().rposition(|&b| b == b')')?;
    let comm = data.get(open + 1..close)?.to_vec();
    let rest = std::str::from_utf8(data.get(close + 1..)?).ok()?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // fields[0] is field 3 (state), so field 28 is fields[25].
    let state = *fields.first()?.as_bytes().first()?;
    let start_stack = fields.get(25)?.parse().ok()?;
    Some((comm, state, start_stack))
}

/// The `Tgid:` of `/proc/PID/status`.
pub fn parse_tgid(status: &[u8]) -> Option<i32> {
    status
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"Tgid:"))
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Processes and mappings from a procfs mount.
#[derive(Debug, Clone)]
pub struct ProcfsSource {
    root: PathBuf,
}

impl ProcfsSource {
    /// A source reading the procfs mounted at `root`.
    pub fn new(root: impl AsRef<Path>) -> Self {
        Self {
            root: root.as_ref().to_owned(),
        }
    }
}

impl Source for ProcfsSource {
    fn process(&mut self, pid: i32) -> Option<Process> {
        let dir = self.root.join(pid.to_string());
        let status = fs::read(dir.join("status")).ok()?;
        let tgid = parse_tgid(&status).unwrap_or(pid);
        let dir = if tgid != pid {
            self.root
                .join(tgid.to_string())
                .join("task")
                .join(pid.to_string())
        } else {
            dir
        };
        let (comm, state, start_stack) = parse_stat(&fs::read(dir.join("stat")).ok()?)?;
        let cmdline = fs::read(dir.join("cmdline")).unwrap_or_default();
        Some(Process {
            tgid,
            cmdline,
            comm,
            zombie: state == b'Z',
            start_stack,
        })
    }

    fn maps(&mut self, tgid: i32, with_stat: bool) -> io::Result<Vec<Vma>> {
        if with_stat {
            Ok(read_smaps(&self.root, tgid)?
                .into_iter()
                .map(|e| e.vma)
                .collect())
        } else {
            read_maps(&self.root, tgid)
        }
    }

    fn smaps(&mut self, tgid: i32) -> io::Result<Vec<SmapsEntry>> {
        read_smaps(&self.root, tgid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields() {
        let stat = b"4242 (a) b) c) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 \
                     1234 2355200 200 18446744073709551615 1 1 140735340871536 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        let (comm, state, stack) = parse_stat(stat).unwrap();
        assert_eq!(comm, b"a) b) c");
        assert_eq!(state, b'S');
        assert_eq!(stack, 140735340871536);
        assert_eq!(parse_stat(b"1 (x) S 0 0"), None);
        assert_eq!(parse_tgid(b"Name:\tx\nTgid:\t77\nPid:\t78\n"), Some(77));
        assert_eq!(parse_tgid(b"Name:\tx\n"), None);
    }

    #[test]
    fn procfs_self() {
        let me = std::process::id() as i32;
        let mut src = ProcfsSource::new("/proc");
        let p = src.process(me).unwrap();
        assert_eq!(p.tgid, me);
        assert!(!p.zombie);
        assert_ne!(p.start_stack, 0);
        let vmas = src.maps(me, false).unwrap();
        assert!(vmas
            .iter()
            .any(|v| v.name == b"[stack]" && v.start <= p.start_stack && p.start_stack <= v.end));
        let with_stat = src.maps(me, true).unwrap();
        assert!(with_stat.iter().all(|v| v.stat.is_some()));
        assert!(with_stat.iter().any(|v| v.stat.unwrap().resident > 0));
        assert!(src.process(0).is_none());
    }
}
