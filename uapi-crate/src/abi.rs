// SPDX-License-Identifier: MIT OR Apache-2.0

//! The constants and structures of `include/uapi/linux/task_diag.h`, and the
//! two netlink headers that frame them.
//!
//! Every structure is `#[repr(C)]` with the C field names, every padding byte
//! a named `reserved` field, so the layout is the same on 32- and 64-bit
//! targets and [`zerocopy`] can derive [`IntoBytes`] (which refuses implicit
//! padding). The `tests/layout.rs` test compares each size, offset and
//! constant with the C header, compiled by the C compiler.
//! [`TaskDiagStatVer0`] is the one structure that is not in the header: the
//! published prefix of [`TaskDiagStat`], [`TASK_DIAG_STAT_SIZE_VER0`] bytes.
//!
//! Responses are only 4-byte aligned (`NLMSG_ALIGN`, `NLA_ALIGN`) while most
//! structures hold `u64` fields: copy them out of a buffer with
//! [`FromBytes::read_from_prefix`] or [`FromBytes::read_from_bytes`], as the
//! [`response`](crate::response) iterators do; never cast response bytes to a
//! reference to one of these structures.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

// ---------------------------------------------------------------------------
// Netlink framing (`include/uapi/linux/netlink.h`).

/// `NLMSG_ALIGNTO`: messages start at multiples of 4 bytes.
pub const NLMSG_ALIGNTO: usize = 4;
/// `NLA_ALIGNTO`: attributes start at multiples of 4 bytes.
pub const NLA_ALIGNTO: usize = 4;
/// `NLMSG_HDRLEN`: the size of a [`NlMsgHdr`].
pub const NLMSG_HDRLEN: usize = core::mem::size_of::<NlMsgHdr>();
/// `NLA_HDRLEN`: the size of a [`NlAttr`].
pub const NLA_HDRLEN: usize = core::mem::size_of::<NlAttr>();
/// `NLMSG_ERROR`: an error message; its payload starts with an `int`, a
/// negative errno.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the last message of a dump; its payload is an `int`, 0.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_MULTI`: `nlmsg_flags` of every message of a dump.
pub const NLM_F_MULTI: u16 = 2;

/// `struct nlmsghdr`: the header of every request and response message.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct NlMsgHdr {
    /// Length of the message, this header included, its trailing padding
    /// excluded.
    pub nlmsg_len: u32,
    /// Message type: [`TASK_DIAG_CMD_GET`], [`NLMSG_DONE`] or [`NLMSG_ERROR`]
    /// in a response; ignored in a request.
    pub nlmsg_type: u16,
    /// Flags: [`NLM_F_MULTI`] in a response; ignored in a request.
    pub nlmsg_flags: u16,
    /// Sequence number: chosen by the request, echoed by every response
    /// message.
    pub nlmsg_seq: u32,
    /// Port id: 0 in a response; ignored in a request.
    pub nlmsg_pid: u32,
}

/// `struct nlattr`: the header of an attribute; its payload follows.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct NlAttr {
    /// Length of the attribute, this header included, its trailing padding
    /// excluded.
    pub nla_len: u16,
    /// Attribute type: for task_diag, a group number ([`TASK_DIAG_BASE`] ...
    /// [`TASK_DIAG_NAME`]).
    pub nla_type: u16,
}

// ---------------------------------------------------------------------------
// task_diag constants.

/// `TASK_DIAG_CMD_GET`: `nlmsg_type` of every task message of a response.
pub const TASK_DIAG_CMD_GET: u16 = 0xd101;
/// `TASK_DIAG_FLAG_CONT`: in [`TaskDiagMsg::flags`], the task continues in
/// the next message.
pub const TASK_DIAG_FLAG_CONT: u32 = 0x1;
/// `TASK_DIAG_COMM_LEN`: the size of [`TaskDiagBase::comm`], NUL included.
pub const TASK_DIAG_COMM_LEN: usize = 16;

