// SPDX-License-Identifier: MIT OR Apache-2.0
//! `patches/` and `linux-overlay/`: parsing the quilt series, regenerating
//! the new-file sections of its patches from the overlay, and checking that
//! the two agree.
//!
//! The rule: every file of `linux-overlay/` is created, whole, by exactly one
//! patch of the series (a `new file` section), and no other patch touches it.
//! Every file a patch creates is in the overlay. Edits to existing kernel
//! files are written by hand in the patches. `cargo xtask series` rewrites the
//! new-file sections from the overlay, the diffstat and the `[PATCH i/n]`
//! numbering; `--check` fails where that would change anything.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::paths;

/// One patch of the series, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// File name inside `patches/`.
    pub name: String,
    /// Mail header and commit message, up to and including the `---` line.
    pub header: String,
    /// One section per file, each starting with `diff --git`.
    pub sections: Vec<Section>,
    /// The signature after the last section (`-- \n2.x\n`), possibly empty.
    pub trailer: String,
}

/// The part of a patch that changes one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The file's path in the tree (the `b/` side).
    pub path: String,
    /// Whether the section creates the file.
    pub new_file: bool,
    /// The whole section text.
    pub text: String,
}

impl Section {
    /// Lines added and removed by this section's hunks.
    pub fn counts(&self) -> (usize, usize) {
        let (mut add, mut del) = (0, 0);
        let mut in_hunk = false;
        for line in self.text.lines() {
            if line.starts_with("@@ ") {
                in_hunk = true;
            } else if in_hunk && line.starts_with('+') {
                add += 1;
            } else if in_hunk && line.starts_with('-') {
                del += 1;
            }
        }
        (add, del)
    }
}

