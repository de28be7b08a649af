// SPDX-License-Identifier: MIT OR Apache-2.0

//! The forest views, BSD `f` and `--forest` (ASCII art) and UNIX `-H`
//! (indentation), as procps 4.0 builds them (its prep_forest_sort(),
//! show_forest(), show_tree() and forest_helper()).
//!
//! The selected processes are sorted by parent, then by start time; with
//! `--sort` keys, by those and then by start time, not by parent (procps
//! 4.0.2 puts the parent key where its sorts, made one key at a time from
//! the least significant, take the `--sort` keys as more significant, so
//! that the children of a process are found only where they happen to
//! follow each other, and the trees come out cut). The roots are the
//! processes whose
//! parent is not listed, taken from the last to the first; under each,
//! its children in that order, depth first. The children of pid 1 are
//! one level deeper than it with `-H` only: with art, they stand at its
//! level (procps' ADOPTED()). Before the command of a process at depth D
//! come D units of art: for each ancestor below the root, `" |  "` when
//! that ancestor has a later sibling, else `"    "`, then `" \_ "` for
//! the process itself (`-H`: two spaces each). A unit is shown only
//! whole: the art is cut to the units that fit the column.

#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};

use task_diag::Task;

use crate::args::SortKey;
use crate::columns::known;

/// How the tree is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// BSD `f`, `--forest`: `" \_ "` and `" |  "` (procps' forest_type `b`).
    Art,
    /// UNIX `-H`: two spaces a level (procps' forest_type `u`).
    Indent,
}

impl Style {
    /// The cells of one level.
    fn unit(self) -> usize {
        match self {
            Self::Art => 4,
            Self::Indent => 2,
        }
    }

    /// The depth of the children of `pid` at `depth`.
    fn below(self, pid: i32, depth: usize) -> usize {
        match self {
            Self::Art if pid == 1 => depth,
            _ => depth + 1,
        }
    }

    /// The art of one level: the process itself (`last` when it has no
    /// later sibling), or an ancestor's column (`last`: no later sibling).
    fn draw(self, own: bool, last: bool) -> &'static [u8] {
        match (self, own, last) {
            (Self::Indent, _, _) => b"  ",
            (Self::Art, true, _) => b" \\_ ",
            (Self::Art, false, false) => b" |  ",
            (Self::Art, false, true) => b"    ",
        }
    }
}

/// The art before a command: whole units of some cells each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Art<'a> {
    text: &'a [u8],
    unit: usize,
}

impl Art<'_> {
    /// No art: outside the forest views, and for roots.
    pub const NONE: Art<'static> = Art { text: b"", unit: 1 };

    /// The units of the art that fit in `cells`.
    pub fn fit(&self, cells: usize) -> &[u8] {
        let units = (self.text.len() / self.unit).min(cells / self.unit);
        &self.text[..units * self.unit]
    }
}

/// The sort keys of a forest view, first the most significant (procps
/// 4.0.2's prep_forest_sort()): the parent's pid then the start time
/// without `keys`; else `keys` then the start time.
pub fn sort_keys(mut keys: Vec<SortKey>) -> Vec<SortKey> {
    let by = |name| SortKey {
        spec: known(name),
        reverse: false,
    };
    if keys.is_empty() {
        keys.push(by("ppid"));
    }
    keys.push(by("start_time"));
    keys
}

/// Calls `show` with each of `tasks` (sorted by [`sort_keys`]) in the
/// order of the forest, and the art before its command.
pub fn walk(tasks: &[Task], style: Style, mut show: impl FnMut(&Task, Art<'_>)) {
    let listed: HashSet<i32> = tasks.iter().map(|t| t.pid).collect();
    // The children of a pid: the first run of tasks with it as parent.
    let mut children: HashMap<i32, (usize, usize)> = HashMap::new();
    let mut start = 0;
    for i in 1..=tasks.len() {
        if i == tasks.len() || tasks[i].ppid != tasks[start].ppid {
            children.entry(tasks[start].ppid).or_insert((start, i));
            start = i;
        }
    }
    // Per level below the root, whether that ancestor (or the task
    // itself, last) has no later sibling.
    let mut lasts: Vec<bool> = Vec::new();
    let mut art: Vec<u8> = Vec::new();
    // Tasks to show: (index, depth, has no later sibling).
    let mut pending: Vec<(usize, usize, bool)> = Vec::new();
    for root in (0..tasks.len()).rev() {
        if listed.contains(&tasks[root].ppid) {
            continue;
        }
        pending.push((root, 0, true));
        while let Some((i, depth, last)) = pending.pop() {
            lasts.truncate(depth.saturating_sub(1));
            if depth > 0 {
                lasts.push(last);
            }
            art.clear();
            for (level, &last) in lasts.iter().enumerate() {
                art.extend_from_slice(style.draw(level + 1 == lasts.len(), last));
            }
            show(
                &tasks[i],
                Art {
                    text: &art,
                    unit: style.unit(),
                },
            );
            if let Some(&(first, end)) = children.get(&tasks[i].pid) {
                let below = style.below(tasks[i].pid, depth);
                for child in (first..end).rev() {
                    pending.push((child, below, child + 1 == end));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use task_diag::{Comm, TaskState};

    fn task(pid: i32, ppid: i32) -> Task {
        Task::new(
            pid,
            pid,
            ppid,
            0,
            pid,
            pid,
            TaskState::Interruptible,
            Comm::new(b"x"),
        )
    }

    fn lines(tasks: &[Task], style: Style, cells: usize) -> Vec<String> {
        let mut out = Vec::new();
        walk(tasks, style, |t, art| {
            out.push(format!(
                "{}{}",
                String::from_utf8_lossy(art.fit(cells)),
                t.pid
            ));
        });
        out
    }

    #[test]
    fn draws_like_procps() {
        // Sorted by parent: 1 and 2 are roots, 1 has 10 and 11, 10 has
        // 12, 11 has 13; 14's parent is not listed.
        let tasks = [
            task(1, 0),
            task(2, 0),
            task(10, 1),
            task(11, 1),
            task(3, 2),
            task(12, 10),
            task(13, 11),
            task(14, 99),
        ];
        // With art, the children of 1 stand at its level.
        assert_eq!(
            lines(&tasks, Style::Art, 100),
            ["14", "2", " \\_ 3", "1", "10", " \\_ 12", "11", " \\_ 13"]
        );
        assert_eq!(
            lines(&tasks, Style::Indent, 100)[4..],
            ["  10", "    12", "  11", "    13"]
        );
        // Below another root: 20 has 21 and 22, 21 has 23 and 24.
        let tasks = [
            task(20, 0),
            task(21, 20),
            task(22, 20),
            task(23, 21),
            task(24, 21),
        ];
        assert_eq!(
            lines(&tasks, Style::Art, 100),
            ["20", " \\_ 21", " |   \\_ 23", " |   \\_ 24", " \\_ 22",]
        );
        // Only whole units: 7 cells hold one.
        assert_eq!(lines(&tasks, Style::Art, 7)[3], " |  24");
        assert_eq!(lines(&tasks, Style::Indent, 3)[3], "  24");
    }

    #[test]
    fn keys_like_procps() {
        let names = |keys: Vec<SortKey>| -> Vec<(&str, bool)> {
            sort_keys(keys)
                .iter()
                .map(|k| (k.spec.name, k.reverse))
                .collect()
        };
        assert_eq!(names(Vec::new()), [("ppid", false), ("start_time", false)]);
        let pid = SortKey {
            spec: known("pid"),
            reverse: true,
        };
        assert_eq!(names(vec![pid]), [("pid", true), ("start_time", false)]);
    }
}
