// SPDX-License-Identifier: MIT OR Apache-2.0

//! Which tasks a command selects (procps' want_this_proc()), and the
//! groups the selection needs.

use task_diag::{ShowFlags, Task};

use crate::args::{Command, ListKind};

/// Who runs tdps: the effective user and the controlling terminal, which
/// the default selection compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Me {
    /// The effective user id.
    pub euid: u32,
    /// The controlling terminal, as `tty_nr` encodes it; 0 for none.
    pub tty: u32,
}

impl Me {
    /// This process: its euid and the terminal of `/proc/self/stat`.
    pub fn read() -> Self {
        let tty = std::fs::read("/proc/self/stat")
            .ok()
            .and_then(|b| task_diag::procfs::parse::parse_stat_part(&b).ok())
            .map_or(0, |s| s.tty_nr);
        Self {
            euid: rustix::process::geteuid().as_raw(),
            tty,
        }
    }
}

/// The groups the selection of `cmd` reads.
pub fn needs(cmd: &Command) -> ShowFlags {
    let mut show = ShowFlags::BASE;
    if cmd.all {
        return show;
    }
    let s = cmd.simple;
    let simple = s.unix_a || s.unix_d || s.bsd_a || s.bsd_x;
    if simple || cmd.lists.is_empty() {
        show |= ShowFlags::CRED | ShowFlags::STAT;
    }
    for list in &cmd.lists {
        show |= match list.kind {
            ListKind::Euid | ListKind::Ruid | ListKind::Egid | ListKind::Rgid => ShowFlags::CRED,
            ListKind::Tty => ShowFlags::STAT,
            ListKind::Comm => task_diag::show_name(),
            _ => ShowFlags::empty(),
        };
    }
    show
}

/// procps' simple_accept(): the simple selections, or the default.
fn simple_accept(cmd: &Command, me: Me, task: &Task) -> bool {
    let s = cmd.simple;
    let euid = task.creds.map_or(u32::MAX, |c| c.euid);
    let tty = task.stat.map_or(0, |st| st.tty_nr);
    let leader = task.sid == task.tgid;
    let (my_euid, my_tty, no_leader, has_tty) = match (s.unix_a, s.unix_d, s.bsd_a, s.bsd_x) {
        (false, false, false, false) => (true, !cmd.bsd, false, cmd.bsd),
        (true, false, _, _) => (false, false, true, true),
        (_, true, _, _) => (false, false, true, false),
        (false, false, true, false) => (false, false, false, true),
        (false, false, false, true) => (true, false, false, false),
        (false, false, true, true) => (false, false, false, false),
    };
    !(my_euid && euid != me.euid
        || my_tty && tty != me.tty
        || no_leader && leader
        || has_tty && tty == 0)
}

/// Whether one of the lists of `cmd` names `task`.
fn listed(cmd: &Command, task: &Task) -> bool {
    let creds = task.creds.unwrap_or_default();
    let tty = task.stat.map_or(0, |s| s.tty_nr);
    cmd.lists.iter().any(|list| {
        let value = match list.kind {
            ListKind::Pid => task.tgid.cast_unsigned(),
            ListKind::Ppid => task.ppid.cast_unsigned(),
            ListKind::Sess => task.sid.cast_unsigned(),
            ListKind::Pgrp => task.pgid.cast_unsigned(),
            ListKind::Euid => creds.euid,
            ListKind::Ruid => creds.uid,
            ListKind::Egid => creds.egid,
            ListKind::Rgid => creds.gid,
            ListKind::Tty => tty,
            ListKind::Comm => {
                let name = task.full_name().as_bytes();
                return list.names.iter().any(|want| {
                    // procps compares 15 bytes when the name was cut there.
                    let n = if name.len() == 15 && want.len() >= 15 {
                        15
                    } else {
                        63
                    };
                    name.iter().take(n).eq(want.iter().take(n))
                });
            }
        };
        list.ids.contains(&value)
    })
}

/// Whether the command selects `task` (procps' want_this_proc()).
pub fn wanted(cmd: &Command, me: Me, task: &Task) -> bool {
    let s = cmd.simple;
    let simple = s.unix_a || s.unix_d || s.bsd_a || s.bsd_x;
    let accepted = cmd.all
        || ((simple || cmd.lists.is_empty()) && simple_accept(cmd, me, task))
        || listed(cmd, task);
    accepted != cmd.negate
}
