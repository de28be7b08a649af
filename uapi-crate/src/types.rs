// SPDX-License-Identifier: MIT OR Apache-2.0

//! Typed forms of the numbers of the ABI: [`ShowFlags`], [`DumpStrategy`],
//! [`TaskState`] and [`Group`].

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign};

use crate::abi;

/// An attribute group: the `nla_type` of an attribute of a task message and
/// the bit number of its [`ShowFlags`] flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum Group {
    /// `TASK_DIAG_BASE`: ids, state and command name ([`abi::TaskDiagBase`]).
    Base = abi::TASK_DIAG_BASE,
    /// `TASK_DIAG_CRED`: credentials ([`abi::TaskDiagCreds`]).
    Cred = abi::TASK_DIAG_CRED,
    /// `TASK_DIAG_VMA`: memory mappings ([`abi::TaskDiagVma`] records).
    Vma = abi::TASK_DIAG_VMA,
    /// `TASK_DIAG_VMA_STAT`: statistics in each mapping record
    /// ([`abi::TaskDiagVmaStat`]); no attribute of its own.
    VmaStat = abi::TASK_DIAG_VMA_STAT,
    /// `TASK_DIAG_STAT`: faults, times, threads ([`abi::TaskDiagStat`]).
    Stat = abi::TASK_DIAG_STAT,
    /// `TASK_DIAG_STATM`: memory sizes ([`abi::TaskDiagStatm`]).
    Statm = abi::TASK_DIAG_STATM,
    /// `TASK_DIAG_CMDLINE`: the command line, as `/proc/PID/cmdline`.
    Cmdline = abi::TASK_DIAG_CMDLINE,
    /// `TASK_DIAG_NAME`: the name of field 2 of `/proc/PID/stat`, at most
    /// [`abi::TASK_DIAG_NAME_LEN`] bytes with its NUL.
    Name = abi::TASK_DIAG_NAME,
}

impl Group {
    /// Every group, in the order in which attributes are sent.
    pub const ALL: [Group; 8] = [
        Group::Base,
        Group::Cred,
        Group::Vma,
        Group::VmaStat,
        Group::Stat,
        Group::Statm,
        Group::Cmdline,
        Group::Name,
    ];

    /// The group's number: its attribute type and flag bit number.
    pub const fn number(self) -> u16 {
        self as u16
    }

    /// The flag that requests this group.
    pub const fn show_flag(self) -> ShowFlags {
        ShowFlags(1 << self as u16)
    }

    /// The C name's suffix: `"BASE"` for `TASK_DIAG_BASE`.
    pub const fn name(self) -> &'static str {
        match self {
            Group::Base => "BASE",
            Group::Cred => "CRED",
            Group::Vma => "VMA",
            Group::VmaStat => "VMA_STAT",
            Group::Stat => "STAT",
            Group::Statm => "STATM",
            Group::Cmdline => "CMDLINE",
            Group::Name => "NAME",
        }
    }
}

/// The error of [`Group::try_from`]: a number that names no group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownGroup(pub u16);

impl fmt::Display for UnknownGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown task_diag group {}", self.0)
    }
}

impl core::error::Error for UnknownGroup {}

impl TryFrom<u16> for Group {
    type Error = UnknownGroup;

    fn try_from(value: u16) -> Result<Self, Self::Error> {
        match value {
            abi::TASK_DIAG_BASE => Ok(Group::Base),
            abi::TASK_DIAG_CRED => Ok(Group::Cred),
            abi::TASK_DIAG_VMA => Ok(Group::Vma),
            abi::TASK_DIAG_VMA_STAT => Ok(Group::VmaStat),
            abi::TASK_DIAG_STAT => Ok(Group::Stat),
            abi::TASK_DIAG_STATM => Ok(Group::Statm),
            abi::TASK_DIAG_CMDLINE => Ok(Group::Cmdline),
            abi::TASK_DIAG_NAME => Ok(Group::Name),
            other => Err(UnknownGroup(other)),
        }
    }
}