/// Parses `patches/series`: one patch name a line, `#` comments, blank lines;
/// the only option allowed after a name is `-p1`.
pub fn parse_series(text: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default();
        for opt in words {
            if opt != "-p1" {
                bail!(
                    "series line {}: unsupported option {opt:?} (only -p1)",
                    i + 1
                );
            }
        }
        if name.contains('/') || !name.ends_with(".patch") {
            bail!(
                "series line {}: {name:?} is not a NNNN-name.patch file name",
                i + 1
            );
        }
        if names.iter().any(|n| n == name) {
            bail!("series line {}: {name} is listed twice", i + 1);
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn diff_path(line: &str) -> Result<String> {
    // `diff --git a/PATH b/PATH`; our paths never contain " b/".
    let rest = line
        .strip_prefix("diff --git a/")
        .context("malformed diff --git line")?;
    let (_, b) = rest
        .split_once(" b/")
        .with_context(|| format!("malformed diff --git line: {line}"))?;
    Ok(b.to_owned())
}

impl Patch {
    /// Parses a patch in `git format-patch` form.
    pub fn parse(name: &str, text: &str) -> Result<Patch> {
        let mut header = String::new();
        let mut sections: Vec<Section> = Vec::new();
        let mut trailer = String::new();
        let mut seen_separator = false;
        let mut in_trailer = false;
        for line in text.split_inclusive('\n') {
            if in_trailer {
                trailer.push_str(line);
            } else if line.starts_with("diff --git ") {
                if !seen_separator {
                    bail!("{name}: no `---` line between the commit message and the diff");
                }
                sections.push(Section {
                    path: diff_path(line.trim_end())?,
                    new_file: false,
                    text: line.to_owned(),
                });
            } else if let Some(sec) = sections.last_mut() {
                if line == "-- \n" {
                    in_trailer = true;
                    trailer.push_str(line);
                } else {
                    if line.starts_with("new file mode ") {
                        sec.new_file = true;
                    }
                    sec.text.push_str(line);
                }
            } else if !seen_separator {
                header.push_str(line);
                if line == "---\n" {
                    seen_separator = true;
                }
            }
            // Lines between `---` and the first diff are the diffstat,
            // which is regenerated.
        }
        if !header.starts_with("From ") || !header.contains("\nSubject: ") {
            bail!("{name}: not in git format-patch form (no From / Subject header)");
        }
        if sections.is_empty() {
            bail!("{name}: changes no file");
        }
        Ok(Patch {
            name: name.to_owned(),
            header,
            sections,
            trailer,
        })
    }

    /// Renders the patch, with a diffstat computed from its sections.
    pub fn render(&self) -> String {
        let mut out = self.header.clone();
        out.push_str(&diffstat(&self.sections));
        out.push('\n');
        for s in &self.sections {
            out.push_str(&s.text);
        }
        if self.trailer.is_empty() {
            out.push_str("-- \n2.39.5\n\n");
        } else {
            out.push_str(&self.trailer);
        }
        out
    }

    /// Rewrites `[PATCH i/n]` in the subject.
    pub fn renumber(&mut self, index: usize, total: usize) {
        let width = total.to_string().len();
        let tag = if total == 1 {
            "[PATCH]".to_owned()
        } else {
            format!("[PATCH {index:0width$}/{total}]")
        };
        let mut out = String::new();
        for line in self.header.split_inclusive('\n') {
            match line.strip_prefix("Subject: [PATCH") {
                Some(rest) => match rest.find(']') {
                    Some(end) => {
                        let _ = write!(out, "Subject: {tag}{}", &rest[end + 1..]);
                    }
                    None => out.push_str(line),
                },
                None => out.push_str(line),
            }
        }
        self.header = out;
    }
}

/// A git-style diffstat: one line a file, then the summary.
pub fn diffstat(sections: &[Section]) -> String {
    const WIDTH: usize = 72;
    let rows: Vec<(&str, usize, usize)> = sections
        .iter()
        .map(|s| {
            let (a, d) = s.counts();
            (s.path.as_str(), a, d)
        })
        .collect();
    let name_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let max_change = rows.iter().map(|r| r.1 + r.2).max().unwrap_or(0);
    let num_w = max_change.to_string().len();
    let graph_w = WIDTH.saturating_sub(name_w + num_w + 6).max(10);
    let mut out = String::new();
    let (mut adds, mut dels) = (0, 0);
    for (name, a, d) in &rows {
        adds += a;
        dels += d;
        let total = a + d;
        // git's scale_linear(): the total and the additions are scaled, the
        // deletions are what remains.
        let (ga, gd) = if max_change <= graph_w {
            (*a, *d)
        } else {
            let scale = |n: usize| {
                if n == 0 {
                    0
                } else {
                    n * (graph_w - 1) / max_change + 1
                }
            };
            let t = scale(total);
            let ga = scale(*a);
            (ga, t.saturating_sub(ga))
        };
        let _ = writeln!(
            out,
            " {name:<name_w$} | {total:>num_w$} {}{}",
            "+".repeat(ga),
            "-".repeat(gd)
        );
    }
    let files = rows.len();
    let _ = write!(
        out,
        " {files} file{} changed",
        if files == 1 { "" } else { "s" }
    );
    if adds > 0 {
        let _ = write!(
            out,
            ", {adds} insertion{}(+)",
            if adds == 1 { "" } else { "s" }
        );
    }
    if dels > 0 {
        let _ = write!(
            out,
            ", {dels} deletion{}(-)",
            if dels == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
    for s in sections.iter().filter(|s| s.new_file) {
        let mode = s
            .text
            .lines()
            .find_map(|l| l.strip_prefix("new file mode "))
            .unwrap_or("100644");
        let _ = writeln!(out, " create mode {mode} {}", s.path);
    }
    out
}

/// The git blob id of `content`.
fn blob_id(content: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    h.digest().to_string()
}

/// The diff section that creates `path` with `content`.
pub fn new_file_section(path: &str, content: &[u8], executable: bool) -> Result<String> {
    let text = std::str::from_utf8(content)
        .with_context(|| format!("linux-overlay/{path} is not UTF-8 text"))?;
    if text.is_empty() {
        bail!("linux-overlay/{path} is empty");
    }
    if !text.ends_with('\n') {
        bail!("linux-overlay/{path} does not end with a newline");
    }
    let lines = text.lines().count();
    let mode = if executable { "100755" } else { "100644" };
    let id = blob_id(content);
    let mut out = format!(
        "diff --git a/{path} b/{path}\nnew file mode {mode}\nindex 000000000000..{}\n\
         --- /dev/null\n+++ b/{path}\n",
        &id[..12]
    );
    if lines == 1 {
        out.push_str("@@ -0,0 +1 @@\n");
    } else {
        let _ = writeln!(out, "@@ -0,0 +1,{lines} @@");
    }
    for line in text.lines() {
        out.push('+');
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// The series as it is on disk and as it should be.
pub struct Series {
    /// Patches in series order, as parsed from disk.
    pub patches: Vec<Patch>,
    /// File text on disk, by patch name.
    pub on_disk: BTreeMap<String, String>,
}

/// Reads `dir/series` and every patch it lists.
pub fn load(dir: &Path) -> Result<Series> {
    let series_path = dir.join("series");
    let text = std::fs::read_to_string(&series_path)
        .with_context(|| format!("cannot read {}", series_path.display()))?;
    let names = parse_series(&text)?;
    let mut patches = Vec::new();
    let mut on_disk = BTreeMap::new();
    for name in &names {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("series names {name}, but {} is unreadable", path.display())
        })?;
        patches.push(Patch::parse(name, &text)?);
        on_disk.insert(name.clone(), text);
    }
    for entry in std::fs::read_dir(dir)? {
        let file = entry?.file_name().to_string_lossy().into_owned();
        if file.ends_with(".patch") && !names.contains(&file) {
            bail!("patches/{file} is not listed in patches/series");
        }
    }
    Ok(Series { patches, on_disk })
}

/// Every regular file below `overlay`, by path relative to it, with whether
/// it is executable.
pub fn overlay_files(overlay: &Path) -> Result<BTreeMap<String, (Vec<u8>, bool)>> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = overlay.join(&rel);
        if !dir.exists() {
            continue;
        }
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let rel = rel.join(entry.file_name());
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(rel);
            } else if ft.is_file() {
                let meta = entry.metadata()?;
                let data = std::fs::read(entry.path())?;
                let exec = meta.permissions().mode() & 0o111 != 0;
                out.insert(rel.to_string_lossy().into_owned(), (data, exec));
            } else {
                bail!("linux-overlay/{} is not a regular file", rel.display());
            }
        }
    }
    Ok(out)
}

