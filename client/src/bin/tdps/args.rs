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

use crate::columns::{parse_format, ColumnSpec, FormatError};

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
}

/// One selection list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// What it matches.
    pub kind: ListKind,
    /// The ids.
    pub ids: Vec<u32>,
}

/// A parsed command line that tdps can carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Every process (`-e`, `-A`, `ax`); the lists are then ignored.
    pub all: bool,
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

/// The simple selections (procps' simple_select bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Simple {
    unix_a: bool,
    unix_d: bool,
    bsd_a: bool,
    bsd_x: bool,
    bsd_g: bool,
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
    formats: Vec<Vec<u8>>,
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
        self.lists.push(List { kind, ids });
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
                b'C' | b'G' | b'O' | b'U' | b'g' | b't' | b'u' => {
                    need("an argument must follow this option")?;
                    self.unsupported(option);
                    return Ok(());
                }
                b'V' => {
                    if args.len() != 1 || arg.as_slice() != b"-V" {
                        return Err("the option is exclusive: -V".into());
                    }
                    self.unsupported(option);
                }
                b'F' | b'H' | b'M' | b'P' | b'Z' | b'c' | b'f' | b'j' | b'l' | b'y' => {
                    self.unsupported(option)
                }
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
                b'c' | b'n' | b'S' => {}
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
                b'O' | b'U' | b'k' => {
                    need("an argument must follow this option")?;
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
                b'T' | b'X' | b'Z' | b'e' | b'f' | b'j' | b'l' | b'r' | b's' | b'u' | b'v' => {
                    self.unsupported(option)
                }
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
            b"Group" | b"User" | b"group" | b"user" | b"tty" | b"sort" | b"quick-pid" | b"rows"
            | b"lines" | b"date-format" | b"help" => {
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
                self.lists.push(List { kind, ids });
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
    let (pass, columns, unsupported_columns) = match Pass::run(&args, false) {
        Ok(done) => done,
        Err(first) => Pass::run(&args, true).map_err(|_| ArgError::Invalid(first))?,
    };
    if let Some(option) = pass.unsupported.first() {
        return Err(ArgError::UnsupportedOption(option.clone()));
    }
    if let Some(column) = unsupported_columns.first() {
        return Err(ArgError::UnsupportedColumn(column.clone()));
    }
    if columns.is_empty() {
        return Err(ArgError::UnsupportedOption(
            "default format (use -o)".into(),
        ));
    }
    let s = pass.simple;
    let all = pass.all || (s.bsd_a && s.bsd_x);
    if !all {
        if let Some(simple) = pass.simple_text {
            return Err(ArgError::UnsupportedOption(simple));
        }
        if pass.lists.is_empty() {
            return Err(ArgError::UnsupportedOption(
                "default selection (use -e, ax, -p, --ppid or --sid)".into(),
            ));
        }
    }
    Ok(Command {
        all,
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
                    ids: vec![1, 2]
                },
                List {
                    kind: ListKind::Ppid,
                    ids: vec![3]
                },
                List {
                    kind: ListKind::Sess,
                    ids: vec![4]
                },
                List {
                    kind: ListKind::Sess,
                    ids: vec![5]
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
                    ids: vec![7]
                },
                List {
                    kind: ListKind::Pid,
                    ids: vec![16]
                },
                List {
                    kind: ListKind::Pgrp,
                    ids: vec![20]
                },
                List {
                    kind: ListKind::Sess,
                    ids: vec![30]
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
        assert_eq!(run("ax"), option("default format (use -o)"));
        assert_eq!(run("-e"), option("default format (use -o)"));
        assert_eq!(
            run("-o pid"),
            option("default selection (use -e, ax, -p, --ppid or --sid)")
        );
        assert_eq!(run("x -o pid"), option("x"));
        assert_eq!(run("-a -o pid"), option("-a"));
        assert_eq!(run("-p 1 x -o pid"), option("x"));
        assert_eq!(run("-e -f -o pid"), option("-f"));
        assert_eq!(run("aux"), option("u"));
        assert_eq!(run("-e --sort pid -o pid"), option("--sort"));
        assert_eq!(run("-e --bogus -o pid"), option("--bogus"));
        assert_eq!(run("-em -o pid"), option("-m"));
        assert_eq!(
            run("-e -o pid,user"),
            Err(ArgError::UnsupportedColumn("user".into()))
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
