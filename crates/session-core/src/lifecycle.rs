//! Sandbox lifecycle decisions. (The sandbox-lifecycle issue grows this into the full set:
//! restore, warm starts, inactivity, heartbeats, the circuit breaker.)

use oi_protocol::SandboxStatus;

/// Whether a session should ask its provider for a sandbox now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnDecision {
    /// Ask the provider for a new sandbox.
    Spawn,
    /// A sandbox exists or is coming; prompts wait for it.
    Wait,
    /// Nothing to do (no work waiting, or no provider configured: a bridge attaches by hand).
    Skip,
}

pub fn spawn_decision(status: SandboxStatus, work_waiting: bool, provider_configured: bool) -> SpawnDecision {
    if !provider_configured || !work_waiting {
        return SpawnDecision::Skip;
    }
    match status {
        SandboxStatus::None | SandboxStatus::Stopped | SandboxStatus::Failed => SpawnDecision::Spawn,
        SandboxStatus::Spawning | SandboxStatus::Ready | SandboxStatus::Running => SpawnDecision::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SandboxStatus::*;

    #[test]
    fn table() {
        for (status, want) in [
            (None, SpawnDecision::Spawn),
            (Stopped, SpawnDecision::Spawn),
            (Failed, SpawnDecision::Spawn),
            (Spawning, SpawnDecision::Wait),
            (Ready, SpawnDecision::Wait),
            (Running, SpawnDecision::Wait),
        ] {
            assert_eq!(spawn_decision(status, true, true), want, "{status:?}");
            assert_eq!(
                spawn_decision(status, false, true),
                SpawnDecision::Skip,
                "{status:?}: no work"
            );
            assert_eq!(
                spawn_decision(status, true, false),
                SpawnDecision::Skip,
                "{status:?}: no provider"
            );
        }
    }
}
