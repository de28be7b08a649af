// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask vm`: boot the built kernel under virtme-ng and run a command.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::build::{self, Built, Flavour};
use crate::{paths, run};

/// Exit status of `cargo xtask vm` when the VM itself failed (did not boot,
/// timed out), as opposed to the guest command failing.
pub const VM_FAILED: i32 = 125;

/// How the guest is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmOptions {
    /// Guest vCPUs.
    pub cpus: u32,
    /// Guest memory (`-m`).
    pub memory: String,
    /// Whether KVM actually works here.
    pub kvm: bool,
    /// Longest the guest may run before it is killed.
    pub timeout: Duration,
}

/// What came out of a guest run.
pub struct VmOutcome {
    /// CMD's exit status in the guest.
    pub status: i32,
    /// The guest command's stdout (also forwarded when `echo` was asked).
    pub stdout: String,
    /// Kernel log lines that report a bug (Oops, BUG, WARNING, KASAN, ...).
    pub splats: Vec<String>,
}

/// Whether hardware virtualisation really works: /dev/kvm alone is not
/// enough (a nested, emulated /dev/kvm opens but then hangs or dies), the
/// host CPU must also advertise VMX or SVM.
pub fn kvm_usable() -> bool {
    let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpu_has_virt(&flags)
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok()
}

fn cpu_has_virt(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"))
}

/// The vng command line.
pub fn vng_command(bzimage: &Path, opts: &VmOptions, rwdir: &Path, exec: &str) -> Command {
    let mut cmd = Command::new(paths::venv_dir().join("bin/vng"));
    cmd.arg("--run")
        .arg(bzimage)
        .arg("--force-9p")
        .args(["--cpus", &opts.cpus.to_string()])
        .args(["--memory", &opts.memory])
        .arg(format!("--rwdir={}", rwdir.display()));
    // QEMU's emulated CPU offers 5-level paging; with it, a KASAN kernel
    // reports a wild access in an early-boot interrupt, before any of our
    // code runs. 4-level paging, as on most machines, boots clean.
    cmd.args(["--append", "no5lvl"]);
    cmd.args(["--append", ROOT_FLAGS]);
    if !opts.kvm {
        cmd.arg("--disable-kvm");
        if opts.cpus > 1 {
            // Multi-threaded TCG panics now and then in text poking.
            cmd.arg("--qemu-opts=-accel tcg,thread=single");
        }
    }
    cmd.args(["--exec", exec]);
    cmd.env("PATH", paths::tool_path());
    cmd
}

/// The guest's root mount options: virtme-ng's own (`rootflags=` in its
/// `run.py`), with `cache=loose`. virtme-ng mounts the host's root without a
/// cache, so every exec read the program and its libraries from the host
/// again, a 9p round trip a page fault: in the debug guest under TCG, tdps
/// took 2.4 to 3.1 s to start and 0.6 to 0.7 s with the cache, ps 2.7 to 3.6
/// s and 1.5 to 2.0 s. The guest's root is read-only and a run changes
/// nothing of the host's that the guest reads, so the cache is safe; a file
/// edited on the host while a guest runs may be seen as it was. The kernel
/// takes the last `rootflags=` of its command line.
const ROOT_FLAGS: &str =
    "rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose";

/// The host programs that the guest's init runs before the command and that
/// [`isolated`] replaces with the stub: udev (`systemd-udevd` is a link to
/// `udevadm`) and `systemd-tmpfiles`.
const STUBBED: &[&str] = &["udevadm", "systemd-tmpfiles"];

/// The shell that binds the stub (`$1`) over each of [`STUBBED`] found on the
/// host, then runs the rest of its arguments.
const ISOLATE_SH: &str = r#"stub=$1
shift
for tool in udevadm systemd-tmpfiles; do
	path=$(command -v "$tool") || continue
	mount --bind "$stub" "$(readlink -f "$path")" || exit 125
done
exec "$@"
"#;

/// `vng` run in a private mount namespace where the host's udev and
/// `systemd-tmpfiles` are `stub`: QEMU's 9p export of the host's root is the
/// guest's root, so the guest's init runs the stub in their place, and the
/// host itself is unchanged.
///
/// Under the debug kernel in TCG the real udev took four minutes to replay
/// the boot's events, then hit `udevadm settle`'s five-minute timeout, and
/// `systemd-tmpfiles` took a minute and a half: the guest needs neither,
/// only the `/dev/virtio-ports` links that the stub makes.
pub fn isolated(vng: Command, stub: &Path) -> Command {
    debug_assert!(STUBBED.iter().all(|t| ISOLATE_SH.contains(t)));
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(ISOLATE_SH)
        .arg("sh")
        .arg(stub)
        .arg(vng.get_program())
        .args(vng.get_args());
    for (k, v) in vng.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// Builds `selftests/vm/guest_stub.c`, statically linked, into the cache
/// (again when the source is newer); returns the program.
pub fn guest_stub() -> Result<PathBuf> {
    let src = paths::repo_root().join("selftests/vm/guest_stub.c");
    let out = paths::cache_dir().join("guest_stub");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&out).is_some() && modified(&out) >= modified(&src) {
        return Ok(out);
    }
    run::output(
        Command::new("cc")
            .args(["-O2", "-Wall", "-Werror", "-static", "-o"])
            .arg(&out)
            .arg(&src),
    )
    .with_context(|| format!("cannot build {}", src.display()))?;
    Ok(out)
}

