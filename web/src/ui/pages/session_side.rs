//! The session's results beside the transcript: the artifacts (the media gallery, the branch
//! and commits) and the session's diff per file.

use leptos::prelude::*;

use crate::model::format::short_sha;
use crate::model::timeline::{commits, session_diff};
use crate::ui::components::diff::FileDiffView;
use crate::ui::components::media::{MediaGallery, MediaViewer};
use crate::ui::session_store::SessionStore;

#[component]
pub fn Artifacts(store: SessionStore, viewer: MediaViewer) -> impl IntoView {
    let all = Memo::new(move |_| store.transcript.with(commits));
    view! {
        <section class="panel" aria-labelledby="artifacts-title" data-testid="artifacts">
            <h2 class="panel-title" id="artifacts-title">"Artifacts"</h2>
            <MediaGallery viewer/>
            <h3 class="panel-subtitle">"Branch and commits"</h3>
            {move || {
                let all = all.get();
                match all.last() {
                    None => view! { <p class="muted small">"The branch and commits appear here after a prompt."</p> }.into_any(),
                    Some(last) => {
                        let branch = last.branch.clone();
                        let list = all.iter().rev().filter_map(|c| {
                            let sha = c.sha.clone()?;
                            let pushed = if c.pushed { "pushed" } else { "not pushed" };
                            Some(view! {
                                <li>
                                    <code title=sha.clone()>{short_sha(&sha).to_string()}</code>
                                    <span class="muted small">{format!(" {} file(s), +{} −{}, {pushed}", c.files_changed, c.insertions, c.deletions)}</span>
                                </li>
                            })
                        }).collect_view();
                        view! {
                            <p class="small">"Branch "<code data-testid="artifact-branch">{branch}</code></p>
                            <ul class="commit-list small" data-testid="artifact-commits">{list}</ul>
                        }.into_any()
                    }
                }
            }}
        </section>
    }
}

#[component]
pub fn Changes(store: SessionStore) -> impl IntoView {
    let files = Memo::new(move |_| store.transcript.with(session_diff));
    view! {
        <section class="panel" aria-labelledby="changes-title" data-testid="session-diff">
            <h2 class="panel-title" id="changes-title">
                "Changes " <span class="muted small">{move || format!("({} file(s))", files.with(Vec::len))}</span>
            </h2>
            <Show when=move || !files.with(Vec::is_empty) fallback=|| view! {
                <p class="muted small">"No file changed yet."</p>
            }>
                <ul class="file-list">
                    // A few files open at once; many start folded.
                    <For each=move || files.get() key=|f| (f.path.clone(), f.patches.len()) let:file>
                        <li><FileDiffView file open=files.with_untracked(|f| f.len() <= 3)/></li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}
