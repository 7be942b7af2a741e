//! Whether a prompt is queued, answered as a retry, or refused.

use oi_protocol::limits::MAX_QUEUED_PROMPTS;
use oi_protocol::{ApiError, ErrorCode};

/// An earlier prompt with the same `client_request_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorRequest {
    pub text: String,
    pub message_id: String,
    /// Its place in the queue now; `None` once it finished or was cancelled.
    pub position: Option<u32>,
}

/// What to do with a prompt that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Queue it as a new prompt.
    Accept,
    /// The same request came before: answer as the first time, queue nothing.
    Duplicate { message_id: String, position: u32 },
}

/// Decides on a prompt. `waiting` counts prompts queued and not yet started.
pub fn admit(prior: Option<&PriorRequest>, text: &str, waiting: usize, archived: bool) -> Result<Admission, ApiError> {
    if let Some(prior) = prior {
        if prior.text != text {
            return Err(ApiError::new(
                ErrorCode::IdempotencyConflict,
                "this client_request_id was already used for a different prompt",
            ));
        }
        return Ok(Admission::Duplicate {
            message_id: prior.message_id.clone(),
            position: prior.position.unwrap_or(0),
        });
    }
    if archived {
        return Err(ApiError::new(ErrorCode::SessionArchived, "the session is archived; unarchive it to send prompts"));
    }
    if waiting >= MAX_QUEUED_PROMPTS {
        return Err(ApiError::new(
            ErrorCode::QueueFull,
            format!("{MAX_QUEUED_PROMPTS} prompts are already waiting; try again when one has run"),
        ));
    }
    Ok(Admission::Accept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(text: &str, position: Option<u32>) -> PriorRequest {
        PriorRequest { text: text.into(), message_id: "msg_1".into(), position }
    }

    #[test]
    fn table() {
        let p_same = prior("fix it", Some(2));
        let p_done = prior("fix it", None);
        let p_other = prior("something else", Some(0));
        type Case<'a> = (Option<&'a PriorRequest>, usize, bool, Result<Admission, ErrorCode>);
        let cases: Vec<Case> = vec![
            (None, 0, false, Ok(Admission::Accept)),
            (None, 9, false, Ok(Admission::Accept)),
            (None, 10, false, Err(ErrorCode::QueueFull)),
            (None, 0, true, Err(ErrorCode::SessionArchived)),
            (Some(&p_same), 10, true, Ok(Admission::Duplicate { message_id: "msg_1".into(), position: 2 })),
            (Some(&p_done), 0, false, Ok(Admission::Duplicate { message_id: "msg_1".into(), position: 0 })),
            (Some(&p_other), 0, false, Err(ErrorCode::IdempotencyConflict)),
        ];
        for (prior, waiting, archived, want) in cases {
            let got = admit(prior, "fix it", waiting, archived).map_err(|e| e.code);
            assert_eq!(got, want, "prior={prior:?} waiting={waiting} archived={archived}");
        }
    }
}
