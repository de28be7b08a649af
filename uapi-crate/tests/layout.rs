// SPDX-License-Identifier: MIT OR Apache-2.0

//! The Rust definitions against the C header, compiled by the C compiler.
//!
//! A C program that includes `linux-overlay/include/uapi/linux/task_diag.h`
//! prints the size and alignment of every structure, the offset and size of
//! every field and the value of every constant; each is compared with the
//! Rust side. Also with `-m32` where the compiler can build and run 32-bit
//! programs (gcc-multilib): every padding byte is a named field, so sizes and
//! offsets must be the same there (alignments differ: `__u64` is 4-aligned
//! on i386).

#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of, size_of_val};
use std::path::{Path, PathBuf};
use std::process::Command;

use task_diag_uapi::abi::*;

/// The layout of one structure, as Rust sees it.
struct StructLayout {
    /// The C tag: `task_diag_pid` for `struct task_diag_pid`.
    c_name: &'static str,
    size: usize,
    align: usize,
    /// Name, offset, size.
    fields: Vec<(&'static str, usize, usize)>,
}

macro_rules! layout {
    ($c_name:literal => $ty:ty { $($field:ident),+ $(,)? }) => {{
        let value = <$ty>::default();
        StructLayout {
            c_name: $c_name,
            size: size_of::<$ty>(),
            align: align_of::<$ty>(),
            fields: vec![$((stringify!($field), offset_of!($ty, $field), size_of_val(&value.$field))),+],
        }
    }};
}

fn structs() -> Vec<StructLayout> {
    vec![
        layout!("nlmsghdr" => NlMsgHdr { nlmsg_len, nlmsg_type, nlmsg_flags, nlmsg_seq, nlmsg_pid }),
        layout!("nlattr" => NlAttr { nla_len, nla_type }),
        layout!("task_diag_pid" => TaskDiagPid { show_flags, dump_strategy, pid, reserved }),
        layout!("task_diag_msg" => TaskDiagMsg { pid, tgid, flags }),
        layout!("task_diag_base" => TaskDiagBase {
            tgid, pid, ppid, tpid, sid, pgid, state, comm, reserved,
        }),
        layout!("task_diag_caps" => TaskDiagCaps { cap }),
        layout!("task_diag_creds" => TaskDiagCreds {
            cap_inheritable, cap_permitted, cap_effective, cap_bset,
            uid, euid, suid, fsuid, gid, egid, sgid, fsgid,
        }),
        layout!("task_diag_vma" => TaskDiagVma {
            start, end, vm_flags, pgoff, major, minor, inode, generation,
            vma_len, name_off, name_len, stat_off, stat_len, reserved,
        }),
        layout!("task_diag_vma_stat" => TaskDiagVmaStat {
            resident, shared_clean, shared_dirty, private_clean, private_dirty,
            referenced, anonymous, anonymous_thp, swap, pss,
        }),
        layout!("task_diag_stat" => TaskDiagStat {
            minflt, cminflt, majflt, cmajflt, utime, stime, cutime, cstime, threads, reserved,
            start_time, tty_nr, tpgid, nice, priority, rt_priority, policy, processor, flags,
        }),
        layout!("task_diag_statm" => TaskDiagStatm {
            anon, file, shmem, hiwater_vm, hiwater_rss, text, lib, swap, ptes,
            total_rss, total_vm, data_vm, stack_vm, locked_vm, pinned_vm,
        }),
    ]
}

/// The Rust-only structures that are a prefix of a C structure: the C
/// structure's tag, the C macro giving the prefix's length, and the
/// prefix's layout (its `c_name` unused). Each field must have the offset
/// and size of the C field of the same name, and the fields must tile the
/// prefix, of the macro's length.
fn prefixes() -> Vec<(&'static str, &'static str, StructLayout)> {
    vec![(
        "task_diag_stat",
        "TASK_DIAG_STAT_SIZE_VER0",
        layout!("task_diag_stat" => TaskDiagStatVer0 {
            minflt, cminflt, majflt, cmajflt, utime, stime, cutime, cstime, threads, reserved,
        }),
    )]
}

/// Every structure written as a literal naming every field: a field added to
/// or missing from the Rust side fails to compile here.
#[test]
fn literals_name_every_field() {
    let caps = TaskDiagCaps { cap: [1, 2] };
    let sizes: [usize; 12] = [
        size_of_val(&NlMsgHdr {
            nlmsg_len: 0,
            nlmsg_type: 0,
            nlmsg_flags: 0,
            nlmsg_seq: 0,
            nlmsg_pid: 0,
        }),
        size_of_val(&NlAttr {
            nla_len: 0,
            nla_type: 0,
        }),
        size_of_val(&TaskDiagPid {
            show_flags: 0,
            dump_strategy: 0,
            pid: 0,
            reserved: 0,
        }),
        size_of_val(&TaskDiagMsg {
            pid: 0,
            tgid: 0,
            flags: 0,
        }),
        size_of_val(&TaskDiagBase {
            tgid: 0,
            pid: 0,
            ppid: 0,
            tpid: 0,
            sid: 0,
            pgid: 0,
            state: 0,
            comm: [0; TASK_DIAG_COMM_LEN],
            reserved: [0; 3],
        }),
        size_of_val(&caps),
        size_of_val(&TaskDiagCreds {
            cap_inheritable: caps,
            cap_permitted: caps,
            cap_effective: caps,
            cap_bset: caps,
            uid: 0,
            euid: 0,
            suid: 0,
            fsuid: 0,
            gid: 0,
            egid: 0,
            sgid: 0,
            fsgid: 0,
        }),
        size_of_val(&TaskDiagVma {
            start: 0,
            end: 0,
            vm_flags: 0,
            pgoff: 0,
            major: 0,
            minor: 0,
            inode: 0,
            generation: 0,
            vma_len: 0,
            name_off: 0,
            name_len: 0,
            stat_off: 0,
            stat_len: 0,
            reserved: 0,
        }),
        size_of_val(&TaskDiagVmaStat {
            resident: 0,
            shared_clean: 0,
            shared_dirty: 0,
            private_clean: 0,
            private_dirty: 0,
            referenced: 0,
            anonymous: 0,
            anonymous_thp: 0,
            swap: 0,
            pss: 0,
        }),
        size_of_val(&TaskDiagStat {
            minflt: 0,
            cminflt: 0,
            majflt: 0,
            cmajflt: 0,
            utime: 0,
            stime: 0,
            cutime: 0,
            cstime: 0,
            threads: 0,
            reserved: 0,
            start_time: 0,
            tty_nr: 0,
            tpgid: 0,
            nice: 0,
            priority: 0,
            rt_priority: 0,
            policy: 0,
            processor: 0,
            flags: 0,
        }),
        size_of_val(&TaskDiagStatVer0 {
            minflt: 0,
            cminflt: 0,
            majflt: 0,
            cmajflt: 0,
            utime: 0,
            stime: 0,
            cutime: 0,
            cstime: 0,
            threads: 0,
            reserved: 0,
        }),
        size_of_val(&TaskDiagStatm {
            anon: 0,
            file: 0,
            shmem: 0,
            hiwater_vm: 0,
            hiwater_rss: 0,
            text: 0,
            lib: 0,
            swap: 0,
            ptes: 0,
            total_rss: 0,
            total_vm: 0,
            data_vm: 0,
            stack_vm: 0,
            locked_vm: 0,
            pinned_vm: 0,
        }),
    ];
    assert_eq!(sizes, [16, 4, 24, 12, 44, 8, 64, 64, 80, 112, 72, 120]);
}

macro_rules! consts {
    ($($name:ident),+ $(,)?) => {
        vec![$((stringify!($name), u64::try_from($name).unwrap())),+]
    };
}

fn constants() -> Vec<(&'static str, u64)> {
    consts![
        NLMSG_ALIGNTO,
        NLA_ALIGNTO,
        NLMSG_HDRLEN,
        NLA_HDRLEN,
        NLMSG_ERROR,
        NLMSG_DONE,
        NLM_F_MULTI,
        TASK_DIAG_CMD_GET,
        TASK_DIAG_FLAG_CONT,
        TASK_DIAG_COMM_LEN,
        TASK_DIAG_BASE,
        TASK_DIAG_CRED,
        TASK_DIAG_VMA,
        TASK_DIAG_VMA_STAT,
        TASK_DIAG_STAT,
        TASK_DIAG_STATM,
        TASK_DIAG_CMDLINE,
        TASK_DIAG_NAME,
        TASK_DIAG_ATTR_MAX,
        TASK_DIAG_SHOW_BASE,
        TASK_DIAG_SHOW_CRED,
        TASK_DIAG_SHOW_VMA,
        TASK_DIAG_SHOW_VMA_STAT,
        TASK_DIAG_SHOW_STAT,
        TASK_DIAG_SHOW_STATM,
        TASK_DIAG_SHOW_CMDLINE,
        TASK_DIAG_SHOW_NAME,
        TASK_DIAG_NAME_LEN,
        TASK_DIAG_STAT_SIZE_VER0,
        TASK_DIAG_DUMP_ALL,
        TASK_DIAG_DUMP_ONE,
        TASK_DIAG_DUMP_ALL_THREAD,
        TASK_DIAG_DUMP_CHILDREN,
        TASK_DIAG_DUMP_THREAD,
        TASK_DIAG_RUNNING,
        TASK_DIAG_INTERRUPTIBLE,
        TASK_DIAG_UNINTERRUPTIBLE,
        TASK_DIAG_STOPPED,
        TASK_DIAG_TRACE_STOP,
        TASK_DIAG_DEAD,
        TASK_DIAG_ZOMBIE,
        TASK_DIAG_PARKED,
        TASK_DIAG_IDLE,
        TASK_DIAG_VMA_F_READ,
        TASK_DIAG_VMA_F_WRITE,
        TASK_DIAG_VMA_F_EXEC,
        TASK_DIAG_VMA_F_SHARED,
        TASK_DIAG_VMA_F_MAYREAD,
        TASK_DIAG_VMA_F_MAYWRITE,
        TASK_DIAG_VMA_F_MAYEXEC,
        TASK_DIAG_VMA_F_MAYSHARE,
        TASK_DIAG_VMA_F_GROWSDOWN,
        TASK_DIAG_VMA_F_PFNMAP,
        TASK_DIAG_VMA_F_DENYWRITE,
        TASK_DIAG_VMA_F_MPX,
        TASK_DIAG_VMA_F_LOCKED,
        TASK_DIAG_VMA_F_IO,
        TASK_DIAG_VMA_F_SEQ_READ,
        TASK_DIAG_VMA_F_RAND_READ,
        TASK_DIAG_VMA_F_DONTCOPY,
        TASK_DIAG_VMA_F_DONTEXPAND,
        TASK_DIAG_VMA_F_ACCOUNT,
        TASK_DIAG_VMA_F_NORESERVE,
        TASK_DIAG_VMA_F_HUGETLB,
        TASK_DIAG_VMA_F_ARCH_1,
        TASK_DIAG_VMA_F_DONTDUMP,
        TASK_DIAG_VMA_F_SOFTDIRTY,
        TASK_DIAG_VMA_F_MIXEDMAP,
        TASK_DIAG_VMA_F_HUGEPAGE,
        TASK_DIAG_VMA_F_NOHUGEPAGE,
        TASK_DIAG_VMA_F_MERGEABLE,
    ]
}

/// `linux-overlay/include/uapi`, where `<linux/task_diag.h>` is.
fn uapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../linux-overlay/include/uapi")
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The C compiler, as the `cc` crate finds it for the host.
fn compiler() -> Command {
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .opt_level(0)
        .debug(false)
        .target(&triple)
        .host(&triple)
        .get_compiler()
        .to_command()
}

/// Compiles `source` (as `name.c`) with `args`, links it and runs it;
/// returns its standard output, or the reason it failed.
fn build_and_run(name: &str, source: &str, args: &[&str]) -> Result<String, String> {
    let dir = work_dir();
    let c = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&c, source).unwrap();
    let out = compiler()
        .args(args)
        .arg("-I")
        .arg(uapi_dir())
        .arg("-o")
        .arg(&exe)
        .arg(&c)
        .output()
        .map_err(|e| format!("cannot run the C compiler: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "compiling {} failed:\n{}",
            c.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let run = Command::new(&exe)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !run.status.success() {
        return Err(format!("{} failed: {}", exe.display(), run.status));
    }
    Ok(String::from_utf8(run.stdout).unwrap())
}

/// The C program that prints every layout and constant.
fn c_program() -> String {
    let mut c = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include <linux/netlink.h>\n\
         #include <linux/task_diag.h>\n\nint main(void)\n{\n",
    );
    for s in structs() {
        let t = format!("struct {}", s.c_name);
        writeln!(
            c,
            "\tprintf(\"struct {} %lu %lu\\n\", (unsigned long)sizeof({t}), \
             (unsigned long)_Alignof({t}));",
            s.c_name
        )
        .unwrap();
        for (field, _, _) in &s.fields {
            writeln!(
                c,
                "\tprintf(\"field {}.{field} %lu %lu\\n\", \
                 (unsigned long)offsetof({t}, {field}), \
                 (unsigned long)sizeof((({t} *)0)->{field}));",
                s.c_name
            )
            .unwrap();
        }
    }
    for (c_name, size_macro, _) in prefixes() {
        writeln!(
            c,
            "\tprintf(\"prefix {c_name} %lu\\n\", (unsigned long)({size_macro}));"
        )
        .unwrap();
    }
    for (name, _) in constants() {
        writeln!(
            c,
            "\tprintf(\"const {name} %llu\\n\", (unsigned long long)({name}));"
        )
        .unwrap();
    }
    c.push_str("\treturn 0;\n}\n");
    c
}

/// What the C program printed, by kind and name.
#[derive(Default)]
struct CLayout {
    structs: BTreeMap<String, (usize, usize)>,
    fields: BTreeMap<String, (usize, usize)>,
    consts: BTreeMap<String, u64>,
    /// The length of each prefix, by C structure.
    prefixes: BTreeMap<String, usize>,
}

fn parse(output: &str) -> CLayout {
    let mut c = CLayout::default();
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["struct", name, size, align] => {
                c.structs.insert(
                    name.to_string(),
                    (size.parse().unwrap(), align.parse().unwrap()),
                );
            }
            ["field", name, offset, size] => {
                c.fields.insert(
                    name.to_string(),
                    (offset.parse().unwrap(), size.parse().unwrap()),
                );
            }
            ["prefix", name, size] => {
                c.prefixes.insert(name.to_string(), size.parse().unwrap());
            }
            ["const", name, value] => {
                c.consts.insert(name.to_string(), value.parse().unwrap());
            }
            _ => panic!("unexpected line from the C program: {line:?}"),
        }
    }
    c
}

