// SPDX-License-Identifier: MIT OR Apache-2.0

//! The response iterators over valid and malformed buffers: every
//! `ParseError` variant, forward compatibility and fusing.

mod common;

use common::{attr, done, encode, error, message, task, vma_record};
use task_diag_uapi::abi::*;
use task_diag_uapi::response::{
    Attr, Attrs, MessageKind, Messages, ParseError, Payload, Stat, Vma, VmaIter,
};
use zerocopy::IntoBytes;

fn base(pid: u32, comm: &[u8]) -> TaskDiagBase {
    let mut b = TaskDiagBase {
        tgid: pid,
        pid,
        ppid: 1,
        tpid: 0,
        sid: pid,
        pgid: pid,
        state: TASK_DIAG_RUNNING,
        ..Default::default()
    };
    b.comm[..comm.len()].copy_from_slice(comm);
    b
}

fn msg(pid: u32, flags: u32) -> TaskDiagMsg {
    TaskDiagMsg {
        pid,
        tgid: pid,
        flags,
    }
}

fn creds() -> TaskDiagCreds {
    TaskDiagCreds {
        cap_effective: TaskDiagCaps {
            cap: [u32::MAX, 0x1ff],
        },
        uid: 1000,
        euid: 1001,
        suid: 1002,
        fsuid: 1003,
        gid: 100,
        egid: 101,
        sgid: 102,
        fsgid: 103,
        ..Default::default()
    }
}

fn stat() -> TaskDiagStat {
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
        tty_nr: 11,
        tpgid: -1,
        nice: -20,
        priority: 13,
        rt_priority: 14,
        policy: 15,
        processor: 16,
        flags: 17,
    }
}

fn statm() -> TaskDiagStatm {
    TaskDiagStatm {
        anon: 1,
        pinned_vm: u64::MAX,
        ..Default::default()
    }
}

fn vma(start: u64) -> TaskDiagVma {
    TaskDiagVma {
        start,
        end: start + 0x1000,
        vm_flags: 1 << TASK_DIAG_VMA_F_READ,
        inode: 42,
        ..Default::default()
    }
}

fn vma_stat() -> TaskDiagVmaStat {
    TaskDiagVmaStat {
        resident: 4096,
        pss: 4096 << 12,
        ..Default::default()
    }
}

/// Collects every item of an iterator, checking that it is fused.
fn all<I: Iterator>(mut it: I) -> Vec<I::Item> {
    let items: Vec<_> = it.by_ref().collect();
    assert!(it.next().is_none());
    assert!(it.next().is_none());
    items
}

fn only_err<T: std::fmt::Debug>(items: Vec<Result<T, ParseError>>) -> ParseError {
    let last = items.into_iter().last().expect("an item");
    last.expect_err("an error as the last item")
}

#[test]
fn empty_buffers_yield_nothing() {
    assert!(all(Messages::new(&[])).is_empty());
    assert!(all(Attrs::new(&[])).is_empty());
    assert!(all(VmaIter::new(&[])).is_empty());
}

