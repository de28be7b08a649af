// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask each-patch`: every patch of the series builds on its own.
//!
//! A reviewer bisecting through the series needs each prefix of it to build
//! without warnings. This copies the built working tree of a flavour (with
//! its objects, so each build is incremental), takes the patches off it one
//! at a time from the top, and builds `vmlinux` after each: the builds of
//! the series up to patch N-1, N-2, ... 1. The whole series is the working
//! tree's own build.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::build::{self, Flavour};
use crate::pin::Pin;
use crate::{paths, run, series, tree};

/// The result of building one prefix of the series.
pub struct Prefix {
    /// The last patch of the prefix.
    pub last: String,
    /// Whether it built without errors or warnings.
    pub ok: bool,
}

/// The lines of a build log that are compiler or linker warnings.
pub fn warnings(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("warning:") || l.starts_with("warning["))
        .collect()
}

/// Builds every prefix of the series short of the whole, newest first,
/// printing a line for each; the full series is built first.
pub fn prefixes(flavour: Flavour) -> Result<Vec<Prefix>> {
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

    let patches = paths::repo_root().join("patches");
    let mut out = Vec::new();
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
        let log_path = dir.join(format!("build-{:04}.log", i));
        let start = Instant::now();
        let ok = build_vmlinux(&scratch, &log_path)?;
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let warned = warnings(&log);
        let good = ok && warned.is_empty();
        eprintln!(
            "xtask: {} patches 1-{i} (to {last}) in {} s",
            if good { "ok  " } else { "FAIL" },
            start.elapsed().as_secs()
        );
        if !good {
            for line in build::first_errors(&log, 5)
                .into_iter()
                .chain(warned.into_iter().take(5))
            {
                eprintln!("  {line}");
            }
            eprintln!("  log: {}", log_path.display());
        }
        out.push(Prefix {
            last: last.clone(),
            ok: good,
        });
    }
    std::fs::remove_dir_all(&scratch)?;
    Ok(out)
}

/// `make vmlinux` in `tree`, its output to `log_path`; whether it succeeded.
fn build_vmlinux(tree: &Path, log_path: &Path) -> Result<bool> {
    let log = std::fs::File::create(log_path)?;
    let status = build::make_command(tree, &["vmlinux"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("cannot run make")?;
    Ok(status.success())
}

/// `cargo xtask each-patch`.
pub fn command(flavour: Flavour) -> Result<i32> {
    let results = prefixes(flavour)?;
    let failed: Vec<&str> = results
        .iter()
        .filter(|p| !p.ok)
        .map(|p| p.last.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "the series does not build when it ends at: {}",
            failed.join(", ")
        );
    }
    eprintln!(
        "xtask: every prefix of the series builds without warnings ({} and the whole)",
        results.len()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
