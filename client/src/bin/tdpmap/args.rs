// SPDX-License-Identifier: MIT OR Apache-2.0

//! The command line, read as pmap 4.0.2 reads it (getopt_long over
//! `xXrdqA:hVcC:nN:p`, options anywhere before `--`, pids as `strtoul(3)`
//! with base 0, `/proc/PID` accepted), and tdpmap's own
//! `--backend auto|task-diag|procfs`.

use task_diag::BackendChoice;

/// Which listing to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `pmap PID`: address, size, mode, mapping (from maps).
    Default,
    /// `pmap -x PID`: adds RSS and Dirty (from smaps).
    Extended,
    /// `pmap -X PID` (`all` false) and `pmap -XX PID` (`all` true): every
    /// numeric field of smaps (`-X` leaves out the page sizes, the
    /// Shared_/Private_ breakdown, AnonHugePages and VmFlags).
    Smaps {
        /// `-XX`: every field and the VmFlags column.
        all: bool,
    },
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The listing.
    pub format: Format,
    /// The pids, in the order given, repeats kept.
    pub pids: Vec<i32>,
    /// `--backend`: where the processes and their mappings are read
    /// (auto when not given).
    pub backend: BackendChoice,
}

/// A command line that cannot be run: the one-line message, without the
/// program's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(pub String);

/// Options of pmap 4.0.2 that take an argument.
const WITH_ARGUMENT: &[u8] = b"ACN";
/// Options of pmap 4.0.2 that tdpmap does not implement.
const UNSUPPORTED_SHORT: &[u8] = b"dqAhVcCnNp";
/// The long options tdpmap takes: pmap's `--extended`, and `--backend`,
/// which takes an argument.
const SUPPORTED_LONG: [&str; 2] = ["extended", "backend"];

/// Long options of pmap 4.0.2 other than `--extended`, with whether they
/// take an argument.
const UNSUPPORTED_LONG: &[(&str, bool)] = &[
    ("device", false),
    ("quiet", false),
    ("range", true),
    ("help", false),
    ("version", false),
    ("read-rc", false),
    ("read-rc-from", true),
    ("create-rc", false),
    ("create-rc-to", true),
    ("show-path", false),
];

/// `strtoul(s, &end, 0)` that must consume all of `s`: decimal, `0x` hex
/// or `0` octal, no sign (pmap takes only arguments that start with a digit).
fn strtoul0(s: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (hex, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // An overflow is ULONG_MAX for strtoul: out of range all the same.
    Some(u64::from_str_radix(digits, radix).unwrap_or(u64::MAX))
}

/// The pid of one argument: `None` for a `/proc/...` argument pmap skips.
fn pid_of(arg: &str) -> Result<Option<i32>, ArgError> {
    let mut walk = arg;
    if let Some(rest) = walk.strip_prefix("/proc/") {
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(None);
        }
        walk = rest;
    }
    let invalid = || ArgError(format!("invalid process id: {arg}"));
    if !walk.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid());
    }
    match strtoul0(walk) {
        Some(pid @ 1..=0x7fff_ffff) => Ok(Some(pid as i32)),
        _ => Err(invalid()),
    }
}

/// The backend named by the argument of `--backend`.
fn backend_of(value: &str) -> Result<BackendChoice, ArgError> {
    match value {
        "auto" => Ok(BackendChoice::Auto),
        "task-diag" | "task_diag" => Ok(BackendChoice::TaskDiag),
        "procfs" => Ok(BackendChoice::Procfs),
        _ => Err(ArgError(format!(
            "unknown backend {value:?}: use auto, task-diag or procfs"
        ))),
    }
}

