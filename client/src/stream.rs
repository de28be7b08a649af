// SPDX-License-Identifier: MIT OR Apache-2.0

//! The task_diag transaction over any file: one request written, a stream
//! of messages read into one reused buffer and decoded into [`Task`]s.
//!
//! [`TaskDiagReader`] works over any `Read + Write` value, so that tests can
//! script what `read()` returns; the [`Client`](crate::Client) gives it
//! `/proc/task_diag`.

use std::io::{self, Read, Write};

use task_diag_uapi::abi::{NLMSG_ALIGNTO, TASK_DIAG_BASE, TASK_DIAG_CMDLINE, TASK_DIAG_VMA};
use task_diag_uapi::response::{Attr, MessageKind, Messages, ParseError, TaskMessage};
use task_diag_uapi::{DumpStrategy, Request, ShowFlags, REQUEST_LEN};

use crate::error::{Error, Operation, ProtocolError, Result};
use crate::parts::{task_diag_groups, Creds, Stat, Vma};
use crate::task::{Comm, Task};

/// The size of the read buffer unless set otherwise: 256 KiB, some 3,400
/// BASE messages per `read()`. A bigger buffer saves few system calls and
/// costs a page fault per 4 KiB it spans.
pub const DEFAULT_BUFFER_SIZE: usize = 256 << 10;

/// The largest read buffer unless set otherwise: on `EMSGSIZE` the buffer
/// doubles up to this size.
pub const DEFAULT_MAX_BUFFER_SIZE: usize = 64 << 20;

/// Where the reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No dump under way: the last one ended with `NLMSG_DONE`, or none was
    /// started.
    Idle,
    /// A dump is being read.
    Streaming,
    /// The dump failed; what the kernel still holds of it is drained before
    /// the next request.
    Failed,
}

/// A task being assembled from its messages: the record so far and where
/// its attributes stand.
#[derive(Debug)]
struct Pending {
    /// The pid and tgid of its messages' `struct task_diag_msg`.
    pid: u32,
    tgid: u32,
    task: Task,
    /// The type of the last attribute merged, for the group order.
    last_ty: u16,
}

/// The reading side of `/proc/task_diag` over a file `F`: writes a request,
/// then reads the response into one buffer, reused for the whole dump (and
/// the next ones), and yields one [`Task`] per task.
///
/// What allocates: the read buffer, once (and again when it grows); the
/// `Vec` of each task's command line (CMDLINE), which the caller keeps
/// with the record, sized to it, or grown a few times for a command line
/// split over messages; with VMA, the `Vec` of the task's mappings and
/// each mapping's name. [`Tasks::recycle`] hands a record back so that its
/// command-line `Vec` is refilled by a next command line instead. Nothing
/// else is allocated per task.
///
/// - Every group of [`crate::parts::task_diag_groups`] the request named
///   is decoded into its part of the [`Task`] with the `task-diag-uapi`
///   iterators: CRED, STAT (the whole structure, or the published 72-byte
///   prefix of an older kernel), STATM, VMA (its records, with their
///   statistics under VMA_STAT), CMDLINE and NAME. Attributes must come in
///   group order, once each, and only for groups requested; a task that
///   ends without one of its requested groups is an error, but for VMA
///   in a dump of threads (ALL_THREAD, THREAD), which only the leader of
///   each process carries. VMA records must come in address order, each
///   with statistics exactly when VMA_STAT was requested.
/// - A task split over several messages (`TASK_DIAG_FLAG_CONT`, the same
///   pid and tgid in each) is merged into one record, whatever `read()`
///   brought each message in; the parts of a split CMDLINE are
///   concatenated, the records of a split VMA appended. A task whose
///   continuation never comes (the next message is another task's, or
///   `NLMSG_DONE`: the task exited meanwhile) is yielded as it is, without
///   the groups it did not get to.
/// - Every message must echo the request's sequence number.
/// - `EMSGSIZE` from `read()` (a message larger than the buffer) doubles the
///   buffer, up to a maximum, and reads again: the kernel keeps the message.
/// - The dump ends at `NLMSG_DONE`; a stream that ends before it is an
///   error.
/// - A dump abandoned before its end (an iterator dropped early, an error)
///   is read to its end and discarded before the next request is written,
///   as the kernel refuses a new request (`EBUSY`) until then.
#[derive(Debug)]
pub struct TaskDiagReader<F> {
    file: F,
    buf: Vec<u8>,
    initial_len: usize,
    max_len: usize,
    /// The bytes of the last `read()`: `buf[..filled]`.
    filled: usize,
    /// The start of the next message in `buf`.
    pos: usize,
    seq: u32,
    phase: Phase,
    op: Operation,
    /// A task whose next message is still to come.
    pending: Option<Pending>,
    /// A command-line `Vec` handed back by [`Tasks::recycle`], reused by
    /// the next task's CMDLINE.
    spare: Option<Vec<u8>>,
}

