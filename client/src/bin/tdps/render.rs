// SPDX-License-Identifier: MIT OR Apache-2.0

//! Lines as procps `ps` 4.0 lays them out (its show_one_proc()), and
//! command names as it escapes them (its escape_str()).
//!
//! Each column has a width. A right-aligned column is padded on its left to
//! its width; a left-aligned one is not padded, the next column makes up
//! the difference; columns are separated by one space. The command name,
//! when not last, is cut to its width; when last, to what is left of the
//! screen (any width when output is not a terminal). A column that ran
//! wider than its width pushes the next ones right, and the next columns
//! take the space back when they can.

use task_diag::Task;
use unicode_width::UnicodeWidthChar;

use crate::columns::{ColumnSpec, Field, Just};
use crate::forest::Art;
use crate::screen::OUTBUF_SIZE;
use crate::values::{self, Context};

/// procps' SPACE_AMOUNT: the most spaces before a column.
const SPACE_AMOUNT: i64 = 144;

/// One column, its width known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// What it shows.
    pub field: Field,
    /// Its header.
    pub header: Vec<u8>,
    /// Its width.
    pub width: i64,
    /// Its alignment.
    pub just: Just,
}

/// The columns of a listing and the screen width they are laid out in.
#[derive(Debug, Clone)]
pub struct Layout {
    columns: Vec<Column>,
    active_cols: i64,
    /// The text of the column being laid out.
    cell: Vec<u8>,
}

impl Layout {
    /// The layout of `specs` with pid columns `pid_len` wide, on a screen
    /// `screen_cols` wide.
    pub fn new(specs: &[ColumnSpec], pid_len: usize, screen_cols: i64) -> Self {
        let columns: Vec<Column> = specs
            .iter()
            .map(|spec| Column {
                field: spec.spec.field,
                header: spec.header().to_vec(),
                width: i64::try_from(spec.width(pid_len)).unwrap_or(i64::MAX),
                just: spec.spec.just,
            })
            .collect();
        // procps' check_header_width(): the least width of a line, and the
        // multiple of the screen width that holds it.
        let mut total: i64 = 0;
        let mut was_normal = 0;
        for (i, column) in columns.iter().enumerate() {
            let last = i + 1 == columns.len();
            total += match column.just {
                Just::Unlimited if last => 3,
                _ => column.width,
            };
            total += was_normal;
            was_normal = 1;
        }
        let screen_cols = screen_cols.max(1);
        let mut active_cols = screen_cols;
        let mut i = 1;
        while active_cols < total && screen_cols * i < OUTBUF_SIZE / 2 {
            i += 1;
            active_cols = screen_cols * i;
        }
        Self {
            columns,
            active_cols,
            cell: Vec::new(),
        }
    }

    /// Whether a header line is printed at all: not when every header is
    /// empty.
    pub fn has_header(&self) -> bool {
        self.columns.iter().any(|c| !c.header.is_empty())
    }

    /// Appends the header line to `out`.
    pub fn header(&mut self, out: &mut Vec<u8>) {
        self.line(out, |column, _, cell| {
            cell.extend_from_slice(&column.header);
            column.header.len()
        });
    }

    /// Appends the line of `task` to `out`, `art` (the forest's) before
    /// its command, as much of it as fits the command's column.
    pub fn row(&mut self, task: &Task, art: Art<'_>, ctx: &mut Context, out: &mut Vec<u8>) {
        self.line(out, |column, max_cells, cell| {
            values::cell(column.field, task, ctx, max_cells, art.fit(max_cells), cell)
        });
    }

    /// Lays out one line: `fill` puts a column's text in the buffer given,
    /// cut to the cells given, and returns its width in cells.
    fn line(
        &mut self,
        out: &mut Vec<u8>,
        mut fill: impl FnMut(&Column, usize, &mut Vec<u8>) -> usize,
    ) {
        let mut correct: i64 = 0; // where the line should be
        let mut actual: i64 = 0; // where it is
        let mut dospace: i64 = 0; // whether a space is owed
        let count = self.columns.len();
        for (i, column) in self.columns.iter().enumerate() {
            let last = i + 1 == count;
            let (mut max_rightward, tmpspace) = if !last {
                (column.width, 0)
            } else if correct - actual < 1 {
                (self.active_cols - actual - dospace, dospace)
            } else {
                (self.active_cols - correct.max(actual), correct - actual)
            };
            max_rightward = max_rightward.clamp(0, OUTBUF_SIZE - 1);

            self.cell.clear();
            let amount = fill(
                column,
                usize::try_from(max_rightward).unwrap_or(0),
                &mut self.cell,
            );
            let amount = i64::try_from(amount)
                .unwrap_or(i64::MAX)
                .min(OUTBUF_SIZE - 1);
            let leftpad = match column.just {
                Just::Right => (column.width - amount).max(0),
                Just::Left => 0,
                Just::Unlimited => {
                    if self.active_cols - actual - tmpspace < 1 {
                        self.cell.truncate(1);
                    }
                    0
                }
            };
            let mut space = correct - actual + leftpad;
            if space < 1 {
                space = dospace;
            }
            let space = space.min(SPACE_AMOUNT);
            out.extend(std::iter::repeat_n(
                b' ',
                usize::try_from(space).unwrap_or(0),
            ));
            out.extend_from_slice(&self.cell);
            if last {
                out.push(b'\n');
                break;
            }
            actual += space + amount;
            correct += column.width + 1;
            dospace = 1;
        }
    }
}

