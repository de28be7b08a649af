// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask kernel`: configure and build the patched tree.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::pin::Pin;
use crate::{paths, run, setup, tree};

/// A kernel configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Flavour {
    /// virtme-ng's minimal config with Rust and task_diag: for benchmarks.
    Plain,
    /// Plain plus KASAN, lockdep, atomic-sleep checks and kmemleak: for tests.
    Debug,
}

impl Flavour {
    /// Lowercase name, used in paths.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Plain => "plain",
            Flavour::Debug => "debug",
        }
    }

    /// The config fragments, relative to the repository root, in order.
    pub fn fragments(self) -> &'static [&'static str] {
        match self {
            Flavour::Plain => &["ci/kconfig/base.config"],
            Flavour::Debug => &["ci/kconfig/base.config", "ci/kconfig/debug.config"],
        }
    }
}

/// The cache key of a working tree: what its content depends on besides the
/// series (which is synced in place, so that edits rebuild incrementally).
pub fn cache_key(pin: &Pin, flavour: Flavour) -> String {
    format!(
        "{}-{}-{}",
        pin.dir_version(),
        &pin.tarball_sha256[..8],
        flavour.name()
    )
}

/// The make command line for the tree.
pub fn make_command(tree: &Path, targets: &[&str]) -> Command {
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(tree)
        .arg("LLVM=1")
        .arg(format!("-j{}", jobs()))
        .args(targets)
        .env("PATH", paths::tool_path());
    cmd
}

fn jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// A built kernel.
pub struct Built {
    /// The last good `bzImage`, copied out of the tree.
    pub bzimage: PathBuf,
    /// `uname -r` of that kernel.
    pub release: String,
    /// `uname -v` of that kernel.
    pub version: String,
}

/// Where the last good build of `key` is kept.
pub fn good_dir(key: &str) -> PathBuf {
    tree::work_dir(key).join("good")
}

/// Sets up, applies the series, configures and builds `flavour`.
pub fn kernel(flavour: Flavour) -> Result<Built> {
    setup::ensure()?;
    let pin = Pin::load()?;
    let key = cache_key(&pin, flavour);
    let dir = tree::work_dir(&key);
    std::fs::create_dir_all(&dir)?;
    let lock = std::fs::File::create(dir.join("lock"))?;
    if lock.try_lock().is_err() {
        eprintln!("xtask: another build of {key} is running; waiting for it");
        lock.lock()?;
    }
    let changed = tree::apply_series(&pin, &key)?;
    let tree = tree::working(&pin, &key)?;
    eprintln!(
        "xtask: series applied to {} ({changed} files changed)",
        tree.display()
    );
    configure(&tree, flavour)?;
    make(&tree, &dir.join("build.log"))?;

    let good = good_dir(&key);
    std::fs::create_dir_all(&good)?;
    let tmp = good.join("bzImage.tmp");
    std::fs::copy(tree.join("arch/x86/boot/bzImage"), &tmp)?;
    std::fs::rename(&tmp, good.join("bzImage"))?;
    let release = define(&tree.join("include/generated/utsrelease.h"), "UTS_RELEASE")?;
    let version = define(&tree.join("include/generated/utsversion.h"), "UTS_VERSION")?;
    std::fs::write(good.join("release"), format!("{release}\n{version}\n"))?;
    eprintln!(
        "xtask: built {release} ({version}): {}",
        good.join("bzImage").display()
    );
    Ok(Built {
        bzimage: good.join("bzImage"),
        release,
        version,
    })
}

/// Reads `#define NAME "value"` from a generated header.
fn define(path: &Path, name: &str) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_define(&text, name).with_context(|| format!("{name} not in {}", path.display()))
}

fn parse_define(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix("#define ")?.strip_prefix(name)?;
        let v = rest.trim().strip_prefix('"')?.strip_suffix('"')?;
        Some(v.to_owned())
    })
}