impl From<Group> for u16 {
    fn from(group: Group) -> u16 {
        group.number()
    }
}

/// A set of `TASK_DIAG_SHOW_*` flags: the groups a request asks for
/// ([`abi::TaskDiagPid::show_flags`]).
///
/// Only known bits can be set: [`from_bits`](Self::from_bits) refuses the
/// others, as the kernel does.
///
/// [`VMA_STAT`](Self::VMA_STAT) only adds statistics to the records of
/// [`VMA`](Self::VMA) and has no attribute of its own: alone, it asks for
/// nothing. The set allows it (it is a valid `show_flags` value);
/// [`check`](Self::check) and [`Request::check`](crate::Request::check)
/// refuse it.
///
/// ```
/// use task_diag_uapi::{Group, ShowFlags};
///
/// let flags = ShowFlags::BASE | ShowFlags::CMDLINE;
/// assert_eq!(flags.bits(), 0x41);
/// assert!(flags.contains(ShowFlags::BASE));
/// assert!(!flags.contains(ShowFlags::all()));
/// assert_eq!(ShowFlags::from_bits(1 << 8), None);
/// assert_eq!(ShowFlags::NAME.bits(), 1 << 7);
/// assert!(ShowFlags::VMA_STAT.check().is_err());
/// assert!((ShowFlags::VMA | ShowFlags::VMA_STAT).check().is_ok());
/// assert!(flags.groups().eq([Group::Base, Group::Cmdline]));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ShowFlags(u64);

impl ShowFlags {
    /// `TASK_DIAG_SHOW_BASE`.
    pub const BASE: Self = Self(abi::TASK_DIAG_SHOW_BASE);
    /// `TASK_DIAG_SHOW_CRED`.
    pub const CRED: Self = Self(abi::TASK_DIAG_SHOW_CRED);
    /// `TASK_DIAG_SHOW_VMA`.
    pub const VMA: Self = Self(abi::TASK_DIAG_SHOW_VMA);
    /// `TASK_DIAG_SHOW_VMA_STAT`: statistics in each record of
    /// [`VMA`](Self::VMA), which it needs.
    pub const VMA_STAT: Self = Self(abi::TASK_DIAG_SHOW_VMA_STAT);
    /// `TASK_DIAG_SHOW_STAT`.
    pub const STAT: Self = Self(abi::TASK_DIAG_SHOW_STAT);
    /// `TASK_DIAG_SHOW_STATM`.
    pub const STATM: Self = Self(abi::TASK_DIAG_SHOW_STATM);
    /// `TASK_DIAG_SHOW_CMDLINE`.
    pub const CMDLINE: Self = Self(abi::TASK_DIAG_SHOW_CMDLINE);
    /// `TASK_DIAG_SHOW_NAME`.
    pub const NAME: Self = Self(abi::TASK_DIAG_SHOW_NAME);

    const ALL_BITS: u64 = abi::TASK_DIAG_SHOW_BASE
        | abi::TASK_DIAG_SHOW_CRED
        | abi::TASK_DIAG_SHOW_VMA
        | abi::TASK_DIAG_SHOW_VMA_STAT
        | abi::TASK_DIAG_SHOW_STAT
        | abi::TASK_DIAG_SHOW_STATM
        | abi::TASK_DIAG_SHOW_CMDLINE
        | abi::TASK_DIAG_SHOW_NAME;

    /// No group.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Every group.
    pub const fn all() -> Self {
        Self(Self::ALL_BITS)
    }

