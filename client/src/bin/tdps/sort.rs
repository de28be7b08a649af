// SPDX-License-Identifier: MIT OR Apache-2.0

//! `--sort`: the rows ordered by the values of columns, as procps sorts
//! on its items (numbers as numbers, names and commands as bytes).

use std::cmp::Ordering;

use task_diag::Task;

use crate::args::SortKey;
use crate::columns::Field;
use crate::values::{cell, Context};

/// The value a task is sorted on for one key.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Value {
    Number(f64),
    Text(Vec<u8>),
}

/// Whether `field` sorts by its text rather than a number.
fn textual(field: Field) -> bool {
    matches!(
        field,
        Field::Comm
            | Field::Args
            | Field::Euser
            | Field::Ruser
            | Field::Suser
            | Field::Fuser
            | Field::Egroup
            | Field::Rgroup
            | Field::Tty
            | Field::Stat
            | Field::State
            | Field::Wchan
    )
}

/// The number a field sorts by: the quantity behind its text.
fn number(field: Field, task: &Task, ctx: &Context) -> f64 {
    let stat = task.stat.unwrap_or_default();
    let statm = task.statm.unwrap_or_default();
    let creds = task.creds.unwrap_or_default();
    let ticks = stat.utime + stat.stime;
    match field {
        Field::Tgid => task.tgid.into(),
        Field::Tid => task.pid.into(),
        Field::Ppid => task.ppid.into(),
        Field::Pgid => task.pgid.into(),
        Field::Sid => task.sid.into(),
        Field::Tpgid => stat.tpgid.into(),
        Field::Euid => creds.euid.into(),
        Field::Ruid => creds.uid.into(),
        Field::Suid => creds.suid.into(),
        Field::Fuid => creds.fsuid.into(),
        Field::Egid => creds.egid.into(),
        Field::Rgid => creds.gid.into(),
        Field::Sgid => creds.sgid.into(),
        Field::Fgid => creds.fsgid.into(),
        Field::Rss | Field::Pmem => statm.total_rss as f64,
        Field::Vsz | Field::Sz => statm.total_vm as f64,
        Field::Pcpu | Field::C => ctx.sys.utilization(ticks, stat.start_time),
        Field::Time | Field::Times | Field::Bsdtime => (ticks / ctx.sys.hertz) as f64,
        Field::Etime | Field::Etimes => ctx.sys.elapsed(stat.start_time) as f64,
        Field::Start | Field::Lstart | Field::Stime | Field::Bsdstart => stat.start_time as f64,
        Field::Nice => stat.nice.into(),
        Field::Pri | Field::Opri | Field::Priority => stat.priority.into(),
        Field::Rtprio => stat.rt_priority.into(),
        Field::Psr => stat.processor.into(),
        Field::Nlwp => stat.threads.into(),
        Field::Flags => stat.flags.into(),
        Field::Minflt => stat.minflt as f64,
        Field::Majflt => stat.majflt as f64,
        _ => 0.0,
    }
}

fn value(field: Field, task: &Task, ctx: &mut Context) -> Value {
    if textual(field) {
        // procps sorts `comm` on the name and `args` on the command line,
        // whatever `-f` and `c` show.
        let shown = (ctx.unix_f, ctx.bsd_c);
        (ctx.unix_f, ctx.bsd_c) = (false, false);
        let mut out = Vec::new();
        cell(field, task, ctx, usize::MAX / 4, b"", &mut out);
        (ctx.unix_f, ctx.bsd_c) = shown;
        Value::Text(out)
    } else {
        Value::Number(number(field, task, ctx))
    }
}

/// Orders `tasks` by `keys`, stably (ties keep their order).
pub fn sort(tasks: &mut [Task], keys: &[SortKey], ctx: &mut Context) {
    if keys.is_empty() {
        return;
    }
    let mut keyed: Vec<(Vec<Value>, usize)> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                keys.iter().map(|k| value(k.spec.field, t, ctx)).collect(),
                i,
            )
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for ((x, y), key) in a.iter().zip(b).zip(keys) {
            let order = x.partial_cmp(y).unwrap_or(Ordering::Equal);
            let order = if key.reverse { order.reverse() } else { order };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    });
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let mut sorted: Vec<Task> = order.iter().map(|&i| tasks[i].clone()).collect();
    tasks.swap_with_slice(&mut sorted);
}
