// SPDX-License-Identifier: MIT OR Apache-2.0

//! The task_diag stream decoder over a scripted file: the request it
//! writes, the records it yields from responses built with the uapi crate's
//! encoder (every group, tasks continued across reads, continuations cut
//! short), and every error of a response.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use task_diag::stream::TaskDiagReader;
use task_diag::{
    Comm, Creds, DumpStrategy, Error, ProtocolError, ShowFlags, Stat, Statm, Task, TaskState, Vma,
};
use task_diag_uapi::abi::{
    NlMsgHdr, TaskDiagBase, TaskDiagCaps, TaskDiagCreds, TaskDiagMsg, TaskDiagPid, TaskDiagStat,
    TaskDiagStatm, TaskDiagVma, TaskDiagVmaStat, NLMSG_DONE, NLMSG_ERROR, TASK_DIAG_BASE,
    TASK_DIAG_CMDLINE, TASK_DIAG_CRED, TASK_DIAG_FLAG_CONT, TASK_DIAG_NAME, TASK_DIAG_STAT,
    TASK_DIAG_STATM, TASK_DIAG_VMA,
};
use task_diag_uapi::emit::{EmitError, Encoder, TaskWriter};
use task_diag_uapi::response::{ParseError, Payload};
use zerocopy::FromBytes;

const EMSGSIZE: i32 = 90;
const EINVAL: i32 = 22;
const ESRCH: i32 = 3;
const EBUSY: i32 = 16;

/// What one `read()` of the fake file returns.
#[derive(Debug)]
enum Chunk {
    Data(Vec<u8>),
    Errno(i32),
}

/// A stand-in for `/proc/task_diag`: records what is written, answers
/// `read()` from a script, then returns 0.
#[derive(Debug, Default)]
struct FakeFile {
    written: Vec<Vec<u8>>,
    script: VecDeque<Chunk>,
    /// The size of the buffer of each `read()`.
    reads: Vec<usize>,
    /// The errno of the next `write()`, if it is to fail.
    write_errno: Option<i32>,
    /// How many bytes `write()` takes, if not all.
    write_len: Option<usize>,
}

impl FakeFile {
    fn new(chunks: Vec<Chunk>) -> Self {
        Self {
            script: chunks.into(),
            ..Self::default()
        }
    }
}

impl Read for FakeFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads.push(buf.len());
        match self.script.pop_front() {
            None => Ok(0),
            Some(Chunk::Errno(errno)) => Err(io::Error::from_raw_os_error(errno)),
            Some(Chunk::Data(data)) => {
                assert!(data.len() <= buf.len(), "a scripted chunk must fit");
                buf[..data.len()].copy_from_slice(&data);
                Ok(data.len())
            }
        }
    }
}

impl Write for FakeFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(errno) = self.write_errno.take() {
            return Err(io::Error::from_raw_os_error(errno));
        }
        self.written.push(buf.to_vec());
        Ok(self.write_len.unwrap_or(buf.len()).min(buf.len()))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Building responses as the kernel writes them, with the uapi crate's
// encoder.

