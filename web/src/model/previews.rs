//! Which ports of the session's sandbox can be previewed now: those the last `ready` listed,
//! until the sandbox stops, fails or is replaced.

use oi_protocol::events::EventBody;
use oi_protocol::transcript::Transcript;
use oi_protocol::SandboxStatus;

/// The ports to offer previews of, in the order the repository lists them.
pub fn preview_ports(transcript: &Transcript) -> Vec<u16> {
    let mut ports = Vec::new();
    for event in &transcript.activity {
        let EventBody::SandboxStatus(s) = event else { continue };
        match s.status {
            SandboxStatus::Ready | SandboxStatus::Running if !s.preview_ports.is_empty() => {
                ports.clone_from(&s.preview_ports)
            }
            SandboxStatus::Ready | SandboxStatus::Running => {}
            _ => ports.clear(),
        }
    }
    ports
}

/// The label of a port's preview button.
pub fn label(port: u16) -> String {
    format!("Preview :{port}")
}

#[cfg(test)]
mod tests {
    use oi_protocol::events::SandboxStatusChanged;

    use super::*;

    fn status(status: SandboxStatus, ports: &[u16]) -> EventBody {
        EventBody::SandboxStatus(SandboxStatusChanged {
            status,
            sandbox_id: Some("sbx_1".into()),
            message: None,
            preview_ports: ports.to_vec(),
        })
    }

    #[test]
    fn the_last_ready_sandboxs_ports_until_it_goes_away() {
        use SandboxStatus::*;
        let cases: Vec<(&str, Vec<EventBody>, Vec<u16>)> = vec![
            ("nothing yet", vec![], vec![]),
            ("spawning", vec![status(Spawning, &[])], vec![]),
            ("ready with ports", vec![status(Spawning, &[]), status(Ready, &[3000, 5173])], vec![3000, 5173]),
            ("then running", vec![status(Ready, &[3000]), status(Running, &[])], vec![3000]),
            ("then stopped", vec![status(Ready, &[3000]), status(Stopped, &[])], vec![]),
            ("then failed", vec![status(Ready, &[3000]), status(Failed, &[])], vec![]),
            (
                "a new sandbox lists others",
                vec![status(Ready, &[3000]), status(Spawning, &[]), status(Ready, &[8080])],
                vec![8080],
            ),
            ("ready without ports", vec![status(Ready, &[])], vec![]),
        ];
        for (name, activity, want) in cases {
            let transcript = Transcript { turns: vec![], activity };
            assert_eq!(preview_ports(&transcript), want, "{name}");
        }
        assert_eq!(label(3000), "Preview :3000");
    }
}
