// SPDX-License-Identifier: MIT OR Apache-2.0
//! Running external commands with errors that name what failed.

use std::process::{Command, Output, Stdio};

use anyhow::{bail, Context, Result};

/// Renders a command line for messages.
pub fn display(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// Runs `cmd` with inherited stdio; fails unless it exits 0.
pub fn status(cmd: &mut Command) -> Result<()> {
    let st = cmd
        .status()
        .with_context(|| format!("cannot start `{}`", display(cmd)))?;
    if !st.success() {
        bail!("`{}` failed ({st})", display(cmd));
    }
    Ok(())
}

/// Runs `cmd` capturing its output; fails unless it exits 0, quoting the end
/// of its stderr.
pub fn output(cmd: &mut Command) -> Result<Output> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start `{}`", display(cmd)))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "`{}` failed ({}):\n{}",
            display(cmd),
            out.status,
            tail.join("\n")
        );
    }
    Ok(out)
}

/// Runs `cmd` and returns its stdout as a string.
pub fn stdout(cmd: &mut Command) -> Result<String> {
    let out = output(cmd)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `cmd` can be started and exits 0 (its output is discarded).
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `cmd` with inherited stdio and reports whether it exited 0, saying
/// why when it did not.
pub fn succeeds_verbose(cmd: &mut Command) -> bool {
    match cmd.stdin(Stdio::null()).status() {
        Ok(st) if st.success() => true,
        Ok(st) => {
            eprintln!("xtask: `{}` failed ({st})", display(cmd));
            false
        }
        Err(e) => {
            eprintln!("xtask: cannot start `{}`: {e}", display(cmd));
            false
        }
    }
}

/// Lowercase hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(data))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase hex sha256 of a file, read in chunks.
pub fn sha256_file(path: &std::path::Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_words() {
        let mut c = Command::new("vng");
        c.args(["--exec", "cat /proc/task_diag"]);
        assert_eq!(display(&c), "vng --exec 'cat /proc/task_diag'");
    }

    #[test]
    fn sha256_of_empty() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
