//! The session socket's life as the page shows it, and how long to wait before reconnecting.

/// Where the live connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Opening the socket, or waiting for the catch-up after `subscribe`.
    Connecting,
    /// Caught up; events arrive as they happen.
    Live,
    /// The socket dropped; the next attempt is number `attempt`.
    Reconnecting { attempt: u32 },
    /// Given up for good (the session was deleted).
    Closed { reason: String },
}

impl Connection {
    pub fn label(&self) -> String {
        match self {
            Connection::Connecting => "Connecting…".to_string(),
            Connection::Live => "Live".to_string(),
            Connection::Reconnecting { attempt } if *attempt <= 1 => "Reconnecting…".to_string(),
            Connection::Reconnecting { attempt } => format!("Reconnecting… (attempt {attempt})"),
            Connection::Closed { reason } => reason.clone(),
        }
    }

    /// The CSS modifier of the indicator.
    pub fn tone(&self) -> &'static str {
        match self {
            Connection::Live => "ok",
            Connection::Connecting | Connection::Reconnecting { .. } => "busy",
            Connection::Closed { .. } => "bad",
        }
    }
}

/// The close code the control plane uses when the session was deleted.
pub use oi_protocol::client::CLOSE_SESSION_DELETED;

/// Milliseconds before reconnect attempt `attempt` (1-based): 250 ms doubling to 5 s.
pub fn reconnect_delay_ms(attempt: u32) -> u32 {
    let exp = attempt.saturating_sub(1).min(5);
    (250u32 << exp).min(5_000)
}

/// `ws://host/api/sessions/<id>/ws` from the page's protocol (`http:` or `https:`) and host.
pub fn socket_url(protocol: &str, host: &str, session_id: &str) -> String {
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{host}/api/sessions/{session_id}/ws")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        let delays: Vec<u32> = (1..=8).map(reconnect_delay_ms).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }

    #[test]
    fn labels_and_urls() {
        assert_eq!(Connection::Reconnecting { attempt: 1 }.label(), "Reconnecting…");
        assert_eq!(Connection::Reconnecting { attempt: 3 }.label(), "Reconnecting… (attempt 3)");
        assert_eq!(Connection::Live.tone(), "ok");
        assert_eq!(socket_url("http:", "127.0.0.1:8787", "ses_1"), "ws://127.0.0.1:8787/api/sessions/ses_1/ws");
        assert_eq!(socket_url("https:", "oi.example", "ses_1"), "wss://oi.example/api/sessions/ses_1/ws");
    }
}
