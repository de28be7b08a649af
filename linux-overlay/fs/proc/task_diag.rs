// SPDX-License-Identifier: GPL-2.0

//! `/proc/task_diag`: a binary, transactional interface to task information.
//!
//! A client writes one request (`struct nlmsghdr` then `struct
//! task_diag_pid`: which tasks, which groups of attributes) and reads back a
//! stream of netlink-format messages, one per task, ended by `NLMSG_DONE`.
//! The ABI and its errors are described in `include/uapi/linux/task_diag.h`
//! and `Documentation/filesystems/task_diag.rst`.
//!
//! Guarantees of a dump:
//!
//! - `read()` returns whole messages only, as many as fit in the buffer.
//! - Tasks come in the order of their pid numbers in the pid namespace of the
//!   procfs mount. The dump keeps a cursor (the next pid number), so a task
//!   alive for the whole dump is reported exactly once, whatever forks and
//!   exits meanwhile, and whatever the sizes of the reads.
//! - A task is reported only if the opener of the file, the writer of the
//!   request and the reader could each read it under ptrace rules
//!   (`PTRACE_MODE_READ_FSCREDS`): a passed file descriptor never shows more
//!   than the weakest of them could see.

use core::mem::{offset_of, size_of};

use kernel::{
    c_str,
    cred::Credential,
    pid_namespace::{Pid, PidNamespace, TaskIds, TaskKind, TaskWalk},
    prelude::*,
    proc_fs::{OpenFile, ProcFile, Registration},
    sync::{new_mutex, rcu, Mutex},
    task::Task,
    types::ARef,
    uaccess::{UserSliceReader, UserSliceWriter},
    uapi,
};

module! {
    type: TaskDiagModule,
    name: "task_diag",
    author: "task_diag developers",
    description: "/proc/task_diag: binary task information",
    license: "GPL",
}

struct TaskDiagModule {
    _entry: Registration<TaskDiag>,
}

impl kernel::Module for TaskDiagModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _entry: Registration::register(c_str!("task_diag"), 0o666)?,
        })
    }
}

/// Length of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = size_of::<uapi::nlmsghdr>();
/// Length of `struct nlattr`.
const NLA_HDRLEN: usize = size_of::<uapi::nlattr>();
/// Length of the request payload this kernel knows.
const REQ_LEN: usize = size_of::<uapi::task_diag_pid>();
/// Longest request payload accepted: as for other extensible structs, a page.
const REQ_MAX: usize = 4096;
/// Longest message built. A task whose attributes do not fit continues in
/// the next message (`TASK_DIAG_FLAG_CONT`).
const MSG_MAX: usize = 4096;
/// Size of the per-file buffer of built messages: whole messages are
/// batched into it and copied to the reader together.
const BUF_LEN: usize = 4 * MSG_MAX;
/// The highest attribute type (group number).
const ATTR_MAX: u32 = uapi::__TASK_DIAG_ATTR_MAX - 1;
/// Groups this kernel reports today; any other bit, unknown to the ABI or
/// not implemented yet, is `EINVAL`.
const SHOW_SUPPORTED: u64 = 1u64 << uapi::TASK_DIAG_BASE;

kernel::static_assert!(NLMSG_HDRLEN == 16);
kernel::static_assert!(NLA_HDRLEN == 4);
kernel::static_assert!(REQ_LEN == 24);
kernel::static_assert!(size_of::<uapi::task_diag_msg>() == 12);
kernel::static_assert!(size_of::<uapi::task_diag_base>() == 44);

/// Which tasks a request asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// Every process (thread-group leader).
    All,
    /// One task.
    One,
    /// Every task (thread).
    AllThread,
    /// The child processes of every thread of a process.
    Children,
    /// The threads of a process.
    Thread,
}

impl Strategy {
    fn from_u64(v: u64) -> Result<Self> {
        Ok(match v {
            0 => Strategy::All,
            1 => Strategy::One,
            2 => Strategy::AllThread,
            3 => Strategy::Children,
            4 => Strategy::Thread,
            _ => return Err(EINVAL),
        })
    }
}

/// A validated request.
#[derive(Clone, Copy)]
struct Request {
    show: u64,
    strategy: Strategy,
    seq: u32,
    /// The pid of `One`; the process id of `Children` and `Thread`.
    target: Pid,
}

/// Reads a native-endian `u32` at `off` of `b`; 0 past the end (the callers
/// only read inside buffers whose length they checked).
fn get_u32(b: &[u8], off: usize) -> u32 {
    let mut v = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        v.copy_from_slice(s);
    }
    u32::from_ne_bytes(v)
}

