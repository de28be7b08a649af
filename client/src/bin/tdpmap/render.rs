// SPDX-License-Identifier: MIT OR Apache-2.0

//! The listings of pmap 4.0.2, byte for byte, from [`Vma`] records and
//! [`SmapsEntry`] blocks (64-bit layout).
//!
//! - default: `%016lx %6luK MODE NAME`, then ` total %16ldK`;
//! - `-x`: a header, `%016lx %7lu %7llu %7llu %5s NAME` (size, RSS, dirty
//!   in kB), a dashed line and `total kB`;
//! - `-X`/`-XX`: columns as wide as their longest value, one per numeric
//!   smaps field (`-X` without the eight "unimportant" ones), a `VmFlags`
//!   column for `-XX`, the mapping's basename, then `=` rules and totals.
//!
//! MODE is the perms column with `p` made `-` and a fifth `-`. NAME is
//! pmap's `mapping_name()`: `  [ shmid=0xINODE ]` for System V shared
//! memory, the text after the last `/`, `  [ stack ]` for the mapping that
//! holds the start of the stack ([`Process::is_stack`]), else `  [ anon ]`.
//!
//! Like pmap, the `-X` columns, their widths and their totals carry over
//! from one process to the next of a run: widths only grow, totals are
//! never reset (pmap 4.0.2 prints running totals).

use task_diag::procfs::maps::{SmapsEntry, SmapsField, Vma};

use crate::source::Process;
use crate::text::clean_name;

/// The fields `-X` (but not `-XX`) leaves out.
const UNIMPORTANT: [&str; 8] = [
    "AnonHugePages",
    "KernelPageSize",
    "MMUPageSize",
    "Shared_Dirty",
    "Private_Dirty",
    "Shared_Clean",
    "Private_Clean",
    "VmFlags",
];

/// How names are turned into text, for the default and `-x` listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Naming {
    /// Whether the locale is UTF-8 (invalid sequences become `?`).
    pub utf8: bool,
    /// The minor device number of System V shared memory, if known.
    pub shm_minor: Option<u32>,
}

/// The mapping column of the default and `-x` listings.
fn mapping_name(vma: &Vma, proc: &Process, naming: Naming) -> Vec<u8> {
    let name = clean_name(&vma.name, naming.utf8);
    if vma.major == 0
        && Some(vma.minor) == naming.shm_minor
        && name.windows(5).any(|w| w == b"/SYSV")
    {
        return format!("  [ shmid=0x{:x} ]", vma.inode).into_bytes();
    }
    if let Some(slash) = name.iter().rposition(|&b| b == b'/') {
        return if slash + 1 < name.len() {
            name[slash + 1..].to_vec()
        } else {
            b"/".to_vec()
        };
    }
    if proc.is_stack(vma) {
        b"  [ stack ]".to_vec()
    } else {
        b"  [ anon ]".to_vec()
    }
}

/// The mode column: `rwxs` or `rwx-`, and a fifth `-`.
fn mode(vma: &Vma) -> String {
    let mut perms = vma.perms();
    if perms[3] == b'p' {
        perms[3] = b'-';
    }
    format!("{}-", String::from_utf8_lossy(&perms))
}

/// The header line of every process.
pub fn header(out: &mut Vec<u8>, tgid: i32, command: &[u8]) {
    out.extend_from_slice(format!("{tgid}:   ").as_bytes());
    out.extend_from_slice(command);
    out.push(b'\n');
}

/// `pmap PID` after the header.
pub fn default_listing(out: &mut Vec<u8>, proc: &Process, vmas: &[Vma], naming: Naming) {
    let mut total = 0u64;
    for vma in vmas {
        let len = vma.len();
        total = total.wrapping_add(len);
        out.extend_from_slice(
            format!("{:016x} {:6}K {} ", vma.start, len >> 10, mode(vma)).as_bytes(),
        );
        out.extend_from_slice(&mapping_name(vma, proc, naming));
        out.push(b'\n');
    }
    out.extend_from_slice(format!(" total {:16}K\n", total >> 10).as_bytes());
}

/// `pmap -x PID` after the header; the records need their statistics.
pub fn extended_listing(out: &mut Vec<u8>, proc: &Process, vmas: &[Vma], naming: Naming) {
    out.extend_from_slice(b"Address           Kbytes     RSS   Dirty Mode  Mapping\n");
    let (mut size, mut rss, mut dirty) = (0u64, 0u64, 0u64);
    for vma in vmas {
        let stat = vma.stat.unwrap_or_default();
        let (r, d) = (
            stat.resident >> 10,
            (stat.shared_dirty + stat.private_dirty) >> 10,
        );
        size = size.wrapping_add(vma.len());
        rss += r;
        dirty += d;
        out.extend_from_slice(
            format!(
                "{:016x} {:7} {:7} {:7} {:>5} ",
                vma.start,
                vma.len() >> 10,
                r,
                d,
                mode(vma)
            )
            .as_bytes(),
        );
        out.extend_from_slice(&mapping_name(vma, proc, naming));
        out.push(b'\n');
    }
    out.extend_from_slice(b"---------------- ------- ------- ------- \n");
    out.extend_from_slice(
        format!(
            "{:<16} {:7} {:7} {:7}\n",
            "total kB",
            size >> 10,
            rss,
            dirty
        )
        .as_bytes(),
    );
}

