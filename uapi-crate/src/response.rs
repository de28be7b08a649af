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
//! The three walk length-prefixed, aligned items with one step: read the
//! item's header, check its length against the header's size and the bytes
//! left, decode the item, move to the aligned end of the item.
//! [`TaskMessage`] also finds one group's attribute by type:
//! [`TaskMessage::creds`], [`TaskMessage::stat`], [`TaskMessage::name`] and
//! so on.
//!
//! Structures are copied out of the buffer, never referenced in it, since
//! netlink payloads are only 4-byte aligned. An attribute or record longer
//! than the structure this crate knows (a newer kernel) is accepted and its
//! known prefix read; a shorter one is an error. [`TASK_DIAG_STAT`] has
//! two known lengths, the published one and the one with appended fields:
//! [`Stat`] holds the first always and the second when the payload has it.
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

use core::marker::PhantomData;

use crate::abi::{
    NlAttr, NlMsgHdr, TaskDiagBase, TaskDiagCreds, TaskDiagMsg, TaskDiagStat, TaskDiagStatVer0,
    TaskDiagStatm, TaskDiagVma, TaskDiagVmaStat, NLA_ALIGNTO, NLA_HDRLEN, NLMSG_ALIGNTO,
    NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, TASK_DIAG_BASE, TASK_DIAG_CMDLINE, TASK_DIAG_CMD_GET,
    TASK_DIAG_CRED, TASK_DIAG_NAME, TASK_DIAG_NAME_LEN, TASK_DIAG_STAT, TASK_DIAG_STATM,
    TASK_DIAG_VMA,
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
    /// A [`TaskDiagStat`] attribute: at least its published prefix
    /// ([`TaskDiagStatVer0`]), and all of it when longer than that.
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
    /// `name_off` and `name_len` do not describe a name inside the record,
    /// after its [`TaskDiagVma`] and apart from its statistics, whose last
    /// byte is its only NUL.
    BadVmaName {
        /// Where the record starts.
        offset: usize,
        /// Its `name_off`.
        name_off: u16,
        /// Its `name_len`.
        name_len: u16,
    },
    /// `stat_off` and `stat_len` do not describe a range inside the record,
    /// after its [`TaskDiagVma`], at a multiple of 8 bytes from its start.
    BadVmaStat {
        /// Where the record starts.
        offset: usize,
        /// Its `stat_off`.
        stat_off: u16,
        /// Its `stat_len`.
        stat_len: u16,
    },
    /// A [`TASK_DIAG_NAME`] payload is longer than [`TASK_DIAG_NAME_LEN`],
    /// has no NUL, or has other bytes than NULs after its first NUL.
    BadName {
        /// Where the payload starts.
        offset: usize,
        /// Its length.
        len: usize,
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
            ParseError::BadName { offset, len } => write!(
                f,
                "name at {offset}: {len} bytes, not a NUL-terminated name of at most \
                 {TASK_DIAG_NAME_LEN} bytes"
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

// ---------------------------------------------------------------------------
// The walker: one step over length-prefixed, aligned items.

/// One kind of length-prefixed item: a message, an attribute or a VMA
/// record. An item starts with a `Header` that gives the item's length
/// (header included, padding excluded); the next item starts at the end of
/// this one rounded up to `ALIGN`.
trait Frame<'a> {
    /// The fixed part at the start of each item.
    type Header: FromBytes + KnownLayout + Immutable;
    /// What an item decodes to.
    type Item;
    /// Items start at multiples of this (a power of two) from the first.
    const ALIGN: usize;
    /// The item's length from its header; `usize::MAX` when it does not fit
    /// a `usize`.
    fn len(header: &Self::Header) -> usize;
    /// Whether a length of at least the header's size is valid.
    fn len_ok(_len: usize) -> bool {
        true
    }
    /// The error for fewer bytes than a header at `offset`.
    fn truncated(offset: usize, remaining: usize) -> ParseError;
    /// The error for a length smaller than the header or not `len_ok`.
    fn bad_len(offset: usize, header: &Self::Header) -> ParseError;
    /// The error for a length past the bytes left.
    fn past_end(offset: usize, header: &Self::Header, remaining: usize) -> ParseError;
    /// Decodes the item `item` (its whole length, header included), which
    /// starts at `offset`.
    fn decode(
        header: Self::Header,
        item: &'a [u8],
        offset: usize,
    ) -> Result<Self::Item, ParseError>;
}

/// The fused walk over the items of one buffer. `base` is where `buf`
/// starts in the outermost buffer, for error offsets; `next` is the offset
/// of the next item in `buf`, or `None` once the end or an error was
/// reached.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Walker<'a, F> {
    buf: &'a [u8],
    base: usize,
    next: Option<usize>,
    frame: PhantomData<F>,
}

impl<'a, F: Frame<'a>> Walker<'a, F> {
    fn new(buf: &'a [u8], base: usize) -> Self {
        Self {
            buf,
            base,
            next: Some(0),
            frame: PhantomData,
        }
    }

    /// The item at `rest`, which starts at `offset`, and its length.
    fn parse(rest: &'a [u8], offset: usize) -> Result<(F::Item, usize), ParseError> {
        let (header, _) =
            F::Header::read_from_prefix(rest).map_err(|_| F::truncated(offset, rest.len()))?;
        let len = F::len(&header);
        if len < core::mem::size_of::<F::Header>() || !F::len_ok(len) {
            return Err(F::bad_len(offset, &header));
        }
        let item = rest
            .get(..len)
            .ok_or_else(|| F::past_end(offset, &header, rest.len()))?;
        Ok((F::decode(header, item, offset)?, len))
    }

    fn step(&mut self) -> Option<Result<F::Item, ParseError>> {
        // After an error, or a step that overflows, `next` stays `None`:
        // the walk is fused.
        let at = self.next.take().filter(|&at| at < self.buf.len())?;
        let rest = self.buf.get(at..).unwrap_or_default();
        Some(
            Self::parse(rest, self.base.saturating_add(at)).map(|(item, len)| {
                // The next item starts after the padding, if the buffer
                // holds it: the last item's may be missing. `len` is at
                // least the header's size, so the walk moves forward.
                let step = align_up(len, F::ALIGN)
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                self.next = at.checked_add(step);
                item
            }),
        )
    }
}

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
///
/// Besides [`attrs`](Self::attrs), typed accessors find the attribute of
/// one group: each walks the attributes from the first, returns the first
/// error met before or at the group's attribute, `Ok(None)` when the
/// message has none. A task split over several messages
/// ([`is_continued`](Self::is_continued)) has each group in one of them,
/// but [`TASK_DIAG_VMA`] and [`TASK_DIAG_CMDLINE`], which may be split:
/// their parts are in consecutive messages of the task.
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

    /// The first attribute of type `ty` (a group number), decoded.
    pub fn find(&self, ty: u16) -> Result<Option<Attr<'a>>, ParseError> {
        for attr in self.attrs() {
            let attr = attr?;
            if attr.ty() == ty {
                return Ok(Some(attr));
            }
        }
        Ok(None)
    }

    /// The [`TASK_DIAG_BASE`] attribute.
    pub fn base(&self) -> Result<Option<TaskDiagBase>, ParseError> {
        Ok(match self.find(TASK_DIAG_BASE)? {
            Some(Attr::Base(base)) => Some(base),
            _ => None,
        })
    }

    /// The [`TASK_DIAG_CRED`] attribute.
    pub fn creds(&self) -> Result<Option<TaskDiagCreds>, ParseError> {
        Ok(match self.find(TASK_DIAG_CRED)? {
            Some(Attr::Creds(creds)) => Some(creds),
            _ => None,
        })
    }

    /// The records of the [`TASK_DIAG_VMA`] attribute (this message's part
    /// of them), each checked when reached.
    pub fn vmas(&self) -> Result<Option<VmaIter<'a>>, ParseError> {
        Ok(match self.find(TASK_DIAG_VMA)? {
            Some(Attr::Vma(vmas)) => Some(vmas),
            _ => None,
        })
    }

    /// The [`TASK_DIAG_STAT`] attribute.
    pub fn stat(&self) -> Result<Option<Stat>, ParseError> {
        Ok(match self.find(TASK_DIAG_STAT)? {
            Some(Attr::Stat(stat)) => Some(stat),
            _ => None,
        })
    }

    /// The [`TASK_DIAG_STATM`] attribute.
    pub fn statm(&self) -> Result<Option<TaskDiagStatm>, ParseError> {
        Ok(match self.find(TASK_DIAG_STATM)? {
            Some(Attr::Statm(statm)) => Some(statm),
            _ => None,
        })
    }

    /// The bytes of the [`TASK_DIAG_CMDLINE`] attribute: this message's
    /// part of the command line, to be appended to the parts of the task's
    /// previous messages.
    pub fn cmdline(&self) -> Result<Option<&'a [u8]>, ParseError> {
        Ok(match self.find(TASK_DIAG_CMDLINE)? {
            Some(Attr::Cmdline(part)) => Some(part),
            _ => None,
        })
    }

    /// The name of the [`TASK_DIAG_NAME`] attribute, without its NUL.
    pub fn name(&self) -> Result<Option<&'a [u8]>, ParseError> {
        Ok(match self.find(TASK_DIAG_NAME)? {
            Some(Attr::Name(name)) => Some(name),
            _ => None,
        })
    }
}

