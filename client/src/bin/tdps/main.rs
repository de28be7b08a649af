// SPDX-License-Identifier: MIT OR Apache-2.0

//! `tdps`: a `ps` over task_diag, with procps `ps` syntax and output.
//!
//! It supports the selections `-e`, `-A`, `a`, `x`, `-a`, `-d`,
//! `-p`/`p`/`--pid`, `--ppid`, `-s`/`--sid`, `-u`/`U`/`--user`,
//! `-U`/`--User`, `-g`/`--group`, `-G`/`--Group`, `-C`, `-t`/`--tty`,
//! trailing ids and `-N`; the default selection (the caller's effective
//! user and terminal); the thread displays `-L`, `-T` and `H`; the forest
//! views `f`, `--forest` and `-H`; the default formats (none, `-f`, `-F`,
//! `-l`, `-ly`, `-j`, `u`, `j`, `l`, the BSD default), user formats
//! (`-o`, `o`, `--format`, `-O`, `O`) with `=HEADER` and `:WIDTH`;
//! `--sort`/`k`; `--no-headers`, `h`, `w`, `--cols`; and
//! `--backend auto|task-diag|procfs`. Its output is byte for byte that
//! of procps-ng 4.0.2 for those. Anything else is refused with one line,
//! `tdps: unsupported option: X` or `tdps: unsupported column: X`, and exit
//! status 1.
//!
//! It asks the backend for the groups its columns, selection and sort
//! keys need, and no others.

#![forbid(unsafe_code)]

mod args;
mod columns;
mod defaults;
mod forest;
#[path = "../shared/locale.rs"]
mod locale;
mod names;
mod render;
mod screen;
mod select;
mod sort;
mod system;
mod tty;
mod values;

use std::fs::File;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use task_diag::{Client, DumpStrategy, Error, ShowFlags, Task};

use crate::args::{ArgError, Command, ListKind};
use crate::forest::Art;
use crate::render::Layout;
use crate::screen::OUTBUF_SIZE;
use crate::select::Me;
use crate::values::Context;

