// SPDX-License-Identifier: MIT OR Apache-2.0

//! The text of each column for one task, as procps' pr_*() functions
//! print it.

use std::io::Write as _;

use chrono::{Datelike, Local, TimeZone};
use task_diag::Task;

use crate::columns::Field;
use crate::names::Names;
use crate::render::escape;
use crate::system::System;
use crate::tty::Ttys;

/// What the cells of a listing are computed with.
#[derive(Debug)]
pub struct Context {
    /// The system's facts.
    pub sys: System,
    /// User and group names.
    pub names: Names,
    /// Terminal names.
    pub ttys: Ttys,
    /// Whether the locale is UTF-8.
    pub utf8: bool,
    /// `-f`: `comm` shows the command line.
    pub unix_f: bool,
    /// `c`: `args` shows the command name.
    pub bsd_c: bool,
    /// The last start time shown.
    pub times: TimeMemo,
}

/// The text of the last start time shown, by column and second: tasks
/// come in pid order, which is mostly the order they started in, so that
/// the next one often started in the same second. Formatting a local time
/// anew for every line costs more than the rest of the line.
#[derive(Debug, Default)]
pub struct TimeMemo {
    key: Option<(Field, i64)>,
    text: String,
}

impl TimeMemo {
    /// The text of `field` for a task that started at `at` (seconds since
    /// the epoch), `format` computing it when it is not the last one's.
    fn get(&mut self, field: Field, at: i64, format: impl FnOnce(i64) -> String) -> &str {
        if self.key != Some((field, at)) {
            self.text = format(at);
            self.key = Some((field, at));
        }
        &self.text
    }
}

/// `[dd-]hh:mm:ss` (procps' pr_time()).
pub fn clock_time(secs: u64) -> String {
    let (dd, hh, mm, ss) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if dd > 0 {
        format!("{dd}-{hh:02}:{mm:02}:{ss:02}")
    } else {
        format!("{hh:02}:{mm:02}:{ss:02}")
    }
}

/// `[[dd-]hh:]mm:ss` (procps' pr_etime()).
pub fn elapsed_time(secs: u64) -> String {
    let (dd, hh, mm, ss) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (dd, hh) {
        (0, 0) => format!("{mm:02}:{ss:02}"),
        (0, _) => format!("{hh:02}:{mm:02}:{ss:02}"),
        _ => format!("{dd}-{hh:02}:{mm:02}:{ss:02}"),
    }
}

/// `mmm:ss` (procps' pr_bsdtime()).
pub fn bsd_time(secs: u64) -> String {
    format!("{:3}:{:02}", secs / 60, secs % 60)
}

/// `%CPU` from a share in percent (procps' pr_pcpu()).
pub fn pcpu(percent: f64) -> String {
    let per_mille = (percent * 10.0) as u64;
    if per_mille > 999 {
        format!("{}", per_mille / 10)
    } else {
        format!("{}.{}", per_mille / 10, per_mille % 10)
    }
}

/// `C` from a share in percent (procps' pr_c()).
pub fn c(percent: f64) -> String {
    format!("{:2}", (percent as u64).min(99))
}

/// `%MEM` from a resident size and the memory size, kB (procps'
/// pr_pmem()).
pub fn pmem(rss_kb: u64, total_kb: u64) -> String {
    let per_mille = (rss_kb * 1000 / total_kb.max(1)).min(999);
    format!("{:2}.{}", per_mille / 10, per_mille % 10)
}

/// The local time of `t` formatted with `fmt` (strftime).
fn local(t: i64, fmt: &str) -> String {
    match Local.timestamp_opt(t, 0).single() {
        Some(time) => time.format(fmt).to_string(),
        None => String::new(),
    }
}

/// `START` of `start` (procps' pr_stime()): `HH:MM` today, `MonDD` this
/// year, else the year.
pub fn stime(start: i64, now: i64) -> String {
    let (Some(then), Some(today)) = (
        Local.timestamp_opt(start, 0).single(),
        Local.timestamp_opt(now, 0).single(),
    ) else {
        return String::new();
    };
    let fmt = if today.year() != then.year() {
        "%Y"
    } else if today.ordinal() != then.ordinal() {
        "%b%d"
    } else {
        "%H:%M"
    };
    then.format(fmt).to_string()
}

