// SPDX-License-Identifier: MIT OR Apache-2.0

//! Property tests: no input makes the response iterators panic or loop.
//!
//! Arbitrary bytes and mutated valid responses are fed to every iterator
//! ([`Messages`], [`Attrs`], [`VmaIter`]); each must end within a bound set
//! by the buffer's length, yield an error only as its last item, and stay
//! ended. Valid responses must parse back to what was encoded.
//!
//! Valid responses are encoded with `task_diag_uapi::emit`, as the kernel
//! would send them (groups split over messages included), and must decode
//! to what was encoded; encoding into too small a buffer must fail cleanly
//! and leave bytes that decode without an error.
//!
//! The number of cases is `PROPTEST_CASES`, 1000 by default; a long run:
//! `PROPTEST_CASES=1000000 cargo test -p task-diag-uapi --release --test fuzz`.

mod common;

use proptest::prelude::*;
use task_diag_uapi::abi::*;
use task_diag_uapi::emit::{EmitError, Encoder, TaskWriter};
use task_diag_uapi::response::{
    Attr, Attrs, MessageKind, Messages, ParseError, Stat, TaskMessage, VmaIter,
};
use zerocopy::IntoBytes;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    ProptestConfig::with_cases(cases)
}

/// Drives `it` to its end, checking that it ends within `bound` items, that
/// only its last item is an error, and that it stays ended. Returns the
/// number of errors, 0 or 1.
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
    usize::from(failed)
}

/// Walks VMA records; returns the number of errors.
fn walk_vmas(it: VmaIter<'_>) -> usize {
    let bound = it.bytes().len() / 64 + 1;
    drive(it, bound, |vma| {
        if let Some(name) = vma.name {
            assert!(name.len() < usize::from(vma.vma.vma_len));
            assert!(!name.contains(&0));
        }
        assert!(vma.vma.vma_len % 8 == 0);
    })
}

/// Walks attributes and the records of their VMA attributes; returns the
/// number of errors.
fn walk_attrs(it: Attrs<'_>, len: usize) -> usize {
    let mut errors = 0;
    let own = drive(it, len / 4 + 1, |attr| match attr {
        Attr::Vma(vmas) => errors += walk_vmas(vmas),
        Attr::Name(name) => {
            assert!(name.len() < TASK_DIAG_NAME_LEN);
            assert!(!name.contains(&0));
        }
        Attr::Stat(stat) => {
            if let Some(full) = stat.full() {
                assert_eq!(full.ver0(), stat.ver0());
            }
        }
        _ => {}
    });
    errors + own
}

/// The typed accessors of a task message: no panic, and an error only
/// where the walk of its attributes has one.
fn check_accessors(task: &TaskMessage<'_>, attr_errors: usize) {
    let results = [
        task.base().err(),
        task.creds().err(),
        task.vmas().err(),
        task.stat().err(),
        task.statm().err(),
        task.cmdline().err(),
        task.name().err(),
        task.find(TASK_DIAG_VMA_STAT).err(),
    ];
    let attr_error = task.attrs().find_map(Result::err);
    for err in results.into_iter().flatten() {
        assert_eq!(Some(err), attr_error);
    }
    if attr_errors == 0 {
        assert!(attr_error.is_none());
    }
}

/// Walks everything reachable from `buf`, read as a response, as
/// attributes and as VMA records. Returns the number of errors of the
/// response read as messages (their attributes and records included).
fn walk(buf: &[u8]) -> usize {
    let mut errors = 0;
    let own = drive(Messages::new(buf), buf.len() / 16 + 1, |m| {
        assert!(m.payload().len() + 16 <= buf.len());
        if let MessageKind::Task(task) = m.kind() {
            let e = walk_attrs(task.attrs(), task.attr_bytes().len());
            check_accessors(task, e);
            errors += e;
        }
    });
    walk_attrs(Attrs::new(buf), buf.len());
    walk_vmas(VmaIter::new(buf));
    errors + own
}

// ---------------------------------------------------------------------------
// Valid responses, encoded with `task_diag_uapi::emit`.

#[derive(Debug, Clone)]
struct VmaSpec {
    start: u64,
    stat: Option<u64>,
    name: Option<Vec<u8>>,
}

/// Which STAT a task has: none, the published 72 bytes, or all 112.
#[derive(Debug, Clone, Copy, PartialEq)]
enum StatSpec {
    None,
    Ver0(u32),
    Full(u32, i32),
}

