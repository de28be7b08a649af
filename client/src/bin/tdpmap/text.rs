// SPDX-License-Identifier: MIT OR Apache-2.0

//! Text as pmap 4.0.2 prints it: the command line of its header (libproc2's
//! `fill_cmdline_cvt()`: `read_unvectored()` then `escape_str()`, or
//! `[comm]` when there is no command line), mapping names with invalid
//! multibyte sequences made `?` (its `mblen()` loop), and the locale's
//! character set, which decides both.

use std::env;

use unicode_width::UnicodeWidthChar;

use crate::locale;

/// The largest command line libproc2 reads, less its NUL.
const MAX_CMDLINE: usize = 128 * 1024 - 1;

/// Whether pmap runs in a UTF-8 locale: `setlocale(LC_ALL, "")` succeeds
/// (every category names `C`, `POSIX`, `C.UTF-8` or a locale `locale -a`
/// lists) and `LC_CTYPE`'s codeset is UTF-8; otherwise it stays in "C".
pub fn utf8_locale() -> bool {
    let names = locale::category_locales(|name| env::var(name).ok().filter(|v| !v.is_empty()));
    if !names.iter().all(|n| locale::builtin(n)) {
        let installed = locale::installed().unwrap_or_default();
        if !names
            .iter()
            .all(|n| locale::builtin(n) || installed.contains(n))
        {
            return false;
        }
    }
    locale::ctype_is_utf8(&names)
}

/// Appends `src` as libproc2's `escape_str()` does: in a UTF-8 locale
/// unprintable characters and invalid bytes become `?`; in the C locale
/// control characters and DEL become `.` and bytes above 127 `?`.
pub fn escape(src: &[u8], utf8: bool, dst: &mut Vec<u8>) {
    if !utf8 {
        dst.extend(src.iter().map(|&b| match b {
            0x20..=0x7e => b,
            0x00..=0x1f | 0x7f => b'.',
            _ => b'?',
        }));
        return;
    }
    for chunk in src.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() {
                dst.push(if c.is_ascii_graphic() || c == ' ' {
                    c as u8
                } else {
                    b'?'
                });
            } else if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
                || c.width().is_none()
            {
                dst.push(b'?');
            } else {
                let mut buf = [0u8; 4];
                dst.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        dst.extend(chunk.invalid().iter().map(|_| b'?'));
    }
}

/// The command shown in pmap's header `PID:   COMMAND`.
pub fn command(cmdline: &[u8], comm: &[u8], zombie: bool, utf8: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if cmdline.is_empty() {
        out.push(b'[');
        escape(comm, utf8, &mut out);
        out.push(b']');
        if zombie {
            out.extend_from_slice(b" <defunct>");
        }
    } else {
        let raw = &cmdline[..cmdline.len().min(MAX_CMDLINE)];
        let mut end = raw.len();
        while end > 0 && raw[end - 1] == 0 {
            end -= 1;
        }
        let mut joined: Vec<u8> = raw[..end]
            .iter()
            .map(|&b| if b == b'\n' || b == 0 { b' ' } else { b })
            .collect();
        if end == raw.len() && joined.last() == Some(&b' ') {
            joined.pop();
        }
        escape(&joined, utf8, &mut out);
    }
    if out.is_empty() {
        out.push(b'?');
    }
    out
}

/// A mapping name as pmap's `mblen()` loop leaves it: each byte that does
/// not start a valid character of the locale becomes `?`.
pub fn clean_name(name: &[u8], utf8: bool) -> Vec<u8> {
    if !utf8 {
        return name
            .iter()
            .map(|&b| if b < 0x80 { b } else { b'?' })
            .collect();
    }
    let mut out = Vec::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        out.extend(chunk.invalid().iter().map(|_| b'?'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(cmdline: &[u8], utf8: bool) -> String {
        String::from_utf8(command(cmdline, b"comm", false, utf8)).unwrap()
    }

    #[test]
    fn commands() {
        assert_eq!(cmd(b"sleep\x001000\x00", true), "sleep 1000");
        assert_eq!(cmd(b"a\nb\x00\x00c\x00\x00", true), "a b  c");
        assert_eq!(cmd(b"rewritten ", true), "rewritten");
        assert_eq!(cmd(b"rewritten\n", true), "rewritten");
        assert_eq!(cmd(b"x \x00", true), "x ");
        assert_eq!(cmd(b"\x00", true), "?");
        assert_eq!(cmd(b"t\tb\xc3\xa9\xff", true), "t?b\u{e9}?");
        assert_eq!(cmd(b"t\tb\xc3\xa9\x7f", false), "t.b??.");
        assert_eq!(command(b"", b"kthreadd", false, true), b"[kthreadd]");
        assert_eq!(command(b"", b"sh", true, true), b"[sh] <defunct>");
    }

    #[test]
    fn names() {
        assert_eq!(
            clean_name(b"/a/\xc3\xa9\xff\xe4\xb8", true),
            b"/a/\xc3\xa9???"
        );
        assert_eq!(clean_name(b"/a/\xc3\xa9\t", false), b"/a/??\t");
    }
}
