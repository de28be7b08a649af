// SPDX-License-Identifier: MIT OR Apache-2.0

//! User and group names from the system's name service, each looked up
//! once.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// A cache of user and group names.
#[derive(Debug, Default)]
pub struct Names {
    users: HashMap<u32, Option<Vec<u8>>>,
    groups: HashMap<u32, Option<Vec<u8>>>,
}

fn bytes(name: OsString) -> Vec<u8> {
    name.into_vec()
}

impl Names {
    /// The name of user `uid`, `None` when it has none.
    pub fn user(&mut self, uid: u32) -> Option<&[u8]> {
        self.users
            .entry(uid)
            .or_insert_with(|| uzers::get_user_by_uid(uid).map(|u| bytes(u.name().to_owned())))
            .as_deref()
    }

    /// The name of group `gid`, `None` when it has none.
    pub fn group(&mut self, gid: u32) -> Option<&[u8]> {
        self.groups
            .entry(gid)
            .or_insert_with(|| uzers::get_group_by_gid(gid).map(|g| bytes(g.name().to_owned())))
            .as_deref()
    }

    /// The id of the user named `name`.
    pub fn uid_of(name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        uzers::get_user_by_name(name).map(|u| u.uid())
    }

    /// The id of the group named `name`.
    pub fn gid_of(name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        uzers::get_group_by_name(name).map(|g| g.gid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_known() {
        let mut names = Names::default();
        assert_eq!(names.user(0), Some(&b"root"[..]));
        assert_eq!(Names::uid_of(b"root"), Some(0));
        assert_eq!(names.group(0), Some(&b"root"[..]));
        assert_eq!(Names::gid_of(b"root"), Some(0));
        assert_eq!(names.user(4_000_000_000), None);
    }
}
