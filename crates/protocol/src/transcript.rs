//! The transcript reducer: events in, the conversation a person sees out.
//!
//! A client connected all along folds live `text_delta` events; a late joiner folds the
//! compacted `text` events. Both must end with the same [`Transcript`], which is what the
//! tests compare. Parts are ordered by the `seq` of their first event (`started_seq` after
//! compaction), turns by the `seq` of their first event.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::{Commit, EventBody, PromptOutcome, SessionEvent, TokenUsage, ToolStatus};
use crate::media::MediaInfo;
use crate::session::User;

/// The conversation so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Transcript {
    pub turns: Vec<Turn>,
    /// Events that belong to no prompt (sandbox status, logs, notices, archive), in order.
    pub activity: Vec<EventBody>,
}

/// One prompt and everything the agent did for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub message_id: String,
    pub author: Option<User>,
    pub prompt: Option<String>,
    /// Images the person attached to the prompt.
    #[serde(default)]
    pub attachments: Vec<MediaInfo>,
    pub parts: Vec<Part>,
    pub tokens: TokenUsage,
    pub cost: f64,
    pub retries: Vec<String>,
    pub errors: Vec<String>,
    pub outcome: Option<PromptOutcome>,
    pub outcome_error: Option<String>,
    /// What the prompt committed.
    pub commits: Vec<Commit>,
}

/// A piece of the agent's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    Text {
        part_id: String,
        text: String,
    },
    Tool {
        part_id: String,
        tool: String,
        status: ToolStatus,
        input: Value,
        output: Option<String>,
        error: Option<String>,
        title: Option<String>,
    },
    /// A screenshot or video the agent made (an `artifact` event); its `part_id` is the
    /// media's id.
    Artifact {
        part_id: String,
        media: MediaInfo,
    },
}

impl Part {
    pub fn part_id(&self) -> &str {
        match self {
            Part::Text { part_id, .. } | Part::Tool { part_id, .. } | Part::Artifact { part_id, .. } => part_id,
        }
    }
}

impl Transcript {
    /// Every piece of media in the conversation, in order: each prompt's attachments, then
    /// the artifacts among its parts; then artifacts made outside any prompt.
    pub fn media(&self) -> Vec<&MediaInfo> {
        let in_turns = self.turns.iter().flat_map(|t| {
            t.attachments.iter().chain(t.parts.iter().filter_map(|p| match p {
                Part::Artifact { media, .. } => Some(media),
                _ => None,
            }))
        });
        let outside = self.activity.iter().filter_map(|e| match e {
            EventBody::Artifact(a) => Some(&a.media),
            _ => None,
        });
        in_turns.chain(outside).collect()
    }
}

/// Why an event could not be folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptError {
    /// The event's `seq` is not above the last one folded: a duplicate or a reorder.
    OutOfOrder { seq: u64, last_seq: u64 },
}

impl std::fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TranscriptError::OutOfOrder { seq, last_seq } => {
                write!(f, "event seq {seq} arrived after seq {last_seq}")
            }
        }
    }
}

impl std::error::Error for TranscriptError {}

#[derive(Debug, Clone)]
struct TurnState {
    position: u64,
    turn: Turn,
    part_positions: Vec<u64>,
    part_index: HashMap<String, usize>,
}

/// Folds events into a [`Transcript`].
#[derive(Debug, Clone, Default)]
pub struct TranscriptBuilder {
    turns: Vec<TurnState>,
    turn_index: HashMap<String, usize>,
    activity: Vec<EventBody>,
    last_seq: u64,
}