/// The [`Frame`] of a netlink message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MessageFrame;

impl<'a> Frame<'a> for MessageFrame {
    type Header = NlMsgHdr;
    type Item = Message<'a>;
    const ALIGN: usize = NLMSG_ALIGNTO;

    fn len(header: &NlMsgHdr) -> usize {
        usize::try_from(header.nlmsg_len).unwrap_or(usize::MAX)
    }

    fn truncated(offset: usize, remaining: usize) -> ParseError {
        ParseError::TruncatedMessageHeader { offset, remaining }
    }

    fn bad_len(offset: usize, header: &NlMsgHdr) -> ParseError {
        ParseError::MessageTooShort {
            offset,
            len: header.nlmsg_len,
        }
    }

    fn past_end(offset: usize, header: &NlMsgHdr, remaining: usize) -> ParseError {
        ParseError::MessagePastEnd {
            offset,
            len: header.nlmsg_len,
            remaining,
        }
    }

    fn decode(header: NlMsgHdr, item: &'a [u8], offset: usize) -> Result<Message<'a>, ParseError> {
        let payload = item.get(NLMSG_HDRLEN..).unwrap_or_default();
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
        Ok(Message {
            offset,
            header,
            payload,
            kind,
        })
    }
}

/// An iterator over the netlink messages of a response buffer: the bytes of
/// one or more `read()`s of `/proc/task_diag`.
///
/// Each message starts at the 4-byte aligned end of the previous one; the
/// padding of the last message may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messages<'a> {
    walker: Walker<'a, MessageFrame>,
}