/// `STARTED` of `start` (procps' pr_start()): `HH:MM:SS` within a day,
/// else `  Mon DD`.
pub fn start(start: i64, now: i64) -> String {
    if start + 86400 > now {
        local(start, "%H:%M:%S")
    } else {
        local(start, "  %b %d")
    }
}

/// `START` of `bsdstart`: ` HH:MM` within a day, else `Mon  D`.
pub fn bsd_start(start: i64, now: i64) -> String {
    if now - start > 86400 {
        local(start, "%b %e")
    } else {
        local(start, " %H:%M")
    }
}

/// `STARTED` of `lstart`: as ctime().
pub fn lstart(start: i64) -> String {
    local(start, "%a %b %e %H:%M:%S %Y")
}

/// The letters of `stat` (procps' pr_stat()).
pub fn stat_letters(task: &Task) -> String {
    let mut out = String::new();
    out.push(task.state.letter());
    let stat = task.stat.unwrap_or_default();
    let statm = task.statm.unwrap_or_default();
    if stat.nice < 0 {
        out.push('<');
    }
    if stat.nice > 0 {
        out.push('N');
    }
    if statm.locked_vm > 0 {
        out.push('L');
    }
    if task.sid == task.tgid {
        out.push('s');
    }
    if stat.threads > 1 {
        out.push('l');
    }
    if task.pgid == stat.tpgid {
        out.push('+');
    }
    out
}

/// The command line as procps shows it: the arguments joined by spaces
/// (NULs and newlines inside become spaces, trailing NULs are dropped),
/// control characters as `?`; `None` when it is empty (a kernel thread,
/// a zombie), for the bracketed name instead.
pub fn cmdline_text(cmdline: &[u8]) -> Option<Vec<u8>> {
    if cmdline.is_empty() {
        return None;
    }
    let end = cmdline.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let mut out: Vec<u8> = cmdline[..end]
        .iter()
        .map(|&b| match b {
            0 | b'\n' => b' ',
            0x01..=0x1f | 0x7f => b'?',
            _ => b,
        })
        .collect();
    if end == cmdline.len() && out.last() == Some(&b' ') {
        out.pop();
    }
    Some(out)
}

/// The name in brackets, ` <defunct>` after a zombie's (procps'
/// escape_command()).
pub fn bracketed(task: &Task) -> Vec<u8> {
    let mut out = b"[".to_vec();
    out.extend(task.full_name().as_bytes().iter().map(|&b| match b {
        0x01..=0x1f | 0x7f => b'?',
        _ => b,
    }));
    out.push(b']');
    if task.state.letter() == 'Z' {
        out.extend_from_slice(b" <defunct>");
    }
    out
}

/// A user or group name in at most `max` cells, as procps' do_pr_name():
/// the number when there is no name; a name (or number) too long cut with
/// `+`, or shown as the number when the cut falls in a multibyte
/// character.
fn name_cell(name: Option<&[u8]>, id: u32, max: usize, utf8: bool, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    let len = match name {
        Some(name) => {
            let mut cells = usize::MAX / 2;
            escape(name, &mut cells, utf8, out);
            usize::MAX / 2 - cells
        }
        // Digits: a cell each.
        None => push_number(out, id.into()),
    };
    if len <= max {
        return len;
    }
    if max >= 1 && out.get(start + max - 1).is_some_and(|&b| b < 127) {
        out.truncate(start + max - 1);
        out.push(b'+');
        return max;
    }
    out.truncate(start);
    push_number(out, id.into())
}

/// Appends the decimal digits of `n` to `out`; returns how many bytes.
fn push_number(out: &mut Vec<u8>, n: i64) -> usize {
    let start = out.len();
    // Writing to a `Vec` cannot fail.
    let _ = write!(out, "{n}");
    out.len() - start
}

