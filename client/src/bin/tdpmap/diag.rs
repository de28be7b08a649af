// SPDX-License-Identifier: MIT OR Apache-2.0

//! The task_diag source of `pmap` and `pmap -x`, and the choice of backend.
//!
//! [`TaskDiagSource`] asks `/proc/task_diag` for each pid alone
//! (`TASK_DIAG_DUMP_ONE`) with BASE, NAME and CMDLINE for the header line
//! and VMA for the mappings, VMA_STAT added for `-x` (RSS and Dirty are
//! `resident` and `shared_dirty + private_dirty` of
//! `struct task_diag_vma_stat`, the values smaps prints as `Rss`,
//! `Shared_Dirty` and `Private_Dirty`). The records are decoded by the
//! client's stream reader ([`task_diag::Task::vmas`]); [`listing_of`] turns
//! the task into what the renderer prints.
//!
//! What task_diag does not carry:
//!
//! - the start of the stack (field 28 of `/proc/PID/stat`): the mapping
//!   pmap calls `[ stack ]` is the one the kernel names `[stack]`
//!   ([`Stack::Named`] says when they could differ);
//! - the smaps fields of `-X` and `-XX` beyond `struct task_diag_vma_stat`
//!   (`KernelPageSize`, `MMUPageSize`, `Pss_Dirty`, `Pss_Anon`, `KSM`,
//!   `LazyFree`, `ShmemPmdMapped`, `Shared_Hugetlb`, `SwapPss`, `Locked`,
//!   `THPeligible`, `ProtectionKey`...) and the `VmFlags` mnemonics of
//!   bits it does not number: `-X` and `-XX` are read from smaps, always;
//! - the path of a file mapping longer than `PATH_MAX`, sent without a
//!   name: such a process is read from procfs.
//!
//! [`Chosen`] is the source `--backend` picks: task_diag, falling back to
//! procfs (`auto`) when `/proc/task_diag` refuses the request (`EINVAL`: a
//! kernel without the VMA group), for the rest of the run; and, for one
//! pid, when task_diag does not show it (`ESRCH`: gone, or not
//! ptrace-readable, where pmap still prints the header) or cannot name one
//! of its mappings. With `--backend task-diag` there is no fallback: a
//! refusal or a mapping without its name ends the run with an error, a pid
//! task_diag does not show counts as missing.

use std::io::{self, Read, Write};

use task_diag::stream::TaskDiagReader;
use task_diag::{Client, DumpStrategy, Error, ShowFlags, Task, TaskState, Vma};

use crate::source::{Detail, Listing, Mappings, Process, ProcfsSource, Source, SourceError, Stack};

/// A reader of one task by its pid (`TASK_DIAG_DUMP_ONE`).
pub trait OneTask {
    /// The task `pid` with the groups of `show`; `None` when task_diag
    /// does not show it (`ESRCH`, or a dump without it).
    fn one(&mut self, pid: i32, show: ShowFlags) -> task_diag::Result<Option<Task>>;
}

/// The first task of a dump, the dump read to its end.
fn first(
    dump: task_diag::Result<impl Iterator<Item = task_diag::Result<Task>>>,
) -> task_diag::Result<Option<Task>> {
    let mut tasks = match dump {
        Err(Error::NoSuchTask { .. }) => return Ok(None),
        other => other?,
    };
    let task = tasks.next().transpose()?;
    for rest in tasks {
        rest?;
    }
    Ok(task)
}

impl OneTask for Client {
    fn one(&mut self, pid: i32, show: ShowFlags) -> task_diag::Result<Option<Task>> {
        first(self.dump(DumpStrategy::One, Some(pid), show))
    }
}

impl<F: Read + Write> OneTask for TaskDiagReader<F> {
    fn one(&mut self, pid: i32, show: ShowFlags) -> task_diag::Result<Option<Task>> {
        first(self.dump(DumpStrategy::One, Some(pid), show))
    }
}

/// The groups a listing of `detail` asks for.
pub fn show_of(detail: Detail) -> ShowFlags {
    let show = ShowFlags::BASE | ShowFlags::VMA | ShowFlags::CMDLINE | task_diag::show_name();
    match detail {
        Detail::MapsWithStat => show | ShowFlags::VMA_STAT,
        Detail::Maps | Detail::Smaps => show,
    }
}