/// The guest-side wrapper: runs CMD, then saves its status and the kernel
/// log (after a kmemleak scan where kmemleak exists) into `dir`.
pub fn wrapper_script(dir: &Path) -> String {
    let d = shlex::try_quote(&dir.to_string_lossy())
        .map(|c| c.into_owned())
        .unwrap_or_default();
    format!(
        r#"#!/bin/sh
"$@"
rc=$?
if [ -e /sys/kernel/debug/kmemleak ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null; then
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan > /sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak > {d}/kmemleak
	fi
fi
dmesg > {d}/dmesg 2>&1
echo "$rc" > {d}/rc
exit "$rc"
"#
    )
}

/// Kernel log lines that report a kernel bug.
pub fn find_splats(dmesg: &str) -> Vec<String> {
    const PATTERNS: &[&str] = &[
        "Oops",
        "BUG:",
        "WARNING:",
        "KASAN:",
        "UBSAN:",
        "Kernel panic",
        "general protection fault",
        "possible circular locking",
        "possible recursive locking",
        "inconsistent lock state",
        "suspicious RCU usage",
        "kmemleak:",
        "rust_panic",
        "panicked at",
    ];
    dmesg
        .lines()
        .filter(|l| PATTERNS.iter().any(|p| l.contains(p)))
        // kmemleak's own start-up line is not a report.
        .filter(|l| !l.contains("Kernel memory leak detector initialized"))
        .filter(|l| !l.contains("Automatic memory scanning thread"))
        .map(str::to_owned)
        .collect()
}

/// `cargo xtask vm`.
pub fn command(flavour: Flavour, cpus: u32, memory: &str, cmd: &[String]) -> Result<i32> {
    let built = build::kernel(flavour)?;
    let opts = options(cpus, memory);
    let out = match boot(&built, &opts, cmd, true) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            return Ok(VM_FAILED);
        }
    };
    if !out.splats.is_empty() {
        eprintln!("xtask: the guest kernel reported bugs:");
        for l in &out.splats {
            eprintln!("  {l}");
        }
        return Ok(if out.status == 0 { 1 } else { out.status });
    }
    Ok(out.status)
}

/// Options for this host: KVM where it works, else TCG (said once).
pub fn options(cpus: u32, memory: &str) -> VmOptions {
    static SAID: AtomicBool = AtomicBool::new(false);
    let kvm = kvm_usable();
    if !kvm && !SAID.swap(true, Ordering::Relaxed) {
        eprintln!("xtask: no usable KVM here (no vmx/svm CPU flag or /dev/kvm): using TCG");
    }
    VmOptions {
        cpus,
        memory: memory.to_owned(),
        kvm,
        timeout: Duration::from_secs(3600),
    }
}

