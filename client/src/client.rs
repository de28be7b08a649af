// SPDX-License-Identifier: MIT OR Apache-2.0

//! The client: `/proc/task_diag` when the kernel has it, else procfs.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use task_diag_uapi::{DumpStrategy, ShowFlags};

use crate::error::{Error, Result};
use crate::procfs::{Procfs, ProcfsDump};
use crate::stream::{TaskDiagReader, Tasks, DEFAULT_BUFFER_SIZE, DEFAULT_MAX_BUFFER_SIZE};
use crate::task::Task;

/// Where a [`Client`] reads tasks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `/proc/task_diag`: one request, binary messages.
    TaskDiag,
    /// `/proc/PID/stat` and `/proc/PID/status` of each task.
    Procfs,
}

/// Which backend [`Client::open`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BackendChoice {
    /// task_diag when `/proc/task_diag` opens; procfs only when it does not
    /// exist (`ENOENT`, a kernel without it). Any other error opening it is
    /// returned.
    #[default]
    Auto,
    /// task_diag; an error when `/proc/task_diag` does not open.
    TaskDiag,
    /// procfs, even when task_diag is there.
    Procfs,
}

/// How a [`Client`] is set up: [`Options::default`] reads `/proc` with a
/// 256 KiB buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    proc_root: PathBuf,
    buffer_size: usize,
    max_buffer_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            proc_root: PathBuf::from("/proc"),
            buffer_size: DEFAULT_BUFFER_SIZE,
            max_buffer_size: DEFAULT_MAX_BUFFER_SIZE,
        }
    }
}

impl Options {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the procfs mounted at `root` (`task_diag` inside it) instead of
    /// `/proc`.
    #[must_use]
    pub fn proc_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.proc_root = root.into();
        self
    }

    /// Starts the task_diag read buffer at `bytes` (default 256 KiB).
    #[must_use]
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes;
        self
    }

    /// Lets the read buffer grow up to `bytes` when a message does not fit
    /// (default 64 MiB).
    #[must_use]
    pub fn max_buffer_size(mut self, bytes: usize) -> Self {
        self.max_buffer_size = bytes;
        self
    }
}

#[derive(Debug)]
enum Source {
    /// Boxed: the reader holds the task it is assembling.
    TaskDiag(Box<TaskDiagReader<File>>),
    Procfs(Procfs),
}

/// A reader of tasks, over task_diag or procfs.
///
/// ```no_run
/// use task_diag::{BackendChoice, Client, DumpStrategy, ShowFlags};
///
/// let mut client = Client::open(BackendChoice::Auto)?;
/// for task in client.dump(DumpStrategy::All, None, ShowFlags::BASE)? {
///     let task = task?;
///     println!("{} {} {}", task.pid, task.state.letter(), task.comm_str());
/// }
/// # Ok::<(), task_diag::Error>(())
/// ```
#[derive(Debug)]
pub struct Client {
    source: Source,
}

impl Client {
    /// Opens the backend of `choice` with the default [`Options`].
    pub fn open(choice: BackendChoice) -> Result<Self> {
        Self::open_with(choice, &Options::default())
    }

    /// Opens the backend of `choice` with `options`.
    pub fn open_with(choice: BackendChoice, options: &Options) -> Result<Self> {
        let procfs = || Source::Procfs(Procfs::new(options.proc_root.clone()));
        let source = match choice {
            BackendChoice::Procfs => procfs(),
            BackendChoice::TaskDiag | BackendChoice::Auto => {
                let path = options.proc_root.join("task_diag");
                match open_task_diag(&path) {
                    Ok(file) => Source::TaskDiag(Box::new(TaskDiagReader::with_buffer_size(
                        file,
                        options.buffer_size,
                        options.max_buffer_size,
                    ))),
                    Err(err)
                        if choice == BackendChoice::Auto
                            && err.kind() == io::ErrorKind::NotFound =>
                    {
                        procfs()
                    }
                    Err(source) => return Err(Error::Open { path, source }),
                }
            }
        };
        Ok(Self { source })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self.source {
            Source::TaskDiag(_) => Backend::TaskDiag,
            Source::Procfs(_) => Backend::Procfs,
        }
    }

    /// Starts a dump and returns its tasks, in pid order.
    ///
    /// `pid` is needed by [`DumpStrategy::One`], [`DumpStrategy::Children`]
    /// and [`DumpStrategy::Thread`], and ignored by the others.
    /// [`ShowFlags::BASE`] is always reported. task_diag streams the tasks
    /// as they are read; procfs lists the tasks now and reads each when the
    /// iterator reaches it.
    pub fn dump(
        &mut self,
        strategy: DumpStrategy,
        pid: Option<i32>,
        show: ShowFlags,
    ) -> Result<TaskIter<'_>> {
        let inner = match &mut self.source {
            Source::TaskDiag(reader) => Inner::TaskDiag(reader.dump(strategy, pid, show)?),
            Source::Procfs(procfs) => Inner::Procfs(procfs.dump(strategy, pid, show)?),
        };
        Ok(TaskIter { inner })
    }

    /// Calls `f` on each task of a dump (see [`Client::dump`]); stops at the
    /// first error, or when `f` returns an error.
    pub fn for_each<E>(
        &mut self,
        strategy: DumpStrategy,
        pid: Option<i32>,
        show: ShowFlags,
        mut f: impl FnMut(&Task) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>
    where
        E: From<Error>,
    {
        for task in self.dump(strategy, pid, show)? {
            f(&task?)?;
        }
        Ok(())
    }
}

/// Opens `path` for reading and writing.
fn open_task_diag(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

#[derive(Debug)]
enum Inner<'a> {
    TaskDiag(Tasks<'a, File>),
    Procfs(ProcfsDump<'a>),
}

/// The tasks of a dump from a [`Client`].
///
/// With task_diag, nothing follows an error; with procfs, an error reading
/// one task is yielded in its place and the next tasks follow.
#[derive(Debug)]
pub struct TaskIter<'a> {
    inner: Inner<'a>,
}

impl TaskIter<'_> {
    /// Hands back a record this dump yielded: with task_diag its
    /// command-line `Vec` is refilled by a next task's command line
    /// instead of a new one ([`Tasks::recycle`]); with procfs it is
    /// dropped.
    pub fn recycle(&mut self, task: Task) {
        match &mut self.inner {
            Inner::TaskDiag(tasks) => tasks.recycle(task),
            Inner::Procfs(_) => drop(task),
        }
    }
}

impl Iterator for TaskIter<'_> {
    type Item = Result<Task>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::TaskDiag(tasks) => tasks.next(),
            Inner::Procfs(tasks) => tasks.next(),
        }
    }
}