fn get_u64(b: &[u8], off: usize) -> u64 {
    let mut v = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        v.copy_from_slice(s);
    }
    u64::from_ne_bytes(v)
}

/// Copies `data` into `b` at `off` (no-op past the end).
fn put(b: &mut [u8], off: usize, data: &[u8]) {
    if let Some(d) = b.get_mut(off..off + data.len()) {
        d.copy_from_slice(data);
    }
}

impl Request {
    /// Parses and validates the bytes of a request: `struct nlmsghdr` then
    /// `struct task_diag_pid` (the payload, possibly longer, then zero).
    fn parse(hdr: &[u8; NLMSG_HDRLEN], pid: &[u8; REQ_LEN], total: usize) -> Result<Self> {
        if get_u32(hdr, offset_of!(uapi::nlmsghdr, nlmsg_len)) as usize != total {
            return Err(EINVAL);
        }
        let show = get_u64(pid, offset_of!(uapi::task_diag_pid, show_flags));
        let strategy =
            Strategy::from_u64(get_u64(pid, offset_of!(uapi::task_diag_pid, dump_strategy)))?;
        let target = get_u32(pid, offset_of!(uapi::task_diag_pid, pid));
        if get_u32(pid, offset_of!(uapi::task_diag_pid, reserved)) != 0 {
            return Err(EINVAL);
        }
        if show & !SHOW_SUPPORTED != 0 {
            return Err(EINVAL);
        }
        // ALL and ALL_THREAD ignore the pid; for the others a pid that
        // cannot exist is simply not found (ESRCH) when the dump starts.
        let target = match strategy {
            Strategy::All | Strategy::AllThread => 0,
            _ => Pid::try_from(target).unwrap_or(0),
        };
        Ok(Self {
            show,
            strategy,
            seq: get_u32(hdr, offset_of!(uapi::nlmsghdr, nlmsg_seq)),
            target,
        })
    }
}

/// The credentials a dump is checked against.
struct Viewers {
    opener: ARef<Credential>,
    writer: ARef<Credential>,
}

impl Viewers {
    /// Whether the opener, the writer and `reader` may all read `task`.
    fn may_read(&self, reader: &Credential, task: &Task) -> bool {
        let (o, w, r) = (&*self.opener, &*self.writer, reader);
        if !o.may_ptrace_read(task) {
            return false;
        }
        if !core::ptr::eq(w, o) && !w.may_ptrace_read(task) {
            return false;
        }
        if !core::ptr::eq(r, o) && !core::ptr::eq(r, w) && !r.may_ptrace_read(task) {
            return false;
        }
        true
    }
}

/// Built messages waiting to be read, in a buffer allocated once per open
/// file.
///
/// The buffer holds whole messages, then possibly the message being built
/// from `start`. A new message is only started when [`MSG_MAX`] bytes are
/// free, so building never runs out of room.
///
/// # Invariants
///
/// `start <= len <= buf.len()`.
struct MsgBuf {
    buf: KVec<u8>,
    len: usize,
    start: usize,
}

impl MsgBuf {
    fn new() -> Result<Self> {
        Ok(Self {
            buf: KVec::from_elem(0u8, BUF_LEN, GFP_KERNEL)?,
            len: 0,
            start: 0,
        })
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether a new message can be started.
    fn can_begin(&self) -> bool {
        self.buf.len() - self.len >= MSG_MAX
    }

    /// Length of the longest run of whole messages at the front that fits
    /// in `max` bytes.
    fn whole_prefix(&self, max: usize) -> usize {
        let mut off = 0;
        while off < self.len {
            let n = get_u32(&self.buf, off + offset_of!(uapi::nlmsghdr, nlmsg_len)) as usize;
            if n == 0 || off + n > max {
                break;
            }
            off += n;
        }
        off
    }

    fn bytes(&self, n: usize) -> &[u8] {
        self.buf.get(..n).unwrap_or(&[])
    }

    /// Drops the first `n` bytes, read by the reader.
    fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        // INVARIANT: both shrink by the same amount, within the buffer.
        self.len -= n;
        self.start = self.start.saturating_sub(n);
    }

