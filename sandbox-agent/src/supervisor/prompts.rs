//! What the supervisor does with the control plane's `prompt` and `stop` commands. Pure.
//!
//! The session's Durable Object keeps the queue: it sends `prompt` only while it holds no
//! prompt active, so the supervisor keeps no queue of its own. It keeps only what the Durable
//! Object's queue cannot know:
//!
//! - **The ids it was sent.** After a bridge reconnect the Durable Object sends its active
//!   prompt again; here that prompt may be running, or finished with its `prompt_finished` not
//!   yet delivered. Either way it must not run twice.
//! - **One waiting prompt.** The Durable Object finishes a prompt itself when the bridge cannot
//!   confirm a stop (a second stop, a stop while no bridge was connected) or when the prompt
//!   runs too long, and then sends the next one at once; here the first one still winds down
//!   (OpenCode aborts it, its work is committed and pushed). The next waits until it has. A
//!   newer `prompt` replaces a waiting one: the Durable Object sent it only after finishing
//!   that one too.
//!
//! Invariant: at most one prompt runs and at most one waits; every `stop` is answered, by
//! aborting the running prompt (whose end reports `stopped`) or with `prompt_finished` `stopped`
//! for a prompt this supervisor will not run, unless it finished that prompt already (its
//! `prompt_finished` is on its way). A finish for a prompt the Durable Object no longer holds
//! active is ignored there, so an extra one is harmless.

use std::collections::HashSet;

/// A prompt as the control plane sent it.
pub use oi_protocol::bridge::PromptCommand as Prompt;

/// What a `prompt` command does.
#[derive(Debug, Clone, PartialEq)]
pub enum Offered {
    /// Sent before (a re-send after a reconnect): nothing.
    Duplicate,
    /// Nothing runs: start it now.
    Start(Prompt),
    /// Another prompt still winds down: it waits. A prompt that waited before is dropped: report
    /// it stopped.
    Waits { dropped: Option<Prompt> },
}

/// What a `stop` command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It is running: abort it in OpenCode; its end reports `stopped`.
    Abort,
    /// It was waiting (now dropped), or was never sent here: report it `stopped`.
    ReportStopped,
    /// It finished here already; its `prompt_finished` is on its way.
    AlreadyFinished,
}

/// The prompts sent so far, and the one waiting.
#[derive(Debug, Default)]
pub struct Prompts {
    seen: HashSet<String>,
    waiting: Option<Prompt>,
}

impl Prompts {
    /// A `prompt` command; `running` is the prompt running now, if any.
    pub fn offer(&mut self, prompt: Prompt, running: Option<&str>) -> Offered {
        if !self.seen.insert(prompt.message_id.clone()) {
            return Offered::Duplicate;
        }
        if running.is_none() && self.waiting.is_none() {
            return Offered::Start(prompt);
        }
        Offered::Waits { dropped: self.waiting.replace(prompt) }
    }

    /// A `stop` command; `running` is the prompt running now, if any.
    pub fn stop(&mut self, message_id: &str, running: Option<&str>) -> Stop {
        if running == Some(message_id) {
            return Stop::Abort;
        }
        if self.waiting.as_ref().is_some_and(|p| p.message_id == message_id) {
            self.waiting = None;
            return Stop::ReportStopped;
        }
        // Never sent: answered now, and never run if it comes after all.
        if self.seen.insert(message_id.to_string()) {
            return Stop::ReportStopped;
        }
        Stop::AlreadyFinished
    }

    /// The prompt to start now that nothing runs, if one waits.
    pub fn take_waiting(&mut self) -> Option<Prompt> {
        self.waiting.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::User;

    fn prompt(id: &str) -> Prompt {
        Prompt {
            message_id: id.into(),
            text: format!("do {id}"),
            author: User { id: "u".into(), name: "Ada".into(), email: "ada@x.test".into(), login: None },
            model: "m".into(),
            attribution: None,
            attachments: Vec::new(),
        }
    }

    /// One command (`prompt x` or `stop x`, with the prompt running then) or `next` (the
    /// running prompt ended), and what it did, in words.
    type Step = (&'static str, Option<&'static str>, &'static str);

    fn run(name: &str, steps: &[Step]) {
        let mut prompts = Prompts::default();
        for (i, (command, running, expect)) in steps.iter().enumerate() {
            let got = match command.split_once(' ') {
                Some(("prompt", id)) => match prompts.offer(prompt(id), *running) {
                    Offered::Duplicate => "duplicate".to_string(),
                    Offered::Start(p) => format!("start {}", p.message_id),
                    Offered::Waits { dropped: None } => "waits".to_string(),
                    Offered::Waits { dropped: Some(p) } => format!("waits, drops {}", p.message_id),
                },
                Some(("stop", id)) => match prompts.stop(id, *running) {
                    Stop::Abort => "abort".to_string(),
                    Stop::ReportStopped => "report stopped".to_string(),
                    Stop::AlreadyFinished => "already finished".to_string(),
                },
                _ => match prompts.take_waiting() {
                    Some(p) => format!("start {}", p.message_id),
                    None => "nothing".to_string(),
                },
            };
            assert_eq!(got, *expect, "{name}, step {i}: {command} while {running:?} runs");
        }
    }

    #[test]
    fn prompts_and_stops() {
        let table: &[(&str, &[Step])] = &[
            (
                "one prompt at a time, as the Durable Object sends them",
                &[("prompt a", None, "start a"), ("next", None, "nothing"), ("prompt b", None, "start b")],
            ),
            (
                "a re-send after a reconnect, running or finished here, does not run again",
                &[("prompt a", None, "start a"), ("prompt a", Some("a"), "duplicate"), ("prompt a", None, "duplicate")],
            ),
            ("stopping the running prompt aborts it", &[("prompt a", None, "start a"), ("stop a", Some("a"), "abort")]),
            (
                "the Durable Object finished a prompt itself: the next waits for it to wind down",
                &[
                    ("prompt a", None, "start a"),
                    ("stop a", Some("a"), "abort"),
                    ("prompt b", Some("a"), "waits"),
                    ("prompt b", Some("a"), "duplicate"),
                    ("next", None, "start b"),
                    ("next", None, "nothing"),
                ],
            ),
            (
                "a stop for the waiting prompt drops it and is answered",
                &[
                    ("prompt a", None, "start a"),
                    ("prompt b", Some("a"), "waits"),
                    ("stop b", Some("a"), "report stopped"),
                    ("next", None, "nothing"),
                ],
            ),
            (
                "a newer prompt replaces the waiting one, finished by the Durable Object meanwhile",
                &[
                    ("prompt a", None, "start a"),
                    ("prompt b", Some("a"), "waits"),
                    ("prompt c", Some("a"), "waits, drops b"),
                    ("next", None, "start c"),
                ],
            ),
            (
                "a stop for a prompt never sent is answered, and that prompt never runs",
                &[("stop x", None, "report stopped"), ("prompt x", None, "duplicate")],
            ),
            (
                "a stop for a prompt finished here is left to its prompt_finished",
                &[("prompt a", None, "start a"), ("next", None, "nothing"), ("stop a", None, "already finished")],
            ),
        ];
        for (name, steps) in table {
            run(name, steps);
        }
    }
}