/// Writes `.config`: virtme-ng's minimal config when the inputs changed, then
/// the fragments, then `olddefconfig`. `.config` is replaced only when its
/// content changes. Fails when a fragment's option did not stick.
fn configure(tree: &Path, flavour: Flavour) -> Result<()> {
    let root = paths::repo_root();
    let mut fragments = Vec::new();
    for f in flavour.fragments() {
        let path = root.join(f);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        fragments.push((path, text));
    }
    let stamp_path = tree.join(".xtask-config-stamp");
    let vng_version =
        run::stdout(Command::new(paths::venv_dir().join("bin/vng")).arg("--version"))?;
    let stamp = run::sha256_hex(
        format!(
            "{vng_version}\n{}",
            fragments.iter().map(|f| f.1.as_str()).collect::<String>()
        )
        .as_bytes(),
    );
    let config = tree.join(".config");
    let mut fresh = tree.join(".config.xtask");
    if !config.exists() || std::fs::read_to_string(&stamp_path).ok().as_deref() != Some(&stamp) {
        eprintln!("xtask: generating virtme-ng's minimal config");
        let keep = config
            .exists()
            .then(|| std::fs::read(&config))
            .transpose()?;
        run::output(
            Command::new(paths::venv_dir().join("bin/vng"))
                .args(["--kconfig", "LLVM=1"])
                .current_dir(tree)
                .env("PATH", paths::tool_path()),
        )?;
        std::fs::rename(&config, &fresh)?;
        if let Some(old) = keep {
            std::fs::write(&config, old)?;
        }
    } else {
        std::fs::copy(&config, &fresh)?;
    }
    let mut merge = Command::new(tree.join("scripts/kconfig/merge_config.sh"));
    merge.arg("-m").arg(&fresh);
    merge.args(fragments.iter().map(|f| &f.0));
    merge
        .current_dir(tree)
        .env("KCONFIG_CONFIG", ".config.xtask");
    run::output(&mut merge)?;
    run::output(make_command(tree, &["olddefconfig"]).env("KCONFIG_CONFIG", ".config.xtask"))?;
    let result = std::fs::read_to_string(&fresh)?;
    for (path, text) in &fragments {
        for want in wanted_options(text) {
            if !result.lines().any(|l| l == want) {
                bail!(
                    "`{want}` from {} is not in the resulting config (a missing dependency, or \
                     the series does not define it)",
                    path.display()
                );
            }
        }
    }
    if std::fs::read_to_string(&config).ok().as_deref() != Some(result.as_str()) {
        std::fs::rename(&fresh, &config)?;
        fresh = PathBuf::new();
    }
    if !fresh.as_os_str().is_empty() {
        std::fs::remove_file(&fresh)?;
    }
    std::fs::write(&stamp_path, stamp)?;
    Ok(())
}

/// The `CONFIG_X=y` / `# CONFIG_X is not set` lines a fragment asks for.
fn wanted_options(fragment: &str) -> Vec<&str> {
    fragment
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("CONFIG_") || (l.starts_with("# CONFIG_") && l.ends_with(" is not set"))
        })
        .collect()
}

/// The step a kbuild output line reports (`CC fs/proc/base.o`), if any.
pub fn step_of(line: &str) -> Option<String> {
    let t = line.trim_start();
    if !line.starts_with("  ") {
        return None;
    }
    let mut words = t.split_whitespace();
    let verb = words.next()?;
    let obj = words.next()?;
    if verb.len() > 12
        || !verb
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '-' || c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    Some(format!("{verb} {obj}"))
}

/// Lines of a build log that report errors, first ones first, each with the
/// `--> file:line` that follows a Rust error.
pub fn first_errors(log: &str, max: usize) -> Vec<&str> {
    let lines: Vec<&str> = log.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if out.len() >= max {
            break;
        }
        let is_error = l.contains("error:")
            || l.contains("error[")
            || l.contains("*** [")
            || l.contains("Error ")
            || l.contains("undefined reference")
            || l.contains("undefined symbol");
        if is_error {
            out.push(*l);
            if let Some(next) = lines
                .get(i + 1)
                .filter(|n| n.trim_start().starts_with("--> "))
            {
                out.push(next);
            }
        }
    }
    out
}

