// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench`: procfs against task_diag, side by side in one boot.
//!
//! The guest side is `selftests/vm/bench.sh`; this module builds what it
//! runs, boots the plain kernel once, parses the script's `RESULT`,
//! `SYSCALLS`, `TASKS`, `BACKEND` and `NOTE` lines, and reports a table,
//! JSON and an SVG plot.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::build::{self, Flavour};
use crate::pin::Pin;
use crate::{paths, run, selftests, tree, vm};

/// Task counts of the scaling measurement.
pub const SCALING: &[usize] = &[1_000, 10_000, 30_000, 100_000];
/// Threads per process of the tasks the benchmark creates.
pub const THREADS_PER_PROCESS: usize = 3;

/// The pairs, in the order of the report.
pub const PAIRS: &[&str] = &[
    "stat-threads",
    "stat",
    "status",
    "aux-reads",
    "ps",
    "ps-aux",
    "ps-ef",
    "pmap-x",
    "maps",
    "smaps",
    "perf-startup",
];

/// The commands of each pair, as the report names them.
fn commands(name: &str) -> (&'static str, &'static str) {
    match name {
        "stat-threads" => (
            "task_proc_all --threads stat",
            "task_diag_all All --quiet (BASE)",
        ),
        "stat" => ("task_proc_all stat", "task_diag_all all --quiet (BASE)"),
        "status" => ("task_proc_all status", "task_diag_all all --quiet (BASE)"),
        "aux-reads" => (
            "task_proc_all stat,status,statm,cmdline",
            "task_diag_all all --quiet --groups base,cred,stat,statm,cmdline",
        ),
        "ps" => ("ps ax -o pid,ppid", "tdps ax -o pid,ppid"),
        "ps-aux" => ("ps aux", "tdps aux"),
        "ps-ef" => ("ps -ef", "tdps -ef"),
        "pmap-x" => ("pmap -x PID... (user processes)", "tdpmap -x PID..."),
        "maps" => (
            "task_proc_all --whole maps",
            "task_diag_all all --quiet --groups base,vma",
        ),
        "smaps" => (
            "task_proc_all --whole smaps",
            "task_diag_all all --quiet --groups base,vma,vma-stat",
        ),
        "perf-startup" => (
            "task_proc_all --threads --process maps stat",
            "task_diag_all All --quiet --groups base,vma",
        ),
        _ => ("?", "?"),
    }
}

/// The ratio a pair is meant to reach, where one was set.
pub fn target(name: &str) -> Option<f64> {
    match name {
        "aux-reads" => Some(10.0),
        "ps-aux" | "ps-ef" => Some(20.0),
        "pmap-x" | "maps" => Some(5.0),
        "smaps" => Some(2.0),
        "perf-startup" => Some(10.0),
        _ => None,
    }
}

/// What the task_diag side's label says when its program read procfs
/// instead (a client on its fallback).
pub const FALLBACK: &str = " [procfs fallback]";

/// One pair of the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairReport {
    /// The pair's name.
    pub name: String,
    /// Tasks (or processes) the pair read.
    pub tasks: usize,
    /// The procfs command.
    pub a: String,
    /// The task_diag command.
    pub b: String,
    /// Median wall time of `a`.
    pub median_a_s: f64,
    /// Median wall time of `b`.
    pub median_b_s: f64,
    /// Fastest and slowest run of `a`.
    pub min_max_a_s: [f64; 2],
    /// Fastest and slowest run of `b`.
    pub min_max_b_s: [f64; 2],
    /// `median_a_s / median_b_s`.
    pub ratio: f64,
    /// System calls of one run of `a` (`strace -c -f`).
    pub syscalls_a: Option<u64>,
    /// System calls of one run of `b`.
    pub syscalls_b: Option<u64>,
    /// Timed runs of each side.
    pub runs: usize,
    /// What the program of `b` read, `"task_diag"` or `"procfs"`, where
    /// the script looked (the client programs, which fall back to procfs).
    pub backend_b: Option<String>,
    /// The ratio the pair is meant to reach, if one was set.
    pub target: Option<f64>,
    /// Whether `ratio` reached `target`; `None` without a target, or when
    /// `b` read procfs (the comparison is then not against task_diag).
    pub meets_target: Option<bool>,
}

impl PairReport {
    /// Whether the task_diag side ran on its procfs fallback.
    pub fn on_fallback(&self) -> bool {
        self.backend_b.as_deref() == Some("procfs")
    }

