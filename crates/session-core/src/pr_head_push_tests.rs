use std::cell::RefCell;

use super::*;

const ZERO: &str = "0000000000000000000000000000000000000000";
const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
/// A commit that is not a descendant of A (a rewritten history).
const REWRITTEN: &str = "3333333333333333333333333333333333333333";

fn update(old: &str, new: &str, name: &str) -> RefUpdate {
    RefUpdate { old: old.into(), new: new.into(), name: name.into() }
}

fn push(updates: Vec<RefUpdate>) -> Push {
    Push { updates, capabilities: vec!["report-status".into()] }
}

/// A → B is the only fast-forward there is.
fn ancestry(update: &RefUpdate) -> bool {
    update.old == A && update.new == B
}

const SAME_REPO: PullRequestHead<'static> = PullRequestHead { branch: "feature/login", on_fork: false };

#[test]
fn only_fast_forwards_of_the_head_branch() {
    let cases: &[(&str, Vec<RefUpdate>, Result<(), &str>)] = &[
        ("a fast-forward of the head", vec![update(A, B, "refs/heads/feature/login")], Ok(())),
        ("nothing to update", vec![], Ok(())),
        (
            "the base branch",
            vec![update(A, B, "refs/heads/main")],
            Err("may push only to the pull request's head branch feature/login (not refs/heads/main)"),
        ),
        ("a tag", vec![update(ZERO, B, "refs/tags/v1")], Err("(not refs/tags/v1)")),
        ("a branch with the head's name as a prefix", vec![update(A, B, "refs/heads/feature/login2")], Err("(not")),
        ("the head's name outside refs/heads", vec![update(A, B, "feature/login")], Err("(not feature/login)")),
        ("a deletion", vec![update(A, ZERO, "refs/heads/feature/login")], Err("may not be deleted")),
        ("a re-creation", vec![update(ZERO, B, "refs/heads/feature/login")], Err("may not be created again")),
        ("a force-push", vec![update(A, REWRITTEN, "refs/heads/feature/login")], Err("only fast-forward pushes")),
        (
            "the head, then another branch",
            vec![update(A, B, "refs/heads/feature/login"), update(A, B, "refs/heads/main")],
            Err("(not refs/heads/main)"),
        ),
    ];
    for (name, updates, want) in cases {
        let got = check_pr_head_push(&push(updates.clone()), &SAME_REPO, ancestry);
        match (got, want) {
            (Ok(()), Ok(())) => {}
            (Err(error), Err(part)) => assert!(error.contains(part), "{name}: {error}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn refusals_tell_the_agent_what_to_do() {
    let other = check_pr_head_push(&push(vec![update(A, B, "refs/heads/oi/ses_1")]), &SAME_REPO, ancestry);
    assert!(other.unwrap_err().ends_with("push with `git push origin HEAD:feature/login`"));
    let forced =
        check_pr_head_push(&push(vec![update(A, REWRITTEN, "refs/heads/feature/login")]), &SAME_REPO, ancestry);
    assert!(forced.unwrap_err().contains("rebase onto origin/feature/login"));
}

#[test]
fn a_fork_head_takes_no_push_at_all() {
    let fork = PullRequestHead { branch: "feature/login", on_fork: true };
    let error = check_pr_head_push(&push(vec![update(A, B, "refs/heads/feature/login")]), &fork, ancestry).unwrap_err();
    assert!(error.contains("is on a fork"), "{error}");
    assert!(check_pr_head_push(&push(vec![]), &fork, ancestry).is_err());
}

#[test]
fn ancestry_is_asked_only_about_moves_of_the_head() {
    let asked = RefCell::new(Vec::new());
    let record = |u: &RefUpdate| {
        asked.borrow_mut().push(u.name.clone());
        true
    };
    let refused = [
        update(A, B, "refs/heads/main"),
        update(A, ZERO, "refs/heads/feature/login"),
        update(ZERO, B, "refs/heads/feature/login"),
    ];
    for u in refused {
        assert!(check_pr_head_push(&push(vec![u]), &SAME_REPO, record).is_err());
    }
    assert!(asked.borrow().is_empty());
    assert_eq!(check_pr_head_push(&push(vec![update(A, B, "refs/heads/feature/login")]), &SAME_REPO, record), Ok(()));
    assert_eq!(*asked.borrow(), ["refs/heads/feature/login"]);
}

#[test]
fn creation_and_deletion_are_read_from_zero_ids() {
    assert!(update(ZERO, A, "x").creates() && !update(ZERO, A, "x").deletes());
    assert!(update(A, ZERO, "x").deletes() && !update(A, ZERO, "x").creates());
    assert!(!update(A, B, "x").creates() && !update(A, B, "x").deletes());
}
