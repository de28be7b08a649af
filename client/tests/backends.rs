// SPDX-License-Identifier: MIT OR Apache-2.0

//! The task_diag backend against the procfs backend, record for record, on
//! quiet processes this test starts: a sleeper, a shell waiting for its
//! sleeping child with a command line of some 300 KB (split over messages),
//! and a zombie; every group alone and all together, every strategy, with
//! the default read buffer and a 4 KiB one. Also kthreadd, and the names
//! of the kernel threads.
//!
//! It needs `/proc/task_diag`, so it runs in the VM:
//!
//! ```sh
//! cargo xtask vm -- cargo test -p task-diag --test backends -- --nocapture
//! # or build it on the host and run the binary cargo names:
//! cargo test -p task-diag --test backends --no-run
//! cargo xtask vm -- target/debug/deps/backends-HASH --nocapture
//! ```
//!
//! Elsewhere it prints why it is skipped and passes.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use task_diag::{BackendChoice, Client, DumpStrategy, Options, ShowFlags, Task};

/// A dump to compare: its strategy, its pid, the pids kept of it (all when
/// `None`).
type Run<'a> = (DumpStrategy, Option<i32>, Option<&'a BTreeSet<i32>>);

/// The groups compared: each alone (BASE always comes), then all of them.
fn group_sets() -> Vec<ShowFlags> {
    let each = [
        ShowFlags::BASE,
        ShowFlags::CRED,
        ShowFlags::STAT,
        ShowFlags::STATM,
        ShowFlags::CMDLINE,
        ShowFlags::NAME,
    ];
    let mut sets = each.to_vec();
    sets.push(each.iter().fold(ShowFlags::empty(), |a, &b| a | b));
    sets
}

/// The state letter of `/proc/PID/stat`, if the task is there.
fn state(pid: u32) -> Option<u8> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat.get(close + 2).copied()
}