    /// The target column: `-`, `10x ok`, `10x MISSED`, or `5x n/a` when
    /// `b` read procfs.
    pub fn target_text(&self) -> String {
        match (self.target, self.meets_target) {
            (None, _) => "-".to_owned(),
            (Some(t), Some(true)) => format!("{t}x ok"),
            (Some(t), Some(false)) => format!("{t}x MISSED"),
            (Some(t), None) => format!("{t}x n/a"),
        }
    }
}

/// One point of the scaling measurement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScalingPoint {
    /// Tasks that existed.
    pub tasks: usize,
    /// Median time per task of `task_proc_all --threads stat`.
    pub per_task_ns_procfs: f64,
    /// Median time per task of `task_diag_all All`.
    pub per_task_ns_task_diag: f64,
}

/// The whole report, as `--json` writes it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// `uname -r` and `uname -v` of the booted kernel.
    pub kernel: String,
    /// `"kvm"` or `"tcg"`.
    pub accelerator: String,
    /// The pairs at the main task count.
    pub pairs: Vec<PairReport>,
    /// Per-task cost as the task count grows.
    pub scaling: Vec<ScalingPoint>,
    /// What the run had to say (sizes that did not fit, pairs left out).
    pub notes: Vec<String>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Parses the guest script's output into a report.
pub fn parse(output: &str, main: usize, kernel: &str, accelerator: &str) -> Result<Report> {
    // (pair, tasks) -> (a runs, b runs); pair -> (syscalls a, b)
    let mut runs: BTreeMap<(String, usize), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut calls: BTreeMap<String, (Option<u64>, Option<u64>)> = BTreeMap::new();
    let mut backends: BTreeMap<String, String> = BTreeMap::new();
    let mut steps: Vec<usize> = Vec::new();
    let mut notes = Vec::new();
    for line in output.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["RESULT", pair, side, n, secs] => {
                let n: usize = n.parse().context("RESULT task count")?;
                let secs: f64 = secs.parse().context("RESULT seconds")?;
                let e = runs.entry(((*pair).to_owned(), n)).or_default();
                if *side == "a" {
                    e.0.push(secs);
                } else {
                    e.1.push(secs);
                }
            }
            ["SYSCALLS", pair, side, _, c] => {
                let c: u64 = c.parse().context("SYSCALLS count")?;
                let e = calls.entry((*pair).to_owned()).or_default();
                if *side == "a" {
                    e.0 = Some(c);
                } else {
                    e.1 = Some(c);
                }
            }
            ["BACKEND", pair, "b", backend] => {
                backends.insert((*pair).to_owned(), (*backend).to_owned());
            }
            ["TASKS", n] => steps.push(n.parse().context("TASKS count")?),
            ["NOTE", ..] => notes.push(line["NOTE ".len()..].to_owned()),
            _ => {}
        }
    }
    if runs.is_empty() {
        bail!("the benchmark printed no result");
    }
    // The main step is the one where the other pairs ran.
    let main_tasks = runs
        .keys()
        .find(|(p, _)| p == "stat")
        .map(|(_, n)| *n)
        .and_then(|_| {
            runs.keys()
                .filter(|(p, _)| p == "stat-threads")
                .map(|(_, n)| *n)
                .min_by_key(|n| n.abs_diff(main))
        });
    let mut pairs = Vec::new();
    for &name in PAIRS {
        let found = runs
            .iter_mut()
            .find(|((p, n), _)| p == name && (name != "stat-threads" || Some(*n) == main_tasks));
        let Some(((_, n), (a, b))) = found else {
            continue;
        };
        if a.is_empty() || b.is_empty() {
            continue;
        }
        let (ma, mb) = (median(a), median(b));
        let (ca, cb) = calls.get(name).copied().unwrap_or((None, None));
        let (cmd_a, cmd_b) = commands(name);
        let backend_b = backends.get(name).cloned();
        let fallback = backend_b.as_deref() == Some("procfs");
        let ratio = ma / mb;
        let target = target(name);
        pairs.push(PairReport {
            name: name.to_owned(),
            tasks: *n,
            a: cmd_a.to_owned(),
            b: if fallback {
                format!("{cmd_b}{FALLBACK}")
            } else {
                cmd_b.to_owned()
            },
            median_a_s: ma,
            median_b_s: mb,
            min_max_a_s: [a[0], a[a.len() - 1]],
            min_max_b_s: [b[0], b[b.len() - 1]],
            ratio,
            syscalls_a: ca,
            syscalls_b: cb,
            runs: a.len().min(b.len()),
            backend_b,
            target,
            meets_target: target.filter(|_| !fallback).map(|t| ratio >= t),
        });
    }
    let mut scaling = Vec::new();
    for ((p, n), (a, b)) in runs.iter_mut() {
        if p != "stat-threads" || a.is_empty() || b.is_empty() || *n == 0 {
            continue;
        }
        scaling.push(ScalingPoint {
            tasks: *n,
            per_task_ns_procfs: median(a) * 1e9 / *n as f64,
            per_task_ns_task_diag: median(b) * 1e9 / *n as f64,
        });
    }
    scaling.sort_by_key(|s| s.tasks);
    Ok(Report {
        kernel: kernel.to_owned(),
        accelerator: accelerator.to_owned(),
        pairs,
        scaling,
        notes,
    })
}

