// SPDX-License-Identifier: MIT OR Apache-2.0

//! Checked, borrowing iterators over the bytes read from `/proc/task_diag`.
//!
//! Three levels, each an iterator of `Result<_, ParseError>`:
//!
//! - [`Messages`] walks whole netlink messages of a response buffer and
//!   sorts them into [`MessageKind`]s: a task message, `NLMSG_DONE`,
//!   `NLMSG_ERROR`, or another type.
//! - [`Attrs`] walks the attributes of a task message and decodes each into
//!   an [`Attr`].
//! - [`VmaIter`] walks the records of a [`TASK_DIAG_VMA`] attribute.
//!
//! Structures are copied out of the buffer, never referenced in it, since
//! netlink payloads are only 4-byte aligned. An attribute or record longer
//! than the structure this crate knows (a newer kernel) is accepted and its
//! known prefix read; a shorter one is an error.
//!
//! Every iterator is fused and stops at the first malformed item: it yields
//! that error once, then `None`. No input makes them panic, and each step
//! moves forward by at least 4 bytes, so they always end.
//!
//! Error offsets count from the start of the buffer given to the outermost
//! iterator ([`Messages::new`], [`Attrs::new`] or [`VmaIter::new`]).

use core::fmt;
use core::iter::FusedIterator;

use zerocopy::{FromBytes, Immutable, KnownLayout};

use crate::abi::{
    NlAttr, NlMsgHdr, TaskDiagBase, TaskDiagCreds, TaskDiagMsg, TaskDiagStat, TaskDiagStatm,
    TaskDiagVma, TaskDiagVmaStat, NLA_ALIGNTO, NLA_HDRLEN, NLMSG_ALIGNTO, NLMSG_DONE, NLMSG_ERROR,
    NLMSG_HDRLEN, TASK_DIAG_BASE, TASK_DIAG_CMDLINE, TASK_DIAG_CMD_GET, TASK_DIAG_CRED,
    TASK_DIAG_STAT, TASK_DIAG_STATM, TASK_DIAG_VMA,
};

/// The structure a too-short payload should have held, in
/// [`ParseError::ShortPayload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Payload {
    /// The [`TaskDiagMsg`] of a task message.
    TaskMsg,
    /// The `int` of an `NLMSG_DONE` message.
    Done,
    /// The `int` of an `NLMSG_ERROR` message.
    Error,
    /// A [`TaskDiagBase`] attribute.
    Base,
    /// A [`TaskDiagCreds`] attribute.
    Creds,
    /// A [`TaskDiagStat`] attribute.
    Stat,
    /// A [`TaskDiagStatm`] attribute.
    Statm,
    /// The [`TaskDiagVmaStat`] of a VMA record.
    VmaStat,
}

impl Payload {
    fn name(self) -> &'static str {
        match self {
            Payload::TaskMsg => "struct task_diag_msg",
            Payload::Done => "NLMSG_DONE int",
            Payload::Error => "NLMSG_ERROR int",
            Payload::Base => "struct task_diag_base",
            Payload::Creds => "struct task_diag_creds",
            Payload::Stat => "struct task_diag_stat",
            Payload::Statm => "struct task_diag_statm",
            Payload::VmaStat => "struct task_diag_vma_stat",
        }
    }
}