/// Waits until every pid of `pids` is in the state of its pair.
fn wait_states(pids: &[(u32, u8)]) {
    let start = Instant::now();
    while !pids.iter().all(|&(pid, want)| state(pid) == Some(want)) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "tasks not settled: {:?}",
            pids.iter().map(|&(p, _)| (p, state(p))).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The processes of the test, killed and reaped when dropped.
struct Quiet {
    children: Vec<Child>,
    /// The sleeper, the shell, the shell's sleeping child, the zombie.
    sleeper: u32,
    shell: u32,
    inner: u32,
    zombie: u32,
}

impl Quiet {
    fn start() -> Self {
        let sleeper = Command::new("sleep").arg("1000").spawn().unwrap();
        let long: Vec<String> = (0..3)
            .map(|i| format!("{i}{}", "x".repeat(100_000)))
            .collect();
        let shell = Command::new("sh")
            .args(["-c", "sleep 1000; :", "sh"])
            .args(&long)
            .stdin(Stdio::null())
            // No "Terminated" when its child is killed at the end.
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let zombie = Command::new("true").spawn().unwrap();
        let (sleeper_pid, shell_pid, zombie_pid) = (sleeper.id(), shell.id(), zombie.id());
        // The shell's child, once forked and exec'd.
        let start = Instant::now();
        let inner = loop {
            let children =
                std::fs::read_to_string(format!("/proc/{shell_pid}/task/{shell_pid}/children"))
                    .unwrap_or_default();
            if let Some(pid) = children.split_whitespace().next() {
                let pid: u32 = pid.parse().unwrap();
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                if comm.trim() == "sleep" {
                    break pid;
                }
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no child of sh");
            std::thread::sleep(Duration::from_millis(20));
        };
        wait_states(&[
            (sleeper_pid, b'S'),
            (shell_pid, b'S'),
            (inner, b'S'),
            (zombie_pid, b'Z'),
        ]);
        // Let the exec'd programs finish faulting in their pages.
        std::thread::sleep(Duration::from_millis(300));
        Self {
            children: vec![sleeper, shell, zombie],
            sleeper: sleeper_pid,
            shell: shell_pid,
            inner,
            zombie: zombie_pid,
        }
    }

    fn pids(&self) -> BTreeSet<i32> {
        [self.sleeper, self.shell, self.inner, self.zombie]
            .iter()
            .map(|&p| p as i32)
            .collect()
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.inner.to_string()).status();
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The tasks of a dump whose pid is in `keep` (all when `None`).
fn dump(
    client: &mut Client,
    strategy: DumpStrategy,
    pid: Option<i32>,
    show: ShowFlags,
    keep: Option<&BTreeSet<i32>>,
) -> Vec<Task> {
    let what = format!("{:?} {strategy:?} {pid:?} {show:?}", client.backend());
    client
        .dump(strategy, pid, show)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .map(|t| t.unwrap_or_else(|e| panic!("{what}: {e}")))
        .filter(|t| keep.is_none_or(|k| k.contains(&t.pid)))
        .collect()
}

/// Compares the records of both backends, naming the first difference.
fn same(what: &str, procfs: &[Task], task_diag: &[Task]) {
    let short = |t: &Task| {
        let mut t = t.clone();
        if let Some(c) = &mut t.cmdline {
            c.truncate(64);
        }
        t
    };
    assert_eq!(
        procfs.iter().map(|t| t.pid).collect::<Vec<_>>(),
        task_diag.iter().map(|t| t.pid).collect::<Vec<_>>(),
        "{what}: not the same tasks"
    );
    for (p, t) in procfs.iter().zip(task_diag) {
        assert!(
            p == t,
            "{what}: pid {}:\nprocfs    {:?}\ntask_diag {:?}",
            p.pid,
            short(p),
            short(t)
        );
    }
}

#[test]
fn both_backends_give_the_same_records() {
    if !Path::new("/proc/task_diag").exists() {
        eprintln!(
            "skipped: /proc/task_diag does not exist (a kernel without task_diag); run it in \
             the VM: cargo xtask vm -- cargo test -p task-diag --test backends"
        );
        return;
    }
    let quiet = Quiet::start();
    let ours = quiet.pids();
    let me = std::process::id() as i32;
    let mut procfs = Client::open(BackendChoice::Procfs).unwrap();
    let mut clients = vec![
        (
            "default buffer",
            Client::open(BackendChoice::TaskDiag).unwrap(),
        ),
        (
            "4 KiB buffer",
            Client::open_with(BackendChoice::TaskDiag, &Options::new().buffer_size(4096)).unwrap(),
        ),
    ];
    let (shell, inner) = (quiet.shell as i32, quiet.inner as i32);
    let mut runs: Vec<Run<'_>> = vec![
        (DumpStrategy::All, None, Some(&ours)),
        (DumpStrategy::AllThread, None, Some(&ours)),
        (DumpStrategy::Children, Some(shell), None),
        (DumpStrategy::Children, Some(me), Some(&ours)),
        (DumpStrategy::Thread, Some(shell), None),
    ];
    for &pid in &ours {
        runs.push((DumpStrategy::One, Some(pid), None));
    }
    let mut compared = 0;
    for show in group_sets() {
        for &(strategy, pid, keep) in &runs {
            let want = dump(&mut procfs, strategy, pid, show, keep);
            assert!(!want.is_empty(), "{strategy:?} {pid:?}: no task");
            for (buffer, client) in &mut clients {
                let got = dump(client, strategy, pid, show, keep);
                let what = format!("{strategy:?} of {pid:?} with {show:?}, {buffer}");
                same(&what, &want, &got);
                compared += got.len();
            }
        }
    }
    // The long command line came whole, from a split CMDLINE.
    let all = ShowFlags::CMDLINE;
    let got = dump(&mut clients[1].1, DumpStrategy::One, Some(shell), all, None);
    assert!(got[0].cmdline.as_ref().unwrap().len() > 300_000);
    let child = dump(
        &mut clients[0].1,
        DumpStrategy::Children,
        Some(shell),
        all,
        None,
    );
    assert_eq!(child[0].pid, inner);

    // kthreadd, a kernel thread: no memory, an empty command line.
    let kthread = ShowFlags::CRED | ShowFlags::STATM | ShowFlags::CMDLINE | ShowFlags::NAME;
    let want = dump(&mut procfs, DumpStrategy::One, Some(2), kthread, None);
    for (buffer, client) in &mut clients {
        let got = dump(client, DumpStrategy::One, Some(2), kthread, None);
        same(&format!("kthreadd, {buffer}"), &want, &got);
    }

    // The kernel threads' comm and names, kept to those in both dumps; a
    // workqueue worker's name changes with its work, so only its comm.
    let names = |client: &mut Client| -> BTreeMap<i32, (Vec<u8>, Vec<u8>)> {
        dump(
            client,
            DumpStrategy::Children,
            Some(2),
            ShowFlags::NAME,
            None,
        )
        .into_iter()
        .map(|t| {
            let name = t.full_name().as_bytes().to_vec();
            (t.pid, (t.comm_bytes().to_vec(), name))
        })
        .collect()
    };
    let want = names(&mut procfs);
    let got = names(&mut clients[0].1);
    let mut long = 0;
    for (pid, (comm, name)) in &want {
        let Some((got_comm, got_name)) = got.get(pid) else {
            continue;
        };
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert_eq!(show(got_comm), show(comm), "comm of kernel thread {pid}");
        if !name.starts_with(b"kworker/") {
            assert_eq!(show(got_name), show(name), "name of kernel thread {pid}");
            long += usize::from(name.len() > 15);
        }
    }
    eprintln!(
        "compared {compared} records of both backends, and {} kernel threads ({long} with \
         names past 15 bytes)",
        want.len()
    );
    drop(quiet);
}
