// SPDX-License-Identifier: MIT OR Apache-2.0

//! An encoder of task_diag responses, as the kernel writes them: task
//! messages with their attributes, VMA records with their statistics and
//! names, and the `NLMSG_DONE` message that ends a dump.
//!
//! It writes into a caller's `&mut [u8]`, allocates nothing, and never
//! writes a partial item: an append that does not fit returns an
//! [`EmitError`] and leaves the bytes written so far a well-formed response
//! (every length field is updated at each append, so a message is complete
//! after any successful call). For tests of readers, fakes of the kernel,
//! and tools that replay dumps.
//!
//! - [`Encoder`]: the buffer and what is written so far; whole messages
//!   ([`Encoder::message`], [`Encoder::done`], [`Encoder::error`]) and task
//!   messages ([`Encoder::task`]).
//! - [`TaskWriter`]: one task message: its attributes, typed
//!   ([`TaskWriter::base`], [`TaskWriter::stat`], [`TaskWriter::name`], ...)
//!   or raw ([`TaskWriter::attr`]), and its VMA attribute
//!   ([`TaskWriter::vma`]).
//! - [`VmaWriter`]: the records of a VMA attribute ([`VmaWriter::record`]).
//! - [`attr`] and [`vma_record`]: one attribute or one record alone.
//!
//! ```
//! use task_diag_uapi::abi::{TaskDiagBase, TaskDiagMsg, TaskDiagVma};
//! use task_diag_uapi::emit::Encoder;
//! use task_diag_uapi::response::Messages;
//!
//! let mut buf = [0u8; 512];
//! let mut enc = Encoder::new(&mut buf);
//! let mut task = enc.task(7, TaskDiagMsg { pid: 1, tgid: 1, flags: 0 })?;
//! task.base(&TaskDiagBase { pid: 1, tgid: 1, ..Default::default() })?;
//! task.name(b"init")?;
//! let mut vmas = task.vma()?;
//! vmas.record(&TaskDiagVma { start: 0x1000, end: 0x2000, ..Default::default() }, None, Some(b"[heap]"))?;
//! vmas.finish();
//! task.finish();
//! enc.done(7)?;
//!
//! let bytes = enc.as_bytes();
//! let messages: Vec<_> = Messages::new(bytes).collect::<Result<_, _>>().unwrap();
//! let task = messages[0].task().unwrap();
//! assert_eq!(task.name(), Ok(Some(&b"init"[..])));
//! let vma = task.vmas().unwrap().unwrap().next().unwrap().unwrap();
//! assert_eq!(vma.name, Some(&b"[heap]"[..]));
//! assert!(messages[1].is_done());
//! # Ok::<(), task_diag_uapi::emit::EmitError>(())
//! ```

use core::fmt;

use zerocopy::IntoBytes;

use crate::abi::{
    NlAttr, NlMsgHdr, TaskDiagBase, TaskDiagCreds, TaskDiagMsg, TaskDiagStat, TaskDiagStatVer0,
    TaskDiagStatm, TaskDiagVma, TaskDiagVmaStat, NLA_ALIGNTO, NLA_HDRLEN, NLMSG_ALIGNTO,
    NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_MULTI, TASK_DIAG_BASE, TASK_DIAG_CMDLINE,
    TASK_DIAG_CMD_GET, TASK_DIAG_CRED, TASK_DIAG_FLAG_CONT, TASK_DIAG_NAME, TASK_DIAG_NAME_LEN,
    TASK_DIAG_STAT, TASK_DIAG_STATM, TASK_DIAG_VMA,
};