impl TranscriptBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest `seq` folded so far; a reconnecting client subscribes with it.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Folds one event. Events must come in increasing `seq` order.
    pub fn apply(&mut self, event: &SessionEvent) -> Result<(), TranscriptError> {
        if event.seq <= self.last_seq {
            return Err(TranscriptError::OutOfOrder { seq: event.seq, last_seq: self.last_seq });
        }
        self.last_seq = event.seq;
        let seq = event.seq;
        match &event.body {
            EventBody::UserMessage(m) => {
                let turn = self.turn(&m.message_id, seq);
                turn.turn.author = Some(m.author.clone());
                turn.turn.prompt = Some(m.text.clone());
                turn.turn.attachments.clone_from(&m.attachments);
            }
            EventBody::TextDelta(d) => {
                let turn = self.turn(&d.message_id, seq);
                match turn.part_mut(&d.part_id) {
                    Some(Part::Text { text, .. }) => text.push_str(&d.delta),
                    Some(_) => {}
                    None => turn.insert_part(seq, Part::Text { part_id: d.part_id.clone(), text: d.delta.clone() }),
                }
            }
            EventBody::Text(t) => {
                let turn = self.turn(&t.message_id, seq);
                match turn.part_mut(&t.part_id) {
                    Some(Part::Text { text, .. }) => text.clone_from(&t.text),
                    Some(_) => {}
                    None => {
                        turn.insert_part(t.started_seq, Part::Text { part_id: t.part_id.clone(), text: t.text.clone() })
                    }
                }
            }
            EventBody::ToolCall(c) => {
                let turn = self.turn(&c.message_id, seq);
                let part = Part::Tool {
                    part_id: c.part_id.clone(),
                    tool: c.tool.clone(),
                    status: c.status,
                    input: c.input.clone(),
                    output: c.output.clone(),
                    error: c.error.clone(),
                    title: c.title.clone(),
                };
                match turn.part_mut(&c.part_id) {
                    Some(existing) => *existing = part,
                    None => turn.insert_part(c.started_seq.unwrap_or(seq), part),
                }
            }
            EventBody::StepFinished(s) => {
                let turn = &mut self.turn(&s.message_id, seq).turn;
                turn.tokens.input += s.tokens.input;
                turn.tokens.output += s.tokens.output;
                turn.tokens.reasoning += s.tokens.reasoning;
                turn.tokens.cache_read += s.tokens.cache_read;
                turn.tokens.cache_write += s.tokens.cache_write;
                turn.cost += s.cost;
            }
            EventBody::Retry(r) => {
                self.turn(&r.message_id, seq).turn.retries.push(r.message.clone());
            }
            EventBody::AgentError(e) => match &e.message_id {
                Some(id) => self.turn(id, seq).turn.errors.push(e.message.clone()),
                None => self.activity.push(event.body.clone()),
            },
            EventBody::PromptFinished(p) => {
                let turn = &mut self.turn(&p.message_id, seq).turn;
                turn.outcome = Some(p.outcome);
                turn.outcome_error.clone_from(&p.error);
            }
            EventBody::Commit(c) => self.turn(&c.message_id, seq).turn.commits.push(c.clone()),
            EventBody::Artifact(a) => match &a.message_id {
                Some(id) => {
                    let turn = self.turn(id, seq);
                    if turn.part_mut(&a.media.media_id).is_none() {
                        let part = Part::Artifact { part_id: a.media.media_id.clone(), media: a.media.clone() };
                        turn.insert_part(seq, part);
                    }
                }
                None => self.activity.push(event.body.clone()),
            },
            EventBody::SessionCreated(_)
            | EventBody::SandboxStatus(_)
            | EventBody::Archived(_)
            | EventBody::Log(_)
            | EventBody::Notice(_)
            | EventBody::PullRequest(_) => self.activity.push(event.body.clone()),
        }
        Ok(())
    }

    /// Folds many events, stopping at the first that is out of order.
    pub fn apply_all<'a>(&mut self, events: impl IntoIterator<Item = &'a SessionEvent>) -> Result<(), TranscriptError> {
        events.into_iter().try_for_each(|e| self.apply(e))
    }

    /// The transcript as it stands.
    pub fn transcript(&self) -> Transcript {
        let mut turns: Vec<&TurnState> = self.turns.iter().collect();
        turns.sort_by_key(|t| t.position);
        Transcript { turns: turns.into_iter().map(TurnState::ordered).collect(), activity: self.activity.clone() }
    }

    fn turn(&mut self, message_id: &str, seq: u64) -> &mut TurnState {
        let index = match self.turn_index.get(message_id) {
            Some(&i) => i,
            None => {
                self.turns.push(TurnState {
                    position: seq,
                    turn: Turn {
                        message_id: message_id.to_string(),
                        author: None,
                        prompt: None,
                        attachments: Vec::new(),
                        parts: Vec::new(),
                        tokens: TokenUsage::default(),
                        cost: 0.0,
                        retries: Vec::new(),
                        errors: Vec::new(),
                        outcome: None,
                        outcome_error: None,
                        commits: Vec::new(),
                    },
                    part_positions: Vec::new(),
                    part_index: HashMap::new(),
                });
                self.turn_index.insert(message_id.to_string(), self.turns.len() - 1);
                self.turns.len() - 1
            }
        };
        &mut self.turns[index]
    }
}

impl TurnState {
    fn part_mut(&mut self, part_id: &str) -> Option<&mut Part> {
        let i = *self.part_index.get(part_id)?;
        Some(&mut self.turn.parts[i])
    }

    fn insert_part(&mut self, position: u64, part: Part) {
        self.part_index.insert(part.part_id().to_string(), self.turn.parts.len());
        self.turn.parts.push(part);
        self.part_positions.push(position);
    }

    fn ordered(&self) -> Turn {
        let mut order: Vec<usize> = (0..self.turn.parts.len()).collect();
        order.sort_by_key(|&i| self.part_positions[i]);
        let mut turn = self.turn.clone();
        turn.parts = order.into_iter().map(|i| self.turn.parts[i].clone()).collect();
        turn
    }
}

/// Folds a whole event list into a transcript.
pub fn transcript_of(events: &[SessionEvent]) -> Result<Transcript, TranscriptError> {
    let mut builder = TranscriptBuilder::new();
    builder.apply_all(events)?;
    Ok(builder.transcript())
}
