// SPDX-License-Identifier: MIT OR Apache-2.0

//! The command line of tdps: procps `ps` syntax, the part of it tdps
//! supports.
//!
//! procps reads its arguments in up to two passes: first with UNIX options
//! (`-e`) as UNIX options, and when that fails, again with them read as BSD
//! options (so `-ax` means `ax`), in which pass a BSD word without a dash is
//! an error. When both fail it reports the first pass's error. tdps does
//! the same, knowing every option of procps 4.0.2 so as to fail and retry
//! where procps does; the options it does not support are collected and
//! reported once a pass succeeds.

use std::ffi::OsString;

use task_diag::BackendChoice;

use crate::columns::{known, parse_format, ColumnSpec, FormatError};
use crate::defaults;
use crate::forest::{self, Style};

/// What a selection list matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `-p`, `p`, `--pid`, a trailing pid: the process id (thread-group id).
    Pid,
    /// `--ppid`: the parent's process id.
    Ppid,
    /// `-s`, `--sid`, a trailing `+SID`: the session id.
    Sess,
    /// A trailing `-PGRP`: the process-group id.
    Pgrp,
    /// `-u`, `U`, `--user`: the effective user.
    Euid,
    /// `-U`, `--User`: the real user.
    Ruid,
    /// `-g` with names, `--group`: the effective group.
    Egid,
    /// `-G`, `--Group`: the real group.
    Rgid,
    /// `-t`, `t`, `--tty`: the controlling terminal (`tty_nr`).
    Tty,
    /// `-C`: the command name.
    Comm,
}

/// One selection list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// What it matches.
    pub kind: ListKind,
    /// The ids.
    pub ids: Vec<u32>,
    /// The names, for [`ListKind::Comm`].
    pub names: Vec<Vec<u8>>,
}

/// The default format flags (procps' format_flags and format_modifiers)
/// that choose the columns when no `-o` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Formats {
    /// `-f`.
    pub unix_f: bool,
    /// `-l`.
    pub unix_l: bool,
    /// `-F`.
    pub unix_ff: bool,
    /// `-y`.
    pub unix_y: bool,
    /// `-j`.
    pub unix_j: bool,
    /// `u`.
    pub bsd_u: bool,
    /// `j`.
    pub bsd_j: bool,
    /// `l`.
    pub bsd_l: bool,
}

/// The simple selections (procps' simple_select bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Simple {
    /// `-a`: with a terminal, not session leaders.
    pub unix_a: bool,
    /// `-d`: not session leaders.
    pub unix_d: bool,
    /// `a`: with a terminal.
    pub bsd_a: bool,
    /// `x`: without the terminal condition.
    pub bsd_x: bool,
    /// `g`: session leaders too.
    pub bsd_g: bool,
}

/// One `--sort` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The specifier sorted on.
    pub spec: &'static crate::columns::Spec,
    /// Whether in decreasing order (`-`).
    pub reverse: bool,
}

/// A parsed command line that tdps can carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Every process (`-e`, `-A`, `ax`); the lists are then ignored.
    pub all: bool,
    /// The simple selections, when not every process.
    pub simple: Simple,
    /// Whether BSD options were given (the BSD defaults apply).
    pub bsd: bool,
    /// `-L` (adds the thread columns of `-f`).
    pub unix_l_threads: bool,
    /// `-T`.
    pub unix_t_threads: bool,
    /// The default format flags.
    pub formats: Formats,
    /// `c`: `args` shows the command name.
    pub bsd_c: bool,
    /// The sort keys, first the most significant: those of `--sort`, and
    /// in a forest view the forest's (`forest::sort_keys()`).
    pub sort: Vec<SortKey>,
    /// `f`, `--forest`, `-H`: the forest view, the last one given.
    pub forest: Option<Style>,
    /// The selection lists, any of which selects a task.
    pub lists: Vec<List>,
    /// `-N`, `--deselect`: select the tasks not selected.
    pub negate: bool,
    /// `-L`, `-T`, `H`: one line per thread.
    pub threads: bool,
    /// The columns, in order.
    pub columns: Vec<ColumnSpec>,
    /// Whether a header line may be printed (no `--no-headers`, `h`).
    pub headers: bool,
    /// The number of `w` options.
    pub wide: u32,
    /// `--cols N`.
    pub cols: Option<i64>,
    /// `--backend`.
    pub backend: BackendChoice,
}

/// Why a command line cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    /// An option or form procps has and tdps does not.
    UnsupportedOption(String),
    /// A column tdps does not know.
    UnsupportedColumn(String),
    /// An error procps reports too, with its message.
    Invalid(String),
}

/// The kinds of argument, by their first characters (procps' arg_type()).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArgType {
    Gnu,
    Sysv,
    Bsd,
    Pid,
    Pgrp,
    Sess,
    Garbage,
}

