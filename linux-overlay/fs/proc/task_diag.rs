// SPDX-License-Identifier: GPL-2.0

//! `/proc/task_diag`: a binary, transactional interface to task information.
//!
//! A client writes one request (`struct nlmsghdr` then `struct
//! task_diag_pid`: which tasks, which groups of attributes) and reads back a
//! stream of netlink-format messages, one per task (or several, for a task
//! whose attributes do not fit in one), ended by `NLMSG_DONE`. The ABI and
//! its errors are described in `include/uapi/linux/task_diag.h` and
//! `Documentation/filesystems/task_diag.rst`.
//!
//! Guarantees of a dump:
//!
//! - `read()` returns whole messages only, as many as fit in the buffer.
//!   Messages are built for the `read()` that returns them, into a buffer
//!   that is empty again when it returns: a message that does not fit, or
//!   that could not be copied, is dropped and built anew, and checked anew,
//!   for the next `read()`, whoever makes it.
//! - Tasks come in the order of their pid numbers in the pid namespace of the
//!   procfs mount. The dump keeps a cursor (the next pid number), so a task
//!   alive for the whole dump is reported exactly once, whatever forks and
//!   exits meanwhile, and whatever the sizes of the reads.
//! - A task is reported only if the opener of the file, the writer of the
//!   request and the reader could each read it under ptrace rules
//!   (`PTRACE_MODE_READ_FSCREDS`): a passed file descriptor never shows more
//!   than the weakest of them could see. A task continued in another message
//!   is checked again for the reader of that message.
//!
//! How the work is bounded:
//!
//! - The groups that never sleep (BASE, CRED, STAT) are built in an RCU
//!   read-side critical section that examines at most [`EXAMINE_MAX`] tasks,
//!   visible or not, before it ends, reschedules, and stops the dump if a
//!   fatal signal is pending.
//! - For the groups that sleep (VMA, STATM, CMDLINE, NAME), the task is
//!   pinned by a reference and the section is left. Its memory is taken as
//!   `mm_access()` does: under the exec update lock, with the viewers checked
//!   again there, so that an `execve()` of a set-user-ID program between the
//!   check and the read cannot show the new program's memory. No lock of the
//!   task is held across `copy_to_user()`, and none across system calls: a
//!   continued task keeps only references that pin no memory of its own.
//! - The buffer of built messages ([`BUF_LEN`] bytes) is allocated when a
//!   request is written, charged to the writer's memory cgroup, and freed
//!   when the dump has been read to its end or the file is closed.

use core::mem::size_of;

use kernel::{
    c_str,
    cred::Credential,
    mm::{virt::VmaRef, Mm, MmWithUser},
    pid_namespace::{PidNamespace, PidRef, TaskIds, TaskKind, TaskWalk, ThreadWalk},
    prelude::*,
    proc_fs::{OpenFile, ProcFile, Registration},
    proc_task::NAME_LEN,
    sync::{new_mutex, rcu, Mutex},
    task::{self, Pid, Task},
    types::{ARef, AsBytes, FromBytes},
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

/// Declares a transparent wrapper of a uapi structure that crosses to user
/// space, with its published size.
macro_rules! wire_types {
    ($($(#[$meta:meta])* $name:ident($c:ident) = $size:expr;)*) => {$(
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(Clone, Copy)]
        struct $name(uapi::$c);

        kernel::static_assert!(size_of::<$name>() == $size);

        // SAFETY: The structure holds integers and arrays of integers only,
        // so every bit pattern is a valid value.
        unsafe impl FromBytes for $name {}

        // SAFETY: As above; and every byte belongs to a field: the header
        // spells out all padding as reserved fields, and the size asserted
        // above is the published size, the sum of the fields' sizes.
        unsafe impl AsBytes for $name {}

        /// The structure with every field zero.
        impl Default for $name {
            fn default() -> Self {
                // SAFETY: Every bit pattern is a valid value (`FromBytes`),
                // all zeros included.
                unsafe { core::mem::zeroed() }
            }
        }
    )*};
}

wire_types! {
    /// `struct nlmsghdr`.
    NlMsgHdr(nlmsghdr) = 16;
    /// `struct nlattr`.
    NlAttr(nlattr) = 4;
    /// `struct task_diag_pid`, the request.
    ReqPayload(task_diag_pid) = 24;
    /// `struct task_diag_msg`, the first payload of a task message.
    MsgHdr(task_diag_msg) = 12;
    /// `struct task_diag_base`.
    Base(task_diag_base) = 44;
    /// `struct task_diag_creds`.
    Creds(task_diag_creds) = 64;
    /// `struct task_diag_stat`, with the appended fields.
    Stat(task_diag_stat) = 112;
    /// `struct task_diag_statm`.
    Statm(task_diag_statm) = 120;
    /// `struct task_diag_vma`, the start of a record of the VMA group.
    Vma(task_diag_vma) = 64;
    /// `struct task_diag_vma_stat`.
    VmaStat(task_diag_vma_stat) = 80;
}

/// Length of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = size_of::<NlMsgHdr>();
/// Length of `struct nlattr`.
const NLA_HDRLEN: usize = size_of::<NlAttr>();
/// Length of the request payload this kernel knows.
const REQ_LEN: usize = size_of::<ReqPayload>();
/// Longest request payload accepted: as for other extensible structs, a page.
const REQ_MAX: usize = 4096;
/// Longest message built. A task whose attributes do not fit continues in
/// the next message (`TASK_DIAG_FLAG_CONT`).
const MSG_MAX: usize = 8192;
/// Size of the buffer of built messages, copied to the reader together.
const BUF_LEN: usize = 4 * MSG_MAX;
/// Tasks examined, visible or not, in one RCU read-side critical section.
const EXAMINE_MAX: usize = 256;
/// The highest attribute type (group number).
const ATTR_MAX: u32 = uapi::__TASK_DIAG_ATTR_MAX - 1;
/// Longest record of the VMA group the ABI allows: the record, its
/// statistics and a name of `PATH_MAX` bytes, NUL included, padded.
const VMA_RECORD_MAX: usize = size_of::<Vma>() + size_of::<VmaStat>() + PATH_MAX + 8;
/// `PATH_MAX` of `<linux/limits.h>`: the longest name of a mapping sent.
const PATH_MAX: usize = 4096;
/// The groups a message can hold that are never split.
const WHOLE_GROUPS_MAX: usize = 4 * NLA_HDRLEN
    + size_of::<Base>()
    + size_of::<Creds>()
    + size_of::<Stat>()
    + size_of::<Statm>()
    + NAME_LEN;

kernel::static_assert!(
    MSG_MAX >= NLMSG_HDRLEN + size_of::<MsgHdr>() + WHOLE_GROUPS_MAX + NLA_HDRLEN + VMA_RECORD_MAX
);
kernel::static_assert!(ATTR_MAX == uapi::TASK_DIAG_NAME);

/// The bit of group `g` in `show_flags`.
const fn show(g: u32) -> u64 {
    1u64 << g
}

/// Groups this kernel reports; any other bit, unknown to the ABI or not
/// implemented yet, is `EINVAL`.
const SHOW_SUPPORTED: u64 = show(uapi::TASK_DIAG_BASE)
    | show(uapi::TASK_DIAG_CRED)
    | show(uapi::TASK_DIAG_VMA)
    | show(uapi::TASK_DIAG_VMA_STAT)
    | show(uapi::TASK_DIAG_STAT)
    | show(uapi::TASK_DIAG_STATM)
    | show(uapi::TASK_DIAG_CMDLINE)
    | show(uapi::TASK_DIAG_NAME);

/// Groups built outside RCU, with a task reference: they may sleep.
const SHOW_SLEEPING: u64 = show(uapi::TASK_DIAG_VMA)
    | show(uapi::TASK_DIAG_STATM)
    | show(uapi::TASK_DIAG_CMDLINE)
    | show(uapi::TASK_DIAG_NAME);

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
    /// The pid number of `One`, `Children` and `Thread`.
    pid: Pid,
}

