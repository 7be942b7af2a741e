//! One session as this browser knows it: the server's messages folded into the current state
//! and the transcript. The socket feeds [`SessionModel::apply`]; the views read the result.
//!
//! The transcript comes from the shared reducer ([`TranscriptBuilder`]), which refuses an event
//! whose `seq` is not above the last one folded. A catch-up that repeats or reorders anything
//! therefore shows up as a [`SessionModel::sync_error`] instead of a doubled paragraph.

use std::collections::HashMap;

use oi_protocol::client::ServerMessage;
use oi_protocol::events::EventBody;
use oi_protocol::source_control::PullRequest;
use oi_protocol::transcript::{Transcript, TranscriptBuilder};
use oi_protocol::{ApiError, SessionEvent, SessionState};

use super::pull_request;

/// When a tool call started and ended, from its `tool_call` events (the transcript's parts do
/// not carry times).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolTimes {
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
}

/// What a message changed, for the caller to react to.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Nothing the views show changed (a `pong`).
    Nothing,
    /// The state or the transcript changed.
    Changed,
    /// The catch-up that follows a subscribe is complete: the view is live.
    CaughtUp,
    /// The server accepted a `prompt` frame.
    PromptAccepted { client_request_id: String, message_id: String },
    /// The server refused a frame.
    Refused { error: ApiError, client_request_id: Option<String> },
}

#[derive(Debug, Clone, Default)]
pub struct SessionModel {
    builder: TranscriptBuilder,
    state: Option<SessionState>,
    tool_times: HashMap<String, ToolTimes>,
    catching_up: bool,
    sync_error: Option<String>,
}