impl<F: Read + Write> TaskDiagReader<F> {
    /// A reader over `file` with the default buffer sizes.
    pub fn new(file: F) -> Self {
        Self::with_buffer_size(file, DEFAULT_BUFFER_SIZE, DEFAULT_MAX_BUFFER_SIZE)
    }

    /// A reader over `file` whose buffer starts at `initial` bytes and may
    /// grow up to `max` bytes (both at least 64; `max` at least `initial`).
    /// The buffer is allocated by the first dump.
    pub fn with_buffer_size(file: F, initial: usize, max: usize) -> Self {
        let initial = initial.max(64);
        Self {
            file,
            buf: Vec::new(),
            initial_len: initial,
            max_len: max.max(initial),
            filled: 0,
            pos: 0,
            seq: 0,
            phase: Phase::Idle,
            op: Operation {
                strategy: DumpStrategy::All,
                pid: None,
                show: ShowFlags::BASE,
            },
            pending: None,
            spare: None,
        }
    }

    /// The file.
    pub fn get_ref(&self) -> &F {
        &self.file
    }

    /// The file, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.file
    }

    /// Gives the file back.
    pub fn into_inner(self) -> F {
        self.file
    }

    /// The current size of the read buffer (0 before the first dump).
    pub fn buffer_len(&self) -> usize {
        self.buf.len()
    }

    /// The sequence number of the last request.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// Writes the request of a dump and returns the iterator over its
    /// tasks.
    ///
    /// `pid` is needed by [`DumpStrategy::One`], [`DumpStrategy::Children`]
    /// and [`DumpStrategy::Thread`] and ignored by the others.
    /// [`ShowFlags::BASE`] is always requested, as the [`Task`] record needs
    /// it; the other groups of `show` are requested as given (a kernel that
    /// does not report one refuses the request with `EINVAL`,
    /// [`Error::InvalidRequest`]) and those of
    /// [`crate::parts::task_diag_groups`] are decoded into the record's
    /// parts.
    pub fn dump(
        &mut self,
        strategy: DumpStrategy,
        pid: Option<i32>,
        show: ShowFlags,
    ) -> Result<Tasks<'_, F>> {
        self.start(strategy, pid, show)?;
        Ok(Tasks { reader: self })
    }

    fn start(&mut self, strategy: DumpStrategy, pid: Option<i32>, show: ShowFlags) -> Result<()> {
        let show = show | ShowFlags::BASE;
        let op = Operation {
            strategy,
            pid: pid.filter(|_| strategy.uses_pid()),
            show,
        };
        let pid = if strategy.uses_pid() {
            match pid.and_then(|p| u32::try_from(p).ok()) {
                Some(p) if p > 0 => p,
                _ => return Err(Error::BadPid { op }),
            }
        } else {
            0
        };
        if self.phase != Phase::Idle {
            self.drain()?;
        }
        self.allocate();
        self.op = op;
        self.seq = self.seq.wrapping_add(1);
        let request = Request::new(strategy)
            .show(show)
            .pid(pid)
            .seq(self.seq)
            .to_bytes();
        let written = loop {
            match self.file.write(&request) {
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(match errno(&source) {
                        Some(rustix::io::Errno::INVAL) => Error::InvalidRequest { op },
                        Some(rustix::io::Errno::SRCH) => Error::NoSuchTask { op },
                        _ => Error::Write { op, source },
                    })
                }
            }
        };
        if written != REQUEST_LEN {
            return Err(Error::ShortWrite {
                op,
                written,
                expected: REQUEST_LEN,
            });
        }
        self.filled = 0;
        self.pos = 0;
        self.pending = None;
        self.phase = Phase::Streaming;
        Ok(())
    }

    /// One `read()` into the buffer, doubling it on `EMSGSIZE`; returns the
    /// bytes read.
    fn fill(&mut self) -> Result<usize> {
        loop {
            match self.file.read(&mut self.buf) {
                Ok(n) => return Ok(n.min(self.buf.len())),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if errno(&err) == Some(rustix::io::Errno::MSGSIZE) => {
                    if self.buf.len() >= self.max_len {
                        return Err(Error::MessageTooBig {
                            op: self.op,
                            buffer_len: self.buf.len(),
                        });
                    }
                    let grown = self.buf.len().saturating_mul(2).min(self.max_len);
                    self.buf.resize(grown, 0);
                }
                Err(source) => {
                    return Err(Error::Read {
                        op: self.op,
                        source,
                    })
                }
            }
        }
    }

    /// Allocates the buffer at its initial size if it is not yet.
    fn allocate(&mut self) {
        if self.buf.is_empty() {
            // Zeroed by the allocator: its pages are touched only when the
            // kernel writes to them.
            self.buf = vec![0; self.initial_len];
        }
    }

    /// Reads what is left of an abandoned dump, to its end.
    fn drain(&mut self) -> Result<()> {
        self.allocate();
        while self.fill()? > 0 {}
        self.phase = Phase::Idle;
        self.filled = 0;
        self.pos = 0;
        self.pending = None;
        Ok(())
    }

    fn fail(&mut self, err: Error) -> Option<Result<Task>> {
        self.phase = Phase::Failed;
        self.pending = None;
        Some(Err(err))
    }

    /// The pending task, complete or cut short, checked: yielded.
    fn finish(&mut self, pending: Pending, complete: bool) -> Option<Result<Task>> {
        if complete {
            // VMA_STAT has no attribute of its own: it is checked in each
            // VMA record. A dump of threads sends a process's maps with
            // its leader only.
            let mut attrs = task_diag_groups().bits() & !ShowFlags::VMA_STAT.bits();
            let threads = matches!(
                self.op.strategy,
                DumpStrategy::AllThread | DumpStrategy::Thread
            );
            if threads && pending.pid != pending.tgid {
                attrs &= !ShowFlags::VMA.bits();
            }
            let missing = attrs & self.op.show.bits() & !pending.seen();
            if missing != 0 {
                let group = missing.trailing_zeros() as u16;
                let pid = pending.pid;
                return protocol(self, ProtocolError::MissingGroup { pid, group });
            }
        }
        Some(Ok(pending.task))
    }

    /// The next task of the dump under way.
    fn next_task(&mut self) -> Option<Result<Task>> {
        if self.phase != Phase::Streaming {
            return None;
        }
        loop {
            if self.pos >= self.filled {
                match self.fill() {
                    Ok(0) => return protocol(self, ProtocolError::Truncated),
                    Ok(n) => {
                        self.filled = n;
                        self.pos = 0;
                    }
                    Err(err) => return self.fail(err),
                }
                continue;
            }
            let op = self.op;
            let bytes = self.buf.get(self.pos..self.filled).unwrap_or_default();
            let message = match Messages::new(bytes).next() {
                Some(Ok(message)) => message,
                Some(Err(source)) => return self.fail(malformed(op, None, source)),
                None => return protocol(self, ProtocolError::Truncated),
            };
            let header = message.header();
            if header.nlmsg_seq != self.seq {
                return protocol(
                    self,
                    ProtocolError::SeqMismatch {
                        expected: self.seq,
                        found: header.nlmsg_seq,
                    },
                );
            }
            let len = usize::try_from(header.nlmsg_len)
                .unwrap_or(usize::MAX)
                .checked_next_multiple_of(NLMSG_ALIGNTO)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            match message.kind() {
                MessageKind::Task(msg) => {
                    let continues = self
                        .pending
                        .as_ref()
                        .map(|p| (p.pid, p.tgid) == (msg.pid(), msg.tgid()));
                    let merged = match (self.pending.take(), continues) {
                        (Some(pending), Some(false)) => {
                            // Another task: the pending one exited before
                            // its rest was sent. This message is read again
                            // by the next call.
                            return self.finish(pending, false);
                        }
                        (Some(mut pending), _) => {
                            merge(&mut pending, msg, op, &mut self.spare).map(|()| pending)
                        }
                        (None, _) => start_task(msg, op, &mut self.spare),
                    };
                    self.pos = self.pos.saturating_add(len);
                    let pending = match merged {
                        Ok(pending) => pending,
                        Err(err) => return self.fail(err),
                    };
                    if msg.is_continued() {
                        self.pending = Some(pending);
                        continue;
                    }
                    return self.finish(pending, true);
                }
                MessageKind::Done(status) => {
                    let status = *status;
                    if let Some(pending) = self.pending.take() {
                        // The last task exited before its rest was sent;
                        // NLMSG_DONE is read again by the next call.
                        return self.finish(pending, false);
                    }
                    self.pos = self.pos.saturating_add(len);
                    if status != 0 {
                        return protocol(self, ProtocolError::DoneStatus(status));
                    }
                    if self.pos < self.filled {
                        return protocol(self, ProtocolError::DataAfterDone);
                    }
                    self.phase = Phase::Idle;
                    return None;
                }
                MessageKind::Error(status) => {
                    let status = *status;
                    return protocol(self, ProtocolError::ErrorMessage(status));
                }
                MessageKind::Other => {
                    return protocol(self, ProtocolError::UnexpectedType(header.nlmsg_type))
                }
            }
        }
    }

    /// Hands back a record of this reader's: its command-line `Vec`, if
    /// bigger than the one kept, is reused by a next task's CMDLINE.
    fn recycle(&mut self, task: Task) {
        if let Some(mut cmdline) = task.cmdline {
            if self
                .spare
                .as_ref()
                .is_none_or(|s| s.capacity() < cmdline.capacity())
            {
                cmdline.clear();
                self.spare = Some(cmdline);
            }
        }
    }
}

