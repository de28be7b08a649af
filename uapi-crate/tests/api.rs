// SPDX-License-Identifier: MIT OR Apache-2.0

//! The typed wrappers and the request builder.

use task_diag_uapi::abi::*;
use task_diag_uapi::request::BufferTooSmall;
use task_diag_uapi::{
    DumpStrategy, Group, Request, ShowFlags, TaskState, UnknownDumpStrategy, UnknownGroup,
    UnknownTaskState, VmaStatWithoutVma, REQUEST_LEN,
};
use zerocopy::FromBytes;

#[test]
fn show_flags_bits() {
    assert_eq!(ShowFlags::BASE.bits(), 1);
    assert_eq!(ShowFlags::CRED.bits(), 2);
    assert_eq!(ShowFlags::VMA.bits(), 4);
    assert_eq!(ShowFlags::VMA_STAT.bits(), 8);
    assert_eq!(ShowFlags::STAT.bits(), 16);
    assert_eq!(ShowFlags::STATM.bits(), 32);
    assert_eq!(ShowFlags::CMDLINE.bits(), 64);
    assert_eq!(ShowFlags::NAME.bits(), 128);
    assert_eq!(ShowFlags::NAME.bits(), TASK_DIAG_SHOW_NAME);
    assert_eq!(ShowFlags::all().bits(), 0xff);
    assert_eq!(ShowFlags::empty().bits(), 0);
    assert!(ShowFlags::empty().is_empty());
    assert_eq!(ShowFlags::default(), ShowFlags::empty());
}

#[test]
fn show_flags_from_bits_rejects_unknown_bits() {
    for bits in 0..=0xff {
        assert_eq!(ShowFlags::from_bits(bits).map(ShowFlags::bits), Some(bits));
    }
    for bit in 8..64 {
        assert_eq!(ShowFlags::from_bits(1 << bit), None, "bit {bit}");
        assert_eq!(ShowFlags::from_bits(1 << bit | 1), None, "bit {bit}");
    }
    assert_eq!(ShowFlags::from_bits(u64::MAX), None);
    assert_eq!(ShowFlags::from_bits_truncate(u64::MAX), ShowFlags::all());
}

#[test]
fn show_flags_operators() {
    let mut f = ShowFlags::BASE | ShowFlags::STAT;
    assert!(f.contains(ShowFlags::BASE));
    assert!(f.contains(ShowFlags::BASE | ShowFlags::STAT));
    assert!(!f.contains(ShowFlags::CRED));
    assert!(f.contains(ShowFlags::empty()));
    f |= ShowFlags::CRED;
    assert_eq!(f.bits(), 0x13);
    assert_eq!(f & ShowFlags::CRED, ShowFlags::CRED);
    assert_eq!(f.intersection(ShowFlags::VMA), ShowFlags::empty());
    assert!(f.groups().eq([Group::Base, Group::Cred, Group::Stat]));
    assert_eq!(format!("{f:?}"), "ShowFlags(BASE | CRED | STAT)");
    assert_eq!(format!("{:?}", ShowFlags::empty()), "ShowFlags(empty)");
    assert_eq!(u64::from(f), 0x13);
}

#[test]
fn groups() {
    for (i, g) in Group::ALL.into_iter().enumerate() {
        let n = u16::try_from(i).unwrap();
        assert_eq!(g.number(), n);
        assert_eq!(u16::from(g), n);
        assert_eq!(Group::try_from(n), Ok(g));
        assert_eq!(ShowFlags::from(g).bits(), 1 << i);
    }
    assert_eq!(Group::ALL.len(), usize::from(TASK_DIAG_ATTR_MAX) + 1);
    assert_eq!(Group::try_from(TASK_DIAG_NAME), Ok(Group::Name));
    assert_eq!(Group::Name.show_flag(), ShowFlags::NAME);
    assert_eq!(Group::Name.name(), "NAME");
    assert_eq!(
        Group::try_from(TASK_DIAG_ATTR_MAX + 1),
        Err(UnknownGroup(8))
    );
    assert_eq!(Group::try_from(u16::MAX), Err(UnknownGroup(u16::MAX)));
    assert_eq!(Group::VmaStat.name(), "VMA_STAT");
    assert_eq!(UnknownGroup(9).to_string(), "unknown task_diag group 9");
}