impl Request {
    /// Validates a request whose bytes, `total` in all, were `hdr` and `req`.
    fn parse(hdr: &NlMsgHdr, req: &ReqPayload, total: usize) -> Result<Self> {
        if hdr.0.nlmsg_len as usize != total || req.0.reserved != 0 {
            return Err(EINVAL);
        }
        let strategy = Strategy::from_u64(req.0.dump_strategy)?;
        if req.0.show_flags & !SHOW_SUPPORTED != 0 {
            return Err(EINVAL);
        }
        // VMA_STAT only adds to the records of VMA.
        if req.0.show_flags & show(uapi::TASK_DIAG_VMA_STAT) != 0
            && req.0.show_flags & show(uapi::TASK_DIAG_VMA) == 0
        {
            return Err(EINVAL);
        }
        Ok(Self {
            show: req.0.show_flags,
            strategy,
            seq: hdr.0.nlmsg_seq,
            // A pid that cannot exist is simply not found (ESRCH).
            pid: Pid::try_from(req.0.pid).unwrap_or(0),
        })
    }

    fn wants(&self, g: u32) -> bool {
        self.show & show(g) != 0
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

/// A task whose messages continue.
#[derive(Clone)]
struct Cont {
    task: ARef<Task>,
    /// The ids of its first message, repeated in the next ones.
    msg: MsgHdr,
    /// The group the next message starts at.
    group: u32,
    /// Where that group resumes: the bytes sent already (CMDLINE), the end
    /// of the last mapping sent (VMA).
    offset: usize,
    /// The memory the split group was read from: a task that runs a new
    /// program meanwhile ends that group.
    mm: Option<ARef<Mm>>,
}

/// Where a dump stands between two messages.
#[derive(Clone)]
struct Pos {
    /// The pid number the walk resumes at.
    next: Pid,
    /// A task whose messages continue, before the walk resumes.
    cont: Option<Cont>,
    /// The walk is over: the next message is `NLMSG_DONE`.
    ended: bool,
}

/// Built messages, for one `read()`.
///
/// # Invariants
///
/// `len <= buf.len()`; `buf[..len]` holds whole messages, then possibly the
/// message being built from `start`.
struct MsgBuf {
    buf: KVec<u8>,
    len: usize,
    start: usize,
    /// Where the message being built must end at the latest.
    limit: usize,
    /// Attributes in the message being built.
    attrs: usize,
}

impl MsgBuf {
    fn new() -> Result<Self> {
        Ok(Self {
            buf: KVec::from_elem(0u8, BUF_LEN, GFP_KERNEL_ACCOUNT)?,
            len: 0,
            start: 0,
            limit: 0,
            attrs: 0,
        })
    }

    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    fn clear(&mut self) {
        // INVARIANT: No message.
        self.len = 0;
        self.start = 0;
    }

    fn write_at<T: AsBytes>(&mut self, off: usize, v: &T) {
        put(&mut self.buf, off, v);
    }

    /// Appends `v` to the message being built; `false` when it would pass
    /// the message's limit.
    fn push<T: AsBytes>(&mut self, v: &T) -> bool {
        let end = self.len + size_of::<T>();
        if end > self.limit {
            return false;
        }
        self.write_at(self.len, v);
        // INVARIANT: `end <= limit <= buf.len()`.
        self.len = end;
        true
    }

    /// Starts a message of type `ty` that may take up to `max` bytes, with
    /// `payload` after its header; `false` when they do not fit.
    fn begin<T: AsBytes>(&mut self, ty: u32, seq: u32, max: usize, payload: &T) -> bool {
        // INVARIANT: `start` is `len`, and `limit` within the buffer.
        self.start = self.len;
        self.limit = (self.len + max).min(self.buf.len());
        self.attrs = 0;
        let mut hdr = NlMsgHdr::default();
        hdr.0.nlmsg_type = ty as u16;
        hdr.0.nlmsg_flags = uapi::NLM_F_MULTI as u16;
        hdr.0.nlmsg_seq = seq;
        if self.push(&hdr) && self.push(payload) {
            return true;
        }
        self.rollback();
        false
    }

    /// Ends the message being built: sets its length.
    fn finish(&mut self) {
        let len = self.len.saturating_sub(self.start) as u32;
        self.write_at(self.start, &len);
    }

    /// Where the message being built stands, to go back to with
    /// [`Self::undo`].
    fn mark(&self) -> (usize, usize) {
        (self.len, self.attrs)
    }

    /// Drops what was added to the message being built since `mark`.
    fn undo(&mut self, mark: (usize, usize)) {
        // INVARIANT: back to a length the message had, within its limit.
        (self.len, self.attrs) = (mark.0.min(self.len).max(self.start), mark.1);
    }

    /// Drops the message being built.
    fn rollback(&mut self) {
        // INVARIANT: back to the whole messages before it.
        self.len = self.start;
    }

    /// Payload bytes an attribute could still hold in the message.
    fn room(&self) -> usize {
        self.limit
            .saturating_sub(self.len)
            .saturating_sub(NLA_HDRLEN)
            & !3
    }

    /// Appends an attribute whose payload `fill` writes into the buffer
    /// it is given (at most [`Self::room`] bytes), returning its length;
    /// `false` when not even the attribute's header fits.
    fn attr_with(
        &mut self,
        ty: u32,
        fill: impl FnOnce(&mut [u8]) -> Result<usize>,
    ) -> Result<bool> {
        if self.limit.saturating_sub(self.len) < NLA_HDRLEN {
            return Ok(false);
        }
        let room = self.room();
        let off = self.len + NLA_HDRLEN;
        let dst = self.buf.get_mut(off..off + room).ok_or(EINVAL)?;
        let n = fill(dst)?.min(room);
        let padded = (n + 3) & !3;
        if let Some(pad) = self.buf.get_mut(off + n..off + padded) {
            pad.fill(0);
        }
        let mut nla = NlAttr::default();
        nla.0.nla_len = (NLA_HDRLEN + n) as u16;
        nla.0.nla_type = ty as u16;
        self.write_at(self.len, &nla);
        // INVARIANT: `off + padded <= off + room <= limit`: the header fits,
        // and `room` is what is left after it, rounded down to 4 bytes.
        self.len = off + padded;
        self.attrs += 1;
        Ok(true)
    }

    /// Appends an attribute holding `v`; `false` when it does not fit.
    fn attr<T: AsBytes + ?Sized>(&mut self, ty: u32, v: &T) -> Result<bool> {
        let b = v.as_bytes();
        if self.room() < b.len() {
            return Ok(false);
        }
        self.attr_with(ty, |dst| {
            dst.get_mut(..b.len()).ok_or(EINVAL)?.copy_from_slice(b);
            Ok(b.len())
        })
    }
}

/// How far a task's groups got into its message.
enum Progress {
    /// Every requested group is in.
    Complete,
    /// The message is full: the task continues at this group and offset.
    Split(u32, usize),
    /// The next group sleeps: the caller leaves RCU and goes on from it.
    Sleep(u32),
    /// The task became invisible or went away: drop its message.
    Skip,
}

/// The memory of a task, as the groups that read it see it.
enum TaskMm {
    /// Not looked up yet.
    Unknown,
    /// The viewers may no longer read the task (it ran a program they may
    /// not read, say).
    Denied,
    /// A kernel thread or a task that has exited.
    None,
    /// Its live memory.
    Live(ARef<MmWithUser>),
}

/// One task's message being built.
struct TaskMsg<'a> {
    task: &'a Task,
    ids: TaskIds,
    /// STAT of the whole thread group rather than of the thread.
    whole: bool,
    mm: TaskMm,
}

/// What building the next messages came to.
enum Step {
    /// Go on with the next task.
    Continue,
    /// The reader's room cannot take the next message.
    Full,
    /// The buffer is full.
    More,
    /// An RCU read-side critical section examined [`EXAMINE_MAX`] tasks:
    /// reschedule before the next.
    Yield,
}

/// What filling the buffer for a `read()` ended on.
enum Fill {
    /// The buffer is full; more may follow in the reader's room.
    More,
    /// The reader's room cannot take the next message.
    Full,
    /// `NLMSG_DONE` is in the buffer: the dump is over.
    Done,
    /// An error (`EINTR` for a fatal signal, `ENOMEM`): stop here.
    Stop(Error),
}

/// A dump under way.
struct Dump {
    req: Request,
    viewers: Viewers,
    /// The task of `One`, the process of `Children` and `Thread`.
    target: Option<ARef<PidRef>>,
    pos: Pos,
    msg: MsgBuf,
    /// Where the name of a mapping is written before it is known to fit
    /// ([`PATH_MAX`] bytes), with the VMA group only.
    name: KVec<u8>,
}

/// The tasks a walk takes them from.
// One walk lives on the stack of a read for an RCU read-side critical
// section; boxing the thread walk would allocate there for nothing.
#[allow(clippy::large_enum_variant)]
enum Walk<'a> {
    Ns(TaskWalk<'a>),
    Threads(ThreadWalk<'a>),
    One(Option<(Pid, &'a Task)>),
}

impl<'a> Iterator for Walk<'a> {
    type Item = (Pid, &'a Task);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Walk::Ns(w) => w.next(),
            Walk::Threads(w) => w.next(),
            Walk::One(t) => t.take(),
        }
    }
}

/// The walk of the tasks of `req` from pid number `next`, in the RCU
/// read-side critical section of `rcu`; `target` is the dump's.
fn walk_from<'a>(
    req: &Request,
    target: Option<&'a PidRef>,
    next: Pid,
    ns: &'a PidNamespace,
    rcu: &'a rcu::Guard,
) -> Walk<'a> {
    // One lookup at a time when each task's groups leave the section.
    let batch = if req.show & SHOW_SLEEPING != 0 {
        1
    } else {
        TaskWalk::BATCH
    };
    match (req.strategy, target) {
        (Strategy::All | Strategy::Children, _) => {
            Walk::Ns(ns.walk_n(next, TaskKind::Leader, batch, rcu))
        }
        (Strategy::AllThread, _) => Walk::Ns(ns.walk_n(next, TaskKind::Thread, batch, rcu)),
        (Strategy::Thread, Some(tgid)) => Walk::Threads(ThreadWalk::new(ns, tgid, next, rcu)),
        (Strategy::One, Some(pid)) if next <= req.pid => {
            Walk::One(pid.task(TaskKind::Thread, rcu).map(|t| (req.pid, t)))
        }
        _ => Walk::One(None),
    }
}

impl Dump {
    /// Whether the walk's `task` belongs to the dump.
    fn wanted(&self, task: &Task, rcu: &rcu::Guard) -> bool {
        match (self.req.strategy, &self.target) {
            (Strategy::Children, Some(tgid)) => {
                task.parent_tgid_pid(rcu).is_some_and(|p| p == &**tgid)
            }
            _ => true,
        }
    }

