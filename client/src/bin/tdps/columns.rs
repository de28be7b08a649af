// SPDX-License-Identifier: MIT OR Apache-2.0

//! The output columns tdps knows, and the parser of `-o` format lists, as
//! procps `ps` 4.0 has them.

use std::fmt;

/// The value a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The thread-group id: `pid`, `tgid`.
    Tgid,
    /// The thread id: `tid`, `lwp`, `spid`.
    Tid,
    /// The parent's process id.
    Ppid,
    /// The process-group id.
    Pgid,
    /// The session id.
    Sid,
    /// The state letter.
    State,
    /// The command name.
    Comm,
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Just {
    /// Right-aligned in its width (numbers).
    Right,
    /// Left-aligned, padded by the next column.
    Left,
    /// Left-aligned text that may run past its width when last.
    Unlimited,
}

/// One known format specifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Its name after `-o`.
    pub name: &'static str,
    /// Its default header.
    pub head: &'static str,
    /// What it shows.
    pub field: Field,
    /// Its width, unless it is a pid column.
    pub width: usize,
    /// Whether it is a pid column, as wide as the largest pid.
    pub pid_width: bool,
    /// Its alignment.
    pub just: Just,
}

const fn pid(name: &'static str, head: &'static str, field: Field) -> Spec {
    Spec {
        name,
        head,
        field,
        width: 5,
        pid_width: true,
        just: Just::Right,
    }
}

const fn text(name: &'static str, head: &'static str, field: Field, just: Just) -> Spec {
    Spec {
        name,
        head,
        field,
        width: if matches!(field, Field::Comm) { 15 } else { 1 },
        pid_width: false,
        just,
    }
}

/// Every specifier tdps supports, with procps' names, headers, widths and
/// alignments.
pub const SPECS: &[Spec] = &[
    text("comm", "COMMAND", Field::Comm, Just::Unlimited),
    pid("lwp", "LWP", Field::Tid),
    pid("pgid", "PGID", Field::Pgid),
    pid("pgrp", "PGRP", Field::Pgid),
    pid("pid", "PID", Field::Tgid),
    pid("ppid", "PPID", Field::Ppid),
    text("s", "S", Field::State, Just::Left),
    pid("sess", "SESS", Field::Sid),
    pid("session", "SESS", Field::Sid),
    pid("sid", "SID", Field::Sid),
    pid("spid", "SPID", Field::Tid),
    text("state", "S", Field::State, Just::Left),
    pid("tgid", "TGID", Field::Tgid),
    pid("tid", "TID", Field::Tid),
    text("ucmd", "CMD", Field::Comm, Just::Unlimited),
    text("ucomm", "COMMAND", Field::Comm, Just::Unlimited),
];

/// The specifier named `name`.
pub fn find(name: &[u8]) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name.as_bytes() == name)
}

/// One column of a format list, before widths are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The specifier.
    pub spec: &'static Spec,
    /// The header given with `=`, if any.
    pub header: Option<Vec<u8>>,
    /// The width given with `:`, if any.
    pub width: Option<usize>,
}

impl ColumnSpec {
    /// The header to print.
    pub fn header(&self) -> &[u8] {
        self.header.as_deref().unwrap_or(self.spec.head.as_bytes())
    }

    /// The width of the column when pids have `pid_len` digits:
    /// the `:` width if given; else the specifier's width (for a pid
    /// column, the larger of `pid_len` and its default header's length),
    /// widened to fit a `=` header.
    pub fn width(&self, pid_len: usize) -> usize {
        if let Some(width) = self.width {
            return width;
        }
        let base = if self.spec.pid_width {
            pid_len.max(self.spec.head.len())
        } else {
            self.spec.width
        };
        match &self.header {
            Some(header) => base.max(header.len()),
            None => base,
        }
    }
}

/// Why a format list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// A specifier tdps does not support (or that does not exist).
    Unsupported(String),
    /// A malformed list, with procps' message.
    Invalid(&'static str),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Unsupported(name) => write!(f, "unsupported column: {name}"),
            FormatError::Invalid(message) => f.write_str(message),
        }
    }
}

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b',' | b'\t' | b'\n')
}

