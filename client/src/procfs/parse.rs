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

use crate::parts::{Creds, Stat as StatPart, Statm};

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

/// The `Key:\tvalue` lines of a `/proc/PID/status` file, the value trimmed.
fn status_lines(bytes: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    bytes.split(|&b| b == b'\n').filter_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        let (key, value) = line.split_at(colon);
        Some((key, value.get(1..).unwrap_or_default().trim_ascii()))
    })
}

fn unsigned(field: &'static str, text: Option<&[u8]>) -> Result<u64, ParseError> {
    let text = text.ok_or(ParseError::MissingField(field))?;
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| ParseError::BadNumber {
            field,
            text: String::from_utf8_lossy(text).into_owned(),
        })
}

fn signed(field: &'static str, text: Option<&[u8]>) -> Result<i64, ParseError> {
    let text = text.ok_or(ParseError::MissingField(field))?;
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| ParseError::BadNumber {
            field,
            text: String::from_utf8_lossy(text).into_owned(),
        })
}

fn hex(field: &'static str, text: &[u8]) -> Result<u64, ParseError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| ParseError::BadNumber {
            field,
            text: String::from_utf8_lossy(text).into_owned(),
        })
}

/// The four ids of a `Uid:` or `Gid:` line: real, effective, saved,
/// filesystem.
fn four_ids(field: &'static str, value: &[u8]) -> Result<[u32; 4], ParseError> {
    let mut words = value
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|w| !w.is_empty());
    let mut ids = [0u32; 4];
    for id in &mut ids {
        let n = unsigned(field, words.next())?;
        *id = u32::try_from(n).map_err(|_| ParseError::BadNumber {
            field,
            text: n.to_string(),
        })?;
    }
    Ok(ids)
}

/// The credentials of a `/proc/PID/status` file: its `Uid:`, `Gid:` and
/// `CapInh:`, `CapPrm:`, `CapEff:`, `CapBnd:` lines.
pub fn parse_creds(bytes: &[u8]) -> Result<Creds, ParseError> {
    let (mut uids, mut gids) = (None, None);
    let mut caps: [Option<u64>; 4] = [None; 4];
    for (key, value) in status_lines(bytes) {
        match key {
            b"Uid" => uids = Some(four_ids("Uid", value)?),
            b"Gid" => gids = Some(four_ids("Gid", value)?),
            b"CapInh" => caps[0] = Some(hex("CapInh", value)?),
            b"CapPrm" => caps[1] = Some(hex("CapPrm", value)?),
            b"CapEff" => caps[2] = Some(hex("CapEff", value)?),
            b"CapBnd" => caps[3] = Some(hex("CapBnd", value)?),
            _ => {}
        }
    }
    let [uid, euid, suid, fsuid] = uids.ok_or(ParseError::MissingField("Uid"))?;
    let [gid, egid, sgid, fsgid] = gids.ok_or(ParseError::MissingField("Gid"))?;
    let cap = |i: usize, name| caps[i].ok_or(ParseError::MissingField(name));
    Ok(Creds {
        uid,
        euid,
        suid,
        fsuid,
        gid,
        egid,
        sgid,
        fsgid,
        cap_inheritable: cap(0, "CapInh")?,
        cap_permitted: cap(1, "CapPrm")?,
        cap_effective: cap(2, "CapEff")?,
        cap_bset: cap(3, "CapBnd")?,
    })
}

