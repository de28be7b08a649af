// SPDX-License-Identifier: MIT OR Apache-2.0

//! Shorthands over `task_diag_uapi::emit` for the tests: each returns the
//! bytes the encoder wrote, as a `Vec`, so that tests can join or corrupt
//! them.

#![allow(dead_code)]

use task_diag_uapi::abi::{
    NlMsgHdr, TaskDiagMsg, TaskDiagVma, TaskDiagVmaStat, NLMSG_ERROR, TASK_DIAG_CMD_GET,
};
use task_diag_uapi::emit::{self, EmitError, Encoder};
use zerocopy::IntoBytes;

/// Runs `f` on an encoder over a buffer big enough for any test response;
/// returns what it wrote.
pub fn encode(f: impl FnOnce(&mut Encoder<'_>) -> Result<(), EmitError>) -> Vec<u8> {
    let mut buf = vec![0xa5; 1 << 16];
    let mut enc = Encoder::new(&mut buf);
    f(&mut enc).expect("the test's response fits");
    let len = enc.len();
    buf.truncate(len);
    buf
}

/// One netlink message of type `ty` with `payload`, padded to 4 bytes.
pub fn message(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    encode(|e| e.message(ty, seq, payload).map(drop))
}

/// One attribute of type `ty` with `payload`, padded to 4 bytes.
pub fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0xa5; payload.len() + 8];
    let n = emit::attr(&mut buf, ty, payload).unwrap();
    buf.truncate(n);
    buf
}

/// A task message: `msg`, then `attrs`, raw bytes (each from [`attr`]).
pub fn task(seq: u32, msg: TaskDiagMsg, attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut payload = msg.as_bytes().to_vec();
    for a in attrs {
        payload.extend_from_slice(a);
    }
    message(TASK_DIAG_CMD_GET, seq, &payload)
}

/// The `NLMSG_DONE` message ending a dump.
pub fn done(seq: u32) -> Vec<u8> {
    encode(|e| e.done(seq).map(drop))
}

/// An `NLMSG_ERROR` message with `errno` (negative) and a request header.
pub fn error(seq: u32, errno: i32) -> Vec<u8> {
    let request = NlMsgHdr {
        nlmsg_len: 40,
        nlmsg_seq: seq,
        ..Default::default()
    };
    let out = encode(|e| e.error(seq, errno, &request).map(drop));
    assert_eq!(out[16..20], errno.to_ne_bytes());
    assert_eq!(out[..4], 36u32.to_ne_bytes());
    assert_eq!(u16::from_ne_bytes([out[4], out[5]]), NLMSG_ERROR);
    out
}

/// One VMA record: `vma` with its lengths and offsets filled in, then the
/// statistics, then the NUL-terminated name, padded to 8 bytes.
pub fn vma_record(
    vma: TaskDiagVma,
    stat: Option<&TaskDiagVmaStat>,
    name: Option<&[u8]>,
) -> Vec<u8> {
    let len = emit::vma_record_len(stat.is_some(), name.map(<[u8]>::len));
    let mut buf = vec![0xa5; len];
    assert_eq!(emit::vma_record(&mut buf, &vma, stat, name), Ok(len));
    buf
}
