// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask setup`: installs what the pipeline needs, idempotently.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{paths, run};

/// Debian packages the build, the VM and the tests need.
pub const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "bc",
    "bison",
    "busybox-static",
    "clang",
    "cpio",
    "dwarves",
    "flex",
    "gcc-multilib",
    "kmod",
    "libclang-dev",
    "libelf-dev",
    "libssl-dev",
    "lld",
    "llvm",
    "procps",
    "python3-venv",
    "qemu-system-x86",
    "qemu-utils",
    "quilt",
    "strace",
    "udev",
];

/// bindgen-cli version the kernel's Rust build uses.
pub const BINDGEN_VERSION: &str = "0.73.2";
/// virtme-ng version from PyPI.
pub const VIRTME_NG_VERSION: &str = "1.42";

/// Runs every set-up step that is not already done.
pub fn setup() -> Result<()> {
    debian_packages()?;
    rust_src()?;
    bindgen()?;
    virtme_ng()?;
    eprintln!("xtask: setup complete");
    Ok(())
}

/// Whether everything set-up installs is present (cheap checks only).
pub fn is_complete() -> bool {
    missing_packages().map(|m| m.is_empty()).unwrap_or(false)
        && has_rust_src()
        && has_bindgen()
        && has_virtme_ng()
}

/// Runs [`setup`] when something is missing.
pub fn ensure() -> Result<()> {
    if is_complete() {
        return Ok(());
    }
    setup()
}

fn dpkg_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}\t${Version}", pkg])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, version) = text.split_once('\t')?;
    (status == "install ok installed").then(|| version.to_owned())
}

fn missing_packages() -> Result<Vec<&'static str>> {
    let mut missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| dpkg_version(p).is_none())
        .collect();
    // Debian's qemu-system-x86 7.2 breaks with a newer qemu-utils (an
    // image may ship one): both must come from the same qemu build.
    if let (Some(sys), Some(utils)) = (dpkg_version("qemu-system-x86"), dpkg_version("qemu-utils"))
    {
        if sys != utils {
            missing.push("qemu-utils");
        }
    }
    Ok(missing)
}

fn candidate(pkg: &str) -> Result<String> {
    let text = run::stdout(Command::new("apt-cache").args(["policy", pkg]))?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Candidate: "))
        .filter(|v| *v != "(none)")
        .map(str::to_owned)
        .with_context(|| format!("apt has no candidate for {pkg}"))
}

fn debian_packages() -> Result<()> {
    let missing = missing_packages()?;
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    run::output(Command::new("apt-get").arg("update"))
        .context("apt-get update failed: is the network or the Debian mirror reachable?")?;
    let qemu = candidate("qemu-system-x86")?;
    let args: Vec<String> = DEBIAN_PACKAGES
        .iter()
        .map(|p| match *p {
            "qemu-utils" | "qemu-system-x86" => format!("{p}={qemu}"),
            p => p.to_owned(),
        })
        .collect();
    run::status(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .arg("--allow-downgrades")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .context("apt-get install failed")?;
    let still = missing_packages()?;
    if !still.is_empty() {
        bail!("still missing after apt-get install: {}", still.join(" "));
    }
    Ok(())
}

/// The bare target the uapi crate must build for.
pub const BARE_TARGET: &str = "x86_64-unknown-none";

fn rustup_has(list: &str, prefix: &str) -> bool {
    Command::new("rustup")
        .args([list, "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.starts_with(prefix))
        })
        .unwrap_or(false)
}

fn has_rust_src() -> bool {
    rustup_has("component", "rust-src") && rustup_has("target", BARE_TARGET)
}

fn rust_src() -> Result<()> {
    if has_rust_src() {
        return Ok(());
    }
    eprintln!("xtask: adding the rust-src component and the {BARE_TARGET} target");
    run::status(Command::new("rustup").args(["component", "add", "rust-src"]))?;
    run::status(Command::new("rustup").args(["target", "add", BARE_TARGET]))
}

fn has_bindgen() -> bool {
    Command::new("bindgen")
        .arg("--version")
        .env("PATH", paths::tool_path())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == format!("bindgen {BINDGEN_VERSION}"))
        .unwrap_or(false)
}

fn bindgen() -> Result<()> {
    if has_bindgen() {
        return Ok(());
    }
    eprintln!("xtask: installing bindgen-cli {BINDGEN_VERSION} (about a minute)");
    run::status(Command::new("cargo").args([
        "install",
        "--locked",
        "--quiet",
        "bindgen-cli",
        "--version",
        BINDGEN_VERSION,
    ]))
}

fn has_virtme_ng() -> bool {
    let vng = paths::venv_dir().join("bin").join("vng");
    Command::new(vng)
        .arg("--version")
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.split_whitespace().any(|w| w == VIRTME_NG_VERSION)
        })
        .unwrap_or(false)
}

fn virtme_ng() -> Result<()> {
    if has_virtme_ng() {
        return Ok(());
    }
    let venv = paths::venv_dir();
    eprintln!(
        "xtask: installing virtme-ng {VIRTME_NG_VERSION} into {}",
        venv.display()
    );
    run::status(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run::status(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("virtme-ng=={VIRTME_NG_VERSION}")),
    )?;
    if !has_virtme_ng() {
        bail!(
            "virtme-ng {VIRTME_NG_VERSION} did not install into {}",
            venv.display()
        );
    }
    Ok(())
}