#[test]
fn dump_strategies() {
    let all = [
        (TASK_DIAG_DUMP_ALL, DumpStrategy::All, false),
        (TASK_DIAG_DUMP_ONE, DumpStrategy::One, true),
        (TASK_DIAG_DUMP_ALL_THREAD, DumpStrategy::AllThread, false),
        (TASK_DIAG_DUMP_CHILDREN, DumpStrategy::Children, true),
        (TASK_DIAG_DUMP_THREAD, DumpStrategy::Thread, true),
    ];
    for (value, strategy, uses_pid) in all {
        assert_eq!(DumpStrategy::try_from(value), Ok(strategy));
        assert_eq!(u64::from(strategy), value);
        assert_eq!(strategy.uses_pid(), uses_pid);
    }
    assert_eq!(DumpStrategy::try_from(5), Err(UnknownDumpStrategy(5)));
    assert_eq!(
        DumpStrategy::try_from(u64::MAX),
        Err(UnknownDumpStrategy(u64::MAX))
    );
    assert_eq!(
        UnknownDumpStrategy(5).to_string(),
        "unknown task_diag dump strategy 5"
    );
}

#[test]
fn task_states_and_letters() {
    let letters: String = (0..=8u8)
        .map(|v| TaskState::try_from(v).unwrap().letter())
        .collect();
    assert_eq!(letters, "RSDTtXZPI");
    for v in 0..=8u8 {
        assert_eq!(u8::from(TaskState::try_from(v).unwrap()), v);
    }
    assert_eq!(TaskState::try_from(TASK_DIAG_ZOMBIE), Ok(TaskState::Zombie));
    assert_eq!(TaskState::try_from(9), Err(UnknownTaskState(9)));
    assert_eq!(TaskState::try_from(255), Err(UnknownTaskState(255)));
    assert_eq!(
        UnknownTaskState(9).to_string(),
        "unknown task_diag task state 9"
    );
}

#[test]
fn struct_helpers() {
    let mut base = TaskDiagBase {
        state: TASK_DIAG_IDLE,
        ..Default::default()
    };
    assert_eq!(base.comm_bytes(), b"");
    base.comm[..7].copy_from_slice(b"kswapd0");
    assert_eq!(base.comm_bytes(), b"kswapd0");
    base.comm = [b'x'; TASK_DIAG_COMM_LEN];
    assert_eq!(base.comm_bytes(), &[b'x'; 16]);
    assert_eq!(base.task_state(), Ok(TaskState::Idle));
    base.state = 42;
    assert_eq!(base.task_state(), Err(UnknownTaskState(42)));

    let caps = TaskDiagCaps {
        cap: [1 << 21, 1 << 8],
    };
    assert_eq!(caps.bits(), 1 << 40 | 1 << 21);
    assert!(caps.has(21)); // CAP_SYS_ADMIN
    assert!(caps.has(40)); // CAP_CHECKPOINT_RESTORE
    assert!(!caps.has(0));
    assert!(!caps.has(64));
    assert!(!caps.has(u32::MAX));

    let vma = TaskDiagVma {
        vm_flags: 1 << TASK_DIAG_VMA_F_READ | 1 << TASK_DIAG_VMA_F_MERGEABLE,
        ..Default::default()
    };
    assert!(vma.has_flag(TASK_DIAG_VMA_F_READ));
    assert!(vma.has_flag(TASK_DIAG_VMA_F_MERGEABLE));
    assert!(!vma.has_flag(TASK_DIAG_VMA_F_WRITE));
    assert!(!vma.has_flag(64));

    let msg = TaskDiagMsg {
        flags: TASK_DIAG_FLAG_CONT,
        ..Default::default()
    };
    assert!(msg.is_continued());
    assert!(!TaskDiagMsg::default().is_continued());
}

/// The bytes of a request, field by field, in native byte order.
fn expected_request(len: u32, seq: u32, show: u64, strategy: u64, pid: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes()); // nlmsg_len
    v.extend_from_slice(&0u16.to_ne_bytes()); // nlmsg_type
    v.extend_from_slice(&0u16.to_ne_bytes()); // nlmsg_flags
    v.extend_from_slice(&seq.to_ne_bytes()); // nlmsg_seq
    v.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid
    v.extend_from_slice(&show.to_ne_bytes()); // show_flags
    v.extend_from_slice(&strategy.to_ne_bytes()); // dump_strategy
    v.extend_from_slice(&pid.to_ne_bytes()); // pid
    v.extend_from_slice(&0u32.to_ne_bytes()); // reserved
    v
}

