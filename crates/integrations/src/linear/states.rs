//! Where an issue moves when the agent starts on it: when the session's first prompt reaches a
//! running sandbox, an issue not yet started moves to its team's first started state.
//!
//! Invariant: an issue only ever moves forward from `triage`, `backlog` or `unstarted`, and
//! only to a state of type `started` of its own team (the lowest `position`; equal positions:
//! the first listed). A started, completed or canceled issue, or one in a state of a type this
//! code does not know, never moves; neither does one whose team has no started state.

use super::issue::{StateType, WorkflowState};

/// The state to move the issue to (its id is `issueUpdate`'s `stateId`), or None to leave it.
pub fn state_on_first_prompt<'a>(current: &StateType, team_states: &'a [WorkflowState]) -> Option<&'a WorkflowState> {
    if !matches!(current, StateType::Triage | StateType::Backlog | StateType::Unstarted) {
        return None;
    }
    team_states.iter().filter(|state| state.state_type == StateType::Started).reduce(|first, state| {
        if state.position < first.position {
            state
        } else {
            first
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: &str, state_type: &str, position: f64) -> WorkflowState {
        WorkflowState { id: id.into(), state_type: StateType::parse(state_type), position }
    }

    fn team() -> Vec<WorkflowState> {
        vec![
            state("triage", "triage", -1.0),
            state("backlog", "backlog", 0.0),
            state("todo", "unstarted", 1.0),
            state("in-review", "started", 3.0),
            state("in-progress", "started", 2.0),
            state("done", "completed", 4.0),
            state("canceled", "canceled", 5.0),
        ]
    }

    #[test]
    fn the_rule() {
        let cases: &[(&str, Option<&str>)] = &[
            ("triage", Some("in-progress")),
            ("backlog", Some("in-progress")),
            ("unstarted", Some("in-progress")),
            ("started", None),
            ("completed", None),
            ("canceled", None),
            ("paused", None),
        ];
        let team = team();
        for (current, want) in cases {
            let got = state_on_first_prompt(&StateType::parse(current), &team).map(|s| s.id.as_str());
            assert_eq!(got, *want, "{current}");
        }
    }

    #[test]
    fn teams_without_a_started_state_and_ties() {
        let no_started: Vec<WorkflowState> =
            team().into_iter().filter(|s| s.state_type != StateType::Started).collect();
        assert_eq!(state_on_first_prompt(&StateType::Unstarted, &no_started), None);
        assert_eq!(state_on_first_prompt(&StateType::Backlog, &[]), None);
        let tied = vec![state("b", "started", 1.0), state("a", "started", 1.0), state("c", "started", 0.5)];
        assert_eq!(state_on_first_prompt(&StateType::Triage, &tied).map(|s| s.id.as_str()), Some("c"));
        assert_eq!(state_on_first_prompt(&StateType::Triage, &tied[..2]).map(|s| s.id.as_str()), Some("b"));
    }
}
