//! One tool call, collapsible: the summary line shows the tool, what it works on, its status
//! and duration; the body shows the input and output in the tool's own shape.

use leptos::prelude::*;

use crate::model::format;
use crate::model::tool::{edit_lines, ToolBody, ToolView};

/// `view` is the call as it stands; the `<details>` element stays put while it changes, so an
/// opened call stays open as its output arrives.
#[component]
pub fn ToolCallView(view: Memo<Option<ToolView>>) -> impl IntoView {
    let status = move || view.with(|v| v.as_ref().map(|v| format!("{:?}", v.status).to_lowercase()));
    view! {
        <details class=move || format!("tool tool-{}", status().unwrap_or_default())
            data-testid="tool-call"
            data-tool=move || view.with(|v| v.as_ref().map(|v| v.tool.clone()))
            data-status=status>
            <summary>
                {move || view.get().map(|v| view! {
                    <span class="tool-name">{v.tool.clone()}</span>
                    <span class="tool-summary">{v.summary.clone()}</span>
                    <span class=format!("badge badge-{}", tone(&v)) data-testid="tool-status">
                        {format::tool_status(v.status)}
                    </span>
                    {v.duration.clone().map(|d| view! {
                        <span class="tool-duration muted small" data-testid="tool-duration">{d}</span>
                    })}
                })}
            </summary>
            <div class="tool-body">{move || view.get().map(body)}</div>
        </details>
    }
}

fn tone(v: &ToolView) -> &'static str {
    use oi_protocol::events::ToolStatus::*;
    match v.status {
        Pending | Running => "busy",
        Completed => "ok",
        Error => "bad",
    }
}

fn body(v: ToolView) -> impl IntoView {
    let main = match v.body.clone() {
        ToolBody::Terminal { command } => view! {
            <pre class="terminal" data-testid="terminal" aria-label="Terminal"><code>
                <span class="term-prompt" aria-hidden="true">"$ "</span>{command}"\n"
                <span class="term-output">{v.output.clone().unwrap_or_default()}</span>
            </code></pre>
        }
        .into_any(),
        ToolBody::Write { path, content } => view! {
            <p class="small">"Wrote "<code>{path}</code></p>
            <pre class="code-block"><code>{content}</code></pre>
            <Output output=v.output.clone()/>
        }
        .into_any(),
        ToolBody::Edit { path, old, new } => {
            let lines = edit_lines(&old, &new)
                .into_iter()
                .map(|(added, text)| {
                    let class = if added { "line diff-add" } else { "line diff-del" };
                    let spoken = if added { "added " } else { "removed " };
                    view! { <span class=class><span class="sr-only">{spoken}</span>{text}"\n"</span> }
                })
                .collect_view();
            view! {
                <p class="small">"Edited "<code>{path}</code></p>
                <pre class="diff"><code>{lines}</code></pre>
                <Output output=v.output.clone()/>
            }
            .into_any()
        }
        ToolBody::Generic => view! {
            <p class="tool-label small">"Input"</p>
            <pre class="code-block"><code>{v.input.clone()}</code></pre>
            <Output output=v.output.clone()/>
        }
        .into_any(),
    };
    view! {
        {main}
        {v.error.map(|e| view! { <pre class="tool-error" role="alert">{e}</pre> })}
    }
}

#[component]
fn Output(output: Option<String>) -> impl IntoView {
    output.filter(|o| !o.trim().is_empty()).map(|o| {
        view! {
            <p class="tool-label small">"Output"</p>
            <pre class="code-block"><code>{o}</code></pre>
        }
    })
}
