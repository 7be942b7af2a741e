//! The session's plan, kept current with `agentSessionUpdate`'s `plan`: analyse the issue,
//! choose the repository, work, open the pull request.
//!
//! The contract types `plan` only as `JSONObject` (the input) / `JSON` (the session) and gives
//! no shape; this sends the list Linear's agent docs describe, `[{"content", "status"}]` with
//! status `pending`, `inProgress`, `completed` or `canceled` (unconfirmed by the contract).
//!
//! Invariant: the plan is a function of the phase alone, so it can be re-sent at any time: the
//! steps before the current one are completed, the current one in progress, the rest pending;
//! a finished plan has every step completed except a pull request that was not opened
//! (canceled); a failed plan has the failed step and those after it canceled.

use serde_json::{json, Value};

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanStep {
    Analyse,
    ChooseRepository,
    Work,
    OpenPullRequest,
}

impl PlanStep {
    pub const ALL: [PlanStep; 4] =
        [PlanStep::Analyse, PlanStep::ChooseRepository, PlanStep::Work, PlanStep::OpenPullRequest];

    /// The step's `content`.
    pub fn content(self) -> &'static str {
        match self {
            PlanStep::Analyse => "Analyse the issue",
            PlanStep::ChooseRepository => "Choose the repository",
            PlanStep::Work => "Make the change",
            PlanStep::OpenPullRequest => "Open a pull request",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStatus {
    Pending,
    InProgress,
    Completed,
    Canceled,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Pending => "pending",
            PlanStatus::InProgress => "inProgress",
            PlanStatus::Completed => "completed",
            PlanStatus::Canceled => "canceled",
        }
    }
}

/// Where the work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPhase {
    /// This step is in progress.
    At(PlanStep),
    /// The work is done, with or without a pull request.
    Finished { pull_request: bool },
    /// The work stopped at this step (an error, or a stop request).
    Failed(PlanStep),
}

/// Each step's status in `phase`.
pub fn statuses(phase: PlanPhase) -> [(PlanStep, PlanStatus); 4] {
    PlanStep::ALL.map(|step| {
        let status = match phase {
            PlanPhase::At(current) if step < current => PlanStatus::Completed,
            PlanPhase::At(current) if step == current => PlanStatus::InProgress,
            PlanPhase::At(_) => PlanStatus::Pending,
            PlanPhase::Finished { pull_request: false } if step == PlanStep::OpenPullRequest => PlanStatus::Canceled,
            PlanPhase::Finished { .. } => PlanStatus::Completed,
            PlanPhase::Failed(at) if step < at => PlanStatus::Completed,
            PlanPhase::Failed(_) => PlanStatus::Canceled,
        };
        (step, status)
    })
}

/// The `plan` value for `agentSessionUpdate` in `phase`: `{"steps": [{content, status}]}`.
/// The contract's SDL types the input `plan: JSONObject`, so the steps are an object's field,
/// not a bare list.
pub fn plan(phase: PlanPhase) -> Value {
    let steps: Vec<Value> = statuses(phase)
        .iter()
        .map(|(step, status)| json!({"content": step.content(), "status": status.as_str()}))
        .collect();
    json!({ "steps": steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlanStatus::*;
    use PlanStep::*;

    #[test]
    fn each_phase() {
        let cases: &[(PlanPhase, [PlanStatus; 4])] = &[
            (PlanPhase::At(Analyse), [InProgress, Pending, Pending, Pending]),
            (PlanPhase::At(ChooseRepository), [Completed, InProgress, Pending, Pending]),
            (PlanPhase::At(Work), [Completed, Completed, InProgress, Pending]),
            (PlanPhase::At(OpenPullRequest), [Completed, Completed, Completed, InProgress]),
            (PlanPhase::Finished { pull_request: true }, [Completed, Completed, Completed, Completed]),
            (PlanPhase::Finished { pull_request: false }, [Completed, Completed, Completed, Canceled]),
            (PlanPhase::Failed(Analyse), [Canceled, Canceled, Canceled, Canceled]),
            (PlanPhase::Failed(Work), [Completed, Completed, Canceled, Canceled]),
        ];
        for (phase, want) in cases {
            let got: Vec<PlanStatus> = statuses(*phase).iter().map(|(_, s)| *s).collect();
            assert_eq!(got, want, "{phase:?}");
        }
    }

    #[test]
    fn the_wire_shape() {
        let plan = plan(PlanPhase::At(ChooseRepository));
        assert!(plan.is_object(), "the SDL's plan is a JSONObject: {plan}");
        let steps = &plan["steps"];
        assert_eq!(steps[0], json!({"content": "Analyse the issue", "status": "completed"}));
        assert_eq!(steps[1], json!({"content": "Choose the repository", "status": "inProgress"}));
        assert_eq!(steps[3], json!({"content": "Open a pull request", "status": "pending"}));
        assert_eq!(steps.as_array().map(Vec::len), Some(4));
    }
}