/// The report as a terminal table, in the manner of the cover letter.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "kernel {} ({})", r.kernel, r.accelerator);
    // The command columns as wide as their longest command.
    let wa = r.pairs.iter().map(|p| p.a.len()).fold(6, usize::max);
    let wb = r.pairs.iter().map(|p| p.b.len()).fold(9, usize::max);
    let _ = writeln!(
        out,
        "{:<13} {:>7}  {:<wa$} {:>9} {:>19} {:>9}  {:<wb$} {:>9} {:>19} {:>9} {:>7} {:>10}",
        "pair",
        "tasks",
        "procfs",
        "median s",
        "min-max s",
        "syscalls",
        "task_diag",
        "median s",
        "min-max s",
        "syscalls",
        "ratio",
        "target"
    );
    let sc = |c: Option<u64>| c.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
    for p in &r.pairs {
        let _ = writeln!(
            out,
            "{:<13} {:>7}  {:<wa$} {:>9.4} {:>19} {:>9}  {:<wb$} {:>9.4} {:>19} {:>9} {:>6.1}x {:>10}",
            p.name,
            p.tasks,
            p.a,
            p.median_a_s,
            format!("{:.4}-{:.4}", p.min_max_a_s[0], p.min_max_a_s[1]),
            sc(p.syscalls_a),
            p.b,
            p.median_b_s,
            format!("{:.4}-{:.4}", p.min_max_b_s[0], p.min_max_b_s[1]),
            sc(p.syscalls_b),
            p.ratio,
            p.target_text()
        );
    }
    for p in r.pairs.iter().filter(|p| p.on_fallback()) {
        let _ = writeln!(
            out,
            "{}: the task_diag side read procfs (its client's fallback): not a task_diag measurement",
            p.name
        );
    }
    let _ = writeln!(
        out,
        "\nper-task cost (stat of every thread against ALL_THREAD with BASE)"
    );
    let _ = writeln!(
        out,
        "{:>8} {:>14} {:>17} {:>7}",
        "tasks", "procfs ns/task", "task_diag ns/task", "ratio"
    );
    for s in &r.scaling {
        let _ = writeln!(
            out,
            "{:>8} {:>14.0} {:>17.0} {:>6.1}x",
            s.tasks,
            s.per_task_ns_procfs,
            s.per_task_ns_task_diag,
            s.per_task_ns_procfs / s.per_task_ns_task_diag
        );
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// Height of the pairs panel of the plot, below the scaling plot.
fn pairs_panel_height(r: &Report) -> f64 {
    if r.pairs.is_empty() {
        0.0
    } else {
        60.0 + 26.0 * r.pairs.len() as f64
    }
}

/// An SVG plot: time against task count for both interfaces, then the
/// ratio of each pair at the main task count against its target.
pub fn svg(r: &Report) -> String {
    let (w, h, m) = (640.0, 400.0, 60.0);
    let pts: Vec<(f64, f64, f64)> = r
        .scaling
        .iter()
        .map(|s| {
            let n = s.tasks as f64;
            (
                n,
                s.per_task_ns_procfs * n / 1e9,
                s.per_task_ns_task_diag * n / 1e9,
            )
        })
        .collect();
    let max_x = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let max_y = pts.iter().map(|p| p.1.max(p.2)).fold(1e-3, f64::max);
    let x = |v: f64| m + v / max_x * (w - 2.0 * m);
    let y = |v: f64| h - m - v / max_y * (h - 2.0 * m);
    let line = |sel: &dyn Fn(&(f64, f64, f64)) -> f64| {
        pts.iter()
            .map(|p| format!("{:.1},{:.1}", x(p.0), y(sel(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{}" font-family="sans-serif" font-size="12">"#,
        h + pairs_panel_height(r)
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14">Reading every task: /proc/PID/task/TID/stat against task_diag ({})</text>"#,
        w / 2.0,
        r.accelerator
    );
    let _ = writeln!(
        s,
        r#"<line x1="{m}" y1="{b}" x2="{r}" y2="{b}" stroke="black"/><line x1="{m}" y1="{m}" x2="{m}" y2="{b}" stroke="black"/>"#,
        b = h - m,
        r = w - m
    );
    for i in 0..=4 {
        let fx = max_x * i as f64 / 4.0;
        let fy = max_y * i as f64 / 4.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{:.0}</text><text x="{}" y="{:.1}" text-anchor="end">{:.3}</text>"#,
            x(fx),
            h - m + 18.0,
            fx,
            m - 6.0,
            y(fy) + 4.0,
            fy
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">tasks</text><text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">seconds (median)</text>"#,
        w / 2.0,
        h - 20.0,
        h / 2.0,
        h / 2.0
    );
    let _ = writeln!(
        s,
        r#"<polyline fill="none" stroke="crimson" stroke-width="2" points="{}"/>"#,
        line(&|p| p.1)
    );
    let _ = writeln!(
        s,
        r#"<polyline fill="none" stroke="steelblue" stroke-width="2" points="{}"/>"#,
        line(&|p| p.2)
    );
    for p in &pts {
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="crimson"/><circle cx="{:.1}" cy="{:.1}" r="3" fill="steelblue"/>"#,
            x(p.0),
            y(p.1),
            x(p.0),
            y(p.2)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" fill="crimson">procfs</text><text x="{}" y="{}" fill="steelblue">task_diag</text>"#,
        m + 10.0,
        m + 10.0,
        m + 10.0,
        m + 26.0
    );
    pairs_panel(&mut s, r, w, h);
    s.push_str("</svg>\n");
    s
}

/// The pairs panel of the plot, from `top` down: one bar a pair, its
/// ratio (procfs median over task_diag median), its target as a mark.
fn pairs_panel(s: &mut String, r: &Report, w: f64, top: f64) {
    if r.pairs.is_empty() {
        return;
    }
    let (left, right) = (110.0, 70.0);
    let max = r
        .pairs
        .iter()
        .map(|p| {
            let ratio = if p.ratio.is_finite() { p.ratio } else { 0.0 };
            ratio.max(p.target.unwrap_or(0.0))
        })
        .fold(1.0, f64::max)
        * 1.1;
    let x = |v: f64| left + v.max(0.0) / max * (w - left - right);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="14">Each pair: procfs median / task_diag median (target marked)</text>"#,
        w / 2.0,
        top + 24.0
    );
    for (i, p) in r.pairs.iter().enumerate() {
        let y = top + 40.0 + 26.0 * i as f64;
        let fill = if p.on_fallback() { "gray" } else { "steelblue" };
        let ratio = if p.ratio.is_finite() { p.ratio } else { 0.0 };
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text><rect x="{left}" y="{y:.1}" width="{:.1}" height="18" fill="{fill}"/><text x="{:.1}" y="{:.1}">{:.1}x{}</text>"#,
            left - 6.0,
            y + 13.0,
            p.name,
            x(ratio) - left,
            x(ratio) + 4.0,
            y + 13.0,
            p.ratio,
            if p.on_fallback() {
                " procfs fallback"
            } else {
                ""
            }
        );
        if let Some(t) = p.target {
            let _ = writeln!(
                s,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="crimson" stroke-width="2" stroke-dasharray="3,2"/>"#,
                x(t),
                y - 3.0,
                x(t),
                y + 21.0
            );
        }
    }
    let base = top + 40.0 + 26.0 * r.pairs.len() as f64;
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" stroke="black"/><text x="{:.1}" y="{:.1}" fill="crimson">target</text>"#,
        w - right,
        left,
        base + 16.0
    );
}

/// The client programs the benchmark runs, as built (`None`: not built).
#[derive(Debug, Default)]
struct Clients {
    tdps: Option<PathBuf>,
    tdpmap: Option<PathBuf>,
}

/// The client programs of the benchmark.
pub const CLIENT_BINS: &[&str] = &["tdps", "tdpmap"];

/// The `cargo build` arguments that build [`CLIENT_BINS`] for the
/// benchmark, optimised.
pub fn client_build_args() -> Vec<&'static str> {
    let mut args = client_debug_build_args();
    args.insert(2, "--release");
    args
}

/// The `cargo build` arguments that build [`CLIENT_BINS`] unoptimised, for
/// the tests in the guest (`selftests/vm/run.sh`).
pub fn client_debug_build_args() -> Vec<&'static str> {
    let mut args = vec!["build", "--quiet", "-p", "task-diag"];
    for bin in CLIENT_BINS {
        args.extend(["--bin", bin]);
    }
    args
}