    /// Appends `data` to the message being built, if it fits.
    fn append(&mut self, data: &[u8]) {
        let end = self.len + data.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(data);
            // INVARIANT: `end` is within `buf`, as `get_mut` succeeded.
            self.len = end;
        }
    }

    /// Writes `v` at `off` of the message being built.
    fn put_u32(&mut self, off: usize, v: u32) {
        put(&mut self.buf, self.start + off, &v.to_ne_bytes());
    }

    /// Starts a message: a `struct nlmsghdr` whose length is set by
    /// [`Self::finish`]. The caller checked [`Self::can_begin`].
    fn begin(&mut self, ty: u16, seq: u32) {
        // INVARIANT: `len` is within the buffer.
        self.start = self.len;
        let mut hdr = [0u8; NLMSG_HDRLEN];
        put(
            &mut hdr,
            offset_of!(uapi::nlmsghdr, nlmsg_type),
            &ty.to_ne_bytes(),
        );
        let flags = uapi::NLM_F_MULTI as u16;
        put(
            &mut hdr,
            offset_of!(uapi::nlmsghdr, nlmsg_flags),
            &flags.to_ne_bytes(),
        );
        put(
            &mut hdr,
            offset_of!(uapi::nlmsghdr, nlmsg_seq),
            &seq.to_ne_bytes(),
        );
        self.append(&hdr);
    }

    fn finish(&mut self) {
        let len = (self.len - self.start) as u32;
        self.put_u32(offset_of!(uapi::nlmsghdr, nlmsg_len), len);
    }

    /// Appends one attribute, padded to 4 bytes; `false` when the message
    /// would grow past [`MSG_MAX`].
    fn attr(&mut self, ty: u16, payload: &[u8]) -> bool {
        let len = NLA_HDRLEN + payload.len();
        let padded = (len + 3) & !3;
        if self.len - self.start + padded > MSG_MAX {
            return false;
        }
        let mut hdr = [0u8; NLA_HDRLEN];
        put(
            &mut hdr,
            offset_of!(uapi::nlattr, nla_len),
            &(len as u16).to_ne_bytes(),
        );
        put(
            &mut hdr,
            offset_of!(uapi::nlattr, nla_type),
            &ty.to_ne_bytes(),
        );
        self.append(&hdr);
        self.append(payload);
        self.append(&[0u8; 3][..padded - len]);
        true
    }
}

/// Where a dump stands.
enum Phase {
    /// No request, or the last dump was read to its end: `read()` returns 0.
    Idle,
    /// Tasks with pid numbers from `cursor` on are still to come.
    Dumping {
        req: Request,
        cursor: Pid,
        viewers: Viewers,
        /// A task whose messages continue, with the next group to emit.
        cont: Option<(ARef<Task>, u32)>,
    },
}

/// The state of one open file, under its mutex.
struct State {
    phase: Phase,
    /// Whole messages not yet read.
    msg: MsgBuf,
}

/// The state of one open `/proc/task_diag`.
#[pin_data]
struct TaskDiag {
    ns: ARef<PidNamespace>,
    #[pin]
    state: Mutex<State>,
}

/// The `task_diag_base` payload of `task`, whose ids are `ids`.
fn base(task: &Task, ids: &TaskIds) -> [u8; size_of::<uapi::task_diag_base>()] {
    let mut b = [0u8; size_of::<uapi::task_diag_base>()];
    let fields = [
        (offset_of!(uapi::task_diag_base, tgid), ids.tgid),
        (offset_of!(uapi::task_diag_base, pid), ids.pid),
        (offset_of!(uapi::task_diag_base, ppid), ids.ppid),
        (offset_of!(uapi::task_diag_base, tpid), ids.tracer),
        (offset_of!(uapi::task_diag_base, sid), ids.sid),
        (offset_of!(uapi::task_diag_base, pgid), ids.pgid),
    ];
    for (off, v) in fields {
        put(&mut b, off, &(v as u32).to_ne_bytes());
    }
    put(
        &mut b,
        offset_of!(uapi::task_diag_base, state),
        &[task.state_index() as u8],
    );
    put(&mut b, offset_of!(uapi::task_diag_base, comm), &task.comm());
    b
}

impl State {
    /// The walk that a batch of the dump's messages takes its tasks from,
    /// starting at the cursor; `None` for `One`, which looks its task up,
    /// and when no dump is under way.
    fn walk<'a>(&self, ns: &'a PidNamespace, guard: &'a rcu::Guard) -> Option<TaskWalk<'a>> {
        let Phase::Dumping { req, cursor, .. } = &self.phase else {
            return None;
        };
        let kind = match req.strategy {
            Strategy::All | Strategy::Children => TaskKind::Leader,
            Strategy::AllThread | Strategy::Thread => TaskKind::Thread,
            Strategy::One => return None,
        };
        Some(ns.walk(*cursor, kind, guard))
    }

