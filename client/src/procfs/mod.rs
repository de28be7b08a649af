// SPDX-License-Identifier: MIT OR Apache-2.0

//! The procfs backend: the same dumps as `/proc/task_diag`, read from
//! `/proc/PID/stat` and `/proc/PID/status`.
//!
//! [`parse`] holds the parsers, which do no I/O; this module finds the
//! tasks of a strategy and reads their files. Each strategy yields tasks in
//! pid order, as task_diag does:
//!
//! | strategy | tasks |
//! | --- | --- |
//! | [`DumpStrategy::All`] | the numeric entries of `/proc` |
//! | [`DumpStrategy::AllThread`] | every `/proc/PID/task/TID` |
//! | [`DumpStrategy::Thread`] | `/proc/PID/task/*` |
//! | [`DumpStrategy::Children`] | the union of `/proc/PID/task/*/children`, else the processes whose parent is PID's process |
//! | [`DumpStrategy::One`] | `/proc/PID`, which exists for any thread id though only group leaders are listed |
//!
//! Each group comes from the files that hold it, and only the files the
//! requested groups need are read: BASE from `stat` and `status`, CRED and
//! STATM from `status`, STAT and NAME from `stat`, CMDLINE from `cmdline`.
//! NAME is field 2 of `stat`; BASE's comm is that name as far as the
//! kernel's 15-byte `comm` goes ([`parse::base_comm`]), so that both
//! backends give the same `comm` and the same `name`.
//! STAT holds a process's totals for a process (`/proc/PID/stat`) and a
//! thread's own for a thread (`/proc/PID/task/TID/stat`), as task_diag
//! sends them. VMA and VMA_STAT are refused ([`Error::UnsupportedGroups`]):
//! [`maps`] reads a process's `maps` and `smaps` into the [`Vma`](maps::Vma)
//! records the task_diag backend decodes.
//!
//! A task that ends between the listing and the reading of its files
//! (`ENOENT` or `ESRCH`) is skipped; other errors are returned. Unlike the
//! task_diag backend, this one allocates: a path and a buffer per file.

pub mod maps;
pub mod parse;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use task_diag_uapi::{DumpStrategy, ShowFlags};

use crate::error::{Error, Operation, Result};
use crate::task::{Comm, Task};

use crate::parts::{show_name, supported_groups};

use self::parse::{
    base_comm, parse_children, parse_creds, parse_stat, parse_stat_part, parse_statm, parse_status,
    task_dir_pid, PF_WQ_WORKER,
};

/// The contents of `path`; `None` if the task has gone.
fn read_task_file(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if vanished(&err) => Ok(None),
        Err(source) => Err(Error::ProcfsRead {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The error of a file that did not parse.
fn parse_error(path: &Path) -> impl FnOnce(parse::ParseError) -> Error + '_ {
    move |source| Error::ProcfsParse {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `err` says that a task is gone: `ENOENT` or `ESRCH`.
fn vanished(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::NotFound
        || err.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error())
}

/// A procfs mount to read tasks from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procfs {
    root: PathBuf,
}

impl Default for Procfs {
    fn default() -> Self {
        Self::new("/proc")
    }
}

/// Where one task's files are: `ROOT/PID` or `ROOT/GROUP/task/PID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    /// The task's pid, the sort key.
    pid: i32,
    /// The directory of its thread group, for a `task/` entry.
    group: Option<i32>,
}

/// Which of the tasks found to keep, checked on the fields read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// Every task.
    All,
    /// Tasks whose parent is this process.
    Parent(i32),
    /// Tasks of this thread group.
    Group(i32),
}

impl Filter {
    fn keeps(self, task: &Task) -> bool {
        match self {
            Filter::All => true,
            Filter::Parent(tgid) => task.ppid == tgid,
            Filter::Group(tgid) => task.tgid == tgid,
        }
    }
}