/// `TASK_DIAG_BASE`: group and attribute type of [`TaskDiagBase`].
pub const TASK_DIAG_BASE: u16 = 0;
/// `TASK_DIAG_CRED`: group and attribute type of [`TaskDiagCreds`].
pub const TASK_DIAG_CRED: u16 = 1;
/// `TASK_DIAG_VMA`: group and attribute type of a list of [`TaskDiagVma`]
/// records.
pub const TASK_DIAG_VMA: u16 = 2;
/// `TASK_DIAG_VMA_STAT`: group that adds a [`TaskDiagVmaStat`] to each
/// record of the [`TASK_DIAG_VMA`] attribute; it has no attribute of its own.
pub const TASK_DIAG_VMA_STAT: u16 = 3;
/// `TASK_DIAG_STAT`: group and attribute type of [`TaskDiagStat`].
pub const TASK_DIAG_STAT: u16 = 4;
/// `TASK_DIAG_STATM`: group and attribute type of [`TaskDiagStatm`].
pub const TASK_DIAG_STATM: u16 = 5;
/// `TASK_DIAG_CMDLINE`: group and attribute type of the command line, the
/// bytes of `/proc/PID/cmdline`.
pub const TASK_DIAG_CMDLINE: u16 = 6;
/// `TASK_DIAG_NAME`: group and attribute type of the name field 2 of
/// `/proc/PID/stat` shows (the comm, or a kernel thread's or workqueue
/// worker's longer name): NUL-terminated, at most [`TASK_DIAG_NAME_LEN`]
/// bytes.
pub const TASK_DIAG_NAME: u16 = 7;
/// `TASK_DIAG_ATTR_MAX`: the highest group number.
pub const TASK_DIAG_ATTR_MAX: u16 = TASK_DIAG_NAME;

/// `TASK_DIAG_SHOW_BASE`: request [`TASK_DIAG_BASE`].
pub const TASK_DIAG_SHOW_BASE: u64 = 1 << TASK_DIAG_BASE;
/// `TASK_DIAG_SHOW_CRED`: request [`TASK_DIAG_CRED`].
pub const TASK_DIAG_SHOW_CRED: u64 = 1 << TASK_DIAG_CRED;
/// `TASK_DIAG_SHOW_VMA`: request [`TASK_DIAG_VMA`].
pub const TASK_DIAG_SHOW_VMA: u64 = 1 << TASK_DIAG_VMA;
/// `TASK_DIAG_SHOW_VMA_STAT`: add statistics to the [`TASK_DIAG_VMA`]
/// records.
pub const TASK_DIAG_SHOW_VMA_STAT: u64 = 1 << TASK_DIAG_VMA_STAT;
/// `TASK_DIAG_SHOW_STAT`: request [`TASK_DIAG_STAT`].
pub const TASK_DIAG_SHOW_STAT: u64 = 1 << TASK_DIAG_STAT;
/// `TASK_DIAG_SHOW_STATM`: request [`TASK_DIAG_STATM`].
pub const TASK_DIAG_SHOW_STATM: u64 = 1 << TASK_DIAG_STATM;
/// `TASK_DIAG_SHOW_CMDLINE`: request [`TASK_DIAG_CMDLINE`].
pub const TASK_DIAG_SHOW_CMDLINE: u64 = 1 << TASK_DIAG_CMDLINE;
/// `TASK_DIAG_SHOW_NAME`: request [`TASK_DIAG_NAME`].
pub const TASK_DIAG_SHOW_NAME: u64 = 1 << TASK_DIAG_NAME;

/// `TASK_DIAG_NAME_LEN`: the longest [`TASK_DIAG_NAME`] payload, its NUL
/// included: a kernel thread's full name or a workqueue worker's
/// `kworker/u8:1-events_unbound`.
pub const TASK_DIAG_NAME_LEN: usize = 64;

