// SPDX-License-Identifier: MIT OR Apache-2.0

//! An encoder of task_diag responses, as the kernel writes them, for the
//! tests.

#![allow(dead_code)]

use task_diag_uapi::abi::{
    NlAttr, NlMsgHdr, TaskDiagMsg, TaskDiagVma, TaskDiagVmaStat, NLMSG_DONE, NLMSG_ERROR,
    NLM_F_MULTI, TASK_DIAG_CMD_GET,
};
use zerocopy::IntoBytes;

/// Pads `buf` with zeros to a multiple of 4 bytes.
pub fn pad4(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

/// One netlink message of type `ty` with `payload`, padded to 4 bytes.
pub fn message(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
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

/// One attribute of type `ty` with `payload`, padded to 4 bytes.
pub fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let header = NlAttr {
        nla_len: u16::try_from(4 + payload.len()).unwrap(),
        nla_type: ty,
    };
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(payload);
    pad4(&mut out);
    out
}

/// A task message: `msg`, then `attrs` (each from [`attr`]).
pub fn task(seq: u32, msg: TaskDiagMsg, attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut payload = msg.as_bytes().to_vec();
    for a in attrs {
        payload.extend_from_slice(a);
    }
    message(TASK_DIAG_CMD_GET, seq, &payload)
}

/// The `NLMSG_DONE` message ending a dump.
pub fn done(seq: u32) -> Vec<u8> {
    message(NLMSG_DONE, seq, &0i32.to_ne_bytes())
}

/// An `NLMSG_ERROR` message with `errno` (negative) and the request header.
pub fn error(seq: u32, errno: i32) -> Vec<u8> {
    let mut payload = errno.to_ne_bytes().to_vec();
    payload.extend_from_slice(&[0; 16]);
    message(NLMSG_ERROR, seq, &payload)
}

/// One VMA record: `vma` with its lengths and offsets filled in, then the
/// statistics, then the NUL-terminated name, padded to 8 bytes.
pub fn vma_record(
    mut vma: TaskDiagVma,
    stat: Option<&TaskDiagVmaStat>,
    name: Option<&[u8]>,
) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut off = 64usize;
    if let Some(stat) = stat {
        vma.stat_off = u16::try_from(off).unwrap();
        vma.stat_len = 80;
        tail.extend_from_slice(stat.as_bytes());
        off += 80;
    } else {
        vma.stat_off = 0;
        vma.stat_len = 0;
    }
    if let Some(name) = name {
        vma.name_off = u16::try_from(off).unwrap();
        vma.name_len = u16::try_from(name.len() + 1).unwrap();
        tail.extend_from_slice(name);
        tail.push(0);
    } else {
        vma.name_off = 0;
        vma.name_len = 0;
    }
    while !(64 + tail.len()).is_multiple_of(8) {
        tail.push(0);
    }
    vma.vma_len = u16::try_from(64 + tail.len()).unwrap();
    let mut out = vma.as_bytes().to_vec();
    out.extend_from_slice(&tail);
    out
}