    /// Whether the memory maps (VMA) go with the task `ids`: once per
    /// process, with its leader, when the dump lists threads.
    fn maps_of(&self, ids: &TaskIds) -> bool {
        match self.req.strategy {
            Strategy::AllThread | Strategy::Thread => ids.pid == ids.tgid,
            Strategy::All | Strategy::Children | Strategy::One => true,
        }
    }

    /// Whether group `g` of the task `ids` is built outside RCU: it reads
    /// the task's memory, or takes a lock that sleeps.
    fn sleeps(&self, g: u32, ids: &TaskIds) -> bool {
        match g {
            // Nothing to read for the threads that are not sent the maps.
            uapi::TASK_DIAG_VMA => self.maps_of(ids),
            _ => show(g) & SHOW_SLEEPING != 0,
        }
    }

    /// Whether STAT describes the thread group rather than the thread.
    fn whole(&self, ids: &TaskIds) -> bool {
        match self.req.strategy {
            Strategy::All | Strategy::Children => true,
            Strategy::AllThread | Strategy::Thread => false,
            Strategy::One => ids.pid == ids.tgid,
        }
    }

    /// Builds messages for a `read()` with `room` bytes into `self.msg`.
    fn fill(&mut self, ns: &PidNamespace, reader: &Credential, room: usize) -> Fill {
        loop {
            let max = MSG_MAX.min(room.saturating_sub(self.msg.len));
            if self.msg.buf.len().saturating_sub(self.msg.len) < max {
                return Fill::More;
            }
            let step = if let Some(cont) = self.pos.cont.take() {
                self.build_cont(ns, reader, cont, max)
            } else if self.pos.ended {
                if !self.msg.begin(uapi::NLMSG_DONE, self.req.seq, max, &0i32) {
                    return Fill::Full;
                }
                self.msg.finish();
                return Fill::Done;
            } else {
                self.build_walk(ns, reader, room)
            };
            match step {
                Ok(Step::Continue) => {}
                Ok(Step::Full) => return Fill::Full,
                Ok(Step::More) => return Fill::More,
                Ok(Step::Yield) => {
                    // A section ended after examining many tasks.
                    task::cond_resched();
                    if kernel::current!().fatal_signal_pending() {
                        return Fill::Stop(EINTR);
                    }
                }
                Err(e) => return Fill::Stop(e),
            }
        }
    }