/// `TASK_DIAG_DUMP_ALL`: every thread-group leader, in pid order.
pub const TASK_DIAG_DUMP_ALL: u64 = 0;
/// `TASK_DIAG_DUMP_ONE`: the task [`TaskDiagPid::pid`].
pub const TASK_DIAG_DUMP_ONE: u64 = 1;
/// `TASK_DIAG_DUMP_ALL_THREAD`: every thread, in pid order.
pub const TASK_DIAG_DUMP_ALL_THREAD: u64 = 2;
/// `TASK_DIAG_DUMP_CHILDREN`: the children of [`TaskDiagPid::pid`].
pub const TASK_DIAG_DUMP_CHILDREN: u64 = 3;
/// `TASK_DIAG_DUMP_THREAD`: the threads of the group of
/// [`TaskDiagPid::pid`].
pub const TASK_DIAG_DUMP_THREAD: u64 = 4;

/// `TASK_DIAG_RUNNING`: [`TaskDiagBase::state`] `R`.
pub const TASK_DIAG_RUNNING: u8 = 0;
/// `TASK_DIAG_INTERRUPTIBLE`: [`TaskDiagBase::state`] `S`.
pub const TASK_DIAG_INTERRUPTIBLE: u8 = 1;
/// `TASK_DIAG_UNINTERRUPTIBLE`: [`TaskDiagBase::state`] `D`.
pub const TASK_DIAG_UNINTERRUPTIBLE: u8 = 2;
/// `TASK_DIAG_STOPPED`: [`TaskDiagBase::state`] `T`.
pub const TASK_DIAG_STOPPED: u8 = 3;
/// `TASK_DIAG_TRACE_STOP`: [`TaskDiagBase::state`] `t`.
pub const TASK_DIAG_TRACE_STOP: u8 = 4;
/// `TASK_DIAG_DEAD`: [`TaskDiagBase::state`] `X`.
pub const TASK_DIAG_DEAD: u8 = 5;
/// `TASK_DIAG_ZOMBIE`: [`TaskDiagBase::state`] `Z`.
pub const TASK_DIAG_ZOMBIE: u8 = 6;
/// `TASK_DIAG_PARKED`: [`TaskDiagBase::state`] `P`.
pub const TASK_DIAG_PARKED: u8 = 7;
/// `TASK_DIAG_IDLE`: [`TaskDiagBase::state`] `I`.
pub const TASK_DIAG_IDLE: u8 = 8;

