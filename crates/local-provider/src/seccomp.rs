//! The sandbox's seccomp filter (docs/security.md, "Containment"), compiled to classic BPF once
//! when the provider starts and handed to bubblewrap (`--add-seccomp-fd`), which loads it just
//! before it starts the supervisor, so it holds for everything in the sandbox.
//!
//! Invariant: every system call is allowed except those that rearrange namespaces or mounts,
//! reach the kernel's shared state (keyrings, BPF, modules, kexec, the kernel log, swap,
//! accounting) or another process's memory, and a few favourite exploit primitives: those
//! fail with `EPERM` ([`REFUSED`], `clone` with a namespace flag, `ptrace` attaching to
//! another process). `clone3`, whose flags a filter cannot read, fails with `ENOSYS`, so the C
//! library falls back to `clone`; so do x32 calls. A call of another architecture (`int 0x80`
//! on x86_64) ends the process. bubblewrap's `--disable-userns` refuses user namespaces as well.

use std::collections::BTreeMap;

use seccompiler::{
    sock_filter, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Refused whatever their arguments: namespaces and mounts, the kernel's keyrings, BPF,
/// modules, kexec, reboot, swap, accounting, the kernel log and quotas, another process's
/// memory, file handles (the classic container escape), userfaultfd and perf events.
pub const REFUSED: &[(&str, i64)] = &[
    ("unshare", libc::SYS_unshare),
    ("setns", libc::SYS_setns),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("pivot_root", libc::SYS_pivot_root),
    ("chroot", libc::SYS_chroot),
    ("move_mount", libc::SYS_move_mount),
    ("open_tree", libc::SYS_open_tree),
    ("fsopen", libc::SYS_fsopen),
    ("fsconfig", libc::SYS_fsconfig),
    ("fsmount", libc::SYS_fsmount),
    ("fspick", libc::SYS_fspick),
    ("mount_setattr", libc::SYS_mount_setattr),
    ("keyctl", libc::SYS_keyctl),
    ("add_key", libc::SYS_add_key),
    ("request_key", libc::SYS_request_key),
    ("bpf", libc::SYS_bpf),
    ("process_vm_readv", libc::SYS_process_vm_readv),
    ("process_vm_writev", libc::SYS_process_vm_writev),
    ("kexec_load", libc::SYS_kexec_load),
    ("kexec_file_load", libc::SYS_kexec_file_load),
    ("init_module", libc::SYS_init_module),
    ("finit_module", libc::SYS_finit_module),
    ("delete_module", libc::SYS_delete_module),
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    ("userfaultfd", libc::SYS_userfaultfd),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("acct", libc::SYS_acct),
    ("swapon", libc::SYS_swapon),
    ("swapoff", libc::SYS_swapoff),
    ("reboot", libc::SYS_reboot),
    ("syslog", libc::SYS_syslog),
    ("quotactl", libc::SYS_quotactl),
];

/// `clone` flags that make a new namespace.
pub const NAMESPACE_FLAGS: &[u64] = &[
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWCGROUP as u64,
];

/// `ptrace` requests that attach to another process.
pub const PTRACE_ATTACHING: &[u64] = &[libc::PTRACE_ATTACH as u64, libc::PTRACE_SEIZE as u64];

/// The x32 ABI's bit in a system call number (x86_64).
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

fn arch() -> Result<(TargetArch, u32), String> {
    match std::env::consts::ARCH {
        "x86_64" => Ok((TargetArch::x86_64, 0xC000_003E)),
        "aarch64" => Ok((TargetArch::aarch64, 0xC000_00B7)),
        other => Err(format!("no seccomp filter for the {other} architecture")),
    }
}

fn first_arg_rules(values: &[u64], op: fn(u64) -> SeccompCmpOp) -> Result<Vec<SeccompRule>, String> {
    values
        .iter()
        .map(|&v| {
            let condition = SeccompCondition::new(0, SeccompCmpArgLen::Dword, op(v), v).map_err(|e| e.to_string())?;
            SeccompRule::new(vec![condition]).map_err(|e| e.to_string())
        })
        .collect()
}

/// The `EPERM` filter: [`REFUSED`], `clone` with a namespace flag, attaching `ptrace`.
fn refusals(target: TargetArch) -> Result<BpfProgram, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = REFUSED.iter().map(|(_, nr)| (*nr, vec![])).collect();
    rules.insert(libc::SYS_clone, first_arg_rules(NAMESPACE_FLAGS, SeccompCmpOp::MaskedEq)?);
    rules.insert(libc::SYS_ptrace, first_arg_rules(PTRACE_ATTACHING, |_| SeccompCmpOp::Eq)?);
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), target)
        .map_err(|e| e.to_string())?;
    filter.try_into().map_err(|e: seccompiler::BackendError| e.to_string())
}

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter { code, jt: 0, jf: 0, k }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// The `ENOSYS` filter, written by hand: `clone3` and x32 calls of the native architecture
/// (another architecture's calls are the other filter's to end).
fn fallbacks(audit_arch: u32) -> BpfProgram {
    const LD_ABS_W: u16 = 0x20;
    const JEQ: u16 = 0x15;
    const JGE: u16 = 0x35;
    const RET: u16 = 0x06;
    vec![
        stmt(LD_ABS_W, 4),                                        // 0: A = arch
        jump(JEQ, audit_arch, 0, 4),                              // 1: not native → 6
        stmt(LD_ABS_W, 0),                                        // 2: A = nr
        jump(JEQ, libc::SYS_clone3 as u32, 1, 0),                 // 3: clone3 → 5
        jump(JGE, X32_SYSCALL_BIT, 0, 1),                         // 4: x32 → 5, else 6
        stmt(RET, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32), // 5
        stmt(RET, libc::SECCOMP_RET_ALLOW),                       // 6
    ]
}