#[derive(Debug, Clone)]
struct TaskSpec {
    pid: u32,
    cont: bool,
    base: bool,
    creds: bool,
    vmas: Option<Vec<VmaSpec>>,
    /// Where the VMA records are split into a second message.
    vma_cut: Option<usize>,
    stat: StatSpec,
    statm: bool,
    cmdline: Option<Vec<u8>>,
    /// Where the command line is split into another message.
    cmdline_cut: Option<usize>,
    name: Option<Vec<u8>>,
    unknown: Option<(u16, Vec<u8>)>,
}

impl TaskSpec {
    /// The number of messages the task takes.
    fn messages(&self) -> usize {
        1 + usize::from(self.vma_cut.is_some() && self.vmas.is_some())
            + usize::from(self.cmdline_cut.is_some() && self.cmdline.is_some())
    }
}

fn vma_spec() -> impl Strategy<Value = VmaSpec> {
    (
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(proptest::collection::vec(1u8..=255, 0..40)),
    )
        .prop_map(|(start, stat, name)| VmaSpec { start, stat, name })
}

fn stat_spec() -> impl Strategy<Value = StatSpec> {
    prop_oneof![
        Just(StatSpec::None),
        any::<u32>().prop_map(StatSpec::Ver0),
        (any::<u32>(), -20i32..20).prop_map(|(t, n)| StatSpec::Full(t, n)),
    ]
}

fn task_spec() -> impl Strategy<Value = TaskSpec> {
    (
        (any::<u32>(), any::<bool>(), any::<bool>(), any::<bool>()),
        proptest::option::of(proptest::collection::vec(vma_spec(), 0..5)),
        proptest::option::of(any::<usize>()),
        (stat_spec(), any::<bool>()),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        proptest::option::of(any::<usize>()),
        proptest::option::of(proptest::collection::vec(1u8..=255, 0..TASK_DIAG_NAME_LEN)),
        proptest::option::of((8u16.., proptest::collection::vec(any::<u8>(), 0..16))),
    )
        .prop_map(
            |(
                (pid, cont, base, creds),
                vmas,
                vma_cut,
                (stat, statm),
                cmdline,
                cmdline_cut,
                name,
                unknown,
            )| TaskSpec {
                pid,
                cont,
                base,
                creds,
                vma_cut: vma_cut.map(|c| c % (vmas.as_ref().map_or(0, Vec::len) + 1)),
                vmas,
                stat,
                statm,
                cmdline_cut: cmdline_cut.map(|c| c % (cmdline.as_ref().map_or(0, Vec::len) + 1)),
                cmdline,
                name,
                unknown,
            },
        )
}

fn vma_of(spec: &VmaSpec) -> (TaskDiagVma, Option<TaskDiagVmaStat>) {
    let vma = TaskDiagVma {
        start: spec.start,
        end: spec.start.wrapping_add(4096),
        ..Default::default()
    };
    let stat = spec.stat.map(|resident| TaskDiagVmaStat {
        resident,
        ..Default::default()
    });
    (vma, stat)
}

fn encode_vma(spec: &VmaSpec) -> Vec<u8> {
    let (vma, stat) = vma_of(spec);
    common::vma_record(vma, stat.as_ref(), spec.name.as_deref())
}

fn msg_of(spec: &TaskSpec, cont: bool) -> TaskDiagMsg {
    TaskDiagMsg {
        pid: spec.pid,
        tgid: spec.pid,
        flags: if cont { TASK_DIAG_FLAG_CONT } else { 0 },
    }
}

fn add_vmas(t: &mut TaskWriter<'_, '_>, vmas: &[VmaSpec]) -> Result<(), EmitError> {
    let mut w = t.vma()?;
    for spec in vmas {
        let (vma, stat) = vma_of(spec);
        w.record(&vma, stat.as_ref(), spec.name.as_deref())?;
    }
    w.finish();
    Ok(())
}