macro_rules! vma_flags {
    ($($(#[$doc:meta])* $name:ident = $bit:literal;)*) => {
        $($(#[$doc])* pub const $name: u32 = $bit;)*
    };
}

vma_flags! {
    /// `TASK_DIAG_VMA_F_READ`: bit number in [`TaskDiagVma::vm_flags`], readable.
    TASK_DIAG_VMA_F_READ = 0;
    /// `TASK_DIAG_VMA_F_WRITE`: bit number, writable.
    TASK_DIAG_VMA_F_WRITE = 1;
    /// `TASK_DIAG_VMA_F_EXEC`: bit number, executable.
    TASK_DIAG_VMA_F_EXEC = 2;
    /// `TASK_DIAG_VMA_F_SHARED`: bit number, shared.
    TASK_DIAG_VMA_F_SHARED = 3;
    /// `TASK_DIAG_VMA_F_MAYREAD`: bit number, may become readable.
    TASK_DIAG_VMA_F_MAYREAD = 4;
    /// `TASK_DIAG_VMA_F_MAYWRITE`: bit number, may become writable.
    TASK_DIAG_VMA_F_MAYWRITE = 5;
    /// `TASK_DIAG_VMA_F_MAYEXEC`: bit number, may become executable.
    TASK_DIAG_VMA_F_MAYEXEC = 6;
    /// `TASK_DIAG_VMA_F_MAYSHARE`: bit number, may become shared.
    TASK_DIAG_VMA_F_MAYSHARE = 7;
    /// `TASK_DIAG_VMA_F_GROWSDOWN`: bit number, a stack that grows down.
    TASK_DIAG_VMA_F_GROWSDOWN = 8;
    /// `TASK_DIAG_VMA_F_PFNMAP`: bit number, pure page frame numbers.
    TASK_DIAG_VMA_F_PFNMAP = 9;
    /// `TASK_DIAG_VMA_F_DENYWRITE`: bit number, writes to the file denied.
    TASK_DIAG_VMA_F_DENYWRITE = 10;
    /// `TASK_DIAG_VMA_F_MPX`: bit number, an MPX bounds table.
    TASK_DIAG_VMA_F_MPX = 11;
    /// `TASK_DIAG_VMA_F_LOCKED`: bit number, locked in memory.
    TASK_DIAG_VMA_F_LOCKED = 12;
    /// `TASK_DIAG_VMA_F_IO`: bit number, memory-mapped I/O.
    TASK_DIAG_VMA_F_IO = 13;
    /// `TASK_DIAG_VMA_F_SEQ_READ`: bit number, sequential read advised.
    TASK_DIAG_VMA_F_SEQ_READ = 14;
    /// `TASK_DIAG_VMA_F_RAND_READ`: bit number, random read advised.
    TASK_DIAG_VMA_F_RAND_READ = 15;
    /// `TASK_DIAG_VMA_F_DONTCOPY`: bit number, not copied on fork.
    TASK_DIAG_VMA_F_DONTCOPY = 16;
    /// `TASK_DIAG_VMA_F_DONTEXPAND`: bit number, cannot be expanded by mremap.
    TASK_DIAG_VMA_F_DONTEXPAND = 17;
    /// `TASK_DIAG_VMA_F_ACCOUNT`: bit number, accounted.
    TASK_DIAG_VMA_F_ACCOUNT = 18;
    /// `TASK_DIAG_VMA_F_NORESERVE`: bit number, no swap space reserved.
    TASK_DIAG_VMA_F_NORESERVE = 19;
    /// `TASK_DIAG_VMA_F_HUGETLB`: bit number, a hugetlbfs mapping.
    TASK_DIAG_VMA_F_HUGETLB = 20;
    /// `TASK_DIAG_VMA_F_ARCH_1`: bit number, architecture specific.
    TASK_DIAG_VMA_F_ARCH_1 = 21;
    /// `TASK_DIAG_VMA_F_DONTDUMP`: bit number, left out of core dumps.
    TASK_DIAG_VMA_F_DONTDUMP = 22;
    /// `TASK_DIAG_VMA_F_SOFTDIRTY`: bit number, soft-dirty.
    TASK_DIAG_VMA_F_SOFTDIRTY = 23;
    /// `TASK_DIAG_VMA_F_MIXEDMAP`: bit number, mixed page frames and pages.
    TASK_DIAG_VMA_F_MIXEDMAP = 24;
    /// `TASK_DIAG_VMA_F_HUGEPAGE`: bit number, huge pages advised.
    TASK_DIAG_VMA_F_HUGEPAGE = 25;
    /// `TASK_DIAG_VMA_F_NOHUGEPAGE`: bit number, huge pages refused.
    TASK_DIAG_VMA_F_NOHUGEPAGE = 26;
    /// `TASK_DIAG_VMA_F_MERGEABLE`: bit number, KSM may merge its pages.
    TASK_DIAG_VMA_F_MERGEABLE = 27;
}

// ---------------------------------------------------------------------------
// task_diag structures.

/// `struct task_diag_pid`: a request, the payload after its [`NlMsgHdr`].
///
/// [`Request`](crate::request::Request) builds one with typed values.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagPid {
    /// The groups to send: `TASK_DIAG_SHOW_*` bits; any other bit is refused.
    pub show_flags: u64,
    /// The tasks to describe: a `TASK_DIAG_DUMP_*` value.
    pub dump_strategy: u64,
    /// The task that `DUMP_ONE`, `DUMP_CHILDREN` and `DUMP_THREAD` act on.
    pub pid: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// `struct task_diag_msg`: the first payload of every task message.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagMsg {
    /// The task's pid.
    pub pid: u32,
    /// The task's thread-group id.
    pub tgid: u32,
    /// [`TASK_DIAG_FLAG_CONT`] when the task continues in the next message.
    pub flags: u32,
}

impl TaskDiagMsg {
    /// Whether [`TASK_DIAG_FLAG_CONT`] is set: the task continues in the next
    /// message.
    pub const fn is_continued(&self) -> bool {
        self.flags & TASK_DIAG_FLAG_CONT != 0
    }
}

/// `struct task_diag_base`: the [`TASK_DIAG_BASE`] attribute.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagBase {
    /// Thread-group id.
    pub tgid: u32,
    /// Pid (thread id).
    pub pid: u32,
    /// Pid of the parent; 0 when the parent is outside the pid namespace.
    pub ppid: u32,
    /// Pid of the tracer; 0 when not traced.
    pub tpid: u32,
    /// Session id.
    pub sid: u32,
    /// Process-group id.
    pub pgid: u32,
    /// A `TASK_DIAG_RUNNING` ... `TASK_DIAG_IDLE` value; see
    /// [`TaskState`](crate::TaskState).
    pub state: u8,
    /// The command name, NUL-terminated and NUL-padded (C `char[16]`).
    pub comm: [u8; TASK_DIAG_COMM_LEN],
    /// Zero.
    pub reserved: [u8; 3],
}

impl TaskDiagBase {
    /// The command name: [`comm`](Self::comm) up to its first NUL.
    pub fn comm_bytes(&self) -> &[u8] {
        let end = self
            .comm
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.comm.len());
        self.comm.get(..end).unwrap_or(&self.comm)
    }

    /// The state, typed.
    pub fn task_state(&self) -> Result<crate::TaskState, crate::UnknownTaskState> {
        crate::TaskState::try_from(self.state)
    }
}

/// `struct task_diag_caps`: a capability set.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagCaps {
    /// Capability `n` is bit `n % 32` of `cap[n / 32]`.
    pub cap: [u32; 2],
}

