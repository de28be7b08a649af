// SPDX-License-Identifier: MIT OR Apache-2.0

//! The columns shown without `-o`: procps' generate_sysv_list() for the
//! UNIX formats (`-f`, `-F`, `-l`, `-ly`, `-j`, `-L`), its BSD formats
//! (`u`, `j`, `l`) and its two defaults.

use crate::args::Formats;
use crate::columns::{known, ColumnSpec};

/// The BSD `u` format.
const BSD_U: &str = "user,pid,pcpu,pmem,vsz,rss,tname,stat,start_time,bsdtime,args";
/// The BSD `j` format.
const BSD_J: &str = "ppid,pid,pgid,sid,tname,tpgid,stat,uid,bsdtime,args";
/// The BSD `l` format.
const BSD_L: &str = "flags,uid,pid,ppid,priority,nice,vsz,rss,wchan,stat,tname,bsdtime,args";
/// The BSD default.
const DEF_BSD: &str = "pid,tname,stat,bsdtime,args";

/// The names of the UNIX format's columns, as generate_sysv_list()
/// builds them (it pushes from the last column to the first).
fn sysv(f: &Formats, threads_l: bool, threads_t: bool) -> Vec<&'static str> {
    let long = f.unix_l;
    let full = f.unix_f;
    let mut out = Vec::new();
    if long {
        out.push("s");
        if !f.unix_y {
            out.insert(0, "f");
        }
    }
    if full {
        out.push("uid_hack");
    } else if long {
        out.push("uid");
    }
    out.push("pid");
    if threads_t {
        out.push("spid");
    }
    if full || long {
        out.push("ppid");
    }
    if f.unix_j {
        out.push("pgid");
        out.push("sid");
    }
    if threads_l {
        out.push("lwp");
    }
    if full || long {
        out.push("c");
    }
    if threads_l && full {
        out.push("nlwp");
    }
    if long {
        out.push("opri");
        out.push("ni");
        out.push(if f.unix_y { "rss" } else { "addr_1" });
    }
    if f.unix_ff || long {
        out.push("sz");
    }
    if long {
        out.push("wchan");
    }
    if f.unix_ff {
        if !f.unix_y {
            out.push("rss");
        }
        out.push("psr");
    }
    if full {
        out.push("stime");
    }
    out.push("tname");
    out.push("time");
    out.push(if full { "cmd" } else { "ucmd" });
    out
}

/// The columns of a listing without `-o`.
pub fn columns(f: &Formats, bsd: bool, threads_l: bool, threads_t: bool) -> Vec<ColumnSpec> {
    let bsd_list = if f.bsd_u {
        Some(BSD_U)
    } else if f.bsd_j {
        Some(BSD_J)
    } else if f.bsd_l {
        Some(BSD_L)
    } else if bsd && !(f.unix_f || f.unix_l || f.unix_j || f.unix_ff) {
        Some(DEF_BSD)
    } else {
        None
    };
    let names: Vec<&str> = match bsd_list {
        Some(list) => list.split(',').collect(),
        None => sysv(f, threads_l, threads_t),
    };
    names
        .into_iter()
        .map(|name| ColumnSpec::plain(known(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: Formats, bsd: bool, l: bool) -> String {
        columns(&f, bsd, l, false)
            .iter()
            .map(|c| c.spec.name)
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn formats_of_procps() {
        let none = Formats::default();
        assert_eq!(names(none, false, false), "pid,tname,time,ucmd");
        let f = Formats {
            unix_f: true,
            ..none
        };
        assert_eq!(
            names(f, false, false),
            "uid_hack,pid,ppid,c,stime,tname,time,cmd"
        );
        assert_eq!(
            names(f, false, true),
            "uid_hack,pid,ppid,lwp,c,nlwp,stime,tname,time,cmd"
        );
        let ly = Formats {
            unix_l: true,
            unix_y: true,
            ..none
        };
        assert_eq!(
            names(ly, false, false),
            "s,uid,pid,ppid,c,opri,ni,rss,sz,wchan,tname,time,ucmd"
        );
        let l = Formats {
            unix_l: true,
            ..none
        };
        assert_eq!(
            names(l, false, false),
            "f,s,uid,pid,ppid,c,opri,ni,addr_1,sz,wchan,tname,time,ucmd"
        );
        let j = Formats {
            unix_j: true,
            ..none
        };
        assert_eq!(names(j, false, false), "pid,pgid,sid,tname,time,ucmd");
        let u = Formats {
            bsd_u: true,
            ..none
        };
        assert_eq!(names(u, true, false), BSD_U);
        assert_eq!(names(none, true, false), DEF_BSD);
    }
}