/// The number of digits of the largest pid, as procps' procps_pid_length():
/// the length of the first line of `/proc/sys/kernel/pid_max`, 5 when it
/// cannot be read.
fn pid_length() -> usize {
    let mut line = [0u8; 23];
    let Ok(mut file) = File::open("/proc/sys/kernel/pid_max") else {
        return 5;
    };
    let mut len = 0;
    while len < line.len() {
        match file.read(&mut line[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let text = &line[..len];
    if text.is_empty() {
        return 5;
    }
    match text.iter().position(|&b| b == b'\n') {
        Some(newline) => newline,
        None => text.len(),
    }
}

/// The groups the command needs: those of its columns, sort keys and
/// selection. Sort keys on commands sort `comm` on the name and `args` on
/// the command line, whatever `-f` and `c` show.
fn needs(cmd: &Command) -> ShowFlags {
    let comm_long = cmd.formats.unix_f;
    let mut show = select::needs(cmd);
    for column in &cmd.columns {
        show |= column.spec.field.needs(comm_long, cmd.bsd_c);
    }
    for key in &cmd.sort {
        show |= key.spec.field.needs(false, false);
    }
    show
}

/// The pids of a selection made of pid lists only, which can be asked for
/// one by one; `None` for any other selection.
fn pid_only(cmd: &Command) -> Option<Vec<i32>> {
    let s = cmd.simple;
    if cmd.all
        || cmd.negate
        || s.unix_a
        || s.unix_d
        || s.bsd_a
        || s.bsd_x
        || cmd.lists.is_empty()
        || cmd.lists.iter().any(|l| l.kind != ListKind::Pid)
    {
        return None;
    }
    let mut pids: Vec<i32> = cmd
        .lists
        .iter()
        .flat_map(|l| l.ids.iter())
        .filter_map(|&id| i32::try_from(id).ok())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    Some(pids)
}

/// Passes the selected tasks to `keep` in pid order, as the dumps give
/// them, read with the groups of `show`.
fn select(
    cmd: &Command,
    me: Me,
    show: ShowFlags,
    client: &mut Client,
    mut keep: impl FnMut(Task),
) -> Result<(), Error> {
    let mut keep = |task: Task| {
        if select::wanted(cmd, me, &task) {
            keep(task);
        }
    };
    match pid_only(cmd) {
        Some(pids) => {
            let strategy = if cmd.threads {
                DumpStrategy::Thread
            } else {
                DumpStrategy::One
            };
            for pid in pids {
                let dump = match client.dump(strategy, Some(pid), show) {
                    Err(Error::NoSuchTask { .. }) => continue,
                    other => other?,
                };
                for task in dump {
                    keep(task?);
                }
            }
        }
        None => {
            let strategy = if cmd.threads {
                DumpStrategy::AllThread
            } else {
                DumpStrategy::All
            };
            for task in client.dump(strategy, None, show)? {
                keep(task?);
            }
        }
    }
    Ok(())
}

/// Gives each thread-group leader of `tasks` its process's faults and
/// times: procps shows a leader's line with those of the whole process
/// (`/proc/PID/stat`), while a thread dump carries each thread's own.
fn leaders_as_processes(client: &mut Client, tasks: &mut [Task]) -> Result<(), Error> {
    let leaders: Vec<usize> = (0..tasks.len())
        .filter(|&i| tasks[i].is_group_leader())
        .collect();
    for i in leaders {
        let pid = tasks[i].pid;
        let dump = match client.dump(DumpStrategy::One, Some(pid), ShowFlags::STAT) {
            Err(Error::NoSuchTask { .. }) => continue,
            other => other?,
        };
        for process in dump {
            if let Some(stat) = process?.stat {
                tasks[i].stat = Some(stat);
            }
        }
    }
    Ok(())
}

/// Renders the rows of the selected tasks into `out` in procps' order:
/// processes by pid, which is the dumps' order, so they are rendered as
/// they come unless sorted; threads by process, each process's leader
/// first; in a forest view, as its trees. Returns whether any task was
/// selected.
fn render(
    cmd: &Command,
    client: &mut Client,
    layout: &mut Layout,
    ctx: &mut Context,
    out: &mut Vec<u8>,
) -> Result<bool, Error> {
    let me = Me::read();
    let show = needs(cmd);
    if !cmd.threads && cmd.sort.is_empty() {
        let mut any = false;
        select(cmd, me, show, client, |task| {
            layout.row(&task, Art::NONE, ctx, out);
            any = true;
        })?;
        return Ok(any);
    }
    let mut tasks = Vec::new();
    select(cmd, me, show, client, |task| tasks.push(task))?;
    if cmd.threads {
        // Both backends send threads in pid order; ps lists them by
        // process, as /proc/PID/task lists them (the leader first, then
        // the others as created, which is pid order but after a wrap).
        tasks.sort_by_key(|t| (t.tgid, !t.is_group_leader(), t.pid));
        if show.contains(ShowFlags::STAT) {
            leaders_as_processes(client, &mut tasks)?;
        }
    }
    sort::sort(&mut tasks, &cmd.sort, ctx);
    match cmd.forest {
        Some(style) => forest::walk(&tasks, style, |task, art| layout.row(task, art, ctx, out)),
        None => {
            for task in &tasks {
                layout.row(task, Art::NONE, ctx, out);
            }
        }
    }
    Ok(!tasks.is_empty())
}

fn run() -> Result<bool, String> {
    let (mut screen_cols, _rows) = screen::screen_size();
    let argv: Vec<_> = std::env::args_os().skip(1).collect();
    let cmd = match args::parse(&argv) {
        Ok(cmd) => cmd,
        Err(ArgError::UnsupportedOption(what)) => {
            return Err(format!("unsupported option: {what}"))
        }
        Err(ArgError::UnsupportedColumn(what)) => {
            return Err(format!("unsupported column: {what}"))
        }
        Err(ArgError::Invalid(message)) => return Err(format!("error: {message}")),
    };
    if let Some(cols) = cmd.cols {
        screen_cols = cols;
    }
    // procps' choose_dimensions().
    if cmd.wide > 0 && screen_cols < 132 {
        screen_cols = 132;
    }
    if cmd.wide > 1 {
        screen_cols = OUTBUF_SIZE;
    }

    let mut layout = Layout::new(&cmd.columns, pid_length(), screen_cols);
    let mut ctx = Context {
        sys: system::System::read(),
        names: names::Names::default(),
        ttys: tty::Ttys::default(),
        utf8: screen::utf8_locale(),
        unix_f: cmd.formats.unix_f,
        bsd_c: cmd.bsd_c,
        times: Default::default(),
    };
    let mut client = Client::open(cmd.backend).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(64 << 10);
    if cmd.headers && layout.has_header() {
        layout.header(&mut out);
    }
    let any =
        render(&cmd, &mut client, &mut layout, &mut ctx, &mut out).map_err(|e| e.to_string())?;
    let mut stdout = io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        // "ps | head": procps exits 0 on SIGPIPE.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => return Ok(true),
        Err(err) => return Err(format!("write error: {err}")),
    }
    Ok(any)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("tdps: {message}");
            ExitCode::FAILURE
        }
    }
}