/// The kernel function the thread `tid` sleeps in, as procps'
/// lookup_wchan() reads it: `-` for none, `?` when unreadable. This is
/// not in any task_diag group: it is read from procfs.
fn wchan(tid: i32) -> Vec<u8> {
    match std::fs::read(format!("/proc/{tid}/wchan")) {
        Ok(bytes) if bytes.is_empty() => b"?".to_vec(),
        Ok(bytes) if bytes == b"0" => b"-".to_vec(),
        Ok(bytes) => {
            let mut name: &[u8] = &bytes;
            if let [b'.', rest @ ..] = name {
                name = rest;
            }
            while let [b'_', rest @ ..] = name {
                name = rest;
            }
            name.to_vec()
        }
        Err(_) => b"?".to_vec(),
    }
}

/// Appends the text of `field` for `task` to `out`, in at most `max`
/// cells (the text columns cut to it), with `prefix` (the forest's) before
/// a command; returns the cells used.
pub fn cell(
    field: Field,
    task: &Task,
    ctx: &mut Context,
    max: usize,
    prefix: &[u8],
    out: &mut Vec<u8>,
) -> usize {
    let stat = task.stat.unwrap_or_default();
    let statm = task.statm.unwrap_or_default();
    let creds = task.creds.unwrap_or_default();
    let sys = ctx.sys;
    let page_kb = sys.page_size / 1024;
    let ticks = stat.utime + stat.stime;
    let text = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(s.as_bytes());
        s.len()
    };
    let number = push_number;
    match field {
        Field::Tgid => number(out, task.tgid.into()),
        Field::Tid => number(out, task.pid.into()),
        Field::Ppid => number(out, task.ppid.into()),
        Field::Pgid => number(out, task.pgid.into()),
        Field::Sid => number(out, task.sid.into()),
        Field::Tpgid => number(out, stat.tpgid.into()),
        Field::State => {
            out.push(task.state.letter() as u8);
            1
        }
        Field::Stat => text(out, &stat_letters(task)),
        Field::Comm | Field::Args => {
            let long = if field == Field::Comm {
                ctx.unix_f
            } else {
                !ctx.bsd_c
            };
            let mut left = max;
            let take = prefix.len().min(left);
            out.extend_from_slice(&prefix[..take]);
            left -= take;
            let shown = if long {
                task.cmdline
                    .as_deref()
                    .and_then(cmdline_text)
                    .unwrap_or_else(|| bracketed(task))
            } else {
                task.full_name().as_bytes().to_vec()
            };
            escape(&shown, &mut left, ctx.utf8, out);
            max - left
        }
        Field::Euser => name_cell(ctx.names.user(creds.euid), creds.euid, max, ctx.utf8, out),
        Field::Ruser => name_cell(ctx.names.user(creds.uid), creds.uid, max, ctx.utf8, out),
        Field::Suser => name_cell(ctx.names.user(creds.suid), creds.suid, max, ctx.utf8, out),
        Field::Fuser => name_cell(ctx.names.user(creds.fsuid), creds.fsuid, max, ctx.utf8, out),
        Field::Egroup => name_cell(ctx.names.group(creds.egid), creds.egid, max, ctx.utf8, out),
        Field::Rgroup => name_cell(ctx.names.group(creds.gid), creds.gid, max, ctx.utf8, out),
        Field::Euid => number(out, creds.euid.into()),
        Field::Ruid => number(out, creds.uid.into()),
        Field::Suid => number(out, creds.suid.into()),
        Field::Fuid => number(out, creds.fsuid.into()),
        Field::Egid => number(out, creds.egid.into()),
        Field::Rgid => number(out, creds.gid.into()),
        Field::Sgid => number(out, creds.sgid.into()),
        Field::Fgid => number(out, creds.fsgid.into()),
        Field::Rss => number(out, (statm.total_rss * page_kb).cast_signed()),
        Field::Vsz => number(out, (statm.total_vm * page_kb).cast_signed()),
        Field::Sz => number(out, statm.total_vm.cast_signed()),
        Field::Pmem => text(out, &pmem(statm.total_rss * page_kb, sys.mem_total)),
        Field::Pcpu => text(out, &pcpu(sys.utilization(ticks, stat.start_time))),
        Field::C => text(out, &c(sys.utilization(ticks, stat.start_time))),
        Field::Time => text(out, &clock_time(ticks / sys.hertz)),
        Field::Times => number(out, (ticks / sys.hertz).cast_signed()),
        Field::Bsdtime => text(out, &bsd_time(ticks / sys.hertz)),
        Field::Etime => text(out, &elapsed_time(sys.elapsed(stat.start_time))),
        Field::Etimes => number(out, sys.elapsed(stat.start_time).cast_signed()),
        Field::Start | Field::Lstart | Field::Stime | Field::Bsdstart => {
            let at = sys.start_of(stat.start_time);
            let shown = ctx.times.get(field, at, |at| match field {
                Field::Start => start(at, sys.now),
                Field::Lstart => lstart(at),
                Field::Stime => stime(at, sys.now),
                _ => bsd_start(at, sys.now),
            });
            text(out, shown)
        }
        Field::Tty => text(out, ctx.ttys.name(stat.tty_nr)),
        // SCHED_OTHER and SCHED_BATCH have a nice value.
        Field::Nice if matches!(stat.policy, 0 | 3) => number(out, stat.nice.into()),
        Field::Nice => text(out, "-"),
        Field::Pri => number(out, 39 - i64::from(stat.priority)),
        Field::Opri => number(out, 60 + i64::from(stat.priority)),
        Field::Priority => number(out, stat.priority.into()),
        Field::Rtprio if stat.policy == 0 => text(out, "-"),
        Field::Rtprio => number(out, stat.rt_priority.into()),
        Field::Psr => number(out, stat.processor.into()),
        Field::Nlwp => number(out, stat.threads.into()),
        Field::Flags => text(out, &format!("{:o}", (stat.flags >> 6) & 7)),
        Field::Minflt => number(out, stat.minflt.cast_signed()),
        Field::Majflt => number(out, stat.majflt.cast_signed()),
        Field::Wchan => {
            let name = wchan(task.pid);
            let take = name.len().min(max);
            out.extend_from_slice(&name[..take]);
            take
        }
        Field::Nop => text(out, "-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_like_procps() {
        assert_eq!(clock_time(0), "00:00:00");
        assert_eq!(clock_time(3 * 86400 + 3661), "3-01:01:01");
        assert_eq!(elapsed_time(5), "00:05");
        assert_eq!(elapsed_time(3661), "01:01:01");
        assert_eq!(elapsed_time(86400 + 61), "1-00:01:01");
        assert_eq!(bsd_time(0), "  0:00");
        assert_eq!(bsd_time(6001), "100:01");
    }

    #[test]
    fn shares_like_procps() {
        assert_eq!(pcpu(0.0), "0.0");
        assert_eq!(pcpu(12.345), "12.3");
        assert_eq!(pcpu(150.0), "150");
        assert_eq!(c(0.5), " 0");
        assert_eq!(c(250.0), "99");
        assert_eq!(pmem(0, 1000), " 0.0");
        assert_eq!(pmem(123, 1000), "12.3");
        assert_eq!(pmem(5000, 1000), "99.9");
    }

    #[test]
    fn command_lines_like_procps() {
        assert_eq!(cmdline_text(b""), None);
        assert_eq!(cmdline_text(b"sleep\x0010\x00").unwrap(), b"sleep 10");
        assert_eq!(cmdline_text(b"a\tb\nc\x00\x00").unwrap(), b"a?b c");
        // A rewritten area: no trailing NUL, inner NULs as spaces.
        assert_eq!(cmdline_text(b"name: worker  ").unwrap(), b"name: worker ");
        assert_eq!(cmdline_text(b"\x00").unwrap(), b"");
    }
}
