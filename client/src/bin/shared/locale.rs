// SPDX-License-Identifier: MIT OR Apache-2.0

//! What `setlocale(LC_ALL, "")` makes of the environment, for the tools
//! (`tdps`, `tdpmap`) whose output depends on the locale's character set:
//! the locale each category names, whether glibc knows it, and whether
//! `LC_CTYPE`'s codeset is UTF-8. Each binary includes this file as its
//! module `locale` and decides how to read the environment and what to do
//! when `locale -a` cannot be asked.

use std::process::{Command, Stdio};

/// The categories `setlocale(LC_ALL, "")` sets, each of which must name an
/// installed locale for it to succeed; `LC_CTYPE` first.
const CATEGORIES: [&str; 12] = [
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
];

/// A locale name with its codeset normalised as glibc does
/// (`en_US.UTF-8` and `en_US.utf8` are one locale).
pub fn normalise(name: &str) -> String {
    let (base, modifier) = name
        .split_once('@')
        .map_or((name, None), |(b, m)| (b, Some(m)));
    let mut out = match base.split_once('.') {
        Some((lang, codeset)) => {
            let codeset: String = codeset
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect();
            format!("{lang}.{codeset}")
        }
        None => base.to_owned(),
    };
    if let Some(modifier) = modifier {
        out.push('@');
        out.push_str(modifier);
    }
    out
}

/// Whether glibc knows the (normalised) locale without any file.
pub fn builtin(normalised: &str) -> bool {
    matches!(normalised, "C" | "POSIX" | "C.utf8")
}

/// The normalised locale of each category, `LC_CTYPE` first: `LC_ALL`,
/// else the category's variable, else `LANG`, else `C`, as `get` (which
/// answers `None` for an unset or empty variable) reads them.
pub fn category_locales(get: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let (lc_all, lang) = (get("LC_ALL"), get("LANG"));
    CATEGORIES
        .iter()
        .map(|cat| {
            normalise(
                &lc_all
                    .clone()
                    .or_else(|| get(cat))
                    .or_else(|| lang.clone())
                    .unwrap_or_else(|| "C".to_owned()),
            )
        })
        .collect()
}

/// The installed locales as `locale -a` lists them, normalised; `None`
/// when it cannot be run or fails.
pub fn installed() -> Option<Vec<String>> {
    let out = Command::new("locale")
        .arg("-a")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(normalise)
            .collect(),
    )
}

/// Whether the first of `locales` (`LC_CTYPE`'s, normalised) has the
/// UTF-8 codeset.
pub fn ctype_is_utf8(locales: &[String]) -> bool {
    locales.first().is_some_and(|ctype| {
        ctype
            .split_once('.')
            .is_some_and(|(_, codeset)| codeset.split('@').next() == Some("utf8"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names() {
        assert_eq!(normalise("en_US.UTF-8"), "en_US.utf8");
        assert_eq!(normalise("C.UTF-8"), "C.utf8");
        assert_eq!(normalise("de_DE.ISO-8859-15@euro"), "de_DE.iso885915@euro");
        assert_eq!(normalise("POSIX"), "POSIX");
        assert_eq!(normalise("en_US.UTF-8@euro"), "en_US.utf8@euro");
        assert_eq!(normalise("C"), "C");
        assert!(builtin(&normalise("C.utf8")));
        assert!(!builtin(&normalise("en_US.UTF-8")));
    }
}
