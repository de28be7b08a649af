// SPDX-License-Identifier: MIT OR Apache-2.0

//! The output columns tdps knows, and the parser of `-o` format lists, as
//! procps `ps` 4.0 has them.

use std::fmt;

use task_diag::ShowFlags;

/// The value a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The terminal's foreground process group.
    Tpgid,
    /// The state letter.
    State,
    /// The BSD state with its flags: `stat`.
    Stat,
    /// The command name (`comm`; the command line with `-f`).
    Comm,
    /// The command line (`args`; the name with `c`).
    Args,
    /// The effective user's name.
    Euser,
    /// The real user's name.
    Ruser,
    /// The saved user's name.
    Suser,
    /// The filesystem user's name.
    Fuser,
    /// The effective user id.
    Euid,
    /// The real user id.
    Ruid,
    /// The saved user id.
    Suid,
    /// The filesystem user id.
    Fuid,
    /// The effective group's name.
    Egroup,
    /// The real group's name.
    Rgroup,
    /// The effective group id.
    Egid,
    /// The real group id.
    Rgid,
    /// The saved group id.
    Sgid,
    /// The filesystem group id.
    Fgid,
    /// Resident set size, kB.
    Rss,
    /// Virtual size, kB.
    Vsz,
    /// Virtual size, pages.
    Sz,
    /// Resident share of memory, per mille.
    Pmem,
    /// CPU share since start, per mille.
    Pcpu,
    /// CPU share since start, percent.
    C,
    /// CPU time, `[dd-]hh:mm:ss`.
    Time,
    /// CPU time, seconds.
    Times,
    /// CPU time, `mmm:ss`.
    Bsdtime,
    /// Elapsed time, `[[dd-]hh:]mm:ss`.
    Etime,
    /// Elapsed time, seconds.
    Etimes,
    /// Start, `HH:MM:SS` or `Mon dd`.
    Start,
    /// Start, `%a %b %e %H:%M:%S %Y`.
    Lstart,
    /// Start, `HH:MM`, `MonDD` or `YYYY`.
    Stime,
    /// Start, `HH:MM` or `Mon dd` of `bsdstart`.
    Bsdstart,
    /// The controlling terminal.
    Tty,
    /// The nice value.
    Nice,
    /// Priority as `pri` shows it.
    Pri,
    /// Priority as `opri` shows it.
    Opri,
    /// Priority as the kernel gives it.
    Priority,
    /// Real-time priority.
    Rtprio,
    /// The CPU last run on.
    Psr,
    /// Threads of the process.
    Nlwp,
    /// The flags, octal.
    Flags,
    /// Minor faults.
    Minflt,
    /// Major faults.
    Majflt,
    /// The kernel function slept in (`/proc/TID/wchan`).
    Wchan,
    /// A placeholder shown as `-`.
    Nop,
}

