// SPDX-License-Identifier: MIT OR Apache-2.0

//! tdps against procps `ps` on this host: the same options, byte-equal
//! output, over processes this test starts (sleeps, a zombie, a process
//! with an odd name, a process with named threads) and over the whole
//! system.
//!
//! Each comparison runs `ps`, `tdps --backend procfs`, then `ps` again, and
//! is tried again (up to three times) when tdps matches neither run, since
//! other processes change meanwhile. Whole-system listings compare only the
//! tasks that appear in both (processes come and go) and only columns that
//! stay put.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PS: &str = "/usr/bin/ps";
const TDPS: &str = env!("CARGO_BIN_EXE_tdps");

/// Whether procps `ps` is here to compare with; says why not otherwise.
fn have_procps() -> bool {
    let version = Command::new(PS).arg("--version").output();
    match version {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("procps-ng") => true,
        _ => {
            eprintln!("skipped: no procps-ng ps at {PS}");
            false
        }
    }
}

/// The output and exit status of `program` with `args` and `env`.
fn run(program: &str, args: &[OsString], env: &[(&str, &str)]) -> (Vec<u8>, Option<i32>) {
    let mut cmd = Command::new(program);
    if program == TDPS {
        cmd.args(["--backend", "procfs"]);
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .env_remove("PS_PERSONALITY")
        .env_remove("CMD_ENV")
        .env_remove("I_WANT_A_BROKEN_PS")
        .env("LC_ALL", "C.UTF-8");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
    (out.stdout, out.status.code())
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn os(args: &[String]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Asserts that tdps prints exactly what ps prints and exits the same.
fn same(args: &[String], env: &[(&str, &str)]) {
    let args = os(args);
    let mut last = String::new();
    for _ in 0..3 {
        let before = run(PS, &args, env);
        let ours = run(TDPS, &args, env);
        let after = run(PS, &args, env);
        if ours == before || ours == after {
            return;
        }
        last = format!(
            "ps {args:?} {env:?}\n--- ps (exit {:?}):\n{}--- tdps (exit {:?}):\n{}",
            before.1,
            show(&before.0),
            ours.1,
            show(&ours.0)
        );
    }
    panic!("tdps differs from ps:\n{last}");
}

/// The lines of a listing after its header, by their first `key` words.
fn by_key(out: &[u8], key: usize) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let mut lines = out.split_inclusive(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default().to_vec();
    let rows = lines
        .map(|line| {
            let words: Vec<String> = show(line)
                .split_whitespace()
                .take(key)
                .map(str::to_owned)
                .collect();
            (words.join(" "), line.to_vec())
        })
        .collect();
    (header, rows)
}

/// Asserts that the tasks tdps and ps both list are listed alike, in the
/// same order: lines keyed by their first `key` words (pid, or pid and
/// tid).
fn same_where_both(args: &[String], key: usize) {
    let args = os(args);
    let mut last = String::new();
    for _ in 0..3 {
        let before = run(PS, &args, &[]);
        let ours = run(TDPS, &args, &[]);
        let after = run(PS, &args, &[]);
        match compare_common(&before.0, &ours.0, &after.0, key) {
            Ok(()) => return,
            Err(why) => last = format!("ps {args:?}: {why}"),
        }
    }
    panic!("{last}");
}

/// `line` with the workqueue a worker runs dropped from its name
/// (`kworker/1:2-events` as `kworker/1:2`): a busy worker moves from one
/// workqueue to another between any two listings.
fn without_workqueue(line: &[u8]) -> Vec<u8> {
    let text = show(line);
    text.split(' ')
        .map(|word| match word.strip_prefix("kworker/") {
            Some(rest) if !rest.starts_with("R-") => match rest.find('-') {
                Some(dash) => &word[..b"kworker/".len() + dash],
                None => word,
            },
            _ => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
        .into_bytes()
}

fn compare_common(before: &[u8], ours: &[u8], after: &[u8], key: usize) -> Result<(), String> {
    let (head_b, rows_b) = by_key(before, key);
    let (head_o, rows_o) = by_key(ours, key);
    let (_, rows_a) = by_key(after, key);
    if head_b != head_o {
        return Err(format!("headers {:?} / {:?}", show(&head_b), show(&head_o)));
    }
    let b: HashMap<_, _> = rows_b.iter().cloned().collect();
    let a: HashMap<_, _> = rows_a.iter().cloned().collect();
    let o: HashMap<_, _> = rows_o.iter().cloned().collect();
    let mut common = 0;
    for (k, line) in &rows_o {
        let matches = [b.get(k), a.get(k)];
        if matches.iter().all(Option::is_none) {
            continue; // came or went between the runs
        }
        if !matches.contains(&Some(line)) && {
            let as_worker = without_workqueue(line);
            !matches
                .iter()
                .flatten()
                .any(|l| without_workqueue(l) == as_worker)
        } {
            return Err(format!(
                "task {k}: tdps {:?}, ps {:?} / {:?}",
                show(line),
                b.get(k).map(|l| show(l)),
                a.get(k).map(|l| show(l))
            ));
        }
        common += 1;
    }
    // What lived through both ps runs is in ours, in the same order.
    let stable: Vec<&String> = rows_b
        .iter()
        .map(|(k, _)| k)
        .filter(|k| a.contains_key(*k))
        .collect();
    for k in &stable {
        if !o.contains_key(*k) {
            return Err(format!("task {k} is missing"));
        }
    }
    let ours_order: Vec<&String> = rows_o
        .iter()
        .map(|(k, _)| k)
        .filter(|k| stable.contains(k))
        .collect();
    if ours_order != stable {
        return Err("the order differs".into());
    }
    if common < stable.len().min(1) {
        return Err("nothing in common".into());
    }
    Ok(())
}

/// Processes started for the comparisons; killed and reaped when dropped.
struct Quiet {
    children: Vec<Child>,
    sleeps: Vec<u32>,
    zombie: u32,
    odd: u32,
    threads: u32,
    /// A shell whose two children sleep.
    parent: u32,
    /// A sleep with a long command line.
    long: u32,
    /// A process that rewrote its command line.
    rewritten: u32,
    /// A sleep of user and group 4321, which have no names.
    other: u32,
    dir: PathBuf,
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stat_has(pid: u32, needle: &[u8]) -> bool {
    fs::read(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.windows(needle.len()).any(|w| w == needle))
}

/// The name of the odd process: a tab, a control character, an accented
/// letter, CJK characters, and a cut at 15 bytes through a character.
const ODD_NAME: &str = "f\tu\u{e9}n\u{1}ky-\u{4e2d}\u{6587}xyz";

impl Quiet {
    fn start() -> Self {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tdps-test-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let mut children = Vec::new();
        let mut spawn = |cmd: &mut Command| -> u32 {
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            let pid = child.id();
            children.push(child);
            pid
        };
        let sleeps: Vec<u32> = (0..3)
            .map(|_| spawn(Command::new("sleep").arg("120")))
            .collect();
        let zombie = spawn(Command::new("sh").args(["-c", "exit 0"]));

        let sleep = which("sleep");
        let link = dir.join(ODD_NAME);
        std::os::unix::fs::symlink(&sleep, &link).unwrap();
        let odd = spawn(Command::new(&link).arg("120"));

        let threads = spawn(
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "helper_threads", "--ignored", "--test-threads=1"])
                .env("TDPS_TEST_HELPER", "1"),
        );
        let parent = spawn(Command::new("sh").args(["-c", "sleep 120 & sleep 120 & wait"]));
        // A long command line, of arguments that sleep adds as zeros.
        let long_arg = "0".repeat(300);
        let long = spawn(
            Command::new("sleep")
                .arg("120")
                .args(std::iter::repeat_n(long_arg.as_str(), 20)),
        );
        // A command line rewritten in place, with spaces and a tab.
        let rewritten =
            spawn(Command::new("perl").args(["-e", "$0 = \"rewritten: worker  \\tx\"; sleep 120"]));
        // A process of a user and group without names.
        let other = spawn(Command::new("setpriv").args([
            "--reuid=4321",
            "--regid=4321",
            "--clear-groups",
            "sleep",
            "120",
        ]));

        for &pid in &sleeps {
            wait_for("sleep", || stat_has(pid, b"(sleep) S "));
        }
        wait_for("zombie", || stat_has(zombie, b") Z "));
        wait_for("odd", || {
            stat_has(odd, b") S ") && !stat_has(odd, b"(sleep)")
        });
        wait_for("threads", || {
            fs::read_dir(format!("/proc/{threads}/task")).is_ok_and(|d| d.count() >= 4)
                && fs::read(format!("/proc/{threads}/task/{threads}/stat"))
                    .is_ok_and(|s| s.windows(3).any(|w| w == b") S"))
        });
        wait_for("the shell's sleeps", || grandchildren(parent).len() == 2);
        wait_for("long", || stat_has(long, b"(sleep) S "));
        wait_for("rewritten", || {
            fs::read(format!("/proc/{rewritten}/cmdline"))
                .is_ok_and(|c| c.starts_with(b"rewritten"))
        });
        wait_for("other", || {
            stat_has(other, b"(sleep) S ")
                && fs::read_to_string(format!("/proc/{other}/status"))
                    .is_ok_and(|s| s.contains("Uid:\t4321"))
        });
        // Let the helper's threads reach their sleep.
        std::thread::sleep(Duration::from_millis(200));
        Self {
            children,
            sleeps,
            zombie,
            odd,
            threads,
            parent,
            long,
            rewritten,
            other,
            dir,
        }
    }

    fn all(&self) -> String {
        let mut pids = self.sleeps.clone();
        pids.extend([
            self.zombie,
            self.odd,
            self.threads,
            self.parent,
            self.long,
            self.rewritten,
            self.other,
        ]);
        pids.iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The children of `pid`'s main thread.
fn grandchildren(pid: u32) -> Vec<String> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

impl Drop for Quiet {
    fn drop(&mut self) {
        let orphans = grandchildren(self.parent);
        if !orphans.is_empty() {
            let _ = Command::new("kill").args(&orphans).status();
        }
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The path of a program on `PATH`.
fn which(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| Path::new("/bin").join(name))
}

/// Not a test: the multi-threaded process of the comparisons, started by
/// them with `TDPS_TEST_HELPER` set. Its threads have names and sleep.
#[test]
#[ignore = "a helper process for the other tests"]
fn helper_threads() {
    if std::env::var_os("TDPS_TEST_HELPER").is_none() {
        return;
    }
    let names = ["worker-1", "w\u{e9}rk\ter", "a-very-long-thread-name"];
    let handles: Vec<_> = names
        .iter()
        .map(|name| {
            std::thread::Builder::new()
                .name((*name).to_owned())
                .spawn(|| std::thread::sleep(Duration::from_secs(120)))
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_secs(120));
    drop(handles);
}

fn args(text: &str) -> Vec<String> {
    text.split(' ').map(str::to_owned).collect()
}

#[test]
fn quiet_processes_match_ps() {
    if !have_procps() {
        return;
    }
    let q = Quiet::start();
    let all = q.all();
    let t = q.threads;
    let sh = q.parent;
    let z = q.zombie;
    let odd = q.odd;
    let s0 = q.sleeps[0];
    for case in [
        format!("-p {all} -o pid,ppid,pgid,pgrp,sid,sess,session,tgid,s,comm"),
        format!("-p {all} -o pid,tid,lwp,spid,state,ucomm"),
        format!("-p {all} -o comm,pid,s"),
        format!("-p {all} -o ucmd,ppid,comm,tid"),
        format!("-p {all} -o pid=,comm="),
        format!("-p {all} -o pid=,comm=A"),
        format!("-p {all} -o pid=PROCESS,comm=NAME,s=STATE"),
        format!("-p {all} -o pid:9,comm:4,s"),
        format!("-p {all} -o s,pid=,comm --no-headers"),
        format!("--pid {all} -o pid -o comm --format=s"),
        format!("--pid={all} -o pid,comm h"),
        format!("p {all} o pid,comm"),
        format!("-o pid,comm {s0} {z}"),
        format!("-L -p {t} -o pid,tid,lwp,tgid,s,comm"),
        format!("-T -p {t} -o pid,spid,comm"),
        format!("H -p {t} -o pid,tid,comm,s"),
        format!("-L -p {t},{s0} -o comm,tid,pid"),
        format!("-Lp {t} -o pid=,tid=,comm="),
        format!("--ppid {sh} -o pid,ppid,comm -p 1"),
        format!("--ppid {sh},{t} -p {s0} -o pid,ppid,s,comm"),
        format!("-p {z} -o pid,s,comm,comm"),
        format!("-p {z} -o comm,pid"),
        format!("-p {odd} -o pid,comm,pid"),
        format!("-p {odd} -o comm,pid"),
        format!("-p {odd},{t} -L -o comm=,tid"),
        "-p 99999999 -o pid,comm".to_owned(),
        "-p 99999999 -o pid,comm --no-headers".to_owned(),
        "-p 1 -o pid= -o comm=".to_owned(),
        format!("-p {s0} -o pid,comm --cols 12"),
        format!("-p {s0} -o pid,ppid,comm --cols 8"),
    ] {
        same(&args(&case), &[]);
    }
    // The screen width from the environment, and the C locale.
    let cases: [(String, &[(&str, &str)]); 11] = [
        (format!("-p {all} -o pid,comm"), &[("COLUMNS", "12")]),
        (format!("-p {all} -o pid,ppid,comm"), &[("COLUMNS", "8")]),
        (format!("-p {all} -o comm,pid,comm"), &[("COLUMNS", "30")]),
        (format!("-p {all} -o pid,comm w"), &[("COLUMNS", "12")]),
        (format!("-p {all} -o pid,comm ww"), &[("COLUMNS", "12")]),
        (format!("-p {all} -o comm,pid,comm"), &[("LC_ALL", "C")]),
        (
            format!("-L -p {odd},{t} -o comm,pid,comm"),
            &[("LC_ALL", "POSIX")],
        ),
        (
            format!("-p {odd},{t} -o comm,comm"),
            &[("LC_ALL", ""), ("LANG", "C.UTF-8")],
        ),
        // A locale that is not installed: ps stays in the C locale.
        (format!("-p {odd} -o comm"), &[("LC_ALL", "xx_YY.UTF-8")]),
        (
            format!("-p {odd} -o comm"),
            &[
                ("LC_ALL", ""),
                ("LC_CTYPE", "C.UTF-8"),
                ("LANG", "xx_YY.UTF-8"),
            ],
        ),
        (
            format!("-p {odd} -o comm"),
            &[("LC_ALL", ""), ("LC_CTYPE", "C.UTF-8"), ("LANG", "C")],
        ),
    ];
    for (case, env) in cases {
        same(&args(&case), env);
    }
    drop(q);
}

#[test]
fn whole_system_matches_ps() {
    if !have_procps() {
        return;
    }
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let my_sid = after_comm.split(' ').nth(3).unwrap().to_owned();
    let by_sid = format!("--sid {my_sid} -o pid,sid,comm");
    for (case, key) in [
        ("ax -o pid,ppid,pgid,sid,comm", 1),
        ("-e -o pid,tgid,comm", 1),
        ("-A -o pid=,comm= w", 1),
        ("-ax -o pid,comm", 1),
        ("-e -L -o pid,tid,ppid,comm", 2),
        ("axH -o pid,lwp,comm=THREAD", 2),
        ("-N -p 1 -o pid,sess,comm", 1),
        ("--ppid 2 -o pid,ppid,comm", 1),
        (by_sid.as_str(), 1),
    ] {
        same_where_both(&args(case), key);
    }
}

/// The header and the lines of `out` whose word number `col` (from 0) is
/// one of `pids`.
fn lines_of(out: &[u8], col: usize, pids: &[String]) -> Vec<u8> {
    let mut lines = out.split_inclusive(|&b| b == b'\n');
    let mut kept = lines.next().unwrap_or_default().to_vec();
    for line in lines {
        let text = show(line);
        if text
            .split_whitespace()
            .nth(col)
            .is_some_and(|w| pids.iter().any(|p| p == w))
        {
            kept.extend_from_slice(line);
        }
    }
    kept
}

/// Asserts that the lines of the tasks `pids` (word `col` of a line) are
/// the same in tdps's listing as in ps's, for listings of more than them.
fn same_lines(args: &[String], col: usize, pids: &[String]) {
    let args = os(args);
    let mut last = String::new();
    for _ in 0..3 {
        let before = lines_of(&run(PS, &args, &[]).0, col, pids);
        let ours = lines_of(&run(TDPS, &args, &[]).0, col, pids);
        let after = lines_of(&run(PS, &args, &[]).0, col, pids);
        if ours == before || ours == after {
            // All of them are there.
            assert_eq!(
                ours.iter().filter(|&&b| b == b'\n').count(),
                pids.len() + 1,
                "ps {args:?}: {}",
                show(&ours)
            );
            return;
        }
        last = format!(
            "ps {args:?}\n--- ps:\n{}--- tdps:\n{}",
            show(&before),
            show(&ours)
        );
    }
    panic!("tdps differs from ps:\n{last}");
}

#[test]
fn formats_match_ps() {
    if !have_procps() {
        return;
    }
    let q = Quiet::start();
    let all = q.all();
    let t = q.threads;
    let o = q.other;
    let comm = fs::read_to_string(format!("/proc/{t}/comm")).unwrap();
    let comm = comm.trim_end();
    let columns = "user,ruser,euser,uid,euid,group,gid,rss,vsz,sz,%mem,%cpu,c,time,cputime,\
        etime,etimes,start,lstart,stime,tty,stat,ni,pri,psr,nlwp,f,cmd,args,comm";
    for case in [
        format!("-p {all} -f"),
        format!("-p {all} -F"),
        format!("-p {all} -l"),
        format!("-p {all} -ly"),
        format!("-p {all} -j"),
        format!("-p {all} -o {columns}"),
        format!("-p {all} -o user:3,group:2,args:20,pid"),
        format!("-p {all} -o pid,etimes,etime,time,%cpu,c,stat -o args"),
        format!("-p {all} -O rss,user"),
        format!("p {all} O vsz"),
        format!("p {all} u"),
        format!("p {all} j"),
        format!("p {all} l"),
        format!("p {all} c"),
        format!("p {all} uc"),
        format!("-Lf -p {t}"),
        format!("-L -p {t} -o pid,lwp,nlwp,time,stat,comm"),
        format!("-T -p {t}"),
        format!("-p {all} --sort=-rss -o pid,rss,comm"),
        format!("-p {all} --sort=comm,-pid -o pid,comm"),
        format!("-p {all} --sort=user,-vsz -o pid,user,vsz"),
        format!("-p {all} k -pid -o pid"),
        // comm sorts on the name and args on the command line, whatever
        // -f and c show.
        format!("-p {all} -f --sort=comm,pid"),
        format!("p {all} c --sort=args,pid -o pid,args"),
        "-U 4321 -o pid,user,ruser,uid,group,gid,comm".to_owned(),
        "-u 4321 -o pid,euser,egroup".to_owned(),
        "-G 4321 -o pid,rgroup".to_owned(),
        "--User 4321 -o pid,ruid --group 4321".to_owned(),
        format!("-C {comm} -o pid,comm"),
        format!("-C {comm} -L -o pid,tid,comm"),
        format!("-p {o} -o user,group,uid,gid"),
    ] {
        same(&args(&case), &[]);
    }
    // Listings of more than these processes, compared on their lines.
    let mut pids: Vec<String> = all.split(',').map(str::to_owned).collect();
    pids.sort();
    // Plain ps selects the processes of its effective user only.
    let mine: Vec<String> = pids
        .iter()
        .filter(|p| **p != o.to_string())
        .cloned()
        .collect();
    same_lines(&[], 0, &mine);
    for (case, col) in [("aux", 1), ("-ef", 1), ("-ely", 2), ("axj", 1)] {
        let case: Vec<String> = case
            .split(' ')
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        same_lines(&case, col, &pids);
    }
    // With threads: one line each, the process's pid in word 1.
    let mut lines = String::new();
    for line in show(&run(PS, &os(&args(&format!("-Lf -p {t}"))), &[]).0)
        .lines()
        .skip(1)
    {
        lines.push_str(line.split_whitespace().nth(3).unwrap_or_default());
        lines.push(',');
    }
    let lwps: Vec<String> = lines
        .trim_end_matches(',')
        .split(',')
        .map(str::to_owned)
        .collect();
    assert!(lwps.len() >= 4, "the helper's threads: {lwps:?}");
    same_lines(&args("-eLf"), 3, &lwps);
    drop(q);
}

/// A tree of processes for the forest views: a shell with three
/// children, a sleep, a shell with a sleep (a grandchild), and a sleep
/// with a zombie child (a shell's subshell that ran `true`, which the
/// sleep does not reap); killed and reaped when dropped.
struct Tree {
    top: Child,
    /// The shell, the sleep, the inner shell and its sleep, the sleep
    /// and its zombie.
    pids: [u32; 6],
}

/// The name in `/proc/PID/stat` and whether the task is a zombie.
fn name_and_zombie(pid: u32) -> Option<(String, bool)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_owned();
    Some((name, stat[close..].starts_with(") Z")))
}

impl Tree {
    fn start() -> Self {
        let top = Command::new("sh")
            .args([
                "-c",
                "sleep 120 & sh -c 'sleep 120 & wait' & sh -c 'true & exec sleep 120' & wait",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let shell = top.id();
        let mut pids = None;
        wait_for("the tree", || {
            let children = grandchildren(shell);
            let [a, b, c] = children.as_slice() else {
                return false;
            };
            let parse = |p: &String| p.parse::<u32>().unwrap_or(0);
            let (a, b, c) = (parse(a), parse(b), parse(c));
            let (b1, c1) = match (grandchildren(b).as_slice(), grandchildren(c).as_slice()) {
                ([b1], [c1]) => (parse(b1), parse(c1)),
                _ => return false,
            };
            let is = |pid, name: &str, zombie| {
                name_and_zombie(pid).is_some_and(|(n, z)| n == name && z == zombie)
            };
            if is(a, "sleep", false)
                && is(b, "sh", false)
                && is(b1, "sleep", false)
                && is(c, "sleep", false)
                && is(c1, "sh", true)
            {
                pids = Some([shell, a, b, b1, c, c1]);
                true
            } else {
                false
            }
        });
        Self {
            top,
            pids: pids.unwrap_or_default(),
        }
    }

    fn pids(&self) -> Vec<String> {
        self.pids.iter().map(u32::to_string).collect()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let [_, a, b, b1, c, _] = self.pids;
        let _ = Command::new("kill")
            .args([a, b1, b, c].map(|p| p.to_string()))
            .status();
        let _ = self.top.kill();
        let _ = self.top.wait();
    }
}

/// Asserts that `out` has the art of the tree: its lines (in the order of
/// `Tree::pids`, found in word `col`) end with these texts.
fn has_art(out: &[u8], col: usize, tree: &Tree, ends: [&str; 6]) {
    let text = show(out);
    for (pid, end) in tree.pids().iter().zip(ends) {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(col) == Some(pid.as_str()))
            .unwrap_or_else(|| panic!("no line of {pid}:\n{text}"));
        assert!(line.ends_with(end), "{pid}: {line:?} should end {end:?}");
    }
}

#[test]
fn forests_match_ps() {
    if !have_procps() {
        return;
    }
    let tree = Tree::start();
    let pids = tree.pids();
    let list = pids.join(",");
    let top = &pids[0];
    // The art itself, so that the comparisons below cannot agree on none.
    let (out, _) = run(
        TDPS,
        &os(&args(&format!("--forest -p {list} -o pid,args"))),
        &[],
    );
    has_art(
        &out,
        0,
        &tree,
        [
            "sh -c sleep 120 & sh -c 'sleep 120 & wait' & sh -c 'true & exec sleep 120' & wait",
            " \\_ sleep 120",
            " \\_ sh -c sleep 120 & wait",
            " |   \\_ sleep 120",
            " \\_ sleep 120",
            "     \\_ [sh] <defunct>",
        ],
    );
    let (out, _) = run(TDPS, &os(&args(&format!("-H -p {list} -o pid,comm"))), &[]);
    has_art(
        &out,
        0,
        &tree,
        ["sh", "  sleep", "  sh", "    sleep", "  sleep", "    sh"],
    );
    // Only these processes: the whole output.
    for case in [
        format!("--forest -p {list}"),
        format!("-f --forest -p {list}"),
        format!("j f p {list}"),
        format!("f -p {list} -o pid,ppid,s,comm"),
        format!("-H -p {list}"),
        format!("-jH -p {list}"),
        format!("-H --forest -p {list}"),
        format!("--forest -H -p {list} -o pid,args"),
        format!("--ppid {top} --forest -o pid,args"),
        format!("--forest -p {list} -o pid,args:9,pid"),
        format!("--forest -p {list} -o pid,args,pid"),
        format!("--forest -p {list} -o pid,comm --cols 14"),
        format!("-H -p {list} -o pid,comm --cols 9"),
        // With sort keys, procps 4.0.2 keeps runs of children only.
        format!("--forest -p {list} --sort=-pid -o pid,ppid,args"),
        format!("--forest -p {list} --sort=comm -o pid,ppid,args"),
        format!("-H -p {list} --sort=ppid,-pid"),
        format!("f -p {list} --sort=ppid"),
    ] {
        same(&args(&case), &[]);
    }
    // The whole system: the lines of these processes, art and all.
    for (case, col) in [
        ("axjf", 1),
        ("-ef --forest", 1),
        ("axf", 0),
        ("-eH", 0),
        ("-ejH", 0),
    ] {
        same_lines(&args(case), col, &pids);
    }
    drop(tree);
}

#[test]
fn refusals() {
    for (case, line) in [
        ("ax v", "tdps: unsupported option: v\n"),
        (
            "-eL --forest",
            "tdps: error: thread display conflicts with forest display\n",
        ),
        (
            "axHf",
            "tdps: error: thread display conflicts with forest display\n",
        ),
        ("-e -o pid,cgroup", "tdps: unsupported column: cgroup\n"),
        ("-e --sort=-wtf", "tdps: unsupported column: wtf\n"),
        ("-p x -o pid", "tdps: error: process ID list syntax error\n"),
        (
            "-e -y",
            "tdps: error: modifier -y without format -l makes no sense\n",
        ),
    ] {
        let out = Command::new(TDPS)
            .args(case.split(' '))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{case}");
        assert_eq!(show(&out.stderr), line, "{case}");
        assert!(out.stdout.is_empty(), "{case}");
    }
}