/// Regenerates the series from the overlay; returns the new text of each
/// patch, by name, in series order.
pub fn regenerate(
    mut patches: Vec<Patch>,
    overlay: &BTreeMap<String, (Vec<u8>, bool)>,
) -> Result<Vec<(String, String)>> {
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut touched: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &patches {
        for s in &p.sections {
            touched
                .entry(s.path.clone())
                .or_default()
                .push(p.name.clone());
            if s.new_file {
                if let Some(prev) = owner.insert(s.path.clone(), p.name.clone()) {
                    bail!("{} is created by both {prev} and {}", s.path, p.name);
                }
            }
        }
    }
    for path in overlay.keys() {
        let Some(creator) = owner.get(path) else {
            bail!(
                "linux-overlay/{path} is created by no patch: add the two lines \
                 `diff --git a/{path} b/{path}` and `new file mode 100644` at the end of \
                 the patch that should create it, then run `cargo xtask series`"
            );
        };
        let others: Vec<&String> = touched[path].iter().filter(|n| *n != creator).collect();
        if !others.is_empty() {
            bail!(
                "{path} is created by {creator} and changed again by {}: an overlay file \
                 lives whole in one patch",
                others
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    for (path, creator) in &owner {
        if !overlay.contains_key(path) {
            bail!("{creator} creates {path}, which linux-overlay/ lacks: add it there");
        }
    }
    let total = patches.len();
    let mut out = Vec::new();
    for (i, p) in patches.iter_mut().enumerate() {
        for s in &mut p.sections {
            if s.new_file {
                let (data, exec) = &overlay[&s.path];
                s.text = new_file_section(&s.path, data, *exec)?;
            }
        }
        p.renumber(i + 1, total);
        out.push((p.name.clone(), p.render()));
    }
    Ok(out)
}

/// `cargo xtask series [--check]`.
pub fn command(check: bool) -> Result<()> {
    let root = paths::repo_root();
    let dir = root.join("patches");
    let series = load(&dir)?;
    let overlay = overlay_files(&root.join("linux-overlay"))?;
    let wanted = regenerate(series.patches, &overlay)?;
    let stale: Vec<&(String, String)> = wanted
        .iter()
        .filter(|(name, text)| series.on_disk.get(name) != Some(text))
        .collect();
    if check {
        if !stale.is_empty() {
            let names: Vec<&str> = stale.iter().map(|(n, _)| n.as_str()).collect();
            bail!(
                "patches/ and linux-overlay/ disagree in {}: run `cargo xtask series`",
                names.join(", ")
            );
        }
        eprintln!(
            "xtask: patches/ and linux-overlay/ agree ({} patches)",
            wanted.len()
        );
        return Ok(());
    }
    for (name, text) in &stale {
        std::fs::write(dir.join(name), text)?;
        eprintln!("xtask: rewrote patches/{name}");
    }
    if stale.is_empty() {
        eprintln!("xtask: series up to date ({} patches)", wanted.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Dev <dev@example.org>
Date: Fri, 27 Nov 2026 10:00:00 +0000
Subject: [PATCH 7/9] proc: add thing

Body.

Signed-off-by: Dev <dev@example.org>
---
 stale diffstat

diff --git a/fs/proc/Makefile b/fs/proc/Makefile
index 111111111111..222222222222 100644
--- a/fs/proc/Makefile
+++ b/fs/proc/Makefile
@@ -1,2 +1,3 @@
 a
+b
 c
diff --git a/fs/proc/thing.rs b/fs/proc/thing.rs
new file mode 100644
-- 
2.39.5

";

    fn overlay(files: &[(&str, &str)]) -> BTreeMap<String, (Vec<u8>, bool)> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), (c.as_bytes().to_vec(), false)))
            .collect()
    }

    #[test]
    fn series_parsing() {
        let names = parse_series("# c\n0001-a.patch\n\n0002-b.patch -p1 # x\n").unwrap();
        assert_eq!(names, ["0001-a.patch", "0002-b.patch"]);
        assert!(parse_series("0001-a.patch -p0\n").is_err());
        assert!(parse_series("0001-a.patch\n0001-a.patch\n").is_err());
        assert!(parse_series("../x.patch\n").is_err());
    }

    #[test]
    fn patch_parsing() {
        let p = Patch::parse("0007-x.patch", PATCH).unwrap();
        assert_eq!(p.sections.len(), 2);
        assert_eq!(p.sections[0].path, "fs/proc/Makefile");
        assert!(!p.sections[0].new_file);
        assert_eq!(p.sections[0].counts(), (1, 0));
        assert!(p.sections[1].new_file);
        assert_eq!(p.trailer, "-- \n2.39.5\n\n");
        assert!(p.header.ends_with("---\n"));
        assert!(Patch::parse("x", "diff --git a/a b/a\n").is_err());
    }

    #[test]
    fn regenerates_new_files_diffstat_and_numbering() {
        let p = Patch::parse("0007-x.patch", PATCH).unwrap();
        let out = regenerate(vec![p], &overlay(&[("fs/proc/thing.rs", "one\ntwo\n")])).unwrap();
        let text = &out[0].1;
        assert!(
            text.contains("Subject: [PATCH] proc: add thing\n"),
            "{text}"
        );
        assert!(
            text.contains("@@ -0,0 +1,2 @@\n+one\n+two\n-- \n"),
            "{text}"
        );
        assert!(
            text.contains(" fs/proc/Makefile | 1 +\n fs/proc/thing.rs | 2 ++\n"),
            "{text}"
        );
        assert!(
            text.contains(" 2 files changed, 3 insertions(+)\n"),
            "{text}"
        );
        // `git hash-object` of "one\ntwo\n".
        assert!(
            text.contains("index 000000000000..814f4a422927\n"),
            "{text}"
        );
        // Regenerating what was regenerated changes nothing.
        let again = Patch::parse("0007-x.patch", text).unwrap();
        let out2 = regenerate(vec![again], &overlay(&[("fs/proc/thing.rs", "one\ntwo\n")]));
        assert_eq!(&out2.unwrap()[0].1, text);
    }

    #[test]
    fn disagreements_are_errors() {
        let p = || vec![Patch::parse("0007-x.patch", PATCH).unwrap()];
        // The overlay lacks a file the series creates.
        let e = regenerate(p(), &overlay(&[])).unwrap_err().to_string();
        assert!(e.contains("linux-overlay/ lacks"), "{e}");
        // The overlay has a file no patch creates.
        let e = regenerate(
            p(),
            &overlay(&[("fs/proc/thing.rs", "a\n"), ("x.c", "b\n")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("linux-overlay/x.c is created by no patch"),
            "{e}"
        );
        // A file without its final newline cannot be a clean patch.
        assert!(regenerate(p(), &overlay(&[("fs/proc/thing.rs", "a")])).is_err());
    }

    #[test]
    fn diffstat_scales_wide_changes() {
        let mut text = String::from("diff --git a/f b/f\n@@ -0,0 +1,500 @@\n");
        for _ in 0..500 {
            text.push_str("+x\n");
        }
        let s = diffstat(&[Section {
            path: "f".into(),
            new_file: true,
            text,
        }]);
        let first = s.lines().next().unwrap();
        assert!(first.len() <= 72, "{first}");
        assert!(first.starts_with(" f | 500 +++"), "{first}");
    }
}
