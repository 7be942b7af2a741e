//! Finding and signalling a sandbox's processes: the members of its pid namespace (found through
//! `/proc`) and its host process group.
//!
//! A pid namespace is held open by a file descriptor for as long as the sandbox exists, so its
//! inode number cannot be reused by another namespace while we compare against it, and each
//! process is signalled through a pidfd opened before its namespace is checked, so a recycled pid
//! is never signalled.
//!
//! Signals and process groups go through `nix`; only `pidfd_open` and `pidfd_send_signal`, which
//! nix 0.32 does not offer, are raw `libc` syscalls, each in one small documented `unsafe` block.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// An open reference to a pid namespace.
#[derive(Debug)]
pub struct PidNamespace {
    /// The pid it was opened through: under bwrap, the namespace's pid 1.
    opened_from: i32,
    _file: File,
    dev: u64,
    ino: u64,
}

impl PidNamespace {
    /// Opens the pid namespace of `pid`.
    pub fn of(pid: i32) -> std::io::Result<Self> {
        let file = File::open(format!("/proc/{pid}/ns/pid"))?;
        let meta = file.metadata()?;
        Ok(Self { opened_from: pid, dev: meta.dev(), ino: meta.ino(), _file: file })
    }

    /// The namespace's inode number (what bwrap reports as `pid-namespace`).
    pub fn inode(&self) -> u64 {
        self.ino
    }

    fn contains(&self, pid: i32) -> bool {
        std::fs::metadata(format!("/proc/{pid}/ns/pid")).is_ok_and(|m| m.dev() == self.dev && m.ino() == self.ino)
    }

    /// The host pids of the namespace's live processes. Zombies are left out: they are dead,
    /// only not yet reaped (an orphaned one waits for the host's init, which may be slow).
    pub fn members(&self) -> Vec<i32> {
        all_pids().into_iter().filter(|&pid| self.contains(pid) && !is_zombie(pid)).collect()
    }

    /// Sends `signal` to every process in the namespace; returns how many were signalled.
    pub fn signal_all(&self, signal: Signal) -> usize {
        self.signal(signal, |_| true)
    }

    /// Sends `signal` to every process in the namespace but the one it was opened through (its
    /// pid 1, which ignores it anyway); returns how many were signalled.
    pub fn signal_all_but_first(&self, signal: Signal) -> usize {
        self.signal(signal, |pid| pid != self.opened_from)
    }

    fn signal(&self, signal: Signal, which: impl Fn(i32) -> bool) -> usize {
        let mut sent = 0;
        for pid in self.members().into_iter().filter(|&p| which(p)) {
            let Some(pidfd) = pidfd_open(pid) else { continue };
            // Checked again after the pidfd pins the process: the pid may have been recycled.
            if self.contains(pid) && pidfd_send_signal(&pidfd, signal) {
                sent += 1;
            }
        }
        sent
    }
}

/// The state letter of a `/proc/<pid>/stat` line (`R`, `S`, `Z`…): the field after the
/// command name, which is in parentheses and may itself contain spaces and parentheses.
pub fn stat_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Whether `pid` has exited and waits to be reaped (or is gone).
pub fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| stat_state(&s))
        .is_none_or(|state| state == 'Z' || state == 'X')
}

/// Every pid under `/proc`.
pub fn all_pids() -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).filter(|&pid| pid > 0).collect()
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: a plain syscall; a non-negative result is a new file descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: `fd` is a fresh descriptor owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn pidfd_send_signal(pidfd: &OwnedFd, signal: Signal) -> bool {
    // SAFETY: a plain syscall on a descriptor we hold; a null siginfo is allowed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal as libc::c_int,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    rc == 0
}

/// `killpg(pgid, signal)`; `false` when the group has no members (or on any other error), and
/// for the groups 0 and 1 (ours, init's). The caller must know that `pgid` is still ours (its
/// leader not yet reaped).
pub fn killpg(pgid: i32, signal: impl Into<Option<Signal>>) -> bool {
    pgid > 1 && nix::sys::signal::killpg(Pid::from_raw(pgid), signal).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_namespace_contains_us() {
        let me = std::process::id() as i32;
        let ns = PidNamespace::of(me).unwrap();
        assert!(ns.inode() > 0);
        assert!(ns.members().contains(&me));
        assert!(all_pids().contains(&me));
    }

    #[test]
    fn children_share_our_namespace() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let ns = PidNamespace::of(std::process::id() as i32).unwrap();
        assert!(ns.members().contains(&(child.id() as i32)));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!ns.members().contains(&(child.id() as i32)), "a reaped child is gone");
    }

    #[test]
    fn reads_the_state_from_stat() {
        assert_eq!(stat_state("42 (sleep) S 1 42 42 0"), Some('S'));
        assert_eq!(stat_state("42 (a) (b) Z 1 42"), Some('Z'));
        assert_eq!(stat_state("42 (a b)"), None);
        assert_eq!(stat_state("garbage"), None);
    }

    #[test]
    fn a_zombie_is_not_a_member() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let start = std::time::Instant::now();
        while !is_zombie(pid) {
            assert!(start.elapsed().as_secs() < 10, "`true` never exited");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let ns = PidNamespace::of(std::process::id() as i32).unwrap();
        assert!(!ns.members().contains(&pid), "exited but unreaped");
        child.wait().unwrap();
        assert!(!is_zombie(std::process::id() as i32));
    }

    #[test]
    fn killpg_refuses_pid_one_and_zero() {
        assert!(!killpg(0, None));
        assert!(!killpg(1, None));
    }
}