/// Why a response buffer could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes remain than a [`NlMsgHdr`] where a message starts.
    TruncatedMessageHeader {
        /// Where the message starts.
        offset: usize,
        /// The bytes left in the buffer.
        remaining: usize,
    },
    /// `nlmsg_len` is smaller than a [`NlMsgHdr`].
    MessageTooShort {
        /// Where the message starts.
        offset: usize,
        /// Its `nlmsg_len`.
        len: u32,
    },
    /// `nlmsg_len` goes past the end of the buffer.
    MessagePastEnd {
        /// Where the message starts.
        offset: usize,
        /// Its `nlmsg_len`.
        len: u32,
        /// The bytes left in the buffer.
        remaining: usize,
    },
    /// Fewer bytes remain than a [`NlAttr`] where an attribute starts.
    TruncatedAttrHeader {
        /// Where the attribute starts.
        offset: usize,
        /// The bytes left in the attributes.
        remaining: usize,
    },
    /// `nla_len` is smaller than a [`NlAttr`].
    AttrTooShort {
        /// Where the attribute starts.
        offset: usize,
        /// Its `nla_len`.
        len: u16,
    },
    /// `nla_len` goes past the end of the message.
    AttrPastEnd {
        /// Where the attribute starts.
        offset: usize,
        /// Its `nla_len`.
        len: u16,
        /// The bytes left in the attributes.
        remaining: usize,
    },
    /// A payload is shorter than the structure it carries.
    ShortPayload {
        /// Where the payload starts.
        offset: usize,
        /// What it should hold.
        payload: Payload,
        /// Its length.
        len: usize,
        /// The size of the structure.
        needed: usize,
    },
    /// Fewer bytes remain than a [`TaskDiagVma`] where a VMA record starts.
    TruncatedVma {
        /// Where the record starts.
        offset: usize,
        /// The bytes left in the attribute.
        remaining: usize,
    },
    /// `vma_len` is smaller than a [`TaskDiagVma`] or not a multiple of 8.
    BadVmaLength {
        /// Where the record starts.
        offset: usize,
        /// Its `vma_len`.
        vma_len: u16,
    },
    /// `vma_len` goes past the end of the attribute.
    VmaPastEnd {
        /// Where the record starts.
        offset: usize,
        /// Its `vma_len`.
        vma_len: u16,
        /// The bytes left in the attribute.
        remaining: usize,
    },
    /// `name_off` and `name_len` do not describe a NUL-terminated name
    /// inside the record, after its [`TaskDiagVma`].
    BadVmaName {
        /// Where the record starts.
        offset: usize,
        /// Its `name_off`.
        name_off: u16,
        /// Its `name_len`.
        name_len: u16,
    },
    /// `stat_off` and `stat_len` do not describe a range inside the record,
    /// after its [`TaskDiagVma`].
    BadVmaStat {
        /// Where the record starts.
        offset: usize,
        /// Its `stat_off`.
        stat_off: u16,
        /// Its `stat_len`.
        stat_len: u16,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::TruncatedMessageHeader { offset, remaining } => write!(
                f,
                "truncated netlink header at {offset}: {remaining} bytes left"
            ),
            ParseError::MessageTooShort { offset, len } => {
                write!(f, "netlink message at {offset}: nlmsg_len {len} < 16")
            }
            ParseError::MessagePastEnd {
                offset,
                len,
                remaining,
            } => write!(
                f,
                "netlink message at {offset}: nlmsg_len {len} past the end, {remaining} bytes left"
            ),
            ParseError::TruncatedAttrHeader { offset, remaining } => write!(
                f,
                "truncated attribute header at {offset}: {remaining} bytes left"
            ),
            ParseError::AttrTooShort { offset, len } => {
                write!(f, "attribute at {offset}: nla_len {len} < 4")
            }
            ParseError::AttrPastEnd {
                offset,
                len,
                remaining,
            } => write!(
                f,
                "attribute at {offset}: nla_len {len} past the end, {remaining} bytes left"
            ),
            ParseError::ShortPayload {
                offset,
                payload,
                len,
                needed,
            } => write!(
                f,
                "payload at {offset}: {len} bytes, {} needs {needed}",
                payload.name()
            ),
            ParseError::TruncatedVma { offset, remaining } => write!(
                f,
                "truncated VMA record at {offset}: {remaining} bytes left"
            ),
            ParseError::BadVmaLength { offset, vma_len } => write!(
                f,
                "VMA record at {offset}: vma_len {vma_len} < 64 or not a multiple of 8"
            ),
            ParseError::VmaPastEnd {
                offset,
                vma_len,
                remaining,
            } => write!(
                f,
                "VMA record at {offset}: vma_len {vma_len} past the end, {remaining} bytes left"
            ),
            ParseError::BadVmaName {
                offset,
                name_off,
                name_len,
            } => write!(
                f,
                "VMA record at {offset}: bad name, name_off {name_off} name_len {name_len}"
            ),
            ParseError::BadVmaStat {
                offset,
                stat_off,
                stat_len,
            } => write!(
                f,
                "VMA record at {offset}: bad statistics, stat_off {stat_off} stat_len {stat_len}"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

/// `len` rounded up to `align` (a power of two), or `None` on overflow.
fn align_up(len: usize, align: usize) -> Option<usize> {
    let mask = align.checked_sub(1)?;
    Some(len.checked_add(mask)? & !mask)
}

/// Copies a `T` out of the start of `payload`, which starts at `offset`;
/// a shorter payload is an error, a longer one is accepted.
fn read_prefix<T: FromBytes + KnownLayout + Immutable>(
    payload: &[u8],
    offset: usize,
    what: Payload,
) -> Result<T, ParseError> {
    match T::read_from_prefix(payload) {
        Ok((value, _)) => Ok(value),
        Err(_) => Err(ParseError::ShortPayload {
            offset,
            payload: what,
            len: payload.len(),
            needed: core::mem::size_of::<T>(),
        }),
    }
}

/// The fuse of the iterators: the offset of the next item, relative to the
/// iterator's slice, or `None` once the end or an error was reached.
type Cursor = Option<usize>;

// ---------------------------------------------------------------------------
// Messages.

/// One netlink message of a response, its header and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    offset: usize,
    header: NlMsgHdr,
    payload: &'a [u8],
    kind: MessageKind<'a>,
}

impl<'a> Message<'a> {
    /// Where the message starts in the buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The message header, copied.
    pub fn header(&self) -> NlMsgHdr {
        self.header
    }

    /// The payload: the `nlmsg_len - 16` bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// What the message is, decoded from its type and payload.
    pub fn kind(&self) -> &MessageKind<'a> {
        &self.kind
    }

    /// The task message, if this is one.
    pub fn task(&self) -> Option<&TaskMessage<'a>> {
        match &self.kind {
            MessageKind::Task(task) => Some(task),
            _ => None,
        }
    }

    /// Whether this is the `NLMSG_DONE` message that ends a dump.
    pub fn is_done(&self) -> bool {
        matches!(self.kind, MessageKind::Done(_))
    }
}

