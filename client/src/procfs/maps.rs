// SPDX-License-Identifier: MIT OR Apache-2.0

//! The memory mappings of a process from `/proc/PID/maps` and
//! `/proc/PID/smaps`, as records that mirror task_diag's VMA group.
//!
//! [`Vma`] mirrors `struct task_diag_vma` (flags as `TASK_DIAG_VMA_F_*`
//! bits, the offset in bytes, the name as maps prints it) and [`VmaStat`]
//! mirrors `struct task_diag_vma_stat` (bytes; `pss` in fixed point,
//! bytes << 12). A task_diag reader fills the same two types, so whatever
//! consumes them does not care where they came from.
//!
//! smaps holds more than `task_diag_vma_stat` does: `KernelPageSize`,
//! `MMUPageSize`, `Pss_Dirty`, `KSM`, `LazyFree`, `ShmemPmdMapped`,
//! `FilePmdMapped`, `Shared_Hugetlb`, `Private_Hugetlb`, `SwapPss`,
//! `Locked`, `THPeligible`, `ProtectionKey`, and `VmFlags` mnemonics for
//! bits task_diag does not number. `pmap -X` prints most of them, and its
//! columns are whatever the running kernel's smaps holds. So [`SmapsEntry`]
//! keeps every numeric line of a block, in order and by name, next to the
//! [`Vma`] and the [`VmaStat`] derived from it; a task_diag backend serves
//! `pmap` and `pmap -x` from VMA and VMA_STAT and reads smaps for `-X`.
//!
//! The parsers ([`parse_maps`], [`parse_maps_line`], [`parse_smaps`]) do no
//! I/O; [`read_maps`] and [`read_smaps`] read one process's file.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use task_diag_uapi::abi::{
    TASK_DIAG_VMA_F_ACCOUNT, TASK_DIAG_VMA_F_ARCH_1, TASK_DIAG_VMA_F_DENYWRITE,
    TASK_DIAG_VMA_F_DONTCOPY, TASK_DIAG_VMA_F_DONTDUMP, TASK_DIAG_VMA_F_DONTEXPAND,
    TASK_DIAG_VMA_F_EXEC, TASK_DIAG_VMA_F_GROWSDOWN, TASK_DIAG_VMA_F_HUGEPAGE,
    TASK_DIAG_VMA_F_HUGETLB, TASK_DIAG_VMA_F_IO, TASK_DIAG_VMA_F_LOCKED, TASK_DIAG_VMA_F_MAYEXEC,
    TASK_DIAG_VMA_F_MAYREAD, TASK_DIAG_VMA_F_MAYSHARE, TASK_DIAG_VMA_F_MAYWRITE,
    TASK_DIAG_VMA_F_MERGEABLE, TASK_DIAG_VMA_F_MIXEDMAP, TASK_DIAG_VMA_F_MPX,
    TASK_DIAG_VMA_F_NOHUGEPAGE, TASK_DIAG_VMA_F_NORESERVE, TASK_DIAG_VMA_F_PFNMAP,
    TASK_DIAG_VMA_F_RAND_READ, TASK_DIAG_VMA_F_READ, TASK_DIAG_VMA_F_SEQ_READ,
    TASK_DIAG_VMA_F_SHARED, TASK_DIAG_VMA_F_SOFTDIRTY, TASK_DIAG_VMA_F_WRITE,
};

/// The bit of `TASK_DIAG_VMA_F_*` number `bit` in [`Vma::flags`].
pub const fn flag(bit: u32) -> u64 {
    1 << bit
}