/// Encodes one task as the kernel would: its groups in order, split into
/// further messages at `vma_cut` and `cmdline_cut`.
fn encode_task(e: &mut Encoder<'_>, seq: u32, spec: &TaskSpec) -> Result<(), EmitError> {
    let mut t = e.task(seq, msg_of(spec, true))?;
    if spec.base {
        t.base(&TaskDiagBase {
            pid: spec.pid,
            ..Default::default()
        })?;
    }
    if spec.creds {
        t.creds(&TaskDiagCreds {
            uid: spec.pid,
            ..Default::default()
        })?;
    }
    if let Some(vmas) = &spec.vmas {
        match spec.vma_cut {
            Some(cut) => {
                add_vmas(&mut t, &vmas[..cut])?;
                t.finish();
                t = e.task(seq, msg_of(spec, true))?;
                add_vmas(&mut t, &vmas[cut..])?;
            }
            None => add_vmas(&mut t, vmas)?,
        }
    }
    match spec.stat {
        StatSpec::None => {}
        StatSpec::Ver0(threads) => t.stat_ver0(&TaskDiagStatVer0 {
            threads,
            ..Default::default()
        })?,
        StatSpec::Full(threads, nice) => t.stat(&TaskDiagStat {
            threads,
            nice,
            ..Default::default()
        })?,
    }
    if spec.statm {
        t.statm(&TaskDiagStatm::default())?;
    }
    if let Some(cmdline) = &spec.cmdline {
        match spec.cmdline_cut {
            Some(cut) => {
                t.cmdline(&cmdline[..cut])?;
                t.finish();
                t = e.task(seq, msg_of(spec, true))?;
                t.cmdline(&cmdline[cut..])?;
            }
            None => t.cmdline(cmdline)?,
        }
    }
    if let Some(name) = &spec.name {
        t.name(name)?;
    }
    if let Some((ty, data)) = &spec.unknown {
        t.attr(*ty, data)?;
    }
    t.set_continued(spec.cont);
    t.finish();
    Ok(())
}

fn encode_all(e: &mut Encoder<'_>, seq: u32, tasks: &[TaskSpec]) -> Result<(), EmitError> {
    for t in tasks {
        encode_task(e, seq, t)?;
    }
    e.done(seq).map(drop)
}

fn encode(seq: u32, tasks: &[TaskSpec]) -> Vec<u8> {
    common::encode(|e| encode_all(e, seq, tasks))
}

/// A VMA record's start, resident size and name.
type DecodedVma = (u64, Option<u64>, Option<Vec<u8>>);

/// What a task's messages decode to, its split groups joined.
#[derive(Debug, Default, PartialEq)]
struct Decoded {
    base_pid: Option<u32>,
    creds_uid: Option<u32>,
    vmas: Option<Vec<DecodedVma>>,
    stat: Option<Stat>,
    statm: bool,
    cmdline: Option<Vec<u8>>,
    name: Option<Vec<u8>>,
    unknown: Option<(u16, Vec<u8>)>,
}

fn expected(spec: &TaskSpec) -> Decoded {
    Decoded {
        base_pid: spec.base.then_some(spec.pid),
        creds_uid: spec.creds.then_some(spec.pid),
        vmas: spec.vmas.as_ref().map(|v| {
            v.iter()
                .map(|s| (s.start, s.stat, s.name.clone()))
                .collect()
        }),
        stat: match spec.stat {
            StatSpec::None => None,
            StatSpec::Ver0(threads) => Some(Stat::from(TaskDiagStatVer0 {
                threads,
                ..Default::default()
            })),
            StatSpec::Full(threads, nice) => Some(Stat::from(TaskDiagStat {
                threads,
                nice,
                ..Default::default()
            })),
        },
        statm: spec.statm,
        cmdline: spec.cmdline.clone(),
        name: spec.name.clone(),
        unknown: spec.unknown.clone(),
    }
}

