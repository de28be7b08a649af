// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask each-patch`: every patch of the series builds on its own,
//! and the kernel's Rust lints pass.
//!
//! A reviewer bisecting through the series needs each prefix of it to build
//! without warnings. This copies the built working tree of a flavour (with
//! its objects, so each build is incremental), checks the whole series with
//! `make CLIPPY=1` and `make rustfmtcheck`, then takes the patches off one
//! at a time from the top and builds, after each, every object that the
//! series compiles (the kbuild directories of its C and Rust files, the
//! Rust crates among them) without linking `vmlinux`: the builds of the
//! series up to patch N-1, N-2, ... 1. The whole series, linked, is the
//! working tree's own build, which `cargo xtask kernel` made first.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::build::{self, Flavour};
use crate::pin::Pin;
use crate::{paths, run, series, tree};

/// The result of one check.
pub struct Check {
    /// What was checked: a lint, or the last patch of a prefix.
    pub name: String,
    /// Whether it passed, without errors or warnings.
    pub ok: bool,
}

/// The lines of a build log that are compiler or linker warnings.
pub fn warnings(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("warning:") || l.starts_with("warning["))
        .collect()
}

/// Lints the whole series, then builds every prefix of it short of the
/// whole, newest first, printing a line for each check; the full series is
/// built first.
pub fn checks(flavour: Flavour) -> Result<Vec<Check>> {
    build::kernel(flavour)?;
    let pin = Pin::load()?;
    let key = build::cache_key(&pin, flavour);
    let tree = tree::working(&pin, &key)?;
    let names = series::parse_series(
        &std::fs::read_to_string(paths::repo_root().join("patches/series"))
            .context("cannot read patches/series")?,
    )?;

    let dir = tree::work_dir(&format!("{key}-each"));
    let scratch = dir.join("linux");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot remove {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    // The one kernel build of the machine at a time: hold the lock that
    // `build::kernel` takes for the flavour while the copy builds.
    let lock = std::fs::File::create(tree::work_dir(&key).join("lock"))?;
    if lock.try_lock().is_err() {
        eprintln!("xtask: another build of {key} is running; waiting for it");
        lock.lock()?;
    }
    eprintln!("xtask: copying {} to {}", tree.display(), scratch.display());
    run::status(
        Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(&tree)
            .arg(&scratch),
    )?;

    let mut out = Vec::new();
    for (name, args) in [
        ("clippy", &["CLIPPY=1", "vmlinux"][..]),
        ("rustfmtcheck", &["rustfmtcheck"][..]),
    ] {
        let log_path = dir.join(format!("{name}.log"));
        let ok = make(&scratch, args, &log_path)?;
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        // rustfmtcheck fails when it prints a change it would make.
        let good = ok && warnings(&log).is_empty();
        report(
            &format!("{name} over the whole series"),
            good,
            &log,
            &log_path,
        );
        out.push(Check {
            name: name.to_owned(),
            ok: good,
        });
    }

    let patches = paths::repo_root().join("patches");
    let touched = series::load(&patches)?;
    let targets = build_targets(
        touched
            .patches
            .iter()
            .flat_map(|p| &p.sections)
            .map(|s| s.path.as_str()),
    );
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    eprintln!(
        "xtask: each prefix builds the directories the series compiles in: {}",
        targets.join(" ")
    );
    for i in (1..names.len()).rev() {
        let (top, last) = (&names[i], &names[i - 1]);
        run::status(
            Command::new("patch")
                .args(["-R", "-p1", "-F0", "-s", "--no-backup-if-mismatch", "-d"])
                .arg(&scratch)
                .arg("-i")
                .arg(patches.join(top)),
        )
        .with_context(|| format!("cannot take {top} off the copy of the tree"))?;
        let log_path = dir.join(format!("build-{i:04}.log"));
        let start = Instant::now();
        let ok = make(&scratch, &targets, &log_path)?;
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let good = ok && warnings(&log).is_empty();
        let what = format!(
            "patches 1-{i} (to {last}) in {} s",
            start.elapsed().as_secs()
        );
        report(&what, good, &log, &log_path);
        out.push(Check {
            name: last.clone(),
            ok: good,
        });
    }
    std::fs::remove_dir_all(&scratch)?;
    Ok(out)
}

/// The make targets that compile every source file among `paths`: the
/// kbuild directory of each C or Rust file, `rust/` for all of the Rust
/// support code (its crates and C helpers are built by `rust/Makefile`).
/// Documentation, headers alone and tools are not kbuild objects of their
/// own: a header is compiled with the files that include it.
pub fn build_targets<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut dirs = std::collections::BTreeSet::new();
    for path in paths {
        let source = path.ends_with(".c") || path.ends_with(".rs");
        if !source || path.starts_with("tools/") || path.starts_with("Documentation/") {
            continue;
        }
        if path.starts_with("rust/") {
            dirs.insert("rust/".to_owned());
        } else if let Some((dir, _)) = path.rsplit_once('/') {
            dirs.insert(format!("{dir}/"));
        }
    }
    dirs.into_iter().collect()
}

/// Prints the line of a check, with the first errors and warnings of its
/// log when it failed.
fn report(what: &str, ok: bool, log: &str, log_path: &Path) {
    eprintln!("xtask: {} {what}", if ok { "ok  " } else { "FAIL" });
    if ok {
        return;
    }
    let errors = build::first_errors(log, 5);
    let lines = if errors.is_empty() {
        log.lines().take(10).collect()
    } else {
        errors
    };
    for line in lines.into_iter().chain(warnings(log).into_iter().take(5)) {
        eprintln!("  {line}");
    }
    eprintln!("  log: {}", log_path.display());
}

/// `make ARGS` in `tree`, its output to `log_path`; whether it succeeded.
fn make(tree: &Path, args: &[&str], log_path: &Path) -> Result<bool> {
    let log = std::fs::File::create(log_path)?;
    let status = build::make_command(tree, args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("cannot run make")?;
    Ok(status.success())
}

/// `cargo xtask each-patch`.
pub fn command(flavour: Flavour) -> Result<i32> {
    let results = checks(flavour)?;
    let failed: Vec<&str> = results
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("failed: {}", failed.join(", "));
    }
    eprintln!("xtask: the lints pass and every prefix of the series builds without warnings");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_build_the_directories_of_the_touched_sources() {
        let paths = [
            "rust/kernel/mm.rs",
            "rust/helpers/mm.c",
            "rust/bindings/bindings_helper.h",
            "fs/proc/array.c",
            "fs/proc/task_diag.rs",
            "fs/proc/Kconfig",
            "include/linux/proc_task_diag.h",
            "Documentation/filesystems/task_diag.rst",
            "tools/testing/selftests/task_diag/fork.c",
            "MAINTAINERS",
        ];
        assert_eq!(build_targets(paths), ["fs/proc/", "rust/"]);
        assert!(build_targets(["MAINTAINERS"]).is_empty());
    }

    #[test]
    fn finds_compiler_and_rustc_warnings() {
        let log = "  CC      fs/proc/base.o\n\
            fs/proc/x.c:3:5: warning: unused variable 'a' [-Wunused-variable]\n\
            warning: unused import: `Task`\n\
            \x20 RUSTC L rust/kernel.o\n";
        assert_eq!(
            warnings(log),
            [
                "fs/proc/x.c:3:5: warning: unused variable 'a' [-Wunused-variable]",
                "warning: unused import: `Task`"
            ]
        );
        assert!(warnings("  LD      vmlinux\n").is_empty());
    }
}