impl SessionModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `after_seq` to subscribe with: the last event folded (none before the first).
    pub fn resume_from(&self) -> Option<u64> {
        match self.builder.last_seq() {
            0 => None,
            seq => Some(seq),
        }
    }

    pub fn last_seq(&self) -> u64 {
        self.builder.last_seq()
    }

    pub fn state(&self) -> Option<&SessionState> {
        self.state.as_ref()
    }

    pub fn transcript(&self) -> Transcript {
        self.builder.transcript()
    }

    pub fn tool_times(&self) -> &HashMap<String, ToolTimes> {
        &self.tool_times
    }

    /// True between `subscribed` and the `backlog` frame marked complete.
    pub fn catching_up(&self) -> bool {
        self.catching_up
    }

    /// Set when an event came twice or out of order; it names the two `seq`s.
    pub fn sync_error(&self) -> Option<&str> {
        self.sync_error.as_deref()
    }

    /// Folds one message from the server.
    pub fn apply(&mut self, message: ServerMessage) -> Applied {
        match message {
            ServerMessage::Subscribed { state, events, complete } => {
                self.state = Some(*state);
                self.fold(&events);
                self.catching_up = !complete;
                if complete {
                    Applied::CaughtUp
                } else {
                    Applied::Changed
                }
            }
            ServerMessage::Backlog { events, complete } => {
                self.fold(&events);
                if complete && self.catching_up {
                    self.catching_up = false;
                    return Applied::CaughtUp;
                }
                Applied::Changed
            }
            ServerMessage::Event { event } => {
                self.fold(std::slice::from_ref(&event));
                Applied::Changed
            }
            ServerMessage::Events { events } => {
                self.fold(&events);
                Applied::Changed
            }
            ServerMessage::QueueUpdated { queue } => {
                if let Some(state) = &mut self.state {
                    state.queue = queue;
                }
                Applied::Changed
            }
            ServerMessage::Session { summary } => {
                if let Some(state) = &mut self.state {
                    state.summary = *summary;
                }
                Applied::Changed
            }
            ServerMessage::Presence { participants } => {
                if let Some(state) = &mut self.state {
                    state.participants = participants;
                }
                Applied::Changed
            }
            ServerMessage::PromptAccepted { client_request_id, message_id, .. } => {
                Applied::PromptAccepted { client_request_id, message_id }
            }
            ServerMessage::Error { error, client_request_id } => Applied::Refused { error, client_request_id },
            ServerMessage::Pong => Applied::Nothing,
        }
    }

    /// The answer of `POST …/pull-request`: shown at once (its event follows).
    pub fn set_pull_request(&mut self, pr: &PullRequest) {
        if let Some(state) = &mut self.state {
            state.pull_request = pull_request::reduce(state.pull_request.take(), pr);
        }
    }

    fn fold(&mut self, events: &[SessionEvent]) {
        for event in events {
            if let Err(e) = self.builder.apply(event) {
                self.sync_error = Some(e.to_string());
                continue;
            }
            self.note(event);
        }
    }

    /// Keeps the parts of the state that events change (the reducer keeps the rest).
    fn note(&mut self, event: &SessionEvent) {
        if let Some(state) = &mut self.state {
            state.last_seq = state.last_seq.max(event.seq);
        }
        match &event.body {
            EventBody::ToolCall(call) => {
                let times = self.tool_times.entry(call.part_id.clone()).or_default();
                times.started_at = call.started_at.or(times.started_at);
                times.ended_at = call.ended_at.or(times.ended_at);
            }
            EventBody::SandboxStatus(s) => {
                if let Some(state) = &mut self.state {
                    state.sandbox.status = s.status;
                    if s.sandbox_id.is_some() {
                        state.sandbox.sandbox_id.clone_from(&s.sandbox_id);
                    }
                }
            }
            EventBody::Archived(a) => {
                if let Some(state) = &mut self.state {
                    state.summary.archived = a.archived;
                }
            }
            EventBody::PullRequest(_) => {
                if let Some(state) = &mut self.state {
                    state.pull_request = pull_request::on_event(state.pull_request.take(), &event.body);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{event, state, text_delta, user, user_message};
    use oi_protocol::events::{SandboxStatusChanged, ToolCall, ToolStatus};
    use oi_protocol::session::{Participant, PresenceStatus, SandboxStatus};

    fn subscribed(events: Vec<SessionEvent>, complete: bool) -> ServerMessage {
        ServerMessage::Subscribed { state: Box::new(state()), events, complete }
    }

    fn streamed_text(model: &SessionModel) -> String {
        format!("{:?}", model.transcript().turns)
    }

    #[test]
    fn a_catch_up_in_several_frames_is_live_only_at_the_end() {
        let mut model = SessionModel::new();
        assert_eq!(model.resume_from(), None);
        assert_eq!(model.apply(subscribed(vec![text_delta(2, "Hel")], false)), Applied::Changed);
        assert!(model.catching_up());
        assert_eq!(
            model.apply(ServerMessage::Backlog { events: vec![text_delta(3, "lo")], complete: true }),
            Applied::CaughtUp
        );
        assert!(!model.catching_up());
        assert_eq!(model.resume_from(), Some(3));
        assert!(streamed_text(&model).contains("Hello"));
    }

    #[test]
    fn a_reconnect_that_repeats_an_event_is_reported_and_not_doubled() {
        let mut model = SessionModel::new();
        model.apply(subscribed(vec![text_delta(2, "one "), text_delta(3, "two ")], true));
        // A faulty server re-sends seq 3 after a reconnect.
        model.apply(subscribed(vec![text_delta(3, "two "), text_delta(4, "three")], true));
        assert!(streamed_text(&model).contains("one two three"));
        assert!(!streamed_text(&model).contains("two two"));
        assert_eq!(model.sync_error(), Some("event seq 3 arrived after seq 3"));
    }

    #[test]
    fn events_keep_the_state_current() {
        let mut model = SessionModel::new();
        model.apply(subscribed(vec![], true));
        model.apply(ServerMessage::Event {
            event: event(
                5,
                EventBody::SandboxStatus(SandboxStatusChanged {
                    status: SandboxStatus::Ready,
                    sandbox_id: Some("sbx_1".into()),
                    message: None,
                    preview_ports: Vec::new(),
                }),
            ),
        });
        let tool = |seq, status, started_at, ended_at| {
            event(
                seq,
                EventBody::ToolCall(ToolCall {
                    message_id: "msg_1".into(),
                    part_id: "prt_t".into(),
                    tool: "bash".into(),
                    status,
                    input: serde_json::json!({"command": "ls"}),
                    output: None,
                    error: None,
                    title: None,
                    started_at,
                    ended_at,
                    started_seq: None,
                }),
            )
        };
        model.apply(ServerMessage::Event { event: tool(6, ToolStatus::Running, Some(1_000), None) });
        model.apply(ServerMessage::Event { event: tool(7, ToolStatus::Completed, None, Some(3_500)) });
        let state = model.state().unwrap();
        assert_eq!(state.sandbox.status, SandboxStatus::Ready);
        assert_eq!(state.sandbox.sandbox_id.as_deref(), Some("sbx_1"));
        assert_eq!(state.last_seq, 7);
        assert_eq!(model.tool_times()["prt_t"], ToolTimes { started_at: Some(1_000), ended_at: Some(3_500) });
    }

    #[test]
    fn pull_request_events_replace_the_states_pull_request() {
        use crate::model::pull_request::fixtures::pr;
        use oi_protocol::source_control::{ChecksStatus, PullRequestState};
        let mut model = SessionModel::new();
        let opened = pr(12, PullRequestState::Open, ChecksStatus::Pending, 1_000);
        let mut initial = state();
        initial.pull_request = Some(opened.clone());
        model.apply(ServerMessage::Subscribed { state: Box::new(initial), events: vec![], complete: true });
        assert_eq!(model.state().unwrap().pull_request.as_ref(), Some(&opened));
        let merged = pr(12, PullRequestState::Merged, ChecksStatus::Passed, 2_000);
        model.apply(ServerMessage::Event { event: event(3, EventBody::PullRequest(merged.clone())) });
        assert_eq!(model.state().unwrap().pull_request.as_ref(), Some(&merged));
        // The POST's answer, older than what the events said, changes nothing.
        model.set_pull_request(&opened);
        assert_eq!(model.state().unwrap().pull_request.as_ref(), Some(&merged));
        assert_eq!(model.transcript().activity.len(), 1);
    }

    #[test]
    fn each_turn_keeps_its_author() {
        let mut model = SessionModel::new();
        model.apply(subscribed(vec![user_message(2, "msg_1", "ada", "Hi"), text_delta(3, "Hello Ada")], true));
        let turn = &model.transcript().turns[0];
        assert_eq!(turn.author.as_ref().map(|a| a.name.as_str()), Some("ada"));
        assert_eq!(turn.prompt.as_deref(), Some("Hi"));
    }

    #[test]
    fn presence_queue_and_errors() {
        let mut model = SessionModel::new();
        model.apply(subscribed(vec![], true));
        model.apply(ServerMessage::Presence {
            participants: vec![Participant { user: user("ada"), status: PresenceStatus::Typing, connections: 1 }],
        });
        assert_eq!(model.state().unwrap().participants[0].user.name, "ada");
        let refused = model.apply(ServerMessage::Error {
            error: ApiError::new(oi_protocol::ErrorCode::PromptTooLong, "too long"),
            client_request_id: Some("web-1".into()),
        });
        assert!(matches!(refused, Applied::Refused { client_request_id: Some(id), .. } if id == "web-1"));
        assert_eq!(model.apply(ServerMessage::Pong), Applied::Nothing);
    }
}