/// Compares the Rust layouts and constants with `c`; `native` also compares
/// alignments. Returns the number of checks made.
fn compare(c: &CLayout, native: bool) -> usize {
    let mut checks = 0;
    for s in structs() {
        let (size, align) = c.structs[s.c_name];
        assert_eq!(size, s.size, "sizeof(struct {})", s.c_name);
        if native {
            assert_eq!(align, s.align, "alignof(struct {})", s.c_name);
        }
        checks += 2;
        // The fields tile the structure: no implicit padding on either side,
        // so no C field can be missing from the Rust list.
        let mut end = 0;
        for &(field, offset, fsize) in &s.fields {
            let key = format!("{}.{field}", s.c_name);
            assert_eq!(c.fields[&key], (offset, fsize), "offset and size of {key}");
            assert_eq!(offset, end, "{key} does not follow the previous field");
            end = offset + fsize;
            checks += 1;
        }
        assert_eq!(end, s.size, "struct {} has trailing padding", s.c_name);
    }
    for (c_name, size_macro, p) in prefixes() {
        let prefix_len = c.prefixes[c_name];
        assert_eq!(prefix_len, p.size, "{size_macro} against the Rust prefix");
        let (c_size, _) = c.structs[c_name];
        assert!(prefix_len < c_size, "{size_macro} is not a proper prefix");
        if native {
            let (_, c_align) = c.structs[c_name];
            assert_eq!(p.align, c_align, "alignment of the prefix of {c_name}");
        }
        let mut end = 0;
        for &(field, offset, fsize) in &p.fields {
            let key = format!("{c_name}.{field}");
            assert_eq!(
                c.fields[&key],
                (offset, fsize),
                "offset and size of {key} in the prefix"
            );
            assert_eq!(offset, end, "{key} does not follow the previous field");
            end = offset + fsize;
            checks += 1;
        }
        assert_eq!(
            end, prefix_len,
            "the prefix of {c_name} has trailing padding"
        );
        checks += 2;
    }
    for (name, value) in constants() {
        assert_eq!(c.consts[name], value, "{name}");
        checks += 1;
    }
    checks
}