#[test]
fn a_full_dump() {
    let s = vma_stat();
    let mut vmas_at = 0;
    let buf = encode(|e| {
        let mut t = e.task(9, msg(1, 0))?;
        t.base(&base(1, b"init"))?;
        t.creds(&creds())?;
        let mut v = t.vma()?;
        v.record(&vma(0x1000), Some(&s), Some(b"/usr/bin/cat"))?;
        v.record(&vma(0x2000), None, None)?;
        v.record(&vma(0x3000), None, Some(b"[stack]"))?;
        v.record(&vma(0x4000), Some(&s), None)?;
        assert_eq!(v.records(), 4);
        assert_eq!(v.finish(), 4 + 160 + 64 + 72 + 144);
        t.stat(&stat())?;
        t.statm(&statm())?;
        t.cmdline(b"/sbin/init\0splash\0")?;
        t.name(b"systemd")?;
        vmas_at = 16 + 12 + 48 + 68 + 4;
        t.finish();
        let mut t = e.task(9, msg(2, 0))?;
        t.base(&base(2, b"kthreadd"))?;
        t.finish();
        e.done(9).map(drop)
    });
    let second_at = 16 + 12 + 48 + 68 + (4 + 440) + 116 + 124 + 24 + 12;

    let messages = all(Messages::new(&buf));
    assert_eq!(messages.len(), 3);
    let messages: Vec<_> = messages.into_iter().map(Result::unwrap).collect();
    for m in &messages {
        assert_eq!(m.header().nlmsg_seq, 9);
        assert_eq!(m.header().nlmsg_flags, NLM_F_MULTI);
        assert_eq!(m.header().nlmsg_pid, 0);
        assert_eq!(m.payload().len() + 16, m.header().nlmsg_len as usize);
    }
    assert_eq!(messages[0].offset(), 0);
    assert_eq!(messages[1].offset(), second_at);
    assert_eq!(buf.len(), second_at + 16 + 12 + 48 + 20);

    let t = messages[0].task().unwrap();
    assert_eq!((t.pid(), t.tgid(), t.is_continued()), (1, 1, false));
    assert_eq!(t.msg(), msg(1, 0));
    let attrs: Vec<_> = all(t.attrs()).into_iter().map(Result::unwrap).collect();
    let types: Vec<u16> = attrs.iter().map(Attr::ty).collect();
    assert_eq!(types, [0, 1, 2, 4, 5, 6, 7]);
    assert_eq!(attrs[0], Attr::Base(base(1, b"init")));
    assert_eq!(attrs[1], Attr::Creds(creds()));
    assert_eq!(attrs[3], Attr::Stat(Stat::from(stat())));
    assert_eq!(attrs[4], Attr::Statm(statm()));
    assert_eq!(attrs[5], Attr::Cmdline(b"/sbin/init\0splash\0"));
    assert_eq!(attrs[6], Attr::Name(b"systemd"));
    let Attr::Vma(records) = &attrs[2] else {
        panic!("not a VMA attribute: {:?}", attrs[2]);
    };
    assert_eq!(records.bytes(), &buf[vmas_at..vmas_at + 440]);
    let records: Vec<Vma> = all(records.clone())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].vma.start, 0x1000);
    assert_eq!(records[0].vma.vma_len, 160);
    assert_eq!((records[0].vma.stat_off, records[0].vma.stat_len), (64, 80));
    assert_eq!(
        (records[0].vma.name_off, records[0].vma.name_len),
        (144, 13)
    );
    assert_eq!(records[0].stat, Some(s));
    assert_eq!(records[0].name, Some(&b"/usr/bin/cat"[..]));
    assert_eq!(records[1].stat, None);
    assert_eq!(records[1].name, None);
    assert_eq!(records[1].vma.vma_len, 64);
    assert_eq!(records[2].name, Some(&b"[stack]"[..]));
    assert_eq!(records[3].stat, Some(s));
    assert_eq!(records[3].name, None);
    assert!(records.iter().all(|r| r.vma.has_flag(TASK_DIAG_VMA_F_READ)));

    // The typed accessors find the same.
    assert_eq!(t.base(), Ok(Some(base(1, b"init"))));
    assert_eq!(t.creds(), Ok(Some(creds())));
    let st = t.stat().unwrap().unwrap();
    assert_eq!(st.full(), Some(stat()));
    assert_eq!(st.ver0(), stat().ver0());
    assert!(st.has_appended());
    assert_eq!(t.statm(), Ok(Some(statm())));
    assert_eq!(t.cmdline(), Ok(Some(&b"/sbin/init\0splash\0"[..])));
    assert_eq!(t.name(), Ok(Some(&b"systemd"[..])));
    let from_accessor: Vec<Vma> = t.vmas().unwrap().unwrap().map(Result::unwrap).collect();
    assert_eq!(from_accessor, records);
    assert_eq!(t.find(99), Ok(None));

    let t2 = messages[1].task().unwrap();
    let b = match all(t2.attrs()).remove(0).unwrap() {
        Attr::Base(b) => b,
        other => panic!("{other:?}"),
    };
    assert_eq!(b.comm_bytes(), b"kthreadd");
    for absent in [
        t2.creds().map(|c| c.is_some()),
        t2.stat().map(|s| s.is_some()),
    ] {
        assert_eq!(absent, Ok(false));
    }
    assert_eq!(t2.vmas().map(|v| v.is_some()), Ok(false));
    assert_eq!(t2.cmdline(), Ok(None));
    assert_eq!(t2.name(), Ok(None));
    assert_eq!(t2.statm(), Ok(None));

    assert!(messages[2].is_done());
    assert_eq!(messages[2].kind(), &MessageKind::Done(0));
    assert!(messages[2].task().is_none());
}

#[test]
fn continued_tasks_and_split_vma() {
    let mut buf = task(
        1,
        msg(5, TASK_DIAG_FLAG_CONT),
        &[
            attr(TASK_DIAG_BASE, base(5, b"a").as_bytes()),
            attr(TASK_DIAG_VMA, &vma_record(vma(0x1000), None, Some(b"x"))),
        ],
    );
    buf.extend(task(
        1,
        msg(5, 0),
        &[attr(TASK_DIAG_VMA, &vma_record(vma(0x2000), None, None))],
    ));
    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(m[0].task().unwrap().is_continued());
    assert!(!m[1].task().unwrap().is_continued());
    let starts: Vec<u64> = m
        .iter()
        .flat_map(|m| all(m.task().unwrap().attrs()))
        .filter_map(|a| match a.unwrap() {
            Attr::Vma(v) => Some(v),
            _ => None,
        })
        .flat_map(|v| all(v).into_iter().map(|r| r.unwrap().vma.start))
        .collect();
    assert_eq!(starts, [0x1000, 0x2000]);
}