impl Field {
    /// The task_diag groups the field is computed from (BASE aside), with
    /// `comm` showing the command line (`-f`) or `args` the name (`c`) as
    /// told.
    pub fn needs(self, comm_long: bool, args_short: bool) -> ShowFlags {
        use Field::*;
        let name = task_diag::show_name();
        match self {
            Tgid | Tid | Ppid | Pgid | Sid | State => ShowFlags::empty(),
            Comm if comm_long => ShowFlags::CMDLINE | name,
            Args if !args_short => ShowFlags::CMDLINE | name,
            Comm | Args => name,
            Euser | Ruser | Suser | Fuser | Euid | Ruid | Suid | Fuid | Egroup | Rgroup | Egid
            | Rgid | Sgid | Fgid => ShowFlags::CRED,
            Rss | Vsz | Sz | Pmem => ShowFlags::STATM,
            Stat => ShowFlags::STAT | ShowFlags::STATM,
            Wchan | Nop => ShowFlags::empty(),
            _ => ShowFlags::STAT,
        }
    }
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

const fn spec(
    name: &'static str,
    head: &'static str,
    field: Field,
    width: usize,
    just: Just,
) -> Spec {
    Spec {
        name,
        head,
        field,
        width,
        pid_width: false,
        just,
    }
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

const fn right(name: &'static str, head: &'static str, field: Field, width: usize) -> Spec {
    spec(name, head, field, width, Just::Right)
}

const fn left(name: &'static str, head: &'static str, field: Field, width: usize) -> Spec {
    spec(name, head, field, width, Just::Left)
}

const fn unlimited(name: &'static str, head: &'static str, field: Field, width: usize) -> Spec {
    spec(name, head, field, width, Just::Unlimited)
}

/// Every specifier tdps supports, with procps' names, headers, widths and
/// alignments (its format_array).
pub const SPECS: &[Spec] = &[
    right("%cpu", "%CPU", Field::Pcpu, 4),
    right("%mem", "%MEM", Field::Pmem, 4),
    right("addr_1", "ADDR", Field::Nop, 1),
    unlimited("args", "COMMAND", Field::Args, 27),
    right("bsdstart", "START", Field::Bsdstart, 6),
    right("bsdtime", "TIME", Field::Bsdtime, 6),
    right("c", "C", Field::C, 2),
    unlimited("cmd", "CMD", Field::Args, 27),
    unlimited("comm", "COMMAND", Field::Comm, 15),
    unlimited("command", "COMMAND", Field::Args, 27),
    right("cputime", "TIME", Field::Time, 8),
    right("cputimes", "TIME", Field::Times, 8),
    right("egid", "EGID", Field::Egid, 5),
    left("egroup", "EGROUP", Field::Egroup, 8),
    right("etime", "ELAPSED", Field::Etime, 11),
    right("etimes", "ELAPSED", Field::Etimes, 7),
    right("euid", "EUID", Field::Euid, 5),
    left("euser", "EUSER", Field::Euser, 8),
    right("f", "F", Field::Flags, 1),
    right("fgid", "FGID", Field::Fgid, 5),
    right("flag", "F", Field::Flags, 1),
    right("flags", "F", Field::Flags, 1),
    right("fsgid", "FSGID", Field::Fgid, 5),
    right("fsuid", "FSUID", Field::Fuid, 5),
    left("fsuser", "FSUSER", Field::Fuser, 8),
    right("fuid", "FUID", Field::Fuid, 5),
    left("fuser", "FUSER", Field::Fuser, 8),
    right("gid", "GID", Field::Egid, 5),
    left("group", "GROUP", Field::Egroup, 8),
    right("intpri", "PRI", Field::Opri, 3),
    right("lstart", "STARTED", Field::Lstart, 24),
    pid("lwp", "LWP", Field::Tid),
    right("majflt", "MAJFLT", Field::Majflt, 6),
    right("maj_flt", "MAJFL", Field::Majflt, 6),
    right("minflt", "MINFLT", Field::Minflt, 6),
    right("min_flt", "MINFL", Field::Minflt, 6),
    right("ni", "NI", Field::Nice, 3),
    right("nice", "NI", Field::Nice, 3),
    right("nlwp", "NLWP", Field::Nlwp, 4),
    right("opri", "PRI", Field::Opri, 3),
    right("pcpu", "%CPU", Field::Pcpu, 4),
    pid("pgid", "PGID", Field::Pgid),
    pid("pgrp", "PGRP", Field::Pgid),
    pid("pid", "PID", Field::Tgid),
    right("pmem", "%MEM", Field::Pmem, 4),
    pid("ppid", "PPID", Field::Ppid),
    right("pri", "PRI", Field::Pri, 3),
    right("priority", "PRI", Field::Priority, 3),
    right("psr", "PSR", Field::Psr, 3),
    right("rgid", "RGID", Field::Rgid, 5),
    left("rgroup", "RGROUP", Field::Rgroup, 8),
    right("rss", "RSS", Field::Rss, 5),
    right("rssize", "RSS", Field::Rss, 5),
    right("rsz", "RSZ", Field::Rss, 5),
    right("rtprio", "RTPRIO", Field::Rtprio, 6),
    right("ruid", "RUID", Field::Ruid, 5),
    left("ruser", "RUSER", Field::Ruser, 8),
    left("s", "S", Field::State, 1),
    pid("sess", "SESS", Field::Sid),
    pid("session", "SESS", Field::Sid),
    right("sgid", "SGID", Field::Sgid, 5),
    pid("sid", "SID", Field::Sid),
    pid("spid", "SPID", Field::Tid),
    right("start", "STARTED", Field::Start, 8),
    right("start_time", "START", Field::Stime, 5),
    left("stat", "STAT", Field::Stat, 4),
    left("state", "S", Field::State, 1),
    right("stime", "STIME", Field::Stime, 5),
    right("suid", "SUID", Field::Suid, 5),
    left("suser", "SUSER", Field::Suser, 8),
    right("svgid", "SVGID", Field::Sgid, 5),
    right("svuid", "SVUID", Field::Suid, 5),
    right("sz", "SZ", Field::Sz, 5),
    pid("tgid", "TGID", Field::Tgid),
    right("thcount", "THCNT", Field::Nlwp, 5),
    pid("tid", "TID", Field::Tid),
    right("time", "TIME", Field::Time, 8),
    right("times", "TIME", Field::Times, 8),
    left("tname", "TTY", Field::Tty, 8),
    pid("tpgid", "TPGID", Field::Tpgid),
    left("tt", "TT", Field::Tty, 8),
    left("tty", "TT", Field::Tty, 8),
    left("tty8", "TTY", Field::Tty, 8),
    unlimited("ucmd", "CMD", Field::Comm, 15),
    unlimited("ucomm", "COMMAND", Field::Comm, 15),
    right("uid", "UID", Field::Euid, 5),
    left("uid_hack", "UID", Field::Euser, 8),
    left("uname", "USER", Field::Euser, 8),
    left("user", "USER", Field::Euser, 8),
    right("vsize", "VSZ", Field::Vsz, 6),
    right("vsz", "VSZ", Field::Vsz, 6),
    left("wchan", "WCHAN", Field::Wchan, 6),
];

/// The specifier named `name`.
pub fn find(name: &[u8]) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name.as_bytes() == name)
}

/// The specifier named `name`, which must be in [`SPECS`] (for the
/// built-in formats).
pub fn known(name: &str) -> &'static Spec {
    find(name.as_bytes()).unwrap_or(&SPECS[0])
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
    /// The column of `spec` with its default header and width.
    pub fn plain(spec: &'static Spec) -> Self {
        Self {
            spec,
            header: None,
            width: None,
        }
    }

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
            parse_format(b"pid,bogus"),
            Err(FormatError::Unsupported("bogus".into()))
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