/// Why an encoder could not append an item. Nothing of the item was
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EmitError {
    /// The buffer has no room for the item.
    NoSpace {
        /// The bytes the item needs, its padding included.
        needed: usize,
        /// The bytes left in the buffer.
        available: usize,
    },
    /// The item would make a message longer than `nlmsg_len` can say.
    MessageTooLong {
        /// The message's length with the item.
        len: usize,
    },
    /// The item would make an attribute longer than `nla_len` can say
    /// (65,535 bytes).
    AttrTooLong {
        /// The attribute's length with the item.
        len: usize,
    },
    /// A VMA record would be longer than `vma_len` can say.
    VmaTooLong {
        /// The record's length.
        len: usize,
    },
    /// A name holds a NUL, or a [`TASK_DIAG_NAME`] name with its NUL is
    /// longer than [`TASK_DIAG_NAME_LEN`].
    BadName {
        /// The name's length, without its NUL.
        len: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::NoSpace { needed, available } => write!(
                f,
                "no room in the buffer: {needed} bytes needed, {available} left"
            ),
            EmitError::MessageTooLong { len } => {
                write!(f, "a netlink message of {len} bytes is too long")
            }
            EmitError::AttrTooLong { len } => {
                write!(f, "an attribute of {len} bytes is too long for nla_len")
            }
            EmitError::VmaTooLong { len } => {
                write!(f, "a VMA record of {len} bytes is too long for vma_len")
            }
            EmitError::BadName { len } => {
                write!(f, "a name of {len} bytes holds a NUL or is too long")
            }
        }
    }
}

impl core::error::Error for EmitError {}

/// `len` rounded up to a multiple of `align` (a power of two).
fn align_up(len: usize, align: usize) -> Option<usize> {
    Some(len.checked_add(align - 1)? & !(align - 1))
}

/// Writes `parts` one after the other at the start of `buf`, then zeros to
/// a multiple of `align`; returns the length written. Writes nothing when
/// it does not fit.
fn put(buf: &mut [u8], parts: &[&[u8]], align: usize) -> Result<usize, EmitError> {
    let too_long = EmitError::NoSpace {
        needed: usize::MAX,
        available: buf.len(),
    };
    let len = parts
        .iter()
        .try_fold(0usize, |sum, p| sum.checked_add(p.len()))
        .ok_or(too_long)?;
    let total = align_up(len, align).ok_or(too_long)?;
    let available = buf.len();
    let dst = buf.get_mut(..total).ok_or(EmitError::NoSpace {
        needed: total,
        available,
    })?;
    let mut at = 0;
    for part in parts {
        if let Some(d) = dst.get_mut(at..at + part.len()) {
            d.copy_from_slice(part);
        }
        at += part.len();
    }
    if let Some(pad) = dst.get_mut(len..) {
        pad.fill(0);
    }
    Ok(total)
}

/// Overwrites the bytes at `at` with `bytes`, if they are inside `buf`.
fn patch(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = at
        .checked_add(bytes.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        dst.copy_from_slice(bytes);
    }
}

/// Writes one attribute, [`NlAttr`] then `payload`, padded to 4 bytes, at
/// the start of `buf`; returns its length with the padding.
///
/// ```
/// use task_diag_uapi::emit::attr;
/// use task_diag_uapi::response::{Attr, Attrs};
///
/// let mut buf = [0xffu8; 16];
/// assert_eq!(attr(&mut buf, 6, b"sh\0"), Ok(8));
/// assert_eq!(buf[..8], [7, 0, 6, 0, b's', b'h', 0, 0]);
/// assert_eq!(Attrs::new(&buf[..8]).next(), Some(Ok(Attr::Cmdline(b"sh\0"))));
/// ```
pub fn attr(buf: &mut [u8], ty: u16, payload: &[u8]) -> Result<usize, EmitError> {
    let len = payload.len().saturating_add(NLA_HDRLEN);
    let header = NlAttr {
        nla_len: u16::try_from(len).map_err(|_| EmitError::AttrTooLong { len })?,
        nla_type: ty,
    };
    put(buf, &[header.as_bytes(), payload], NLA_ALIGNTO)
}

/// The length of a VMA record with statistics when `stat`, and a name of
/// `name_len` bytes (without its NUL) when `Some`: what
/// [`vma_record`] writes.
pub const fn vma_record_len(stat: bool, name_len: Option<usize>) -> usize {
    let mut len = core::mem::size_of::<TaskDiagVma>();
    if stat {
        len += core::mem::size_of::<TaskDiagVmaStat>();
    }
    if let Some(n) = name_len {
        len = len.saturating_add(n).saturating_add(1);
    }
    // A multiple of 8.
    len.saturating_add(7) & !7
}