fn arg_type(arg: &[u8]) -> ArgType {
    let at = |i: usize| arg.get(i).copied().unwrap_or(0);
    match at(0) {
        c if c.is_ascii_alphabetic() => return ArgType::Bsd,
        c if c.is_ascii_digit() => return ArgType::Pid,
        b'+' => return ArgType::Sess,
        b'-' => {}
        _ => return ArgType::Garbage,
    }
    match at(1) {
        c if c.is_ascii_alphabetic() => return ArgType::Sysv,
        c if c.is_ascii_digit() => return ArgType::Pgrp,
        b'-' => {}
        _ => return ArgType::Garbage,
    }
    match at(2) {
        c if c.is_ascii_alphabetic() => ArgType::Gnu,
        _ => ArgType::Garbage,
    }
}

/// The state of one pass over the arguments.
#[derive(Debug, Default)]
struct Pass {
    all: bool,
    simple: Simple,
    /// The first simple selection, as written, for the message.
    simple_text: Option<String>,
    lists: Vec<List>,
    negate: bool,
    thread_unix_l: bool,
    thread_unix_t: bool,
    thread_bsd_h: bool,
    thread_m: bool,
    forest: Option<Style>,
    formats: Vec<Vec<u8>>,
    /// `-O`/`O` lists: (list, BSD).
    o_formats: Vec<(Vec<u8>, bool)>,
    flags: Formats,
    bsd_seen: bool,
    bsd_c: bool,
    sort: Vec<Vec<u8>>,
    header_set: bool,
    no_header: bool,
    wide: u32,
    cols: Option<i64>,
    backend: Option<BackendChoice>,
    unsupported: Vec<String>,
}

type PassResult<T = ()> = Result<T, String>;

/// `strtoul()`/`strtol()` with base 0 over the whole of `text`: leading
/// white space, a sign, `0x` for hexadecimal, `0` for octal. `None` when
/// something other than the number remains, or when there is no number.
pub fn c_number(text: &[u8]) -> Option<i128> {
    let mut rest = text;
    while let [b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r', tail @ ..] = rest {
        rest = tail;
    }
    let negative = match rest {
        [b'-', tail @ ..] => {
            rest = tail;
            true
        }
        [b'+', tail @ ..] => {
            rest = tail;
            false
        }
        _ => false,
    };
    let (radix, digits) = match rest {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, &rest[2..]),
        [b'0', ..] => (8, rest),
        _ => (10, rest),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i128 = 0;
    for &d in digits {
        let digit = char::from(d).to_digit(radix)?;
        value = value
            .saturating_mul(i128::from(radix))
            .saturating_add(i128::from(digit));
    }
    Some(if negative { -value } else { value })
}

/// procps' parse_pid(): an id from 1 to 2^31 - 1.
fn parse_pid(item: &[u8]) -> PassResult<u32> {
    let value = c_number(item).ok_or("process ID list syntax error")?;
    // strtoul() wraps negative numbers and saturates at ULONG_MAX.
    let value = if value < 0 {
        u64::MAX as i128 + 1 + value.max(-(u64::MAX as i128))
    } else {
        value.min(u64::MAX as i128)
    };
    if !(1..=0x7fff_ffff).contains(&value) {
        return Err("process ID out of range".into());
    }
    Ok(value as u32)
}

