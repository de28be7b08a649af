// SPDX-License-Identifier: MIT OR Apache-2.0

//! The task_diag transaction over any file: one request written, a stream
//! of messages read into one reused buffer and decoded into [`Task`]s.
//!
//! [`TaskDiagReader`] works over any `Read + Write` value, so that tests can
//! script what `read()` returns; the [`Client`](crate::Client) gives it
//! `/proc/task_diag`.

use std::io::{self, Read, Write};

use task_diag_uapi::abi::{TaskDiagBase, NLMSG_ALIGNTO};
use task_diag_uapi::response::{Attr, MessageKind, Messages, ParseError};
use task_diag_uapi::{DumpStrategy, Request, ShowFlags, REQUEST_LEN};

use crate::error::{Error, Operation, ProtocolError, Result};
use crate::task::Task;

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

/// What one message of the buffer says, copied out of it.
enum Step {
    /// A task message, or part of one.
    Task {
        pid: u32,
        base: Option<TaskDiagBase>,
        continued: bool,
    },
    /// `NLMSG_DONE`, with its status.
    Done(i32),
}

/// The reading side of `/proc/task_diag` over a file `F`: writes a request,
/// then reads the response into one buffer, reused for the whole dump (and
/// the next ones), and yields one [`Task`] per task without allocating.
///
/// - A task split over several messages (`TASK_DIAG_FLAG_CONT`) is merged
///   into one record.
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
    /// A task whose next message is still to come: its pid and its BASE
    /// attribute if one was seen.
    continued: Option<(u32, Option<TaskDiagBase>)>,
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
            continued: None,
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
    /// it; the other groups of `show` are requested (a kernel that does not
    /// report them refuses the request) but not yet decoded.
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
        self.continued = None;
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
        self.continued = None;
        Ok(())
    }

    /// Decodes the message at `pos`; returns it and its length, padding
    /// included.
    fn decode(&self) -> Result<(Step, usize), Error> {
        let op = self.op;
        let bytes = self.buf.get(self.pos..self.filled).unwrap_or_default();
        let message = match Messages::new(bytes).next() {
            Some(Ok(message)) => message,
            Some(Err(source)) => return Err(Error::Malformed { op, source }),
            None => {
                return Err(Error::Protocol {
                    op,
                    problem: ProtocolError::Truncated,
                })
            }
        };
        let header = message.header();
        if header.nlmsg_seq != self.seq {
            return Err(Error::Protocol {
                op,
                problem: ProtocolError::SeqMismatch {
                    expected: self.seq,
                    found: header.nlmsg_seq,
                },
            });
        }
        let len = usize::try_from(header.nlmsg_len).unwrap_or(usize::MAX);
        let step = len
            .checked_next_multiple_of(NLMSG_ALIGNTO)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let step_of = |kind| Ok((kind, step));
        match message.kind() {
            MessageKind::Task(task) => {
                let mut base = None;
                for attr in task.attrs() {
                    match attr {
                        Ok(Attr::Base(b)) => base = Some(b),
                        Ok(_) => {}
                        Err(source) => return Err(malformed(op, source)),
                    }
                }
                step_of(Step::Task {
                    pid: task.pid(),
                    base,
                    continued: task.is_continued(),
                })
            }
            MessageKind::Done(status) => step_of(Step::Done(*status)),
            MessageKind::Error(status) => Err(Error::Protocol {
                op,
                problem: ProtocolError::ErrorMessage(*status),
            }),
            MessageKind::Other => Err(Error::Protocol {
                op,
                problem: ProtocolError::UnexpectedType(header.nlmsg_type),
            }),
        }
    }

    fn fail(&mut self, err: Error) -> Option<Result<Task>> {
        self.phase = Phase::Failed;
        self.continued = None;
        Some(Err(err))
    }

    fn protocol(&mut self, problem: ProtocolError) -> Option<Result<Task>> {
        let op = self.op;
        self.fail(Error::Protocol { op, problem })
    }

    /// The next task of the dump under way.
    fn next_task(&mut self) -> Option<Result<Task>> {
        if self.phase != Phase::Streaming {
            return None;
        }
        loop {
            if self.pos >= self.filled {
                match self.fill() {
                    Ok(0) => return self.protocol(ProtocolError::Truncated),
                    Ok(n) => {
                        self.filled = n;
                        self.pos = 0;
                    }
                    Err(err) => return self.fail(err),
                }
                continue;
            }
            let (step, len) = match self.decode() {
                Ok(decoded) => decoded,
                Err(err) => return self.fail(err),
            };
            self.pos = self.pos.saturating_add(len);
            match step {
                Step::Task {
                    pid,
                    mut base,
                    continued,
                } => {
                    if let Some((prev, prev_base)) = self.continued.take() {
                        if prev != pid {
                            return self.protocol(ProtocolError::BrokenContinuation {
                                pid: prev,
                                found: pid,
                            });
                        }
                        base = prev_base.or(base);
                    }
                    if continued {
                        self.continued = Some((pid, base));
                        continue;
                    }
                    let Some(base) = base else {
                        return self.protocol(ProtocolError::MissingBase { pid });
                    };
                    return match Task::from_base(&base) {
                        Ok(task) => Some(Ok(task)),
                        Err(state) => self.protocol(ProtocolError::UnknownState { pid, state }),
                    };
                }
                Step::Done(status) => {
                    if let Some((pid, _)) = self.continued {
                        return self.protocol(ProtocolError::BrokenContinuation { pid, found: 0 });
                    }
                    if status != 0 {
                        return self.protocol(ProtocolError::DoneStatus(status));
                    }
                    if self.pos < self.filled {
                        return self.protocol(ProtocolError::DataAfterDone);
                    }
                    self.phase = Phase::Idle;
                    return None;
                }
            }
        }
    }
}

fn malformed(op: Operation, source: ParseError) -> Error {
    Error::Malformed { op, source }
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

impl<F: Read + Write> Iterator for Tasks<'_, F> {
    type Item = Result<Task>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader.next_task()
    }
}

impl<F: Read + Write> std::iter::FusedIterator for Tasks<'_, F> {}
