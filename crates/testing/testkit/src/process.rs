//! Child processes in their own process group, killed as a group when dropped.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// A child process and everything it starts.
pub struct ChildGroup {
    child: Child,
}

impl ChildGroup {
    /// Spawns `command` as the leader of a new process group. The group gets SIGKILL if this
    /// process dies first (for the direct child) and SIGTERM then SIGKILL on drop (for all).
    pub fn spawn(mut command: Command) -> std::io::Result<Self> {
        command.process_group(0);
        // SAFETY: between fork and exec only prctl (async-signal-safe, no allocation), which
        // touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
                Ok(())
            });
        }
        Ok(Self { child: command.spawn()? })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the leader has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Stops the whole group: SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        // Our own child's process group (it may be empty already).
        let pgid = Pid::from_raw(self.child.id() as i32);
        let _ = killpg(pgid, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && !self.exited() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(3));
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("bind 127.0.0.1:0")
}