impl TaskDiagCaps {
    /// The set as one `u64`, capability `n` at bit `n`.
    pub const fn bits(&self) -> u64 {
        (self.cap[1] as u64) << 32 | self.cap[0] as u64
    }

    /// Whether capability number `cap` (a `CAP_*` value) is in the set.
    pub const fn has(&self, cap: u32) -> bool {
        cap < 64 && self.bits() & (1 << cap) != 0
    }
}

/// `struct task_diag_creds`: the [`TASK_DIAG_CRED`] attribute. Ids are mapped
/// into the user namespace of the reader.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagCreds {
    /// Inheritable capabilities.
    pub cap_inheritable: TaskDiagCaps,
    /// Permitted capabilities.
    pub cap_permitted: TaskDiagCaps,
    /// Effective capabilities.
    pub cap_effective: TaskDiagCaps,
    /// Capability bounding set.
    pub cap_bset: TaskDiagCaps,
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
}

/// `struct task_diag_vma`: one record of the [`TASK_DIAG_VMA`] attribute,
/// followed in the record by an optional [`TaskDiagVmaStat`] and an optional
/// NUL-terminated name.
///
/// [`VmaIter`](crate::response::VmaIter) walks the records and checks their
/// offsets and lengths.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagVma {
    /// First address of the mapping.
    pub start: u64,
    /// First address past the mapping.
    pub end: u64,
    /// Bits numbered by the `TASK_DIAG_VMA_F_*` constants (not the kernel's
    /// `VM_*`).
    pub vm_flags: u64,
    /// Offset in the file, in bytes.
    pub pgoff: u64,
    /// Major number of the file's device.
    pub major: u32,
    /// Minor number of the file's device.
    pub minor: u32,
    /// Inode number of the file; 0 when anonymous.
    pub inode: u64,
    /// Inode generation of the file.
    pub generation: u32,
    /// Length of the whole record (this structure, its statistics, its name
    /// and padding): a multiple of 8; the next record starts `vma_len` bytes
    /// after this one.
    pub vma_len: u16,
    /// Offset of the name from the start of the record; 0 when none.
    pub name_off: u16,
    /// Length of the name, its NUL included; 0 when none.
    pub name_len: u16,
    /// Offset of the [`TaskDiagVmaStat`] from the start of the record; 0
    /// when none.
    pub stat_off: u16,
    /// Length of the [`TaskDiagVmaStat`]; 0 when none.
    pub stat_len: u16,
    /// Zero.
    pub reserved: u16,
}