/// Why a task cannot be listed from its task_diag record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlisted {
    /// A file mapping (one with a device or an inode) came without a name:
    /// its path does not fit in `PATH_MAX` bytes.
    Nameless {
        /// The mapping's first address.
        start: u64,
    },
}

/// Whether `vma` maps a file: anonymous mappings have device 00:00 and
/// inode 0 in maps.
fn maps_a_file(vma: &Vma) -> bool {
    vma.inode != 0 || vma.major != 0 || vma.minor != 0
}

/// The listing of a task of a `TASK_DIAG_DUMP_ONE` with the groups of
/// [`show_of`]: its thread group, its command line, its full name (NAME,
/// which pmap's `[comm]` shows), the stack as the kernel names it, and its
/// mappings. A task cut short before its VMA attribute (it exited between
/// two messages) has mappings that could not be read, as pmap finds a
/// process that ends before its maps are read.
pub fn listing_of(task: Task) -> Result<Listing, Unlisted> {
    let process = Process {
        tgid: task.tgid,
        comm: task.full_name().as_bytes().to_vec(),
        cmdline: task.cmdline.unwrap_or_default(),
        zombie: task.state == TaskState::Zombie,
        stack: Stack::Named,
    };
    let mappings = match task.vmas {
        Some(vmas) => {
            if let Some(v) = vmas.iter().find(|v| v.name.is_empty() && maps_a_file(v)) {
                return Err(Unlisted::Nameless { start: v.start });
            }
            Ok(Mappings::Vmas(vmas))
        }
        None => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the process ended before its mappings were sent",
        )),
    };
    Ok(Listing { process, mappings })
}

/// What task_diag gave for one pid.
#[derive(Debug)]
pub enum Fetched {
    /// Its listing.
    Listing(Listing),
    /// No task: gone, or not visible to task_diag.
    Hidden,
    /// A task it cannot list.
    Unlisted(Unlisted),
}

/// Processes and their mappings from task_diag, for `pmap` and `pmap -x`.
#[derive(Debug)]
pub struct TaskDiagSource<D> {
    diag: D,
}

impl<D: OneTask> TaskDiagSource<D> {
    /// A source over the task_diag reader `diag`.
    pub fn new(diag: D) -> Self {
        Self { diag }
    }

    /// One request for `pid` with the groups of `detail` ([`show_of`]);
    /// the errors are those of the request (`EINVAL` is
    /// [`Error::InvalidRequest`]).
    pub fn fetch(&mut self, pid: i32, detail: Detail) -> task_diag::Result<Fetched> {
        Ok(match self.diag.one(pid, show_of(detail))? {
            None => Fetched::Hidden,
            Some(task) => match listing_of(task) {
                Ok(listing) => Fetched::Listing(listing),
                Err(why) => Fetched::Unlisted(why),
            },
        })
    }
}

/// The source `--backend` chose: task_diag when there, else procfs; `-X`
/// always from procfs.
#[derive(Debug)]
pub struct Chosen<D> {
    diag: Option<TaskDiagSource<D>>,
    procfs: ProcfsSource,
    forced: bool,
}

impl<D: OneTask> Chosen<D> {
    /// task_diag through `diag` (procfs when `None`), with procfs's
    /// `procfs` behind it; `forced` (`--backend task-diag`) leaves out the
    /// fallbacks.
    pub fn new(diag: Option<D>, procfs: ProcfsSource, forced: bool) -> Self {
        Self {
            diag: diag.map(TaskDiagSource::new),
            procfs,
            forced,
        }
    }

    /// Whether the listings come from task_diag (until it refuses one).
    #[cfg(test)]
    pub fn on_task_diag(&self) -> bool {
        self.diag.is_some()
    }
}

