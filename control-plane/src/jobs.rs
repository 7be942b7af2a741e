//! Background work on the `JOBS` queue: starting an automation run, and delivering a notice to
//! a session's origin. A delivery answers its vendor at once and leaves the slow part here.
//!
//! Invariant: a job is done at least once. One that fails is sent again with its attempt
//! counted and a growing delay (`oi_integrations::callbacks::retry_delay_secs`), until that
//! schedule gives up; every job is written to be done twice without harm (a run keeps the
//! session it got; a notice has a stable id the receiver dedupes on).

use oi_protocol::origin::OriginNotice;
use serde::{Deserialize, Serialize};
use worker::{Env, MessageBatch, MessageBuilder, MessageExt};

/// The queue binding.
pub const BINDING: &str = "JOBS";

/// What to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Work {
    /// Start (or finish starting) an automation run: its session and its prompt.
    StartRun { run_id: String },
    /// Tell a session's origin what happened.
    Notice { notice: Box<OriginNotice> },
    /// A Slack message or click (`crate::slack::requests`).
    Slack { slack: Box<crate::slack::requests::SlackJob> },
    /// A review or mention for the GitHub review bot (`crate::github_review::requests`).
    GithubReview { trigger: Box<oi_integrations::github_review::triggers::Trigger> },
    /// A Linear agent session's delivery (`crate::linear::requests`).
    Linear { linear: Box<crate::linear::requests::LinearJob> },
}

/// A job: the work and how many times it was tried before. On the queue it is one JSON
/// string (`serde_json`), so what the consumer reads is exactly what was sent, and a message
/// it cannot read is dropped with a log line instead of stopping the batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    #[serde(default)]
    pub attempt: u32,
    pub work: Work,
}

impl Job {
    fn encoded(&self) -> worker::Result<String> {
        serde_json::to_string(self).map_err(|e| worker::Error::RustError(e.to_string()))
    }
}

/// Why a job did not get done.
#[derive(Debug)]
pub enum JobError {
    /// Worth another attempt later (an unreachable receiver, a storage error).
    Retry(String),
    /// Worth another attempt, not before this many seconds (a vendor's `Retry-After`).
    RetryAfter { secs: u32, why: String },
    /// Will never work (the run was deleted, the receiver refuses it for good).
    GiveUp(String),
}

impl From<worker::Error> for JobError {
    fn from(e: worker::Error) -> Self {
        JobError::Retry(e.to_string())
    }
}

/// Puts new work on the queue.
pub async fn enqueue(env: &Env, work: Work) -> worker::Result<()> {
    env.queue(BINDING)?.send(Job { attempt: 0, work }.encoded()?).await
}

/// The queue's consumer: does each job; a failed one goes back with a delay, or is dropped
/// (and logged) when it will never work or has been tried long enough.
pub async fn consume(batch: MessageBatch<String>, env: &Env) -> worker::Result<()> {
    for message in batch.messages()? {
        let job: Job = match serde_json::from_str(message.body()) {
            Ok(job) => job,
            Err(e) => {
                worker::console_error!("a job this version cannot read, dropped: {e}: {}", message.body());
                message.ack();
                continue;
            }
        };
        let outcome = match &job.work {
            Work::StartRun { run_id } => crate::automations::runs::start(env, run_id, job.attempt).await,
            Work::Notice { notice } => crate::integrations::notices::deliver(env, notice).await,
            Work::Slack { slack } => crate::slack::requests::run(env, slack).await,
            Work::GithubReview { trigger } => crate::github_review::requests::run(env, trigger).await,
            Work::Linear { linear } => crate::linear::requests::run(env, linear).await,
        };
        match outcome {
            Ok(()) => message.ack(),
            Err(JobError::GiveUp(why)) => {
                worker::console_error!("job {:?} given up: {why}", job.work);
                message.ack();
            }
            Err(JobError::Retry(why)) | Err(JobError::RetryAfter { why, .. })
                if oi_integrations::callbacks::retry_delay_secs(job.attempt).is_none() =>
            {
                worker::console_error!("job {:?} failed {} times, given up: {why}", job.work, job.attempt + 1);
                crate::integrations::notices::gave_up(env, &job.work, &why).await;
                message.ack();
            }
            Err(failed @ (JobError::Retry(_) | JobError::RetryAfter { .. })) => {
                let backoff = oi_integrations::callbacks::retry_delay_secs(job.attempt).unwrap_or_default();
                let delay = match failed {
                    JobError::RetryAfter { secs, .. } => secs.max(backoff),
                    _ => backoff,
                };
                let again = Job { attempt: job.attempt + 1, work: job.work.clone() };
                let sent =
                    env.queue(BINDING)?.send(MessageBuilder::new(again.encoded()?).delay_seconds(delay).build()).await;
                match sent {
                    Ok(()) => message.ack(),
                    // The queue's own retry, then.
                    Err(_) => message.retry(),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_one_json_string_that_reads_back() {
        let job = Job { attempt: 3, work: Work::StartRun { run_id: "run_1".into() } };
        let text = job.encoded().unwrap();
        assert_eq!(text, r#"{"attempt":3,"work":{"job":"start_run","run_id":"run_1"}}"#);
        let back: Job = serde_json::from_str(&text).unwrap();
        assert!(matches!(back.work, Work::StartRun { run_id } if run_id == "run_1"));
        assert_eq!(back.attempt, 3);
    }
}
