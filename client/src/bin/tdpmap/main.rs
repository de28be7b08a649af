// SPDX-License-Identifier: MIT OR Apache-2.0

//! `tdpmap`: `pmap PID...`, `pmap -x PID...` and `pmap -X`/`-XX PID...`
//! of procps-ng 4.0.2, byte for byte, over the VMA records of the
//! `task_diag` crate.
//!
//! `--backend auto|task-diag|procfs` (auto by default) says where they
//! come from ([`diag`]): for `pmap` and `pmap -x`, one
//! `TASK_DIAG_DUMP_ONE` request a pid to `/proc/task_diag` with BASE,
//! NAME, CMDLINE and VMA, VMA_STAT added for `-x`; `/proc/PID/maps` and
//! `smaps` when the kernel has no `/proc/task_diag` or refuses the request
//! (auto only). `-X` and `-XX` print smaps fields that task_diag does not
//! carry (page sizes, `Pss_Dirty`, `LazyFree`, `THPeligible`, VmFlags...):
//! they always read `/proc/PID/smaps`, and `--backend task-diag` refuses
//! them. Exit status as pmap's: 1 when a process's mappings cannot be
//! read, 42 when a pid names no process, both or'ed; 1 for a command line
//! it does not take, or a task_diag failure, with one line on stderr.

#![forbid(unsafe_code)]

mod args;
mod diag;
#[path = "../shared/locale.rs"]
mod locale;
mod render;
mod source;
mod text;

use std::io::{self, Write};
use std::process::ExitCode;

use args::Format;
use diag::Chosen;
use render::{Naming, SmapsListing};
use source::{Detail, Listing, Mappings, ProcfsSource, Source, SourceError};
use task_diag::{BackendChoice, Client};

/// The minor device number of the kernel's internal shmem mount, on which
/// System V shared memory lives: pmap finds it by attaching a segment of
/// its own; a memfd lives on the same mount.
fn shm_minor() -> Option<u32> {
    let fd = rustix::fs::memfd_create("tdpmap", rustix::fs::MemfdFlags::CLOEXEC).ok()?;
    let st = rustix::fs::fstat(&fd).ok()?;
    (rustix::fs::major(st.st_dev) == 0).then(|| rustix::fs::minor(st.st_dev))
}

/// What `format` reads of each process's mappings.
fn detail_of(format: Format) -> Detail {
    match format {
        Format::Default => Detail::Maps,
        Format::Extended => Detail::MapsWithStat,
        Format::Smaps { .. } => Detail::Smaps,
    }
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
    let detail = detail_of(opts.format);
    let mut status = 0u8;
    let mut missing = false;
    for &pid in &opts.pids {
        let Listing { process, mappings } = match source.list(pid, detail) {
            Ok(Some(listing)) => listing,
            Ok(None) => {
                missing = true;
                continue;
            }
            Err(SourceError(e)) => {
                eprintln!("tdpmap: {e}");
                return Ok(1);
            }
        };
        let mut buf = Vec::new();
        let command = text::command(&process.cmdline, &process.comm, process.zombie, utf8);
        render::header(&mut buf, process.tgid, &command);
        match (mappings, &mut smaps) {
            (Ok(Mappings::Smaps(entries)), Some(listing)) => {
                if let Err(e) = listing.render(&mut buf, &entries) {
                    out.write_all(&buf)?;
                    eprintln!("tdpmap: {}", e.0);
                    return Ok(1);
                }
            }
            (Ok(Mappings::Vmas(vmas)), None) if detail == Detail::MapsWithStat => {
                render::extended_listing(&mut buf, &process, &vmas, naming);
            }
            (Ok(Mappings::Vmas(vmas)), None) => {
                render::default_listing(&mut buf, &process, &vmas, naming);
            }
            _ => status |= 1,
        }
        out.write_all(&buf)?;
    }
    if missing {
        status |= 42;
    }
    Ok(status)
}

/// The source `opts` asks for: the task_diag reader of `--backend`, with
/// procfs behind it.
fn source(opts: &args::Options) -> Result<Chosen<Client>, String> {
    let procfs = ProcfsSource::new("/proc");
    let forced = opts.backend == BackendChoice::TaskDiag;
    if detail_of(opts.format) == Detail::Smaps {
        if forced {
            return Err("--backend task-diag lists pmap and pmap -x only: \
                 -X and -XX print smaps fields that task_diag does not carry"
                .into());
        }
        return Ok(Chosen::new(None, procfs, false));
    }
    if opts.backend == BackendChoice::Procfs {
        return Ok(Chosen::new(None, procfs, false));
    }
    // auto: procfs when the kernel has no /proc/task_diag.
    let client = Client::open(opts.backend).map_err(|e| e.to_string())?;
    let diag = (client.backend() == task_diag::Backend::TaskDiag).then_some(client);
    Ok(Chosen::new(diag, procfs, forced))
}

fn main() -> ExitCode {
    let opts = match args::parse(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("tdpmap: {}", e.0);
            return ExitCode::from(1);
        }
    };
    let mut source = match source(&opts) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("tdpmap: {e}");
            return ExitCode::from(1);
        }
    };
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
