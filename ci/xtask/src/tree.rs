// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel trees in the cache: the pristine unpacked source, and one
//! working tree per flavour with the series applied.
//!
//! The series is applied to copies of the pristine versions of the files it
//! touches, in a staging directory; only then are the results synced into
//! the working tree, writing just the files whose content changed. A patch
//! that does not apply therefore leaves the working tree (and its last good
//! build) untouched, and editing one overlay file rebuilds one object.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::pin::Pin;
use crate::series::{self, Patch};
use crate::{paths, run};

/// Stamp written once a directory is completely unpacked or copied.
const COMPLETE: &str = ".xtask-complete";
/// List of the files the series touched when it was last applied.
const APPLIED: &str = "applied-files";

/// The pristine tree for `pin`, unpacking it on first use.
pub fn pristine(pin: &Pin) -> Result<PathBuf> {
    let base = paths::cache_dir().join("src").join(pin.dir_version());
    let tree = base.join("linux");
    if base.join(COMPLETE).exists() {
        return Ok(tree);
    }
    let tarball = pin.fetch()?;
    eprintln!(
        "xtask: unpacking {} into {}",
        pin.tarball_name(),
        base.display()
    );
    if base.exists() {
        std::fs::remove_dir_all(&base)?;
    }
    let tmp = base.with_extension("partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    run::status(
        Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&tmp),
    )?;
    let top = tmp.join(&pin.package);
    if !top.is_dir() {
        bail!("{} does not hold {}/", tarball.display(), pin.package);
    }
    std::fs::create_dir_all(&base)?;
    std::fs::rename(&top, &tree)?;
    std::fs::remove_dir_all(&tmp)?;
    std::fs::write(base.join(COMPLETE), b"")?;
    Ok(tree)
}

/// The working tree's parent directory for `key` (the cache key).
pub fn work_dir(key: &str) -> PathBuf {
    paths::cache_dir().join("trees").join(key)
}

/// The working tree for `key`, copied from the pristine tree on first use.
pub fn working(pin: &Pin, key: &str) -> Result<PathBuf> {
    let dir = work_dir(key);
    let tree = dir.join("linux");
    if dir.join(COMPLETE).exists() {
        return Ok(tree);
    }
    let pristine = pristine(pin)?;
    eprintln!("xtask: copying the pristine tree to {}", tree.display());
    if tree.exists() {
        std::fs::remove_dir_all(&tree)?;
    }
    std::fs::create_dir_all(&dir)?;
    run::status(
        Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(&pristine)
            .arg(&tree),
    )?;
    let _ = std::fs::remove_file(dir.join(APPLIED));
    std::fs::write(dir.join(COMPLETE), b"")?;
    Ok(tree)
}

/// Applies the repository's series to the working tree of `key`.
/// Returns the number of files whose content changed.
pub fn apply_series(pin: &Pin, key: &str) -> Result<usize> {
    let root = paths::repo_root();
    let patch_dir = root.join("patches");
    let loaded = series::load(&patch_dir)?;
    let pristine = pristine(pin)?;
    let tree = working(pin, key)?;
    let dir = work_dir(key);

    let touched: BTreeSet<String> = loaded
        .patches
        .iter()
        .flat_map(|p| p.sections.iter().map(|s| s.path.clone()))
        .collect();
    let staging = dir.join("staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    for path in &touched {
        let src = pristine.join(path);
        if src.exists() {
            let dst = staging.join(path);
            std::fs::create_dir_all(dst.parent().expect("a path in the tree has a parent"))?;
            std::fs::copy(&src, &dst)?;
        }
    }
    std::fs::create_dir_all(&staging)?;
    for p in &loaded.patches {
        apply_one(&patch_dir, p, &staging, &dir)?;
    }

    let previous: BTreeSet<String> = std::fs::read_to_string(dir.join(APPLIED))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut changed = 0;
    for path in &touched {
        changed += sync_file(&staging.join(path), &tree.join(path))? as usize;
    }
    for path in previous.difference(&touched) {
        // No longer patched: back to the pristine content (or gone).
        changed += sync_file(&pristine.join(path), &tree.join(path))? as usize;
    }
    let list: Vec<&str> = touched.iter().map(String::as_str).collect();
    std::fs::write(dir.join(APPLIED), list.join("\n") + "\n")?;
    std::fs::remove_dir_all(&staging)?;
    Ok(changed)
}

/// How [`check_tool`] applies the series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `git am` onto a repository of the pristine files.
    GitAm,
    /// `quilt push -a` with `QUILT_PATCHES` pointing at `patches/`.
    Quilt,
}

