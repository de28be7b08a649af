// SPDX-License-Identifier: MIT OR Apache-2.0

//! Terminal names from device numbers, as procps' dev_to_tty() shows them
//! with the `/dev/` prefix dropped: `pts/3`, `tty1`, `ttyS0`, `?` for none.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::fs::MetadataExt;

/// The major and minor numbers of a `tty_nr` (`new_encode_dev()`).
pub fn decode(tty_nr: u32) -> (u32, u32) {
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    (major, minor)
}

/// The name of the well-known terminal devices, without `/dev/`.
pub fn known_name(tty_nr: u32) -> Option<String> {
    let (major, minor) = decode(tty_nr);
    Some(match major {
        136..=143 => format!("pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        5 if minor == 1 => "console".to_owned(),
        5 if minor == 0 => "tty".to_owned(),
        _ => return None,
    })
}

/// A cache of terminal names.
#[derive(Debug, Default)]
pub struct Ttys {
    names: HashMap<u32, String>,
}

impl Ttys {
    /// The name of terminal `tty_nr`: `?` for none; a well-known device by
    /// its name; another by the character device of `/dev` with its
    /// number, else as `major,minor`.
    pub fn name(&mut self, tty_nr: u32) -> &str {
        self.names.entry(tty_nr).or_insert_with(|| {
            if tty_nr == 0 {
                return "?".to_owned();
            }
            known_name(tty_nr)
                .or_else(|| search_dev(tty_nr))
                .unwrap_or_else(|| {
                    let (major, minor) = decode(tty_nr);
                    format!("{major},{minor}")
                })
        })
    }
}

/// The character device of `/dev` whose number is `tty_nr`.
fn search_dev(tty_nr: u32) -> Option<String> {
    let (major, minor) = decode(tty_nr);
    let want = rustix::fs::makedev(major, minor);
    fs::read_dir("/dev").ok()?.flatten().find_map(|entry| {
        let meta = entry.metadata().ok()?;
        (meta.file_type().is_char_device() && meta.rdev() == want)
            .then(|| entry.file_name().to_string_lossy().into_owned())
    })
}

/// The device number of the terminal named `name` (`pts/1`, `/dev/tty1`,
/// `tty1`), as `tty_nr` encodes it, for `-t`.
pub fn number_of(name: &[u8]) -> Option<u32> {
    let name = std::str::from_utf8(name).ok()?;
    let path = if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/dev/{name}")
    };
    let meta = fs::metadata(&path)
        .or_else(|_| fs::metadata(format!("/dev/tty{name}")))
        .ok()?;
    if !meta.file_type().is_char_device() {
        return None;
    }
    let rdev = meta.rdev();
    let (major, minor) = (rustix::fs::major(rdev), rustix::fs::minor(rdev));
    Some((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_numbers() {
        assert_eq!(known_name(34816).as_deref(), Some("pts/0"));
        assert_eq!(known_name((136 << 8) | 5).as_deref(), Some("pts/5"));
        assert_eq!(known_name((137 << 8) | 1).as_deref(), Some("pts/257"));
        assert_eq!(known_name(1025).as_deref(), Some("tty1"));
        assert_eq!(known_name((4 << 8) | 64).as_deref(), Some("ttyS0"));
        let mut ttys = Ttys::default();
        assert_eq!(ttys.name(0), "?");
        assert_eq!(ttys.name(1025), "tty1");
        // minor 300 of major 136: its high bits go above bit 19.
        let nr = (300 & 0xff) | (136 << 8) | ((300 & !0xff) << 12);
        assert_eq!(decode(nr), (136, 300));
    }
}