/// Builds `tdps` and `tdpmap` when the client crate exists; each is `None`
/// when it was not built.
fn build_clients() -> Clients {
    let root = paths::repo_root();
    if !root.join("client/Cargo.toml").exists() {
        return Clients::default();
    }
    let ok = run::succeeds_verbose(
        Command::new("cargo")
            .args(client_build_args())
            .current_dir(&root),
    );
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"))
        .join("release");
    let bin = |name: &str| {
        let p = dir.join(name);
        (ok && p.exists()).then_some(p)
    };
    Clients {
        tdps: bin("tdps"),
        tdpmap: bin("tdpmap"),
    }
}

/// The ascending task counts to step through, and the main one.
pub fn sizes(tasks: usize) -> Vec<usize> {
    let mut v: Vec<usize> = SCALING.to_vec();
    v.push(tasks);
    v.sort_unstable();
    v.dedup();
    v
}

/// `cargo xtask bench`.
pub fn command(tasks: usize, runs: usize, memory: &str, json: Option<&Path>) -> Result<i32> {
    if tasks < 100 || runs == 0 {
        bail!("--tasks must be at least 100 and --runs at least 1");
    }
    let built = build::kernel(Flavour::Plain)?;
    let pin = Pin::load()?;
    let bins = selftests::build(&tree::pristine(&pin)?)?;
    let clients = build_clients();
    let path_arg = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let sizes = sizes(tasks);
    let list: Vec<String> = sizes.iter().map(|n| n.to_string()).collect();
    let script = paths::repo_root().join("selftests/vm/bench.sh");
    let cmd = vec![
        "bash".to_owned(),
        script.to_string_lossy().into_owned(),
        bins.to_string_lossy().into_owned(),
        path_arg(&clients.tdps),
        list.join(","),
        THREADS_PER_PROCESS.to_string(),
        runs.to_string(),
        tasks.to_string(),
        path_arg(&clients.tdpmap),
    ];
    let mut opts = vm::options(1, memory);
    opts.timeout = std::time::Duration::from_secs(3 * 3600);
    eprintln!(
        "xtask: benchmark in one boot: {} tasks ({} threads a process), scaling at {}",
        tasks,
        THREADS_PER_PROCESS,
        list.join(", ")
    );
    let out = vm::boot(&built, &opts, &cmd, false)?;
    if out.status != 0 {
        bail!(
            "the benchmark script failed in the guest (status {})",
            out.status
        );
    }
    let accel = if opts.kvm { "kvm" } else { "tcg" };
    let kernel = format!("{} {}", built.release, built.version);
    let report = parse(&out.stdout, tasks, &kernel, accel)?;
    print!("{}", table(&report));
    let dir = paths::repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let svg_path = json
        .map(|j| j.with_extension("svg"))
        .unwrap_or_else(|| dir.join("bench.svg"));
    std::fs::write(&svg_path, svg(&report))?;
    let text = serde_json::to_string_pretty(&report)?;
    let json_path = json
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join("bench.json"));
    std::fs::write(&json_path, text + "\n")?;
    eprintln!(
        "xtask: JSON in {}, plot in {}",
        json_path.display(),
        svg_path.display()
    );
    if !out.splats.is_empty() {
        eprintln!("xtask: the guest kernel reported bugs:");
        for l in &out.splats {
            eprintln!("  {l}");
        }
        return Ok(1);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "TASKS 1080\n\
        RESULT stat-threads a 1080 0.050\nRESULT stat-threads b 1080 0.010\n\
        RESULT stat-threads a 1080 0.040\nRESULT stat-threads b 1080 0.012\n\
        RESULT stat-threads a 1080 0.060\nRESULT stat-threads b 1080 0.011\n\
        TASKS 30080\n\
        RESULT stat-threads a 30080 1.0\nRESULT stat-threads b 30080 0.05\n\
        SYSCALLS stat-threads a 30080 90000\nSYSCALLS stat-threads b 30080 40\n\
        RESULT stat a 10030 0.3\nRESULT stat b 10030 0.02\n\
        RESULT stat a 10030 0.5\nRESULT stat b 10030 0.03\n\
        SYSCALLS stat a 10030 30100\nSYSCALLS stat b 10030 30\n\
        NOTE 100000 tasks do not fit\n";

    #[test]
    fn parses_pairs_scaling_and_notes() {
        let r = parse(OUT, 30_000, "6.12.117 #1", "tcg").unwrap();
        assert_eq!(r.pairs.len(), 2);
        let st = &r.pairs[0];
        assert_eq!(st.name, "stat-threads");
        assert_eq!(st.tasks, 30080);
        assert_eq!(st.syscalls_b, Some(40));
        assert!((st.ratio - 20.0).abs() < 1e-9);
        let s = &r.pairs[1];
        assert_eq!((s.median_a_s, s.median_b_s), (0.4, 0.025));
        assert_eq!(s.min_max_a_s, [0.3, 0.5]);
        assert_eq!(r.scaling.len(), 2);
        assert_eq!(r.scaling[0].tasks, 1080);
        assert!((r.scaling[0].per_task_ns_procfs - 0.05e9 / 1080.0).abs() < 1e-6);
        assert_eq!(r.notes, ["100000 tasks do not fit"]);
        let json = serde_json::to_value(&r).unwrap();
        for key in ["kernel", "accelerator", "pairs", "scaling"] {
            assert!(json.get(key).is_some(), "{key}");
        }
        for key in [
            "name",
            "tasks",
            "a",
            "b",
            "median_a_s",
            "median_b_s",
            "ratio",
            "syscalls_a",
            "syscalls_b",
        ] {
            assert!(json["pairs"][0].get(key).is_some(), "{key}");
        }
        assert!(table(&r).contains("stat-threads"));
        assert!(svg(&r).starts_with("<svg"));
    }

    /// The main step with every pair, as the script prints it: tdps on
    /// task_diag, tdpmap on its procfs fallback.
    const ALL_PAIRS: &str = "TASKS 30080\n\
        RESULT stat-threads a 30080 1.0\nRESULT stat-threads b 30080 0.05\n\
        NOTE the dump alone (ALL_THREAD, BASE, 30080 tasks): median 0.0500 s of 5 runs\n\
        NOTE the floor of the walk (ALL_THREAD, no group: show_flags 0, 30080 tasks, the dump alone): median 0.0300 s of 5 runs, against 0.0500 s with BASE\n\
        RESULT stat a 10030 0.3\nRESULT stat b 10030 0.03\n\
        RESULT status a 10030 0.45\nRESULT status b 10030 0.03\n\
        RESULT aux-reads a 10030 1.75\nRESULT aux-reads b 10030 0.125\n\
        RESULT aux-reads a 10030 1.25\nRESULT aux-reads b 10030 0.125\n\
        SYSCALLS aux-reads a 10030 120400\nSYSCALLS aux-reads b 10030 60\n\
        BACKEND ps b task_diag\n\
        RESULT ps a 10030 1.5\nRESULT ps b 10030 0.05\n\
        BACKEND ps-aux b task_diag\n\
        RESULT ps-aux a 10030 4.0\nRESULT ps-aux b 10030 0.25\n\
        SYSCALLS ps-aux a 10030 160000\nSYSCALLS ps-aux b 10030 140\n\
        BACKEND ps-ef b task_diag\n\
        RESULT ps-ef a 10030 3.0\nRESULT ps-ef b 10030 0.1\n\
        SYSCALLS ps-ef a 10030 110000\nSYSCALLS ps-ef b 10030 120\n\
        BACKEND pmap-x b procfs\n\
        NOTE pmap-x: tdpmap has no task_diag backend yet\n\
        RESULT pmap-x a 10010 9.0\nRESULT pmap-x b 10010 6.0\n\
        SYSCALLS pmap-x a 10010 90000\nSYSCALLS pmap-x b 10010 60000\n\
        RESULT maps a 1050 2.0\nRESULT maps b 1050 0.25\n\
        SYSCALLS maps a 1050 5200\nSYSCALLS maps b 1050 70\n\
        RESULT smaps a 1050 6.0\nRESULT smaps b 1050 4.0\n\
        RESULT perf-startup a 30080 4.0\nRESULT perf-startup b 30080 0.5\n\
        SYSCALLS perf-startup a 30080 150000\nSYSCALLS perf-startup b 30080 900\n";

    #[test]
    fn parses_the_new_pairs_targets_and_backends() {
        let r = parse(ALL_PAIRS, 30_000, "6.12.117 #1", "tcg").unwrap();
        let names: Vec<&str> = r.pairs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, PAIRS);
        let get = |n: &str| r.pairs.iter().find(|p| p.name == n).unwrap();

        let aux = get("aux-reads");
        assert_eq!(aux.a, "task_proc_all stat,status,statm,cmdline");
        assert_eq!(
            aux.b,
            "task_diag_all all --quiet --groups base,cred,stat,statm,cmdline"
        );
        assert_eq!((aux.median_a_s, aux.median_b_s), (1.5, 0.125));
        assert_eq!(aux.min_max_a_s, [1.25, 1.75]);
        assert!((aux.ratio - 12.0).abs() < 1e-9);
        assert_eq!((aux.syscalls_a, aux.syscalls_b), (Some(120_400), Some(60)));
        assert_eq!((aux.target, aux.meets_target), (Some(10.0), Some(true)));
        assert_eq!(aux.backend_b, None);
        assert_eq!(aux.target_text(), "10x ok");

        let ps_aux = get("ps-aux");
        assert_eq!(
            (ps_aux.a.as_str(), ps_aux.b.as_str()),
            ("ps aux", "tdps aux")
        );
        assert_eq!(ps_aux.backend_b.as_deref(), Some("task_diag"));
        assert_eq!(ps_aux.tasks, 10030);
        assert_eq!(ps_aux.syscalls_b, Some(140));
        // 16x against a target of 20x.
        assert_eq!(
            (ps_aux.target, ps_aux.meets_target),
            (Some(20.0), Some(false))
        );
        assert_eq!(ps_aux.target_text(), "20x MISSED");

        let ps_ef = get("ps-ef");
        assert_eq!((ps_ef.a.as_str(), ps_ef.b.as_str()), ("ps -ef", "tdps -ef"));
        assert!((ps_ef.ratio - 30.0).abs() < 1e-9);
        assert_eq!(ps_ef.meets_target, Some(true));

        // The pairs of the VMA group: maps 8x against 5x, smaps 1.5x
        // against 2x, perf-startup 8x against 10x.
        let maps = get("maps");
        assert_eq!(
            (maps.a.as_str(), maps.b.as_str()),
            (
                "task_proc_all --whole maps",
                "task_diag_all all --quiet --groups base,vma"
            )
        );
        assert_eq!(maps.tasks, 1050);
        assert_eq!((maps.syscalls_a, maps.syscalls_b), (Some(5200), Some(70)));
        assert_eq!((maps.target, maps.meets_target), (Some(5.0), Some(true)));
        let smaps = get("smaps");
        assert_eq!(
            smaps.b,
            "task_diag_all all --quiet --groups base,vma,vma-stat"
        );
        assert!((smaps.ratio - 1.5).abs() < 1e-9);
        assert_eq!((smaps.target, smaps.meets_target), (Some(2.0), Some(false)));
        assert_eq!(smaps.target_text(), "2x MISSED");
        let perf = get("perf-startup");
        assert_eq!(perf.a, "task_proc_all --threads --process maps stat");
        assert_eq!(perf.b, "task_diag_all All --quiet --groups base,vma");
        assert_eq!(perf.tasks, 30080);
        assert_eq!((perf.target, perf.meets_target), (Some(10.0), Some(false)));

        let pmap = get("pmap-x");
        assert_eq!(pmap.tasks, 10010);
        assert!(pmap.on_fallback());
        assert_eq!(pmap.b, format!("tdpmap -x PID...{FALLBACK}"));
        // No verdict on a target when task_diag was not read.
        assert_eq!((pmap.target, pmap.meets_target), (Some(5.0), None));
        assert_eq!(pmap.target_text(), "5x n/a");

        // Pairs without a target.
        for n in ["stat-threads", "stat", "status", "ps"] {
            assert_eq!(get(n).target, None, "{n}");
            assert_eq!(get(n).target_text(), "-", "{n}");
        }
        assert!(r
            .notes
            .iter()
            .any(|n| n.starts_with("the floor of the walk")));

        let json = serde_json::to_value(&r).unwrap();
        let pmap_json = &json["pairs"][PAIRS.iter().position(|n| *n == "pmap-x").unwrap()];
        assert_eq!(pmap_json["backend_b"], "procfs");
        assert_eq!(pmap_json["target"], 5.0);
        assert!(pmap_json["meets_target"].is_null());
        assert_eq!(json["pairs"][3]["name"], "aux-reads");
        assert_eq!(json["pairs"][3]["meets_target"], true);

        let t = table(&r);
        for n in PAIRS {
            assert!(t.lines().any(|l| l.starts_with(n)), "{n} in\n{t}");
        }
        let line = |n: &str| {
            t.lines()
                .find(|l| l.split_whitespace().next() == Some(n))
                .unwrap()
                .to_owned()
        };
        assert!(line("aux-reads").ends_with("10x ok"), "{t}");
        assert!(line("ps-aux").ends_with("20x MISSED"), "{t}");
        assert!(line("pmap-x").contains(FALLBACK) && line("pmap-x").ends_with("5x n/a"));
        assert!(line("stat").ends_with(" -"), "{t}");
        assert!(t.contains("pmap-x: the task_diag side read procfs"), "{t}");
        assert!(t.contains("note: the floor of the walk (ALL_THREAD"), "{t}");
        // The columns line up: every row as long as the header.
        let widths: Vec<usize> = t
            .lines()
            .skip(1)
            .take(1 + PAIRS.len())
            .map(str::len)
            .collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{widths:?}\n{t}");

        let plot = svg(&r);
        for n in PAIRS {
            assert!(plot.contains(&format!(">{n}</text>")), "{n}");
        }
        assert!(plot.contains("procfs fallback"));
        assert_eq!(
            plot.matches(r#"stroke="crimson" stroke-width="2" stroke-dasharray"#)
                .count(),
            PAIRS.iter().filter(|n| target(n).is_some()).count()
        );
        assert_eq!(PAIRS.iter().filter(|n| target(n).is_some()).count(), 7);
        assert!(plot.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_pair_without_backend_or_target_has_no_verdict() {
        let r = parse(OUT, 30_000, "k", "tcg").unwrap();
        for p in &r.pairs {
            assert_eq!((p.backend_b.as_deref(), p.meets_target), (None, None));
        }
        // tdps read procfs: labelled, and its target not judged.
        let out =
            "TASKS 30080\nRESULT stat-threads a 30080 1.0\nRESULT stat-threads b 30080 0.05\n\
            RESULT stat a 10030 0.3\nRESULT stat b 10030 0.03\n\
            BACKEND ps-ef b procfs\nRESULT ps-ef a 10030 3.0\nRESULT ps-ef b 10030 0.1\n";
        let r = parse(out, 30_000, "k", "tcg").unwrap();
        let ef = r.pairs.iter().find(|p| p.name == "ps-ef").unwrap();
        assert_eq!(ef.b, format!("tdps -ef{FALLBACK}"));
        assert_eq!(ef.meets_target, None);
    }

    #[test]
    fn the_clients_are_built_together() {
        let args = client_build_args();
        assert_eq!(
            &args[..5],
            ["build", "--quiet", "--release", "-p", "task-diag"]
        );
        assert_eq!(&args[5..], ["--bin", "tdps", "--bin", "tdpmap"]);
        // The tests' build: the same without --release.
        let debug = client_debug_build_args();
        assert_eq!(
            debug,
            args.iter()
                .filter(|&&a| a != "--release")
                .copied()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn empty_output_is_an_error() {
        assert!(parse("nothing\n", 10, "k", "tcg").is_err());
    }

    #[test]
    fn sizes_include_the_main_count() {
        assert_eq!(sizes(30_000), [1_000, 10_000, 30_000, 100_000]);
        assert_eq!(sizes(5_000), [1_000, 5_000, 10_000, 30_000, 100_000]);
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