/// The memory sizes of a `/proc/PID/status` file, as `struct
/// task_diag_statm` holds them: its `Vm*` and `Rss*` lines (in kB) turned
/// into pages of `page_size` bytes, `VmPTE` into bytes. A task without
/// memory (kernel thread, zombie) has none of these lines: all zero.
pub fn parse_statm(bytes: &[u8], page_size: u64) -> Result<Statm, ParseError> {
    let kb_per_page = (page_size / 1024).max(1);
    let mut statm = Statm::default();
    for (key, value) in status_lines(bytes) {
        let slot = match key {
            b"VmPeak" => &mut statm.hiwater_vm,
            b"VmSize" => &mut statm.total_vm,
            b"VmLck" => &mut statm.locked_vm,
            b"VmPin" => &mut statm.pinned_vm,
            b"VmHWM" => &mut statm.hiwater_rss,
            b"VmRSS" => &mut statm.total_rss,
            b"RssAnon" => &mut statm.anon,
            b"RssFile" => &mut statm.file,
            b"RssShmem" => &mut statm.shmem,
            b"VmData" => &mut statm.data_vm,
            b"VmStk" => &mut statm.stack_vm,
            b"VmExe" => &mut statm.text,
            b"VmLib" => &mut statm.lib,
            b"VmPTE" => &mut statm.ptes,
            b"VmSwap" => &mut statm.swap,
            _ => continue,
        };
        let number = value.strip_suffix(b" kB").unwrap_or(value).trim_ascii();
        let kb = unsigned("memory size", Some(number))?;
        *slot = if key == b"VmPTE" {
            kb * 1024
        } else {
            kb / kb_per_page
        };
    }
    Ok(statm)
}

/// The fields after the command name of a `/proc/PID/stat` file, from the
/// state (field 3) on.
fn stat_fields(bytes: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    let close = bytes
        .iter()
        .rposition(|&b| b == b')')
        .ok_or(ParseError::NoCommEnd)?;
    Ok(bytes
        .get(close + 1..)
        .unwrap_or_default()
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty())
        .collect())
}

/// The `TASK_DIAG_STAT` part of a `/proc/PID/stat` file (fields 7 to 41:
/// terminal, flags, faults, times, priority, nice, threads, start time,
/// processor, real-time priority, policy).
pub fn parse_stat_part(bytes: &[u8]) -> Result<StatPart, ParseError> {
    let fields = stat_fields(bytes)?;
    // fields[0] is field 3 of the file.
    let at = |n: usize| fields.get(n - 3).copied();
    let u = |n: usize, name| unsigned(name, at(n));
    let i = |n: usize, name| signed(name, at(n));
    let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(StatPart {
        tty_nr: narrow(u(7, "tty_nr")?),
        tpgid: i32::try_from(i(8, "tpgid")?).unwrap_or(-1),
        flags: narrow(u(9, "flags")?),
        minflt: u(10, "minflt")?,
        cminflt: u(11, "cminflt")?,
        majflt: u(12, "majflt")?,
        cmajflt: u(13, "cmajflt")?,
        utime: u(14, "utime")?,
        stime: u(15, "stime")?,
        cutime: i(16, "cutime")?.max(0).cast_unsigned(),
        cstime: i(17, "cstime")?.max(0).cast_unsigned(),
        priority: i32::try_from(i(18, "priority")?).unwrap_or(0),
        nice: i32::try_from(i(19, "nice")?).unwrap_or(0),
        threads: narrow(u(20, "num_threads")?),
        start_time: u(22, "starttime")?,
        processor: narrow(u(39, "processor")?),
        rt_priority: narrow(u(40, "rt_priority")?),
        policy: narrow(u(41, "policy")?),
    })
}

/// `PF_WQ_WORKER`, the flag of a workqueue worker in field 9 of `stat`.
pub const PF_WQ_WORKER: u32 = 0x20;

/// The longest kernel `comm`: `TASK_COMM_LEN` less its NUL.
const COMM_MAX: usize = 15;