/// Fails the dump with a protocol error.
fn protocol<F: Read + Write>(
    reader: &mut TaskDiagReader<F>,
    problem: ProtocolError,
) -> Option<Result<Task>> {
    let op = reader.op;
    reader.fail(Error::Protocol { op, problem })
}

impl Pending {
    /// The show flags of the groups merged so far.
    fn seen(&self) -> u64 {
        let t = &self.task;
        let mut seen = ShowFlags::BASE;
        for (has, flag) in [
            (t.creds.is_some(), ShowFlags::CRED),
            (t.stat.is_some(), ShowFlags::STAT),
            (t.statm.is_some(), ShowFlags::STATM),
            (t.vmas.is_some(), ShowFlags::VMA),
            (t.cmdline.is_some(), ShowFlags::CMDLINE),
            (t.name.is_some(), ShowFlags::NAME),
        ] {
            if has {
                seen |= flag;
            }
        }
        seen.bits()
    }
}

/// The record of a task's first message, which must start with BASE.
fn start_task(
    msg: &TaskMessage<'_>,
    op: Operation,
    spare: &mut Option<Vec<u8>>,
) -> Result<Pending> {
    let pid = msg.pid();
    let protocol = |problem| Error::Protocol { op, problem };
    let base = match msg.attrs().next() {
        Some(Ok(Attr::Base(base))) => base,
        Some(Err(source)) => return Err(malformed(op, Some(pid), source)),
        _ => return Err(protocol(ProtocolError::MissingBase { pid })),
    };
    let task = Task::from_base(&base)
        .map_err(|state| protocol(ProtocolError::UnknownState { pid, state }))?;
    let mut pending = Pending {
        pid,
        tgid: msg.tgid(),
        task,
        last_ty: TASK_DIAG_BASE,
    };
    merge_attrs(&mut pending, msg, op, spare, 1)?;
    Ok(pending)
}

