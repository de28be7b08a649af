// SPDX-License-Identifier: MIT OR Apache-2.0

//! The procfs backend: against this host's `/proc`, with processes the test
//! starts, and against procfs trees built in a temporary directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use task_diag::procfs::Procfs;
use task_diag::{BackendChoice, Client, DumpStrategy, Error, ShowFlags, Task, TaskState};

/// Children that are killed and reaped when dropped.
struct Sleepers(Vec<Child>);

impl Sleepers {
    fn spawn(n: usize) -> Self {
        let children = (0..n)
            .map(|_| {
                Command::new("sleep")
                    .arg("60")
                    .stdin(Stdio::null())
                    .spawn()
                    .expect("spawn sleep")
            })
            .collect();
        let sleepers = Self(children);
        // Wait until each has become "sleep" and sleeps.
        let deadline = Instant::now() + Duration::from_secs(10);
        for pid in sleepers.pids() {
            loop {
                let stat = fs::read(format!("/proc/{pid}/stat")).unwrap_or_default();
                if stat.windows(10).any(|w| w == b"(sleep) S ") {
                    break;
                }
                assert!(Instant::now() < deadline, "sleep {pid} did not start");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        sleepers
    }

    fn pids(&self) -> Vec<i32> {
        self.0.iter().map(|c| c.id() as i32).collect()
    }
}

impl Drop for Sleepers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The fields of `/proc/<path>/stat` and `status`, read here without the
/// crate's parsers: (pid, comm, state, ppid, pgrp, session, tgid, tracer).
fn read_proc(path: &str) -> (i32, Vec<u8>, u8, i32, i32, i32, i32, i32) {
    let stat = fs::read(format!("/proc/{path}/stat")).unwrap();
    let open = stat.iter().position(|&b| b == b'(').unwrap();
    let close = stat.iter().rposition(|&b| b == b')').unwrap();
    let pid = String::from_utf8_lossy(&stat[..open])
        .trim()
        .parse()
        .unwrap();
    let comm = stat[open + 1..close].to_vec();
    let rest = String::from_utf8_lossy(&stat[close + 2..]).into_owned();
    let f: Vec<&str> = rest.split(' ').collect();
    let status = fs::read_to_string(format!("/proc/{path}/status")).unwrap();
    let field = |key: &str| -> i32 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    (
        pid,
        comm,
        f[0].as_bytes()[0],
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3].parse().unwrap(),
        field("Tgid:"),
        field("TracerPid:"),
    )
}

fn check_against_proc(task: &Task, path: &str, compare_state: bool) {
    let (pid, comm, state, ppid, pgrp, session, tgid, tracer) = read_proc(path);
    assert_eq!(task.pid, pid, "{path}");
    assert_eq!(task.comm_bytes(), comm.as_slice(), "{path}");
    if compare_state {
        assert_eq!(task.state.letter() as u8, state, "{path}");
    }
    assert_eq!(
        (task.ppid, task.pgid, task.sid, task.tgid, task.tpid),
        (ppid, pgrp, session, tgid, tracer),
        "{path}"
    );
}

fn all(client: &mut Client, strategy: DumpStrategy, pid: Option<i32>) -> Vec<Task> {
    client
        .dump(strategy, pid, ShowFlags::BASE)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// The id of the calling thread.
fn my_tid() -> i32 {
    let link = fs::read_link("/proc/thread-self").unwrap();
    link.file_name().unwrap().to_str().unwrap().parse().unwrap()
}

#[test]
fn host_dumps_match_proc() {
    let me = std::process::id() as i32;
    let sleepers = Sleepers::spawn(3);
    let mut client = Client::open(BackendChoice::Procfs).unwrap();
    assert_eq!(client.backend(), task_diag::Backend::Procfs);

    // ALL: pid order, and our process and its sleeps as /proc has them.
    let tasks = all(&mut client, DumpStrategy::All, None);
    assert!(tasks.windows(2).all(|w| w[0].pid < w[1].pid));
    assert!(tasks.iter().all(Task::is_group_leader));
    let mine = tasks.iter().find(|t| t.pid == me).expect("this process");
    check_against_proc(mine, "self", false);
    for pid in sleepers.pids() {
        let task = tasks.iter().find(|t| t.pid == pid).expect("a sleep");
        check_against_proc(task, &pid.to_string(), true);
        assert_eq!(task.ppid, me);
        assert_eq!(task.comm_str(), "sleep");
        assert_eq!(task.state, TaskState::Interruptible);
        assert_eq!((task.sid, task.pgid), (mine.sid, mine.pgid));
    }

    // CHILDREN of this process: the sleeps (and any child another test
    // started meanwhile).
    let children = all(&mut client, DumpStrategy::Children, Some(me));
    assert!(children.windows(2).all(|w| w[0].pid < w[1].pid));
    assert!(children.iter().all(|t| t.ppid == me));
    for pid in sleepers.pids() {
        assert!(children.iter().any(|t| t.pid == pid), "child {pid}");
    }
    // Children of a sleep: none.
    assert!(all(
        &mut client,
        DumpStrategy::Children,
        Some(sleepers.pids()[0])
    )
    .is_empty());

    // THREAD of this process, named by any of its threads.
    let tid = my_tid();
    let threads = all(&mut client, DumpStrategy::Thread, Some(tid));
    assert!(threads.windows(2).all(|w| w[0].pid < w[1].pid));
    assert!(threads.iter().all(|t| t.tgid == me));
    let this_thread = threads.iter().find(|t| t.pid == tid).expect("this thread");
    check_against_proc(this_thread, &format!("{me}/task/{tid}"), true);
    assert_eq!(this_thread.state, TaskState::Running);

    // ONE works for a thread id that /proc does not list.
    let one = all(&mut client, DumpStrategy::One, Some(tid));
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].pid, one[0].tgid), (tid, me));

    // ALL_THREAD: every thread, in pid order, ours among them.
    let every = all(&mut client, DumpStrategy::AllThread, None);
    assert!(every.windows(2).all(|w| w[0].pid < w[1].pid));
    assert!(every.iter().any(|t| t.pid == tid && t.tgid == me));
    assert!(every.len() >= tasks.len() / 2);

    // A pid that names no task.
    let missing = 0x7fff_fff0;
    for strategy in [
        DumpStrategy::One,
        DumpStrategy::Thread,
        DumpStrategy::Children,
    ] {
        match client.dump(strategy, Some(missing), ShowFlags::BASE) {
            Err(Error::NoSuchTask { op }) => assert_eq!(op.pid, Some(missing)),
            other => panic!("{strategy:?}: {other:?}"),
        }
    }
    // Groups procfs cannot report.
    assert!(matches!(
        client.dump(DumpStrategy::All, None, ShowFlags::BASE | ShowFlags::VMA),
        Err(Error::UnsupportedGroups { .. })
    ));
    drop(sleepers);
}