    /// The next task of the walk at or after the cursor that belongs to the
    /// dump and that the viewers may read, with its ids; moves the cursor
    /// past every task examined. `None` at the end of the walk, or after
    /// [`EXAMINE_MAX`] tasks have been examined.
    fn find<'a>(
        &mut self,
        walk: &mut Walk<'a>,
        ns: &'a PidNamespace,
        reader: &Credential,
        examined: &mut usize,
        rcu: &'a rcu::Guard,
    ) -> Option<(&'a Task, TaskIds)> {
        while *examined < EXAMINE_MAX {
            let (nr, task) = walk.next()?;
            *examined += 1;
            self.pos.next = nr.saturating_add(1);
            let ids = task.ids_in(ns, rcu);
            // A task reaped since the lookup has no pid here.
            if ids.pid != 0 && self.wanted(task, rcu) && self.viewers.may_read(reader, task) {
                return Some((task, ids));
            }
        }
        None
    }

    /// Builds the messages of the next tasks of the walk in one RCU
    /// read-side critical section, leaving it for a task with groups that
    /// sleep.
    fn build_walk(&mut self, ns: &PidNamespace, reader: &Credential, room: usize) -> Result<Step> {
        let target = self.target.clone();
        let guard = rcu::read_lock();
        let mut walk = walk_from(&self.req, target.as_deref(), self.pos.next, ns, &guard);
        let mut examined = 0;
        loop {
            let max = MSG_MAX.min(room.saturating_sub(self.msg.len));
            if self.msg.buf.len().saturating_sub(self.msg.len) < max {
                return Ok(Step::More);
            }
            let before = self.pos.next;
            let Some((task, ids)) = self.find(&mut walk, ns, reader, &mut examined, &guard) else {
                if examined < EXAMINE_MAX {
                    self.pos.ended = true;
                    return Ok(Step::Continue);
                }
                return Ok(Step::Yield);
            };
            let mut tm = TaskMsg {
                task,
                ids,
                whole: self.whole(&ids),
                mm: TaskMm::Unknown,
            };
            let mut hdr = MsgHdr::default();
            hdr.0.pid = ids.pid as u32;
            hdr.0.tgid = ids.tgid as u32;
            if !self
                .msg
                .begin(uapi::TASK_DIAG_CMD_GET, self.req.seq, max, &hdr)
            {
                self.pos.next = before;
                return Ok(Step::Full);
            }
            let progress = match self.build_groups(ns, reader, &mut tm, 0, 0, Some(&guard)) {
                Ok(Progress::Sleep(group)) => {
                    // The rest sleeps: pin the task and leave RCU.
                    let (task, whole) = (ARef::from(task), tm.whole);
                    drop(guard);
                    let mut tm = TaskMsg {
                        task: &task,
                        ids,
                        whole,
                        mm: TaskMm::Unknown,
                    };
                    let progress = self.build_groups(ns, reader, &mut tm, group, 0, None);
                    let step = self.end_task(&task, hdr, progress, tm.mm);
                    if !matches!(step, Ok(Step::Continue)) {
                        self.pos.next = before;
                    }
                    return step;
                }
                progress => progress,
            };
            match self.end_task(task, hdr, progress, TaskMm::Unknown) {
                Ok(Step::Continue) => {}
                step => {
                    self.pos.next = before;
                    return step;
                }
            }
        }
    }

