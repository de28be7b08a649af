// SPDX-License-Identifier: MIT OR Apache-2.0

//! Where processes and their mappings come from.
//!
//! [`Source`] is what the renderer needs of one pid: a [`Listing`], the
//! identity of its process (thread group id, command line, command name,
//! whether a zombie, and how to tell its stack, which pmap prints as
//! `[ stack ]` rather than `[ anon ]`) and its mappings, as [`Vma`]
//! records (with [`VmaStat`](task_diag::VmaStat) for `-x`) or as
//! [`SmapsEntry`] blocks (for `-X`).
//!
//! [`ProcfsSource`] reads `/proc/PID/{status,stat,cmdline}` and `maps` or
//! `smaps`, as pmap does. The task_diag source is in [`crate::diag`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use task_diag::procfs::maps::{read_maps, read_smaps, SmapsEntry, Vma};

/// How the renderer tells the mapping of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// The start of the stack (field 28 of `/proc/PID/stat`, 0 when not
    /// known): pmap's `[ stack ]` is every mapping without a `/` in its
    /// name that holds it, its end included.
    Start(u64),
    /// The mappings the kernel named `[stack]`: it names so the mapping
    /// that holds the start of the stack, by pmap's own test
    /// (`vma_is_initial_stack()`: `vm_start <= start_stack <= vm_end`),
    /// unless the mapping has another name (a file, `[heap]`, `[vdso]`, an
    /// `[anon_shmem:...]`), which only a process that moved its start of
    /// the stack into one (`PR_SET_MM_START_STACK`) can make happen.
    Named,
}

/// One process to list, as pmap's header and mapping names need it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// How its stack is told.
    pub stack: Stack,
}

impl Process {
    /// Whether pmap names `vma`, whose name has no `/`, `[ stack ]`.
    pub fn is_stack(&self, vma: &Vma) -> bool {
        match self.stack {
            Stack::Start(at) => vma.start <= at && at <= vma.end,
            Stack::Named => vma.name == b"[stack]",
        }
    }
}

/// What a listing reads of each process's mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The mappings alone (`pmap`).
    Maps,
    /// The mappings with their statistics (`pmap -x`).
    MapsWithStat,
    /// Every smaps field (`pmap -X`, `-XX`).
    Smaps,
}

/// The mappings of a process, in address order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mappings {
    /// For [`Detail::Maps`] and [`Detail::MapsWithStat`].
    Vmas(Vec<Vma>),
    /// For [`Detail::Smaps`].
    Smaps(Vec<SmapsEntry>),
}

/// What is listed of one pid: its process, and its mappings or the error
/// of reading them (pmap prints the header, then fails with status 1).
#[derive(Debug)]
pub struct Listing {
    /// The process.
    pub process: Process,
    /// Its mappings, or why they could not be read.
    pub mappings: io::Result<Mappings>,
}

/// A failure that ends the run: the one-line message, without the
/// program's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError(pub String);

/// A source of processes and mappings.
pub trait Source {
    /// The listing of `pid` (a process or thread id) with the mappings of
    /// `detail`; `None` when there is no such process.
    fn list(&mut self, pid: i32, detail: Detail) -> Result<Option<Listing>, SourceError>;
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

impl ProcfsSource {
    /// The process of `pid` (a process or thread id), `None` when there is
    /// no such task.
    pub fn process(&self, pid: i32) -> Option<Process> {
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
            stack: Stack::Start(start_stack),
        })
    }

    /// The mappings of the process `tgid` that `detail` needs.
    pub fn mappings(&self, tgid: i32, detail: Detail) -> io::Result<Mappings> {
        Ok(match detail {
            Detail::Maps => Mappings::Vmas(read_maps(&self.root, tgid)?),
            Detail::MapsWithStat => Mappings::Vmas(
                read_smaps(&self.root, tgid)?
                    .into_iter()
                    .map(|e| e.vma)
                    .collect(),
            ),
            Detail::Smaps => Mappings::Smaps(read_smaps(&self.root, tgid)?),
        })
    }
}

impl Source for ProcfsSource {
    fn list(&mut self, pid: i32, detail: Detail) -> Result<Option<Listing>, SourceError> {
        Ok(self.process(pid).map(|process| {
            let mappings = self.mappings(process.tgid, detail);
            Listing { process, mappings }
        }))
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
        assert!(matches!(p.stack, Stack::Start(at) if at != 0));
        let Some(Listing {
            process,
            mappings: Ok(Mappings::Vmas(vmas)),
        }) = src.list(me, Detail::Maps).unwrap()
        else {
            panic!("no maps of this process");
        };
        assert_eq!(process, p);
        let stack = vmas.iter().find(|v| v.name == b"[stack]").unwrap();
        assert!(p.is_stack(stack));
        assert!(Process {
            stack: Stack::Named,
            ..p.clone()
        }
        .is_stack(stack));
        assert!(vmas.iter().filter(|v| p.is_stack(v)).count() == 1);
        let Ok(Mappings::Vmas(with_stat)) = src.mappings(me, Detail::MapsWithStat) else {
            panic!("no smaps of this process");
        };
        assert!(with_stat.iter().all(|v| v.stat.is_some()));
        assert!(with_stat.iter().any(|v| v.stat.unwrap().resident > 0));
        assert!(matches!(
            src.mappings(me, Detail::Smaps),
            Ok(Mappings::Smaps(e)) if !e.is_empty()
        ));
        assert!(src.list(0, Detail::Maps).unwrap().is_none());
    }
}