    /// The set as `show_flags` bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set of `bits`, or `None` when a bit names no group.
    pub const fn from_bits(bits: u64) -> Option<Self> {
        if bits & !Self::ALL_BITS == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The set of the known bits of `bits`, the others dropped.
    pub const fn from_bits_truncate(bits: u64) -> Self {
        Self(bits & Self::ALL_BITS)
    }

    /// Whether no group is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every group of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The groups of `self` and of `other`.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The groups in both `self` and `other`.
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// `self`, unless it has [`VMA_STAT`](Self::VMA_STAT) without
    /// [`VMA`](Self::VMA), which asks for statistics of records that are
    /// not requested.
    pub const fn check(self) -> Result<Self, VmaStatWithoutVma> {
        if self.contains(Self::VMA_STAT) && !self.contains(Self::VMA) {
            Err(VmaStatWithoutVma)
        } else {
            Ok(self)
        }
    }

    /// The groups of the set, in attribute order.
    pub fn groups(self) -> impl Iterator<Item = Group> + Clone {
        Group::ALL
            .into_iter()
            .filter(move |g| self.contains(g.show_flag()))
    }
}

impl BitOr for ShowFlags {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl BitOrAssign for ShowFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        *self = self.union(rhs);
    }
}

impl BitAnd for ShowFlags {
    type Output = Self;

    fn bitand(self, rhs: Self) -> Self {
        self.intersection(rhs)
    }
}

impl From<Group> for ShowFlags {
    fn from(group: Group) -> Self {
        group.show_flag()
    }
}

impl From<ShowFlags> for u64 {
    fn from(flags: ShowFlags) -> u64 {
        flags.bits()
    }
}

impl fmt::Debug for ShowFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShowFlags(")?;
        let mut first = true;
        for group in self.groups() {
            if !first {
                f.write_str(" | ")?;
            }
            first = false;
            f.write_str(group.name())?;
        }
        if first {
            f.write_str("empty")?;
        }
        f.write_str(")")
    }
}

/// The error of [`ShowFlags::check`]: [`ShowFlags::VMA_STAT`] without
/// [`ShowFlags::VMA`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VmaStatWithoutVma;

impl fmt::Display for VmaStatWithoutVma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TASK_DIAG_SHOW_VMA_STAT without TASK_DIAG_SHOW_VMA asks for nothing")
    }
}

impl core::error::Error for VmaStatWithoutVma {}

/// Which tasks a request describes ([`abi::TaskDiagPid::dump_strategy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum DumpStrategy {
    /// `TASK_DIAG_DUMP_ALL`: every thread-group leader, in pid order.
    All = abi::TASK_DIAG_DUMP_ALL,
    /// `TASK_DIAG_DUMP_ONE`: the task of the request's pid.
    One = abi::TASK_DIAG_DUMP_ONE,
    /// `TASK_DIAG_DUMP_ALL_THREAD`: every thread, in pid order.
    AllThread = abi::TASK_DIAG_DUMP_ALL_THREAD,
    /// `TASK_DIAG_DUMP_CHILDREN`: the children of the request's pid.
    Children = abi::TASK_DIAG_DUMP_CHILDREN,
    /// `TASK_DIAG_DUMP_THREAD`: the threads of the group of the request's
    /// pid.
    Thread = abi::TASK_DIAG_DUMP_THREAD,
}

impl DumpStrategy {
    /// The `dump_strategy` value.
    pub const fn value(self) -> u64 {
        self as u64
    }

    /// Whether the strategy acts on the request's pid (`ONE`, `CHILDREN`,
    /// `THREAD`); the others ignore it.
    pub const fn uses_pid(self) -> bool {
        matches!(
            self,
            DumpStrategy::One | DumpStrategy::Children | DumpStrategy::Thread
        )
    }
}

/// The error of [`DumpStrategy::try_from`]: a value that names no strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownDumpStrategy(pub u64);

impl fmt::Display for UnknownDumpStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown task_diag dump strategy {}", self.0)
    }
}

impl core::error::Error for UnknownDumpStrategy {}

impl TryFrom<u64> for DumpStrategy {
    type Error = UnknownDumpStrategy;