#[test]
fn request_bytes() {
    assert_eq!(REQUEST_LEN, 40);
    let req = Request::new(DumpStrategy::All);
    assert_eq!(req.to_bytes().to_vec(), expected_request(40, 0, 0, 0, 0));

    let req = Request::new(DumpStrategy::Children)
        .show(ShowFlags::BASE)
        .show(ShowFlags::CMDLINE | ShowFlags::CRED)
        .pid(0x1234_5678)
        .seq(0xdead_beef);
    assert_eq!(
        req.to_bytes().to_vec(),
        expected_request(40, 0xdead_beef, 0x43, 3, 0x1234_5678)
    );
    assert_eq!(req.strategy(), DumpStrategy::Children);
    assert_eq!(
        req.show_flags(),
        ShowFlags::BASE | ShowFlags::CRED | ShowFlags::CMDLINE
    );

    let bytes = req.to_bytes();
    let (header, rest) = NlMsgHdr::read_from_prefix(&bytes).unwrap();
    assert_eq!(header, req.header());
    assert_eq!(TaskDiagPid::read_from_bytes(rest).unwrap(), req.payload());
    assert_eq!(req.payload().reserved, 0);

    let req = Request::new(DumpStrategy::Thread)
        .show(ShowFlags::all())
        .pid(1)
        .seq(1);
    assert_eq!(req.to_bytes().to_vec(), expected_request(40, 1, 0xff, 4, 1));

    let req = Request::new(DumpStrategy::One).show(ShowFlags::NAME).pid(9);
    assert_eq!(req.to_bytes().to_vec(), expected_request(40, 0, 0x80, 1, 9));
}

#[test]
fn request_write_to() {
    let req = Request::new(DumpStrategy::One).show(ShowFlags::STAT).pid(7);
    let mut buf = [0xffu8; 64];
    assert_eq!(req.write_to(&mut buf), Ok(40));
    assert_eq!(buf[..40], req.to_bytes());
    assert_eq!(buf[40..], [0xff; 24]);

    let mut exact = [0u8; 40];
    assert_eq!(req.write_to(&mut exact), Ok(40));
    assert_eq!(exact, req.to_bytes());

    let mut small = [0u8; 39];
    let err = req.write_to(&mut small).unwrap_err();
    assert_eq!(
        err,
        BufferTooSmall {
            needed: 40,
            available: 39
        }
    );
    assert_eq!(small, [0; 39]);
    assert_eq!(
        err.to_string(),
        "a task_diag request needs 40 bytes, the buffer has 39"
    );
    assert!(req.write_to(&mut []).is_err());
}

#[test]
fn vma_stat_without_vma_is_refused_by_check() {
    assert_eq!(
        ShowFlags::VMA_STAT.check(),
        Err(VmaStatWithoutVma),
        "VMA_STAT alone"
    );
    assert_eq!(
        (ShowFlags::BASE | ShowFlags::VMA_STAT).check(),
        Err(VmaStatWithoutVma)
    );
    let ok = ShowFlags::VMA | ShowFlags::VMA_STAT;
    assert_eq!(ok.check(), Ok(ok));
    assert_eq!(ShowFlags::empty().check(), Ok(ShowFlags::empty()));
    assert_eq!(ShowFlags::all().check(), Ok(ShowFlags::all()));
    for bits in 0..=0xffu64 {
        let flags = ShowFlags::from_bits(bits).unwrap();
        let bad = bits & TASK_DIAG_SHOW_VMA_STAT != 0 && bits & TASK_DIAG_SHOW_VMA == 0;
        assert_eq!(flags.check().is_err(), bad, "{bits:#x}");
    }
    assert!(VmaStatWithoutVma.to_string().contains("VMA_STAT"));

    let req = Request::new(DumpStrategy::All).show(ShowFlags::VMA_STAT);
    assert_eq!(req.check(), Err(VmaStatWithoutVma));
    // The bytes are still available: the value is a valid show_flags.
    assert_eq!(req.to_bytes().to_vec(), expected_request(40, 0, 8, 0, 0));
    let req = req.show(ShowFlags::VMA);
    assert_eq!(req.check(), Ok(()));
}