/// What a [`Message`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind<'a> {
    /// A message of type [`TASK_DIAG_CMD_GET`]: one task, or part of one.
    Task(TaskMessage<'a>),
    /// `NLMSG_DONE`, with the `int` of its payload: 0 at the end of a dump.
    Done(i32),
    /// `NLMSG_ERROR`, with the `int` at the start of its payload: a negative
    /// errno, or 0 for an acknowledgement. task_diag reports errors as
    /// `read()` and `write()` return values instead; this is for
    /// completeness.
    Error(i32),
    /// A message of another type; its payload is in
    /// [`Message::payload`].
    Other,
}

/// A task message: its [`TaskDiagMsg`] and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMessage<'a> {
    msg: TaskDiagMsg,
    attrs: &'a [u8],
    attrs_offset: usize,
}

impl<'a> TaskMessage<'a> {
    /// The message's [`TaskDiagMsg`], copied.
    pub fn msg(&self) -> TaskDiagMsg {
        self.msg
    }

    /// The task's pid.
    pub fn pid(&self) -> u32 {
        self.msg.pid
    }

    /// The task's thread-group id.
    pub fn tgid(&self) -> u32 {
        self.msg.tgid
    }

    /// Whether the task continues in the next message
    /// ([`TASK_DIAG_FLAG_CONT`](crate::abi::TASK_DIAG_FLAG_CONT)).
    pub fn is_continued(&self) -> bool {
        self.msg.is_continued()
    }