/// Writes one VMA record at the start of `buf`, as the kernel does: `vma`
/// with its `vma_len`, `stat_off`, `stat_len`, `name_off` and `name_len`
/// set (its other fields as given), then `stat` if any, then `name` and its
/// NUL if any, then zeros to a multiple of 8 bytes. Returns the record's
/// length, [`vma_record_len`].
///
/// `name` must not hold a NUL ([`EmitError::BadName`]).
pub fn vma_record(
    buf: &mut [u8],
    vma: &TaskDiagVma,
    stat: Option<&TaskDiagVmaStat>,
    name: Option<&[u8]>,
) -> Result<usize, EmitError> {
    if let Some(name) = name {
        if name.contains(&0) {
            return Err(EmitError::BadName { len: name.len() });
        }
    }
    let len = vma_record_len(stat.is_some(), name.map(<[u8]>::len));
    let too_long = EmitError::VmaTooLong { len };
    let vma_len = u16::try_from(len).map_err(|_| too_long)?;
    let fixed = core::mem::size_of::<TaskDiagVma>() as u16;
    let stat_len = core::mem::size_of::<TaskDiagVmaStat>() as u16;
    let mut head = *vma;
    head.vma_len = vma_len;
    (head.stat_off, head.stat_len) = match stat {
        Some(_) => (fixed, stat_len),
        None => (0, 0),
    };
    (head.name_off, head.name_len) = match name {
        Some(name) => (
            fixed + head.stat_len,
            // Fits: the record's length does.
            u16::try_from(name.len() + 1).map_err(|_| too_long)?,
        ),
        None => (0, 0),
    };
    let stat_bytes = stat.map(IntoBytes::as_bytes).unwrap_or_default();
    let (name_bytes, nul): (&[u8], &[u8]) = match name {
        Some(name) => (name, &[0]),
        None => (&[], &[]),
    };
    put(buf, &[head.as_bytes(), stat_bytes, name_bytes, nul], 8)
}

/// A response being written into a caller's buffer.
///
/// Messages are written one after the other, each at a multiple of 4 bytes,
/// with `nlmsg_flags` = `NLM_F_MULTI` and `nlmsg_pid` = 0, as the kernel
/// sends them.
#[derive(Debug)]
pub struct Encoder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Encoder<'b> {
    /// An encoder writing from the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The number of bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes left in the buffer.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.len)
    }

    /// The bytes written.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The bytes written, for as long as the buffer is borrowed.
    pub fn into_bytes(self) -> &'b [u8] {
        let buf: &'b [u8] = self.buf;
        buf.get(..self.len).unwrap_or_default()
    }

    /// Appends `parts`, padded to `align`; returns their length.
    fn append(&mut self, parts: &[&[u8]], align: usize) -> Result<usize, EmitError> {
        let rest = self.buf.get_mut(self.len..).unwrap_or_default();
        let n = put(rest, parts, align)?;
        self.len += n;
        Ok(n)
    }

    fn header(ty: u16, seq: u32, len: usize) -> Result<NlMsgHdr, EmitError> {
        Ok(NlMsgHdr {
            nlmsg_len: u32::try_from(len).map_err(|_| EmitError::MessageTooLong { len })?,
            nlmsg_type: ty,
            nlmsg_flags: NLM_F_MULTI,
            nlmsg_seq: seq,
            nlmsg_pid: 0,
        })
    }

    /// Appends a message of type `ty` with `payload` (any bytes), padded to
    /// 4 bytes; returns its length with the padding.
    pub fn message(&mut self, ty: u16, seq: u32, payload: &[u8]) -> Result<usize, EmitError> {
        let header = Self::header(ty, seq, payload.len().saturating_add(NLMSG_HDRLEN))?;
        self.append(&[header.as_bytes(), payload], NLMSG_ALIGNTO)
    }

    /// Appends the `NLMSG_DONE` message that ends a dump: its payload is an
    /// `int` 0. Returns its length, 20.
    pub fn done(&mut self, seq: u32) -> Result<usize, EmitError> {
        self.message(NLMSG_DONE, seq, 0i32.as_bytes())
    }

    /// Appends an `NLMSG_ERROR` message: `errno` (negative, or 0 for an
    /// acknowledgement), then the header of the request it answers, as
    /// `struct nlmsgerr`. task_diag itself reports errors as `read()` and
    /// `write()` return values.
    pub fn error(&mut self, seq: u32, errno: i32, request: &NlMsgHdr) -> Result<usize, EmitError> {
        let len = NLMSG_HDRLEN + 4 + NLMSG_HDRLEN;
        let header = Self::header(NLMSG_ERROR, seq, len)?;
        self.append(
            &[header.as_bytes(), errno.as_bytes(), request.as_bytes()],
            NLMSG_ALIGNTO,
        )
    }

    /// Starts a task message: its header and `msg`. Attributes are added
    /// with the [`TaskWriter`]; the message is complete at every step.
    pub fn task(&mut self, seq: u32, msg: TaskDiagMsg) -> Result<TaskWriter<'_, 'b>, EmitError> {
        let start = self.len;
        let header = Self::header(
            TASK_DIAG_CMD_GET,
            seq,
            NLMSG_HDRLEN + core::mem::size_of::<TaskDiagMsg>(),
        )?;
        self.append(&[header.as_bytes(), msg.as_bytes()], NLMSG_ALIGNTO)?;
        Ok(TaskWriter { enc: self, start })
    }
}

