// SPDX-License-Identifier: MIT OR Apache-2.0

//! `tdpmap` against procps-ng 4.0.2's `/usr/bin/pmap` on this host, byte
//! for byte, over processes the test starts.
//!
//! The processes are python3 scripts that map anonymous memory (private,
//! shared, named with `PR_SET_VMA_ANON_NAME` when the kernel has it), a
//! file privately at an offset, a file under a non-UTF-8 name, a deleted
//! file shared, and a System V shared memory segment, then wait.
//!
//! `-X` prints `Pss`, which depends on how many processes map each page at
//! the moment smaps is read: pmap and tdpmap map libc and more, which would
//! make the helpers' figures differ between the two readers. So the helpers
//! run on private copies of the dynamic loader, of python3, of every
//! library and extension module they map, that no other process on the
//! host maps; and with `LC_ALL=C`, without locale files.

#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

const PMAP: &str = "/usr/bin/pmap";
const TDPMAP: &str = env!("CARGO_BIN_EXE_tdpmap");

/// The helper: creates its mappings, says `ready`, waits for stdin to end.
const HELPER: &str = r#"
import ctypes, mmap, os, sys
d = sys.argv[1]
tag = sys.argv[2]
keep = []
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_char_p]
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmat.restype = ctypes.c_void_p
libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]

def addr(m):
    c = ctypes.c_char.from_buffer(m)
    keep.append(c)
    return ctypes.addressof(c)

anon = mmap.mmap(-1, 64 * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
anon[0:3 * 4096] = b"a" * (3 * 4096)
shared = mmap.mmap(-1, 16 * 4096, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
shared[0:4096] = b"s" * 4096
named = mmap.mmap(-1, 8 * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
named[0:4096] = b"n" * 4096
# PR_SET_VMA, PR_SET_VMA_ANON_NAME; fails quietly without CONFIG_ANON_VMA_NAME
named_ok = libc.prctl(0x53564d41, 0, addr(named), 8 * 4096, b"tdpmap-" + tag.encode()) == 0

def file_map(name, pages, offset_pages, flags, touch):
    path = os.path.join(d, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, bytes(range(256)) * 16 * (pages + offset_pages))
    m = mmap.mmap(fd, pages * 4096, flags=flags, offset=offset_pages * 4096)
    for i in range(touch):
        m[i * 4096]
    os.close(fd)
    keep.append(m)
    return path

file_map("kept file " + tag, 4, 1, mmap.MAP_PRIVATE, 2)
file_map(os.fsdecode(b"caf\xe9-" + tag.encode()), 2, 0, mmap.MAP_PRIVATE, 1)
gone = file_map("deleted-file-" + tag, 6, 0, mmap.MAP_SHARED, 3)
keep[-1][0:4096] = b"d" * 4096
os.unlink(gone)

shmid = libc.shmget(0, 5 * 4096, 0o1600)
if shmid >= 0:
    p = libc.shmat(shmid, None, 0)
    if p not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(p, 1, 4096)
    libc.shmctl(shmid, 0, None)

print("ready", int(named_ok), flush=True)
sys.stdin.read()
"#;

/// Private copies of everything the helpers map, made once.
struct Runtime {
    dir: PathBuf,
    loader: PathBuf,
    python: PathBuf,
    home: String,
}

fn shared_objects(file: &str, into: &mut BTreeSet<String>) {
    let out = Command::new("ldd").arg(file).output().expect("ldd");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            into.insert(path.to_owned());
        }
    }
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let probe = Command::new("python3")
            .args([
                "-c",
                "import sys, ctypes, mmap, os\n\
                 print(sys.executable); print(sys.prefix)\n\
                 [print(m.__file__) for m in list(sys.modules.values())\n\
                  if (getattr(m, '__file__', None) or '').endswith('.so')]",
            ])
            .output()
            .expect("python3 is needed by these tests");
        assert!(probe.status.success(), "python3 with ctypes and mmap");
        let probe = String::from_utf8(probe.stdout).unwrap();
        let lines: Vec<&str> = probe.lines().collect();
        let (exe, home, modules) = (
            fs::canonicalize(lines[0]).unwrap(),
            lines[1].to_owned(),
            &lines[2..],
        );
        let dir = std::env::temp_dir().join(format!("tdpmap-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (libs, mods) = (dir.join("lib"), dir.join("modules"));
        fs::create_dir_all(&libs).unwrap();
        fs::create_dir_all(&mods).unwrap();
        let mut objects = BTreeSet::new();
        shared_objects(exe.to_str().unwrap(), &mut objects);
        for module in modules.iter().filter(|m| !m.is_empty()) {
            shared_objects(module, &mut objects);
            let name = Path::new(module).file_name().unwrap();
            fs::copy(module, mods.join(name)).unwrap();
        }
        let mut loader = None;
        for object in &objects {
            let name = Path::new(object)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            fs::copy(object, libs.join(&name)).unwrap();
            if name.starts_with("ld-linux") {
                loader = Some(libs.join(&name));
            }
        }
        let python = dir.join("python3");
        fs::copy(&exe, &python).unwrap();
        Runtime {
            loader: loader.expect("a dynamic loader"),
            python,
            home,
            dir,
        }
    })
}

/// Held by each test that starts helpers: helpers of two tests at once
/// would map the same private copies, and each one's start and end would
/// move the other's `Pss` between the two readings.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A helper process, ended when dropped.
struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Whether `PR_SET_VMA_ANON_NAME` named its mapping
    /// (`CONFIG_ANON_VMA_NAME`).
    named: bool,
}