    /// Ends the message being built for `task`: finished, or marked
    /// `TASK_DIAG_FLAG_CONT` when split (the task is continued), or dropped
    /// when the task is skipped. A message that could hold nothing, or that
    /// failed, is dropped too, and [`Step::Full`] or the error is returned:
    /// the caller goes back to before it.
    fn end_task(
        &mut self,
        task: &Task,
        mut hdr: MsgHdr,
        progress: Result<Progress>,
        mm: TaskMm,
    ) -> Result<Step> {
        match progress {
            Ok(Progress::Complete) => self.msg.finish(),
            Ok(Progress::Skip) => self.msg.rollback(),
            Ok(Progress::Split(group, offset)) if self.msg.attrs > 0 => {
                hdr.0.flags = uapi::TASK_DIAG_FLAG_CONT;
                self.msg.write_at(self.msg.start + NLMSG_HDRLEN, &hdr);
                self.msg.finish();
                self.pos.cont = Some(Cont {
                    task: task.into(),
                    msg: hdr,
                    group,
                    offset,
                    mm: match mm {
                        TaskMm::Live(mm) => Some(ARef::<Mm>::from(&**mm)),
                        _ => None,
                    },
                });
            }
            Ok(_) => {
                // Nothing fits in the reader's room.
                self.msg.rollback();
                return Ok(Step::Full);
            }
            Err(e) => {
                self.msg.rollback();
                return Err(e);
            }
        }
        Ok(Step::Continue)
    }

