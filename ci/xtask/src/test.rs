// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask test`: every test, counted into one `N passed, N failed`.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::build::{self, Flavour};
use crate::pin::Pin;
use crate::{each, paths, run, selftests, series, setup, tree, vm};

/// Pass and fail counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests skipped (counted apart, they neither pass nor fail).
    pub skipped: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }

    fn one(ok: bool) -> Tally {
        Tally {
            passed: ok as usize,
            failed: !ok as usize,
            skipped: 0,
        }
    }
}

/// Sums the `test result:` lines of `cargo test` output.
pub fn parse_cargo_test(output: &str) -> Tally {
    let mut t = Tally::default();
    for line in output.lines() {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            continue;
        };
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let n = |i: usize| words.get(i).and_then(|w| w.parse::<usize>().ok());
            // "ok. 3 passed" or " 0 failed" or " 1 ignored"
            let (num, what) = if words.len() >= 3 {
                (n(1), words[2])
            } else {
                (n(0), words.get(1).copied().unwrap_or(""))
            };
            match (num, what) {
                (Some(k), "passed") => t.passed += k,
                (Some(k), "failed") => t.failed += k,
                (Some(k), "ignored") => t.skipped += k,
                _ => {}
            }
        }
    }
    t
}

/// Counts the TAP result lines (`ok`, `not ok`, `# SKIP`) of `output`.
pub fn parse_tap(output: &str) -> Tally {
    let mut t = Tally::default();
    for line in output.lines() {
        let line = line.trim_end();
        let (ok, rest) = if let Some(r) = line.strip_prefix("ok ") {
            (true, r)
        } else if let Some(r) = line.strip_prefix("not ok ") {
            (false, r)
        } else {
            continue;
        };
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let directive = rest
            .split_once('#')
            .map(|(_, d)| d.trim().to_ascii_uppercase());
        match directive {
            Some(d) if d.starts_with("SKIP") => t.skipped += 1,
            // A known failure does not count against the run.
            Some(d) if d.starts_with("TODO") => {}
            _ if ok => t.passed += 1,
            _ => t.failed += 1,
        }
    }
    t
}

/// The durations the in-VM runner prints, `# duration: NAME SECONDS`, in
/// order; malformed lines are passed over.
pub fn parse_durations(output: &str) -> Vec<(String, Duration)> {
    output
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("# duration: "))
        .filter_map(|l| {
            let (name, secs) = l.rsplit_once(' ')?;
            let secs: f64 = secs.parse().ok()?;
            let d = Duration::try_from_secs_f64(secs).ok()?;
            Some((name.trim().to_owned(), d))
        })
        .collect()
}

/// The steps of a run with their durations, printed as a table at the end.
#[derive(Default)]
struct Steps {
    current: Option<(String, Instant)>,
    done: Vec<(String, Duration)>,
    /// Parts of a step timed inside it (the programs of the in-VM tests),
    /// with the index in `done` of the step they belong to.
    parts: Vec<(usize, String, Duration)>,
}

impl Steps {
    /// Ends the step under way, if any, and starts `name`.
    fn start(&mut self, name: &str) {
        self.end();
        eprintln!("\nxtask test: === {name} ===");
        self.current = Some((name.to_owned(), Instant::now()));
    }

    fn end(&mut self) {
        if let Some((name, t)) = self.current.take() {
            self.done.push((name, t.elapsed()));
        }
    }

    /// Records that `name`, a part of the step under way, took `d`: a row
    /// of its own under the step, not counted again in the total.
    fn part(&mut self, name: &str, d: Duration) {
        self.parts.push((self.done.len(), name.to_owned(), d));
    }

    /// The table of every step and its seconds, with the total.
    fn table(&mut self) -> String {
        self.end();
        let width = self
            .done
            .iter()
            .map(|(n, _)| n.len())
            .chain(self.parts.iter().map(|(_, n, _)| n.len() + 2))
            .max()
            .unwrap_or(4)
            .max(5);
        let mut out = format!("{:<width$}  seconds\n", "step");
        let mut total = Duration::ZERO;
        for (i, (name, d)) in self.done.iter().enumerate() {
            out.push_str(&format!("{name:<width$}  {:>7.1}\n", d.as_secs_f64()));
            total += *d;
            for (_, part, d) in self.parts.iter().filter(|(s, _, _)| *s == i) {
                let part = format!("  {part}");
                out.push_str(&format!("{part:<width$}  {:>7.1}\n", d.as_secs_f64()));
            }
        }
        out.push_str(&format!(
            "{:<width$}  {:>7.1}\n",
            "total",
            total.as_secs_f64()
        ));
        out
    }
}

