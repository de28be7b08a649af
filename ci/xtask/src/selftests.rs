// SPDX-License-Identifier: MIT OR Apache-2.0
//! Building the C selftests and benchmark programs with the `cc` crate.
//!
//! Their sources are the series' `tools/testing/selftests/task_diag/`
//! (in `linux-overlay/`, also reachable as `selftests/task_diag`); they are
//! compiled against the overlay's uapi header and the pinned tree's
//! `kselftest_harness.h`, into `target/selftests/`, where the guest runs
//! them (the guest sees the host's file system).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{paths, run};

/// Where the sources live, relative to the repository root.
pub const SOURCE_DIR: &str = "linux-overlay/tools/testing/selftests/task_diag";

/// The programs: name, then their C sources.
pub const PROGRAMS: &[(&str, &[&str])] = &[
    ("task_diag_test", &["task_diag_test.c", "task_diag_util.c"]),
    (
        "task_diag_groups",
        &["task_diag_groups.c", "task_diag_util.c"],
    ),
    (
        "task_diag_random",
        &["task_diag_random.c", "task_diag_util.c"],
    ),
    ("task_diag_vma", &["task_diag_vma.c", "task_diag_util.c"]),
    ("fork", &["fork.c"]),
    ("task_proc_all", &["task_proc_all.c"]),
    ("task_diag_all", &["task_diag_all.c", "task_diag_util.c"]),
];

/// The directory the programs are built into.
pub fn out_dir() -> PathBuf {
    paths::repo_root().join("target").join("selftests")
}

/// The compiler command for one program.
pub fn compile_command(
    compiler: &cc::Tool,
    sources: &[PathBuf],
    includes: &[PathBuf],
    out: &Path,
) -> Command {
    let mut cmd = compiler.to_command();
    // The flags of the kselftest Makefile, with warnings as errors; linked
    // statically, so that the benchmark times the work and not the dynamic
    // loader (the same for both sides; about 35 ms a run in a TCG guest).
    cmd.args(["-O2", "-Wall", "-Werror", "-static"]);
    for inc in includes {
        cmd.arg("-I").arg(inc);
    }
    cmd.args(sources).arg("-o").arg(out).arg("-lpthread");
    cmd
}

/// Builds every program against the pristine tree `kernel_src` (for
/// `kselftest_harness.h`); returns the output directory.
pub fn build(kernel_src: &Path) -> Result<PathBuf> {
    let root = paths::repo_root();
    let src = root.join(SOURCE_DIR);
    let out = out_dir();
    std::fs::create_dir_all(&out)?;
    let compiler = cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .warnings(false)
        .extra_warnings(false)
        .opt_level(2)
        .target("x86_64-unknown-linux-gnu")
        .host("x86_64-unknown-linux-gnu")
        .try_get_compiler()
        .context("no C compiler for the selftests")?;
    let includes = [
        root.join("linux-overlay/include/uapi"),
        kernel_src.join("tools/testing/selftests"),
        src.clone(),
    ];
    for (name, files) in PROGRAMS {
        let sources: Vec<PathBuf> = files.iter().map(|f| src.join(f)).collect();
        let mut cmd = compile_command(&compiler, &sources, &includes, &out.join(name));
        run::output(&mut cmd).with_context(|| format!("cannot build the selftest {name}"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_source_exists() {
        let src = paths::repo_root().join(SOURCE_DIR);
        for (_, files) in PROGRAMS {
            for f in *files {
                assert!(src.join(f).exists(), "{f}");
            }
        }
    }

    #[test]
    fn compile_command_names_everything() {
        let tool = cc::Build::new()
            .cargo_metadata(false)
            .opt_level(2)
            .target("x86_64-unknown-linux-gnu")
            .host("x86_64-unknown-linux-gnu")
            .get_compiler();
        let cmd = compile_command(
            &tool,
            &[PathBuf::from("a.c")],
            &[PathBuf::from("/inc")],
            Path::new("/o/a"),
        );
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into()).collect();
        let s = args.join(" ");
        assert!(s.contains("-Werror") && s.contains("-static"), "{s}");
        assert!(s.contains("-I /inc a.c -o /o/a -lpthread"), "{s}");
    }
}