impl Procfs {
    /// The procfs mounted at `root` (normally `/proc`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The mount point.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a dump: lists the tasks of `strategy` (acting on `pid` for
    /// [`DumpStrategy::One`], [`DumpStrategy::Children`] and
    /// [`DumpStrategy::Thread`]), to be read one by one by the iterator.
    ///
    /// `show` may hold the groups of [`supported_groups`] (BASE is always
    /// reported); others are refused with [`Error::UnsupportedGroups`].
    pub fn dump(
        &self,
        strategy: DumpStrategy,
        pid: Option<i32>,
        show: ShowFlags,
    ) -> Result<ProcfsDump<'_>> {
        let op = Operation {
            strategy,
            pid: pid.filter(|_| strategy.uses_pid()),
            show,
        };
        let unsupported = ShowFlags::from_bits_truncate(show.bits() & !supported_groups().bits());
        if !unsupported.is_empty() {
            return Err(Error::UnsupportedGroups { op, unsupported });
        }
        let target = if strategy.uses_pid() {
            match pid {
                Some(pid) if pid > 0 => pid,
                _ => return Err(Error::BadPid { op }),
            }
        } else {
            0
        };
        let (mut entries, filter) = match strategy {
            DumpStrategy::All => (self.processes()?, Filter::All),
            DumpStrategy::AllThread => {
                let mut entries = Vec::new();
                for process in self.processes()? {
                    let dir = self.root.join(process.pid.to_string());
                    match self.threads(&dir, process.pid) {
                        Ok(threads) => entries.extend(threads),
                        Err(Error::ProcfsRead { source, .. }) if vanished(&source) => {}
                        Err(err) => return Err(err),
                    }
                }
                (entries, Filter::All)
            }
            DumpStrategy::One => {
                let entry = Entry {
                    pid: target,
                    group: None,
                };
                let task = self.read(entry, show)?.ok_or(Error::NoSuchTask { op })?;
                return Ok(ProcfsDump {
                    procfs: self,
                    entries: Vec::new().into_iter(),
                    filter: Filter::All,
                    show,
                    first: Some(Box::new(task)),
                });
            }
            DumpStrategy::Thread => {
                let tgid = self.tgid_of(target)?.ok_or(Error::NoSuchTask { op })?;
                let dir = self.root.join(target.to_string());
                let threads = match self.threads(&dir, target) {
                    Err(Error::ProcfsRead { source, .. }) if vanished(&source) => {
                        return Err(Error::NoSuchTask { op })
                    }
                    other => other?,
                };
                (threads, Filter::Group(tgid))
            }
            DumpStrategy::Children => {
                let tgid = self.tgid_of(target)?.ok_or(Error::NoSuchTask { op })?;
                let entries = match self.children(target)? {
                    Some(children) => children,
                    None => self.processes()?,
                };
                (entries, Filter::Parent(tgid))
            }
        };
        entries.sort_unstable();
        entries.dedup_by_key(|e| e.pid);
        Ok(ProcfsDump {
            procfs: self,
            entries: entries.into_iter(),
            filter,
            show,
            first: None,
        })
    }

    /// The numeric entries of a directory, with the error of listing it.
    fn numeric_entries(dir: &Path) -> Result<Vec<i32>> {
        let read_err = |source| Error::ProcfsRead {
            path: dir.to_path_buf(),
            source,
        };
        let mut pids = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_err)? {
            let entry = entry.map_err(read_err)?;
            if let Some(pid) = task_dir_pid(entry.file_name().as_encoded_bytes()) {
                pids.push(pid);
            }
        }
        Ok(pids)
    }

    /// Every process: the numeric entries of the root.
    fn processes(&self) -> Result<Vec<Entry>> {
        Ok(Self::numeric_entries(&self.root)?
            .into_iter()
            .map(|pid| Entry { pid, group: None })
            .collect())
    }

    /// The threads of the group whose directory is `dir` (named `group`).
    fn threads(&self, dir: &Path, group: i32) -> Result<Vec<Entry>> {
        Ok(Self::numeric_entries(&dir.join("task"))?
            .into_iter()
            .map(|pid| Entry {
                pid,
                group: Some(group),
            })
            .collect())
    }

    /// The union of the `children` files of the threads of `pid`'s group,
    /// or `None` when the kernel has no such files
    /// (`CONFIG_PROC_CHILDREN` off).
    fn children(&self, pid: i32) -> Result<Option<Vec<Entry>>> {
        let dir = self.root.join(pid.to_string());
        let mut out = Vec::new();
        let threads = match self.threads(&dir, pid) {
            Ok(threads) => threads,
            // The process ended: it has no children any more.
            Err(Error::ProcfsRead { source, .. }) if vanished(&source) => return Ok(Some(out)),
            Err(err) => return Err(err),
        };
        for thread in threads {
            let thread_dir = dir.join("task").join(thread.pid.to_string());
            let path = thread_dir.join("children");
            match fs::read(&path) {
                Ok(bytes) => {
                    let pids = parse_children(&bytes)
                        .map_err(|source| Error::ProcfsParse { path, source })?;
                    out.extend(pids.into_iter().map(|pid| Entry { pid, group: None }));
                }
                Err(err) if vanished(&err) => {
                    if thread_dir.is_dir() {
                        // The thread is there, its children file is not.
                        return Ok(None);
                    }
                }
                Err(source) => return Err(Error::ProcfsRead { path, source }),
            }
        }
        Ok(Some(out))
    }

    /// The thread-group id of the task `pid`, `None` if it is not there.
    fn tgid_of(&self, pid: i32) -> Result<Option<i32>> {
        let path = self.root.join(pid.to_string()).join("status");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if vanished(&err) => return Ok(None),
            Err(source) => return Err(Error::ProcfsRead { path, source }),
        };
        parse_status(&bytes)
            .map(|status| Some(status.tgid))
            .map_err(|source| Error::ProcfsParse { path, source })
    }

    /// Reads the task of `entry` with the groups of `show`; `None` if it
    /// has gone.
    fn read(&self, entry: Entry, show: ShowFlags) -> Result<Option<Task>> {
        let mut dir = self.root.clone();
        if let Some(group) = entry.group {
            dir.push(group.to_string());
            dir.push("task");
        }
        dir.push(entry.pid.to_string());
        let Some(mut task) = self.read_dir_with(&dir, show)? else {
            return Ok(None);
        };
        // /proc/TID of a thread that is not a leader gives its process's
        // totals; task_diag's ONE gives the thread's own, which are in
        // /proc/TGID/task/TID.
        if entry.group.is_none() && !task.is_group_leader() && task.stat.is_some() {
            let path = self
                .root
                .join(task.tgid.to_string())
                .join("task")
                .join(task.pid.to_string())
                .join("stat");
            let Some(bytes) = read_task_file(&path)? else {
                return Ok(None);
            };
            task.stat = Some(parse_stat_part(&bytes).map_err(parse_error(&path))?);
        }
        Ok(Some(task))
    }

    /// Reads the task whose procfs directory is `dir` (such as `/proc/1` or
    /// `/proc/1/task/1`): its `stat` and `status` files, the BASE group.
    /// `None` if the task has gone.
    pub fn read_dir(&self, dir: &Path) -> Result<Option<Task>> {
        self.read_dir_with(dir, ShowFlags::BASE)
    }

    /// Reads the task whose procfs directory is `dir` with the groups of
    /// `show` (those of [`supported_groups`]; others are left unset), from
    /// the files they need. `None` if the task has gone.
    pub fn read_dir_with(&self, dir: &Path, show: ShowFlags) -> Result<Option<Task>> {
        let stat_path = dir.join("stat");
        let Some(stat_bytes) = read_task_file(&stat_path)? else {
            return Ok(None);
        };
        let stat = parse_stat(&stat_bytes).map_err(parse_error(&stat_path))?;
        let status_path = dir.join("status");
        let Some(status_bytes) = read_task_file(&status_path)? else {
            return Ok(None);
        };
        let status = parse_status(&status_bytes).map_err(parse_error(&status_path))?;
        // BASE's comm, as task_diag sends it: field 2 less what a kernel
        // thread's or workqueue worker's longer name adds. Only a name of
        // a worker's form needs the flags.
        let wq_worker = stat.comm.starts_with(b"kworker/")
            && parse_stat_part(&stat_bytes).is_ok_and(|s| s.flags & PF_WQ_WORKER != 0);
        let mut task = Task::new(
            stat.pid,
            status.tgid,
            stat.ppid,
            status.tracer_pid,
            stat.session,
            stat.pgrp,
            stat.state,
            Comm::new(base_comm(stat.comm, wq_worker)),
        );
        if show.contains(ShowFlags::CRED) {
            task.creds = Some(parse_creds(&status_bytes).map_err(parse_error(&status_path))?);
        }
        if show.contains(ShowFlags::STATM) {
            let page_size = rustix::param::page_size() as u64;
            task.statm =
                Some(parse_statm(&status_bytes, page_size).map_err(parse_error(&status_path))?);
        }
        if show.contains(ShowFlags::STAT) {
            task.stat = Some(parse_stat_part(&stat_bytes).map_err(parse_error(&stat_path))?);
        }
        let name = show_name();
        if !name.is_empty() && show.contains(name) {
            task.name = Some(Comm::new(stat.comm));
        }
        if show.contains(ShowFlags::CMDLINE) {
            let path = dir.join("cmdline");
            let Some(cmdline) = read_task_file(&path)? else {
                return Ok(None);
            };
            task.cmdline = Some(cmdline);
        }
        Ok(Some(task))
    }
}

/// The tasks of a procfs dump, read one by one in pid order.
///
/// An error reading one task is yielded in its place, and the dump goes on
/// with the next task.
#[derive(Debug)]
pub struct ProcfsDump<'a> {
    procfs: &'a Procfs,
    entries: std::vec::IntoIter<Entry>,
    filter: Filter,
    show: ShowFlags,
    first: Option<Box<Task>>,
}

impl Iterator for ProcfsDump<'_> {
    type Item = Result<Task>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(task) = self.first.take() {
            return Some(Ok(*task));
        }
        loop {
            let entry = self.entries.next()?;
            match self.procfs.read(entry, self.show) {
                Ok(Some(task)) if self.filter.keeps(&task) => return Some(Ok(task)),
                Ok(_) => {}
                Err(err) => return Some(Err(err)),
            }
        }
    }
}
