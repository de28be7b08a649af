// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask`: task_diag's build orchestration.
//!
//! From a fresh clone: installs what the pipeline needs (`setup`), unpacks the
//! pinned Debian kernel source into a cache outside the clone, applies
//! `patches/series`, configures and builds it (`kernel`), keeps `patches/` and
//! `linux-overlay/` in agreement (`series`), boots the result under virtme-ng
//! (`vm`), checks that every patch builds on its own (`each-patch`) and
//! runs every test (`test`).

mod bench;
mod build;
mod each;
mod paths;
mod pin;
mod run;
mod selftests;
mod series;
mod setup;
mod test;
mod tree;
mod vm;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::build::Flavour;

/// task_diag build orchestration.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Install the Debian packages, rust-src, bindgen-cli and virtme-ng the
    /// pipeline needs. Idempotent: a second run changes nothing.
    Setup,
    /// Unpack the pinned tree into the cache, apply the series, configure and
    /// build bzImage.
    Kernel {
        /// Kernel configuration: `plain` (benchmarks) or `debug` (KASAN,
        /// lockdep, kmemleak; used by the tests).
        #[arg(long, value_enum, default_value_t = Flavour::Plain)]
        flavour: Flavour,
    },
    /// Regenerate the patches that add the files of `linux-overlay/`.
    Series {
        /// Only check that `patches/` and `linux-overlay/` agree; change nothing.
        #[arg(long)]
        check: bool,
    },
    /// Build vmlinux at every patch of the series, on a copy of the built
    /// tree with the patches taken off one at a time from the top: each
    /// prefix must build without warnings.
    EachPatch {
        /// Which configuration to build with.
        #[arg(long, value_enum, default_value_t = Flavour::Plain)]
        flavour: Flavour,
    },
    /// Boot the built kernel under virtme-ng and run CMD as root in the guest,
    /// in the current directory. Exits with CMD's status.
    Vm {
        /// Number of guest vCPUs.
        #[arg(long, default_value_t = 1)]
        cpus: u32,
        /// Guest memory, as QEMU's `-m` takes it (`1G`, `4096M`).
        #[arg(long, default_value = "1G")]
        memory: String,
        /// Which kernel to boot.
        #[arg(long, value_enum, default_value_t = Flavour::Plain)]
        flavour: Flavour,
        /// The command to run in the guest.
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
    /// Benchmark procfs against task_diag in one boot of the plain kernel:
    /// a table on the terminal, JSON and an SVG plot.
    Bench {
        /// Tasks to create for the main comparison (processes of 3 threads).
        #[arg(long, default_value_t = 30_000)]
        tasks: usize,
        /// Timed runs of each command, after a warm-up.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Guest memory (the 100,000-task step needs about 6 GiB).
        #[arg(long, default_value = "8G")]
        memory: String,
        /// Also write the report as JSON to this file (the plot goes beside
        /// it, as .svg); default target/bench/bench.json.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// Run every test: the workspace's `cargo test`, `series --check`, the
    /// kernel build and the in-VM tests. Ends with `N passed, N failed`.
    Test {
        /// Which kernel the in-VM tests boot.
        #[arg(long, value_enum, default_value_t = Flavour::Debug)]
        flavour: Flavour,
    },
}

fn main() {
    let cli = Cli::parse();
    let result: Result<i32> = match cli.command {
        Command::Setup => setup::setup().map(|_| 0),
        Command::Kernel { flavour } => build::kernel(flavour).map(|_| 0),
        Command::Series { check } => series::command(check).map(|_| 0),
        Command::EachPatch { flavour } => each::command(flavour),
        Command::Vm {
            cpus,
            memory,
            flavour,
            cmd,
        } => vm::command(flavour, cpus, &memory, &cmd),
        Command::Bench {
            tasks,
            runs,
            memory,
            json,
        } => bench::command(tasks, runs, &memory, json.as_deref()),
        Command::Test { flavour } => test::command(flavour),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            std::process::exit(1);
        }
    }
}