/// Applies the series with `git am` or `quilt` to a scratch copy of the
/// pristine files it touches, as a kernel developer would.
pub fn check_tool(pin: &Pin, tool: Tool) -> Result<()> {
    let root = paths::repo_root();
    let patch_dir = root.join("patches");
    let loaded = series::load(&patch_dir)?;
    let pristine = pristine(pin)?;
    let scratch = paths::cache_dir().join(format!("scratch-{tool:?}-{}", std::process::id()));
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)?;
    }
    for p in &loaded.patches {
        for s in &p.sections {
            let src = pristine.join(&s.path);
            if src.exists() {
                let dst = scratch.join(&s.path);
                std::fs::create_dir_all(dst.parent().context("no parent")?)?;
                std::fs::copy(&src, &dst)?;
            }
        }
    }
    std::fs::create_dir_all(&scratch)?;
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.args(["-c", "user.name=xtask", "-c", "user.email=xtask@localhost"])
            .args(args)
            .current_dir(&scratch);
        c
    };
    let result = match tool {
        Tool::GitAm => run::output(&mut git(&["init", "-q"]))
            .and_then(|_| run::output(&mut git(&["add", "-A"])))
            .and_then(|_| run::output(&mut git(&["commit", "-qm", "pristine"])))
            .and_then(|_| {
                let mut am = git(&["am", "-q", "--whitespace=error-all"]);
                am.args(loaded.patches.iter().map(|p| patch_dir.join(&p.name)));
                run::output(&mut am)
            }),
        Tool::Quilt => run::output(
            Command::new("quilt")
                .args(["push", "-a", "-q"])
                .env("QUILT_PATCHES", &patch_dir)
                .env("QUILT_PC", scratch.join(".pc"))
                .current_dir(&scratch),
        ),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    result.map(|_| ())
}

fn apply_one(patch_dir: &Path, p: &Patch, staging: &Path, dir: &Path) -> Result<()> {
    let rej = dir.join("last.rej");
    let _ = std::fs::remove_file(&rej);
    let mut cmd = Command::new("patch");
    cmd.args([
        "-p1",
        "--fuzz=0",
        "--batch",
        "--forward",
        "--no-backup-if-mismatch",
    ])
    .arg(format!("--reject-file={}", rej.display()))
    .arg("-d")
    .arg(staging)
    .arg("-i")
    .arg(patch_dir.join(&p.name));
    let out = cmd
        .output()
        .with_context(|| format!("cannot run `{}`", run::display(&cmd)))?;
    if !out.status.success() {
        let says = String::from_utf8_lossy(&out.stdout);
        let rejected = std::fs::read_to_string(&rej).unwrap_or_default();
        bail!(
            "patches/{} does not apply to the pinned tree:\n{}{}{}\nThe working tree and its \
             last good build are unchanged; fix the patch (or rebase it, see README.md).",
            p.name,
            says.trim_end(),
            if rejected.is_empty() {
                ""
            } else {
                "\nrejected hunk:\n"
            },
            rejected.trim_end()
        );
    }
    Ok(())
}

/// Makes `dst` hold what `src` holds (or not exist when `src` does not).
/// Returns whether anything changed; an identical file keeps its mtime.
fn sync_file(src: &Path, dst: &Path) -> Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::read(src) {
        Ok(data) => {
            let mode = std::fs::metadata(src)?.permissions().mode();
            if let Ok(old) = std::fs::read(dst) {
                let old_mode = std::fs::metadata(dst)?.permissions().mode();
                if old == data && old_mode == mode {
                    return Ok(false);
                }
            }
            std::fs::create_dir_all(dst.parent().context("no parent")?)?;
            let tmp = dst.with_extension("xtask-tmp");
            std::fs::write(&tmp, &data)?;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
            std::fs::rename(&tmp, dst)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dst.exists() {
                std::fs::remove_file(dst)?;
                Ok(true)
            } else {
                Ok(false)
            }
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", src.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_writes_only_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, dst) = (dir.join("src"), dir.join("sub/dst"));
        std::fs::write(&src, b"x\n").unwrap();
        assert!(sync_file(&src, &dst).unwrap());
        assert_eq!(std::fs::read(&dst).unwrap(), b"x\n");
        assert!(
            !sync_file(&src, &dst).unwrap(),
            "identical content is left alone"
        );
        std::fs::remove_file(&src).unwrap();
        assert!(
            sync_file(&src, &dst).unwrap(),
            "a vanished source removes the file"
        );
        assert!(!dst.exists());
        assert!(!sync_file(&src, &dst).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