    /// The bytes of the attributes.
    pub fn attr_bytes(&self) -> &'a [u8] {
        self.attrs
    }

    /// An iterator over the attributes.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::with_base(self.attrs, self.attrs_offset)
    }
}

/// An iterator over the netlink messages of a response buffer: the bytes of
/// one or more `read()`s of `/proc/task_diag`.
///
/// Each message starts at the 4-byte aligned end of the previous one; the
/// padding of the last message may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messages<'a> {
    buf: &'a [u8],
    next: Cursor,
}

impl<'a> Messages<'a> {
    /// An iterator over the messages of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, next: Some(0) }
    }

    fn parse(&self, offset: usize) -> Result<(Message<'a>, usize), ParseError> {
        let rest = self.buf.get(offset..).unwrap_or_default();
        let header = match NlMsgHdr::read_from_prefix(rest) {
            Ok((header, _)) => header,
            Err(_) => {
                return Err(ParseError::TruncatedMessageHeader {
                    offset,
                    remaining: rest.len(),
                })
            }
        };
        let len = header.nlmsg_len;
        let past_end = ParseError::MessagePastEnd {
            offset,
            len,
            remaining: rest.len(),
        };
        let len_usize = usize::try_from(len).map_err(|_| past_end)?;
        if len_usize < NLMSG_HDRLEN {
            return Err(ParseError::MessageTooShort { offset, len });
        }
        let payload = rest.get(NLMSG_HDRLEN..len_usize).ok_or(past_end)?;
        let payload_offset = offset.saturating_add(NLMSG_HDRLEN);
        let kind = match header.nlmsg_type {
            TASK_DIAG_CMD_GET => {
                let msg: TaskDiagMsg = read_prefix(payload, payload_offset, Payload::TaskMsg)?;
                let skip = align_up(core::mem::size_of::<TaskDiagMsg>(), NLMSG_ALIGNTO)
                    .unwrap_or(usize::MAX);
                MessageKind::Task(TaskMessage {
                    msg,
                    attrs: payload.get(skip..).unwrap_or_default(),
                    attrs_offset: payload_offset.saturating_add(skip),
                })
            }
            NLMSG_DONE => MessageKind::Done(read_prefix(payload, payload_offset, Payload::Done)?),
            NLMSG_ERROR => {
                MessageKind::Error(read_prefix(payload, payload_offset, Payload::Error)?)
            }
            _ => MessageKind::Other,
        };
        // The next message starts after the padding, if the buffer holds it.
        let step = align_up(len_usize, NLMSG_ALIGNTO)
            .unwrap_or(usize::MAX)
            .min(rest.len());
        let message = Message {
            offset,
            header,
            payload,
            kind,
        };
        Ok((message, step))
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        // After an error, or a step that overflows, `next` stays `None`:
        // the iterator is fused.
        let at = self.next.take().filter(|&at| at < self.buf.len())?;
        Some(self.parse(at).map(|(record, step)| {
            self.next = at.checked_add(step);
            record
        }))
    }
}

impl FusedIterator for Messages<'_> {}

// ---------------------------------------------------------------------------
// Attributes.