impl TaskDiagVma {
    /// Whether flag bit `bit` (a `TASK_DIAG_VMA_F_*` value) is set in
    /// [`vm_flags`](Self::vm_flags).
    pub const fn has_flag(&self, bit: u32) -> bool {
        bit < 64 && self.vm_flags & (1 << bit) != 0
    }
}

/// `struct task_diag_vma_stat`: the statistics of one mapping, in bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagVmaStat {
    /// Resident set size.
    pub resident: u64,
    /// Clean pages mapped by more than one process.
    pub shared_clean: u64,
    /// Dirty pages mapped by more than one process.
    pub shared_dirty: u64,
    /// Clean pages mapped by this process only.
    pub private_clean: u64,
    /// Dirty pages mapped by this process only.
    pub private_dirty: u64,
    /// Pages marked referenced or accessed.
    pub referenced: u64,
    /// Pages that belong to no file.
    pub anonymous: u64,
    /// Anonymous memory in transparent huge pages.
    pub anonymous_thp: u64,
    /// Anonymous memory swapped out.
    pub swap: u64,
    /// Proportional set size, in fixed point: bytes << 12.
    pub pss: u64,
}

/// `TASK_DIAG_STAT_SIZE_VER0`: the length of [`TaskDiagStat`] as published,
/// before the appended fields: the size of [`TaskDiagStatVer0`].
pub const TASK_DIAG_STAT_SIZE_VER0: usize = 72;

/// `struct task_diag_stat`: the [`TASK_DIAG_STAT`] attribute.
///
/// Faults and times are those of the whole thread group for
/// `TASK_DIAG_DUMP_ALL`, `_CHILDREN` and `_ONE` of a thread-group leader (as
/// `/proc/PID/stat`), those of the thread itself otherwise (as
/// `/proc/PID/task/TID/stat`); [`threads`](Self::threads) is always the
/// group's.
///
/// The fields from [`start_time`](Self::start_time) on were appended to the
/// published 72-byte structure ([`TASK_DIAG_STAT_SIZE_VER0`],
/// [`TaskDiagStatVer0`]): a kernel without them sends 72 bytes.
/// [`Stat`](crate::response::Stat) reads either.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagStat {
    /// Minor faults.
    pub minflt: u64,
    /// Minor faults of the waited-for children.
    pub cminflt: u64,
    /// Major faults.
    pub majflt: u64,
    /// Major faults of the waited-for children.
    pub cmajflt: u64,
    /// User time, in clock ticks (`sysconf(_SC_CLK_TCK)`).
    pub utime: u64,
    /// System time, in clock ticks.
    pub stime: u64,
    /// User time of the waited-for children, in clock ticks.
    pub cutime: u64,
    /// System time of the waited-for children, in clock ticks.
    pub cstime: u64,
    /// Number of threads in the thread group.
    pub threads: u32,
    /// Zero.
    pub reserved: u32,
    /// When the task started, in clock ticks after boot (field 22 of
    /// `/proc/PID/stat`, the reader's time namespace applied). Appended.
    pub start_time: u64,
    /// The controlling terminal, encoded as field 7 of `/proc/PID/stat`
    /// (`new_encode_dev()`); 0 when none. Appended.
    pub tty_nr: u32,
    /// The terminal's foreground process group, in the pid namespace of the
    /// procfs mount; -1 when none or not visible there. Appended.
    pub tpgid: i32,
    /// Nice value, -20 to 19. Appended.
    pub nice: i32,
    /// Priority, as field 18 of `/proc/PID/stat`. Appended.
    pub priority: i32,
    /// Real-time priority, 0 for normal policies. Appended.
    pub rt_priority: u32,
    /// Scheduling policy, a `SCHED_*` value. Appended.
    pub policy: u32,
    /// The CPU the task last ran on. Appended.
    pub processor: u32,
    /// The task's `PF_*` flags, as field 9 of `/proc/PID/stat`. Appended.
    pub flags: u32,
}