    /// Builds the next message of a continued task, checked again for
    /// `reader`. When it fails or cannot hold anything, the task stays
    /// continued.
    fn build_cont(
        &mut self,
        ns: &PidNamespace,
        reader: &Credential,
        cont: Cont,
        max: usize,
    ) -> Result<Step> {
        let ids = {
            let guard = rcu::read_lock();
            cont.task.ids_in(ns, &guard)
        };
        // Gone, invisible to this reader, or a thread that took its
        // leader's pid by an `execve()`: the task ends here.
        if ids.pid == 0
            || ids.pid as u32 != cont.msg.0.pid
            || !self.viewers.may_read(reader, &cont.task)
        {
            return Ok(Step::Continue);
        }
        let mut tm = TaskMsg {
            task: &cont.task,
            ids,
            whole: self.whole(&ids),
            mm: TaskMm::Unknown,
        };
        let mut hdr = cont.msg;
        hdr.0.flags = 0;
        if !self
            .msg
            .begin(uapi::TASK_DIAG_CMD_GET, self.req.seq, max, &hdr)
        {
            self.pos.cont = Some(cont);
            return Ok(Step::Full);
        }
        let progress = match self.build_groups_cont(ns, reader, &mut tm, &cont) {
            // The split group ended (a new program) and nothing follows it:
            // the task ends without a message, as one that exited does.
            Ok(Progress::Complete) if self.msg.attrs == 0 => Ok(Progress::Skip),
            progress => progress,
        };
        let mm = core::mem::replace(&mut tm.mm, TaskMm::Unknown);
        let step = self.end_task(&cont.task, hdr, progress, mm);
        if !matches!(step, Ok(Step::Continue)) {
            self.pos.cont = Some(cont);
        }
        step
    }

    /// [`Self::build_groups`] for the next message of `cont`, whose split
    /// group ends if the task's memory is no longer the one it was read
    /// from.
    fn build_groups_cont(
        &mut self,
        ns: &PidNamespace,
        reader: &Credential,
        tm: &mut TaskMsg<'_>,
        cont: &Cont,
    ) -> Result<Progress> {
        let (group, offset) = match &cont.mm {
            Some(old) => {
                self.load_mm(reader, tm)?;
                match &tm.mm {
                    TaskMm::Live(now) if core::ptr::eq(now.as_raw(), old.as_raw()) => {
                        (cont.group, cont.offset)
                    }
                    // A new program: the maps or the command line begun are
                    // not its own, and end; a group not begun is its own.
                    TaskMm::Live(_) | TaskMm::None if cont.offset != 0 => (cont.group + 1, 0),
                    TaskMm::Live(_) | TaskMm::None => (cont.group, 0),
                    TaskMm::Unknown | TaskMm::Denied => return Ok(Progress::Skip),
                }
            }
            None => (cont.group, cont.offset),
        };
        self.build_groups(ns, reader, tm, group, offset, None)
    }

    /// Looks up the memory of `tm.task` the way `mm_access()` does: under
    /// the exec update lock, with the viewers checked again.
    fn load_mm(&self, reader: &Credential, tm: &mut TaskMsg<'_>) -> Result {
        if !matches!(tm.mm, TaskMm::Unknown) {
            return Ok(());
        }
        let _lock = tm.task.exec_update_read_killable()?;
        if !self.viewers.may_read(reader, tm.task) {
            tm.mm = TaskMm::Denied;
            return Ok(());
        }
        tm.mm = match tm.task.get_mm() {
            Some(mm) => TaskMm::Live(mm),
            None => TaskMm::None,
        };
        Ok(())
    }

    /// The memory of `tm.task` for a group that reads it, looked up by
    /// [`Self::load_mm`] once per message: `None` when the viewers may no
    /// longer read the task (it is skipped), `Some(None)` for a task without
    /// memory (a kernel thread, a zombie).
    fn task_mm(
        &self,
        reader: &Credential,
        tm: &mut TaskMsg<'_>,
    ) -> Result<Option<Option<ARef<MmWithUser>>>> {
        self.load_mm(reader, tm)?;
        Ok(match &tm.mm {
            TaskMm::Unknown | TaskMm::Denied => None,
            TaskMm::None => Some(None),
            TaskMm::Live(mm) => Some(Some(mm.clone())),
        })
    }