/// Boots `built` and runs `cmd` in the guest, in the current directory.
/// With `echo`, the guest's stdout is forwarded as it comes.
pub fn boot(built: &Built, opts: &VmOptions, cmd: &[String], echo: bool) -> Result<VmOutcome> {
    let base = paths::cache_dir().join("vm");
    std::fs::create_dir_all(&base)?;
    let dir = tempdir(&base)?;
    let script = dir.join("run.sh");
    std::fs::write(&script, wrapper_script(&dir))?;
    let mut words = vec!["sh".to_owned(), script.to_string_lossy().into_owned()];
    words.extend(cmd.iter().cloned());
    let exec = shlex::try_join(words.iter().map(String::as_str))?;
    let stub = guest_stub()?;
    let mut vng = isolated(vng_command(&built.bzimage, opts, &dir, &exec), &stub);
    // QEMU reopens its stdout and stderr: keep them two separate pipes.
    vng.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = vng
        .spawn()
        .with_context(|| format!("cannot start `{}`", run::display(&vng)))?;
    let mut so = child.stdout.take().context("no stdout")?;
    let mut se = child.stderr.take().context("no stderr")?;
    let out_thread = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = so.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            if echo {
                let mut o = std::io::stdout();
                let _ = o.write_all(&buf[..n]);
                let _ = o.flush();
            }
        }
        all
    });
    let err_thread = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = se.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            let _ = std::io::stderr().write_all(&buf[..n]);
        }
        all
    });
    let start = Instant::now();
    let mut timed_out = false;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > opts.timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    let rc = std::fs::read_to_string(dir.join("rc")).ok();
    let dmesg = std::fs::read_to_string(dir.join("dmesg")).unwrap_or_default();
    let kmemleak = std::fs::read_to_string(dir.join("kmemleak")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    if timed_out {
        bail!(
            "the guest ran longer than {}s and was killed",
            opts.timeout.as_secs()
        );
    }
    let Some(rc) = rc.and_then(|s| s.trim().parse::<i32>().ok()) else {
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        bail!(
            "the VM did not run the command (it did not boot, or vng failed); vng said:\n{}\n\
             Try `cargo xtask setup`, and `vng --verbose` by hand to see the console.",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    };
    let mut splats = find_splats(&dmesg);
    if kmemleak.contains("unreferenced object") {
        splats.push(format!(
            "kmemleak: {} unreferenced objects",
            kmemleak.matches("unreferenced object").count()
        ));
    }
    Ok(VmOutcome {
        status: rc,
        stdout,
        splats,
    })
}

fn tempdir(base: &Path) -> Result<PathBuf> {
    for i in 0..1000 {
        let d = base.join(format!("run-{}-{i}", std::process::id()));
        if std::fs::create_dir(&d).is_ok() {
            return Ok(d);
        }
    }
    bail!("cannot create a directory under {}", base.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_virtualisation_flags() {
        assert!(cpu_has_virt("processor : 0\nflags\t\t: fpu vme vmx sse\n"));
        assert!(cpu_has_virt("flags\t\t: fpu svm\n"));
        assert!(!cpu_has_virt("flags\t\t: fpu vme hypervisor\n"));
        assert!(!cpu_has_virt("model name : vmx\n"));
    }

    #[test]
    fn tcg_command_line() {
        let opts = VmOptions {
            cpus: 2,
            memory: "4G".into(),
            kvm: false,
            timeout: Duration::from_secs(1),
        };
        let c = vng_command(Path::new("/k/bzImage"), &opts, Path::new("/d"), "true");
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        let s = args.join(" ");
        assert!(s.starts_with(
            "--run /k/bzImage --force-9p --cpus 2 --memory 4G --rwdir=/d --append no5lvl \
             --append rootflags="
        ));
        let root_flags = args.iter().find(|a| a.starts_with("rootflags=")).unwrap();
        assert!(root_flags.split(',').any(|o| o == "cache=loose"));
        assert!(root_flags.contains("trans=virtio"));
        assert!(args.contains(&"--disable-kvm".to_owned()));
        assert!(args.contains(&"--qemu-opts=-accel tcg,thread=single".to_owned()));
        assert!(s.ends_with("--exec true"));
        let kvm = VmOptions {
            kvm: true,
            cpus: 1,
            ..opts
        };
        let c = vng_command(Path::new("/k"), &kvm, Path::new("/d"), "true");
        assert!(!c
            .get_args()
            .any(|a| a == "--disable-kvm" || a.to_string_lossy().contains("tcg")));
    }

    #[test]
    fn vng_runs_with_the_guest_stubs_bound() {
        let mut vng = Command::new("/v/vng");
        vng.args(["--run", "/k"]).env("PATH", "/p");
        let c = isolated(vng, Path::new("/c/stub"));
        assert_eq!(c.get_program(), "unshare");
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(
            &args[..6],
            ["--mount", "--propagation", "private", "--", "sh", "-c"]
        );
        assert!(args[6].contains("mount --bind \"$stub\""));
        assert!(args[6].ends_with("exec \"$@\"\n"));
        assert_eq!(&args[7..], ["sh", "/c/stub", "/v/vng", "--run", "/k"]);
        assert!(c
            .get_envs()
            .any(|(k, v)| k == "PATH" && v == Some("/p".as_ref())));
    }

    #[test]
    fn finds_kernel_bug_reports() {
        let log = "[0.1] Linux version 6.12\n\
                   [0.2] kmemleak: Kernel memory leak detector initialized (mem pool free: 1)\n\
                   [1.0] ------------[ cut here ]------------\n\
                   [1.0] WARNING: CPU: 0 PID: 1 at fs/proc/x.c:1\n\
                   [2.0] BUG: KASAN: slab-use-after-free in f\n\
                   [3.0] ok line\n";
        let s = find_splats(log);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].contains("WARNING:") && s[1].contains("KASAN"));
        assert!(find_splats("[0.1] all good\n").is_empty());
    }

    #[test]
    fn wrapper_saves_status_and_log() {
        let w = wrapper_script(Path::new("/c/vm/run 1"));
        assert!(w.contains("echo \"$rc\" > '/c/vm/run 1'/rc"), "{w}");
        assert!(w.contains("dmesg > '/c/vm/run 1'/dmesg"));
        assert!(w.starts_with("#!/bin/sh\n\"$@\"\n"));
    }
}