/// `cargo xtask test`.
pub fn command(flavour: Flavour) -> Result<i32> {
    let root = paths::repo_root();
    let mut total = Tally::default();
    let mut steps = Steps::default();

    steps.start("set-up");
    let ok = match setup::ensure() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("xtask test: set-up failed: {e:#}");
            false
        }
    };
    total.add(Tally::one(ok));

    steps.start("cargo fmt --check");
    total.add(Tally::one(run::succeeds_verbose(
        Command::new("cargo")
            .args(["fmt", "--all", "--check"])
            .current_dir(&root),
    )));

    steps.start("cargo clippy");
    total.add(Tally::one(run::succeeds_verbose(
        Command::new("cargo")
            .args([
                "clippy",
                "--quiet",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(&root),
    )));

    steps.start("task-diag-uapi builds for a bare target");
    total.add(Tally::one(run::succeeds_verbose(
        Command::new("cargo")
            .args([
                "build",
                "--quiet",
                "-p",
                "task-diag-uapi",
                "--target",
                setup::BARE_TARGET,
            ])
            .current_dir(&root),
    )));

    steps.start("cargo test --workspace");
    let out = Command::new("cargo")
        .args(["test", "--workspace"])
        .current_dir(&root)
        .output();
    match out {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            print!("{text}");
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            let t = parse_cargo_test(&text);
            total.add(t);
            if !out.status.success() && t.failed == 0 {
                eprintln!("xtask test: cargo test failed before running its tests");
                total.add(Tally::one(false));
            }
        }
        Err(e) => {
            eprintln!("xtask test: cannot run cargo test: {e}");
            total.add(Tally::one(false));
        }
    }

    steps.start("series --check");
    let ok = match series::command(true) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("xtask test: {e:#}");
            false
        }
    };
    total.add(Tally::one(ok));

    for tool in [tree::Tool::GitAm, tree::Tool::Quilt] {
        steps.start(&format!("the series applies with {tool:?}"));
        let ok = match Pin::load().and_then(|pin| tree::check_tool(&pin, tool)) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("xtask test: {e:#}");
                false
            }
        };
        total.add(Tally::one(ok));
    }

    steps.start(&format!("kernel build ({})", flavour.name()));
    match build::kernel(flavour) {
        Ok(built) => {
            total.add(Tally::one(true));
            steps.start("in-VM tests");
            total.add(vm_tests(&built, &mut steps));
            steps.start("kernel Rust lints; every patch builds on its own");
            match each::checks(flavour) {
                Ok(checks) => {
                    for c in &checks {
                        total.add(Tally::one(c.ok));
                    }
                }
                Err(e) => {
                    eprintln!("xtask test: {e:#}");
                    total.add(Tally::one(false));
                }
            }
        }
        Err(e) => {
            eprintln!("xtask test: {e:#}");
            eprintln!("xtask test: no kernel, so the in-VM tests cannot run: counted as failed");
            total.add(Tally::one(false));
            total.add(Tally::one(false));
        }
    }

    eprintln!("\nxtask test: durations\n{}", steps.table());
    println!();
    if total.skipped > 0 {
        println!(
            "{} passed, {} failed, {} skipped",
            total.passed, total.failed, total.skipped
        );
    } else {
        println!("{} passed, {} failed", total.passed, total.failed);
    }
    Ok(if total.failed == 0 { 0 } else { 1 })
}

/// Builds the selftests, boots the kernel once and runs
/// `selftests/vm/run.sh` in it. Every TAP result counts, and so does a clean
/// kernel log.
fn vm_tests(built: &build::Built, steps: &mut Steps) -> Tally {
    let root = paths::repo_root();
    let bin_dir = match Pin::load()
        .and_then(|pin| tree::pristine(&pin))
        .and_then(|src| selftests::build(&src))
    {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("xtask test: {e:#}");
            return Tally::one(false);
        }
    };
    let clients_ok = run::succeeds_verbose(
        Command::new("cargo")
            .args(crate::bench::client_debug_build_args())
            .current_dir(&root),
    );
    if !clients_ok {
        return Tally::one(false);
    }
    let tdps = root.join("target/debug/tdps");
    let tdpmap = root.join("target/debug/tdpmap");
    let backends = match test_binary(&root, "task-diag", "backends") {
        Ok(path) => path,
        Err(e) => {
            eprintln!("xtask test: {e:#}");
            return Tally::one(false);
        }
    };
    let script = root.join("selftests/vm/run.sh");
    let cmd = vec![
        "sh".to_owned(),
        script.to_string_lossy().into_owned(),
        built.release.clone(),
        built.version.clone(),
        bin_dir.to_string_lossy().into_owned(),
        tdps.to_string_lossy().into_owned(),
        backends.to_string_lossy().into_owned(),
        tdpmap.to_string_lossy().into_owned(),
    ];
    let opts = vm::options(2, "2G");
    match vm::boot(built, &opts, &cmd, true) {
        Ok(out) => {
            for (name, d) in parse_durations(&out.stdout) {
                steps.part(&name, d);
            }
            let mut t = parse_tap(&out.stdout);
            if t.passed + t.failed == 0 {
                eprintln!("xtask test: the in-VM tests reported no result");
                t.failed += 1;
            }
            if out.status != 0 && t.failed == 0 {
                eprintln!("xtask test: the in-VM runner exited {}", out.status);
                t.failed += 1;
            }
            let clean = out.splats.is_empty();
            if !clean {
                eprintln!("xtask test: the guest kernel reported bugs:");
                for l in &out.splats {
                    eprintln!("  {l}");
                }
            }
            t.add(Tally::one(clean));
            t
        }
        Err(e) => {
            eprintln!("xtask test: the VM could not run the tests: {e:#}");
            Tally::one(false)
        }
    }
}