/// One attribute of a task message, decoded.
///
/// Non-exhaustive: a later version may decode a new group into a variant of
/// its own instead of [`Attr::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attr<'a> {
    /// [`TASK_DIAG_BASE`].
    Base(TaskDiagBase),
    /// [`TASK_DIAG_CRED`].
    Creds(TaskDiagCreds),
    /// [`TASK_DIAG_VMA`]: its records, each checked when reached.
    Vma(VmaIter<'a>),
    /// [`TASK_DIAG_STAT`].
    Stat(TaskDiagStat),
    /// [`TASK_DIAG_STATM`].
    Statm(TaskDiagStatm),
    /// [`TASK_DIAG_CMDLINE`]: the raw bytes of the command line, arguments
    /// separated by NULs, as in `/proc/PID/cmdline`.
    Cmdline(&'a [u8]),
    /// An attribute of another type (a newer kernel's).
    Unknown {
        /// Its `nla_type`.
        ty: u16,
        /// Its payload.
        data: &'a [u8],
    },
}

impl Attr<'_> {
    /// The attribute's `nla_type`.
    pub fn ty(&self) -> u16 {
        match self {
            Attr::Base(_) => TASK_DIAG_BASE,
            Attr::Creds(_) => TASK_DIAG_CRED,
            Attr::Vma(_) => TASK_DIAG_VMA,
            Attr::Stat(_) => TASK_DIAG_STAT,
            Attr::Statm(_) => TASK_DIAG_STATM,
            Attr::Cmdline(_) => TASK_DIAG_CMDLINE,
            Attr::Unknown { ty, .. } => *ty,
        }
    }
}

/// An iterator over netlink attributes (`struct nlattr` and payload, each
/// starting at a multiple of 4 bytes), decoding the task_diag ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attrs<'a> {
    buf: &'a [u8],
    base: usize,
    next: Cursor,
}

impl<'a> Attrs<'a> {
    /// An iterator over the attributes in `buf`, such as
    /// [`TaskMessage::attr_bytes`].
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    fn with_base(buf: &'a [u8], base: usize) -> Self {
        Self {
            buf,
            base,
            next: Some(0),
        }
    }

    fn parse(&self, rel: usize) -> Result<(Attr<'a>, usize), ParseError> {
        let offset = self.base.saturating_add(rel);
        let rest = self.buf.get(rel..).unwrap_or_default();
        let header = match NlAttr::read_from_prefix(rest) {
            Ok((header, _)) => header,
            Err(_) => {
                return Err(ParseError::TruncatedAttrHeader {
                    offset,
                    remaining: rest.len(),
                })
            }
        };
        let len = usize::from(header.nla_len);
        if len < NLA_HDRLEN {
            return Err(ParseError::AttrTooShort {
                offset,
                len: header.nla_len,
            });
        }
        let data = rest.get(NLA_HDRLEN..len).ok_or(ParseError::AttrPastEnd {
            offset,
            len: header.nla_len,
            remaining: rest.len(),
        })?;
        let data_offset = offset.saturating_add(NLA_HDRLEN);
        let attr = match header.nla_type {
            TASK_DIAG_BASE => Attr::Base(read_prefix(data, data_offset, Payload::Base)?),
            TASK_DIAG_CRED => Attr::Creds(read_prefix(data, data_offset, Payload::Creds)?),
            TASK_DIAG_VMA => Attr::Vma(VmaIter::with_base(data, data_offset)),
            TASK_DIAG_STAT => Attr::Stat(read_prefix(data, data_offset, Payload::Stat)?),
            TASK_DIAG_STATM => Attr::Statm(read_prefix(data, data_offset, Payload::Statm)?),
            TASK_DIAG_CMDLINE => Attr::Cmdline(data),
            ty => Attr::Unknown { ty, data },
        };
        let step = align_up(len, NLA_ALIGNTO)
            .unwrap_or(usize::MAX)
            .min(rest.len());
        Ok((attr, step))
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        // After an error, or a step that overflows, `next` stays `None`:
        // the iterator is fused.
        let at = self.next.take().filter(|&at| at < self.buf.len())?;
        Some(self.parse(at).map(|(record, step)| {
            self.next = at.checked_add(step);
            record
        }))
    }
}

impl FusedIterator for Attrs<'_> {}

// ---------------------------------------------------------------------------
// VMA records.