#[test]
fn error_and_other_messages() {
    let mut buf = error(3, -22);
    buf.extend(message(0x10, 3, b"hello"));
    buf.extend(message(NLMSG_DONE, 3, &(-5i32).to_ne_bytes()));
    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(m[0].kind(), &MessageKind::Error(-22));
    assert_eq!(m[0].payload().len(), 20);
    assert_eq!(m[1].kind(), &MessageKind::Other);
    assert_eq!(m[1].payload(), b"hello");
    assert_eq!(m[1].header().nlmsg_type, 0x10);
    assert_eq!(m[2].kind(), &MessageKind::Done(-5));
}

#[test]
fn unknown_attributes_are_passed_through() {
    let buf = task(
        1,
        msg(1, 0),
        &[
            attr(TASK_DIAG_VMA_STAT, b"abc"),
            attr(99, &[]),
            attr(TASK_DIAG_BASE, base(1, b"x").as_bytes()),
        ],
    );
    let m = Messages::new(&buf).next().unwrap().unwrap();
    let attrs: Vec<_> = all(m.task().unwrap().attrs())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        attrs[0],
        Attr::Unknown {
            ty: TASK_DIAG_VMA_STAT,
            data: b"abc"
        }
    );
    assert_eq!(attrs[1], Attr::Unknown { ty: 99, data: b"" });
    assert_eq!(attrs[1].ty(), 99);
    assert_eq!(attrs[2], Attr::Base(base(1, b"x")));
}

#[test]
fn longer_payloads_are_read_by_prefix() {
    // A newer kernel with bigger structures.
    let mut big_base = base(3, b"new").as_bytes().to_vec();
    big_base.extend_from_slice(&[0xaa; 12]);
    let mut big_stat = stat().as_bytes().to_vec();
    big_stat.extend_from_slice(&[0xbb; 8]);
    let mut msg_payload = msg(3, 0).as_bytes().to_vec();
    msg_payload.extend(attr(TASK_DIAG_BASE, &big_base));
    msg_payload.extend(attr(TASK_DIAG_STAT, &big_stat));
    let mut buf = message(TASK_DIAG_CMD_GET, 0, &msg_payload);
    // NLMSG_DONE with more than an int.
    buf.extend(message(NLMSG_DONE, 0, &[0, 0, 0, 0, 1, 2, 3, 4]));

    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let attrs: Vec<_> = all(m[0].task().unwrap().attrs())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        attrs,
        [Attr::Base(base(3, b"new")), Attr::Stat(Stat::from(stat()))]
    );
    assert_eq!(m[1].kind(), &MessageKind::Done(0));

    // A VMA record with a bigger fixed part and a bigger stat.
    let mut rec = vma(0x5000);
    let name_off = 64 + 16 + 88;
    rec.vma_len = 64 + 16 + 88 + 8;
    rec.stat_off = 64 + 16;
    rec.stat_len = 88;
    rec.name_off = name_off;
    rec.name_len = 3;
    let mut bytes = rec.as_bytes().to_vec();
    bytes.extend_from_slice(&[0xcc; 16]);
    bytes.extend_from_slice(vma_stat().as_bytes());
    bytes.extend_from_slice(&[0xdd; 8]);
    bytes.extend_from_slice(b"ab\0\0\0\0\0\0");
    let r: Vec<_> = all(VmaIter::new(&bytes))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].vma, rec);
    assert_eq!(r[0].stat, Some(vma_stat()));
    assert_eq!(r[0].name, Some(&b"ab"[..]));
}

#[test]
fn last_message_may_lack_its_padding() {
    // A message whose length is not a multiple of 4, at the end.
    let mut buf = message(0x20, 0, b"abcde");
    buf.truncate(16 + 5);
    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].payload(), b"abcde");

    // Same for the last attribute.
    let mut a = attr(TASK_DIAG_CMDLINE, b"ab");
    a.truncate(6);
    let attrs: Vec<_> = all(Attrs::new(&a))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(attrs, [Attr::Cmdline(b"ab")]);
}

// ---------------------------------------------------------------------------
// Every error variant, with its offset counted from the outer buffer.