/// One `-X` column: a numeric smaps field.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    width: usize,
    total: u64,
    /// The value last read, printed for a block that lacks the field.
    last: u64,
}

/// A `-X` row or header problem pmap stops on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistent(pub String);

/// The state of `-X` over the processes of one run.
#[derive(Debug, Clone, Default)]
pub struct SmapsListing {
    all: bool,
    columns: Vec<Column>,
}

/// Pads `s` on the left to `width`, then a space, as pmap's
/// `justify_print(s, width, 1)`; returns the width used.
fn justify(out: &mut Vec<u8>, s: &str, width: usize) -> usize {
    let width = width.max(s.len());
    out.extend_from_slice(format!("{s:>width$} ").as_bytes());
    width
}

/// What pmap's `%127[a-z ]` keeps of a `VmFlags` text, its last space off.
fn vmflags_text(text: &[u8]) -> String {
    let keep = text
        .iter()
        .take(127)
        .take_while(|&&b| b.is_ascii_lowercase() || b == b' ')
        .count();
    let mut s = String::from_utf8_lossy(&text[..keep]).into_owned();
    if s.ends_with(' ') {
        s.pop();
    }
    s
}

impl SmapsListing {
    /// The state of a run of `-X` (`all` false) or `-XX` (`all` true).
    pub fn new(all: bool) -> Self {
        Self {
            all,
            columns: Vec::new(),
        }
    }

    /// The listing of one process after its header.
    pub fn render(
        &mut self,
        out: &mut Vec<u8>,
        entries: &[SmapsEntry],
    ) -> Result<(), Inconsistent> {
        let text = |e: &SmapsEntry| {
            let v = &e.vma;
            [
                format!("{:08x}", v.start),
                String::from_utf8_lossy(&v.perms()).into_owned(),
                format!("{:08x}", v.pgoff),
                format!("{:02x}:{:02x}", v.major, v.minor),
                v.inode.to_string(),
            ]
        };
        let all = self.all;
        let enabled = |f: &&SmapsField| all || !UNIMPORTANT.contains(&f.name.as_str());
        let mut widths = [0usize; 5];
        let mut vmflags_width = 0;
        let mut has_vmflags = false;
        // The measuring pass: widths, columns, totals.
        for entry in entries {
            for (w, t) in widths.iter_mut().zip(text(entry)) {
                *w = (*w).max(t.len());
            }
            for (col, field) in entry.fields.iter().filter(enabled).enumerate() {
                match self.columns.get_mut(col) {
                    None => self.columns.push(Column {
                        name: field.name.clone(),
                        width: field.name.len(),
                        total: field.value,
                        last: field.value,
                    }),
                    Some(c) if c.name == field.name => {
                        c.total = c.total.wrapping_add(field.value);
                        c.last = field.value;
                    }
                    Some(_) => {
                        return Err(Inconsistent(format!(
                            "inconsistent detail field in smaps file: {}",
                            field.name
                        )))
                    }
                }
            }
            if let Some(flags) = &entry.vmflags {
                vmflags_width = vmflags_width.max(vmflags_text(flags).len());
                has_vmflags = true;
            }
        }
        if !entries.is_empty() {
            for c in &mut self.columns {
                c.width = c.width.max(c.total.to_string().len());
            }
            let show_vmflags = has_vmflags && self.all;
            for (w, name) in widths
                .iter_mut()
                .zip(["Address", "Perm", "Offset", "Device", "Inode"])
            {
                *w = justify(out, name, *w);
            }
            for c in &self.columns {
                justify(out, &c.name, c.width);
            }
            if show_vmflags {
                vmflags_width = justify(out, "VmFlags", vmflags_width);
            }
            out.extend_from_slice(b"Mapping\n");
            let mut vmflags = String::new();
            for entry in entries {
                for (i, (w, t)) in widths.iter().zip(text(entry)).enumerate() {
                    let sep = if i == 0 { "" } else { " " };
                    out.extend_from_slice(format!("{sep}{t:>w$}").as_bytes());
                }
                let mut fields = entry.fields.iter().filter(enabled);
                for c in &mut self.columns {
                    if let Some(f) = fields.next() {
                        c.last = f.value;
                    }
                    out.extend_from_slice(format!(" {:>w$}", c.last, w = c.width).as_bytes());
                }
                if let Some(flags) = &entry.vmflags {
                    vmflags = vmflags_text(flags);
                }
                if show_vmflags {
                    out.extend_from_slice(format!(" {vmflags:>vmflags_width$}").as_bytes());
                }
                let desc = &entry.vma.name[..entry.vma.name.len().min(127)];
                let base = match desc.iter().rposition(|&b| b == b'/') {
                    Some(slash) => &desc[slash + 1..],
                    None => desc,
                };
                out.push(b' ');
                out.extend_from_slice(base);
                out.push(b'\n');
            }
        }
        if !self.columns.is_empty() {
            let gap: usize = widths.iter().map(|w| w + 1).sum();
            out.extend(std::iter::repeat_n(b' ', gap));
            for c in &self.columns {
                out.extend(std::iter::repeat_n(b'=', c.width));
                out.push(b' ');
            }
            out.push(b'\n');
            out.extend(std::iter::repeat_n(b' ', gap));
            for c in &self.columns {
                out.extend_from_slice(format!("{:>w$} ", c.total, w = c.width).as_bytes());
            }
            out.extend_from_slice(b"KB \n");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Stack;
    use task_diag::procfs::maps::{parse_maps, parse_smaps};

    const NAMING: Naming = Naming {
        utf8: true,
        shm_minor: Some(1),
    };

    fn proc() -> Process {
        Process {
            tgid: 10,
            cmdline: Vec::new(),
            comm: Vec::new(),
            zombie: false,
            stack: Stack::Start(0x7ffc00001100),
        }
    }

    #[test]
    fn default_and_names() {
        let vmas = parse_maps(
            b"00400000-00402000 r-xp 00000000 fe:00 12 /usr/bin/sl\xffeep\n\
              00600000-00601000 rw-s 00000000 00:01 98 /SYSV00000000 (deleted)\n\
              00601000-00602000 rw-s 00000000 00:01 99 /dev/zero (deleted)\n\
              00700000-00721000 rw-p 00000000 00:00 0 [heap]\n\
              7ffc00000000-7ffc00001000 rw-p 00000000 00:00 0 [anon:a/b]\n\
              7ffc00001000-7ffc00002000 rw-p 00000000 00:00 0 [stack]\n\
              7ffc00003000-7ffc00004000 rw-p 00000000 00:00 0 \n",
        )
        .unwrap();
        let mut out = Vec::new();
        default_listing(&mut out, &proc(), &vmas, NAMING);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\
0000000000400000      8K r-x-- sl?eep
0000000000600000      4K rw-s-   [ shmid=0x62 ]
0000000000601000      4K rw-s- zero (deleted)
0000000000700000    132K rw---   [ anon ]
00007ffc00000000      4K rw--- b]
00007ffc00001000      4K rw---   [ stack ]
00007ffc00003000      4K rw---   [ anon ]
 total              160K
"
        );
    }

