// SPDX-License-Identifier: MIT OR Apache-2.0

//! The encoder: its bytes field by field (independently of the decoder),
//! its errors, and that a failed append leaves a well-formed response.

use task_diag_uapi::abi::*;
use task_diag_uapi::emit::{self, EmitError, Encoder};
use task_diag_uapi::response::{Attr, Messages, ParseError};
use zerocopy::IntoBytes;

fn u16s(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32s(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
}

/// Checks a netlink header at `at`: length, type, flags, seq, pid.
fn check_header(b: &[u8], at: usize, len: u32, ty: u16, seq: u32) {
    assert_eq!(u32s(b, at), len, "nlmsg_len at {at}");
    assert_eq!(u16s(b, at + 4), ty, "nlmsg_type at {at}");
    assert_eq!(u16s(b, at + 6), NLM_F_MULTI, "nlmsg_flags at {at}");
    assert_eq!(u32s(b, at + 8), seq, "nlmsg_seq at {at}");
    assert_eq!(u32s(b, at + 12), 0, "nlmsg_pid at {at}");
}

#[test]
fn bytes_of_a_task_message_and_done() {
    let mut buf = [0xa5u8; 256];
    let mut enc = Encoder::new(&mut buf);
    assert!(enc.is_empty());
    let mut t = enc
        .task(
            0x0102_0304,
            TaskDiagMsg {
                pid: 10,
                tgid: 11,
                flags: 0,
            },
        )
        .unwrap();
    assert_eq!(t.len(), 28);
    t.cmdline(b"ls\0-l\0").unwrap(); // 6 bytes: nla_len 10, 2 of padding
    t.name(b"ls").unwrap(); // 3 bytes: nla_len 7, 1 of padding
    t.set_continued(true);
    assert_eq!(t.finish(), 28 + 12 + 8);
    assert_eq!(enc.done(0x0102_0304), Ok(20));
    assert_eq!(enc.len(), 68);
    assert_eq!(enc.remaining(), 256 - 68);
    let b = enc.into_bytes();
    assert_eq!(b.len(), 68);

    check_header(b, 0, 48, TASK_DIAG_CMD_GET, 0x0102_0304);
    assert_eq!((u32s(b, 16), u32s(b, 20), u32s(b, 24)), (10, 11, 1));
    assert_eq!((u16s(b, 28), u16s(b, 30)), (10, TASK_DIAG_CMDLINE));
    assert_eq!(&b[32..40], b"ls\0-l\0\0\0");
    assert_eq!((u16s(b, 40), u16s(b, 42)), (7, TASK_DIAG_NAME));
    assert_eq!(&b[44..48], b"ls\0\0");
    check_header(b, 48, 20, NLMSG_DONE, 0x0102_0304);
    assert_eq!(u32s(b, 64), 0);
}

#[test]
fn bytes_of_vma_records() {
    let vma = TaskDiagVma {
        start: 0x1000,
        end: 0x3000,
        vm_flags: 5,
        pgoff: 0x2000,
        major: 8,
        minor: 1,
        inode: 99,
        generation: 3,
        // Overwritten by the encoder.
        vma_len: 1,
        name_off: 2,
        name_len: 3,
        stat_off: 4,
        stat_len: 5,
        reserved: 0,
    };
    let stat = TaskDiagVmaStat {
        resident: 1,
        pss: 2,
        ..Default::default()
    };

    // Statistics and a name: 64 + 80 + 4 + 1, padded to 152.
    let mut rec = [0xa5u8; 160];
    assert_eq!(emit::vma_record_len(true, Some(4)), 152);
    assert_eq!(
        emit::vma_record(&mut rec, &vma, Some(&stat), Some(b"/bin")),
        Ok(152)
    );
    assert_eq!(&rec[..52], &vma.as_bytes()[..52]);
    let lens: Vec<u16> = (52..64).step_by(2).map(|at| u16s(&rec, at)).collect();
    assert_eq!(lens, [152, 144, 5, 64, 80, 0]);
    assert_eq!(&rec[64..144], stat.as_bytes());
    assert_eq!(&rec[144..152], b"/bin\0\0\0\0");
    assert_eq!(rec[152..], [0xa5; 8], "nothing written past the record");

    // Neither: the fixed part alone.
    assert_eq!(emit::vma_record_len(false, None), 64);
    assert_eq!(emit::vma_record(&mut rec, &vma, None, None), Ok(64));
    let lens: Vec<u16> = (52..64).step_by(2).map(|at| u16s(&rec, at)).collect();
    assert_eq!(lens, [64, 0, 0, 0, 0, 0]);

    // A name only; an empty name is its NUL.
    assert_eq!(emit::vma_record(&mut rec, &vma, None, Some(b"")), Ok(72));
    let lens: Vec<u16> = (52..64).step_by(2).map(|at| u16s(&rec, at)).collect();
    assert_eq!(lens, [72, 64, 1, 0, 0, 0]);
    assert_eq!(rec[64..72], [0; 8]);

    // In a message: nla_len and nlmsg_len follow each record.
    let mut buf = [0u8; 512];
    let mut enc = Encoder::new(&mut buf);
    let mut t = enc.task(1, TaskDiagMsg::default()).unwrap();
    let mut v = t.vma().unwrap();
    assert!(v.is_empty());
    assert_eq!(v.len(), 4);
    assert_eq!(v.record(&vma, Some(&stat), Some(b"/bin")), Ok(152));
    assert_eq!(v.record(&vma, None, None), Ok(64));
    assert_eq!(v.records(), 2);
    assert_eq!(v.finish(), 4 + 152 + 64);
    assert_eq!(t.finish(), 28 + 4 + 216);
    let b = enc.as_bytes();
    assert_eq!(u32s(b, 0), 248);
    assert_eq!((u16s(b, 28), u16s(b, 30)), (220, TASK_DIAG_VMA));
}

#[test]
fn error_and_other_messages() {
    let mut buf = [0u8; 128];
    let mut enc = Encoder::new(&mut buf);
    let request = NlMsgHdr {
        nlmsg_len: 40,
        nlmsg_seq: 3,
        ..Default::default()
    };
    assert_eq!(enc.error(3, -22, &request), Ok(36));
    // 5 bytes of payload: nlmsg_len 21, padded to 24.
    assert_eq!(enc.message(0x42, 3, b"hello"), Ok(24));
    let b = enc.as_bytes();
    check_header(b, 0, 36, NLMSG_ERROR, 3);
    assert_eq!(u32s(b, 16) as i32, -22);
    assert_eq!(&b[20..36], request.as_bytes());
    check_header(b, 36, 21, 0x42, 3);
    assert_eq!(&b[52..60], b"hello\0\0\0");
}

#[test]
fn attr_alone() {
    let mut buf = [0xa5u8; 12];
    assert_eq!(emit::attr(&mut buf, 9, b"abcde"), Ok(12));
    assert_eq!(buf, *b"\x09\x00\x09\x00abcde\0\0\0");
    assert_eq!(
        emit::attr(&mut buf, 9, b"abcdefghi"),
        Err(EmitError::NoSpace {
            needed: 16,
            available: 12
        })
    );
    let big = vec![0; 65532];
    let mut buf = vec![0; 70000];
    assert_eq!(
        emit::attr(&mut buf, 6, &big),
        Err(EmitError::AttrTooLong { len: 65536 })
    );
    assert_eq!(emit::attr(&mut buf, 6, &big[..65531]), Ok(65536));
}

#[test]
fn names_are_checked() {
    let mut buf = [0u8; 256];
    let mut enc = Encoder::new(&mut buf);
    let mut t = enc.task(0, TaskDiagMsg::default()).unwrap();
    let before = t.len();
    assert_eq!(
        t.name(&[b'x'; TASK_DIAG_NAME_LEN]),
        Err(EmitError::BadName { len: 64 })
    );
    assert_eq!(t.name(b"a\0b"), Err(EmitError::BadName { len: 3 }));
    assert_eq!(t.len(), before, "nothing written");
    assert_eq!(t.name(&[b'x'; TASK_DIAG_NAME_LEN - 1]), Ok(()));
    assert_eq!(t.len(), before + 4 + 64);
    let mut v = t.vma().unwrap();
    assert_eq!(
        v.record(&TaskDiagVma::default(), None, Some(b"/a\0b")),
        Err(EmitError::BadName { len: 4 })
    );
    assert!(v.is_empty());
    v.finish();
    t.finish();
    let m = Messages::new(enc.as_bytes()).next().unwrap().unwrap();
    let attrs: Vec<_> = m.task().unwrap().attrs().map(Result::unwrap).collect();
    assert_eq!(attrs[0], Attr::Name(&[b'x'; 63]));
    assert_eq!(attrs.len(), 2);
}

#[test]
fn too_long_attributes_and_records() {
    let mut buf = vec![0u8; 1 << 18];
    let mut enc = Encoder::new(&mut buf);
    let mut t = enc.task(0, TaskDiagMsg::default()).unwrap();
    assert_eq!(
        t.cmdline(&[1; 65532]),
        Err(EmitError::AttrTooLong { len: 65536 })
    );
    // A record whose name makes vma_len overflow.
    let mut v = t.vma().unwrap();
    let long_name = vec![b'a'; 65500];
    assert_eq!(
        v.record(&TaskDiagVma::default(), None, Some(&long_name)),
        Err(EmitError::VmaTooLong { len: 65568 })
    );
    // Records until the attribute is full: 1023 records of 64 bytes fit
    // in 65535 - 4.
    let mut n = 0;
    let err = loop {
        match v.record(&TaskDiagVma::default(), None, None) {
            Ok(64) => n += 1,
            other => break other,
        }
    };
    assert_eq!(n, 1023);
    assert_eq!(err, Err(EmitError::AttrTooLong { len: 4 + 64 * 1024 }));
    assert_eq!(v.finish(), 4 + 64 * 1023);
    t.finish();
    let m = Messages::new(enc.as_bytes()).next().unwrap().unwrap();
    let vmas = m.task().unwrap().vmas().unwrap().unwrap();
    assert_eq!(vmas.map(Result::unwrap).count(), 1023);

    for e in [
        EmitError::NoSpace {
            needed: 1,
            available: 0,
        },
        EmitError::MessageTooLong { len: 1 },
        EmitError::AttrTooLong { len: 1 },
        EmitError::VmaTooLong { len: 1 },
        EmitError::BadName { len: 1 },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

/// Encodes a fixed response into a buffer of `size` bytes, stopping at the
/// first error; returns the bytes written and the error.
fn encode_into(size: usize) -> (Vec<u8>, Option<EmitError>) {
    let mut buf = vec![0xa5u8; size];
    let mut enc = Encoder::new(&mut buf);
    let result = (|| {
        let mut t = enc.task(
            1,
            TaskDiagMsg {
                pid: 1,
                tgid: 1,
                flags: 0,
            },
        )?;
        t.base(&TaskDiagBase::default())?;
        t.creds(&TaskDiagCreds::default())?;
        let mut v = t.vma()?;
        v.record(
            &TaskDiagVma::default(),
            Some(&TaskDiagVmaStat::default()),
            Some(b"[heap]"),
        )?;
        v.record(&TaskDiagVma::default(), None, None)?;
        v.finish();
        t.stat(&TaskDiagStat::default())?;
        t.statm(&TaskDiagStatm::default())?;
        t.cmdline(b"a\0b\0")?;
        t.name(b"a")?;
        t.finish();
        enc.done(1)?;
        Ok(())
    })();
    let n = enc.len();
    buf.truncate(n);
    (buf, result.err())
}

#[test]
fn a_failed_append_leaves_a_well_formed_response() {
    let (full, err) = encode_into(4096);
    assert_eq!(err, None);
    let full_len = full.len();
    assert_eq!(
        full_len,
        28 + 48 + 68 + (4 + 152 + 64) + 116 + 124 + 8 + 8 + 20
    );
    for size in 0..full_len {
        let (bytes, err) = encode_into(size);
        let Some(EmitError::NoSpace { needed, available }) = err else {
            panic!("size {size}: {err:?}");
        };
        assert!(needed > available, "size {size}");
        assert_eq!(available, size - bytes.len(), "size {size}");
        if bytes.len() >= 16 {
            // The first header but its length, and the first payload.
            assert_eq!(bytes[4..16], full[4..16], "size {size}");
            assert_eq!(bytes[16..28], full[16..28], "size {size}");
        }
        // Everything written parses, and is a prefix of the full response
        // but for the lengths of the last message and VMA attribute.
        let items: Vec<Result<_, ParseError>> = Messages::new(&bytes).collect();
        for m in items {
            let m = m.unwrap_or_else(|e| panic!("size {size}: {e}"));
            if let Some(t) = m.task() {
                for a in t.attrs() {
                    if let Attr::Vma(v) = a.unwrap_or_else(|e| panic!("size {size}: {e}")) {
                        for r in v {
                            r.unwrap_or_else(|e| panic!("size {size}: {e}"));
                        }
                    }
                }
            }
        }
    }
}
