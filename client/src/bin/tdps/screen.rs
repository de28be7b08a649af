// SPDX-License-Identifier: MIT OR Apache-2.0

//! The environment procps `ps` formats for: the screen width and the
//! character set of the locale.

use std::env;
use std::io::IsTerminal;
use std::os::fd::AsFd;

use rustix::fs::{Mode, OFlags};

use crate::locale;

/// procps' OUTBUF_SIZE: the width of the "screen" when output is not a
/// terminal, and the limit of any width.
pub const OUTBUF_SIZE: i64 = 2 * 64 * 1024;

/// The size of the terminal of `fd`, if it is one and reports a size.
fn winsize(fd: impl AsFd) -> Option<(i64, i64)> {
    let ws = rustix::termios::tcgetwinsize(fd).ok()?;
    (ws.ws_col > 0 && ws.ws_row > 0).then(|| (i64::from(ws.ws_col), i64::from(ws.ws_row)))
}

/// A positive number below [`OUTBUF_SIZE`] from the environment variable
/// `name` (`strtol(..., 0)` over the whole value).
fn env_size(name: &str) -> Option<i64> {
    let value = env::var_os(name)?;
    let value = crate::args::c_number(value.as_encoded_bytes())?;
    (value > 0 && value < i128::from(OUTBUF_SIZE)).then_some(value as i64)
}

/// The screen as procps' set_screen_size() sees it: the size of the
/// terminal of standard output, error, input or `/dev/tty`, else 80x24;
/// any width when standard output is not a terminal; then `COLUMNS` and
/// `LINES`. Warns, as procps does, of a screen too small.
pub fn screen_size() -> (i64, i64) {
    let (mut cols, mut rows) = winsize(std::io::stdout())
        .or_else(|| winsize(std::io::stderr()))
        .or_else(|| winsize(std::io::stdin()))
        .or_else(|| {
            let tty = rustix::fs::open(
                "/dev/tty",
                OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::RDONLY,
                Mode::empty(),
            )
            .ok()?;
            winsize(tty)
        })
        .unwrap_or((80, 24));
    if !std::io::stdout().is_terminal() {
        cols = OUTBUF_SIZE;
    }
    if let Some(c) = env_size("COLUMNS") {
        cols = c;
    }
    if let Some(r) = env_size("LINES") {
        rows = r;
    }
    if cols < 9 || rows < 2 {
        eprintln!("your {cols}x{rows} screen size is bogus. expect trouble");
    }
    (cols, rows)
}

fn non_empty(name: &str) -> Option<String> {
    env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(|v| v.to_string_lossy().into_owned())
}

/// Whether `ps` would run in a UTF-8 locale: `setlocale(LC_ALL, "")`
/// succeeds (every category names an installed locale) and the codeset of
/// `LC_CTYPE` is UTF-8. Otherwise `ps` stays in the C locale.
///
/// The installed locales are asked of `locale -a` only when a category
/// names something other than `C`, `POSIX` or `C.UTF-8`.
pub fn utf8_locale() -> bool {
    let names = locale::category_locales(non_empty);
    if !names.iter().all(|n| locale::builtin(n)) {
        if let Some(installed) = locale::installed() {
            if !names
                .iter()
                .all(|n| locale::builtin(n) || installed.contains(n))
            {
                return false;
            }
        }
    }
    locale::ctype_is_utf8(&names)
}
