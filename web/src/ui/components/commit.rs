//! What a prompt committed: the commit, its branch and author, and each file's diff.

use leptos::prelude::*;
use oi_protocol::events::Commit;

use super::diff::FileDiffView;
use crate::model::format::short_sha;
use crate::model::timeline::{FileDiff, FilePatch};

#[component]
pub fn CommitCard(commit: Commit) -> impl IntoView {
    let Commit { branch, sha, author, files_changed, insertions, deletions, files, pushed, error, .. } = commit;
    let headline = match &sha {
        Some(sha) => view! {
            <p class="commit-line">
                "Committed "<code data-testid="commit-sha" title=sha.clone()>{short_sha(sha).to_string()}</code>
                " to "<code data-testid="commit-branch">{branch.clone()}</code>
                {author.map(|a| view! { " by "<span class="author">{a}</span> })}
            </p>
        }
        .into_any(),
        None => view! { <p class="commit-line muted">"No file changed, nothing to commit."</p> }.into_any(),
    };
    let sha_for_files = sha.clone();
    let files = files
        .into_iter()
        .map(|f| {
            let file = FileDiff {
                path: f.path,
                kind: f.kind,
                insertions: f.insertions,
                deletions: f.deletions,
                patches: vec![FilePatch { sha: sha_for_files.clone(), patch: f.patch, truncated: f.truncated }],
            };
            view! { <li><FileDiffView file/></li> }
        })
        .collect_view();
    view! {
        <div class="commit" data-testid="commit">
            {headline}
            {sha.is_some().then(|| view! {
                <p class="commit-stats small muted">
                    {format!("{files_changed} file{} changed, ", if files_changed == 1 { "" } else { "s" })}
                    <span class="ins">"+"{insertions}</span>" "<span class="del">"−"{deletions}</span>
                    {if pushed { " · pushed" } else { " · not pushed" }}
                </p>
            })}
            {error.map(|e| view! { <p class="alert alert-error small" role="alert">{e}</p> })}
            <ul class="file-list">{files}</ul>
        </div>
    }
}
