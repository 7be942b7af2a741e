//! Verification evidence for a pull request's body: the checks the agent ran (test suites,
//! linters, type checks) with how they ended and the end of their output.

use oi_protocol::events::{ToolCall, ToolStatus};

/// How many runs are listed (the latest).
pub const MAX_RUNS: usize = 5;
/// How many lines of each run's output are shown (its end: where results are).
pub const TAIL_LINES: usize = 15;

/// Words in a shell command that mark it as a check.
const CHECK_WORDS: &[&str] = &[
    "test", "tests", "pytest", "jest", "vitest", "mocha", "rspec", "phpunit", "clippy", "lint", "eslint", "ruff",
    "flake8", "mypy", "tsc", "check", "vet",
];

/// The shell command of a `bash` call, if it runs a check.
fn check_command(call: &ToolCall) -> Option<&str> {
    if call.tool != "bash" {
        return None;
    }
    let command = call.input.get("command")?.as_str()?.trim();
    let runs_check = command
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ':'))
        .flat_map(|word| word.split(':'))
        .any(|word| CHECK_WORDS.contains(&word));
    runs_check.then_some(command)
}

/// One item per check the agent ran (the last [`MAX_RUNS`]), oldest first: the command, how
/// it ended and the last [`TAIL_LINES`] of its output as a code block.
pub fn check_runs(calls: &[ToolCall]) -> Vec<String> {
    let runs: Vec<(&ToolCall, &str)> = calls
        .iter()
        .filter(|c| matches!(c.status, ToolStatus::Completed | ToolStatus::Error))
        .filter_map(|c| check_command(c).map(|command| (c, command)))
        .collect();
    let skip = runs.len().saturating_sub(MAX_RUNS);
    runs.into_iter()
        .skip(skip)
        .map(|(call, command)| {
            let first_line = command.lines().next().unwrap_or(command);
            let ended = if call.status == ToolStatus::Error { "failed" } else { "ran" };
            let output = call.output.as_deref().or(call.error.as_deref()).unwrap_or("").trim_end();
            let lines: Vec<&str> = output.lines().collect();
            let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n").replace("```", "'''");
            if tail.trim().is_empty() {
                format!("`{}` {ended} (no output)", first_line.replace('`', "'"))
            } else {
                format!("`{}` {ended}:\n```\n{tail}\n```", first_line.replace('`', "'"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(tool: &str, command: &str, status: ToolStatus, output: &str) -> ToolCall {
        ToolCall {
            message_id: "m".into(),
            part_id: "p".into(),
            tool: tool.into(),
            status,
            input: json!({ "command": command }),
            output: Some(output.into()),
            error: None,
            title: None,
            started_at: None,
            ended_at: None,
            started_seq: None,
        }
    }

    #[test]
    fn checks_are_evidence_and_other_commands_are_not() {
        let long: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let calls = [
            call("bash", "ls -la", ToolStatus::Completed, "a\nb"),
            call("bash", "cargo test --quiet", ToolStatus::Completed, &long),
            call("bash", "npm run lint", ToolStatus::Error, "1 problem"),
            call("write", "cargo test", ToolStatus::Completed, "x"),
            call("bash", "pytest -q", ToolStatus::Running, ""),
            call("bash", "latest-results.sh", ToolStatus::Completed, "x"),
        ];
        let runs = check_runs(&calls);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert!(runs[0].starts_with("`cargo test --quiet` ran:\n```\nline 26\n"), "{}", runs[0]);
        assert!(runs[0].ends_with("line 40\n```"));
        assert_eq!(runs[1], "`npm run lint` failed:\n```\n1 problem\n```");
    }

    #[test]
    fn only_the_latest_runs_and_no_fence_breaks() {
        let calls: Vec<ToolCall> = (0..8)
            .map(|i| call("bash", &format!("make test{i} && make check"), ToolStatus::Completed, "```ok"))
            .collect();
        let runs = check_runs(&calls);
        assert_eq!(runs.len(), MAX_RUNS);
        assert!(runs[0].starts_with("`make test3"), "{}", runs[0]);
        assert!(runs[0].contains("'''ok"));
    }
}