impl<'a> Messages<'a> {
    /// An iterator over the messages of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            walker: Walker::new(buf, 0),
        }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.walker.step()
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
    /// [`TASK_DIAG_STAT`]: its published prefix, and all of it when the
    /// kernel sent the appended fields.
    Stat(Stat),
    /// [`TASK_DIAG_STATM`].
    Statm(TaskDiagStatm),
    /// [`TASK_DIAG_CMDLINE`]: the raw bytes of the command line, arguments
    /// separated by NULs, as in `/proc/PID/cmdline`; or, for a task split
    /// over several messages, one part of them, to be concatenated with the
    /// parts of the task's other messages.
    Cmdline(&'a [u8]),
    /// [`TASK_DIAG_NAME`]: the name, without its NUL (at most
    /// [`TASK_DIAG_NAME_LEN`]` - 1` bytes).
    Name(&'a [u8]),
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
            Attr::Name(_) => TASK_DIAG_NAME,
            Attr::Unknown { ty, .. } => *ty,
        }
    }
}

/// A [`TASK_DIAG_STAT`] attribute: the published [`TaskDiagStatVer0`],
/// always, and the whole [`TaskDiagStat`] when the kernel sent the appended
/// fields.
///
/// A payload of [`TASK_DIAG_STAT_SIZE_VER0`](crate::abi::TASK_DIAG_STAT_SIZE_VER0)
/// bytes (a kernel without the appended fields) gives the prefix only; one
/// of `size_of::<TaskDiagStat>()` bytes or more (a newer kernel's longer
/// structure) gives both. A shorter payload, or one between the two sizes,
/// is [`ParseError::ShortPayload`].
///
/// ```
/// use task_diag_uapi::abi::{TaskDiagStat, TaskDiagStatVer0};
/// use task_diag_uapi::response::Stat;
///
/// let old = Stat::from(TaskDiagStatVer0 { threads: 3, ..Default::default() });
/// assert_eq!(old.ver0().threads, 3);
/// assert_eq!(old.full(), None);
/// let new = Stat::from(TaskDiagStat { threads: 3, nice: -5, ..Default::default() });
/// assert_eq!(new.ver0(), old.ver0());
/// assert_eq!(new.full().map(|s| s.nice), Some(-5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stat {
    ver0: TaskDiagStatVer0,
    full: Option<TaskDiagStat>,
}