#[test]
fn truncated_message_header() {
    let mut buf = done(0);
    buf.extend_from_slice(&[1, 2, 3]);
    let items = all(Messages::new(&buf));
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert_eq!(
        only_err(items),
        ParseError::TruncatedMessageHeader {
            offset: 20,
            remaining: 3
        }
    );
    assert_eq!(
        only_err(all(Messages::new(&[0; 15]))),
        ParseError::TruncatedMessageHeader {
            offset: 0,
            remaining: 15
        }
    );
}

#[test]
fn message_too_short() {
    for len in [0u32, 1, 4, 15] {
        let mut buf = done(0);
        buf[..4].copy_from_slice(&len.to_ne_bytes());
        assert_eq!(
            only_err(all(Messages::new(&buf))),
            ParseError::MessageTooShort { offset: 0, len }
        );
    }
}

#[test]
fn message_past_end() {
    for len in [21u32, 100, u32::MAX] {
        let mut buf = done(0);
        buf[..4].copy_from_slice(&len.to_ne_bytes());
        assert_eq!(
            only_err(all(Messages::new(&buf))),
            ParseError::MessagePastEnd {
                offset: 0,
                len,
                remaining: 20
            }
        );
    }
}

#[test]
fn short_message_payloads() {
    let cases = [
        (TASK_DIAG_CMD_GET, 11, Payload::TaskMsg, 12),
        (NLMSG_DONE, 0, Payload::Done, 4),
        (NLMSG_DONE, 3, Payload::Done, 4),
        (NLMSG_ERROR, 2, Payload::Error, 4),
    ];
    for (ty, len, payload, needed) in cases {
        let mut buf = done(0);
        buf.extend(message(ty, 0, &vec![0; len]));
        let items = all(Messages::new(&buf));
        assert_eq!(items.len(), 2);
        assert_eq!(
            only_err(items),
            ParseError::ShortPayload {
                offset: 20 + 16,
                payload,
                len,
                needed
            },
            "type {ty:#x}"
        );
    }
}

/// A buffer holding one `NLMSG_DONE`, then one task message whose attributes
/// are `attrs` (raw bytes); returns it and where the attributes start.
fn with_attrs(attrs: &[u8]) -> (Vec<u8>, usize) {
    let mut buf = done(0);
    let mut payload = msg(1, 0).as_bytes().to_vec();
    payload.extend_from_slice(attrs);
    buf.extend(message(TASK_DIAG_CMD_GET, 0, &payload));
    (buf, 20 + 16 + 12)
}