/// procps' parse_list(): ids separated by commas, spaces or tabs, with no
/// empty item.
fn parse_list(arg: &[u8]) -> PassResult<Vec<u32>> {
    let is_sep = |b: u8| matches!(b, b' ' | b',' | b'\t');
    if arg.is_empty() || arg.split(|&b| is_sep(b)).any(<[u8]>::is_empty) {
        return Err("improper list".into());
    }
    arg.split(|&b| is_sep(b)).map(parse_pid).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Pass {
    fn unsupported(&mut self, what: impl Into<String>) {
        self.unsupported.push(what.into());
    }

    fn simple(&mut self, text: &str, set: impl FnOnce(&mut Simple)) {
        set(&mut self.simple);
        self.simple_text.get_or_insert_with(|| text.to_owned());
    }

    fn list(&mut self, kind: ListKind, arg: &[u8]) -> PassResult {
        let ids = parse_list(arg)?;
        self.lists.push(List {
            kind,
            ids,
            names: Vec::new(),
        });
        Ok(())
    }

    /// A list of users, groups, terminals or commands (procps'
    /// parse_list() with parse_uid(), parse_gid(), parse_tty(),
    /// parse_cmd()).
    fn named_list(&mut self, kind: ListKind, arg: &[u8]) -> PassResult {
        let is_sep = |b: u8| matches!(b, b' ' | b',' | b'\t');
        if arg.is_empty() || arg.split(|&b| is_sep(b)).any(<[u8]>::is_empty) {
            return Err("improper list".into());
        }
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for item in arg.split(|&b| is_sep(b)) {
            let number = || {
                std::str::from_utf8(item)
                    .ok()
                    .and_then(|t| t.parse::<u32>().ok())
            };
            match kind {
                ListKind::Euid | ListKind::Ruid => ids.push(
                    crate::names::Names::uid_of(item)
                        .or_else(number)
                        .ok_or("user name does not exist")?,
                ),
                ListKind::Egid | ListKind::Rgid => ids.push(
                    crate::names::Names::gid_of(item)
                        .or_else(number)
                        .ok_or("group name does not exist")?,
                ),
                ListKind::Tty => {
                    if item == b"-" || item == b"?" {
                        ids.push(0);
                    } else {
                        ids.push(crate::tty::number_of(item).ok_or("TTY could not be found")?);
                    }
                }
                _ => names.push(item.to_vec()),
            }
        }
        self.lists.push(List { kind, ids, names });
        Ok(())
    }

    fn no_header(&mut self) -> PassResult {
        if self.header_set {
            return Err("only one heading option may be specified".into());
        }
        self.header_set = true;
        self.no_header = true;
        Ok(())
    }

    /// The argument of the option at `arg[at]`: the rest of `arg`, else the
    /// next argument if not empty (procps' get_opt_arg()).
    fn opt_arg<'a>(args: &'a [Vec<u8>], i: &mut usize, at: usize) -> Option<&'a [u8]> {
        let arg = args.get(*i)?;
        match arg.get(at + 1..) {
            Some(rest) if !rest.is_empty() => Some(rest),
            _ => {
                let next = args.get(*i + 1).filter(|n| !n.is_empty())?;
                *i += 1;
                Some(next)
            }
        }
    }

    /// A UNIX option word, `-xyz`.
    fn unix(&mut self, args: &[Vec<u8>], i: &mut usize) -> PassResult {
        let arg = args.get(*i).cloned().unwrap_or_default();
        for (at, &c) in arg.iter().enumerate().skip(1) {
            let option = format!("-{}", char::from(c));
            let mut need = |message: &str| -> PassResult<Vec<u8>> {
                Self::opt_arg(args, i, at)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| message.to_owned())
            };
            match c {
                b'A' | b'e' => self.all = true,
                b'L' => self.thread_unix_l = true,
                b'T' => self.thread_unix_t = true,
                b'm' => {
                    self.thread_m = true;
                    self.unsupported(option);
                }
                b'N' => self.negate = true,
                b'w' => self.wide += 1,
                b'a' => self.simple(&option, |s| s.unix_a = true),
                b'd' => self.simple(&option, |s| s.unix_d = true),
                b'o' => {
                    let list = need("format specification must follow -o")?;
                    self.formats.push(list);
                    return Ok(());
                }
                b'p' => {
                    let list = need("list of process IDs must follow -p")?;
                    return self.list(ListKind::Pid, &list);
                }
                b's' => {
                    let list = need("list of session IDs must follow -s")?;
                    return self.list(ListKind::Sess, &list);
                }
                b'q' => {
                    let list = need("List of process IDs must follow -q.")?;
                    parse_list(&list)?;
                    self.unsupported(option);
                    return Ok(());
                }
                b'C' => {
                    let list = need("list of command names must follow -C")?;
                    return self.named_list(ListKind::Comm, &list);
                }
                b'G' => {
                    let list = need("list of real groups must follow -G")?;
                    return self.named_list(ListKind::Rgid, &list);
                }
                b'U' => {
                    let list = need("list of real users must follow -U")?;
                    return self.named_list(ListKind::Ruid, &list);
                }
                b'u' => {
                    let list = need("list of effective users must follow -u")?;
                    return self.named_list(ListKind::Euid, &list);
                }
                b't' => {
                    let list = need("list of terminals (pty, tty...) must follow -t")?;
                    return self.named_list(ListKind::Tty, &list);
                }
                b'g' => {
                    let list =
                        need("list of session leaders OR effective group names must follow -g")?;
                    // All numbers: sessions; else group names (or ids).
                    let numeric = list
                        .iter()
                        .all(|&b| b.is_ascii_digit() || matches!(b, b' ' | b',' | b'\t'));
                    return if numeric {
                        self.list(ListKind::Sess, &list)
                    } else {
                        self.named_list(ListKind::Egid, &list)
                    };
                }
                b'O' => {
                    let list = need("format or sort specification must follow -O")?;
                    self.o_formats.push((list, false));
                    return Ok(());
                }
                b'f' => self.flags.unix_f = true,
                b'F' => {
                    self.flags.unix_ff = true;
                    self.flags.unix_f = true;
                }
                b'l' => self.flags.unix_l = true,
                b'y' => self.flags.unix_y = true,
                b'j' => self.flags.unix_j = true,
                b'V' => {
                    if args.len() != 1 || arg.as_slice() != b"-V" {
                        return Err("the option is exclusive: -V".into());
                    }
                    self.unsupported(option);
                }
                b'H' => self.forest = Some(Style::Indent),
                b'M' | b'P' | b'Z' | b'c' => self.unsupported(option),
                b'x' => return Err("must set personality to get -x option".into()),
                b'-' => return Err("embedded '-' among SysV options makes no sense".into()),
                _ => return Err("unsupported SysV option".into()),
            }
        }
        Ok(())
    }

    /// A BSD option word, `xyz`, or in the second pass `-xyz`.
    fn bsd(&mut self, args: &[Vec<u8>], i: &mut usize) -> PassResult {
        let arg = args.get(*i).cloned().unwrap_or_default();
        let skip = usize::from(arg.first() == Some(&b'-'));
        self.bsd_seen = true;
        for (at, &c) in arg.iter().enumerate().skip(skip) {
            let option = char::from(c).to_string();
            let mut need = |message: &str| -> PassResult<Vec<u8>> {
                Self::opt_arg(args, i, at)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| message.to_owned())
            };
            match c {
                b'0'..=b'9' => return self.list(ListKind::Pid, &arg[at..]),
                b'H' => self.thread_bsd_h = true,
                b'M' | b'm' => {
                    self.thread_m = true;
                    self.unsupported(option);
                }
                b'a' => self.simple(&option, |s| s.bsd_a = true),
                b'x' => self.simple(&option, |s| s.bsd_x = true),
                b'g' => self.simple(&option, |s| s.bsd_g = true),
                b'h' => self.no_header()?,
                // Options that change nothing tdps shows: true command
                // names (args only), numeric user and wchan, dead
                // children's times.
                b'n' | b'S' => {}
                b'c' => self.bsd_c = true,
                b'u' => self.flags.bsd_u = true,
                b'j' => self.flags.bsd_j = true,
                b'l' => self.flags.bsd_l = true,
                b'U' => {
                    let list = need("list of users must follow U")?;
                    return self.named_list(ListKind::Euid, &list);
                }
                b'O' => {
                    let list = need("format or sort specification must follow O")?;
                    self.o_formats.push((list, true));
                    return Ok(());
                }
                b'k' => {
                    let list = need("long sort specification must follow 'k'")?;
                    self.sort.push(list);
                    return Ok(());
                }
                b'w' => self.wide += 1,
                b'o' => {
                    let list = need("format specification must follow o")?;
                    self.formats.push(list);
                    return Ok(());
                }
                b'p' => {
                    let list = need("list of process IDs must follow p")?;
                    return self.list(ListKind::Pid, &list);
                }
                b'q' => {
                    let list = need("List of process IDs must follow q.")?;
                    parse_list(&list)?;
                    self.unsupported(option);
                    return Ok(());
                }
                b't' => {
                    Self::opt_arg(args, i, at);
                    self.unsupported(option);
                    return Ok(());
                }
                // Options that must stand alone: list the columns, print
                // the version.
                b'L' | b'V' => {
                    if args.len() != 1 || arg.as_slice() != [c] {
                        return Err(format!("the option is exclusive: {option}"));
                    }
                    self.unsupported(option);
                }
                // v needs the code and data sizes, which no group carries.
                b'f' => self.forest = Some(Style::Art),
                b'T' | b'X' | b'Z' | b'e' | b'r' | b's' | b'v' => self.unsupported(option),
                b'W' => {
                    return Err("obsolete W option not supported (you have a /dev/drum?)".into())
                }
                b'-' => return Err("embedded '-' among BSD options makes no sense".into()),
                _ => return Err("unsupported option (BSD syntax)".into()),
            }
        }
        Ok(())
    }

    /// A long option, `--name`, `--name=ARG`, `--name:ARG` or `--name ARG`.
    fn gnu(&mut self, args: &[Vec<u8>], i: &mut usize) -> PassResult {
        let arg = args.get(*i).cloned().unwrap_or_default();
        let body = arg.get(2..).unwrap_or_default();
        let name_len = body
            .iter()
            .position(|&b| b == b'=' || b == b':')
            .unwrap_or(body.len());
        let (name, rest) = body.split_at(name_len);
        let option = format!("--{}", text(name));
        if name_len > 15 {
            self.unsupported(option);
            return Ok(());
        }
        // procps' grab_gnu_arg().
        let mut grab = || -> Option<Vec<u8>> {
            match rest {
                [b'=' | b':', value @ ..] if !value.is_empty() => Some(value.to_vec()),
                [] => {
                    let next = args.get(*i + 1).filter(|n| !n.is_empty())?.clone();
                    *i += 1;
                    Some(next)
                }
                _ => None,
            }
        };
        match name {
            b"pid" => {
                let list = grab().ok_or("list of process IDs must follow --pid")?;
                self.list(ListKind::Pid, &list)
            }
            b"ppid" => {
                let list = grab().ok_or("list of process IDs must follow --ppid")?;
                self.list(ListKind::Ppid, &list)
            }
            b"sid" => {
                let list = grab().ok_or("some sid thing(s) must follow --sid")?;
                self.list(ListKind::Sess, &list)
            }
            b"format" => {
                let list = grab().ok_or("format specification must follow --format")?;
                self.formats.push(list);
                Ok(())
            }
            b"forest" => {
                if !rest.is_empty() {
                    return Err("option --forest does not take an argument".into());
                }
                self.forest = Some(Style::Art);
                Ok(())
            }
            b"deselect" => {
                if !rest.is_empty() {
                    return Err("option --deselect does not take an argument".into());
                }
                self.negate = true;
                Ok(())
            }
            b"no-header" | b"no-headers" | b"no-heading" | b"no-headings" | b"noheader"
            | b"noheaders" | b"noheading" | b"noheadings" => {
                if !rest.is_empty() {
                    return Err("option --no-heading does not take an argument".into());
                }
                self.no_header()
            }
            b"cols" | b"columns" | b"width" => {
                let cols = grab()
                    .and_then(|a| c_number(&a))
                    .filter(|&t| t > 0 && t < 2_000_000_000)
                    .ok_or("number of columns must follow --cols, --width, or --columns")?;
                self.cols = Some(cols as i64);
                Ok(())
            }
            b"backend" => {
                let value =
                    grab().ok_or("a backend (auto, task-diag, procfs) must follow --backend")?;
                self.backend = Some(match value.as_slice() {
                    b"auto" => BackendChoice::Auto,
                    b"task-diag" | b"task_diag" => BackendChoice::TaskDiag,
                    b"procfs" => BackendChoice::Procfs,
                    _ => {
                        return Err(format!(
                            "unknown backend {:?}: use auto, task-diag or procfs",
                            text(&value)
                        ))
                    }
                });
                Ok(())
            }
            b"sort" => {
                let list = grab().ok_or("long sort specification must follow --sort")?;
                self.sort.push(list);
                Ok(())
            }
            b"user" => {
                let list = grab().ok_or("list of users must follow --user")?;
                self.named_list(ListKind::Euid, &list)
            }
            b"User" => {
                let list = grab().ok_or("list of real users must follow --User")?;
                self.named_list(ListKind::Ruid, &list)
            }
            b"group" => {
                let list = grab().ok_or("list of effective groups must follow --group")?;
                self.named_list(ListKind::Egid, &list)
            }
            b"Group" => {
                let list = grab().ok_or("list of real groups must follow --Group")?;
                self.named_list(ListKind::Rgid, &list)
            }
            b"tty" => {
                let list = grab().ok_or("list of ttys must follow --tty")?;
                self.named_list(ListKind::Tty, &list)
            }
            b"quick-pid" | b"rows" | b"lines" | b"date-format" | b"help" => {
                grab();
                self.unsupported(option);
                Ok(())
            }
            _ => {
                self.unsupported(option);
                Ok(())
            }
        }
    }

    /// Trailing ids: every argument from here on is a pid, `-PGRP` or
    /// `+SID` (procps' parse_trailing_pids()).
    fn trailing(&mut self, args: &[Vec<u8>]) -> PassResult {
        let mut pids = Vec::new();
        let mut pgrps = Vec::new();
        let mut sids = Vec::new();
        for arg in args {
            match arg.split_first() {
                Some((b'-', rest)) => pgrps.push(parse_pid(rest)?),
                Some((b'+', rest)) => sids.push(parse_pid(rest)?),
                _ => pids.push(parse_pid(arg)?),
            }
        }
        for (kind, ids) in [
            (ListKind::Pid, pids),
            (ListKind::Pgrp, pgrps),
            (ListKind::Sess, sids),
        ] {
            if !ids.is_empty() {
                self.lists.push(List {
                    kind,
                    ids,
                    names: Vec::new(),
                });
            }
        }
        Ok(())
    }

    /// One pass over `args`, with the checks procps makes after it.
    fn run(args: &[Vec<u8>], force_bsd: bool) -> PassResult<(Pass, Vec<ColumnSpec>, Vec<String>)> {
        let mut pass = Pass::default();
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            match arg_type(arg) {
                ArgType::Gnu => pass.gnu(args, &mut i)?,
                ArgType::Sysv if !force_bsd => pass.unix(args, &mut i)?,
                ArgType::Sysv | ArgType::Bsd => {
                    if force_bsd && arg.first() != Some(&b'-') {
                        return Err("second chance parse failed, not BSD or SysV".into());
                    }
                    pass.bsd(args, &mut i)?;
                }
                ArgType::Pid | ArgType::Pgrp | ArgType::Sess => {
                    pass.trailing(&args[i..])?;
                    break;
                }
                ArgType::Garbage => return Err("garbage option".into()),
            }
            i += 1;
        }

        // procps' thread_option_check().
        let threads =
            pass.thread_unix_l || pass.thread_unix_t || pass.thread_bsd_h || pass.thread_m;
        if threads && pass.forest.is_some() {
            return Err("thread display conflicts with forest display".into());
        }
        if pass.thread_bsd_h && pass.thread_m {
            return Err("thread flags conflict; can't use H with m or -m".into());
        }
        if pass.thread_unix_l && pass.thread_unix_t {
            return Err("thread flags conflict; can't use both -L and -T".into());
        }

        // procps' process_sf_options().
        let mut columns = Vec::new();
        let mut unsupported_columns = Vec::new();
        for list in &pass.formats {
            match parse_format(list) {
                Ok(more) => columns.extend(more),
                Err(FormatError::Unsupported(name)) => unsupported_columns.push(name),
                Err(FormatError::Invalid(message)) => return Err(message.into()),
            }
        }

        // procps' select_bits_setup().
        let s = pass.simple;
        let unix = s.unix_a || s.unix_d;
        let bsd = s.bsd_a || s.bsd_x || s.bsd_g;
        if (unix && bsd) || (s.bsd_g && !s.bsd_a && !s.bsd_x) {
            return Err("process selection options conflict".into());
        }
        Ok((pass, columns, unsupported_columns))
    }
}