fn decode(tasks: &[TaskMessage<'_>]) -> Decoded {
    let mut d = Decoded::default();
    for t in tasks {
        for attr in t.attrs() {
            match attr.unwrap() {
                Attr::Base(b) => d.base_pid = Some(b.pid),
                Attr::Creds(c) => d.creds_uid = Some(c.uid),
                Attr::Vma(v) => d.vmas.get_or_insert_with(Vec::new).extend(v.map(|r| {
                    let r = r.unwrap();
                    (
                        r.vma.start,
                        r.stat.map(|s| s.resident),
                        r.name.map(<[u8]>::to_vec),
                    )
                })),
                Attr::Stat(s) => d.stat = Some(s),
                Attr::Statm(_) => d.statm = true,
                Attr::Cmdline(c) => d.cmdline.get_or_insert_with(Vec::new).extend(c),
                Attr::Name(n) => d.name = Some(n.to_vec()),
                Attr::Unknown { ty, data } => d.unknown = Some((ty, data.to_vec())),
                other => panic!("{other:?}"),
            }
        }
    }
    d
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
        let total: usize = tasks.iter().map(TaskSpec::messages).sum();
        prop_assert_eq!(messages.len(), total + 1);
        let mut at = 0;
        for spec in &tasks {
            let n = spec.messages();
            let parts: Vec<TaskMessage<'_>> =
                messages[at..at + n].iter().map(|m| m.task().unwrap().clone()).collect();
            at += n;
            for (i, (m, t)) in messages[at - n..at].iter().zip(&parts).enumerate() {
                prop_assert_eq!(m.header().nlmsg_seq, seq);
                prop_assert_eq!(t.pid(), spec.pid);
                prop_assert_eq!(t.is_continued(), if i + 1 < n { true } else { spec.cont });
            }
            prop_assert_eq!(decode(&parts), expected(spec));
            // The typed accessors agree with the walk.
            let first = &parts[0];
            prop_assert_eq!(first.base().unwrap().map(|b| b.pid), spec.base.then_some(spec.pid));
            prop_assert_eq!(first.creds().unwrap().map(|c| c.uid), spec.creds.then_some(spec.pid));
            let last = &parts[n - 1];
            prop_assert_eq!(last.name().unwrap().map(<[u8]>::to_vec), spec.name.clone());
            let stat = parts.iter().find_map(|p| p.stat().unwrap());
            prop_assert_eq!(stat, expected(spec).stat);
        }
        prop_assert_eq!(messages[total].kind(), &MessageKind::Done(0));
        walk(&buf);
    }

    /// Encoding into a buffer too small for the whole response fails with
    /// `NoSpace` and leaves bytes that parse without an error.
    #[test]
    fn encoding_into_small_buffers((seq, tasks) in response(), size in 0usize..2048) {
        let full = encode(seq, &tasks);
        let mut buf = vec![0xa5u8; size];
        let mut enc = Encoder::new(&mut buf);
        let result = encode_all(&mut enc, seq, &tasks);
        let bytes = enc.into_bytes();
        if size >= full.len() {
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(bytes, &full[..]);
        } else {
            let is_no_space = matches!(result, Err(EmitError::NoSpace { .. }));
            prop_assert!(is_no_space, "{:?}", result);
            prop_assert!(bytes.len() <= size);
        }
        prop_assert_eq!(walk(bytes), 0, "an error in what was written");
    }

    /// NAME and STAT payloads of any length and content: decoded exactly
    /// when the header allows them.
    #[test]
    fn name_and_stat_payloads(
        name in proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..80),
        stat_len in 0usize..140,
    ) {
        let a = common::attr(TASK_DIAG_NAME, &name);
        let got = Attrs::new(&a).next().unwrap();
        let nul = name.iter().position(|&b| b == 0);
        let valid = name.len() <= TASK_DIAG_NAME_LEN
            && nul.is_some_and(|n| name[n..].iter().all(|&b| b == 0));
        match got {
            Ok(Attr::Name(n)) => {
                prop_assert!(valid);
                prop_assert_eq!(n, &name[..nul.unwrap()]);
            }
            Err(ParseError::BadName { offset: 4, len }) => {
                prop_assert!(!valid);
                prop_assert_eq!(len, name.len());
            }
            other => prop_assert!(false, "{:?}", other),
        }

        let full = TaskDiagStat { minflt: 1, flags: 2, ..Default::default() };
        let mut payload = full.as_bytes().to_vec();
        payload.resize(stat_len, 0xee);
        let a = common::attr(TASK_DIAG_STAT, &payload);
        match Attrs::new(&a).next().unwrap() {
            Ok(Attr::Stat(s)) => {
                prop_assert!(stat_len == 72 || stat_len >= 112);
                prop_assert_eq!(s.ver0(), full.ver0());
                prop_assert_eq!(s.full(), (stat_len >= 112).then_some(full));
            }
            Err(ParseError::ShortPayload { needed, .. }) => {
                prop_assert!(stat_len < 72 || (72 < stat_len && stat_len < 112));
                prop_assert_eq!(needed, if stat_len < 72 { 72 } else { 112 });
            }
            other => prop_assert!(false, "{:?}", other),
        }
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
