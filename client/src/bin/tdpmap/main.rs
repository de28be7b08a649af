// SPDX-License-Identifier: MIT OR Apache-2.0

//! `tdpmap`: `pmap PID...`, `pmap -x PID...` and `pmap -X`/`-XX PID...`
//! of procps-ng 4.0.2, byte for byte, over the VMA records of the
//! `task_diag` crate.
//!
//! The records come from a [`source::Source`]; today the procfs one
//! (`/proc/PID/maps` and `smaps`), while task_diag's VMA group waits for
//! its kernel side. Exit status as pmap's: 1 when a process's mappings
//! cannot be read, 42 when a pid names no process, both or'ed; 1 for a
//! command line it does not take, with one line on stderr.

#![forbid(unsafe_code)]

mod args;
#[path = "../shared/locale.rs"]
mod locale;
mod render;
mod source;
mod text;

use std::io::{self, Write};
use std::process::ExitCode;

use args::Format;
use render::{Naming, SmapsListing};
use source::{ProcfsSource, Source};

/// The minor device number of the kernel's internal shmem mount, on which
/// System V shared memory lives: pmap finds it by attaching a segment of
/// its own; a memfd lives on the same mount.
fn shm_minor() -> Option<u32> {
    let fd = rustix::fs::memfd_create("tdpmap", rustix::fs::MemfdFlags::CLOEXEC).ok()?;
    let st = rustix::fs::fstat(&fd).ok()?;
    (rustix::fs::major(st.st_dev) == 0).then(|| rustix::fs::minor(st.st_dev))
}

/// Lists each pid of `opts` from `source` into `out`; returns pmap's exit
/// status.
fn run(opts: &args::Options, source: &mut dyn Source, out: &mut dyn Write) -> io::Result<u8> {
    let utf8 = text::utf8_locale();
    let naming = Naming {
        utf8,
        shm_minor: shm_minor(),
    };
    let mut smaps = match opts.format {
        Format::Smaps { all } => Some(SmapsListing::new(all)),
        _ => None,
    };
    let mut status = 0u8;
    let mut missing = false;
    for &pid in &opts.pids {
        let Some(proc) = source.process(pid) else {
            missing = true;
            continue;
        };
        let mut buf = Vec::new();
        let command = text::command(&proc.cmdline, &proc.comm, proc.zombie, utf8);
        render::header(&mut buf, proc.tgid, &command);
        let done = match (opts.format, &mut smaps) {
            (Format::Smaps { .. }, Some(listing)) => match source.smaps(proc.tgid) {
                Ok(entries) => {
                    if let Err(e) = listing.render(&mut buf, &entries) {
                        out.write_all(&buf)?;
                        eprintln!("tdpmap: {}", e.0);
                        return Ok(1);
                    }
                    true
                }
                Err(_) => false,
            },
            (Format::Extended, _) => match source.maps(proc.tgid, true) {
                Ok(vmas) => {
                    render::extended_listing(&mut buf, &proc, &vmas, naming);
                    true
                }
                Err(_) => false,
            },
            _ => match source.maps(proc.tgid, false) {
                Ok(vmas) => {
                    render::default_listing(&mut buf, &proc, &vmas, naming);
                    true
                }
                Err(_) => false,
            },
        };
        if !done {
            status |= 1;
        }
        out.write_all(&buf)?;
    }
    if missing {
        status |= 42;
    }
    Ok(status)
}

fn main() -> ExitCode {
    let opts = match args::parse(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("tdpmap: {}", e.0);
            return ExitCode::from(1);
        }
    };
    let mut source = ProcfsSource::new("/proc");
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let status = run(&opts, &mut source, &mut out).and_then(|s| out.flush().map(|()| s));
    match status {
        Ok(s) => ExitCode::from(s),
        Err(e) => {
            eprintln!("tdpmap: write error: {e}");
            ExitCode::from(1)
        }
    }
}