impl Stat {
    /// The published prefix, which every kernel sends.
    pub fn ver0(&self) -> TaskDiagStatVer0 {
        self.ver0
    }

    /// The whole structure, when the kernel sent the appended fields.
    pub fn full(&self) -> Option<TaskDiagStat> {
        self.full
    }

    /// Whether the kernel sent the appended fields.
    pub fn has_appended(&self) -> bool {
        self.full.is_some()
    }

    fn parse(data: &[u8], offset: usize) -> Result<Self, ParseError> {
        let ver0: TaskDiagStatVer0 = read_prefix(data, offset, Payload::Stat)?;
        if data.len() == core::mem::size_of::<TaskDiagStatVer0>() {
            return Ok(ver0.into());
        }
        let full: TaskDiagStat = read_prefix(data, offset, Payload::Stat)?;
        Ok(full.into())
    }
}

impl From<TaskDiagStatVer0> for Stat {
    fn from(ver0: TaskDiagStatVer0) -> Self {
        Self { ver0, full: None }
    }
}

impl From<TaskDiagStat> for Stat {
    fn from(full: TaskDiagStat) -> Self {
        Self {
            ver0: full.ver0(),
            full: Some(full),
        }
    }
}

/// The name of a [`TASK_DIAG_NAME`] payload starting at `offset`: at most
/// [`TASK_DIAG_NAME_LEN`] bytes, the name, a NUL, and only NULs after it.
fn parse_name(data: &[u8], offset: usize) -> Result<&[u8], ParseError> {
    let bad = ParseError::BadName {
        offset,
        len: data.len(),
    };
    if data.len() > TASK_DIAG_NAME_LEN {
        return Err(bad);
    }
    let nul = data.iter().position(|&b| b == 0).ok_or(bad)?;
    let (name, padding) = data.split_at(nul);
    if padding.iter().any(|&b| b != 0) {
        return Err(bad);
    }
    Ok(name)
}

/// The [`Frame`] of a netlink attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AttrFrame;

impl<'a> Frame<'a> for AttrFrame {
    type Header = NlAttr;
    type Item = Attr<'a>;
    const ALIGN: usize = NLA_ALIGNTO;

    fn len(header: &NlAttr) -> usize {
        usize::from(header.nla_len)
    }

    fn truncated(offset: usize, remaining: usize) -> ParseError {
        ParseError::TruncatedAttrHeader { offset, remaining }
    }

    fn bad_len(offset: usize, header: &NlAttr) -> ParseError {
        ParseError::AttrTooShort {
            offset,
            len: header.nla_len,
        }
    }

    fn past_end(offset: usize, header: &NlAttr, remaining: usize) -> ParseError {
        ParseError::AttrPastEnd {
            offset,
            len: header.nla_len,
            remaining,
        }
    }

    fn decode(header: NlAttr, item: &'a [u8], offset: usize) -> Result<Attr<'a>, ParseError> {
        let data = item.get(NLA_HDRLEN..).unwrap_or_default();
        let data_offset = offset.saturating_add(NLA_HDRLEN);
        Ok(match header.nla_type {
            TASK_DIAG_BASE => Attr::Base(read_prefix(data, data_offset, Payload::Base)?),
            TASK_DIAG_CRED => Attr::Creds(read_prefix(data, data_offset, Payload::Creds)?),
            TASK_DIAG_VMA => Attr::Vma(VmaIter::with_base(data, data_offset)),
            TASK_DIAG_STAT => Attr::Stat(Stat::parse(data, data_offset)?),
            TASK_DIAG_STATM => Attr::Statm(read_prefix(data, data_offset, Payload::Statm)?),
            TASK_DIAG_CMDLINE => Attr::Cmdline(data),
            TASK_DIAG_NAME => Attr::Name(parse_name(data, data_offset)?),
            ty => Attr::Unknown { ty, data },
        })
    }
}

/// An iterator over netlink attributes (`struct nlattr` and payload, each
/// starting at a multiple of 4 bytes), decoding the task_diag ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attrs<'a> {
    walker: Walker<'a, AttrFrame>,
}

