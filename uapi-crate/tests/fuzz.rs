// SPDX-License-Identifier: MIT OR Apache-2.0

//! Property tests: no input makes the response iterators panic or loop.
//!
//! Arbitrary bytes and mutated valid responses are fed to every iterator
//! ([`Messages`], [`Attrs`], [`VmaIter`]); each must end within a bound set
//! by the buffer's length, yield an error only as its last item, and stay
//! ended. Valid responses must parse back to what was encoded.
//!
//! The number of cases is `PROPTEST_CASES`, 2000 by default; a long run:
//! `PROPTEST_CASES=1000000 cargo test -p task-diag-uapi --release --test fuzz`.

mod common;

use proptest::prelude::*;
use task_diag_uapi::abi::*;
use task_diag_uapi::response::{Attr, Attrs, MessageKind, Messages, VmaIter};
use zerocopy::IntoBytes;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig::with_cases(cases)
}

/// Drives `it` to its end, checking that it ends within `bound` items, that
/// only its last item is an error, and that it stays ended. Returns the
/// number of items.
fn drive<T, I>(mut it: I, bound: usize, mut each: impl FnMut(T)) -> usize
where
    I: Iterator<Item = Result<T, task_diag_uapi::response::ParseError>>,
{
    let mut n = 0;
    let mut failed = false;
    for item in it.by_ref() {
        assert!(!failed, "an item after an error");
        n += 1;
        assert!(n <= bound, "more than {bound} items: the iterator loops");
        match item {
            Ok(value) => each(value),
            Err(err) => {
                // Display must not panic either.
                assert!(!err.to_string().is_empty());
                failed = true;
            }
        }
    }
    assert!(it.next().is_none());
    assert!(it.next().is_none());
    n
}

fn walk_vmas(it: VmaIter<'_>) {
    let bound = it.bytes().len() / 64 + 1;
    drive(it, bound, |vma| {
        if let Some(name) = vma.name {
            assert!(name.len() < usize::from(vma.vma.vma_len));
        }
    });
}

fn walk_attrs(it: Attrs<'_>, len: usize) {
    drive(it, len / 4 + 1, |attr| {
        if let Attr::Vma(vmas) = attr {
            walk_vmas(vmas);
        }
    });
}

/// Walks everything reachable from `buf`, read as a response, as
/// attributes and as VMA records.
fn walk(buf: &[u8]) {
    drive(Messages::new(buf), buf.len() / 16 + 1, |m| {
        assert!(m.payload().len() + 16 <= buf.len());
        if let MessageKind::Task(task) = m.kind() {
            walk_attrs(task.attrs(), task.attr_bytes().len());
        }
    });
    walk_attrs(Attrs::new(buf), buf.len());
    walk_vmas(VmaIter::new(buf));
}

// ---------------------------------------------------------------------------
// Valid responses.