    /// Finds the next task of the dump at or after `cursor` that the viewers
    /// may read: from `walk`, or for `One` by looking it up. Returns it with
    /// its pid number in `ns` and its ids there, borrowed for the RCU
    /// read-side critical section of `guard`, in which all of a task's work
    /// is done without taking a reference.
    fn next_task<'a>(
        req: &Request,
        cursor: Pid,
        walk: &mut Option<TaskWalk<'a>>,
        ns: &'a PidNamespace,
        viewers: &Viewers,
        reader: &Credential,
        guard: &'a rcu::Guard,
    ) -> Option<(Pid, &'a Task, TaskIds)> {
        if req.strategy == Strategy::One {
            if cursor > req.target {
                return None;
            }
            let (nr, task) = ns
                .next_task(req.target, TaskKind::Thread, guard)
                .filter(|(nr, _)| *nr == req.target)?;
            let ids = task.ids_in(ns, guard);
            return viewers.may_read(reader, task).then_some((nr, task, ids));
        }
        for (nr, task) in walk.as_mut()? {
            let ids = task.ids_in(ns, guard);
            let wanted = match req.strategy {
                Strategy::Thread => ids.tgid == req.target,
                Strategy::Children => ids.ppid == req.target,
                _ => true,
            };
            if wanted && viewers.may_read(reader, task) {
                return Some((nr, task, ids));
            }
        }
        None
    }

    /// Builds the next message of the dump into `self.msg`, within the RCU
    /// read-side critical section of `guard`; `false` when the dump has
    /// ended and everything was read.
    fn build_next<'a>(
        &mut self,
        ns: &'a PidNamespace,
        reader: &Credential,
        walk: &mut Option<TaskWalk<'a>>,
        guard: &'a rcu::Guard,
    ) -> bool {
        let phase = core::mem::replace(&mut self.phase, Phase::Idle);
        let Phase::Dumping {
            req,
            cursor,
            viewers,
            cont,
        } = phase
        else {
            return false;
        };
        let (task, ids, first_group, cursor) = match &cont {
            Some((task, group)) => (&**task, task.ids_in(ns, guard), *group, cursor),
            None => match Self::next_task(&req, cursor, walk, ns, &viewers, reader, guard) {
                Some((nr, task, ids)) => (task, ids, 0, nr.saturating_add(1)),
                None => {
                    // The end: one NLMSG_DONE carrying an `int` 0.
                    self.msg.begin(uapi::NLMSG_DONE as u16, req.seq);
                    self.msg.append(&0i32.to_ne_bytes());
                    self.msg.finish();
                    return true;
                }
            },
        };
        let next = self.build_task(&req, task, &ids, first_group);
        self.phase = Phase::Dumping {
            req,
            cursor,
            viewers,
            cont: next.map(|group| (ARef::from(task), group)),
        };
        true
    }

    /// Builds the message of `task` starting at group `first`. When a group
    /// does not fit, marks the message `TASK_DIAG_FLAG_CONT` and returns the
    /// group the next message resumes at.
    fn build_task(&mut self, req: &Request, task: &Task, ids: &TaskIds, first: u32) -> Option<u32> {
        self.msg.begin(uapi::TASK_DIAG_CMD_GET as u16, req.seq);
        let mut hdr = [0u8; size_of::<uapi::task_diag_msg>()];
        put(
            &mut hdr,
            offset_of!(uapi::task_diag_msg, pid),
            &(ids.pid as u32).to_ne_bytes(),
        );
        put(
            &mut hdr,
            offset_of!(uapi::task_diag_msg, tgid),
            &(ids.tgid as u32).to_ne_bytes(),
        );
        let flags_off = NLMSG_HDRLEN + offset_of!(uapi::task_diag_msg, flags);
        self.msg.append(&hdr);
        let mut group = first;
        while group <= ATTR_MAX {
            if req.show & (1u64 << group) != 0 {
                let fits = match group {
                    g if g == uapi::TASK_DIAG_BASE => self.msg.attr(g as u16, &base(task, ids)),
                    // Other groups are refused when the request is written.
                    _ => true,
                };
                if !fits {
                    self.msg.put_u32(flags_off, uapi::TASK_DIAG_FLAG_CONT);
                    self.msg.finish();
                    return Some(group);
                }
            }
            group += 1;
        }
        self.msg.finish();
        None
    }
}