#[test]
fn host_groups_match_proc() {
    let mut client = Client::open(BackendChoice::Procfs).unwrap();
    let me = std::process::id() as i32;
    let all = ShowFlags::BASE
        | ShowFlags::CRED
        | ShowFlags::STAT
        | ShowFlags::STATM
        | ShowFlags::CMDLINE
        | ShowFlags::NAME;
    let task = client
        .dump(DumpStrategy::One, Some(me), all)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let creds = task.creds.unwrap();
    let uids: Vec<String> = [creds.uid, creds.euid, creds.suid, creds.fsuid]
        .iter()
        .map(u32::to_string)
        .collect();
    assert_eq!(uids, line("Uid:"));
    assert_eq!(format!("{:016x}", creds.cap_bset), line("CapBnd:")[0]);
    let stat = task.stat.unwrap();
    let threads: u32 = line("Threads:")[0].parse().unwrap();
    assert!(stat.threads >= 1 && stat.threads <= threads + 8);
    let text = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = text[text.rfind(')').unwrap() + 2..].split(' ').collect();
    assert_eq!(stat.start_time.to_string(), fields[19]);
    assert_eq!(stat.nice.to_string(), fields[16]);
    assert_eq!(stat.tty_nr.to_string(), fields[4]);
    let statm = task.statm.unwrap();
    assert!(statm.total_vm > 0 && statm.total_rss > 0 && statm.ptes > 0);
    assert_eq!(statm.total_rss, statm.anon + statm.file + statm.shmem);
    assert_eq!(
        task.cmdline.as_deref().unwrap(),
        std::fs::read("/proc/self/cmdline").unwrap()
    );
    assert_eq!(task.full_name(), &task.comm);
    assert!(task.name.is_some());

    // BASE alone: no other part is read.
    let base = client
        .dump(DumpStrategy::One, Some(me), ShowFlags::BASE)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert!(base.creds.is_none() && base.stat.is_none() && base.statm.is_none());
    assert!(base.cmdline.is_none() && base.name.is_none());

    // A kernel thread: no memory, an empty command line.
    let kthreadd = client
        .dump(DumpStrategy::One, Some(2), all)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(kthreadd.statm.unwrap(), task_diag::Statm::default());
    assert_eq!(kthreadd.cmdline.as_deref(), Some(&b""[..]));
}