/// Parses one format list (the argument of one `-o`): specifiers separated
/// by commas, spaces, tabs or newlines (one trailing separator allowed),
/// each `NAME`, `NAME=HEADER`, `NAME:WIDTH` or `NAME:WIDTH=HEADER`.
pub fn parse_format(list: &[u8]) -> Result<Vec<ColumnSpec>, FormatError> {
    // The checks of procps' format_parse(): no empty item, one trailing
    // separator at most.
    let mut need_item = true;
    let mut items = 0usize;
    if list.is_empty() {
        return Err(FormatError::Invalid("improper format list"));
    }
    for &b in list {
        if is_separator(b) {
            if need_item {
                return Err(FormatError::Invalid("improper format list"));
            }
            need_item = true;
        } else {
            if need_item {
                items += 1;
            }
            need_item = false;
        }
    }
    let list = match list.split_last() {
        Some((&last, rest)) if is_separator(last) => rest,
        _ => list,
    };
    let mut columns = Vec::with_capacity(items);
    for item in list.split(|&b| is_separator(b)) {
        let (name, header) = match item.iter().position(|&b| b == b'=') {
            Some(eq) => (&item[..eq], Some(item[eq + 1..].to_vec())),
            None => (item, None),
        };
        let (name, width) = match name.iter().position(|&b| b == b':') {
            Some(colon) => {
                let digits = &name[colon + 1..];
                let valid = !digits.is_empty()
                    && digits.iter().all(u8::is_ascii_digit)
                    && digits.first() != Some(&b'0');
                let width = std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<usize>().ok())
                    .filter(|&w| valid && w > 0 && w <= i32::MAX as usize)
                    .ok_or(FormatError::Invalid(
                        "column widths must be unsigned decimal numbers",
                    ))?;
                (&name[..colon], Some(width))
            }
            None => (name, None),
        };
        let spec = find(name).ok_or_else(|| FormatError::Unsupported(lossy(name).into_owned()))?;
        columns.push(ColumnSpec {
            spec,
            header,
            width,
        });
    }
    Ok(columns)
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<(&'static str, Option<String>, Option<usize>)> {
        parse_format(list.as_bytes())
            .unwrap()
            .into_iter()
            .map(|c| {
                (
                    c.spec.name,
                    c.header.map(|h| String::from_utf8(h).unwrap()),
                    c.width,
                )
            })
            .collect()
    }

    #[test]
    fn separators_and_overrides() {
        assert_eq!(
            names("pid,ppid comm"),
            [
                ("pid", None, None),
                ("ppid", None, None),
                ("comm", None, None)
            ]
        );
        assert_eq!(
            names("pid\tcomm\n"),
            [("pid", None, None), ("comm", None, None)]
        );
        assert_eq!(
            names("pid=,comm=NAME"),
            [
                ("pid", Some(String::new()), None),
                ("comm", Some("NAME".into()), None)
            ]
        );
        assert_eq!(names("pid:8"), [("pid", None, Some(8))]);
        assert_eq!(names("pid:8=P:X"), [("pid", Some("P:X".into()), Some(8))]);
        assert_eq!(names("tid,"), [("tid", None, None)]);
    }

    #[test]
    fn malformed_lists() {
        for (list, message) in [
            ("", "improper format list"),
            (",", "improper format list"),
            (",pid", "improper format list"),
            ("pid,,comm", "improper format list"),
            ("pid,,", "improper format list"),
            ("pid:", "column widths must be unsigned decimal numbers"),
            ("pid:0", "column widths must be unsigned decimal numbers"),
            ("pid:08", "column widths must be unsigned decimal numbers"),
            ("pid:x", "column widths must be unsigned decimal numbers"),
        ] {
            assert_eq!(
                parse_format(list.as_bytes()),
                Err(FormatError::Invalid(message)),
                "{list:?}"
            );
        }
        assert_eq!(
            parse_format(b"pid,user"),
            Err(FormatError::Unsupported("user".into()))
        );
        assert_eq!(
            parse_format(b"pid=a b"),
            Err(FormatError::Unsupported("b".into()))
        );
    }

    #[test]
    fn widths() {
        let col = |list: &str| parse_format(list.as_bytes()).unwrap().remove(0);
        assert_eq!(col("pid").width(5), 5);
        assert_eq!(col("pid").width(7), 7);
        assert_eq!(col("pid=").width(5), 5);
        assert_eq!(col("pid=PROCESS").width(5), 7);
        assert_eq!(col("session").width(3), 4);
        assert_eq!(col("s").width(7), 1);
        assert_eq!(col("s=STATE").width(7), 5);
        assert_eq!(col("comm").width(5), 15);
        assert_eq!(col("pid:3=LONGHEADER").width(5), 3);
        assert_eq!(col("ucmd").header(), b"CMD");
    }
}