/// Appends `src` to `dst` as procps' escape_str() does, in at most `*cells`
/// screen cells, and takes the cells used from `*cells`.
///
/// In a UTF-8 locale, printable characters are copied, each invalid byte
/// and each unprintable character becomes `?`, and a wide character that
/// does not fit ends the text. Otherwise (the C locale) control characters
/// and DEL become `.`, bytes above 127 `?`.
pub fn escape(src: &[u8], cells: &mut usize, utf8: bool, dst: &mut Vec<u8>) {
    let mut used = 0usize;
    if !utf8 {
        for &b in src {
            if used >= *cells {
                break;
            }
            dst.push(match b {
                0x20..=0x7e => b,
                0x00..=0x1f | 0x7f => b'.',
                _ => b'?',
            });
            used += 1;
        }
        *cells -= used;
        return;
    }
    'chunks: for chunk in src.utf8_chunks() {
        for c in chunk.valid().chars() {
            if used >= *cells {
                break 'chunks;
            }
            if c.is_ascii() {
                dst.push(if c.is_ascii_graphic() || c == ' ' {
                    c as u8
                } else {
                    b'?'
                });
                used += 1;
            } else if !printable(c) {
                dst.push(b'?');
                used += 1;
            } else {
                let width = c.width().unwrap_or(0);
                if width > *cells - used {
                    break 'chunks;
                }
                let mut utf8_buf = [0u8; 4];
                dst.extend_from_slice(c.encode_utf8(&mut utf8_buf).as_bytes());
                used += width;
            }
        }
        for _ in chunk.invalid() {
            if used >= *cells {
                break 'chunks;
            }
            dst.push(b'?');
            used += 1;
        }
    }
    *cells -= used;
}

/// Whether a non-ASCII character is printable (glibc's `iswprint()`, near
/// enough: not a control, separator of lines or paragraphs, or unassigned
/// private character).
fn printable(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::parse_format;
    use task_diag::{Comm, TaskState};

    fn escaped(src: &[u8], cells: usize, utf8: bool) -> (String, usize) {
        let mut left = cells;
        let mut out = Vec::new();
        escape(src, &mut left, utf8, &mut out);
        (String::from_utf8_lossy(&out).into_owned(), cells - left)
    }

    #[test]
    fn escapes_like_procps() {
        // What procps 4.0.2 prints for the name a\tb\x01c\u{e9}d\x7fe\xff\xe2\x82.
        let name = b"a\tb\x01c\xc3\xa9d\x7fe\xff\xe2\x82";
        assert_eq!(escaped(name, 100, true), ("a?b?c\u{e9}d?e???".into(), 12));
        assert_eq!(escaped(name, 100, false), ("a.b.c??d.e???".into(), 13));
        assert_eq!(escaped(name, 4, true), ("a?b?".into(), 4));
        assert_eq!(
            escaped(b"\xe4\xb8\xad\xe6\x96\x87", 3, true),
            ("\u{4e2d}".into(), 2)
        );
        assert_eq!(escaped(b"abc", 0, true), (String::new(), 0));
    }

    fn task(pid: i32, ppid: i32, state: TaskState, comm: &[u8]) -> Task {
        Task::new(pid, pid, ppid, 0, pid, pid, state, Comm::new(comm))
    }

    fn lines(format: &str, cols: i64, tasks: &[Task]) -> String {
        let specs = parse_format(format.as_bytes()).unwrap();
        let mut layout = Layout::new(&specs, 5, cols);
        let mut ctx = Context {
            sys: crate::system::System::read(),
            names: Default::default(),
            ttys: Default::default(),
            utf8: true,
            unix_f: false,
            bsd_c: false,
            times: Default::default(),
        };
        let mut out = Vec::new();
        if layout.has_header() {
            layout.header(&mut out);
        }
        for t in tasks {
            layout.row(t, Art::NONE, &mut ctx, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn layouts_like_procps() {
        let init = task(1, 0, TaskState::Interruptible, b"process_api");
        let pool = task(3, 2, TaskState::Idle, b"pool_workqueue_release");
        let wide = OUTBUF_SIZE;
        // All checked against procps 4.0.2.
        assert_eq!(
            lines("pid,comm", wide, std::slice::from_ref(&init)),
            "  PID COMMAND\n    1 process_api\n"
        );
        assert_eq!(
            lines("pid,comm", 12, &[init.clone(), pool.clone()]),
            "  PID COMMAND\n    1 proces\n    3 pool_w\n"
        );
        assert_eq!(
            lines("pid,comm", 8, &[init.clone(), pool.clone()]),
            "  PID COMMAND\n    1 process_ap\n    3 pool_workq\n"
        );
        assert_eq!(
            lines("pid,ppid,comm", 8, &[init.clone(), pool.clone()]),
            "  PID  PPID COMMAND\n    1     0 proc\n    3     2 pool\n"
        );
        assert_eq!(
            lines("comm,pid", wide, &[init.clone(), pool.clone()]),
            "COMMAND           PID\nprocess_api         1\npool_workqueue_     3\n"
        );
        assert_eq!(
            lines("s,pid,comm=X", wide, std::slice::from_ref(&init)),
            "S   PID X\nS     1 process_api\n"
        );
        assert_eq!(
            lines("pid=,comm=", wide, std::slice::from_ref(&init)),
            "    1 process_api\n"
        );
        assert_eq!(
            lines("pid=,comm=A", wide, std::slice::from_ref(&init)),
            "      A\n    1 process_api\n"
        );
        assert_eq!(
            lines("pid:8,comm", wide, std::slice::from_ref(&init)),
            "     PID COMMAND\n       1 process_api\n"
        );
        assert_eq!(
            lines("pid=PROCESS,comm", wide, std::slice::from_ref(&init)),
            "PROCESS COMMAND\n      1 process_api\n"
        );
        let zombie = task(9, 1, TaskState::Zombie, b"sh");
        assert_eq!(
            lines("comm,s", wide, &[zombie]),
            "COMMAND         S\nsh              Z\n"
        );
    }
}