#[derive(Debug, Clone)]
struct VmaSpec {
    start: u64,
    stat: Option<u64>,
    name: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct TaskSpec {
    pid: u32,
    cont: bool,
    base: bool,
    creds: bool,
    vmas: Option<Vec<VmaSpec>>,
    stat: bool,
    statm: bool,
    cmdline: Option<Vec<u8>>,
    unknown: Option<(u16, Vec<u8>)>,
}

fn vma_spec() -> impl Strategy<Value = VmaSpec> {
    (
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(proptest::collection::vec(1u8..=255, 0..40)),
    )
        .prop_map(|(start, stat, name)| VmaSpec { start, stat, name })
}

fn task_spec() -> impl Strategy<Value = TaskSpec> {
    (
        (any::<u32>(), any::<bool>(), any::<bool>(), any::<bool>()),
        proptest::option::of(proptest::collection::vec(vma_spec(), 0..5)),
        (any::<bool>(), any::<bool>()),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        proptest::option::of((7u16.., proptest::collection::vec(any::<u8>(), 0..16))),
    )
        .prop_map(
            |((pid, cont, base, creds), vmas, (stat, statm), cmdline, unknown)| TaskSpec {
                pid,
                cont,
                base,
                creds,
                vmas,
                stat,
                statm,
                cmdline,
                unknown,
            },
        )
}

fn encode_vma(spec: &VmaSpec) -> Vec<u8> {
    let vma = TaskDiagVma {
        start: spec.start,
        end: spec.start.wrapping_add(4096),
        ..Default::default()
    };
    let stat = spec.stat.map(|resident| TaskDiagVmaStat {
        resident,
        ..Default::default()
    });
    common::vma_record(vma, stat.as_ref(), spec.name.as_deref())
}

fn encode_task(seq: u32, spec: &TaskSpec) -> Vec<u8> {
    let mut attrs = Vec::new();
    if spec.base {
        let base = TaskDiagBase {
            pid: spec.pid,
            ..Default::default()
        };
        attrs.push(common::attr(TASK_DIAG_BASE, base.as_bytes()));
    }
    if spec.creds {
        let creds = TaskDiagCreds {
            uid: spec.pid,
            ..Default::default()
        };
        attrs.push(common::attr(TASK_DIAG_CRED, creds.as_bytes()));
    }
    if let Some(vmas) = &spec.vmas {
        let records: Vec<u8> = vmas.iter().flat_map(encode_vma).collect();
        attrs.push(common::attr(TASK_DIAG_VMA, &records));
    }
    if spec.stat {
        attrs.push(common::attr(
            TASK_DIAG_STAT,
            TaskDiagStat::default().as_bytes(),
        ));
    }
    if spec.statm {
        attrs.push(common::attr(
            TASK_DIAG_STATM,
            TaskDiagStatm::default().as_bytes(),
        ));
    }
    if let Some(cmdline) = &spec.cmdline {
        attrs.push(common::attr(TASK_DIAG_CMDLINE, cmdline));
    }
    if let Some((ty, data)) = &spec.unknown {
        attrs.push(common::attr(*ty, data));
    }
    let msg = TaskDiagMsg {
        pid: spec.pid,
        tgid: spec.pid,
        flags: if spec.cont { TASK_DIAG_FLAG_CONT } else { 0 },
    };
    common::task(seq, msg, &attrs)
}

fn encode(seq: u32, tasks: &[TaskSpec]) -> Vec<u8> {
    let mut buf: Vec<u8> = tasks.iter().flat_map(|t| encode_task(seq, t)).collect();
    buf.extend(common::done(seq));
    buf
}

fn response() -> impl Strategy<Value = (u32, Vec<TaskSpec>)> {
    (any::<u32>(), proptest::collection::vec(task_spec(), 0..6))
}

/// A response, then an `NLMSG_ERROR` and a message of another type, as
/// material for mutations.
fn encode_with_others(seq: u32, tasks: &[TaskSpec]) -> Vec<u8> {
    let mut buf = encode(seq, tasks);
    buf.extend(common::error(seq, -22));
    buf.extend(common::message(0x42, seq, b"other"));
    buf
}

/// One change to a buffer.
#[derive(Debug, Clone)]
enum Mutation {
    SetByte(usize, u8),
    FlipBit(usize, u8),
    SetU16(usize, u16),
    SetU32(usize, u32),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Small values hit the interesting cases (0, lengths near the sizes).
    let small16 = prop_oneof![0u16..200, any::<u16>()];
    let small32 = prop_oneof![0u32..200, any::<u32>()];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), small16).prop_map(|(i, v)| Mutation::SetU16(i, v)),
        (any::<usize>(), small32).prop_map(|(i, v)| Mutation::SetU32(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(buf: &mut Vec<u8>, m: &Mutation) {
    let len = buf.len();
    let at = |i: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::SetByte(i, v) => {
            if len > 0 {
                buf[at(*i)] = *v;
            }
        }
        Mutation::FlipBit(i, b) => {
            if len > 0 {
                buf[at(*i)] ^= 1 << b;
            }
        }
        Mutation::SetU16(i, v) => {
            if len >= 2 {
                // Aligned, as the fields are.
                let i = (at(*i) & !1).min(len - 2);
                buf[i..i + 2].copy_from_slice(&v.to_ne_bytes());
            }
        }
        Mutation::SetU32(i, v) => {
            if len >= 4 {
                let i = (at(*i) & !3).min(len - 4);
                buf[i..i + 4].copy_from_slice(&v.to_ne_bytes());
            }
        }
        Mutation::Truncate(i) => buf.truncate(at(*i)),
        Mutation::Insert(i, v) => {
            let i = at(*i);
            buf.splice(i..i, v.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let i = at(*i);
            let end = (i + n).min(len);
            buf.drain(i..end);
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes(buf in proptest::collection::vec(any::<u8>(), 0..1024)) {
        walk(&buf);
    }

    #[test]
    fn valid_responses_round_trip((seq, tasks) in response()) {
        let buf = encode(seq, &tasks);
        let messages: Vec<_> = Messages::new(&buf).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(messages.len(), tasks.len() + 1);
        for (m, spec) in messages.iter().zip(&tasks) {
            prop_assert_eq!(m.header().nlmsg_seq, seq);
            let task = m.task().unwrap();
            prop_assert_eq!(task.pid(), spec.pid);
            prop_assert_eq!(task.is_continued(), spec.cont);
            let attrs: Vec<_> = task.attrs().collect::<Result<_, _>>().unwrap();
            let expected = usize::from(spec.base)
                + usize::from(spec.creds)
                + usize::from(spec.vmas.is_some())
                + usize::from(spec.stat)
                + usize::from(spec.statm)
                + usize::from(spec.cmdline.is_some())
                + usize::from(spec.unknown.is_some());
            prop_assert_eq!(attrs.len(), expected);
            for attr in attrs {
                match attr {
                    Attr::Base(b) => prop_assert_eq!(b.pid, spec.pid),
                    Attr::Creds(c) => prop_assert_eq!(c.uid, spec.pid),
                    Attr::Cmdline(c) => prop_assert_eq!(Some(c), spec.cmdline.as_deref()),
                    Attr::Vma(v) => {
                        let recs: Vec<_> = v.collect::<Result<_, _>>().unwrap();
                        let specs = spec.vmas.as_ref().unwrap();
                        prop_assert_eq!(recs.len(), specs.len());
                        for (r, s) in recs.iter().zip(specs) {
                            prop_assert_eq!(r.vma.start, s.start);
                            prop_assert_eq!(r.stat.map(|st| st.resident), s.stat);
                            prop_assert_eq!(r.name, s.name.as_deref());
                        }
                    }
                    Attr::Unknown { ty, data } => {
                        let (sty, sdata) = spec.unknown.as_ref().unwrap();
                        prop_assert_eq!(ty, *sty);
                        prop_assert_eq!(data, &sdata[..]);
                    }
                    _ => {}
                }
            }
        }
        prop_assert_eq!(messages[tasks.len()].kind(), &MessageKind::Done(0));
        walk(&buf);
    }

    #[test]
    fn mutated_responses(
        (seq, tasks) in response(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut buf = encode_with_others(seq, &tasks);
        for m in &mutations {
            apply(&mut buf, m);
        }
        walk(&buf);
        // The same bytes as the attributes of one message, and as records.
        if let Some(rest) = buf.get(28..) {
            walk_attrs(Attrs::new(rest), rest.len());
        }
        if let Some(rest) = buf.get(32..) {
            walk_vmas(VmaIter::new(rest));
        }
    }

    #[test]
    fn mutated_vma_records(
        specs in proptest::collection::vec(vma_spec(), 1..6),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut buf: Vec<u8> = specs.iter().flat_map(encode_vma).collect();
        for m in &mutations {
            apply(&mut buf, m);
        }
        walk_vmas(VmaIter::new(&buf));
        let attr = common::attr(TASK_DIAG_VMA, &buf[..buf.len().min(65000)]);
        walk_attrs(Attrs::new(&attr), attr.len());
    }
}