/// Parses the arguments (without the program name).
pub fn parse(args: &[OsString]) -> Result<Command, ArgError> {
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_encoded_bytes().to_vec()).collect();
    let (pass, mut columns, mut unsupported_columns) = match Pass::run(&args, false) {
        Ok(done) => done,
        Err(first) => Pass::run(&args, true).map_err(|_| ArgError::Invalid(first))?,
    };
    if let Some(option) = pass.unsupported.first() {
        return Err(ArgError::UnsupportedOption(option.clone()));
    }
    let threads_l = pass.thread_unix_l;
    let threads_t = pass.thread_unix_t;
    if pass.flags.unix_y && !pass.flags.unix_l {
        return Err(ArgError::Invalid(
            "modifier -y without format -l makes no sense".into(),
        ));
    }
    // procps' -O and O: pid, the list, then the trailer.
    for (list, bsd) in &pass.o_formats {
        let trailer = if *bsd {
            "state,tname,cputime,comm"
        } else {
            "state,tname,time,command"
        };
        match parse_format(list) {
            Ok(more) => {
                columns.push(ColumnSpec::plain(known("pid")));
                columns.extend(more);
                columns.extend(parse_format(trailer.as_bytes()).unwrap_or_default());
            }
            Err(FormatError::Unsupported(name)) => unsupported_columns.push(name),
            Err(FormatError::Invalid(message)) => return Err(ArgError::Invalid(message.into())),
        }
    }
    if let Some(column) = unsupported_columns.first() {
        return Err(ArgError::UnsupportedColumn(column.clone()));
    }
    if columns.is_empty() {
        columns = defaults::columns(&pass.flags, pass.bsd_seen, threads_l, threads_t);
    }
    let mut sort = Vec::new();
    for list in &pass.sort {
        sort.extend(parse_sort(list)?);
    }
    if pass.forest.is_some() {
        sort = forest::sort_keys(sort);
    }
    let s = pass.simple;
    let all = pass.all || (s.bsd_a && s.bsd_x);
    Ok(Command {
        all,
        simple: s,
        bsd: pass.bsd_seen,
        unix_l_threads: threads_l,
        unix_t_threads: threads_t,
        formats: pass.flags,
        bsd_c: pass.bsd_c,
        sort,
        forest: pass.forest,
        lists: pass.lists,
        negate: pass.negate,
        threads: pass.thread_unix_l || pass.thread_unix_t || pass.thread_bsd_h,
        columns,
        headers: !pass.no_header,
        wide: pass.wide,
        cols: pass.cols,
        backend: pass.backend.unwrap_or_default(),
    })
}

