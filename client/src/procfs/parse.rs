// SPDX-License-Identifier: MIT OR Apache-2.0

//! Parsers of the procfs files the backend reads, with no I/O: they take the
//! bytes of a file and return its fields.
//!
//! ```
//! use task_diag::procfs::parse::{parse_stat, parse_status};
//! use task_diag::TaskState;
//!
//! let stat = parse_stat(b"42 (a) b (c) S 1 42 42 0 -1 4194560 ...\n").unwrap();
//! assert_eq!(stat.pid, 42);
//! assert_eq!(stat.comm, b"a) b (c");
//! assert_eq!(stat.state, TaskState::Interruptible);
//! assert_eq!((stat.ppid, stat.pgrp, stat.session), (1, 42, 42));
//!
//! let status = parse_status(b"Name:\tx\nTgid:\t42\nPid:\t43\nTracerPid:\t0\n").unwrap();
//! assert_eq!((status.tgid, status.tracer_pid), (42, 0));
//! ```

use std::fmt;

use task_diag_uapi::TaskState;

/// Why a procfs file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// `stat`: no `(` opens the command name.
    NoCommStart,
    /// `stat`: no `)` closes the command name.
    NoCommEnd,
    /// A field is missing.
    MissingField(&'static str),
    /// A field is not a decimal number that fits.
    BadNumber {
        /// The field.
        field: &'static str,
        /// Its text, lossily decoded.
        text: String,
    },
    /// `stat`: the state is not one of `RSDTtXZPI`.
    UnknownState(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NoCommStart => f.write_str("no '(' before the command name"),
            ParseError::NoCommEnd => f.write_str("no ')' after the command name"),
            ParseError::MissingField(field) => write!(f, "no {field} field"),
            ParseError::BadNumber { field, text } => {
                write!(f, "{field} {text:?} is not a number")
            }
            ParseError::UnknownState(text) => write!(f, "unknown state {text:?}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// The fields of `/proc/PID/stat` the backend uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stat<'a> {
    /// Field 1, the task's id.
    pub pid: i32,
    /// Field 2, the command name, without its parentheses; as the kernel
    /// wrote it, unescaped.
    pub comm: &'a [u8],
    /// Field 3, the state letter.
    pub state: TaskState,
    /// Field 4, the parent's process id.
    pub ppid: i32,
    /// Field 5, the process-group id.
    pub pgrp: i32,
    /// Field 6, the session id.
    pub session: i32,
}

/// The fields of `/proc/PID/status` the backend uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Status {
    /// `Tgid:`, the thread-group id.
    pub tgid: i32,
    /// `TracerPid:`, the tracer's process id, 0 when none.
    pub tracer_pid: i32,
}

/// The state of a `stat` state letter.
pub fn state_from_letter(letter: u8) -> Option<TaskState> {
    Some(match letter {
        b'R' => TaskState::Running,
        b'S' => TaskState::Interruptible,
        b'D' => TaskState::Uninterruptible,
        b'T' => TaskState::Stopped,
        b't' => TaskState::TraceStop,
        // Linux 3.x wrote a dead task as 'x' as well as 'X'.
        b'X' | b'x' => TaskState::Dead,
        b'Z' => TaskState::Zombie,
        b'P' => TaskState::Parked,
        b'I' => TaskState::Idle,
        _ => return None,
    })
}

fn number(field: &'static str, text: Option<&[u8]>) -> Result<i32, ParseError> {
    let text = text.ok_or(ParseError::MissingField(field))?;
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<i32>().ok())
        .ok_or_else(|| ParseError::BadNumber {
            field,
            text: String::from_utf8_lossy(text).into_owned(),
        })
}

