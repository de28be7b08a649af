// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where things live: the repository and the cache outside it.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the cache directory.
pub const CACHE_ENV: &str = "TASK_DIAG_CACHE";

/// The root of the repository (the workspace that holds `ci/xtask`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .expect("ci/xtask sits two levels below the repository root")
        .to_path_buf()
}

/// The cache directory: `$TASK_DIAG_CACHE`, else `$XDG_CACHE_HOME/task_diag`,
/// else `~/.cache/task_diag`.
pub fn cache_dir() -> PathBuf {
    cache_dir_from(
        std::env::var_os(CACHE_ENV),
        std::env::var_os("XDG_CACHE_HOME"),
        std::env::var_os("HOME"),
    )
}

fn cache_dir_from(
    explicit: Option<std::ffi::OsString>,
    xdg: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> PathBuf {
    let non_empty = |v: Option<std::ffi::OsString>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    if let Some(dir) = non_empty(explicit) {
        return dir;
    }
    if let Some(xdg) = non_empty(xdg) {
        return xdg.join("task_diag");
    }
    non_empty(home)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
        .join(".cache")
        .join("task_diag")
}

/// The virtualenv holding virtme-ng.
pub fn venv_dir() -> PathBuf {
    cache_dir().join("venv")
}

/// `PATH` with the virtualenv's and cargo's `bin/` in front, so that `vng`
/// finds its sibling tools and the kernel build finds `bindgen`.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![venv_dir().join("bin")];
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_precedence() {
        let s = |v: &str| Some(std::ffi::OsString::from(v));
        assert_eq!(
            cache_dir_from(s("/c"), s("/x"), s("/h")),
            PathBuf::from("/c")
        );
        assert_eq!(
            cache_dir_from(None, s("/x"), s("/h")),
            PathBuf::from("/x/task_diag")
        );
        assert_eq!(
            cache_dir_from(s(""), s(""), s("/h")),
            PathBuf::from("/h/.cache/task_diag")
        );
    }
}