/// Builds the integration test `test` of `package` and returns its
/// executable, for running in the guest.
fn test_binary(
    root: &std::path::Path,
    package: &str,
    test: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let out = Command::new("cargo")
        .args([
            "test",
            "--quiet",
            "--no-run",
            "--message-format=json",
            "-p",
            package,
            "--test",
            test,
        ])
        .current_dir(root)
        .output()?;
    if !out.status.success() {
        anyhow::bail!(
            "cannot build the test {test} of {package}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    executable_of(&String::from_utf8_lossy(&out.stdout), test)
        .ok_or_else(|| anyhow::anyhow!("cargo named no executable for the test {test}"))
}

/// The `executable` of the test target `test` in cargo's JSON messages.
fn executable_of(json_lines: &str, test: &str) -> Option<std::path::PathBuf> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == test)
        .find_map(|v| v["executable"].as_str().map(std::path::PathBuf::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_test_results_are_summed() {
        let out = "running 3 tests\n\
                   test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
                   test result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n";
        assert_eq!(
            parse_cargo_test(out),
            Tally {
                passed: 8,
                failed: 2,
                skipped: 1
            }
        );
        assert_eq!(parse_cargo_test("nothing\n"), Tally::default());
    }

    #[test]
    fn test_executables_are_found_in_cargo_messages() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"stream"},"executable":"/t/stream-1"}
{"reason":"compiler-artifact","target":{"name":"backends"},"executable":"/t/backends-2"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable_of(json, "backends"),
            Some(std::path::PathBuf::from("/t/backends-2"))
        );
        assert_eq!(executable_of(json, "tdps"), None);
    }

    #[test]
    fn steps_are_timed_in_a_table() {
        let mut steps = Steps::default();
        steps.start("one");
        steps.start("second step");
        let table = steps.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("step ") && lines[0].ends_with("seconds"));
        assert!(lines[1].starts_with("one "));
        assert!(lines[2].starts_with("second step "));
        assert!(lines[3].starts_with("total "));
        assert!(lines[3].trim_end().ends_with("0.0"));
    }

    #[test]
    fn parts_are_rows_under_their_step_and_not_in_the_total() {
        let mut steps = Steps::default();
        steps.start("build");
        steps.start("in-VM tests");
        let out = "ok 1 x\n# duration: guest boot 12.5\n# duration: task_diag_vma 300\n\
                   # duration: broken\n# duration: negative -1\n";
        for (name, d) in parse_durations(out) {
            steps.part(&name, d);
        }
        steps.start("each-patch");
        let table = steps.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 7, "{table}");
        assert!(lines[2].starts_with("in-VM tests "));
        assert!(lines[3].starts_with("  guest boot ") && lines[3].ends_with(" 12.5"));
        assert!(lines[4].starts_with("  task_diag_vma ") && lines[4].ends_with(" 300.0"));
        assert!(lines[5].starts_with("each-patch "));
        // The parts are inside the in-VM step, whose own time is about 0.
        assert!(lines[6].starts_with("total ") && lines[6].ends_with(" 0.0"));
    }

    #[test]
    fn tap_results_are_counted() {
        let out = "TAP version 13\n1..5\n\
                   ok 1 kernel is ours\n\
                   not ok 2 /proc/task_diag exists\n\
                   ok 3 thing # SKIP no gcc\n\
                   # ok 9 nested diagnostics do not count\n\
                   ok 4 - dash form\n\
                   not ok 5 known # TODO later\n\
                   ok not-a-number\n";
        assert_eq!(
            parse_tap(out),
            Tally {
                passed: 2,
                failed: 1,
                skipped: 1
            }
        );
    }
}