/// Parses the contents of `/proc/PID/stat` (or `/proc/PID/task/TID/stat`).
///
/// The command name runs from the first `(` to the *last* `)`: it may hold
/// spaces and parentheses itself, but the fields after it cannot.
pub fn parse_stat(bytes: &[u8]) -> Result<Stat<'_>, ParseError> {
    let open = bytes
        .iter()
        .position(|&b| b == b'(')
        .ok_or(ParseError::NoCommStart)?;
    let close = bytes
        .iter()
        .rposition(|&b| b == b')')
        .filter(|&close| close > open)
        .ok_or(ParseError::NoCommEnd)?;
    let head = bytes.get(..open).unwrap_or_default().trim_ascii();
    let pid = number("pid", Some(head).filter(|h| !h.is_empty()))?;
    let comm = bytes.get(open + 1..close).unwrap_or_default();
    let mut fields = bytes
        .get(close + 1..)
        .unwrap_or_default()
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    let state_text = fields.next().ok_or(ParseError::MissingField("state"))?;
    let state = match state_text {
        [letter] => state_from_letter(*letter),
        _ => None,
    }
    .ok_or_else(|| ParseError::UnknownState(String::from_utf8_lossy(state_text).into_owned()))?;
    let ppid = number("ppid", fields.next())?;
    let pgrp = number("pgrp", fields.next())?;
    let session = number("session", fields.next())?;
    Ok(Stat {
        pid,
        comm,
        state,
        ppid,
        pgrp,
        session,
    })
}

/// Parses the contents of `/proc/PID/status`: its `Tgid:` and `TracerPid:`
/// lines.
pub fn parse_status(bytes: &[u8]) -> Result<Status, ParseError> {
    let mut tgid = None;
    let mut tracer_pid = None;
    for line in bytes.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (key, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        match key {
            b"Tgid" => tgid = Some(number("Tgid", Some(value))?),
            b"TracerPid" => tracer_pid = Some(number("TracerPid", Some(value))?),
            _ => {}
        }
        if tgid.is_some() && tracer_pid.is_some() {
            break;
        }
    }
    Ok(Status {
        tgid: tgid.ok_or(ParseError::MissingField("Tgid"))?,
        tracer_pid: tracer_pid.ok_or(ParseError::MissingField("TracerPid"))?,
    })
}

/// Whether a directory entry of `/proc` or `/proc/PID/task` names a task:
/// its name is a decimal number (no sign, no leading zero); returns it.
pub fn task_dir_pid(name: &[u8]) -> Option<i32> {
    match name {
        [] | [b'0', ..] => None,
        _ if name.iter().all(u8::is_ascii_digit) => std::str::from_utf8(name).ok()?.parse().ok(),
        _ => None,
    }
}