impl TaskDiag {
    /// `write()`: parses a request and starts its dump.
    fn start(&self, file: &OpenFile, reader: &mut UserSliceReader) -> Result<usize> {
        let total = reader.len();
        if total < NLMSG_HDRLEN + REQ_LEN {
            return Err(EINVAL);
        }
        if total > NLMSG_HDRLEN + REQ_MAX {
            return Err(E2BIG);
        }
        // Each user byte is read exactly once.
        let mut hdr = [0u8; NLMSG_HDRLEN];
        reader.read_slice(&mut hdr)?;
        let mut pid = [0u8; REQ_LEN];
        reader.read_slice(&mut pid)?;
        let mut rest = [0u8; 64];
        let mut extra_nonzero = false;
        while !reader.is_empty() {
            let n = reader.len().min(rest.len());
            let chunk = rest.get_mut(..n).ok_or(EINVAL)?;
            reader.read_slice(chunk)?;
            extra_nonzero |= chunk.iter().any(|&b| b != 0);
        }
        let req = Request::parse(&hdr, &pid, total)?;
        if extra_nonzero {
            return Err(E2BIG);
        }

        let viewers = Viewers {
            opener: file.cred().into(),
            writer: Credential::current(),
        };
        let mut state = self.state.lock();
        if !state.msg.is_empty() || !matches!(state.phase, Phase::Idle) {
            return Err(EBUSY);
        }
        let (cursor, target) = match req.strategy {
            Strategy::All | Strategy::AllThread => (1, 0),
            Strategy::One | Strategy::Children | Strategy::Thread => {
                // The target must exist and be visible to the opener and the
                // writer now.
                let probe = Request {
                    strategy: Strategy::One,
                    ..req
                };
                let guard = rcu::read_lock();
                let (_, _, ids) = State::next_task(
                    &probe,
                    req.target,
                    &mut None,
                    &self.ns,
                    &viewers,
                    &viewers.writer,
                    &guard,
                )
                .ok_or(ESRCH)?;
                match req.strategy {
                    Strategy::One => (req.target, req.target),
                    // The request may name any thread; the walk, from the
                    // start, compares process ids.
                    _ => (1, ids.tgid),
                }
            }
        };
        state.phase = Phase::Dumping {
            req: Request { target, ..req },
            cursor,
            viewers,
            cont: None,
        };
        Ok(total)
    }

    /// `read()`: copies as many whole messages as fit.
    fn dump(&self, writer: &mut UserSliceWriter) -> Result<usize> {
        let reader = Credential::current();
        let mut state = self.state.lock();
        let mut copied = 0;
        loop {
            // Build whole messages while the caller has room for them, in
            // one RCU read-side critical section: a buffer holds a few
            // hundred tasks at most, and nothing in it sleeps.
            let guard = rcu::read_lock();
            let mut walk = state.walk(&self.ns, &guard);
            while state.msg.len < writer.len()
                && state.msg.can_begin()
                && state.build_next(&self.ns, &reader, &mut walk, &guard)
            {}
            drop(guard);
            let n = state.msg.whole_prefix(writer.len());
            if n == 0 {
                if state.msg.is_empty() {
                    // The dump has ended and was read.
                    break;
                }
                if copied == 0 {
                    return Err(EMSGSIZE);
                }
                break;
            }
            if let Err(e) = writer.write_slice(state.msg.bytes(n)) {
                // The messages stay for the next read.
                if copied == 0 {
                    return Err(e);
                }
                break;
            }
            state.msg.consume(n);
            copied += n;
        }
        Ok(copied)
    }
}

#[vtable]
impl ProcFile for TaskDiag {
    fn open(file: &OpenFile) -> Result<Pin<KBox<Self>>> {
        let state = State {
            phase: Phase::Idle,
            msg: MsgBuf::new()?,
        };
        KBox::pin_init(
            try_pin_init!(TaskDiag {
                ns: file.pid_ns().into(),
                state <- new_mutex!(state),
            }? Error),
            GFP_KERNEL,
        )
    }

    fn read(this: Pin<&Self>, _file: &OpenFile, writer: &mut UserSliceWriter) -> Result<usize> {
        this.dump(writer)
    }

    fn write(this: Pin<&Self>, file: &OpenFile, reader: &mut UserSliceReader) -> Result<usize> {
        this.start(file, reader)
    }
}