/// Merges a continuation message of the pending task.
fn merge(
    pending: &mut Pending,
    msg: &TaskMessage<'_>,
    op: Operation,
    spare: &mut Option<Vec<u8>>,
) -> Result<()> {
    if msg.attr_bytes().is_empty() {
        let pid = pending.pid;
        return Err(Error::Protocol {
            op,
            problem: ProtocolError::EmptyMessage { pid },
        });
    }
    merge_attrs(pending, msg, op, spare, 0)
}

/// Decodes the attributes of `msg` past the first `skip` into the parts
/// of the pending task, checking their order.
fn merge_attrs(
    pending: &mut Pending,
    msg: &TaskMessage<'_>,
    op: Operation,
    spare: &mut Option<Vec<u8>>,
    skip: usize,
) -> Result<()> {
    let pid = pending.pid;
    for (i, attr) in msg.attrs().enumerate().skip(skip) {
        let attr = attr.map_err(|source| malformed(op, Some(pid), source))?;
        let ty = attr.ty();
        // A split attribute continues at the start of the next message.
        let split =
            i == 0 && ty == pending.last_ty && matches!(ty, TASK_DIAG_CMDLINE | TASK_DIAG_VMA);
        let requested = 1u64
            .checked_shl(u32::from(ty))
            .is_some_and(|bit| op.show.bits() & bit != 0);
        if !(split || ty > pending.last_ty) || !requested {
            return Err(Error::Protocol {
                op,
                problem: ProtocolError::UnexpectedAttr { pid, ty },
            });
        }
        pending.last_ty = ty;
        let task = &mut pending.task;
        match attr {
            Attr::Creds(creds) => task.creds = Some(Creds::from(&creds)),
            Attr::Stat(stat) => task.stat = Some(Stat::from(&stat)),
            Attr::Statm(statm) => task.statm = Some(statm),
            Attr::Cmdline(part) => task
                .cmdline
                .get_or_insert_with(|| spare.take().unwrap_or_default())
                .extend_from_slice(part),
            Attr::Name(name) => task.name = Some(Comm::new(name)),
            Attr::Vma(records) => {
                let with_stat = op.show.contains(ShowFlags::VMA_STAT);
                let vmas = task.vmas.get_or_insert_with(Vec::new);
                for rec in records {
                    let rec = rec.map_err(|source| malformed(op, Some(pid), source))?;
                    let vma = Vma::from(&rec);
                    if let Some(problem) = check_vma(pid, &vma, vmas.last(), with_stat) {
                        return Err(Error::Protocol { op, problem });
                    }
                    vmas.push(vma);
                }
            }
            // BASE cannot be here: it comes first, once.
            _ => {}
        }
    }
    Ok(())
}