/// The bytes `build` writes with an [`Encoder`].
fn encode(build: impl FnOnce(&mut Encoder<'_>) -> Result<(), EmitError>) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let mut enc = Encoder::new(&mut buf);
    build(&mut enc).unwrap();
    let len = enc.len();
    buf.truncate(len);
    buf
}

fn msg(pid: u32, tgid: u32, continued: bool) -> TaskDiagMsg {
    TaskDiagMsg {
        pid,
        tgid,
        flags: if continued { TASK_DIAG_FLAG_CONT } else { 0 },
    }
}

/// A message with a header of `ty` and `payload`.
fn message(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    encode(|e| e.message(ty, seq, payload).map(drop))
}

fn base(pid: u32, tgid: u32, state: TaskState, comm: &[u8]) -> TaskDiagBase {
    let mut base = TaskDiagBase {
        tgid,
        pid,
        ppid: 1,
        tpid: 0,
        sid: tgid,
        pgid: tgid,
        state: state.into(),
        ..TaskDiagBase::default()
    };
    base.comm[..comm.len()].copy_from_slice(comm);
    base
}

/// A task message of `pid` whose attributes `attrs` writes.
fn task_msg(
    seq: u32,
    pid: u32,
    tgid: u32,
    continued: bool,
    attrs: impl FnOnce(&mut TaskWriter<'_, '_>) -> Result<(), EmitError>,
) -> Vec<u8> {
    encode(|e| {
        let mut task = e.task(seq, msg(pid, tgid, continued))?;
        attrs(&mut task)
    })
}

/// The message (sequence 1, not continued) of the task whose BASE is `b`:
/// `b`, then the groups `attrs` writes.
fn base_msg(
    b: &TaskDiagBase,
    attrs: impl FnOnce(&mut TaskWriter<'_, '_>) -> Result<(), EmitError>,
) -> Vec<u8> {
    task_msg(1, b.pid, b.tgid, false, |t| {
        t.base(b)?;
        attrs(t)
    })
}

fn simple_task(seq: u32, pid: u32, comm: &[u8]) -> Vec<u8> {
    let b = base(pid, pid, TaskState::Interruptible, comm);
    task_msg(seq, pid, pid, false, |t| t.base(&b))
}

fn done(seq: u32) -> Vec<u8> {
    encode(|e| e.done(seq).map(drop))
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn expected(pid: i32, comm: &[u8]) -> Task {
    Task::new(
        pid,
        pid,
        1,
        0,
        pid,
        pid,
        TaskState::Interruptible,
        Comm::new(comm),
    )
}

fn reader(chunks: Vec<Chunk>) -> TaskDiagReader<FakeFile> {
    TaskDiagReader::with_buffer_size(FakeFile::new(chunks), 1024, 1 << 20)
}

/// Runs a dump of every process with BASE; returns the records and the
/// error that ended it, if any.
fn dump_all(reader: &mut TaskDiagReader<FakeFile>) -> (Vec<Task>, Option<Error>) {
    dump_show(reader, ShowFlags::BASE)
}

/// Runs a dump of every process with the groups of `show`.
fn dump_show(reader: &mut TaskDiagReader<FakeFile>, show: ShowFlags) -> (Vec<Task>, Option<Error>) {
    let mut tasks = Vec::new();
    for item in reader.dump(DumpStrategy::All, None, show).unwrap() {
        match item {
            Ok(task) => tasks.push(task),
            Err(err) => return (tasks, Some(err)),
        }
    }
    (tasks, None)
}

fn protocol(err: Option<Error>) -> ProtocolError {
    match err {
        Some(Error::Protocol { problem, .. }) => problem,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

/// Dumps `bytes`, then `NLMSG_DONE`, with the groups of `show`; checks that
/// the dump yields no task and ends with the protocol error `problem`, and
/// returns that error.
fn dump_fails(bytes: Vec<u8>, show: ShowFlags, problem: &ProtocolError) -> Error {
    let mut r = reader(vec![Chunk::Data(cat(&[bytes, done(1)]))]);
    let (tasks, err) = dump_show(&mut r, show);
    assert!(tasks.is_empty(), "{problem:?}: {tasks:?}");
    let err = err.unwrap_or_else(|| panic!("{problem:?}: no error"));
    assert!(
        matches!(&err, Error::Protocol { problem: p, .. } if p == problem),
        "expected {problem:?}, got {err:?}"
    );
    err
}

// ---------------------------------------------------------------------------

#[test]
fn writes_one_request_of_40_bytes() {
    let mut r = reader(vec![Chunk::Data(done(1))]);
    let tasks: Vec<_> = r
        .dump(DumpStrategy::Children, Some(42), ShowFlags::BASE)
        .unwrap()
        .collect();
    assert!(tasks.is_empty());
    let written = &r.get_ref().written;
    assert_eq!(written.len(), 1);
    let request = &written[0];
    assert_eq!(request.len(), 40);
    let (header, rest) = NlMsgHdr::read_from_prefix(request).unwrap();
    assert_eq!(header.nlmsg_len, 40);
    assert_eq!(header.nlmsg_seq, 1);
    let payload = TaskDiagPid::read_from_bytes(rest).unwrap();
    assert_eq!(payload.show_flags, ShowFlags::BASE.bits());
    assert_eq!(payload.dump_strategy, DumpStrategy::Children.value());
    assert_eq!(payload.pid, 42);
    assert_eq!(payload.reserved, 0);
}

#[test]
fn decodes_tasks_across_reads_with_one_buffer() {
    let mut r = reader(vec![
        Chunk::Data(cat(&[
            simple_task(1, 1, b"init"),
            simple_task(1, 2, b"kthreadd"),
        ])),
        Chunk::Data(simple_task(1, 30, b"a b")),
        Chunk::Data(cat(&[simple_task(1, 31, b"0123456789abcde"), done(1)])),
    ]);
    let (tasks, err) = dump_all(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        tasks,
        [
            expected(1, b"init"),
            expected(2, b"kthreadd"),
            expected(30, b"a b"),
            expected(31, b"0123456789abcde"),
        ]
    );
    // Three reads, all into the same 1024-byte buffer, and none after
    // NLMSG_DONE.
    assert_eq!(r.get_ref().reads, [1024, 1024, 1024]);
    assert_eq!(r.buffer_len(), 1024);
}

#[test]
fn decodes_every_field() {
    let mut b = base(11, 10, TaskState::TraceStop, b"worker");
    b.ppid = 9;
    b.tpid = 8;
    b.sid = 7;
    b.pgid = 6;
    let mut r = reader(vec![Chunk::Data(cat(&[
        task_msg(1, 11, 10, false, |t| t.base(&b)),
        done(1),
    ]))]);
    let (tasks, err) = dump_all(&mut r);
    assert!(err.is_none());
    assert_eq!(
        tasks,
        [Task::new(
            11,
            10,
            9,
            8,
            7,
            6,
            TaskState::TraceStop,
            Comm::new(b"worker")
        )]
    );
    assert_eq!(tasks[0].comm_str(), "worker");
    assert_eq!(tasks[0].name, None);
}

/// Every group, with a distinct value in each field.
const EVERY_GROUP: ShowFlags = ShowFlags::BASE
    .union(ShowFlags::CRED)
    .union(ShowFlags::STAT)
    .union(ShowFlags::STATM)
    .union(ShowFlags::CMDLINE)
    .union(ShowFlags::NAME);

fn abi_creds() -> TaskDiagCreds {
    TaskDiagCreds {
        cap_inheritable: TaskDiagCaps { cap: [1, 0] },
        cap_permitted: TaskDiagCaps {
            cap: [0xffff_ffff, 0x1ff],
        },
        cap_effective: TaskDiagCaps { cap: [2, 3] },
        cap_bset: TaskDiagCaps { cap: [4, 5] },
        uid: 1000,
        euid: 1001,
        suid: 1002,
        fsuid: 1003,
        gid: 2000,
        egid: 2001,
        sgid: 2002,
        fsgid: 2003,
    }
}

fn creds() -> Creds {
    Creds {
        uid: 1000,
        euid: 1001,
        suid: 1002,
        fsuid: 1003,
        gid: 2000,
        egid: 2001,
        sgid: 2002,
        fsgid: 2003,
        cap_inheritable: 1,
        cap_permitted: 0x1ff_ffff_ffff,
        cap_effective: (3 << 32) | 2,
        cap_bset: (5 << 32) | 4,
    }
}

fn abi_stat() -> TaskDiagStat {
    TaskDiagStat {
        minflt: 1,
        cminflt: 2,
        majflt: 3,
        cmajflt: 4,
        utime: 5,
        stime: 6,
        cutime: 7,
        cstime: 8,
        threads: 9,
        reserved: 0,
        start_time: 10,
        tty_nr: 34816,
        tpgid: 12,
        nice: -13,
        priority: 14,
        rt_priority: 15,
        policy: 16,
        processor: 17,
        flags: 0x40_0140,
    }
}

fn stat() -> Stat {
    Stat {
        minflt: 1,
        cminflt: 2,
        majflt: 3,
        cmajflt: 4,
        utime: 5,
        stime: 6,
        cutime: 7,
        cstime: 8,
        threads: 9,
        start_time: 10,
        tty_nr: 34816,
        tpgid: 12,
        nice: -13,
        priority: 14,
        rt_priority: 15,
        policy: 16,
        processor: 17,
        flags: 0x40_0140,
    }
}

fn abi_statm() -> TaskDiagStatm {
    TaskDiagStatm {
        anon: 1,
        file: 2,
        shmem: 3,
        hiwater_vm: 4,
        hiwater_rss: 5,
        text: 6,
        lib: 7,
        swap: 8,
        ptes: 9 * 4096,
        total_rss: 10,
        total_vm: 11,
        data_vm: 12,
        stack_vm: 13,
        locked_vm: 14,
        pinned_vm: 15,
    }
}

/// The part the reader should yield for [`abi_statm`]: the client's
/// `Statm` is the uapi structure, so the same values.
fn statm() -> Statm {
    abi_statm()
}

/// The record of a task with every group, as the reader should yield it.
fn full_task(pid: i32, comm: &[u8], cmdline: &[u8], name: &[u8]) -> Task {
    let mut task = expected(pid, comm);
    task.creds = Some(creds());
    task.stat = Some(stat());
    task.statm = Some(statm());
    task.cmdline = Some(cmdline.to_vec());
    task.name = Some(Comm::new(name));
    task
}

#[test]
fn decodes_every_group() {
    let b = base(42, 42, TaskState::Interruptible, b"kworker/0:1");
    let name = b"kworker/0:1-events_freezable_power_efficient";
    let mut r = reader(vec![Chunk::Data(cat(&[
        task_msg(1, 42, 42, false, |t| {
            t.base(&b)?;
            t.creds(&abi_creds())?;
            t.stat(&abi_stat())?;
            t.statm(&abi_statm())?;
            t.cmdline(b"")?;
            t.name(name)
        }),
        done(1),
    ]))]);
    let (tasks, err) = dump_show(&mut r, EVERY_GROUP);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(tasks, [full_task(42, b"kworker/0:1", b"", name)]);
    // The full name is what tdps shows; BASE keeps the 15-byte comm.
    assert_eq!(tasks[0].full_name().as_bytes(), name);
    assert_eq!(tasks[0].comm_bytes(), b"kworker/0:1");
    // The request named every group.
    let request = &r.get_ref().written[0];
    let payload = TaskDiagPid::read_from_bytes(&request[16..]).unwrap();
    assert_eq!(payload.show_flags, EVERY_GROUP.bits());
}

#[test]
fn decodes_each_group_alone() {
    let b = base(5, 5, TaskState::Running, b"one");
    let cases: [(ShowFlags, Vec<u8>); 5] = [
        (ShowFlags::CRED, base_msg(&b, |t| t.creds(&abi_creds()))),
        (ShowFlags::STAT, base_msg(&b, |t| t.stat(&abi_stat()))),
        (ShowFlags::STATM, base_msg(&b, |t| t.statm(&abi_statm()))),
        (
            ShowFlags::CMDLINE,
            base_msg(&b, |t| t.cmdline(b"sleep\0sixty\0")),
        ),
        (ShowFlags::NAME, base_msg(&b, |t| t.name(b"one"))),
    ];
    for (show, bytes) in cases {
        let mut r = reader(vec![Chunk::Data(cat(&[bytes, done(1)]))]);
        let (tasks, err) = dump_show(&mut r, show);
        assert!(err.is_none(), "{show:?}: {err:?}");
        let mut want = Task::new(5, 5, 1, 0, 5, 5, TaskState::Running, Comm::new(b"one"));
        if show == ShowFlags::CRED {
            want.creds = Some(creds());
        } else if show == ShowFlags::STAT {
            want.stat = Some(stat());
        } else if show == ShowFlags::STATM {
            want.statm = Some(statm());
        } else if show == ShowFlags::CMDLINE {
            want.cmdline = Some(b"sleep\0sixty\0".to_vec());
        } else {
            want.name = Some(Comm::new(b"one"));
        }
        assert_eq!(tasks, [want], "{show:?}");
    }
}

#[test]
fn stat_of_an_older_kernel_is_its_72_byte_prefix() {
    let b = base(5, 5, TaskState::Running, b"old");
    let ver0 = abi_stat().ver0();
    let mut r = reader(vec![Chunk::Data(cat(&[
        base_msg(&b, |t| t.stat_ver0(&ver0)),
        done(1),
    ]))]);
    let (tasks, err) = dump_show(&mut r, ShowFlags::STAT);
    assert!(err.is_none(), "{err:?}");
    let got = tasks[0].stat.unwrap();
    assert_eq!(
        got,
        Stat {
            // Not sent: defaults, no terminal group.
            start_time: 0,
            tty_nr: 0,
            tpgid: -1,
            nice: 0,
            priority: 0,
            rt_priority: 0,
            policy: 0,
            processor: 0,
            flags: 0,
            // Sent: those of the whole structure.
            ..stat()
        }
    );
}

#[test]
fn grows_the_buffer_on_emsgsize() {
    // A message larger than the first buffer: the kernel refuses the read
    // with EMSGSIZE and keeps the message; the reader doubles its buffer.
    let b = base(5, 5, TaskState::Running, b"big");
    let big = base_msg(&b, |t| t.cmdline(&[b'x'; 100]));
    assert!(big.len() > 128 && big.len() <= 256);
    let mut r = TaskDiagReader::with_buffer_size(
        FakeFile::new(vec![
            Chunk::Errno(EMSGSIZE),
            Chunk::Errno(EMSGSIZE),
            Chunk::Data(big),
            Chunk::Data(done(1)),
        ]),
        64,
        1024,
    );
    let (tasks, err) = dump_show(&mut r, ShowFlags::CMDLINE);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].comm_bytes(), b"big");
    assert_eq!(tasks[0].state, TaskState::Running);
    assert_eq!(tasks[0].cmdline.as_deref(), Some(&[b'x'; 100][..]));
    assert_eq!(r.get_ref().reads, [64, 128, 256, 256]);
    assert_eq!(r.buffer_len(), 256);
}

#[test]
fn emsgsize_at_the_cap_is_an_error() {
    let mut r = TaskDiagReader::with_buffer_size(
        FakeFile::new(vec![Chunk::Errno(EMSGSIZE), Chunk::Errno(EMSGSIZE)]),
        64,
        128,
    );
    let (tasks, err) = dump_all(&mut r);
    assert!(tasks.is_empty());
    match err {
        Some(
            e @ Error::MessageTooBig {
                buffer_len: 128, ..
            },
        ) => {
            assert_eq!(e.raw_os_error(), Some(EMSGSIZE));
            assert!(e.to_string().contains("dump ALL"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// The messages of a dump of three tasks, the middle one (pid 7) split
/// over three messages: its CMDLINE in three parts, the last message
/// carrying the last part and NAME.
fn split_dump() -> Vec<Vec<u8>> {
    let b6 = base(6, 6, TaskState::Interruptible, b"before");
    let b7 = base(7, 7, TaskState::Interruptible, b"split");
    let b8 = base(8, 8, TaskState::Interruptible, b"after");
    let whole = |b: TaskDiagBase, cmdline: &'static [u8], name: &'static [u8]| {
        move |t: &mut TaskWriter<'_, '_>| {
            t.base(&b)?;
            t.creds(&abi_creds())?;
            t.stat(&abi_stat())?;
            t.statm(&abi_statm())?;
            t.cmdline(cmdline)?;
            t.name(name)
        }
    };
    vec![
        task_msg(1, 6, 6, false, whole(b6, b"before\0", b"before")),
        task_msg(1, 7, 7, true, |t| {
            t.base(&b7)?;
            t.creds(&abi_creds())?;
            t.stat(&abi_stat())?;
            t.statm(&abi_statm())?;
            t.cmdline(b"split\0a")
        }),
        task_msg(1, 7, 7, true, |t| t.cmdline(b"bcdefg")),
        task_msg(1, 7, 7, false, |t| {
            t.cmdline(b"h\0")?;
            t.name(b"split")
        }),
        task_msg(1, 8, 8, false, whole(b8, b"after\0", b"after")),
        done(1),
    ]
}

fn split_expected() -> Vec<Task> {
    vec![
        full_task(6, b"before", b"before\0", b"before"),
        full_task(7, b"split", b"split\0abcdefgh\0", b"split"),
        full_task(8, b"after", b"after\0", b"after"),
    ]
}

#[test]
fn merges_continued_messages_across_any_reads() {
    // Every way of cutting the six messages into reads (a read returns
    // whole messages only): 2^5 of them.
    let messages = split_dump();
    let gaps = messages.len() - 1;
    for cuts in 0u32..1 << gaps {
        let mut chunks = Vec::new();
        let mut chunk = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            chunk.extend_from_slice(m);
            if i == gaps || cuts & (1 << i) != 0 {
                chunks.push(Chunk::Data(std::mem::take(&mut chunk)));
            }
        }
        let n_reads = chunks.len();
        let mut r = TaskDiagReader::with_buffer_size(FakeFile::new(chunks), 4096, 4096);
        let (tasks, err) = dump_show(&mut r, EVERY_GROUP);
        assert!(err.is_none(), "cuts {cuts:#b}: {err:?}");
        assert_eq!(tasks, split_expected(), "cuts {cuts:#b}");
        assert_eq!(r.get_ref().reads.len(), n_reads, "cuts {cuts:#b}");
    }
}

#[test]
fn a_cut_continuation_yields_the_task_as_it_is() {
    let b7 = base(7, 7, TaskState::Interruptible, b"exits");
    let first = task_msg(1, 7, 7, true, |t| {
        t.base(&b7)?;
        t.creds(&abi_creds())?;
        t.cmdline(b"exi")
    });
    let mut cut = Task::new(
        7,
        7,
        1,
        0,
        7,
        7,
        TaskState::Interruptible,
        Comm::new(b"exits"),
    );
    cut.creds = Some(creds());
    cut.cmdline = Some(b"exi".to_vec());
    let show = ShowFlags::CRED | ShowFlags::STAT | ShowFlags::CMDLINE | ShowFlags::NAME;
    let next = || {
        let b = base(8, 8, TaskState::Interruptible, b"next");
        task_msg(1, 8, 8, false, move |t| {
            t.base(&b)?;
            t.creds(&abi_creds())?;
            t.stat(&abi_stat())?;
            t.cmdline(b"")?;
            t.name(b"next")
        })
    };
    let mut next_task = expected(8, b"next");
    next_task.creds = Some(creds());
    next_task.stat = Some(stat());
    next_task.cmdline = Some(Vec::new());
    next_task.name = Some(Comm::new(b"next"));

    // Another task next, in the same read or in the next one.
    for chunks in [
        vec![Chunk::Data(cat(&[first.clone(), next(), done(1)]))],
        vec![
            Chunk::Data(first.clone()),
            Chunk::Data(cat(&[next(), done(1)])),
        ],
    ] {
        let mut r = reader(chunks);
        let (tasks, err) = dump_show(&mut r, show);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(tasks, [cut.clone(), next_task.clone()]);
    }

    // NLMSG_DONE next: the task, then a clean end.
    for chunks in [
        vec![Chunk::Data(cat(&[first.clone(), done(1)]))],
        vec![Chunk::Data(first.clone()), Chunk::Data(done(1))],
    ] {
        let mut r = reader(chunks);
        let (tasks, err) = dump_show(&mut r, show);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(tasks, [cut.clone()]);
    }

    // The same pid with another tgid is another task too.
    let other = {
        let b = base(7, 9, TaskState::Interruptible, b"other");
        task_msg(1, 7, 9, false, move |t| {
            t.base(&b)?;
            t.creds(&abi_creds())?;
            t.cmdline(b"")
        })
    };
    let mut r = reader(vec![Chunk::Data(cat(&[first, other, done(1)]))]);
    let (tasks, err) = dump_show(
        &mut r,
        ShowFlags::BASE | ShowFlags::CRED | ShowFlags::CMDLINE,
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(tasks.len(), 2);
    assert_eq!((tasks[1].pid, tasks[1].tgid), (7, 9));
    assert_eq!(tasks[1].comm_bytes(), b"other");
}

#[test]
fn recycled_command_lines_are_refilled() {
    let task = |pid: u32, cmdline: &'static [u8]| {
        let b = base(pid, pid, TaskState::Interruptible, b"t");
        task_msg(1, pid, pid, false, move |t| {
            t.base(&b)?;
            t.cmdline(cmdline)
        })
    };
    let mut r = reader(vec![Chunk::Data(cat(&[
        task(1, b"a much longer first command line\0"),
        task(2, b"short\0"),
        task(3, b"third\0"),
        done(1),
    ]))]);
    let mut tasks = r.dump(DumpStrategy::All, None, ShowFlags::CMDLINE).unwrap();
    let first = tasks.next().unwrap().unwrap();
    let ptr = first.cmdline.as_ref().unwrap().as_ptr();
    tasks.recycle(first);
    let second = tasks.next().unwrap().unwrap();
    // The same allocation, holding the second command line only.
    assert_eq!(second.cmdline.as_ref().unwrap().as_ptr(), ptr);
    assert_eq!(second.cmdline.as_deref(), Some(&b"short\0"[..]));
    // Without a recycled Vec, a new one.
    let third = tasks.next().unwrap().unwrap();
    assert_eq!(third.cmdline.as_deref(), Some(&b"third\0"[..]));
    assert!(tasks.next().is_none());
}

#[test]
fn sequence_number_mismatch() {
    let mut r = reader(vec![Chunk::Data(cat(&[
        simple_task(1, 1, b"ok"),
        simple_task(2, 2, b"stale"),
        done(1),
    ]))]);
    let (tasks, err) = dump_all(&mut r);
    assert_eq!(tasks, [expected(1, b"ok")]);
    assert_eq!(
        protocol(err),
        ProtocolError::SeqMismatch {
            expected: 1,
            found: 2
        }
    );
}

#[test]
fn stream_ending_before_done_is_truncated() {
    let mut r = reader(vec![Chunk::Data(simple_task(1, 1, b"init"))]);
    let (tasks, err) = dump_all(&mut r);
    assert_eq!(tasks, [expected(1, b"init")]);
    assert_eq!(protocol(err), ProtocolError::Truncated);

    // A read that ends inside a message.
    let mut bytes = cat(&[simple_task(1, 1, b"init"), simple_task(1, 2, b"cut")]);
    bytes.truncate(bytes.len() - 10);
    let mut r = reader(vec![Chunk::Data(bytes)]);
    let (tasks, err) = dump_all(&mut r);
    assert_eq!(tasks, [expected(1, b"init")]);
    match err {
        Some(Error::Malformed { source, .. }) => {
            assert!(source.to_string().contains("past the end"), "{source}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_attributes_name_the_structure_and_the_task() {
    let b = base(4, 4, TaskState::Running, b"bad");
    let cases: Vec<(u16, Vec<u8>, ShowFlags, &str)> = vec![
        (
            TASK_DIAG_STAT,
            vec![0; 20],
            ShowFlags::STAT,
            "20 bytes, struct task_diag_stat needs 72",
        ),
        (
            TASK_DIAG_STAT,
            vec![0; 80],
            ShowFlags::STAT,
            "80 bytes, struct task_diag_stat needs 112",
        ),
        (
            TASK_DIAG_CRED,
            vec![0; 60],
            ShowFlags::CRED,
            "60 bytes, struct task_diag_creds needs 64",
        ),
        (
            TASK_DIAG_STATM,
            vec![0; 8],
            ShowFlags::STATM,
            "8 bytes, struct task_diag_statm needs 120",
        ),
        (
            TASK_DIAG_NAME,
            b"no nul".to_vec(),
            ShowFlags::NAME,
            "not a NUL-terminated name",
        ),
    ];
    for (ty, payload, show, text) in cases {
        let bytes = base_msg(&b, |t| t.attr(ty, &payload));
        let mut r = reader(vec![Chunk::Data(cat(&[bytes, done(1)]))]);
        let (tasks, err) = dump_show(&mut r, show);
        assert!(tasks.is_empty());
        let err = err.expect("an error");
        let message = err.to_string();
        match &err {
            Error::Malformed {
                task: Some(4),
                source,
                ..
            } => {
                if ty != TASK_DIAG_NAME {
                    assert!(
                        matches!(source, ParseError::ShortPayload { payload, .. }
                        if *payload == match ty {
                            TASK_DIAG_STAT => Payload::Stat,
                            TASK_DIAG_CRED => Payload::Creds,
                            _ => Payload::Statm,
                        }),
                        "{source:?}"
                    );
                }
            }
            other => panic!("{other:?}"),
        }
        assert!(message.contains(text), "{message}");
        assert!(message.contains("in a message of task 4"), "{message}");
        // Nothing more after the error.
        assert!(r.dump(DumpStrategy::All, None, show).is_ok());
    }

    // A BASE attribute shorter than struct task_diag_base.
    let mut r = reader(vec![Chunk::Data(task_msg(1, 4, 4, false, |t| {
        t.attr(TASK_DIAG_BASE, &[0; 20])
    }))]);
    let err = dump_all(&mut r).1.unwrap();
    assert!(
        matches!(err, Error::Malformed { task: Some(4), .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("struct task_diag_base"), "{err}");
}

#[test]
fn other_protocol_errors() {
    let b = base(4, 4, TaskState::Running, b"x");
    let all = EVERY_GROUP;
    let cases: Vec<(Vec<u8>, ShowFlags, ProtocolError)> = vec![
        (
            cat(&[done(1), simple_task(1, 1, b"late")]),
            ShowFlags::BASE,
            ProtocolError::DataAfterDone,
        ),
        (
            message(NLMSG_DONE, 1, &(-5i32).to_ne_bytes()),
            ShowFlags::BASE,
            ProtocolError::DoneStatus(-5),
        ),
        (
            message(NLMSG_ERROR, 1, &(-22i32).to_ne_bytes()),
            ShowFlags::BASE,
            ProtocolError::ErrorMessage(-22),
        ),
        (
            message(0x10, 1, &[]),
            ShowFlags::BASE,
            ProtocolError::UnexpectedType(0x10),
        ),
        (
            task_msg(1, 4, 4, false, |t| t.name(b"x")),
            all,
            ProtocolError::MissingBase { pid: 4 },
        ),
        (
            {
                let mut b = base(4, 4, TaskState::Idle, b"odd");
                b.state = 42;
                task_msg(1, 4, 4, false, move |t| t.base(&b))
            },
            ShowFlags::BASE,
            ProtocolError::UnknownState { pid: 4, state: 42 },
        ),
        // Out of group order.
        (
            base_msg(&b, |t| {
                t.name(b"x")?;
                t.cmdline(b"x\0")
            }),
            all,
            ProtocolError::UnexpectedAttr {
                pid: 4,
                ty: TASK_DIAG_CMDLINE,
            },
        ),
        // Repeated in one message.
        (
            base_msg(&b, |t| {
                t.creds(&abi_creds())?;
                t.creds(&abi_creds())
            }),
            ShowFlags::CRED,
            ProtocolError::UnexpectedAttr {
                pid: 4,
                ty: TASK_DIAG_CRED,
            },
        ),
        // Not requested.
        (
            base_msg(&b, |t| t.statm(&abi_statm())),
            ShowFlags::BASE,
            ProtocolError::UnexpectedAttr {
                pid: 4,
                ty: TASK_DIAG_STATM,
            },
        ),
        // BASE again in a continuation; a group other than CMDLINE and VMA
        // continued into the next message.
        (
            cat(&[
                task_msg(1, 4, 4, true, |t| t.base(&b)),
                task_msg(1, 4, 4, false, |t| t.base(&b)),
            ]),
            ShowFlags::BASE,
            ProtocolError::UnexpectedAttr {
                pid: 4,
                ty: TASK_DIAG_BASE,
            },
        ),
        (
            cat(&[
                task_msg(1, 4, 4, true, |t| {
                    t.base(&b)?;
                    t.name(b"x")
                }),
                task_msg(1, 4, 4, false, |t| t.name(b"x")),
            ]),
            ShowFlags::NAME,
            ProtocolError::UnexpectedAttr {
                pid: 4,
                ty: TASK_DIAG_NAME,
            },
        ),
        // A continuation without attributes.
        (
            cat(&[
                task_msg(1, 4, 4, true, |t| t.base(&b)),
                task_msg(1, 4, 4, false, |_| Ok(())),
            ]),
            ShowFlags::BASE,
            ProtocolError::EmptyMessage { pid: 4 },
        ),
        // A task ended (no CONT) without a requested group.
        (
            base_msg(&b, |t| {
                t.creds(&abi_creds())?;
                t.name(b"x")
            }),
            ShowFlags::CRED | ShowFlags::STAT | ShowFlags::NAME,
            ProtocolError::MissingGroup {
                pid: 4,
                group: TASK_DIAG_STAT,
            },
        ),
    ];
    for (bytes, show, problem) in cases {
        dump_fails(bytes, show, &problem);
    }
    assert_eq!(
        ProtocolError::MissingGroup {
            pid: 4,
            group: TASK_DIAG_STAT
        }
        .to_string(),
        "task 4 ended without its requested TASK_DIAG_STAT attribute"
    );
    assert_eq!(
        ProtocolError::UnexpectedAttr { pid: 4, ty: 9 }.to_string(),
        "task 4: attribute type 9 out of group order, repeated or not requested"
    );
}

#[test]
fn kernel_errors_of_write() {
    let file = FakeFile {
        write_errno: Some(EINVAL),
        ..FakeFile::default()
    };
    let mut r = TaskDiagReader::new(file);
    let err = r
        .dump(DumpStrategy::All, None, ShowFlags::CRED)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(err.raw_os_error(), Some(EINVAL));
    assert!(
        err.to_string()
            .contains("dump ALL (ShowFlags(BASE | CRED))"),
        "{err}"
    );

    r.get_mut().write_errno = Some(ESRCH);
    let err = r
        .dump(DumpStrategy::One, Some(99), ShowFlags::BASE)
        .unwrap_err();
    assert!(matches!(err, Error::NoSuchTask { .. }), "{err:?}");
    assert!(err.to_string().contains("dump ONE of pid 99"), "{err}");

    r.get_mut().write_errno = Some(EBUSY);
    let err = r
        .dump(DumpStrategy::All, None, ShowFlags::BASE)
        .unwrap_err();
    match err {
        Error::Write { ref source, .. } => assert_eq!(source.raw_os_error(), Some(EBUSY)),
        ref other => panic!("{other:?}"),
    }

    r.get_mut().write_len = Some(20);
    let err = r
        .dump(DumpStrategy::All, None, ShowFlags::BASE)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ShortWrite {
                written: 20,
                expected: 40,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn pid_strategies_need_a_pid() {
    let mut r = reader(vec![]);
    for (strategy, pid) in [
        (DumpStrategy::One, None),
        (DumpStrategy::Thread, Some(0)),
        (DumpStrategy::Children, Some(-4)),
    ] {
        let err = r.dump(strategy, pid, ShowFlags::BASE).unwrap_err();
        assert!(matches!(err, Error::BadPid { .. }), "{err:?}");
    }
    assert!(r.get_ref().written.is_empty());
}

#[test]
fn read_errors_name_the_operation() {
    let mut r = reader(vec![Chunk::Errno(5)]);
    let err = r
        .dump(DumpStrategy::Thread, Some(3), ShowFlags::BASE)
        .unwrap()
        .next()
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err:?}");
    assert_eq!(err.raw_os_error(), Some(5));
    assert!(err.to_string().contains("dump THREAD of pid 3"), "{err}");
}

#[test]
fn abandoned_dump_is_drained_before_the_next_request() {
    let mut r = reader(vec![
        Chunk::Data(cat(&[simple_task(1, 1, b"one"), simple_task(1, 2, b"two")])),
        Chunk::Data(cat(&[simple_task(1, 3, b"three"), done(1)])),
        // The drain reads to the end of the first dump: 0.
        Chunk::Data(Vec::new()),
        // The second dump.
        Chunk::Data(cat(&[simple_task(2, 9, b"nine"), done(2)])),
    ]);
    {
        let mut tasks = r.dump(DumpStrategy::All, None, ShowFlags::BASE).unwrap();
        assert_eq!(tasks.next().unwrap().unwrap(), expected(1, b"one"));
        // Dropped here, the dump unfinished.
    }
    let (tasks, err) = dump_all(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(tasks, [expected(9, b"nine")]);
    assert_eq!(r.seq(), 2);
    let written = &r.get_ref().written;
    assert_eq!(written.len(), 2);
    assert_eq!(written[1][8..12], 2u32.to_ne_bytes());

    // A dump that ended at NLMSG_DONE needs no drain.
    let reads_before = r.get_ref().reads.len();
    r.get_mut().script.push_back(Chunk::Data(done(3)));
    let (tasks, err) = dump_all(&mut r);
    assert!(tasks.is_empty() && err.is_none());
    assert_eq!(r.get_ref().reads.len(), reads_before + 1);
}

// ---------------------------------------------------------------------------
// The VMA group.

/// The groups of a `pmap -x`: BASE, VMA with its statistics, CMDLINE and
/// NAME.
const PMAP_X: ShowFlags = ShowFlags::BASE
    .union(ShowFlags::VMA)
    .union(ShowFlags::VMA_STAT)
    .union(ShowFlags::CMDLINE)
    .union(ShowFlags::NAME);

/// A record's fixed part with distinct values in every field the reader
/// keeps (`generation`, which it does not keep, set too).
fn abi_vma(start: u64, end: u64, inode: u64) -> TaskDiagVma {
    TaskDiagVma {
        start,
        end,
        vm_flags: 0b1011_0101,
        pgoff: if inode == 0 { 0 } else { 0x3000 },
        major: if inode == 0 { 0 } else { 0xfe },
        minor: if inode == 0 { 0 } else { 1 },
        inode,
        generation: 77,
        ..TaskDiagVma::default()
    }
}

/// Statistics with a distinct value in every field, scaled by `k`.
fn vma_stat(k: u64) -> TaskDiagVmaStat {
    TaskDiagVmaStat {
        resident: k * 4096,
        shared_clean: k,
        shared_dirty: k + 1,
        private_clean: k + 2,
        private_dirty: k + 3,
        referenced: k + 4,
        anonymous: k + 5,
        anonymous_thp: k + 6,
        swap: k + 7,
        pss: (k + 8) << 12,
    }
}

/// The record the reader should yield for [`abi_vma`], `stat` and `name`.
fn vma(start: u64, end: u64, inode: u64, stat: Option<u64>, name: &[u8]) -> Vma {
    let a = abi_vma(start, end, inode);
    Vma {
        start,
        end,
        flags: a.vm_flags,
        pgoff: a.pgoff,
        major: a.major,
        minor: a.minor,
        inode,
        name: name.to_vec(),
        stat: stat.map(vma_stat),
    }
}

/// The four mappings of the split task, as (start, end, inode, name).
const MAPPINGS: [(u64, u64, u64, Option<&[u8]>); 4] = [
    (
        0x40_0000,
        0x40_2000,
        12,
        Some(b"/usr/bin/sle\\012ep (deleted)"),
    ),
    (0x60_0000, 0x62_1000, 0, Some(b"[heap]")),
    (0x7f00_0000_0000, 0x7f00_0000_4000, 0, None),
    (0x7ffc_0000_0000, 0x7ffc_0002_1000, 0, Some(b"[stack]")),
];

/// A dump of two tasks: a kernel thread with an empty VMA attribute, and a
/// process whose VMA attribute is split over three messages (two records,
/// one, one), followed by its CMDLINE and NAME; with statistics when
/// `stat`.
fn vma_dump(stat: bool) -> Vec<Vec<u8>> {
    let kthread = base(2, 2, TaskState::Interruptible, b"kthreadd");
    let b = base(9, 9, TaskState::Interruptible, b"sleep");
    let records = move |range: std::ops::Range<usize>| {
        move |t: &mut TaskWriter<'_, '_>| {
            let mut w = t.vma()?;
            for (i, &(start, end, inode, name)) in MAPPINGS[range].iter().enumerate() {
                let st = vma_stat(i as u64 + start / 0x1000);
                w.record(&abi_vma(start, end, inode), stat.then_some(&st), name)?;
            }
            Ok(())
        }
    };
    vec![
        task_msg(1, 2, 2, false, |t| {
            t.base(&kthread)?;
            t.vma()?;
            t.cmdline(b"")?;
            t.name(b"kthreadd")
        }),
        task_msg(1, 9, 9, true, |t| {
            t.base(&b)?;
            records(0..2)(t)
        }),
        task_msg(1, 9, 9, true, records(2..3)),
        task_msg(1, 9, 9, false, |t| {
            records(3..4)(t)?;
            t.cmdline(b"sleep\x001000\x00")?;
            t.name(b"sleep")
        }),
        done(1),
    ]
}

/// The records the reader should yield of [`vma_dump`].
fn vma_expected(stat: bool) -> Vec<Task> {
    let mut kthread = Task::new(
        2,
        2,
        1,
        0,
        2,
        2,
        TaskState::Interruptible,
        Comm::new(b"kthreadd"),
    );
    kthread.vmas = Some(Vec::new());
    kthread.cmdline = Some(Vec::new());
    kthread.name = Some(Comm::new(b"kthreadd"));
    let mut sleep = expected(9, b"sleep");
    // Each part numbers its records from 0 for their statistics.
    let firsts = [0, 1, 0, 0];
    sleep.vmas = Some(
        MAPPINGS
            .iter()
            .zip(firsts)
            .map(|(&(start, end, inode, name), i)| {
                let k = stat.then_some(i + start / 0x1000);
                vma(start, end, inode, k, name.unwrap_or_default())
            })
            .collect(),
    );
    sleep.cmdline = Some(b"sleep\x001000\x00".to_vec());
    sleep.name = Some(Comm::new(b"sleep"));
    vec![kthread, sleep]
}

#[test]
fn decodes_vma_records_split_over_messages_across_any_reads() {
    for stat in [true, false] {
        let show = if stat {
            PMAP_X
        } else {
            ShowFlags::from_bits_truncate(PMAP_X.bits() & !ShowFlags::VMA_STAT.bits())
        };
        let messages = vma_dump(stat);
        let gaps = messages.len() - 1;
        for cuts in 0u32..1 << gaps {
            let mut chunks = Vec::new();
            let mut chunk = Vec::new();
            for (i, m) in messages.iter().enumerate() {
                chunk.extend_from_slice(m);
                if i == gaps || cuts & (1 << i) != 0 {
                    chunks.push(Chunk::Data(std::mem::take(&mut chunk)));
                }
            }
            let mut r = TaskDiagReader::with_buffer_size(FakeFile::new(chunks), 4096, 4096);
            let (tasks, err) = dump_show(&mut r, show);
            assert!(err.is_none(), "stat {stat}, cuts {cuts:#b}: {err:?}");
            assert_eq!(tasks, vma_expected(stat), "stat {stat}, cuts {cuts:#b}");
        }
        // The request named VMA, and VMA_STAT when asked.
        let mut r = reader(vec![Chunk::Data(cat(&vma_dump(stat)))]);
        dump_show(&mut r, show);
        let payload = TaskDiagPid::read_from_bytes(&r.get_ref().written[0][16..]).unwrap();
        assert_eq!(payload.show_flags, show.bits());
    }
    // What the records say, through Vma's own accessors.
    let tasks = vma_expected(true);
    let vmas = tasks[1].vmas.as_ref().unwrap();
    assert_eq!(vmas[0].len(), 0x2000);
    assert_eq!(vmas[0].name, b"/usr/bin/sle\\012ep (deleted)");
    assert!(vmas[2].name.is_empty());
}

#[test]
fn a_dump_of_threads_has_the_maps_with_the_leader_only() {
    let leader = base(9, 9, TaskState::Interruptible, b"main");
    let thread = base(10, 9, TaskState::Interruptible, b"worker");
    let with_maps = |t: &mut TaskWriter<'_, '_>| {
        t.vma()?.record(&abi_vma(0x1000, 0x2000, 0), None, None)?;
        Ok(())
    };
    let messages = cat(&[
        task_msg(1, 9, 9, false, |t| {
            t.base(&leader)?;
            with_maps(t)
        }),
        task_msg(1, 10, 9, false, |t| t.base(&thread)),
        done(1),
    ]);
    for strategy in [DumpStrategy::AllThread, DumpStrategy::Thread] {
        let mut r = reader(vec![Chunk::Data(messages.clone())]);
        let tasks: Vec<Task> = r
            .dump(strategy, Some(9), ShowFlags::VMA)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].vmas.as_ref().map(Vec::len), Some(1));
        assert_eq!(tasks[1].vmas, None);
    }
    // Any other strategy, or a leader without them: a missing group.
    let mut r = reader(vec![Chunk::Data(messages)]);
    let (tasks, err) = dump_show(&mut r, ShowFlags::VMA);
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        protocol(err),
        ProtocolError::MissingGroup {
            pid: 10,
            group: TASK_DIAG_VMA
        }
    );
    let mut r = reader(vec![Chunk::Data(cat(&[
        task_msg(1, 9, 9, false, |t| t.base(&leader)),
        done(1),
    ]))]);
    let err = r
        .dump(DumpStrategy::AllThread, None, ShowFlags::VMA)
        .unwrap()
        .find_map(Result::err);
    assert_eq!(
        protocol(err),
        ProtocolError::MissingGroup {
            pid: 9,
            group: TASK_DIAG_VMA
        }
    );
}

#[test]
fn a_resumed_vma_part_may_start_below_the_last_end() {
    // The mappings changed between two messages: the next part resumes at
    // the first mapping that ends above the last record sent, which starts
    // below that end.
    let b = base(9, 9, TaskState::Interruptible, b"moving");
    let mut r = reader(vec![Chunk::Data(cat(&[
        task_msg(1, 9, 9, true, |t| {
            t.base(&b)?;
            t.vma()?.record(&abi_vma(0x1000, 0x3000, 0), None, None)?;
            Ok(())
        }),
        task_msg(1, 9, 9, false, |t| {
            t.vma()?.record(&abi_vma(0x2000, 0x5000, 0), None, None)?;
            Ok(())
        }),
        done(1),
    ]))]);
    let (tasks, err) = dump_show(&mut r, ShowFlags::VMA);
    assert!(err.is_none(), "{err:?}");
    let starts: Vec<u64> = tasks[0].vmas.iter().flatten().map(|v| v.start).collect();
    assert_eq!(starts, [0x1000, 0x2000]);
}

#[test]
fn vma_protocol_errors() {
    let b = base(4, 4, TaskState::Running, b"x");
    let one = |start: u64, end: u64, stat: bool| {
        move |t: &mut TaskWriter<'_, '_>| {
            let st = vma_stat(1);
            t.vma()?
                .record(&abi_vma(start, end, 0), stat.then_some(&st), None)?;
            Ok(())
        }
    };
    let two = |second: (u64, u64)| {
        move |t: &mut TaskWriter<'_, '_>| {
            let mut w = t.vma()?;
            w.record(&abi_vma(0x1000, 0x3000, 0), None, None)?;
            w.record(&abi_vma(second.0, second.1, 0), None, None)?;
            Ok(())
        }
    };
    let cases: Vec<(Vec<u8>, ShowFlags, ProtocolError)> = vec![
        // Statistics asked for, not sent.
        (
            base_msg(&b, one(0x1000, 0x2000, false)),
            ShowFlags::VMA | ShowFlags::VMA_STAT,
            ProtocolError::VmaStat {
                pid: 4,
                start: 0x1000,
                requested: true,
            },
        ),
        // Sent, not asked for.
        (
            base_msg(&b, one(0x1000, 0x2000, true)),
            ShowFlags::VMA,
            ProtocolError::VmaStat {
                pid: 4,
                start: 0x1000,
                requested: false,
            },
        ),
        // An empty record.
        (
            base_msg(&b, one(0x2000, 0x2000, false)),
            ShowFlags::VMA,
            ProtocolError::VmaOrder {
                pid: 4,
                start: 0x2000,
                end: 0x2000,
            },
        ),
        // Out of order in one part.
        (
            base_msg(&b, two((0x0, 0x1000))),
            ShowFlags::VMA,
            ProtocolError::VmaOrder {
                pid: 4,
                start: 0,
                end: 0x1000,
            },
        ),
        // Repeated across two parts.
        (
            cat(&[
                task_msg(1, 4, 4, true, |t| {
                    t.base(&b)?;
                    two((0x3000, 0x4000))(t)
                }),
                task_msg(1, 4, 4, false, one(0x3000, 0x4000, false)),
            ]),
            ShowFlags::VMA,
            ProtocolError::VmaOrder {
                pid: 4,
                start: 0x3000,
                end: 0x4000,
            },
        ),
        // VMA asked for, no attribute.
        (
            base_msg(&b, |t| t.name(b"x")),
            ShowFlags::VMA | ShowFlags::NAME,
            ProtocolError::MissingGroup {
                pid: 4,
                group: TASK_DIAG_VMA,
            },
        ),
        // A second VMA attribute after another group.
        (
            base_msg(&b, |t| {
                one(0x1000, 0x2000, false)(t)?;
                t.name(b"x")?;
                one(0x3000, 0x4000, false)(t)
            }),
            ShowFlags::VMA | ShowFlags::NAME,
            ProtocolError::UnexpectedAttr {
                pid: 4,
                ty: TASK_DIAG_VMA,
            },
        ),
    ];
    for (bytes, show, problem) in cases {
        let err = dump_fails(bytes, show, &problem);
        assert!(err.to_string().contains("task 4"), "{err}");
    }
}