/// Reads the arguments after the program's name.
pub fn parse<I, S>(args: I) -> Result<Options, ArgError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    if args.is_empty() {
        return Err(ArgError("no process id given".into()));
    }
    let mut x = false;
    let mut big_x = 0u32;
    let mut backend = BackendChoice::Auto;
    let mut operands = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            operands.extend(iter.by_ref().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let mut matches: Vec<&str> = SUPPORTED_LONG
                .into_iter()
                .chain(UNSUPPORTED_LONG.iter().map(|(n, _)| *n))
                .filter(|n| n.starts_with(name))
                .collect();
            if let Some(exact) = matches.iter().position(|n| *n == name) {
                matches = vec![matches[exact]];
            }
            match matches[..] {
                ["extended"] if value.is_none() => x = true,
                ["extended"] => {
                    return Err(ArgError(
                        "option '--extended' doesn't allow an argument".into(),
                    ))
                }
                ["backend"] => {
                    let value = match value {
                        Some(v) => v,
                        None => iter.next().ok_or_else(|| {
                            ArgError("option '--backend' requires an argument".into())
                        })?,
                    };
                    backend = backend_of(value)?;
                }
                [one] => return Err(ArgError(format!("unsupported option: --{one}"))),
                [] => return Err(ArgError(format!("unrecognized option: {arg}"))),
                _ => return Err(ArgError(format!("option '{arg}' is ambiguous"))),
            }
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            for c in arg[1..].bytes() {
                match c {
                    b'x' => x = true,
                    b'X' => big_x += 1,
                    b'r' => eprintln!("tdpmap: option -r is ignored as SunOS compatibility"),
                    c if UNSUPPORTED_SHORT.contains(&c) => {
                        return Err(ArgError(format!("unsupported option: -{}", c as char)))
                    }
                    c => {
                        return Err(ArgError(format!(
                            "invalid option -- '{}'",
                            char::from(c).escape_default()
                        )))
                    }
                }
                if WITH_ARGUMENT.contains(&c) {
                    break;
                }
            }
            continue;
        }
        operands.push(arg.clone());
    }
    if x && big_x > 0 {
        return Err(ArgError(
            "options -c, -C, -d, -n, -N, -x, -X are mutually exclusive".into(),
        ));
    }
    let mut pids = Vec::new();
    for arg in &operands {
        if let Some(pid) = pid_of(arg)? {
            pids.push(pid);
        }
    }
    if operands.is_empty() {
        return Err(ArgError("argument missing".into()));
    }
    let format = match (x, big_x) {
        (true, _) => Format::Extended,
        (false, 0) => Format::Default,
        (false, 1) => Format::Smaps { all: false },
        (false, _) => Format::Smaps { all: true },
    };
    Ok(Options {
        format,
        pids,
        backend,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(args: &[&str]) -> Options {
        parse(args).unwrap()
    }

    fn err(args: &[&str]) -> String {
        parse(args).unwrap_err().0
    }

    #[test]
    fn formats_and_pids() {
        assert_eq!(
            ok(&["12", "7", "12"]),
            Options {
                format: Format::Default,
                pids: vec![12, 7, 12],
                backend: BackendChoice::Auto,
            }
        );
        assert_eq!(ok(&["-x", "1"]).format, Format::Extended);
        assert_eq!(ok(&["1", "--extended"]).format, Format::Extended);
        assert_eq!(ok(&["--ext", "1"]).format, Format::Extended);
        assert_eq!(ok(&["-X", "1"]).format, Format::Smaps { all: false });
        assert_eq!(ok(&["-XX", "1"]).format, Format::Smaps { all: true });
        assert_eq!(ok(&["-X", "1", "-X"]).format, Format::Smaps { all: true });
        assert_eq!(ok(&["-r", "1"]).format, Format::Default);
        assert_eq!(ok(&["--", "3"]).pids, vec![3]);
        assert_eq!(err(&["--", "-1"]), "invalid process id: -1");
        assert_eq!(
            ok(&["/proc/42", "/proc/self", "0x10", "010"]).pids,
            vec![42, 16, 8]
        );
        assert_eq!(ok(&["2147483647"]).pids, vec![i32::MAX]);
    }

    #[test]
    fn backends() {
        assert_eq!(ok(&["1"]).backend, BackendChoice::Auto);
        assert_eq!(
            ok(&["--backend", "task-diag", "-x", "1"]).backend,
            BackendChoice::TaskDiag
        );
        assert_eq!(
            ok(&["1", "--backend=procfs"]).backend,
            BackendChoice::Procfs
        );
        assert_eq!(
            ok(&["--back=task_diag", "1"]).backend,
            BackendChoice::TaskDiag
        );
        let last = ok(&["--backend", "procfs", "--backend", "auto", "7"]);
        assert_eq!((last.backend, last.pids), (BackendChoice::Auto, vec![7]));
        // The pid after it is not taken for its argument.
        assert_eq!(
            err(&["--backend", "12"]),
            "unknown backend \"12\": use auto, task-diag or procfs"
        );
        assert_eq!(
            err(&["1", "--backend"]),
            "option '--backend' requires an argument"
        );
        assert_eq!(
            err(&["--backend=", "1"]),
            "unknown backend \"\": use auto, task-diag or procfs"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(err(&[]), "no process id given");
        assert_eq!(err(&["-x"]), "argument missing");
        assert_eq!(err(&["-d", "1"]), "unsupported option: -d");
        assert_eq!(err(&["-xq", "1"]), "unsupported option: -q");
        assert_eq!(err(&["--quiet", "1"]), "unsupported option: --quiet");
        assert_eq!(err(&["--range=1,2", "1"]), "unsupported option: --range");
        assert_eq!(err(&["--read", "1"]), "option '--read' is ambiguous");
        assert_eq!(err(&["--bogus", "1"]), "unrecognized option: --bogus");
        assert_eq!(err(&["-k", "1"]), "invalid option -- 'k'");
        assert_eq!(
            err(&["-x", "-X", "1"]),
            "options -c, -C, -d, -n, -N, -x, -X are mutually exclusive"
        );
        for bad in [
            "0",
            "abc",
            "12a",
            "08",
            "0x",
            "2147483648",
            "99999999999999999999999",
            "-",
        ] {
            assert_eq!(err(&[bad]), format!("invalid process id: {bad}"));
        }
    }
}