/// The error of the attributes of the second message of `buf`.
fn attr_error(buf: &[u8]) -> ParseError {
    let m: Vec<_> = all(Messages::new(buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    only_err(all(m[1].task().unwrap().attrs()))
}

#[test]
fn truncated_attr_header() {
    let mut attrs = attr(TASK_DIAG_CMDLINE, b"abcd");
    attrs.extend_from_slice(&[1, 0]);
    // The message's length ends 2 bytes into its padding.
    let (buf, at) = with_attrs(&attrs);
    assert_eq!(
        attr_error(&buf),
        ParseError::TruncatedAttrHeader {
            offset: at + 8,
            remaining: 2
        }
    );
    assert_eq!(
        only_err(all(Attrs::new(&[4]))),
        ParseError::TruncatedAttrHeader {
            offset: 0,
            remaining: 1
        }
    );
}

#[test]
fn attr_too_short() {
    for len in [0u16, 1, 3] {
        let mut attrs = attr(TASK_DIAG_BASE, &[]);
        attrs[..2].copy_from_slice(&len.to_ne_bytes());
        let (buf, at) = with_attrs(&attrs);
        assert_eq!(
            attr_error(&buf),
            ParseError::AttrTooShort { offset: at, len }
        );
    }
}

#[test]
fn attr_past_end() {
    let mut attrs = attr(TASK_DIAG_CMDLINE, b"ab");
    attrs.extend(attr(TASK_DIAG_CMDLINE, b"abcd"));
    attrs[8..10].copy_from_slice(&9u16.to_ne_bytes());
    let (buf, at) = with_attrs(&attrs);
    assert_eq!(
        attr_error(&buf),
        ParseError::AttrPastEnd {
            offset: at + 8,
            len: 9,
            remaining: 8
        }
    );
    let mut a = attr(TASK_DIAG_CMDLINE, b"ab");
    a[..2].copy_from_slice(&u16::MAX.to_ne_bytes());
    assert_eq!(
        only_err(all(Attrs::new(&a))),
        ParseError::AttrPastEnd {
            offset: 0,
            len: u16::MAX,
            remaining: 8
        }
    );
}

#[test]
fn short_attr_payloads() {
    let cases = [
        (TASK_DIAG_BASE, Payload::Base, 44),
        (TASK_DIAG_CRED, Payload::Creds, 64),
        (TASK_DIAG_STAT, Payload::Stat, 72),
        (TASK_DIAG_STATM, Payload::Statm, 120),
    ];
    for (ty, payload, needed) in cases {
        for len in [0, 1, needed - 1] {
            let mut attrs = attr(TASK_DIAG_CMDLINE, b"ok");
            attrs.extend(attr(ty, &vec![0; len]));
            let (buf, at) = with_attrs(&attrs);
            assert_eq!(
                attr_error(&buf),
                ParseError::ShortPayload {
                    offset: at + 8 + 4,
                    payload,
                    len,
                    needed
                },
                "{payload:?} {len}"
            );
        }
        // Exactly the size is fine.
        let (buf, _) = with_attrs(&attr(ty, &vec![0; needed]));
        let m: Vec<_> = all(Messages::new(&buf))
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(all(m[1].task().unwrap().attrs()).iter().all(Result::is_ok));
    }
}

/// The error of the records of a VMA attribute holding `records`, itself
/// inside a task message after an `NLMSG_DONE`; also returns where the
/// records start.
fn vma_error(records: &[u8]) -> (ParseError, usize) {
    let (buf, at) = with_attrs(&attr(TASK_DIAG_VMA, records));
    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let attrs: Vec<_> = all(m[1].task().unwrap().attrs())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let Attr::Vma(v) = &attrs[0] else {
        panic!("{:?}", attrs[0]);
    };
    (only_err(all(v.clone())), at + 4)
}

#[test]
fn truncated_vma() {
    let mut records = vma_record(vma(0), None, None);
    records.extend_from_slice(&[0; 60]);
    let (err, at) = vma_error(&records);
    assert_eq!(
        err,
        ParseError::TruncatedVma {
            offset: at + 64,
            remaining: 60
        }
    );
}

#[test]
fn bad_vma_length() {
    for vma_len in [0u16, 8, 56, 63, 65, 68, 100] {
        let mut rec = vma_record(vma(0), None, None);
        rec.extend_from_slice(&[0; 64]);
        rec[52..54].copy_from_slice(&vma_len.to_ne_bytes());
        let (err, at) = vma_error(&rec);
        assert_eq!(
            err,
            ParseError::BadVmaLength {
                offset: at,
                vma_len
            },
            "{vma_len}"
        );
    }
}

#[test]
fn vma_past_end() {
    let mut records = vma_record(vma(0), None, None);
    let mut second = vma_record(vma(0x1000), None, Some(b"name"));
    second[52..54].copy_from_slice(&136u16.to_ne_bytes());
    records.extend(second);
    let (err, at) = vma_error(&records);
    assert_eq!(
        err,
        ParseError::VmaPastEnd {
            offset: at + 64,
            vma_len: 136,
            remaining: 72
        }
    );
}

/// Asserts that the VMA record `rec`, its name set at `name_off` for
/// `name_len` bytes, is refused as [`ParseError::BadVmaName`].
fn assert_bad_vma_name(rec: &[u8], name_off: u16, name_len: u16) {
    let mut rec = rec.to_vec();
    rec[54..56].copy_from_slice(&name_off.to_ne_bytes());
    rec[56..58].copy_from_slice(&name_len.to_ne_bytes());
    let (err, at) = vma_error(&rec);
    assert_eq!(
        err,
        ParseError::BadVmaName {
            offset: at,
            name_off,
            name_len
        },
        "{name_off} {name_len}"
    );
}

#[test]
fn bad_vma_name() {
    // (name_off, name_len) in a 96-byte record whose bytes 64.. are "abc\0".
    let cases = [
        (0u16, 4u16), // offset 0 but a length
        (64, 0),      // an offset but no length
        (8, 4),       // inside the fixed part
        (63, 4),      // overlaps the fixed part
        (64, 3),      // no NUL at its end
        (90, 8),      // past the record
        (96, 1),      // starts at the end of the record
        (u16::MAX, u16::MAX),
    ];
    for (name_off, name_len) in cases {
        let mut rec = vma_record(vma(0), None, Some(b"abc"));
        rec.resize(96, 0);
        rec[52..54].copy_from_slice(&96u16.to_ne_bytes());
        assert_bad_vma_name(&rec, name_off, name_len);
    }
    // An empty name (only its NUL) is a name.
    let rec = vma_record(vma(0), None, Some(b""));
    let r = VmaIter::new(&rec).next().unwrap().unwrap();
    assert_eq!(r.name, Some(&b""[..]));
}

#[test]
fn bad_vma_stat() {
    let cases = [
        (0u16, 80u16),
        (64, 0),
        (8, 80),
        (72, 80), // 72 + 80 > 144
        (u16::MAX, 80),
    ];
    for (stat_off, stat_len) in cases {
        let mut rec = vma_record(vma(0), Some(&vma_stat()), None);
        rec[58..60].copy_from_slice(&stat_off.to_ne_bytes());
        rec[60..62].copy_from_slice(&stat_len.to_ne_bytes());
        let (err, at) = vma_error(&rec);
        let expected = if (stat_off, stat_len) == (64, 0) {
            // Inside the record, but shorter than the structure.
            ParseError::ShortPayload {
                offset: at + 64,
                payload: Payload::VmaStat,
                len: 0,
                needed: 80,
            }
        } else {
            ParseError::BadVmaStat {
                offset: at,
                stat_off,
                stat_len,
            }
        };
        assert_eq!(err, expected, "{stat_off} {stat_len}");
    }
    let mut rec = vma_record(vma(0), Some(&vma_stat()), None);
    rec[60..62].copy_from_slice(&79u16.to_ne_bytes());
    assert_eq!(
        only_err(all(VmaIter::new(&rec))),
        ParseError::ShortPayload {
            offset: 64,
            payload: Payload::VmaStat,
            len: 79,
            needed: 80
        }
    );
}

#[test]
fn iterators_stop_after_the_first_error() {
    // A good message, a bad one, then a good one that is never reached.
    let mut buf = done(0);
    let mut bad = done(0);
    bad[..4].copy_from_slice(&8u32.to_ne_bytes());
    buf.extend(bad);
    buf.extend(done(0));
    let mut it = Messages::new(&buf);
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
    assert!(it.next().is_none());

    let mut attrs = attr(TASK_DIAG_BASE, &[0; 4]);
    attrs.extend(attr(TASK_DIAG_CMDLINE, b"x"));
    let mut it = Attrs::new(&attrs);
    assert!(matches!(
        it.next(),
        Some(Err(ParseError::ShortPayload { .. }))
    ));
    assert!(it.next().is_none());

    let mut recs = vma_record(vma(0), None, None);
    recs[52] = 1;
    recs.extend(vma_record(vma(0), None, None));
    let mut it = VmaIter::new(&recs);
    assert!(matches!(
        it.next(),
        Some(Err(ParseError::BadVmaLength { .. }))
    ));
    assert!(it.next().is_none());
}

#[test]
fn errors_display() {
    let errors = [
        ParseError::TruncatedMessageHeader {
            offset: 1,
            remaining: 2,
        },
        ParseError::MessageTooShort { offset: 1, len: 2 },
        ParseError::MessagePastEnd {
            offset: 1,
            len: 2,
            remaining: 3,
        },
        ParseError::TruncatedAttrHeader {
            offset: 1,
            remaining: 2,
        },
        ParseError::AttrTooShort { offset: 1, len: 2 },
        ParseError::AttrPastEnd {
            offset: 1,
            len: 2,
            remaining: 3,
        },
        ParseError::ShortPayload {
            offset: 1,
            payload: Payload::Base,
            len: 2,
            needed: 44,
        },
        ParseError::TruncatedVma {
            offset: 1,
            remaining: 2,
        },
        ParseError::BadVmaLength {
            offset: 1,
            vma_len: 2,
        },
        ParseError::VmaPastEnd {
            offset: 1,
            vma_len: 2,
            remaining: 3,
        },
        ParseError::BadVmaName {
            offset: 1,
            name_off: 2,
            name_len: 3,
        },
        ParseError::BadVmaStat {
            offset: 1,
            stat_off: 2,
            stat_len: 3,
        },
    ];
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for t in &texts {
        assert!(t.contains(" at 1"), "{t}");
    }
    assert_eq!(
        texts[6],
        "payload at 1: 2 bytes, struct task_diag_base needs 44"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(errors[0]);
    assert!(!boxed.to_string().is_empty());
}

// ---------------------------------------------------------------------------
// The groups added after the published series: STAT's appended fields and
// NAME.

/// The attributes of a task message holding one attribute `ty` with
/// `payload`, and where that payload starts.
fn one_attr(ty: u16, payload: &[u8]) -> (Vec<Result<Attr<'static>, ParseError>>, usize) {
    let (buf, at) = with_attrs(&attr(ty, payload));
    let buf: &'static [u8] = Box::leak(buf.into_boxed_slice());
    let m: Vec<_> = all(Messages::new(buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    (all(m[1].task().unwrap().attrs()), at + 4)
}

#[test]
fn stat_of_an_old_kernel_is_its_prefix() {
    let full = stat();
    let ver0 = full.ver0();
    assert_eq!(
        ver0.as_bytes(),
        &full.as_bytes()[..TASK_DIAG_STAT_SIZE_VER0]
    );
    let (attrs, _) = one_attr(TASK_DIAG_STAT, ver0.as_bytes());
    let Ok(Attr::Stat(s)) = &attrs[0] else {
        panic!("{attrs:?}");
    };
    assert_eq!(s.ver0(), ver0);
    assert_eq!(s.ver0().threads, 9);
    assert_eq!(s.full(), None);
    assert!(!s.has_appended());
    assert_eq!(*s, Stat::from(ver0));

    // Through the builder, and the accessor.
    let buf = encode(|e| e.task(0, msg(4, 0))?.stat_ver0(&ver0));
    let m = Messages::new(&buf).next().unwrap().unwrap();
    assert_eq!(m.header().nlmsg_len, 16 + 12 + 4 + 72);
    assert_eq!(m.task().unwrap().stat(), Ok(Some(Stat::from(ver0))));
}

#[test]
fn stat_of_this_kernel_has_the_appended_fields() {
    let full = stat();
    let (attrs, _) = one_attr(TASK_DIAG_STAT, full.as_bytes());
    let Ok(Attr::Stat(s)) = &attrs[0] else {
        panic!("{attrs:?}");
    };
    let got = s.full().unwrap();
    assert_eq!(got, full);
    assert_eq!(
        (
            got.start_time,
            got.tty_nr,
            got.tpgid,
            got.nice,
            got.priority
        ),
        (10, 11, -1, -20, 13)
    );
    assert_eq!(
        (got.rt_priority, got.policy, got.processor, got.flags),
        (14, 15, 16, 17)
    );
    assert_eq!(s.ver0(), full.ver0());
    assert!(s.has_appended());

    // A newer kernel's longer structure: the known prefix.
    let mut longer = full.as_bytes().to_vec();
    longer.extend_from_slice(&[0xee; 12]);
    let (attrs, _) = one_attr(TASK_DIAG_STAT, &longer);
    assert_eq!(attrs, [Ok(Attr::Stat(Stat::from(full)))]);
}

#[test]
fn stat_between_the_two_sizes_is_an_error() {
    // Shorter than the prefix, then between the prefix and the whole.
    let cases: [(&[usize], usize); 2] = [(&[0, 8, 71], 72), (&[73, 80, 104, 111], 112)];
    for (lens, needed) in cases {
        for &len in lens {
            let (attrs, at) = one_attr(TASK_DIAG_STAT, &vec![0; len]);
            assert_eq!(
                attrs,
                [Err(ParseError::ShortPayload {
                    offset: at,
                    payload: Payload::Stat,
                    len,
                    needed
                })],
                "{len}"
            );
        }
    }
}

#[test]
fn names() {
    let max = [b'k'; TASK_DIAG_NAME_LEN - 1];
    let mut padded = b"sh".to_vec();
    padded.resize(TASK_DIAG_NAME_LEN, 0); // NUL-padded to the most
    let cases: [(&[u8], &[u8]); 5] = [
        (
            b"kworker/u8:1-events_unbound\0",
            b"kworker/u8:1-events_unbound",
        ),
        (b"\0", b""),
        (b"sh\0\0\0\0", b"sh"), // NUL-padded
        (&padded, b"sh"),
        (&[&max[..], b"\0"].concat(), &max),
    ];
    for (payload, name) in cases {
        let (attrs, _) = one_attr(TASK_DIAG_NAME, payload);
        assert_eq!(attrs, [Ok(Attr::Name(name))], "{payload:?}");
        assert_eq!(attrs[0].as_ref().unwrap().ty(), TASK_DIAG_NAME);
    }
}

#[test]
fn bad_names() {
    let long = [[b'k'; TASK_DIAG_NAME_LEN].as_slice(), b"\0"].concat();
    let cases: [&[u8]; 6] = [
        b"",       // no NUL
        b"init",   // no NUL
        b"a\0b\0", // bytes after the NUL
        &long,     // 65 bytes
        &[0; TASK_DIAG_NAME_LEN + 1],
        &[b'x'; TASK_DIAG_NAME_LEN], // 64 bytes, no NUL
    ];
    for payload in cases {
        let (attrs, at) = one_attr(TASK_DIAG_NAME, payload);
        assert_eq!(
            attrs,
            [Err(ParseError::BadName {
                offset: at,
                len: payload.len()
            })],
            "{payload:?}"
        );
    }
    assert_eq!(
        ParseError::BadName { offset: 1, len: 2 }.to_string(),
        "name at 1: 2 bytes, not a NUL-terminated name of at most 64 bytes"
    );
}

#[test]
fn accessors_report_the_errors_before_their_group() {
    // BASE, a bad STAT, NAME: BASE is found, NAME and STAT are errors.
    let mut attrs = attr(TASK_DIAG_BASE, base(1, b"a").as_bytes());
    attrs.extend(attr(TASK_DIAG_STAT, &[0; 80]));
    attrs.extend(attr(TASK_DIAG_NAME, b"a\0"));
    let (buf, at) = with_attrs(&attrs);
    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let t = m[1].task().unwrap();
    assert_eq!(t.base(), Ok(Some(base(1, b"a"))));
    let err = ParseError::ShortPayload {
        offset: at + 48 + 4,
        payload: Payload::Stat,
        len: 80,
        needed: 112,
    };
    assert_eq!(t.stat(), Err(err));
    assert_eq!(t.name(), Err(err));
    assert_eq!(t.find(TASK_DIAG_NAME), Err(err));
    assert_eq!(t.creds(), Err(err), "absent, but after the error");
}

#[test]
fn split_cmdline_and_vma_over_three_messages() {
    // A task whose CMDLINE and VMA did not fit in one message.
    let cmdline = b"/usr/bin/python3\0-m\0http.server\0";
    let buf = encode(|e| {
        let mut t = e.task(5, msg(7, TASK_DIAG_FLAG_CONT))?;
        t.base(&base(7, b"python3"))?;
        let mut v = t.vma()?;
        v.record(&vma(0x1000), None, Some(b"/usr/bin/python3"))?;
        v.finish();
        t.finish();
        let mut t = e.task(5, msg(7, 0))?;
        t.set_continued(true);
        let mut v = t.vma()?;
        v.record(&vma(0x2000), None, None)?;
        v.finish();
        t.cmdline(&cmdline[..10])?;
        t.finish();
        let mut t = e.task(5, msg(7, TASK_DIAG_FLAG_CONT))?;
        t.set_continued(false);
        t.cmdline(&cmdline[10..])?;
        t.name(b"python3")?;
        t.finish();
        e.done(5).map(drop)
    });
    let m: Vec<_> = all(Messages::new(&buf))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(m.len(), 4);
    let tasks: Vec<_> = m[..3].iter().map(|m| m.task().unwrap()).collect();
    let conts: Vec<bool> = tasks.iter().map(|t| t.is_continued()).collect();
    assert_eq!(conts, [true, true, false]);
    assert!(tasks.iter().all(|t| t.pid() == 7));
    let joined: Vec<u8> = tasks
        .iter()
        .filter_map(|t| t.cmdline().unwrap())
        .flatten()
        .copied()
        .collect();
    assert_eq!(joined, cmdline);
    let starts: Vec<u64> = tasks
        .iter()
        .filter_map(|t| t.vmas().unwrap())
        .flat_map(|v| all(v).into_iter().map(|r| r.unwrap().vma.start))
        .collect();
    assert_eq!(starts, [0x1000, 0x2000]);
    assert_eq!(tasks[2].name(), Ok(Some(&b"python3"[..])));
    assert_eq!(tasks[0].name(), Ok(None));
}

#[test]
fn vma_stat_and_name_checks() {
    // The statistics at an offset that is not a multiple of 8.
    let mut rec = vma_record(vma(0), Some(&vma_stat()), None);
    rec.extend_from_slice(&[0; 8]);
    rec[52..54].copy_from_slice(&152u16.to_ne_bytes());
    rec[58..60].copy_from_slice(&68u16.to_ne_bytes());
    let (err, at) = vma_error(&rec);
    assert_eq!(
        err,
        ParseError::BadVmaStat {
            offset: at,
            stat_off: 68,
            stat_len: 80
        }
    );
    // At 72, inside the record, read.
    rec[58..60].copy_from_slice(&72u16.to_ne_bytes());
    let r = VmaIter::new(&rec).next().unwrap().unwrap();
    assert!(r.stat.is_some());

    // A name inside the statistics.
    let mut rec = vma_record(vma(0), Some(&vma_stat()), Some(b"abc"));
    let stat_name = [(64u16, 4u16), (140, 8), (100, 2)];
    rec[64 + 36] = b'x';
    rec[64 + 37] = 0;
    for (name_off, name_len) in stat_name {
        assert_bad_vma_name(&rec, name_off, name_len);
    }
    // Right after the statistics is fine (that is where the encoder puts
    // it).
    let r = VmaIter::new(&rec).next().unwrap().unwrap();
    assert_eq!(r.name, Some(&b"abc"[..]));

    // A NUL inside the name.
    let mut rec = vma_record(vma(0), None, Some(b"abcd"));
    rec[66] = 0;
    let (err, at) = vma_error(&rec);
    assert_eq!(
        err,
        ParseError::BadVmaName {
            offset: at,
            name_off: 64,
            name_len: 5
        }
    );
}