/// The `VmFlags` mnemonics of smaps that task_diag numbers, with their bits.
const MNEMONICS: [(&[u8; 2], u32); 28] = [
    (b"rd", TASK_DIAG_VMA_F_READ),
    (b"wr", TASK_DIAG_VMA_F_WRITE),
    (b"ex", TASK_DIAG_VMA_F_EXEC),
    (b"sh", TASK_DIAG_VMA_F_SHARED),
    (b"mr", TASK_DIAG_VMA_F_MAYREAD),
    (b"mw", TASK_DIAG_VMA_F_MAYWRITE),
    (b"me", TASK_DIAG_VMA_F_MAYEXEC),
    (b"ms", TASK_DIAG_VMA_F_MAYSHARE),
    (b"gd", TASK_DIAG_VMA_F_GROWSDOWN),
    (b"pf", TASK_DIAG_VMA_F_PFNMAP),
    (b"dw", TASK_DIAG_VMA_F_DENYWRITE),
    (b"mp", TASK_DIAG_VMA_F_MPX),
    (b"lo", TASK_DIAG_VMA_F_LOCKED),
    (b"io", TASK_DIAG_VMA_F_IO),
    (b"sr", TASK_DIAG_VMA_F_SEQ_READ),
    (b"rr", TASK_DIAG_VMA_F_RAND_READ),
    (b"dc", TASK_DIAG_VMA_F_DONTCOPY),
    (b"de", TASK_DIAG_VMA_F_DONTEXPAND),
    (b"ac", TASK_DIAG_VMA_F_ACCOUNT),
    (b"nr", TASK_DIAG_VMA_F_NORESERVE),
    (b"ht", TASK_DIAG_VMA_F_HUGETLB),
    (b"ar", TASK_DIAG_VMA_F_ARCH_1),
    (b"dd", TASK_DIAG_VMA_F_DONTDUMP),
    (b"sd", TASK_DIAG_VMA_F_SOFTDIRTY),
    (b"mm", TASK_DIAG_VMA_F_MIXEDMAP),
    (b"hg", TASK_DIAG_VMA_F_HUGEPAGE),
    (b"nh", TASK_DIAG_VMA_F_NOHUGEPAGE),
    (b"mg", TASK_DIAG_VMA_F_MERGEABLE),
];

/// One memory mapping, as `struct task_diag_vma` describes it: read from
/// maps or smaps here, or decoded from a `TASK_DIAG_VMA` record by the
/// task_diag reader ([`Task::vmas`](crate::Task::vmas)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Vma {
    /// First address of the mapping.
    pub start: u64,
    /// First address past the mapping.
    pub end: u64,
    /// `TASK_DIAG_VMA_F_*` bits (see [`flag`]). From maps only READ,
    /// WRITE, EXEC and MAYSHARE (the perms column's `s`) are known; smaps
    /// adds the bits of its `VmFlags` line.
    pub flags: u64,
    /// Offset in the file, in bytes.
    pub pgoff: u64,
    /// Major number of the file's device.
    pub major: u32,
    /// Minor number of the file's device.
    pub minor: u32,
    /// Inode number of the file, 0 when anonymous.
    pub inode: u64,
    /// The name exactly as maps prints it (a path, maybe with
    /// ` (deleted)`, `[heap]`, `[stack]`, `[anon:NAME]`...), empty if none.
    pub name: Vec<u8>,
    /// The statistics, when read from smaps (or asked of task_diag).
    pub stat: Option<VmaStat>,
}

impl Vma {
    /// Whether `TASK_DIAG_VMA_F_*` bit number `bit` is set.
    pub fn has(&self, bit: u32) -> bool {
        self.flags & flag(bit) != 0
    }

    /// The length of the mapping in bytes.
    pub fn len(&self) -> u64 {
        self.end.wrapping_sub(self.start)
    }

    /// Whether the mapping is empty (never, for a real one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The perms column of maps: `rwxp` with `-` for a missing right and
    /// `s` in place of `p` when the mapping may be shared.
    pub fn perms(&self) -> [u8; 4] {
        let bit = |b, c| if self.has(b) { c } else { b'-' };
        [
            bit(TASK_DIAG_VMA_F_READ, b'r'),
            bit(TASK_DIAG_VMA_F_WRITE, b'w'),
            bit(TASK_DIAG_VMA_F_EXEC, b'x'),
            if self.has(TASK_DIAG_VMA_F_MAYSHARE) {
                b's'
            } else {
                b'p'
            },
        ]
    }
}

/// The statistics of one mapping, as `struct task_diag_vma_stat` holds
/// them: bytes, `pss` in fixed point (bytes << 12; from smaps, whole kB
/// only). The structure of `task-diag-uapi` itself, so that a task_diag
/// reader and smaps fill one type.
pub type VmaStat = task_diag_uapi::abi::TaskDiagVmaStat;

/// One numeric line of an smaps block: `Name:  VALUE kB`, or a bare
/// `Name:  VALUE` (`THPeligible`, `ProtectionKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmapsField {
    /// The name before the colon.
    pub name: String,
    /// The number, as printed (kB when [`SmapsField::kb`]).
    pub value: u64,
    /// Whether the value is followed by `kB`.
    pub kb: bool,
}

