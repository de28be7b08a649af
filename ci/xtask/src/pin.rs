// SPDX-License-Identifier: MIT OR Apache-2.0
//! The pinned kernel source: `ci/kernel-pin.toml`, and fetching it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::{paths, run};

/// Where the pin lives, relative to the repository root.
pub const PIN_FILE: &str = "ci/kernel-pin.toml";

/// The Debian package holding the kernel source tarball, at one exact version.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// Debian package name, e.g. `linux-source-6.12`.
    pub package: String,
    /// Exact Debian version, e.g. `6.12.117-1~deb12u1`.
    pub version: String,
    /// sha256 of `usr/src/<package>.tar.xz` inside the package.
    pub tarball_sha256: String,
}

impl Pin {
    /// Reads the repository's pin.
    pub fn load() -> Result<Pin> {
        let path = paths::repo_root().join(PIN_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Pin::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and validates a pin file's text.
    pub fn parse(text: &str) -> Result<Pin> {
        let pin: Pin = toml::from_str(text)?;
        if !pin.package.starts_with("linux-source-") {
            bail!("package {:?} is not a linux-source package", pin.package);
        }
        if pin.version.is_empty() || pin.version.contains(char::is_whitespace) {
            bail!("version {:?} is not a Debian version", pin.version);
        }
        if pin.tarball_sha256.len() != 64
            || !pin
                .tarball_sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bail!("tarball_sha256 must be 64 lowercase hex digits");
        }
        Ok(pin)
    }

    /// The version made safe for a directory name (`~` and `:` replaced).
    pub fn dir_version(&self) -> String {
        self.version.replace(['~', ':', '/'], "_")
    }

    /// Name of the tarball inside the package.
    pub fn tarball_name(&self) -> String {
        format!("{}.tar.xz", self.package)
    }

    /// Returns the verified tarball, downloading the package when needed.
    pub fn fetch(&self) -> Result<PathBuf> {
        let dir = paths::cache_dir()
            .join("downloads")
            .join(self.dir_version());
        std::fs::create_dir_all(&dir)?;
        let tarball = dir.join(self.tarball_name());
        if tarball.exists() {
            verify(&tarball, &self.tarball_sha256)?;
            return Ok(tarball);
        }
        let spec = format!("{}={}", self.package, self.version);
        eprintln!("xtask: downloading {spec}");
        let mut dl = Command::new("apt-get");
        dl.args(["download", &spec]).current_dir(&dir);
        if !run::succeeds(Command::new("apt-cache").args(["show", &spec])) {
            // The index may be stale: refresh once, then ask again.
            let _ = run::succeeds(Command::new("apt-get").arg("update"));
        }
        if let Err(e) = run::output(&mut dl) {
            bail!(
                "{e:#}\n{spec} cannot be downloaded (no network, or the mirror dropped this \
                 version). See README.md, \"Bumping the pinned kernel\", to move {PIN_FILE} \
                 to a version `apt-cache policy {}` lists.",
                self.package
            );
        }
        let deb = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "deb"))
            .context("apt-get download left no .deb")?;
        let partial = dir.join(format!("{}.partial", self.tarball_name()));
        let member = format!("./usr/src/{}", self.tarball_name());
        run::status(Command::new("sh").arg("-c").arg(format!(
            "dpkg-deb --fsys-tarfile {} | tar -xO {} > {}",
            shlex::try_quote(&deb.to_string_lossy())?,
            shlex::try_quote(&member)?,
            shlex::try_quote(&partial.to_string_lossy())?
        )))
        .context("cannot extract the tarball from the package")?;
        std::fs::remove_file(&deb)?;
        if let Err(e) = verify(&partial, &self.tarball_sha256) {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, &tarball)?;
        Ok(tarball)
    }
}

/// Fails unless `path`'s sha256 is `want`.
fn verify(path: &Path, want: &str) -> Result<()> {
    let got = run::sha256_file(path)?;
    if got != want {
        bail!(
            "{} has sha256 {got}, but {PIN_FILE} says {want}: the download is corrupt or the \
             pin is wrong. Delete the file to download it again; if the package was rebuilt, \
             see README.md, \"Bumping the pinned kernel\".",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
package = "linux-source-6.12"
version = "6.12.117-1~deb12u1"
tarball_sha256 = "585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f"
"#;

    #[test]
    fn parses_the_repository_pin() {
        let pin = Pin::load().unwrap();
        assert!(pin.package.starts_with("linux-source-"));
    }

    #[test]
    fn parses_and_names_directories() {
        let pin = Pin::parse(GOOD).unwrap();
        assert_eq!(pin.dir_version(), "6.12.117-1_deb12u1");
        assert_eq!(pin.tarball_name(), "linux-source-6.12.tar.xz");
    }

    #[test]
    fn rejects_bad_pins() {
        assert!(Pin::parse(&GOOD.replace("585a", "585A")).is_err());
        assert!(Pin::parse(&GOOD.replace("linux-source-6.12\"", "hello\"")).is_err());
        assert!(Pin::parse(&format!("{GOOD}\nextra = 1\n")).is_err());
        assert!(Pin::parse(&GOOD.replace("3961f", "396")).is_err());
    }

    #[test]
    fn verify_names_both_hashes() {
        let dir = std::env::temp_dir().join(format!("xtask-pin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t");
        std::fs::write(&f, b"").unwrap();
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(verify(&f, empty).is_ok());
        let err = format!("{:#}", verify(&f, &"0".repeat(64)).unwrap_err());
        assert!(err.contains(empty) && err.contains("Bumping"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