/// Parses a `--sort` list: `[+|-]NAME` items separated by commas.
fn parse_sort(list: &[u8]) -> Result<Vec<SortKey>, ArgError> {
    let mut keys = Vec::new();
    for item in list.split(|&b| b == b',') {
        let (reverse, name) = match item {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            _ => (false, item),
        };
        if name.is_empty() {
            return Err(ArgError::Invalid("improper sort list".into()));
        }
        let spec =
            crate::columns::find(name).ok_or_else(|| ArgError::UnsupportedColumn(text(name)))?;
        keys.push(SortKey { spec, reverse });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &str) -> Result<Command, ArgError> {
        let args: Vec<OsString> = args.split_whitespace().map(OsString::from).collect();
        parse(&args)
    }

    fn names(cmd: &Command) -> Vec<&'static str> {
        cmd.columns.iter().map(|c| c.spec.name).collect()
    }

    #[test]
    fn selections() {
        let cmd = run("ax -o pid,comm").unwrap();
        assert!(cmd.all && !cmd.threads && cmd.headers);
        assert_eq!(names(&cmd), ["pid", "comm"]);
        assert!(run("-e -o pid").unwrap().all);
        assert!(run("-A -o pid").unwrap().all);
        assert!(run("xa -o pid").unwrap().all);
        // "-ax" fails as UNIX options and is read again as BSD ones.
        assert!(run("-ax -o pid").unwrap().all);
        assert!(run("-eL -o pid,tid").unwrap().threads);
        assert!(run("-e -T -o pid").unwrap().threads);
        assert!(run("axH -o pid").unwrap().threads);

        let cmd = run("-p 1,2 --ppid 3 --sid=4 -s5 -o pid").unwrap();
        assert!(!cmd.all);
        assert_eq!(
            cmd.lists,
            [
                List {
                    kind: ListKind::Pid,
                    ids: vec![1, 2],
                    names: Vec::new(),
                },
                List {
                    kind: ListKind::Ppid,
                    ids: vec![3],
                    names: Vec::new(),
                },
                List {
                    kind: ListKind::Sess,
                    ids: vec![4],
                    names: Vec::new(),
                },
                List {
                    kind: ListKind::Sess,
                    ids: vec![5],
                    names: Vec::new(),
                },
            ]
        );
        let cmd = run("-o pid -N p7 0x10 -20 +30").unwrap();
        assert!(cmd.negate);
        assert_eq!(
            cmd.lists,
            [
                List {
                    kind: ListKind::Pid,
                    ids: vec![7],
                    names: Vec::new(),
                },
                List {
                    kind: ListKind::Pid,
                    ids: vec![16],
                    names: Vec::new(),
                },
                List {
                    kind: ListKind::Pgrp,
                    ids: vec![20],
                    names: Vec::new(),
                },
                List {
                    kind: ListKind::Sess,
                    ids: vec![30],
                    names: Vec::new(),
                },
            ]
        );
        assert_eq!(run("--pid 010 -o pid").unwrap().lists[0].ids, [8]);
    }

    #[test]
    fn formats_and_headers() {
        let cmd = run("-e -o pid= -o comm=NAME --no-headers").unwrap();
        assert_eq!(names(&cmd), ["pid", "comm"]);
        assert!(!cmd.headers);
        assert!(!run("ax h o pid").unwrap().headers);
        assert_eq!(
            run("ax h --no-headers -o pid"),
            Err(ArgError::Invalid(
                "only one heading option may be specified".into()
            ))
        );
        assert_eq!(
            names(&run("-e -opid,tid --format=comm").unwrap()),
            ["pid", "tid", "comm"]
        );
        let cmd = run("-e -o pid --backend procfs --cols 40 w w").unwrap();
        assert_eq!(cmd.backend, BackendChoice::Procfs);
        assert_eq!(cmd.cols, Some(40));
        assert_eq!(cmd.wide, 2);
        assert_eq!(
            run("-e -o pid --backend=task-diag").unwrap().backend,
            BackendChoice::TaskDiag
        );
    }

    #[test]
    fn unsupported() {
        let option = |s: &str| Err(ArgError::UnsupportedOption(s.into()));
        assert_eq!(run("-e --bogus -o pid"), option("--bogus"));
        assert_eq!(run("-em -o pid"), option("-m"));
        assert_eq!(
            run("-e -o pid,cgroup"),
            Err(ArgError::UnsupportedColumn("cgroup".into()))
        );
        assert_eq!(
            run("-e --sort=-bogus"),
            Err(ArgError::UnsupportedColumn("bogus".into()))
        );
    }

    #[test]
    fn forests() {
        let keys = |cmd: &Command| -> Vec<(&str, bool)> {
            cmd.sort.iter().map(|k| (k.spec.name, k.reverse)).collect()
        };
        let cmd = run("axjf").unwrap();
        assert_eq!(cmd.forest, Some(Style::Art));
        assert_eq!(keys(&cmd), [("ppid", false), ("start_time", false)]);
        let cmd = run("-ef --forest --sort=-pid").unwrap();
        assert_eq!(cmd.forest, Some(Style::Art));
        assert_eq!(keys(&cmd), [("pid", true), ("start_time", false)]);
        assert_eq!(run("-eH").unwrap().forest, Some(Style::Indent));
        assert_eq!(run("-e --forest -H").unwrap().forest, Some(Style::Indent));
        assert_eq!(run("-eH f").unwrap().forest, Some(Style::Art));
        assert_eq!(run("-e").unwrap().forest, None);
        let invalid = |s: &str| Err(ArgError::Invalid(s.into()));
        assert_eq!(
            run("-eL --forest"),
            invalid("thread display conflicts with forest display")
        );
        assert_eq!(
            run("axHf"),
            invalid("thread display conflicts with forest display")
        );
        assert_eq!(
            run("-e --forest=x"),
            invalid("option --forest does not take an argument")
        );
    }

    #[test]
    fn defaults_and_new_options() {
        let names = |a: &str| names(&run(a).unwrap()).join(",");
        assert_eq!(names(""), "pid,tname,time,ucmd");
        assert_eq!(names("-ef"), "uid_hack,pid,ppid,c,stime,tname,time,cmd");
        assert_eq!(
            names("aux"),
            "user,pid,pcpu,pmem,vsz,rss,tname,stat,start_time,bsdtime,args"
        );
        assert_eq!(names("x"), "pid,tname,stat,bsdtime,args");
        assert_eq!(names("-O rss"), "pid,rss,state,tname,time,command");
        let cmd = run("aux").unwrap();
        assert!(cmd.all && cmd.formats.bsd_u && cmd.bsd);
        let cmd = run("-u root -U 0 -G root -C sleep,bash -o pid").unwrap();
        let kinds: Vec<ListKind> = cmd.lists.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                ListKind::Euid,
                ListKind::Ruid,
                ListKind::Rgid,
                ListKind::Comm
            ]
        );
        assert_eq!(cmd.lists[0].ids, [0]);
        assert_eq!(cmd.lists[3].names, [b"sleep".to_vec(), b"bash".to_vec()]);
        // -g: all numbers are sessions, names are groups.
        assert_eq!(run("-g 1 -o pid").unwrap().lists[0].kind, ListKind::Sess);
        assert_eq!(run("-g root -o pid").unwrap().lists[0].kind, ListKind::Egid);
        let cmd = run("-e --sort=-rss,pid -o pid").unwrap();
        let keys: Vec<(&str, bool)> = cmd.sort.iter().map(|k| (k.spec.name, k.reverse)).collect();
        assert_eq!(keys, [("rss", true), ("pid", false)]);
        assert_eq!(
            run("-y -e"),
            Err(ArgError::Invalid(
                "modifier -y without format -l makes no sense".into()
            ))
        );
    }

    #[test]
    fn errors() {
        let invalid = |s: &str| Err(ArgError::Invalid(s.into()));
        assert_eq!(
            run("-p abc -o pid"),
            invalid("process ID list syntax error")
        );
        assert_eq!(run("-p 0 -o pid"), invalid("process ID out of range"));
        assert_eq!(run("-p -1 -o pid"), invalid("process ID out of range"));
        assert_eq!(
            run("-p 2147483648 -o pid"),
            invalid("process ID out of range")
        );
        assert_eq!(run("-p 1, -o pid"), invalid("improper list"));
        assert_eq!(run("-p 1,,2 -o pid"), invalid("improper list"));
        assert_eq!(run("-e -o pid,,comm"), invalid("improper format list"));
        assert_eq!(run("-e -o"), invalid("format specification must follow -o"));
        assert_eq!(
            run("-eLT -o pid"),
            invalid("thread flags conflict; can't use both -L and -T")
        );
        assert_eq!(
            run("-ax o pid"),
            invalid("must set personality to get -x option")
        );
        assert_eq!(run("-- -e"), invalid("garbage option"));
        assert_eq!(run("-e -o pid -k"), invalid("unsupported SysV option"));
        assert_eq!(run("-e -o pid -x"), option_error());
    }

    fn option_error() -> Result<Command, ArgError> {
        // "-x" fails the first pass; in the second, "-e -o pid -x" reads as
        // BSD "e" (unsupported), "o pid", "x".
        Err(ArgError::UnsupportedOption("e".into()))
    }

    #[test]
    fn c_numbers() {
        assert_eq!(c_number(b"42"), Some(42));
        assert_eq!(c_number(b" +0x1F"), Some(31));
        assert_eq!(c_number(b"017"), Some(15));
        assert_eq!(c_number(b"0"), Some(0));
        assert_eq!(c_number(b"-3"), Some(-3));
        assert_eq!(c_number(b"0x"), None);
        assert_eq!(c_number(b"08"), None);
        assert_eq!(c_number(b"1 "), None);
        assert_eq!(c_number(b""), None);
    }
}