/// One block of smaps: the mapping, every numeric field in the kernel's
/// order, and the `VmFlags` mnemonics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmapsEntry {
    /// The mapping, its [`Vma::stat`] filled from the fields, its
    /// [`Vma::flags`] completed from `VmFlags`.
    pub vma: Vma,
    /// The numeric lines, in order.
    pub fields: Vec<SmapsField>,
    /// The text after `VmFlags:` (mnemonics separated by spaces, the
    /// kernel's trailing space included), if the line is there.
    pub vmflags: Option<Vec<u8>>,
}

impl SmapsEntry {
    /// The value of the field `name`, if the block has it.
    pub fn field(&self, name: &str) -> Option<u64> {
        self.fields.iter().find(|f| f.name == name).map(|f| f.value)
    }
}

/// What is wrong with a maps or smaps text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapsParseError {
    /// The line, counted from 1.
    pub line: usize,
    /// What was expected.
    pub what: &'static str,
}

impl fmt::Display for MapsParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl std::error::Error for MapsParseError {}

/// Splits off the text before the first `sep`.
fn split_at_byte(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let at = s.iter().position(|&b| b == sep)?;
    Some((&s[..at], &s[at + 1..]))
}

fn hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
}

fn dec(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Parses one line of `/proc/PID/maps` (or the first line of an smaps
/// block), without its newline:
/// `START-END PERMS OFFSET MAJOR:MINOR INODE [NAME]`.
pub fn parse_maps_line(line: &[u8]) -> Option<Vma> {
    let (range, rest) = split_at_byte(line, b' ')?;
    let (start, end) = split_at_byte(range, b'-')?;
    let (perms, rest) = split_at_byte(rest, b' ')?;
    let (offset, rest) = split_at_byte(rest, b' ')?;
    let (dev, rest) = split_at_byte(rest, b' ')?;
    let (inode, name) = match split_at_byte(rest, b' ') {
        Some((inode, name)) => (inode, name),
        None => (rest, &b""[..]),
    };
    let (major, minor) = split_at_byte(dev, b':')?;
    let [r, w, x, s] = <[u8; 4]>::try_from(perms).ok()?;
    let mut flags = 0;
    for (c, want, bit) in [
        (r, b'r', TASK_DIAG_VMA_F_READ),
        (w, b'w', TASK_DIAG_VMA_F_WRITE),
        (x, b'x', TASK_DIAG_VMA_F_EXEC),
        (s, b's', TASK_DIAG_VMA_F_MAYSHARE),
    ] {
        if c == want {
            flags |= flag(bit);
        } else if c != b'-' && !(want == b's' && c == b'p') {
            return None;
        }
    }
    let start_of_name = name.iter().position(|&b| b != b' ').unwrap_or(name.len());
    Some(Vma {
        start: hex(start)?,
        end: hex(end)?,
        flags,
        pgoff: hex(offset)?,
        major: u32::try_from(hex(major)?).ok()?,
        minor: u32::try_from(hex(minor)?).ok()?,
        inode: dec(inode)?,
        name: name[start_of_name..].to_vec(),
        stat: None,
    })
}

/// Parses a whole `/proc/PID/maps`.
pub fn parse_maps(data: &[u8]) -> Result<Vec<Vma>, MapsParseError> {
    data.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| {
            parse_maps_line(line).ok_or(MapsParseError {
                line: i + 1,
                what: "a maps line",
            })
        })
        .collect()
}

/// The `TASK_DIAG_VMA_F_*` bits of a `VmFlags` text (`rd wr mr mw me ac`);
/// mnemonics task_diag does not number are left out.
pub fn vmflags_bits(text: &[u8]) -> u64 {
    text.split(|&b| b == b' ')
        .filter_map(|m| MNEMONICS.iter().find(|(name, _)| &name[..] == m))
        .fold(0, |acc, (_, bit)| acc | flag(*bit))
}

/// Parses a numeric smaps line as pmap does (`%[^:]: %[0-9]`): a name,
/// a colon, spaces, digits, then optionally ` kB`.
fn parse_field(line: &[u8]) -> Option<SmapsField> {
    let (name, rest) = split_at_byte(line, b':')?;
    let rest = &rest[rest.iter().position(|&b| b != b' ')?..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let value = dec(&rest[..digits])?;
    let tail = &rest[digits..];
    Some(SmapsField {
        name: String::from_utf8(name.to_vec()).ok()?,
        value,
        kb: tail == b" kB",
    })
}

/// The [`VmaStat`] of an smaps block's fields (missing fields count 0).
pub fn stat_of_fields(fields: &[SmapsField]) -> VmaStat {
    let kb = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .map_or(0, |f| f.value.saturating_mul(1024))
    };
    VmaStat {
        resident: kb("Rss"),
        shared_clean: kb("Shared_Clean"),
        shared_dirty: kb("Shared_Dirty"),
        private_clean: kb("Private_Clean"),
        private_dirty: kb("Private_Dirty"),
        referenced: kb("Referenced"),
        anonymous: kb("Anonymous"),
        anonymous_thp: kb("AnonHugePages"),
        swap: kb("Swap"),
        pss: kb("Pss") << 12,
    }
}

/// Parses a whole `/proc/PID/smaps`: blocks of a maps line, numeric
/// fields, and a `VmFlags` line.
pub fn parse_smaps(data: &[u8]) -> Result<Vec<SmapsEntry>, MapsParseError> {
    let mut entries: Vec<SmapsEntry> = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let err = |what| MapsParseError { line: i + 1, what };
        if line[0].is_ascii_uppercase() {
            let entry = entries.last_mut().ok_or(err("a maps line first"))?;
            if let Some(text) = line.strip_prefix(b"VmFlags:") {
                let text = &text[text.iter().position(|&b| b != b' ').unwrap_or(text.len())..];
                entry.vma.flags |= vmflags_bits(text);
                entry.vmflags = Some(text.to_vec());
            } else {
                entry
                    .fields
                    .push(parse_field(line).ok_or(err("a field `Name: VALUE [kB]`"))?);
            }
        } else {
            let vma = parse_maps_line(line).ok_or(err("a maps line"))?;
            entries.push(SmapsEntry {
                vma,
                ..SmapsEntry::default()
            });
        }
    }
    for entry in &mut entries {
        entry.vma.stat = Some(stat_of_fields(&entry.fields));
    }
    Ok(entries)
}