    /// Adds the requested groups from `first` on (its first `offset` bytes
    /// sent already) to the message of `tm.task`. With `rcu`, in an RCU
    /// read-side critical section, stops at the first group that sleeps.
    fn build_groups(
        &mut self,
        ns: &PidNamespace,
        reader: &Credential,
        tm: &mut TaskMsg<'_>,
        first: u32,
        mut offset: usize,
        rcu: Option<&rcu::Guard>,
    ) -> Result<Progress> {
        for g in first..=ATTR_MAX {
            if !self.req.wants(g) {
                continue;
            }
            if rcu.is_some() && self.sleeps(g, &tm.ids) {
                return Ok(Progress::Sleep(g));
            }
            let fits = match g {
                uapi::TASK_DIAG_BASE => self.msg.attr(g, &base(tm.task, &tm.ids))?,
                uapi::TASK_DIAG_CRED => {
                    let mut c = Creds::default();
                    tm.task.proc_creds(&mut c.0);
                    self.msg.attr(g, &c)?
                }
                uapi::TASK_DIAG_VMA if !self.maps_of(&tm.ids) => true,
                uapi::TASK_DIAG_VMA => {
                    let Some(mm) = self.task_mm(reader, tm)? else {
                        return Ok(Progress::Skip);
                    };
                    match mm {
                        None => self.msg.attr_with(g, |_| Ok(0))?,
                        Some(mm) => {
                            let mark = self.msg.mark();
                            let mut recs = VmaRecords {
                                stat: self.req.wants(uapi::TASK_DIAG_VMA_STAT),
                                name: &mut self.name,
                                count: 0,
                                more: None,
                            };
                            if !self.msg.attr_with(g, |dst| recs.write(&mm, offset, dst))? {
                                return Ok(Progress::Split(g, offset));
                            }
                            match (recs.more, recs.count) {
                                (Some(end), 1..) => return Ok(Progress::Split(g, end)),
                                (Some(_), 0) => {
                                    // Not one record: no empty part.
                                    self.msg.undo(mark);
                                    return Ok(Progress::Split(g, offset));
                                }
                                // The mappings after the part sent went away:
                                // no empty part either.
                                (None, 0) if offset != 0 => {
                                    self.msg.undo(mark);
                                    true
                                }
                                (None, _) => true,
                            }
                        }
                    }
                }
                // Only adds to the records of VMA.
                uapi::TASK_DIAG_VMA_STAT => true,
                uapi::TASK_DIAG_STAT => {
                    let mut st = Stat::default();
                    tm.task.proc_stat(ns, tm.whole, &mut st.0);
                    self.msg.attr(g, &st)?
                }
                uapi::TASK_DIAG_STATM => {
                    let Some(mm) = self.task_mm(reader, tm)? else {
                        return Ok(Progress::Skip);
                    };
                    let mut st = Statm::default();
                    if let Some(mm) = mm {
                        mm.proc_statm(&mut st.0);
                    }
                    self.msg.attr(g, &st)?
                }
                uapi::TASK_DIAG_CMDLINE => {
                    let Some(mm) = self.task_mm(reader, tm)? else {
                        return Ok(Progress::Skip);
                    };
                    match mm {
                        None => self.msg.attr_with(g, |_| Ok(0))?,
                        Some(mm) => {
                            let room = self.msg.room();
                            if room == 0 {
                                return Ok(Progress::Split(g, offset));
                            }
                            let mut got = 0;
                            // `room` is not 0, so the header fits.
                            self.msg.attr_with(g, |dst| {
                                got = mm.proc_cmdline(offset, dst)?;
                                Ok(got)
                            })?;
                            if got == room {
                                // Full: more follows unless the line ends here.
                                let mut peek = [0u8; 1];
                                if mm.proc_cmdline(offset + got, &mut peek)? > 0 {
                                    return Ok(Progress::Split(g, offset + got));
                                }
                            }
                            true
                        }
                    }
                }
                uapi::TASK_DIAG_NAME => {
                    let mut name = [0u8; NAME_LEN];
                    let n = tm.task.proc_name(&mut name).min(NAME_LEN - 1);
                    let bytes = name.get(..n + 1).unwrap_or(&name);
                    self.msg.attr(g, bytes)?
                }
                // Other groups are refused when the request is written.
                _ => true,
            };
            if !fits {
                return Ok(Progress::Split(g, offset));
            }
            offset = 0;
        }
        Ok(Progress::Complete)
    }
}

/// The records of the VMA group written into one message.
struct VmaRecords<'a> {
    /// With their statistics (VMA_STAT).
    stat: bool,
    /// [`PATH_MAX`] bytes for a name.
    name: &'a mut [u8],
    /// Records written.
    count: usize,
    /// `Some(end)` when more mappings follow the last record written, which
    /// ended at `end` (or the resume address when none was).
    more: Option<usize>,
}

impl VmaRecords<'_> {
    /// Writes into `dst` the records of the mappings of `mm` that end above
    /// `addr`, in address order, as many as fit. Returns the bytes written.
    ///
    /// The mmap lock is held while they are written, into the message
    /// buffer, never across a copy to user space. The loop is bounded by
    /// `dst`: every record takes at least `size_of::<Vma>()` bytes.
    fn write(&mut self, mm: &MmWithUser, addr: usize, dst: &mut [u8]) -> Result<usize> {
        if dst.len() < size_of::<Vma>() {
            // Not even a record without a name: no need for the lock.
            self.more = Some(addr);
            return Ok(0);
        }
        let maps = mm.mmap_read_lock_killable()?;
        let mut vmas = maps.proc_vmas(addr, self.name);
        let mut last = addr;
        let mut n = 0;
        while let Some(vma) = vmas.next() {
            let name = match vmas.name(vma) {
                Ok(name) => name,
                // Longer than PATH_MAX: sent without its name, as the header
                // says.
                Err(e) if e == ENAMETOOLONG => &[],
                Err(e) => return Err(e),
            };
            let dst = dst.get_mut(n..).unwrap_or_default();
            let Some(len) = vma_record(vma, self.stat, name, dst) else {
                self.more = Some(last);
                break;
            };
            n += len;
            self.count += 1;
            // The walk gives mappings that end above `addr`, in order.
            last = vma.end();
        }
        Ok(n)
    }
}

/// Writes the record of `vma` at the start of `dst`, with its statistics
/// when `stat`, with `name` (NUL-terminated, or empty for none); returns
/// its length, or `None` when it does not fit.
fn vma_record(vma: &VmaRef, stat: bool, name: &[u8], dst: &mut [u8]) -> Option<usize> {
    let stat_len = if stat { size_of::<VmaStat>() } else { 0 };
    let name_off = size_of::<Vma>() + stat_len;
    let name_len = name.len();
    let len = (name_off + name_len + 7) & !7;
    dst.get_mut(name_off..name_off + name_len)?
        .copy_from_slice(name);
    dst.get_mut(name_off + name_len..len)?.fill(0);

    let mut rec = Vma::default();
    vma.proc_record(&mut rec.0);
    // `len` is at most `name_off + PATH_MAX + 7`, far below `u16::MAX`.
    rec.0.vma_len = len as u16;
    if name_len > 0 {
        rec.0.name_off = name_off as u16;
        rec.0.name_len = name_len as u16;
    }
    if stat {
        let mut st = VmaStat::default();
        vma.proc_stat(&mut st.0);
        rec.0.stat_off = size_of::<Vma>() as u16;
        rec.0.stat_len = stat_len as u16;
        put(dst, size_of::<Vma>(), &st);
    }
    put(dst, 0, &rec);
    Some(len)
}