/// Checks that a message started at `start` may grow to `end` bytes of the
/// buffer.
fn message_len(start: usize, end: usize) -> Result<u32, EmitError> {
    let len = end.saturating_sub(start);
    u32::try_from(len).map_err(|_| EmitError::MessageTooLong { len })
}

/// One task message being written, from [`Encoder::task`].
#[derive(Debug)]
pub struct TaskWriter<'e, 'b> {
    enc: &'e mut Encoder<'b>,
    start: usize,
}

impl<'b> TaskWriter<'_, 'b> {
    /// The message's length so far.
    pub fn len(&self) -> usize {
        self.enc.len - self.start
    }

    /// Always false: a task message holds at least its header and
    /// [`TaskDiagMsg`].
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes left in the buffer: an attribute of up to
    /// `remaining() - 4` payload bytes fits.
    pub fn remaining(&self) -> usize {
        self.enc.remaining()
    }

    /// Sets or clears [`TASK_DIAG_FLAG_CONT`] in the message's
    /// [`TaskDiagMsg::flags`]: the task continues in the next message.
    pub fn set_continued(&mut self, cont: bool) {
        let at = self.start + NLMSG_HDRLEN + core::mem::offset_of!(TaskDiagMsg, flags);
        let mut flags = [0; 4];
        if let Some(b) = self.enc.buf.get(at..at + 4) {
            flags.copy_from_slice(b);
        }
        let mut flags = u32::from_ne_bytes(flags);
        if cont {
            flags |= TASK_DIAG_FLAG_CONT;
        } else {
            flags &= !TASK_DIAG_FLAG_CONT;
        }
        patch(self.enc.buf, at, &flags.to_ne_bytes());
    }

    /// Appends `n` bytes that `write` writes at the start of the rest of
    /// the buffer, then sets the message's length.
    fn grow(
        &mut self,
        write: impl FnOnce(&mut [u8]) -> Result<usize, EmitError>,
        n: usize,
    ) -> Result<(), EmitError> {
        let len = message_len(self.start, self.enc.len.saturating_add(n))?;
        let rest = self.enc.buf.get_mut(self.enc.len..).unwrap_or_default();
        let written = write(rest)?;
        self.enc.len += written;
        debug_assert_eq!(written, n);
        patch(self.enc.buf, self.start, &len.to_ne_bytes());
        Ok(())
    }

    /// Appends an attribute of type `ty` with `payload` (any bytes).
    pub fn attr(&mut self, ty: u16, payload: &[u8]) -> Result<(), EmitError> {
        let n =
            align_up(payload.len().saturating_add(NLA_HDRLEN), NLA_ALIGNTO).unwrap_or(usize::MAX);
        self.grow(|rest| attr(rest, ty, payload), n)
    }

    /// Appends the [`TASK_DIAG_BASE`] attribute.
    pub fn base(&mut self, base: &TaskDiagBase) -> Result<(), EmitError> {
        self.attr(TASK_DIAG_BASE, base.as_bytes())
    }

    /// Appends the [`TASK_DIAG_CRED`] attribute.
    pub fn creds(&mut self, creds: &TaskDiagCreds) -> Result<(), EmitError> {
        self.attr(TASK_DIAG_CRED, creds.as_bytes())
    }

    /// Appends the [`TASK_DIAG_STAT`] attribute, all of [`TaskDiagStat`]
    /// (the appended fields included), as this header's kernel sends it.
    pub fn stat(&mut self, stat: &TaskDiagStat) -> Result<(), EmitError> {
        self.attr(TASK_DIAG_STAT, stat.as_bytes())
    }

    /// Appends a [`TASK_DIAG_STAT`] attribute of the published 72 bytes
    /// only, as a kernel without the appended fields sends it.
    pub fn stat_ver0(&mut self, stat: &TaskDiagStatVer0) -> Result<(), EmitError> {
        self.attr(TASK_DIAG_STAT, stat.as_bytes())
    }

    /// Appends the [`TASK_DIAG_STATM`] attribute.
    pub fn statm(&mut self, statm: &TaskDiagStatm) -> Result<(), EmitError> {
        self.attr(TASK_DIAG_STATM, statm.as_bytes())
    }

    /// Appends a [`TASK_DIAG_CMDLINE`] attribute holding `part`: the whole
    /// command line, or one of the consecutive byte ranges of a command
    /// line split over several messages of the task.
    pub fn cmdline(&mut self, part: &[u8]) -> Result<(), EmitError> {
        self.attr(TASK_DIAG_CMDLINE, part)
    }

    /// Appends the [`TASK_DIAG_NAME`] attribute: `name` and a NUL. `name`
    /// must hold no NUL and be at most [`TASK_DIAG_NAME_LEN`]` - 1` bytes
    /// long ([`EmitError::BadName`]).
    pub fn name(&mut self, name: &[u8]) -> Result<(), EmitError> {
        let len = name.len();
        if len >= TASK_DIAG_NAME_LEN || name.contains(&0) {
            return Err(EmitError::BadName { len });
        }
        let mut payload = [0u8; TASK_DIAG_NAME_LEN];
        if let Some(dst) = payload.get_mut(..len) {
            dst.copy_from_slice(name);
        }
        self.attr(TASK_DIAG_NAME, payload.get(..=len).unwrap_or_default())
    }

    /// Starts the [`TASK_DIAG_VMA`] attribute, empty; its records are added
    /// with the [`VmaWriter`].
    pub fn vma(&mut self) -> Result<VmaWriter<'_, 'b>, EmitError> {
        let attr_start = self.enc.len;
        self.attr(TASK_DIAG_VMA, &[])?;
        Ok(VmaWriter {
            enc: self.enc,
            msg_start: self.start,
            attr_start,
            records: 0,
        })
    }

    /// Ends the message; returns its length. (The message is complete
    /// without this call: dropping the writer ends it too.)
    pub fn finish(self) -> usize {
        self.len()
    }
}