/// One record of a [`TASK_DIAG_VMA`] attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vma<'a> {
    /// The record's fixed part, copied.
    pub vma: TaskDiagVma,
    /// Its statistics, when requested
    /// ([`ShowFlags::VMA_STAT`](crate::ShowFlags::VMA_STAT)).
    pub stat: Option<TaskDiagVmaStat>,
    /// The mapping's name (a path, or `[heap]`, `[stack]`, ...), without
    /// its NUL; `None` for an anonymous mapping.
    pub name: Option<&'a [u8]>,
}

/// An iterator over the records of a [`TASK_DIAG_VMA`] attribute.
///
/// Checks each record: `vma_len` at least 64, a multiple of 8 and inside the
/// attribute; the statistics and the NUL-terminated name inside the record,
/// after its [`TaskDiagVma`]. A zero offset with a zero length means absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmaIter<'a> {
    buf: &'a [u8],
    base: usize,
    next: Cursor,
}

/// The size of [`TaskDiagVma`], the least `vma_len`.
const VMA_SIZE: usize = core::mem::size_of::<TaskDiagVma>();

/// The bytes `off..off + len` of `record`, if they lie after its
/// [`TaskDiagVma`].
fn record_part(record: &[u8], off: u16, len: u16) -> Option<&[u8]> {
    let start = usize::from(off);
    if start < VMA_SIZE {
        return None;
    }
    record.get(start..start.checked_add(usize::from(len))?)
}

impl<'a> VmaIter<'a> {
    /// An iterator over the records in `buf`, the payload of a
    /// [`TASK_DIAG_VMA`] attribute.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    fn with_base(buf: &'a [u8], base: usize) -> Self {
        Self {
            buf,
            base,
            next: Some(0),
        }
    }

    /// The bytes of the records.
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }

    fn parse(&self, rel: usize) -> Result<(Vma<'a>, usize), ParseError> {
        let offset = self.base.saturating_add(rel);
        let rest = self.buf.get(rel..).unwrap_or_default();
        let vma = match TaskDiagVma::read_from_prefix(rest) {
            Ok((vma, _)) => vma,
            Err(_) => {
                return Err(ParseError::TruncatedVma {
                    offset,
                    remaining: rest.len(),
                })
            }
        };
        let vma_len = usize::from(vma.vma_len);
        if vma_len < VMA_SIZE || vma_len % 8 != 0 {
            return Err(ParseError::BadVmaLength {
                offset,
                vma_len: vma.vma_len,
            });
        }
        let record = rest.get(..vma_len).ok_or(ParseError::VmaPastEnd {
            offset,
            vma_len: vma.vma_len,
            remaining: rest.len(),
        })?;

        let stat = match (vma.stat_off, vma.stat_len) {
            (0, 0) => None,
            (stat_off, stat_len) => {
                let bytes =
                    record_part(record, stat_off, stat_len).ok_or(ParseError::BadVmaStat {
                        offset,
                        stat_off,
                        stat_len,
                    })?;
                let stat_offset = offset.saturating_add(usize::from(stat_off));
                Some(read_prefix(bytes, stat_offset, Payload::VmaStat)?)
            }
        };

        let name = match (vma.name_off, vma.name_len) {
            (0, 0) => None,
            (name_off, name_len) => {
                let bad = ParseError::BadVmaName {
                    offset,
                    name_off,
                    name_len,
                };
                let bytes = record_part(record, name_off, name_len).ok_or(bad)?;
                match bytes.split_last() {
                    Some((0, name)) => Some(name),
                    _ => return Err(bad),
                }
            }
        };

        Ok((Vma { vma, stat, name }, vma_len))
    }
}

impl<'a> Iterator for VmaIter<'a> {
    type Item = Result<Vma<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        // After an error, or a step that overflows, `next` stays `None`:
        // the iterator is fused.
        let at = self.next.take().filter(|&at| at < self.buf.len())?;
        Some(self.parse(at).map(|(record, step)| {
            self.next = at.checked_add(step);
            record
        }))
    }
}

impl FusedIterator for VmaIter<'_> {}