impl Helper {
    fn start(tag: &str) -> Helper {
        let rt = runtime();
        let work = rt.dir.join(format!("work-{tag}"));
        fs::create_dir_all(&work).unwrap();
        let mut child = Command::new(&rt.loader)
            .arg("--library-path")
            .arg(rt.dir.join("lib"))
            .arg(&rt.python)
            .args(["-S", "-c", HELPER])
            .arg(&work)
            .arg(tag)
            .env_clear()
            .env("LC_ALL", "C")
            .env("PYTHONCOERCECLOCALE", "0")
            .env("PYTHONHOME", &rt.home)
            .env("PYTHONPATH", rt.dir.join("modules"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the helper");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let named = match line.as_str() {
            "ready 1\n" => true,
            "ready 0\n" => false,
            _ => panic!("the helper did not start: {line:?}"),
        };
        let stdin = child.stdin.take();
        Helper {
            child,
            stdin,
            named,
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn run(program: &str, args: &[String]) -> Output {
    Command::new(program).args(args).output().expect(program)
}

/// Runs pmap and tdpmap with `args`; asserts the same stdout, byte for
/// byte, and the same status; returns pmap's stdout.
fn same(args: &[String]) -> String {
    let theirs = run(PMAP, args);
    let ours = run(TDPMAP, args);
    let (t, o) = (
        String::from_utf8_lossy(&theirs.stdout),
        String::from_utf8_lossy(&ours.stdout),
    );
    if theirs.stdout != ours.stdout {
        let diff: Vec<String> = t
            .lines()
            .zip(o.lines())
            .filter(|(a, b)| a != b)
            .take(5)
            .map(|(a, b)| format!("pmap:   {a:?}\ntdpmap: {b:?}"))
            .collect();
        panic!(
            "pmap {args:?} differs ({} and {} lines):\n{}",
            t.lines().count(),
            o.lines().count(),
            diff.join("\n")
        );
    }
    assert_eq!(
        theirs.status.code(),
        ours.status.code(),
        "status of {args:?}"
    );
    t.into_owned()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// What every listing of a helper must show, so that the comparison is
/// over the mappings the test means.
fn check_names(out: &str, h: &Helper, tag: &str, x_format: bool) {
    for name in [
        format!("kept file {tag}"),
        format!("caf?-{tag}"),
        format!("deleted-file-{tag} (deleted)"),
    ] {
        let name = if x_format {
            name.replace("caf?", "caf\u{fffd}")
        } else {
            name
        };
        assert!(out.contains(&name), "{name:?} missing from:\n{out}");
    }
    if !x_format {
        assert!(out.contains("  [ stack ]"), "{out}");
        assert!(out.contains("  [ anon ]"), "{out}");
        assert!(out.contains("  [ shmid=0x"), "{out}");
        assert!(out.contains("zero (deleted)"), "{out}");
    } else {
        assert!(out.contains(" [stack]\n"), "{out}");
        assert!(out.contains(" SYSV00000000 (deleted)\n"), "{out}");
        assert_eq!(
            out.contains(&format!(" [anon:tdpmap-{tag}]\n")),
            h.named,
            "{out}"
        );
    }
}

#[test]
fn default_listing() {
    let _serial = serial();
    let h = Helper::start("d");
    let out = same(&[h.pid()]);
    check_names(&out, &h, "d", false);
    assert!(out.starts_with(&format!("{}:   ", h.pid())));
    assert!(out.lines().last().unwrap().starts_with(" total "));
}

#[test]
fn extended_listing() {
    let _serial = serial();
    let h = Helper::start("x");
    let out = same(&args(&["-x", &h.pid()]));
    check_names(&out, &h, "x", false);
    assert!(out.contains("Address           Kbytes     RSS   Dirty Mode  Mapping\n"));
    assert!(out.contains("\ntotal kB "));
    let out = same(&args(&["--extended", &h.pid()]));
    assert!(out.contains("Kbytes"));
}

#[test]
fn smaps_listing() {
    let _serial = serial();
    let h = Helper::start("s");
    let out = same(&args(&["-X", &h.pid()]));
    check_names(&out, &h, "s", true);
    assert!(out.contains(" Pss "));
    assert!(!out.contains("Shared_Clean"));
    let all = same(&args(&["-XX", &h.pid()]));
    check_names(&all, &h, "s", true);
    assert!(all.contains(" Shared_Clean ") && all.contains(" VmFlags "));
}

#[test]
fn several_pids() {
    let _serial = serial();
    let (a, b) = (Helper::start("a"), Helper::start("b"));
    let missing = "2147483647".to_owned();
    // kthreadd (2) has no mappings; a pid that names no process makes the
    // status 42; repeats are listed again.
    let list = [a.pid(), b.pid(), "2".to_owned(), missing, a.pid()];
    for flag in [None, Some("-x"), Some("-X"), Some("-XX")] {
        let mut argv: Vec<String> = flag.iter().map(|f| f.to_string()).collect();
        argv.extend(list.iter().cloned());
        let out = same(&argv);
        assert_eq!(out.matches(&format!("{}:   ", a.pid())).count(), 2);
        assert!(out.contains("\n2:   [kthreadd]\n"));
        check_names(&out, &b, "b", flag.is_some_and(|f| f.starts_with("-X")));
    }
    let status = run(TDPMAP, &list).status.code();
    assert_eq!(status, Some(42));
}

#[test]
fn procfs_backend() {
    let _serial = serial();
    let h = Helper::start("p");
    let pid = h.pid();
    for flag in ["-x", "-X"] {
        let theirs = run(PMAP, &args(&[flag, &pid]));
        let ours = run(TDPMAP, &args(&["--backend", "procfs", flag, &pid]));
        assert_eq!(
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&ours.stdout),
            "{flag}"
        );
    }
}

#[test]
fn task_diag_backend_errors() {
    let me = std::process::id().to_string();
    // -X needs smaps: task_diag cannot give it.
    for flag in ["-X", "-XX"] {
        let out = run(TDPMAP, &args(&["--backend", "task-diag", flag, &me]));
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            "tdpmap: --backend task-diag lists pmap and pmap -x only: -X and -XX \
             print smaps fields that task_diag does not carry\n"
        );
    }
    // Without /proc/task_diag, task-diag fails and auto reads procfs; the
    // VM runs these against the kernel that has it (selftests/vm/run.sh).
    if std::path::Path::new("/proc/task_diag").exists() {
        eprintln!("/proc/task_diag exists: its absence is not tested here");
        return;
    }
    let out = run(TDPMAP, &args(&["--backend", "task-diag", &me]));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("tdpmap: cannot open /proc/task_diag: ") && err.lines().count() == 1,
        "{err:?}"
    );
    let auto = run(TDPMAP, &args(&["--backend", "auto", &me]));
    assert_eq!(auto.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&auto.stdout).starts_with(&format!("{me}:   ")));
}

#[test]
fn unsupported_options() {
    for bad in [
        &["-d", "1"][..],
        &["-q", "1"],
        &["--range=1", "1"],
        &["-x", "-X", "1"],
        &["--backend", "kernel", "1"],
        &["1", "--backend"],
        &["x1"],
        &[],
    ] {
        let out = run(TDPMAP, &args(bad));
        assert_eq!(out.status.code(), Some(1), "{bad:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("tdpmap: ") && err.lines().count() == 1,
            "{err:?}"
        );
    }
}