/// Copies `v` into `dst` at `off`, which the caller made room for.
fn put<T: AsBytes>(dst: &mut [u8], off: usize, v: &T) {
    let b = v.as_bytes();
    if let Some(d) = dst.get_mut(off..off + b.len()) {
        d.copy_from_slice(b);
    }
}

/// The `task_diag_base` payload of `task`, whose ids are `ids`.
fn base(task: &Task, ids: &TaskIds) -> Base {
    let mut b = Base::default();
    b.0.tgid = ids.tgid as u32;
    b.0.pid = ids.pid as u32;
    b.0.ppid = ids.ppid as u32;
    b.0.tpid = ids.tracer as u32;
    b.0.sid = ids.sid as u32;
    b.0.pgid = ids.pgid as u32;
    b.0.state = task.state_index() as u8;
    let comm = task.comm();
    for (dst, &src) in b.0.comm.iter_mut().zip(comm.iter()) {
        *dst = src as _;
    }
    b
}

/// The state of one open file, under its mutex.
struct State {
    /// The dump under way; `None` before a request and after a dump was
    /// read to its end (`read()` returns 0).
    dump: Option<Dump>,
}

/// The state of one open `/proc/task_diag`.
#[pin_data]
struct TaskDiag {
    ns: ARef<PidNamespace>,
    #[pin]
    state: Mutex<State>,
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
        let hdr: NlMsgHdr = reader.read()?;
        let payload: ReqPayload = reader.read()?;
        let mut rest = [0u8; 64];
        let mut extra_nonzero = false;
        while !reader.is_empty() {
            let n = reader.len().min(rest.len());
            let chunk = rest.get_mut(..n).ok_or(EINVAL)?;
            reader.read_slice(chunk)?;
            extra_nonzero |= chunk.iter().any(|&b| b != 0);
        }
        let req = Request::parse(&hdr, &payload, total)?;
        if extra_nonzero {
            return Err(E2BIG);
        }

        let viewers = Viewers {
            opener: file.cred().into(),
            writer: Credential::current(),
        };
        let mut state = self.state.lock();
        if state.dump.is_some() {
            return Err(EBUSY);
        }
        let target = match req.strategy {
            Strategy::All | Strategy::AllThread => None,
            Strategy::One | Strategy::Children | Strategy::Thread => {
                // The task must exist and be visible to the opener and the
                // writer now.
                let guard = rcu::read_lock();
                let pid = self.ns.find_pid(req.pid, &guard).ok_or(ESRCH)?;
                let task = pid.task(TaskKind::Thread, &guard).ok_or(ESRCH)?;
                if !viewers.may_read(&viewers.writer, task) {
                    return Err(ESRCH);
                }
                let target = match req.strategy {
                    Strategy::One => pid,
                    // The request may name any thread of the process.
                    _ => task.tgid_pid(&guard).ok_or(ESRCH)?,
                };
                Some(ARef::from(target))
            }
        };
        state.dump = Some(Dump {
            req,
            viewers,
            target,
            pos: Pos {
                next: 1,
                cont: None,
                ended: false,
            },
            msg: MsgBuf::new()?,
            name: if req.wants(uapi::TASK_DIAG_VMA) {
                KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL_ACCOUNT)?
            } else {
                KVec::new()
            },
        });
        Ok(total)
    }

    /// `read()`: copies as many whole messages as fit.
    fn dump(&self, writer: &mut UserSliceWriter) -> Result<usize> {
        let reader = Credential::current();
        let mut state = self.state.lock();
        let Some(dump) = state.dump.as_mut() else {
            return Ok(0);
        };
        let mut copied = 0;
        let mut done = false;
        let mut error = None;
        loop {
            let room = writer.len();
            // Where the dump stood before these messages: a copy that fails
            // goes back to it, and they are built anew for the next read.
            let saved = dump.pos.clone();
            let fill = dump.fill(&self.ns, &reader, room);
            let n = dump.msg.len;
            if n > 0 {
                if let Err(e) = writer.write_slice(dump.msg.bytes()) {
                    dump.pos = saved;
                    dump.msg.clear();
                    error = Some(e);
                    break;
                }
                copied += n;
                dump.msg.clear();
            }
            match fill {
                Fill::More => {}
                Fill::Full => break,
                Fill::Done => {
                    done = true;
                    break;
                }
                Fill::Stop(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if done {
            // The dump was read to its end: free its buffer and references.
            state.dump = None;
        }
        match error {
            Some(e) if copied == 0 => Err(e),
            _ if copied == 0 && !done => Err(EMSGSIZE),
            _ => Ok(copied),
        }
    }
}

#[vtable]
impl ProcFile for TaskDiag {
    fn open(file: &OpenFile) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            try_pin_init!(TaskDiag {
                ns: file.pid_ns().into(),
                state <- new_mutex!(State { dump: None }),
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