/// The pids of a `/proc/PID/task/TID/children` file: decimal numbers, each
/// followed by a space.
pub fn parse_children(bytes: &[u8]) -> Result<Vec<i32>, ParseError> {
    bytes
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty())
        .map(|f| number("child pid", Some(f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INIT: &[u8] = b"1 (systemd) S 0 1 1 0 -1 4194560 41594 2394880 130 1391 \
        95 176 14155 5271 20 0 1 0 19 22183936 3073 18446744073709551615 1 1 0 0 0 0 \
        671173123 4096 1260 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn stat_of_init() {
        let stat = parse_stat(INIT).unwrap();
        assert_eq!(
            stat,
            Stat {
                pid: 1,
                comm: b"systemd",
                state: TaskState::Interruptible,
                ppid: 0,
                pgrp: 1,
                session: 1,
            }
        );
    }

    #[test]
    fn stat_comm_with_parentheses_and_spaces() {
        let stat = parse_stat(b"4242 (a) b (c) R 17 4242 99 34816 ...\n").unwrap();
        assert_eq!(stat.pid, 4242);
        assert_eq!(stat.comm, b"a) b (c");
        assert_eq!(stat.state, TaskState::Running);
        assert_eq!((stat.ppid, stat.pgrp, stat.session), (17, 4242, 99));

        // Only a closing parenthesis; an empty name; bytes that are not UTF-8.
        assert_eq!(parse_stat(b"5 ()) Z 1 5 5 0").unwrap().comm, b")");
        assert_eq!(parse_stat(b"5 () I 2 0 0 0").unwrap().comm, b"");
        let odd = parse_stat(b"6 (\xff\t\n) t 1 2 3").unwrap();
        assert_eq!(odd.comm, b"\xff\t\n");
        assert_eq!(odd.state, TaskState::TraceStop);
    }

    #[test]
    fn stat_every_state_letter() {
        for (letter, state) in [
            ('R', TaskState::Running),
            ('S', TaskState::Interruptible),
            ('D', TaskState::Uninterruptible),
            ('T', TaskState::Stopped),
            ('t', TaskState::TraceStop),
            ('X', TaskState::Dead),
            ('Z', TaskState::Zombie),
            ('P', TaskState::Parked),
            ('I', TaskState::Idle),
        ] {
            let text = format!("9 (x) {letter} 1 2 3 4");
            assert_eq!(parse_stat(text.as_bytes()).unwrap().state, state);
            assert_eq!(state.letter(), letter);
        }
    }

    #[test]
    fn stat_errors() {
        assert_eq!(parse_stat(b"12 x S 1 2 3"), Err(ParseError::NoCommStart));
        assert_eq!(parse_stat(b"12 (x S 1 2 3"), Err(ParseError::NoCommEnd));
        assert_eq!(parse_stat(b"12 )x( S 1 2 3"), Err(ParseError::NoCommEnd));
        assert_eq!(
            parse_stat(b"(x) S 1 2 3"),
            Err(ParseError::MissingField("pid"))
        );
        assert_eq!(
            parse_stat(b"12 (x)"),
            Err(ParseError::MissingField("state"))
        );
        assert_eq!(
            parse_stat(b"12 (x) Q 1 2 3"),
            Err(ParseError::UnknownState("Q".into()))
        );
        assert_eq!(
            parse_stat(b"12 (x) SS 1 2 3"),
            Err(ParseError::UnknownState("SS".into()))
        );
        assert_eq!(
            parse_stat(b"12 (x) S 1 2"),
            Err(ParseError::MissingField("session"))
        );
        assert_eq!(
            parse_stat(b"12 (x) S 1 two 3"),
            Err(ParseError::BadNumber {
                field: "pgrp",
                text: "two".into()
            })
        );
        assert_eq!(
            parse_stat(b"1x (x) S 1 2 3"),
            Err(ParseError::BadNumber {
                field: "pid",
                text: "1x".into()
            })
        );
    }

    #[test]
    fn status_fields() {
        let text = b"Name:\tweird: name\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\n\
            Ngid:\t0\nPid:\t813\nPPid:\t1\nTracerPid:\t77\nUid:\t0\t0\t0\t0\n";
        assert_eq!(
            parse_status(text).unwrap(),
            Status {
                tgid: 812,
                tracer_pid: 77
            }
        );
        assert_eq!(
            parse_status(b"Tgid:\t1\n"),
            Err(ParseError::MissingField("TracerPid"))
        );
        assert_eq!(
            parse_status(b"TracerPid:\t0\n"),
            Err(ParseError::MissingField("Tgid"))
        );
        assert_eq!(
            parse_status(b"Tgid:\t-\nTracerPid:\t0\n"),
            Err(ParseError::BadNumber {
                field: "Tgid",
                text: "-".into()
            })
        );
    }

    #[test]
    fn directory_names() {
        assert_eq!(task_dir_pid(b"1"), Some(1));
        assert_eq!(task_dir_pid(b"4194304"), Some(4_194_304));
        for name in [
            &b"self"[..],
            b"",
            b"0",
            b"01",
            b"1a",
            b"-1",
            b"+1",
            b"99999999999",
        ] {
            assert_eq!(task_dir_pid(name), None, "{name:?}");
        }
    }

    #[test]
    fn children_lists() {
        assert_eq!(parse_children(b"").unwrap(), Vec::<i32>::new());
        assert_eq!(parse_children(b"12 13 400 ").unwrap(), vec![12, 13, 400]);
        assert!(parse_children(b"12 x ").is_err());
    }
}