#[test]
fn auto_falls_back_to_procfs_without_task_diag() {
    let tree = Tree::new("auto");
    tree.task("1", 1, "init", 'S', 0, 1);
    let options = task_diag::Options::new().proc_root(tree.root());
    let client = Client::open_with(BackendChoice::Auto, &options).unwrap();
    assert_eq!(client.backend(), task_diag::Backend::Procfs);
    match Client::open_with(BackendChoice::TaskDiag, &options) {
        Err(Error::Open { path, source }) => {
            assert_eq!(path, tree.root().join("task_diag"));
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
}

/// A procfs tree in a temporary directory, removed when dropped.
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("task-diag-procfs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        Self(root)
    }

    fn root(&self) -> &Path {
        &self.0
    }

    /// Writes the stat and status files of a task at `dir`.
    fn task(&self, dir: &str, pid: i32, comm: &str, state: char, ppid: i32, tgid: i32) {
        let dir = self.0.join(dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("stat"),
            format!("{pid} ({comm}) {state} {ppid} {tgid} {tgid} 0 -1 4194560 0 0\n"),
        )
        .unwrap();
        fs::write(
            dir.join("status"),
            format!("Name:\t{comm}\nTgid:\t{tgid}\nPid:\t{pid}\nPPid:\t{ppid}\nTracerPid:\t0\n"),
        )
        .unwrap();
    }

    fn procfs(&self) -> Procfs {
        Procfs::new(&self.0)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn pids(procfs: &Procfs, strategy: DumpStrategy, pid: Option<i32>) -> Vec<(i32, i32)> {
    procfs
        .dump(strategy, pid, ShowFlags::BASE)
        .unwrap()
        .map(|t| t.map(|t| (t.pid, t.tgid)).unwrap())
        .collect()
}

/// init (1), a process 20 with threads 20 and 21, its child 300, and a
/// process 4000 that ended after /proc was listed (its directory is
/// empty).
fn sample(name: &str) -> Tree {
    let tree = Tree::new(name);
    tree.task("1", 1, "init", 'S', 0, 1);
    tree.task("1/task/1", 1, "init", 'S', 0, 1);
    tree.task("20", 20, "a) b (c", 'S', 1, 20);
    tree.task("20/task/20", 20, "a) b (c", 'S', 1, 20);
    tree.task("20/task/21", 21, "worker", 'R', 1, 20);
    tree.task("300", 300, "child", 'Z', 20, 300);
    tree.task("300/task/300", 300, "child", 'Z', 20, 300);
    fs::create_dir_all(tree.root().join("4000")).unwrap();
    fs::create_dir_all(tree.root().join("self")).unwrap();
    fs::write(tree.root().join("uptime"), "1.0 1.0\n").unwrap();
    tree
}

#[test]
fn tree_strategies() {
    let tree = sample("strategies");
    let procfs = tree.procfs();
    assert_eq!(
        pids(&procfs, DumpStrategy::All, None),
        [(1, 1), (20, 20), (300, 300)]
    );
    assert_eq!(
        pids(&procfs, DumpStrategy::AllThread, None),
        [(1, 1), (20, 20), (21, 20), (300, 300)]
    );
    assert_eq!(
        pids(&procfs, DumpStrategy::Thread, Some(20)),
        [(20, 20), (21, 20)]
    );
    assert_eq!(pids(&procfs, DumpStrategy::One, Some(300)), [(300, 300)]);
    // No children files in this tree: the fallback scans every process.
    assert_eq!(
        pids(&procfs, DumpStrategy::Children, Some(20)),
        [(300, 300)]
    );
    assert_eq!(pids(&procfs, DumpStrategy::Children, Some(1)), [(20, 20)]);

    let task = procfs
        .dump(DumpStrategy::One, Some(20), ShowFlags::BASE)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(task.comm_str(), "a) b (c");
    let zombie = procfs.read_dir(&tree.root().join("300")).unwrap().unwrap();
    assert_eq!(zombie.state, TaskState::Zombie);
    assert_eq!(procfs.read_dir(&tree.root().join("4000")).unwrap(), None);
}

#[test]
fn tree_children_files() {
    let tree = sample("children");
    // With children files, they are the list; a thread's children count.
    fs::write(tree.root().join("1/task/1/children"), "20 ").unwrap();
    fs::write(tree.root().join("20/task/20/children"), "").unwrap();
    fs::write(tree.root().join("20/task/21/children"), "300 ").unwrap();
    let procfs = tree.procfs();
    assert_eq!(
        pids(&procfs, DumpStrategy::Children, Some(20)),
        [(300, 300)]
    );
    assert_eq!(pids(&procfs, DumpStrategy::Children, Some(1)), [(20, 20)]);
    // A child listed that has since gone is skipped.
    fs::write(tree.root().join("20/task/20/children"), "4000 ").unwrap();
    assert_eq!(
        pids(&procfs, DumpStrategy::Children, Some(20)),
        [(300, 300)]
    );
}

#[test]
fn tree_errors_name_the_file() {
    let tree = sample("errors");
    fs::create_dir_all(tree.root().join("55")).unwrap();
    fs::write(tree.root().join("55/stat"), "55 (broken S 1 55 55\n").unwrap();
    let procfs = tree.procfs();
    let results: Vec<_> = procfs
        .dump(DumpStrategy::All, None, ShowFlags::BASE)
        .unwrap()
        .collect();
    assert_eq!(results.len(), 4);
    match &results[2] {
        Err(err @ Error::ProcfsParse { path, .. }) => {
            assert_eq!(path, &tree.root().join("55/stat"));
            assert!(err.to_string().contains("55/stat"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    // The dump goes on after the error.
    assert_eq!(results[3].as_ref().unwrap().pid, 300);

    match Procfs::new(tree.root().join("missing")).dump(DumpStrategy::All, None, ShowFlags::BASE) {
        Err(Error::ProcfsRead { path, .. }) => assert_eq!(path, tree.root().join("missing")),
        other => panic!("{other:?}"),
    }
}
