//! A tool call as the page shows it: a one-line summary, its status and duration, and a body
//! that suits the tool (a terminal for `bash`, the file for `write`, a small diff for `edit`,
//! the raw input otherwise).

use oi_protocol::events::ToolStatus;
use oi_protocol::transcript::Part;
use serde_json::Value;

use super::format;
use super::session::ToolTimes;

/// The tool-specific body.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolBody {
    /// A shell command and its output, shown as a terminal.
    Terminal { command: String },
    /// A whole file written.
    Write { path: String, content: String },
    /// A replacement in a file, shown as removed and added lines.
    Edit { path: String, old: String, new: String },
    /// Anything else: the input as JSON.
    Generic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolView {
    pub part_id: String,
    pub tool: String,
    pub status: ToolStatus,
    /// What the call does, in one line (its title, or the command or path it works on).
    pub summary: String,
    pub body: ToolBody,
    /// The input, pretty-printed.
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    /// How long it ran, once it has ended.
    pub duration: Option<String>,
}

impl ToolView {
    pub fn finished(&self) -> bool {
        matches!(self.status, ToolStatus::Completed | ToolStatus::Error)
    }
}

/// The view of a tool part; `None` for a text part.
pub fn tool_view(part: &Part, times: Option<ToolTimes>) -> Option<ToolView> {
    let Part::Tool { part_id, tool, status, input, output, error, title } = part else {
        return None;
    };
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
    let path = text("filePath").or_else(|| text("path"));
    let body = match (tool.as_str(), path.clone()) {
        ("bash", _) if text("command").is_some() => ToolBody::Terminal { command: text("command").unwrap_or_default() },
        ("write", Some(path)) => ToolBody::Write { path, content: text("content").unwrap_or_default() },
        ("edit", Some(path)) => ToolBody::Edit {
            path,
            old: text("oldString").unwrap_or_default(),
            new: text("newString").unwrap_or_default(),
        },
        _ => ToolBody::Generic,
    };
    let summary = title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| text("description"))
        .or_else(|| text("command"))
        .or(path)
        .or_else(|| text("pattern"))
        .unwrap_or_else(|| tool.clone());
    let duration = times.and_then(|t| Some(format::duration(t.ended_at? - t.started_at?)));
    Some(ToolView {
        part_id: part_id.clone(),
        tool: tool.clone(),
        status: *status,
        summary: first_line(&summary),
        body,
        input: serde_json::to_string_pretty(input).unwrap_or_default(),
        output: output.clone(),
        error: error.clone(),
        duration,
    })
}

/// The lines of an `edit` as a diff: each old line removed, each new line added.
pub fn edit_lines(old: &str, new: &str) -> Vec<(bool, String)> {
    old.lines().map(|l| (false, format!("-{l}"))).chain(new.lines().map(|l| (true, format!("+{l}")))).collect()
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, input: Value, title: Option<&str>) -> Part {
        Part::Tool {
            part_id: "prt_t".into(),
            tool: name.into(),
            status: ToolStatus::Completed,
            input,
            output: Some("ok\n".into()),
            error: None,
            title: title.map(str::to_string),
        }
    }

    #[test]
    fn bash_is_a_terminal_with_its_duration() {
        let times = ToolTimes { started_at: Some(1_000), ended_at: Some(1_450) };
        let view = tool_view(&tool("bash", json!({"command": "ls -la\necho hi"}), None), Some(times)).unwrap();
        assert_eq!(view.body, ToolBody::Terminal { command: "ls -la\necho hi".into() });
        assert_eq!(view.summary, "ls -la");
        assert_eq!(view.duration.as_deref(), Some("0.5 s"));
        assert!(view.finished());
    }

    #[test]
    fn write_and_edit_show_the_file() {
        let write =
            tool_view(&tool("write", json!({"filePath": "hello.txt", "content": "hi\n"}), Some("hello.txt")), None)
                .unwrap();
        assert_eq!(write.body, ToolBody::Write { path: "hello.txt".into(), content: "hi\n".into() });
        assert_eq!(write.duration, None);
        let edit =
            tool_view(&tool("edit", json!({"filePath": "a.rs", "oldString": "a\nb", "newString": "c"}), None), None)
                .unwrap();
        assert_eq!(edit.summary, "a.rs");
        assert_eq!(edit_lines("a\nb", "c"), vec![(false, "-a".into()), (false, "-b".into()), (true, "+c".into())]);
    }

    #[test]
    fn other_tools_show_their_input() {
        let view = tool_view(&tool("glob", json!({"pattern": "**/*.rs"}), Some("  ")), None).unwrap();
        assert_eq!(view.body, ToolBody::Generic);
        assert_eq!(view.summary, "**/*.rs");
        assert!(view.input.contains("\"pattern\": \"**/*.rs\""));
        let text = Part::Text { part_id: "p".into(), text: "x".into() };
        assert!(tool_view(&text, None).is_none());
    }
}
