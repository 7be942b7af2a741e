//! A unified diff with numbered, coloured lines (and the words "added"/"removed" for screen
//! readers, who do not see the colour).

use leptos::prelude::*;

use crate::model::diff::{diff_lines, LineKind};
use crate::model::format::short_sha;
use crate::model::timeline::{change_kind, FileDiff};

#[component]
pub fn PatchView(patch: String, #[prop(optional)] truncated: bool) -> impl IntoView {
    let lines = diff_lines(&patch)
        .into_iter()
        .filter(|l| l.kind != LineKind::FileHeader)
        .map(|line| {
            let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
            let spoken = line.kind.spoken();
            view! {
                <span class=format!("line {}", line.kind.class())>
                    <span class="ln" aria-hidden="true">{number(line.old)}</span>
                    <span class="ln" aria-hidden="true">{number(line.new)}</span>
                    {(!spoken.is_empty()).then(|| view! { <span class="sr-only">{spoken}" "</span> })}
                    <span class="code">{line.text}</span>
                    "\n"
                </span>
            }
        })
        .collect_view();
    view! {
        <pre class="diff" data-testid="diff"><code>{lines}</code></pre>
        {truncated.then(|| view! { <p class="muted small">"The diff was cut here (it is too large to show whole)."</p> })}
    }
}

/// One file of the session's diff: a collapsible header with its counts, then its patches.
#[component]
pub fn FileDiffView(file: FileDiff, #[prop(optional)] open: bool) -> impl IntoView {
    let several = file.patches.len() > 1;
    let patches = file
        .patches
        .into_iter()
        .map(|p| {
            let label = several.then(|| {
                let sha = p.sha.as_deref().map(short_sha).unwrap_or("uncommitted").to_string();
                view! { <p class="patch-label muted small">"In commit "<code>{sha}</code></p> }
            });
            let body = match p.patch {
                Some(patch) => view! { <PatchView patch truncated=p.truncated/> }.into_any(),
                None => view! { <p class="muted small">"Binary file; no diff to show."</p> }.into_any(),
            };
            view! { {label} {body} }
        })
        .collect_view();
    let kind = change_kind(file.kind);
    view! {
        <details class="file-diff" open=open data-testid="file-diff" data-path=file.path.clone()>
            <summary>
                <span class=format!("file-kind kind-{kind}")>{kind}</span>
                <code class="file-path">{file.path.clone()}</code>
                <span class="counts">
                    <span class="ins" aria-label=format!("{} lines added", file.insertions)>"+"{file.insertions}</span>
                    " "
                    <span class="del" aria-label=format!("{} lines removed", file.deletions)>"−"{file.deletions}</span>
                </span>
            </summary>
            {patches}
        </details>
    }
}