/// What is wrong with the VMA record `vma` of task `pid`, whose record
/// before it is `prev`: empty, not ending above `prev`, or with statistics
/// where `with_stat` says there are none, or the other way round.
///
/// Records come in address order; a split attribute resumes at the first
/// mapping that ends above the last record sent, which may start below
/// that end when the mappings changed between the two messages (as a
/// `read()` of `/proc/PID/maps` resumes): so only the ends must increase.
fn check_vma(pid: u32, vma: &Vma, prev: Option<&Vma>, with_stat: bool) -> Option<ProtocolError> {
    let (start, end) = (vma.start, vma.end);
    if end <= start || prev.is_some_and(|p| end <= p.end) {
        return Some(ProtocolError::VmaOrder { pid, start, end });
    }
    (vma.stat.is_some() != with_stat).then_some(ProtocolError::VmaStat {
        pid,
        start,
        requested: with_stat,
    })
}

fn malformed(op: Operation, task: Option<u32>, source: ParseError) -> Error {
    Error::Malformed { op, task, source }
}

/// The errno of an I/O error.
fn errno(err: &io::Error) -> Option<rustix::io::Errno> {
    err.raw_os_error().map(rustix::io::Errno::from_raw_os_error)
}

/// The tasks of a dump from a [`TaskDiagReader`], in the order the kernel
/// sends them (pid order).
///
/// After an error it yields nothing more; the rest of the dump is discarded
/// by the next request.
#[derive(Debug)]
pub struct Tasks<'a, F> {
    reader: &'a mut TaskDiagReader<F>,
}

impl<F: Read + Write> Tasks<'_, F> {
    /// Hands back a record this dump yielded, once the caller is done with
    /// it: its command-line `Vec` is cleared and refilled by a next task's
    /// command line, so that a caller that keeps no record allocates
    /// nothing per task in the steady state.
    pub fn recycle(&mut self, task: Task) {
        self.reader.recycle(task);
    }
}

impl<F: Read + Write> Iterator for Tasks<'_, F> {
    type Item = Result<Task>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader.next_task()
    }
}

impl<F: Read + Write> std::iter::FusedIterator for Tasks<'_, F> {}