    const SMAPS: &[u8] = b"\
00400000-00402000 r-xp 00000000 fe:00 12 /usr/bin/sleep
Size:                  8 kB
Rss:                   8 kB
Shared_Dirty:          0 kB
Private_Dirty:         4 kB
Swap:                  0 kB
THPeligible:           0
VmFlags: rd ex mr mw me 
7ffc00001000-7ffc00022000 rw-p 00000000 00:00 0 [stack]
Size:                132 kB
Rss:                  12 kB
Shared_Dirty:          0 kB
Private_Dirty:        12 kB
Swap:                  0 kB
THPeligible:           1
VmFlags: rd wr mr mw me gd ac 
";

    #[test]
    fn extended() {
        let vmas: Vec<Vma> = parse_smaps(SMAPS)
            .unwrap()
            .into_iter()
            .map(|e| e.vma)
            .collect();
        let mut out = Vec::new();
        extended_listing(&mut out, &proc(), &vmas, NAMING);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\
Address           Kbytes     RSS   Dirty Mode  Mapping
0000000000400000       8       8       4 r-x-- sleep
00007ffc00001000     132      12      12 rw---   [ stack ]
---------------- ------- ------- ------- 
total kB             140      20      16
"
        );
    }

    #[test]
    fn smaps_columns_and_running_totals() {
        let entries = parse_smaps(SMAPS).unwrap();
        let mut listing = SmapsListing::new(false);
        let mut out = Vec::new();
        listing.render(&mut out, &entries).unwrap();
        assert_eq!(
            String::from_utf8(std::mem::take(&mut out)).unwrap(),
            "     Address Perm   Offset Device Inode Size Rss Swap THPeligible Mapping
    00400000 r-xp 00000000  fe:00    12    8   8    0           0 sleep
7ffc00001000 rw-p 00000000  00:00     0  132  12    0           1 [stack]
                                        ==== === ==== =========== 
                                         140  20    0           1 KB 
"
        );
        // The next process: same widths at least, totals keep running; an
        // empty one prints only the rules.
        listing.render(&mut out, &[]).unwrap();
        assert_eq!(
            String::from_utf8(std::mem::take(&mut out)).unwrap(),
            "     ==== === ==== =========== \n      140  20    0           1 KB \n"
        );
        let mut all = SmapsListing::new(true);
        all.render(&mut out, &entries).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(concat!(
                "     Address Perm   Offset Device Inode Size Rss Shared_Dirty Private_Dirty",
                " Swap THPeligible              VmFlags Mapping\n",
                "    00400000 r-xp 00000000  fe:00    12    8   8            0             4",
                "    0           0       rd ex mr mw me sleep\n"
            )),
            "{text}"
        );
    }
}