/// Reads `ROOT/PID/maps` (`root` is a procfs mount, usually `/proc`).
///
/// Errors: that of opening or reading the file (`EACCES` when the caller
/// may not ptrace-read the process, `ENOENT` when it is gone), or
/// `InvalidData` when it cannot be parsed.
pub fn read_maps(root: &Path, pid: i32) -> io::Result<Vec<Vma>> {
    let data = fs::read(root.join(pid.to_string()).join("maps"))?;
    parse_maps(&data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Reads `ROOT/PID/smaps`, with the errors of [`read_maps`].
pub fn read_smaps(root: &Path, pid: i32) -> io::Result<Vec<SmapsEntry>> {
    let data = fs::read(root.join(pid.to_string()).join("smaps"))?;
    parse_smaps(&data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &[u8] = b"\
55a745db3000-55a745db5000 r--p 00002000 fe:00 247030                     /usr/bin/cat
Size:                  8 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   8 kB
Pss:                   6 kB
Pss_Dirty:             0 kB
Shared_Clean:          4 kB
Shared_Dirty:          1 kB
Private_Clean:         2 kB
Private_Dirty:         3 kB
Referenced:            8 kB
Anonymous:             5 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         7 kB
Swap:                  9 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd mr mw me sh ms sd 
7ffc86180000-7ffc861a1000 rw-s 00000000 00:01 1029                       /SYSV00000000 (deleted)
Size:                132 kB
VmFlags: rd wr 
";

    #[test]
    fn maps_lines() {
        let vma = parse_maps_line(
            b"7f23112cd000-7f23112f3000 r-xp 00026000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6",
        )
        .unwrap();
        assert_eq!(vma.start, 0x7f23112cd000);
        assert_eq!(vma.end, 0x7f23112f3000);
        assert_eq!(vma.len(), 0x26000);
        assert_eq!(
            vma.flags,
            flag(TASK_DIAG_VMA_F_READ) | flag(TASK_DIAG_VMA_F_EXEC)
        );
        assert_eq!(&vma.perms(), b"r-xp");
        assert_eq!(vma.pgoff, 0x26000);
        assert_eq!((vma.major, vma.minor, vma.inode), (0xfe, 0, 326279));
        assert_eq!(vma.name, b"/usr/lib/x86_64-linux-gnu/libc.so.6");
        assert_eq!(vma.stat, None);

        let anon = parse_maps_line(b"00400000-00401000 rw-s 00000000 00:00 0 ").unwrap();
        assert_eq!(anon.start, 0x400000);
        assert!(anon.has(TASK_DIAG_VMA_F_MAYSHARE));
        assert!(!anon.has(TASK_DIAG_VMA_F_SHARED));
        assert_eq!(&anon.perms(), b"rw-s");
        assert!(anon.name.is_empty());
        let bare = parse_maps_line(b"00400000-00401000 ---p 00000000 00:00 0").unwrap();
        assert_eq!((bare.flags, &bare.perms()), (0, b"---p"));

        // Names keep their inner and trailing bytes.
        let named = parse_maps_line(
            b"7f0000000000-7f0000001000 rw-p 00000000 00:00 0                          [anon:my name ] ",
        )
        .unwrap();
        assert_eq!(named.name, b"[anon:my name ] ");
        let deleted =
            parse_maps_line(b"1000-2000 r--p 00001000 00:2a 77   /tmp/a b\xff (deleted)").unwrap();
        assert_eq!(deleted.name, b"/tmp/a b\xff (deleted)");

        for bad in [
            &b""[..],
            b"1000-2000 r--p 0 00:00",
            b"1000-2000 r--q 0 00:00 0",
            b"1000-2000 r--p0 00:00 0",
            b"1000 r--p 0 00:00 0",
            b"1000-2000 r--p 0 0000 0",
            b"1000-2000 r--p 0 00:00 x",
            b"g000-2000 r--p 0 00:00 0",
        ] {
            assert_eq!(
                parse_maps_line(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn maps_files() {
        let vmas =
            parse_maps(b"1000-2000 r--p 0 00:00 0\n3000-4000 rw-p 0 00:00 0 [heap]\n").unwrap();
        assert_eq!(vmas.len(), 2);
        assert_eq!(vmas[1].name, b"[heap]");
        assert_eq!(parse_maps(b"").unwrap(), vec![]);
        assert_eq!(
            parse_maps(b"1000-2000 r--p 0 00:00 0\nbad\n"),
            Err(MapsParseError {
                line: 2,
                what: "a maps line"
            })
        );
    }

    #[test]
    fn smaps_blocks() {
        let entries = parse_smaps(SMAPS).unwrap();
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(e.vma.name, b"/usr/bin/cat");
        assert_eq!(e.fields.len(), 19);
        assert_eq!(e.fields[0].name, "Size");
        assert!(e.fields[0].kb);
        assert_eq!(e.field("KernelPageSize"), Some(4));
        let thp = e.fields.iter().find(|f| f.name == "THPeligible").unwrap();
        assert_eq!((thp.value, thp.kb), (0, false));
        assert_eq!(e.vmflags.as_deref(), Some(&b"rd mr mw me sh ms sd "[..]));
        assert_eq!(
            e.vma.flags,
            [
                TASK_DIAG_VMA_F_READ,
                TASK_DIAG_VMA_F_SHARED,
                TASK_DIAG_VMA_F_MAYREAD,
                TASK_DIAG_VMA_F_MAYWRITE,
                TASK_DIAG_VMA_F_MAYEXEC,
                TASK_DIAG_VMA_F_MAYSHARE,
                TASK_DIAG_VMA_F_SOFTDIRTY,
            ]
            .iter()
            .fold(0, |a, &b| a | flag(b))
        );
        assert_eq!(
            e.vma.stat,
            Some(VmaStat {
                resident: 8192,
                shared_clean: 4096,
                shared_dirty: 1024,
                private_clean: 2048,
                private_dirty: 3072,
                referenced: 8192,
                anonymous: 5120,
                anonymous_thp: 7168,
                swap: 9216,
                pss: 6144 << 12,
            })
        );
        let shm = &entries[1];
        assert_eq!(shm.vma.name, b"/SYSV00000000 (deleted)");
        assert_eq!((shm.vma.major, shm.vma.minor, shm.vma.inode), (0, 1, 1029));
        assert_eq!(shm.vma.stat.unwrap().resident, 0);
        assert!(shm.vma.has(TASK_DIAG_VMA_F_WRITE));
        assert_eq!(shm.field("Rss"), None);
    }

    #[test]
    fn smaps_errors() {
        assert_eq!(parse_smaps(b"").unwrap(), vec![]);
        assert_eq!(
            parse_smaps(b"Rss: 4 kB\n").unwrap_err(),
            MapsParseError {
                line: 1,
                what: "a maps line first"
            }
        );
        assert_eq!(
            parse_smaps(b"1000-2000 r--p 0 00:00 0\nRss: four kB\n")
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(vmflags_bits(b"rd zz  ex "), flag(0) | flag(2));
    }
}