/// The filters as bubblewrap reads them (`struct sock_filter` arrays in the machine's byte
/// order), one per `--add-seccomp-fd`.
pub fn programs() -> Result<Vec<Vec<u8>>, String> {
    let (target, audit_arch) = arch()?;
    Ok([refusals(target)?, fallbacks(audit_arch)].iter().map(|p| bytes(p)).collect())
}

/// The program's bytes: each instruction's `code`, `jt`, `jf`, `k`.
pub fn bytes(program: &[sock_filter]) -> Vec<u8> {
    let mut out = Vec::with_capacity(program.len() * 8);
    for i in program {
        out.extend_from_slice(&i.code.to_ne_bytes());
        out.push(i.jt);
        out.push(i.jf);
        out.extend_from_slice(&i.k.to_ne_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF seccomp program over `(arch, nr, args)`: what it returns.
    fn run(program: &[sock_filter], arch: u32, nr: i64, args: [u64; 6]) -> u32 {
        let mut data = vec![];
        data.extend_from_slice(&(nr as i32).to_ne_bytes());
        data.extend_from_slice(&arch.to_ne_bytes());
        data.extend_from_slice(&0u64.to_ne_bytes());
        for a in args {
            data.extend_from_slice(&a.to_ne_bytes());
        }
        let (mut acc, mut pc) = (0u32, 0usize);
        loop {
            let i = &program[pc];
            let (class, op) = (i.code & 0x07, i.code & 0xf0);
            match (class, op) {
                (0x00, _) => {
                    let at = i.k as usize;
                    acc = u32::from_ne_bytes(data[at..at + 4].try_into().unwrap());
                    pc += 1;
                }
                (0x05, 0x00) => pc += 1 + i.k as usize,
                (0x05, _) => {
                    let taken = match op {
                        0x10 => acc == i.k,
                        0x20 => acc > i.k,
                        0x30 => acc >= i.k,
                        0x40 => acc & i.k != 0,
                        _ => panic!("jump op {op:#x}"),
                    };
                    pc += 1 + if taken { i.jt } else { i.jf } as usize;
                }
                (0x04, 0x50) => {
                    acc &= i.k;
                    pc += 1;
                }
                (0x06, _) => return i.k,
                _ => panic!("instruction {:#x}", i.code),
            }
        }
    }

    fn verdicts(nr: i64, args: [u64; 6]) -> (u32, u32) {
        let (target, audit) = arch().unwrap();
        (run(&refusals(target).unwrap(), audit, nr, args), run(&fallbacks(audit), audit, nr, args))
    }

    const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
    const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;

    #[test]
    fn refused_calls_fail_with_eperm_and_ordinary_ones_pass() {
        for (name, nr) in REFUSED {
            assert_eq!(verdicts(*nr, [0; 6]), (EPERM, ALLOW), "{name}");
        }
        for nr in [libc::SYS_read, libc::SYS_write, libc::SYS_openat, libc::SYS_execve, libc::SYS_wait4, libc::SYS_kill]
        {
            assert_eq!(verdicts(nr, [0; 6]), (ALLOW, ALLOW), "{nr}");
        }
    }

    #[test]
    fn clone_may_make_threads_and_processes_but_no_namespace() {
        let thread =
            (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_SIGHAND | libc::CLONE_THREAD) as u64;
        let fork = libc::SIGCHLD as u64;
        for flags in [thread, fork, (libc::CLONE_VFORK | libc::CLONE_VM) as u64 | fork] {
            assert_eq!(verdicts(libc::SYS_clone, [flags, 0, 0, 0, 0, 0]), (ALLOW, ALLOW), "{flags:#x}");
        }
        for ns in NAMESPACE_FLAGS {
            assert_eq!(verdicts(libc::SYS_clone, [fork | ns, 0, 0, 0, 0, 0]), (EPERM, ALLOW), "{ns:#x}");
        }
        assert_eq!(verdicts(libc::SYS_clone3, [0; 6]), (ALLOW, ENOSYS), "clone3 falls back to clone");
    }

    #[test]
    fn ptrace_may_trace_a_child_but_not_attach() {
        for request in [libc::PTRACE_TRACEME, libc::PTRACE_CONT, libc::PTRACE_PEEKDATA, libc::PTRACE_GETREGS] {
            assert_eq!(verdicts(libc::SYS_ptrace, [request as u64, 0, 0, 0, 0, 0]), (ALLOW, ALLOW), "{request}");
        }
        for request in PTRACE_ATTACHING {
            assert_eq!(verdicts(libc::SYS_ptrace, [*request, 0, 0, 0, 0, 0]), (EPERM, ALLOW), "{request}");
        }
    }

    #[test]
    fn other_abis_are_refused() {
        let (target, audit) = arch().unwrap();
        let x32_unshare = i64::from(X32_SYSCALL_BIT) + 272;
        assert_eq!(run(&fallbacks(audit), audit, x32_unshare, [0; 6]), ENOSYS);
        let i386 = 0x4000_0003;
        assert_eq!(run(&refusals(target).unwrap(), i386, 310, [0; 6]), libc::SECCOMP_RET_KILL_PROCESS);
        assert_eq!(run(&fallbacks(audit), i386, 310, [0; 6]), ALLOW, "the other filter ends it");
    }

    #[test]
    fn programs_are_whole_instructions() {
        let programs = programs().unwrap();
        assert_eq!(programs.len(), 2);
        assert!(programs.iter().all(|p| !p.is_empty() && p.len() % 8 == 0));
        assert_eq!(programs[1].len(), 7 * 8);
    }
}