impl<'a> Attrs<'a> {
    /// An iterator over the attributes in `buf`, such as
    /// [`TaskMessage::attr_bytes`].
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    fn with_base(buf: &'a [u8], base: usize) -> Self {
        Self {
            walker: Walker::new(buf, base),
        }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.walker.step()
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
/// attribute; the statistics inside the record, after its [`TaskDiagVma`],
/// at a multiple of 8 bytes from the record's start, at least a
/// [`TaskDiagVmaStat`] long (a longer one is read by its prefix); the name
/// inside the record, after its [`TaskDiagVma`], apart from the
/// statistics, its last byte its only NUL. A zero offset with a zero length
/// means absent; one without the other is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmaIter<'a> {
    walker: Walker<'a, VmaFrame>,
}

/// The size of [`TaskDiagVma`], the least `vma_len`.
const VMA_SIZE: usize = core::mem::size_of::<TaskDiagVma>();

/// The range `off..off + len` of a record, if it lies after its
/// [`TaskDiagVma`] and inside its `record_len` bytes.
fn record_range(record_len: usize, off: u16, len: u16) -> Option<core::ops::Range<usize>> {
    let start = usize::from(off);
    let end = start.checked_add(usize::from(len))?;
    (start >= VMA_SIZE && end <= record_len).then_some(start..end)
}

/// The [`Frame`] of a VMA record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VmaFrame;

impl<'a> Frame<'a> for VmaFrame {
    type Header = TaskDiagVma;
    type Item = Vma<'a>;
    const ALIGN: usize = 8;

    fn len(header: &TaskDiagVma) -> usize {
        usize::from(header.vma_len)
    }

    fn len_ok(len: usize) -> bool {
        len.is_multiple_of(8)
    }

    fn truncated(offset: usize, remaining: usize) -> ParseError {
        ParseError::TruncatedVma { offset, remaining }
    }

    fn bad_len(offset: usize, header: &TaskDiagVma) -> ParseError {
        ParseError::BadVmaLength {
            offset,
            vma_len: header.vma_len,
        }
    }

    fn past_end(offset: usize, header: &TaskDiagVma, remaining: usize) -> ParseError {
        ParseError::VmaPastEnd {
            offset,
            vma_len: header.vma_len,
            remaining,
        }
    }

    fn decode(vma: TaskDiagVma, record: &'a [u8], offset: usize) -> Result<Vma<'a>, ParseError> {
        let (stat, stat_range) = match (vma.stat_off, vma.stat_len) {
            (0, 0) => (None, 0..0),
            (stat_off, stat_len) => {
                let range = record_range(record.len(), stat_off, stat_len)
                    .filter(|r| r.start.is_multiple_of(8))
                    .ok_or(ParseError::BadVmaStat {
                        offset,
                        stat_off,
                        stat_len,
                    })?;
                let bytes = record.get(range.clone()).unwrap_or_default();
                let stat_offset = offset.saturating_add(range.start);
                let stat = read_prefix(bytes, stat_offset, Payload::VmaStat)?;
                (Some(stat), range)
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
                let range = record_range(record.len(), name_off, name_len)
                    .filter(|r| r.end <= stat_range.start || r.start >= stat_range.end)
                    .ok_or(bad)?;
                let bytes = record.get(range).unwrap_or_default();
                match bytes.split_last() {
                    Some((0, name)) if !name.contains(&0) => Some(name),
                    _ => return Err(bad),
                }
            }
        };

        Ok(Vma { vma, stat, name })
    }
}

impl<'a> VmaIter<'a> {
    /// An iterator over the records in `buf`, the payload of a
    /// [`TASK_DIAG_VMA`] attribute.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    fn with_base(buf: &'a [u8], base: usize) -> Self {
        Self {
            walker: Walker::new(buf, base),
        }
    }

    /// The bytes of the records.
    pub fn bytes(&self) -> &'a [u8] {
        self.walker.buf
    }
}

impl<'a> Iterator for VmaIter<'a> {
    type Item = Result<Vma<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.walker.step()
    }
}

impl FusedIterator for VmaIter<'_> {}
