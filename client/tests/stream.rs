// SPDX-License-Identifier: MIT OR Apache-2.0

//! The task_diag stream decoder over a scripted file: the request it
//! writes, the records it yields from hand-built responses, and every error
//! of a response.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use task_diag::stream::TaskDiagReader;
use task_diag::{Comm, DumpStrategy, Error, ProtocolError, ShowFlags, Task, TaskState};
use task_diag_uapi::abi::{
    NlAttr, NlMsgHdr, TaskDiagBase, TaskDiagMsg, TaskDiagPid, NLMSG_DONE, NLMSG_ERROR, NLM_F_MULTI,
    TASK_DIAG_BASE, TASK_DIAG_CMD_GET, TASK_DIAG_FLAG_CONT, TASK_DIAG_VMA,
};
use zerocopy::{FromBytes, IntoBytes};

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
// Building responses as the kernel writes them.

fn pad4(buf: &mut Vec<u8>) {
    buf.resize(buf.len().next_multiple_of(4), 0);
}

fn message(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let header = NlMsgHdr {
        nlmsg_len: u32::try_from(16 + payload.len()).unwrap(),
        nlmsg_type: ty,
        nlmsg_flags: NLM_F_MULTI,
        nlmsg_seq: seq,
        nlmsg_pid: 0,
    };
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(payload);
    pad4(&mut out);
    out
}

fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let header = NlAttr {
        nla_len: u16::try_from(4 + payload.len()).unwrap(),
        nla_type: ty,
    };
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(payload);
    pad4(&mut out);
    out
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

fn base_attr(base: &TaskDiagBase) -> Vec<u8> {
    attr(TASK_DIAG_BASE, base.as_bytes())
}

fn task_msg(seq: u32, pid: u32, tgid: u32, continued: bool, attrs: &[Vec<u8>]) -> Vec<u8> {
    let msg = TaskDiagMsg {
        pid,
        tgid,
        flags: if continued { TASK_DIAG_FLAG_CONT } else { 0 },
    };
    let mut payload = msg.as_bytes().to_vec();
    pad4(&mut payload);
    for a in attrs {
        payload.extend_from_slice(a);
    }
    message(TASK_DIAG_CMD_GET, seq, &payload)
}

fn simple_task(seq: u32, pid: u32, comm: &[u8]) -> Vec<u8> {
    let b = base(pid, pid, TaskState::Interruptible, comm);
    task_msg(seq, pid, pid, false, &[base_attr(&b)])
}

fn done(seq: u32) -> Vec<u8> {
    message(NLMSG_DONE, seq, &0i32.to_ne_bytes())
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

/// Runs a dump of every process; returns the records and the error that
/// ended it, if any.
fn dump_all(reader: &mut TaskDiagReader<FakeFile>) -> (Vec<Task>, Option<Error>) {
    let mut tasks = Vec::new();
    for item in reader
        .dump(DumpStrategy::All, None, ShowFlags::BASE)
        .unwrap()
    {
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
        task_msg(1, 11, 10, false, &[base_attr(&b)]),
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
}

#[test]
fn grows_the_buffer_on_emsgsize() {
    // A message larger than the first buffer: the kernel refuses the read
    // with EMSGSIZE and keeps the message; the reader doubles its buffer.
    let big_attr = attr(TASK_DIAG_VMA, &[0u8; 100]);
    let b = base(5, 5, TaskState::Running, b"big");
    let big = task_msg(1, 5, 5, false, &[base_attr(&b), big_attr]);
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
    let (tasks, err) = dump_all(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].comm_bytes(), b"big");
    assert_eq!(tasks[0].state, TaskState::Running);
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

#[test]
fn merges_continued_messages() {
    let b = base(7, 7, TaskState::Interruptible, b"mapped");
    let vma = attr(TASK_DIAG_VMA, &[0u8; 64]);
    let mut r = reader(vec![
        Chunk::Data(cat(&[
            simple_task(1, 6, b"before"),
            task_msg(1, 7, 7, true, &[base_attr(&b), vma.clone()]),
            task_msg(1, 7, 7, true, std::slice::from_ref(&vma)),
        ])),
        // The last part comes in the next read.
        Chunk::Data(cat(&[
            task_msg(1, 7, 7, false, &[vma]),
            simple_task(1, 8, b"after"),
            done(1),
        ])),
    ]);
    let (tasks, err) = dump_all(&mut r);
    assert!(err.is_none(), "{err:?}");
    let names: Vec<_> = tasks
        .iter()
        .map(|t| (t.pid, t.comm_str().into_owned()))
        .collect();
    assert_eq!(
        names,
        [
            (6, "before".into()),
            (7, "mapped".into()),
            (8, "after".into())
        ]
    );
}

#[test]
fn broken_continuations() {
    let b = base(7, 7, TaskState::Interruptible, b"x");
    let mut r = reader(vec![Chunk::Data(cat(&[
        task_msg(1, 7, 7, true, &[base_attr(&b)]),
        simple_task(1, 8, b"y"),
        done(1),
    ]))]);
    let (tasks, err) = dump_all(&mut r);
    assert!(tasks.is_empty());
    assert_eq!(
        protocol(err),
        ProtocolError::BrokenContinuation { pid: 7, found: 8 }
    );

    let mut r = reader(vec![Chunk::Data(cat(&[
        task_msg(1, 7, 7, true, &[base_attr(&b)]),
        done(1),
    ]))]);
    assert_eq!(
        protocol(dump_all(&mut r).1),
        ProtocolError::BrokenContinuation { pid: 7, found: 0 }
    );
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
fn other_protocol_errors() {
    let cases: Vec<(Vec<u8>, ProtocolError)> = vec![
        (
            cat(&[done(1), simple_task(1, 1, b"late")]),
            ProtocolError::DataAfterDone,
        ),
        (
            message(NLMSG_DONE, 1, &(-5i32).to_ne_bytes()),
            ProtocolError::DoneStatus(-5),
        ),
        (
            message(NLMSG_ERROR, 1, &(-22i32).to_ne_bytes()),
            ProtocolError::ErrorMessage(-22),
        ),
        (message(0x10, 1, &[]), ProtocolError::UnexpectedType(0x10)),
        (
            task_msg(1, 4, 4, false, &[attr(TASK_DIAG_VMA, &[0; 8])]),
            ProtocolError::MissingBase { pid: 4 },
        ),
        (
            {
                let mut b = base(4, 4, TaskState::Idle, b"odd");
                b.state = 42;
                task_msg(1, 4, 4, false, &[base_attr(&b)])
            },
            ProtocolError::UnknownState { pid: 4, state: 42 },
        ),
    ];
    for (bytes, problem) in cases {
        let mut r = reader(vec![Chunk::Data(bytes)]);
        assert_eq!(protocol(dump_all(&mut r).1), problem);
    }

    // A BASE attribute shorter than struct task_diag_base.
    let mut r = reader(vec![Chunk::Data(task_msg(
        1,
        4,
        4,
        false,
        &[attr(TASK_DIAG_BASE, &[0; 20])],
    ))]);
    assert!(matches!(dump_all(&mut r).1, Some(Error::Malformed { .. })));
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