/// The kernel's `comm` (what task_diag's BASE sends) of a task whose
/// `stat` field 2 is `name`, `wq_worker` when its flags have
/// [`PF_WQ_WORKER`].
///
/// Field 2 is the comm, but for a kernel thread its full name (of which the
/// comm is the first 15 bytes) and for a workqueue worker its comm followed
/// by `+` or `-` and the description of its last work (the workqueue's
/// name, or what the work set), as the kernel's `wq_worker_comm()` writes
/// it. A pool worker's comm (`kworker/0:1H`, `kworker/u8:2`,
/// `kworker/dying`) holds no `+` or `-`; a rescuer's (`kworker/R-` and its
/// workqueue's name, cut at 15 bytes) may, and is found when its
/// description is its workqueue's name, as the kernel sets it; a rescuer
/// whose work set another description is cut at 15 bytes only.
///
/// ```
/// use task_diag::procfs::parse::base_comm;
///
/// assert_eq!(base_comm(b"kworker/0:1-events", true), b"kworker/0:1");
/// assert_eq!(base_comm(b"kworker/R-kblockd", true), b"kworker/R-kbloc");
/// assert_eq!(base_comm(b"kworker/R-md-md", true), b"kworker/R-md");
/// assert_eq!(base_comm(b"rcu_exp_par_gp_kthread_worker/0", false), b"rcu_exp_par_gp_");
/// assert_eq!(base_comm(b"kworker/0:1-fake", false), b"kworker/0:1-fak");
/// ```
pub fn base_comm(name: &[u8], wq_worker: bool) -> &[u8] {
    let cut = |n: &'_ [u8]| n.len().min(COMM_MAX);
    let is_sep = |b: &u8| matches!(b, b'+' | b'-');
    let end = match name.strip_prefix(b"kworker/") {
        Some(rest) if wq_worker => match rest.strip_prefix(b"R-") {
            // A rescuer: the comm, a separator, the workqueue's name.
            Some(_) => (10..name.len())
                .filter(|&k| name.get(k).is_some_and(is_sep))
                .find(|&k| {
                    let wq = name.get(k + 1..).unwrap_or_default();
                    let comm = name.get(..k).unwrap_or_default();
                    let full = [&name[..10], wq].concat();
                    full.get(..cut(&full)) == Some(comm)
                })
                .unwrap_or_else(|| cut(name)),
            None => 8 + rest.iter().position(is_sep).unwrap_or(rest.len()),
        },
        _ => name.len(),
    };
    let comm = name.get(..end).unwrap_or(name);
    comm.get(..cut(comm)).unwrap_or(comm)
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
    fn base_comm_of_every_kind_of_name() {
        let cases: [(&[u8], bool, &[u8]); 12] = [
            (b"sleep", false, b"sleep"),
            (b"", false, b""),
            (b"0123456789abcde", false, b"0123456789abcde"),
            // A kernel thread's full name: its first 15 bytes.
            (
                b"rcu_exp_par_gp_kthread_worker/0",
                false,
                b"rcu_exp_par_gp_",
            ),
            // Pool workers, idle or running a work, and one without any.
            (b"kworker/0:1-events", true, b"kworker/0:1"),
            (b"kworker/u8:3+events_unbound", true, b"kworker/u8:3"),
            (b"kworker/1:0H-kblockd", true, b"kworker/1:0H"),
            (b"kworker/0:2", true, b"kworker/0:2"),
            // Rescuers: the comm cut at 15, then the workqueue's name.
            (b"kworker/R-kblockd", true, b"kworker/R-kbloc"),
            (
                b"kworker/R-ext4--ext4-rsv-conversion",
                true,
                b"kworker/R-ext4-",
            ),
            (b"kworker/R-md-md", true, b"kworker/R-md"),
            // A user process may take a worker's name: it is its comm.
            (b"kworker/0:1-fake", false, b"kworker/0:1-fak"),
        ];
        for (name, worker, comm) in cases {
            assert_eq!(
                base_comm(name, worker),
                comm,
                "{:?}",
                String::from_utf8_lossy(name)
            );
        }
    }

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

    const STATUS: &[u8] = b"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\n\
        Pid:\t812\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\n\
        Gid:\t100\t101\t102\t103\nFDSize:\t64\nGroups:\t4 24 \nVmPeak:\t    8424 kB\n\
        VmSize:\t    8296 kB\nVmLck:\t       8 kB\nVmPin:\t       0 kB\nVmHWM:\t    1024 kB\n\
        VmRSS:\t     996 kB\nRssAnon:\t      96 kB\nRssFile:\t     900 kB\nRssShmem:\t       0 kB\n\
        VmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      16 kB\nVmLib:\t    1660 kB\n\
        VmPTE:\t      52 kB\nVmSwap:\t       4 kB\nThreads:\t1\n\
        CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n\
        CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";

    #[test]
    fn creds_of_status() {
        let creds = parse_creds(STATUS).unwrap();
        assert_eq!(
            (creds.uid, creds.euid, creds.suid, creds.fsuid),
            (1000, 1001, 1002, 1003)
        );
        assert_eq!(
            (creds.gid, creds.egid, creds.sgid, creds.fsgid),
            (100, 101, 102, 103)
        );
        assert_eq!(creds.cap_inheritable, 0);
        assert_eq!(creds.cap_permitted, 0x1ff_ffff_ffff);
        assert_eq!(creds.cap_bset, 0x1ff_ffff_ffff);
        assert_eq!(
            parse_creds(b"Uid:\t1\t2\t3\n"),
            Err(ParseError::MissingField("Uid"))
        );
        assert_eq!(
            parse_creds(b"Uid:\t1\t2\t3\t4\nGid:\t1\t2\t3\t4\n"),
            Err(ParseError::MissingField("CapInh"))
        );
        assert!(parse_creds(b"Uid:\t1\t2\t3\t4\nGid:\t0\t0\t0\t0\nCapInh:\tzz\n").is_err());
    }

    #[test]
    fn statm_of_status() {
        let statm = parse_statm(STATUS, 4096).unwrap();
        assert_eq!(
            statm,
            Statm {
                anon: 24,
                file: 225,
                shmem: 0,
                hiwater_vm: 2106,
                hiwater_rss: 256,
                text: 4,
                lib: 415,
                swap: 1,
                ptes: 52 * 1024,
                total_rss: 249,
                total_vm: 2074,
                data_vm: 90,
                stack_vm: 33,
                locked_vm: 2,
                pinned_vm: 0,
            }
        );
        // A kernel thread's status has no memory lines.
        assert_eq!(
            parse_statm(b"Name:\tkthreadd\nTgid:\t2\n", 4096).unwrap(),
            Statm::default()
        );
        assert!(parse_statm(b"VmRSS:\tlots kB\n", 4096).is_err());
    }

    #[test]
    fn stat_part_of_init() {
        let stat = parse_stat_part(INIT).unwrap();
        assert_eq!(
            stat,
            StatPart {
                minflt: 41594,
                cminflt: 2394880,
                majflt: 130,
                cmajflt: 1391,
                utime: 95,
                stime: 176,
                cutime: 14155,
                cstime: 5271,
                threads: 1,
                start_time: 19,
                tty_nr: 0,
                tpgid: -1,
                nice: 0,
                priority: 20,
                rt_priority: 0,
                policy: 0,
                processor: 0,
                flags: 4194560,
            }
        );
        let odd = b"7 (a) b) R 1 7 7 34816 7 4194304 1 2 3 4 5 6 7 8 -2 -5 3 0 99 1 1 1 1 1 0 \
            0 0 0 0 0 0 0 0 0 17 1 50 1 0 0 0\n";
        let stat = parse_stat_part(odd).unwrap();
        assert_eq!((stat.tty_nr, stat.tpgid, stat.nice), (34816, 7, -5));
        assert_eq!((stat.priority, stat.threads, stat.start_time), (-2, 3, 99));
        assert_eq!((stat.processor, stat.rt_priority, stat.policy), (1, 50, 1));
        assert_eq!(
            parse_stat_part(b"1 (x) S 1 2 3 0 -1\n"),
            Err(ParseError::MissingField("flags"))
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