impl TaskDiagStat {
    /// The published prefix: the fields up to [`reserved`](Self::reserved),
    /// without the appended ones.
    pub const fn ver0(&self) -> TaskDiagStatVer0 {
        TaskDiagStatVer0 {
            minflt: self.minflt,
            cminflt: self.cminflt,
            majflt: self.majflt,
            cmajflt: self.cmajflt,
            utime: self.utime,
            stime: self.stime,
            cutime: self.cutime,
            cstime: self.cstime,
            threads: self.threads,
            reserved: self.reserved,
        }
    }
}

/// The first [`TASK_DIAG_STAT_SIZE_VER0`] bytes of [`TaskDiagStat`]: the
/// structure as published, which every kernel sends. Not a C structure of
/// its own: its fields have the offsets and sizes of the same fields of
/// `struct task_diag_stat` (checked by `tests/layout.rs`).
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagStatVer0 {
    /// Minor faults.
    pub minflt: u64,
    /// Minor faults of the waited-for children.
    pub cminflt: u64,
    /// Major faults.
    pub majflt: u64,
    /// Major faults of the waited-for children.
    pub cmajflt: u64,
    /// User time, in clock ticks (`sysconf(_SC_CLK_TCK)`).
    pub utime: u64,
    /// System time, in clock ticks.
    pub stime: u64,
    /// User time of the waited-for children, in clock ticks.
    pub cutime: u64,
    /// System time of the waited-for children, in clock ticks.
    pub cstime: u64,
    /// Number of threads in the thread group.
    pub threads: u32,
    /// Zero.
    pub reserved: u32,
}

/// `struct task_diag_statm`: the [`TASK_DIAG_STATM`] attribute.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default,
)]
#[repr(C)]
pub struct TaskDiagStatm {
    /// Resident anonymous memory, in pages.
    pub anon: u64,
    /// Resident file mappings, in pages.
    pub file: u64,
    /// Resident shared memory, in pages.
    pub shmem: u64,
    /// Peak virtual memory size, in pages.
    pub hiwater_vm: u64,
    /// Peak resident set size, in pages.
    pub hiwater_rss: u64,
    /// Size of the text (code) mapping, in pages.
    pub text: u64,
    /// Size of the shared-library code, in pages.
    pub lib: u64,
    /// Anonymous memory swapped out, in pages.
    pub swap: u64,
    /// Size of the page tables, in bytes.
    pub ptes: u64,
    /// Resident set size, in pages.
    pub total_rss: u64,
    /// Virtual memory size, in pages.
    pub total_vm: u64,
    /// Size of the private writable mappings, in pages.
    pub data_vm: u64,
    /// Size of the stack mappings, in pages.
    pub stack_vm: u64,
    /// Locked memory, in pages.
    pub locked_vm: u64,
    /// Pinned memory, in pages.
    pub pinned_vm: u64,
}

// The sizes of section 1 of the ABI, on every target.
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<NlMsgHdr>() == 16);
    assert!(size_of::<NlAttr>() == 4);
    assert!(size_of::<TaskDiagPid>() == 24);
    assert!(size_of::<TaskDiagMsg>() == 12);
    assert!(size_of::<TaskDiagBase>() == 44);
    assert!(size_of::<TaskDiagCaps>() == 8);
    assert!(size_of::<TaskDiagCreds>() == 64);
    assert!(size_of::<TaskDiagVma>() == 64);
    assert!(size_of::<TaskDiagVmaStat>() == 80);
    assert!(size_of::<TaskDiagStat>() == 112);
    assert!(size_of::<TaskDiagStatVer0>() == TASK_DIAG_STAT_SIZE_VER0);
    assert!(size_of::<TaskDiagStatm>() == 120);
};