    fn try_from(value: u64) -> Result<Self, Self::Error> {
        match value {
            abi::TASK_DIAG_DUMP_ALL => Ok(DumpStrategy::All),
            abi::TASK_DIAG_DUMP_ONE => Ok(DumpStrategy::One),
            abi::TASK_DIAG_DUMP_ALL_THREAD => Ok(DumpStrategy::AllThread),
            abi::TASK_DIAG_DUMP_CHILDREN => Ok(DumpStrategy::Children),
            abi::TASK_DIAG_DUMP_THREAD => Ok(DumpStrategy::Thread),
            other => Err(UnknownDumpStrategy(other)),
        }
    }
}

impl From<DumpStrategy> for u64 {
    fn from(strategy: DumpStrategy) -> u64 {
        strategy.value()
    }
}

/// A task's state ([`abi::TaskDiagBase::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TaskState {
    /// `TASK_DIAG_RUNNING`: running or runnable, `R`.
    Running = abi::TASK_DIAG_RUNNING,
    /// `TASK_DIAG_INTERRUPTIBLE`: sleeping, `S`.
    Interruptible = abi::TASK_DIAG_INTERRUPTIBLE,
    /// `TASK_DIAG_UNINTERRUPTIBLE`: in uninterruptible sleep, `D`.
    Uninterruptible = abi::TASK_DIAG_UNINTERRUPTIBLE,
    /// `TASK_DIAG_STOPPED`: stopped by a signal, `T`.
    Stopped = abi::TASK_DIAG_STOPPED,
    /// `TASK_DIAG_TRACE_STOP`: stopped by its tracer, `t`.
    TraceStop = abi::TASK_DIAG_TRACE_STOP,
    /// `TASK_DIAG_DEAD`: dead, `X`.
    Dead = abi::TASK_DIAG_DEAD,
    /// `TASK_DIAG_ZOMBIE`: exited, not yet reaped, `Z`.
    Zombie = abi::TASK_DIAG_ZOMBIE,
    /// `TASK_DIAG_PARKED`: a parked kernel thread, `P`.
    Parked = abi::TASK_DIAG_PARKED,
    /// `TASK_DIAG_IDLE`: an idle kernel thread, `I`.
    Idle = abi::TASK_DIAG_IDLE,
}

impl TaskState {
    /// The letter `ps` and `/proc/PID/stat` show, from `"RSDTtXZPI"`.
    pub const fn letter(self) -> char {
        match self {
            TaskState::Running => 'R',
            TaskState::Interruptible => 'S',
            TaskState::Uninterruptible => 'D',
            TaskState::Stopped => 'T',
            TaskState::TraceStop => 't',
            TaskState::Dead => 'X',
            TaskState::Zombie => 'Z',
            TaskState::Parked => 'P',
            TaskState::Idle => 'I',
        }
    }
}

/// The error of [`TaskState::try_from`]: a value that names no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownTaskState(pub u8);

impl fmt::Display for UnknownTaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown task_diag task state {}", self.0)
    }
}

impl core::error::Error for UnknownTaskState {}

impl TryFrom<u8> for TaskState {
    type Error = UnknownTaskState;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            abi::TASK_DIAG_RUNNING => Ok(TaskState::Running),
            abi::TASK_DIAG_INTERRUPTIBLE => Ok(TaskState::Interruptible),
            abi::TASK_DIAG_UNINTERRUPTIBLE => Ok(TaskState::Uninterruptible),
            abi::TASK_DIAG_STOPPED => Ok(TaskState::Stopped),
            abi::TASK_DIAG_TRACE_STOP => Ok(TaskState::TraceStop),
            abi::TASK_DIAG_DEAD => Ok(TaskState::Dead),
            abi::TASK_DIAG_ZOMBIE => Ok(TaskState::Zombie),
            abi::TASK_DIAG_PARKED => Ok(TaskState::Parked),
            abi::TASK_DIAG_IDLE => Ok(TaskState::Idle),
            other => Err(UnknownTaskState(other)),
        }
    }
}

impl From<TaskState> for u8 {
    fn from(state: TaskState) -> u8 {
        state as u8
    }
}