fn make(tree: &Path, log_path: &Path) -> Result<()> {
    let start = Instant::now();
    let (reader, writer) = std::io::pipe()?;
    let mut cmd = make_command(tree, &["bzImage"]);
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start `{}`", run::display(&cmd)))?;
    drop(cmd);
    let mut log = std::fs::File::create(log_path)?;
    let tty = std::io::stderr().is_terminal();
    let mut last_print = Instant::now();
    let mut steps = 0usize;
    let mut err = std::io::stderr();
    eprintln!("xtask: building bzImage (log: {})", log_path.display());
    for line in BufReader::new(reader).lines() {
        let line = line?;
        writeln!(log, "{line}")?;
        if let Some(step) = step_of(&line) {
            steps += 1;
            let el = start.elapsed().as_secs();
            let status = format!(
                "[build {:02}:{:02}] {steps} steps, {step}",
                el / 60,
                el % 60
            );
            if tty {
                let status: String = status.chars().take(100).collect();
                let _ = write!(err, "\r\x1b[K{status}");
                let _ = err.flush();
            } else if last_print.elapsed() >= Duration::from_secs(30) {
                let _ = writeln!(err, "xtask: {status}");
                last_print = Instant::now();
            }
        }
    }
    let st = child.wait()?;
    if tty {
        let _ = write!(err, "\r\x1b[K");
    }
    let el = start.elapsed().as_secs();
    if !st.success() {
        let text = std::fs::read_to_string(log_path).unwrap_or_default();
        let errors = first_errors(&text, 15);
        bail!(
            "kernel build failed after {}:{:02} ({st}). First errors:\n{}\nFull log: {}\n\
             The last good kernel, if any, is still in {}.",
            el / 60,
            el % 60,
            errors.join("\n"),
            log_path.display(),
            log_path
                .parent()
                .map(|p| p.join("good").display().to_string())
                .unwrap_or_default()
        );
    }
    eprintln!(
        "xtask: bzImage built in {}:{:02} ({steps} steps)",
        el / 60,
        el % 60
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> Pin {
        Pin::parse(
            "package = \"linux-source-6.12\"\nversion = \"6.12.117-1~deb12u1\"\n\
             tarball_sha256 = \"585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f\"\n",
        )
        .unwrap()
    }

    #[test]
    fn cache_keys_separate_inputs() {
        let p = pin();
        assert_eq!(
            cache_key(&p, Flavour::Plain),
            "6.12.117-1_deb12u1-585a4a07-plain"
        );
        assert_ne!(cache_key(&p, Flavour::Plain), cache_key(&p, Flavour::Debug));
        let mut q = p.clone();
        q.tarball_sha256 = "f".repeat(64);
        assert_ne!(cache_key(&p, Flavour::Plain), cache_key(&q, Flavour::Plain));
    }

    #[test]
    fn make_uses_llvm_and_the_tree() {
        let c = make_command(Path::new("/t"), &["bzImage"]);
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(args[..3], ["-C", "/t", "LLVM=1"]);
        assert!(args[3].starts_with("-j"));
        assert_eq!(args[4], "bzImage");
    }

    #[test]
    fn parses_kbuild_steps_and_errors() {
        assert_eq!(
            step_of("  CC      fs/proc/base.o").as_deref(),
            Some("CC fs/proc/base.o")
        );
        assert_eq!(
            step_of("  RUSTC L rust/kernel.o").as_deref(),
            Some("RUSTC L")
        );
        assert_eq!(step_of("make[2]: Entering directory"), None);
        assert_eq!(step_of("  hello world"), None);
        let log = "  CC a.o\nerror[E0425]: cannot find value\nfoo\nmake[1]: *** [x] Error 1\n";
        assert_eq!(first_errors(log, 1), ["error[E0425]: cannot find value"]);
        assert_eq!(first_errors(log, 5).len(), 2);
        let rust = "error[E0310]: bad\n   --> rust/kernel/x.rs:1:2\n    |\n";
        assert_eq!(
            first_errors(rust, 5),
            ["error[E0310]: bad", "   --> rust/kernel/x.rs:1:2"]
        );
    }

    #[test]
    fn fragments_and_defines() {
        let f = "# c\nCONFIG_RUST=y\n# CONFIG_MODVERSIONS is not set\n\nCONFIG_X=\"a\"\n";
        assert_eq!(
            wanted_options(f),
            [
                "CONFIG_RUST=y",
                "# CONFIG_MODVERSIONS is not set",
                "CONFIG_X=\"a\""
            ]
        );
        assert_eq!(
            parse_define("#define UTS_RELEASE \"6.12.117\"\n", "UTS_RELEASE").as_deref(),
            Some("6.12.117")
        );
        assert_eq!(
            parse_define("#define UTS_RELEASE_X \"1\"\n", "UTS_RELEASE"),
            None
        );
        for f in [Flavour::Plain, Flavour::Debug] {
            for frag in f.fragments() {
                assert!(paths::repo_root().join(frag).exists(), "{frag}");
            }
        }
    }
}