impl<D: OneTask> Source for Chosen<D> {
    fn list(&mut self, pid: i32, detail: Detail) -> Result<Option<Listing>, SourceError> {
        let Some(diag) = self.diag.as_mut().filter(|_| detail != Detail::Smaps) else {
            return self.procfs.list(pid, detail);
        };
        match (diag.fetch(pid, detail), self.forced) {
            (Ok(Fetched::Listing(listing)), _) => Ok(Some(listing)),
            (Ok(Fetched::Hidden), true) => Ok(None),
            (Ok(Fetched::Unlisted(Unlisted::Nameless { start })), true) => {
                Err(SourceError(format!(
                    "pid {pid}: the mapping at {start:x} has a path longer than PATH_MAX, \
                     which task_diag sends without its name (use --backend procfs)"
                )))
            }
            (Ok(Fetched::Hidden | Fetched::Unlisted(_)), false) => self.procfs.list(pid, detail),
            (Err(Error::InvalidRequest { .. }), false) => {
                // A kernel without the VMA group: procfs from now on.
                self.diag = None;
                self.procfs.list(pid, detail)
            }
            (Err(e), _) => Err(SourceError(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::fs;
    use std::path::PathBuf;

    use task_diag_uapi::abi::{
        TaskDiagBase, TaskDiagMsg, TaskDiagVma, TaskDiagVmaStat, TASK_DIAG_FLAG_CONT,
        TASK_DIAG_VMA_F_EXEC, TASK_DIAG_VMA_F_MAYSHARE, TASK_DIAG_VMA_F_READ,
        TASK_DIAG_VMA_F_SHARED, TASK_DIAG_VMA_F_WRITE,
    };
    use task_diag_uapi::emit::{EmitError, Encoder, TaskWriter};

    use super::*;
    use crate::render::{self, Naming};
    use task_diag::procfs::maps::{flag, parse_maps, parse_smaps};

    const EINVAL: i32 = 22;
    const ESRCH: i32 = 3;

    /// A stand-in for `/proc/task_diag`: each `write()` takes the next
    /// answer, an errno or the bytes of the response, which `read()` then
    /// returns in one piece and then 0; every message of a response gets
    /// the sequence number of its request.
    #[derive(Debug, Default)]
    struct FakeDiag {
        answers: VecDeque<Result<Vec<u8>, i32>>,
        pending: Option<Vec<u8>>,
        /// The show flags of each request written.
        requests: Vec<u64>,
    }

    impl Read for FakeDiag {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(bytes) = self.pending.take() else {
                return Ok(0);
            };
            buf[..bytes.len()].copy_from_slice(&bytes);
            Ok(bytes.len())
        }
    }

    impl Write for FakeDiag {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let show = u64::from_ne_bytes(buf[16..24].try_into().unwrap());
            self.requests.push(show);
            match self
                .answers
                .pop_front()
                .expect("an answer for each request")
            {
                Ok(mut bytes) => {
                    let mut at = 0;
                    while at + 16 <= bytes.len() {
                        bytes[at + 8..at + 12].copy_from_slice(&buf[8..12]);
                        let len = u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
                        at += (len as usize).next_multiple_of(4);
                    }
                    self.pending = Some(bytes);
                    Ok(buf.len())
                }
                Err(errno) => Err(io::Error::from_raw_os_error(errno)),
            }
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn reader(answers: Vec<Result<Vec<u8>, i32>>) -> TaskDiagReader<FakeDiag> {
        let fake = FakeDiag {
            answers: answers.into(),
            ..FakeDiag::default()
        };
        TaskDiagReader::with_buffer_size(fake, 1 << 16, 1 << 16)
    }

    fn flags(bits: &[u32]) -> u64 {
        bits.iter().fold(0, |a, &b| a | flag(b))
    }

    /// One mapping of the test process: its maps line and its record.
    struct Mapping {
        line: &'static str,
        vma: TaskDiagVma,
        name: Option<&'static [u8]>,
        /// Resident, shared dirty, private dirty, in kB.
        kb: [u64; 3],
    }

    const R: u32 = TASK_DIAG_VMA_F_READ;
    const W: u32 = TASK_DIAG_VMA_F_WRITE;
    const X: u32 = TASK_DIAG_VMA_F_EXEC;
    const MS: u32 = TASK_DIAG_VMA_F_MAYSHARE;
    const SH: u32 = TASK_DIAG_VMA_F_SHARED;

    /// The shm minor of these tests.
    const SHM_MINOR: u32 = 1;

    #[allow(clippy::too_many_arguments)]
    fn mapping(
        line: &'static str,
        start: u64,
        end: u64,
        bits: &[u32],
        pgoff: u64,
        dev: (u32, u32),
        inode: u64,
        name: Option<&'static [u8]>,
        kb: [u64; 3],
    ) -> Mapping {
        Mapping {
            line,
            vma: TaskDiagVma {
                start,
                end,
                vm_flags: flags(bits),
                pgoff,
                major: dev.0,
                minor: dev.1,
                inode,
                generation: 5,
                ..TaskDiagVma::default()
            },
            name,
            kb,
        }
    }

    /// The mappings of the test process, each kind pmap names its own way:
    /// a file at an offset, a deleted file with an escaped newline in its
    /// name, System V shared memory, shared anonymous memory, the heap, a
    /// named anonymous mapping with a `/` in its name, an anonymous one,
    /// the stack and one right after it, the vsyscall page.
    fn mappings() -> Vec<Mapping> {
        vec![
            mapping(
                "00400000-00402000 r-xp 00001000 fe:00 12 /usr/bin/sl\u{e9}ep",
                0x40_0000,
                0x40_2000,
                &[R, X],
                0x1000,
                (0xfe, 0),
                12,
                Some("/usr/bin/sl\u{e9}ep".as_bytes()),
                [8, 0, 0],
            ),
            mapping(
                "00600000-00603000 rw-s 00000000 08:01 77 /tmp/a\\012b (deleted)",
                0x60_0000,
                0x60_3000,
                &[R, W, SH, MS],
                0,
                (8, 1),
                77,
                Some(b"/tmp/a\\012b (deleted)"),
                [12, 8, 0],
            ),
            mapping(
                "00603000-00608000 rw-s 00000000 00:01 98 /SYSV00000000 (deleted)",
                0x60_3000,
                0x60_8000,
                &[R, W, SH, MS],
                0,
                (0, SHM_MINOR),
                98,
                Some(b"/SYSV00000000 (deleted)"),
                [4, 4, 0],
            ),
            mapping(
                "00608000-00609000 rw-s 00000000 00:01 99 /dev/zero (deleted)",
                0x60_8000,
                0x60_9000,
                &[R, W, SH, MS],
                0,
                (0, SHM_MINOR),
                99,
                Some(b"/dev/zero (deleted)"),
                [4, 0, 4],
            ),
            mapping(
                "00700000-00721000 rw-p 00000000 00:00 0 [heap]",
                0x70_0000,
                0x72_1000,
                &[R, W],
                0,
                (0, 0),
                0,
                Some(b"[heap]"),
                [132, 0, 128],
            ),
            mapping(
                "7f0000000000-7f0000002000 rw-p 00000000 00:00 0 [anon:a/b]",
                0x7f00_0000_0000,
                0x7f00_0000_2000,
                &[R, W],
                0,
                (0, 0),
                0,
                Some(b"[anon:a/b]"),
                [4, 0, 4],
            ),
            mapping(
                "7f0000002000-7f0000003000 ---p 00000000 00:00 0 ",
                0x7f00_0000_2000,
                0x7f00_0000_3000,
                &[],
                0,
                (0, 0),
                0,
                None,
                [0, 0, 0],
            ),
            mapping(
                "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]",
                0x7ffc_0000_0000,
                0x7ffc_0002_1000,
                &[R, W],
                0,
                (0, 0),
                0,
                Some(b"[stack]"),
                [16, 0, 16],
            ),
            mapping(
                "7ffc00021000-7ffc00023000 r--p 00000000 00:00 0 [vvar]",
                0x7ffc_0002_1000,
                0x7ffc_0002_3000,
                &[R],
                0,
                (0, 0),
                0,
                Some(b"[vvar]"),
                [0, 0, 0],
            ),
            mapping(
                "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]",
                0xffff_ffff_ff60_0000,
                0xffff_ffff_ff60_1000,
                &[X],
                0,
                (0, 0),
                0,
                Some(b"[vsyscall]"),
                [0, 0, 0],
            ),
        ]
    }

    fn stat_of(kb: [u64; 3]) -> TaskDiagVmaStat {
        TaskDiagVmaStat {
            resident: kb[0] << 10,
            shared_dirty: kb[1] << 10,
            private_dirty: kb[2] << 10,
            // Fields pmap -x does not print.
            referenced: kb[0] << 10,
            pss: kb[0] << 22,
            ..TaskDiagVmaStat::default()
        }
    }

    fn base(pid: u32, tgid: u32, state: TaskState, comm: &[u8]) -> TaskDiagBase {
        let mut b = TaskDiagBase {
            pid,
            tgid,
            ppid: 1,
            state: state.into(),
            ..TaskDiagBase::default()
        };
        b.comm[..comm.len()].copy_from_slice(comm);
        b
    }

    fn encode(build: impl FnOnce(&mut Encoder<'_>) -> Result<(), EmitError>) -> Vec<u8> {
        let mut buf = vec![0u8; 1 << 16];
        let mut enc = Encoder::new(&mut buf);
        build(&mut enc).unwrap();
        let len = enc.len();
        buf.truncate(len);
        buf
    }

    /// The response to a `DUMP_ONE` of thread `pid` of process 4242 with
    /// the groups of `detail`, its VMA records split over two messages
    /// after the fourth, as the kernel sends a task that does not fit.
    fn response(pid: u32, maps: &[Mapping], detail: Detail) -> Vec<u8> {
        let with_stat = detail == Detail::MapsWithStat;
        let b = base(pid, 4242, TaskState::Interruptible, b"sleep");
        let records = |t: &mut TaskWriter<'_, '_>, part: &[Mapping]| {
            let mut w = t.vma()?;
            for m in part {
                let st = stat_of(m.kb);
                w.record(&m.vma, with_stat.then_some(&st), m.name)?;
            }
            Ok(())
        };
        let (head, tail) = maps.split_at(maps.len().min(4));
        encode(|e| {
            let msg = |flags| TaskDiagMsg {
                pid,
                tgid: 4242,
                flags,
            };
            let mut t = e.task(1, msg(TASK_DIAG_FLAG_CONT))?;
            t.base(&b)?;
            records(&mut t, head)?;
            t.finish();
            let mut t = e.task(1, msg(0))?;
            records(&mut t, tail)?;
            t.cmdline(b"sleep\x001000\x00")?;
            t.name(b"sleep")?;
            t.finish();
            e.done(1).map(drop)
        })
    }

    const NAMING: Naming = Naming {
        utf8: true,
        shm_minor: Some(SHM_MINOR),
    };

    /// What tdpmap prints of `listing` for `detail`, its header included.
    fn print(listing: &Listing, detail: Detail) -> String {
        let p = &listing.process;
        let mut out = Vec::new();
        let command = crate::text::command(&p.cmdline, &p.comm, p.zombie, true);
        render::header(&mut out, p.tgid, &command);
        match (&listing.mappings, detail) {
            (Ok(Mappings::Vmas(v)), Detail::MapsWithStat) => {
                render::extended_listing(&mut out, p, v, NAMING)
            }
            (Ok(Mappings::Vmas(v)), _) => render::default_listing(&mut out, p, v, NAMING),
            other => panic!("{other:?}"),
        }
        String::from_utf8(out).unwrap()
    }

    fn fetch(source: &mut TaskDiagSource<TaskDiagReader<FakeDiag>>, pid: i32) -> Listing {
        match source.fetch(pid, Detail::Maps) {
            Ok(Fetched::Listing(l)) => l,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn records_become_pmap_rows() {
        let maps = mappings();
        let mut source = TaskDiagSource::new(reader(vec![
            Ok(response(4242, &maps, Detail::Maps)),
            Ok(response(4243, &maps, Detail::MapsWithStat)),
        ]));
        let plain = fetch(&mut source, 4242);
        let Ok(Fetched::Listing(with_stat)) = source.fetch(4243, Detail::MapsWithStat) else {
            panic!("no listing with statistics");
        };
        assert_eq!(
            source.diag.get_ref().requests,
            [
                show_of(Detail::Maps).bits(),
                show_of(Detail::MapsWithStat).bits()
            ]
        );
        assert!(show_of(Detail::MapsWithStat).contains(ShowFlags::VMA_STAT));
        assert!(!show_of(Detail::Maps).contains(ShowFlags::VMA_STAT));
        assert_eq!(
            print(&plain, Detail::Maps),
            "\
4242:   sleep 1000
0000000000400000      8K r-x-- sl\u{e9}ep
0000000000600000     12K rw-s- a\\012b (deleted)
0000000000603000     20K rw-s-   [ shmid=0x62 ]
0000000000608000      4K rw-s- zero (deleted)
0000000000700000    132K rw---   [ anon ]
00007f0000000000      8K rw--- b]
00007f0000002000      4K -----   [ anon ]
00007ffc00000000    132K rw---   [ stack ]
00007ffc00021000      8K r----   [ anon ]
ffffffffff600000      4K --x--   [ anon ]
 total              332K
"
        );
        // A thread's pid lists its process.
        assert_eq!(
            print(&with_stat, Detail::MapsWithStat),
            "\
4242:   sleep 1000
Address           Kbytes     RSS   Dirty Mode  Mapping
0000000000400000       8       8       0 r-x-- sl\u{e9}ep
0000000000600000      12      12       8 rw-s- a\\012b (deleted)
0000000000603000      20       4       4 rw-s-   [ shmid=0x62 ]
0000000000608000       4       4       4 rw-s- zero (deleted)
0000000000700000     132     132     128 rw---   [ anon ]
00007f0000000000       8       4       4 rw--- b]
00007f0000002000       4       0       0 -----   [ anon ]
00007ffc00000000     132      16      16 rw---   [ stack ]
00007ffc00021000       8       0       0 r----   [ anon ]
ffffffffff600000       4       0       0 --x--   [ anon ]
---------------- ------- ------- ------- 
total kB             332     180     164
"
        );
    }

    /// The same mappings as procfs text: maps, and smaps with the fields
    /// pmap -x reads.
    fn procfs_texts(maps: &[Mapping]) -> (String, String) {
        let mut text = String::new();
        let mut smaps = String::new();
        for m in maps {
            text.push_str(m.line);
            text.push('\n');
            smaps.push_str(m.line);
            let size = (m.vma.end - m.vma.start) >> 10;
            let [rss, sd, pd] = m.kb;
            smaps.push_str(&format!(
                "\nSize: {size} kB\nRss: {rss} kB\nShared_Dirty: {sd} kB\nPrivate_Dirty: {pd} kB\n"
            ));
        }
        (text, smaps)
    }

    #[test]
    fn the_procfs_path_prints_the_same() {
        // pmap's own reading: maps and smaps, the stack told by field 28 of
        // stat, somewhere inside [stack].
        let maps = mappings();
        let (text, smaps) = procfs_texts(&maps);
        let mut source = TaskDiagSource::new(reader(vec![
            Ok(response(4242, &maps, Detail::Maps)),
            Ok(response(4242, &maps, Detail::MapsWithStat)),
        ]));
        let procfs = |mappings| Listing {
            process: Process {
                tgid: 4242,
                cmdline: b"sleep\x001000\x00".to_vec(),
                comm: b"sleep".to_vec(),
                zombie: false,
                stack: Stack::Start(0x7ffc_0002_0ac0),
            },
            mappings: Ok(Mappings::Vmas(mappings)),
        };
        let plain = fetch(&mut source, 4242);
        assert_eq!(
            print(&plain, Detail::Maps),
            print(&procfs(parse_maps(text.as_bytes()).unwrap()), Detail::Maps)
        );
        let Ok(Fetched::Listing(with_stat)) = source.fetch(4242, Detail::MapsWithStat) else {
            panic!("no listing with statistics");
        };
        let from_smaps = parse_smaps(smaps.as_bytes())
            .unwrap()
            .into_iter()
            .map(|e| e.vma)
            .collect();
        assert_eq!(
            print(&with_stat, Detail::MapsWithStat),
            print(&procfs(from_smaps), Detail::MapsWithStat)
        );
    }

    #[test]
    fn kernel_threads_zombies_and_cut_tasks() {
        let kthread = base(2, 2, TaskState::Interruptible, b"kthreadd");
        let zombie = base(77, 77, TaskState::Zombie, b"gone");
        let cut = base(78, 78, TaskState::Running, b"exiting");
        let answers = vec![
            Ok(encode(|e| {
                let mut t = e.task(
                    1,
                    TaskDiagMsg {
                        pid: 2,
                        tgid: 2,
                        flags: 0,
                    },
                )?;
                t.base(&kthread)?;
                t.vma()?;
                t.cmdline(b"")?;
                t.name(b"kthreadd")?;
                t.finish();
                e.done(1).map(drop)
            })),
            Ok(encode(|e| {
                let mut t = e.task(
                    2,
                    TaskDiagMsg {
                        pid: 77,
                        tgid: 77,
                        flags: 0,
                    },
                )?;
                t.base(&zombie)?;
                t.vma()?;
                t.cmdline(b"")?;
                t.name(b"gone")?;
                t.finish();
                e.done(2).map(drop)
            })),
            // Its continuation never came: it exited.
            Ok(encode(|e| {
                let mut t = e.task(
                    3,
                    TaskDiagMsg {
                        pid: 78,
                        tgid: 78,
                        flags: TASK_DIAG_FLAG_CONT,
                    },
                )?;
                t.base(&cut)?;
                t.finish();
                e.done(3).map(drop)
            })),
        ];
        let mut source = TaskDiagSource::new(reader(answers));
        assert_eq!(
            print(&fetch(&mut source, 2), Detail::Maps),
            "2:   [kthreadd]\n total                0K\n"
        );
        assert_eq!(
            print(&fetch(&mut source, 77), Detail::Maps),
            "77:   [gone] <defunct>\n total                0K\n"
        );
        let cut = fetch(&mut source, 78);
        assert_eq!(cut.process.comm, b"exiting");
        assert_eq!(
            cut.mappings.unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    #[test]
    fn a_file_mapping_without_its_name_is_unlisted() {
        let mut maps = mappings();
        maps[1].name = None;
        let mut source = TaskDiagSource::new(reader(vec![Ok(response(4242, &maps, Detail::Maps))]));
        assert!(matches!(
            source.fetch(4242, Detail::Maps),
            Ok(Fetched::Unlisted(Unlisted::Nameless { start: 0x60_0000 }))
        ));
    }

    /// A procfs tree in a temporary directory with one process, 4242,
    /// whose maps are `maps`.
    struct FakeProc(PathBuf);

    impl FakeProc {
        fn new(tag: &str, maps: &[Mapping]) -> Self {
            let root =
                std::env::temp_dir().join(format!("tdpmap-diag-{tag}-{}", std::process::id()));
            let dir = root.join("4242");
            fs::create_dir_all(&dir).unwrap();
            fs::write(
                dir.join("status"),
                "Name:\tsleep\nTgid:\t4242\nPid:\t4242\n",
            )
            .unwrap();
            fs::write(
                dir.join("stat"),
                "4242 (sleep) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 \
                 1234 2355200 200 18446744073709551615 1 1 140720308489920 0 0 0 0 0 0 0 0 0 \
                 17 1 0 0 0 0 0\n",
            )
            .unwrap();
            fs::write(dir.join("cmdline"), b"sleep\x001000\x00").unwrap();
            let (text, smaps) = procfs_texts(maps);
            fs::write(dir.join("maps"), text).unwrap();
            fs::write(dir.join("smaps"), smaps).unwrap();
            Self(root)
        }

        fn source(&self) -> ProcfsSource {
            ProcfsSource::new(&self.0)
        }
    }

    impl Drop for FakeProc {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn listed(
        chosen: &mut Chosen<TaskDiagReader<FakeDiag>>,
        pid: i32,
        detail: Detail,
    ) -> Option<String> {
        chosen.list(pid, detail).unwrap().map(|l| print(&l, detail))
    }

    fn requests(chosen: &Chosen<TaskDiagReader<FakeDiag>>) -> usize {
        chosen
            .diag
            .as_ref()
            .map_or(0, |d| d.diag.get_ref().requests.len())
    }

    #[test]
    fn auto_falls_back_to_procfs() {
        let maps = mappings();
        let proc = FakeProc::new("auto", &maps);
        let want = listed(
            &mut Chosen::<TaskDiagReader<FakeDiag>>::new(None, proc.source(), false),
            4242,
            Detail::Maps,
        )
        .unwrap();
        assert!(want.contains("  [ stack ]\n"), "{want}");

        // Not shown (ESRCH), then a file without its name: procfs for that
        // pid; then task_diag again.
        let mut unnamed = mappings();
        unnamed[0].name = None;
        let mut chosen = Chosen::new(
            Some(reader(vec![
                Err(ESRCH),
                Ok(response(4242, &unnamed, Detail::Maps)),
                Ok(response(4242, &maps, Detail::Maps)),
            ])),
            proc.source(),
            false,
        );
        assert_eq!(
            listed(&mut chosen, 4242, Detail::Maps).as_ref(),
            Some(&want)
        );
        assert_eq!(
            listed(&mut chosen, 4242, Detail::Maps).as_ref(),
            Some(&want)
        );
        assert_eq!(
            listed(&mut chosen, 4242, Detail::Maps).as_ref(),
            Some(&want)
        );
        assert_eq!(requests(&chosen), 3);
        assert!(chosen.on_task_diag());
        // A pid procfs does not have either: missing.
        let mut chosen = Chosen::new(Some(reader(vec![Err(ESRCH)])), proc.source(), false);
        assert_eq!(listed(&mut chosen, 99, Detail::Maps), None);

        // Refused (a kernel without VMA): procfs for this pid and the rest,
        // without asking again.
        let mut chosen = Chosen::new(Some(reader(vec![Err(EINVAL)])), proc.source(), false);
        assert_eq!(
            listed(&mut chosen, 4242, Detail::MapsWithStat),
            listed(
                &mut Chosen::<TaskDiagReader<FakeDiag>>::new(None, proc.source(), false),
                4242,
                Detail::MapsWithStat
            )
        );
        assert!(!chosen.on_task_diag());
        assert_eq!(
            listed(&mut chosen, 4242, Detail::Maps).as_ref(),
            Some(&want)
        );

        // -X: smaps, without a request.
        let mut chosen = Chosen::new(Some(reader(Vec::new())), proc.source(), false);
        assert!(matches!(
            chosen.list(4242, Detail::Smaps),
            Ok(Some(Listing {
                mappings: Ok(Mappings::Smaps(e)),
                ..
            })) if e.len() == maps.len()
        ));
        assert_eq!(requests(&chosen), 0);
    }

    #[test]
    fn forced_task_diag_does_not_fall_back() {
        let maps = mappings();
        let proc = FakeProc::new("forced", &maps);
        let mut unnamed = mappings();
        unnamed[3].name = None;
        let mut chosen = Chosen::new(
            Some(reader(vec![
                Ok(response(4242, &maps, Detail::Maps)),
                Err(ESRCH),
                Ok(response(4242, &unnamed, Detail::Maps)),
                Err(EINVAL),
            ])),
            proc.source(),
            true,
        );
        let got = listed(&mut chosen, 4242, Detail::Maps).unwrap();
        assert!(got.contains("  [ stack ]\n"), "{got}");
        assert_eq!(listed(&mut chosen, 4242, Detail::Maps), None);
        let SourceError(nameless) = chosen.list(4242, Detail::Maps).unwrap_err();
        assert!(
            nameless.starts_with("pid 4242: the mapping at 608000 has a path longer than PATH_MAX"),
            "{nameless}"
        );
        let SourceError(refused) = chosen.list(4242, Detail::Maps).unwrap_err();
        assert!(refused.contains("invalid request"), "{refused}");
        assert!(!refused.contains('\n'));
        assert!(chosen.on_task_diag());
    }
}