#[test]
fn rust_matches_the_c_header() {
    let source = c_program();
    let out = build_and_run("layout64", &source, &["-std=gnu11", "-Wall", "-Werror"])
        .unwrap_or_else(|e| panic!("{e}"));
    let checks = compare(&parse(&out), true);
    println!("native: {checks} checks against the C header");
}

/// Whether the compiler can build and run a 32-bit program with the kernel
/// headers (gcc-multilib).
fn m32_works() -> Result<(), String> {
    build_and_run(
        "probe32",
        "#include <stdio.h>\n#include <linux/types.h>\n\
         int main(void) { __u64 x = 1; printf(\"%d\\n\", (int)sizeof(void *) + (int)x); return 0; }\n",
        &["-m32"],
    )
    .and_then(|out| {
        if out.trim() == "5" {
            Ok(())
        } else {
            Err(format!("the -m32 probe printed {out:?}"))
        }
    })
}

#[test]
fn rust_matches_the_c_header_m32() {
    if let Err(why) = m32_works() {
        println!("skipped: -m32 does not work here: {why}");
        return;
    }
    let source = c_program();
    let out = build_and_run(
        "layout32",
        &source,
        &["-m32", "-std=gnu11", "-Wall", "-Werror"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let checks = compare(&parse(&out), false);
    println!("-m32: {checks} checks against the C header");
}

/// The header compiles alone, as strict C90 (as `CONFIG_UAPI_HEADER_TEST`
/// compiles uapi headers), natively and with `-m32` when that works.
#[test]
fn header_compiles_alone_as_c90() {
    let flags = [
        "-std=c90",
        "-pedantic",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fsyntax-only",
    ];
    let mut modes: Vec<&[&str]> = vec![&[]];
    match m32_works() {
        Ok(()) => modes.push(&["-m32"]),
        Err(why) => println!("skipped -m32: {why}"),
    }
    let dir = work_dir();
    let c = dir.join("alone.c");
    std::fs::write(
        &c,
        "#include <linux/task_diag.h>\n\
         struct task_diag_pid alone_pid;\n\
         struct task_diag_vma alone_vma;\n",
    )
    .unwrap();
    for extra in modes {
        let out = compiler()
            .args(extra)
            .args(flags)
            .arg("-I")
            .arg(uapi_dir())
            .arg(&c)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