/// The [`TASK_DIAG_VMA`] attribute of a task message being written, from
/// [`TaskWriter::vma`].
#[derive(Debug)]
pub struct VmaWriter<'t, 'b> {
    enc: &'t mut Encoder<'b>,
    msg_start: usize,
    attr_start: usize,
    records: usize,
}

impl VmaWriter<'_, '_> {
    /// The number of records written.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The attribute's length so far (`nla_len`).
    pub fn len(&self) -> usize {
        self.enc.len - self.attr_start
    }

    /// Whether the attribute has no record yet.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The bytes left in the buffer.
    pub fn remaining(&self) -> usize {
        self.enc.remaining()
    }

    /// Appends one record, as [`vma_record`] writes it; returns its length.
    pub fn record(
        &mut self,
        vma: &TaskDiagVma,
        stat: Option<&TaskDiagVmaStat>,
        name: Option<&[u8]>,
    ) -> Result<usize, EmitError> {
        let n = vma_record_len(stat.is_some(), name.map(<[u8]>::len));
        if u16::try_from(n).is_err() {
            return Err(EmitError::VmaTooLong { len: n });
        }
        let end = self.enc.len.saturating_add(n);
        let attr_len = end - self.attr_start;
        let nla_len =
            u16::try_from(attr_len).map_err(|_| EmitError::AttrTooLong { len: attr_len })?;
        let msg_len = message_len(self.msg_start, end)?;
        let rest = self.enc.buf.get_mut(self.enc.len..).unwrap_or_default();
        let written = vma_record(rest, vma, stat, name)?;
        self.enc.len += written;
        self.records += 1;
        patch(self.enc.buf, self.attr_start, &nla_len.to_ne_bytes());
        patch(self.enc.buf, self.msg_start, &msg_len.to_ne_bytes());
        Ok(written)
    }

    /// Ends the attribute; returns its length. (The attribute is complete
    /// without this call.)
    pub fn finish(self) -> usize {
        self.len()
    }
}
