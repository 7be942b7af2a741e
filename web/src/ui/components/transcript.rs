//! The conversation: each prompt with its author and attached images, the agent's streamed text
//! (markdown), its tool calls and artifacts (screenshots, videos), how the prompt ended and what
//! it committed.
//!
//! Turns and parts are keyed by id and read their own slice of the transcript through a memo,
//! so a streaming delta re-renders one text part, not the page.

use leptos::prelude::*;
use oi_protocol::transcript::{Part, Turn};

use super::commit::CommitCard;
use super::feedback::Empty;
use super::media::{ArtifactView, MediaViewer, PromptAttachments};
use super::tool_call::ToolCallView;
use crate::model::format;
use crate::model::markdown;
use crate::model::tool::tool_view;
use crate::ui::session_store::SessionStore;

#[component]
pub fn TranscriptView(store: SessionStore, viewer: MediaViewer) -> impl IntoView {
    let ids =
        Memo::new(move |_| store.transcript.with(|t| t.turns.iter().map(|t| t.message_id.clone()).collect::<Vec<_>>()));
    view! {
        <section class="transcript" aria-label="Transcript" data-testid="transcript">
            <Show when=move || !ids.with(Vec::is_empty) fallback=|| view! {
                <Empty title="No prompt has run yet">
                    <p class="muted">"Send a prompt below; the agent's work streams here as it happens."</p>
                </Empty>
            }>
                <ol class="turns">
                    <For each=move || ids.get() key=|id| id.clone() let:id>
                        <TurnView store viewer id/>
                    </For>
                </ol>
            </Show>
        </section>
    }
}

#[component]
fn TurnView(store: SessionStore, viewer: MediaViewer, id: String) -> impl IntoView {
    let turn: Memo<Option<Turn>> =
        Memo::new(move |_| store.transcript.with(|t| t.turns.iter().find(|x| x.message_id == id).cloned()));
    let part_ids = Memo::new(move |_| {
        turn.with(|t| {
            t.as_ref().map(|t| t.parts.iter().map(|p| p.part_id().to_string()).collect::<Vec<_>>()).unwrap_or_default()
        })
    });
    // The prompt's own memo, so streaming parts do not re-render it (nor reload its images).
    let head = Memo::new(move |_| {
        turn.with(|t| t.as_ref().map(|t| (t.author.clone(), t.prompt.clone(), t.attachments.clone())))
    });
    let header = move || {
        head.get().map(|(author, prompt, attachments)| {
            let name = author.map(|a| a.name).unwrap_or_else(|| "Someone".to_string());
            view! {
                <div class="prompt-bubble">
                    <p class="turn-author">
                        <span class="avatar" aria-hidden="true">{format::initials(&name)}</span>
                        <span data-testid="turn-author">{name}</span>
                    </p>
                    <p class="turn-prompt" data-testid="turn-prompt">{prompt.unwrap_or_default()}</p>
                    <PromptAttachments viewer attachments/>
                </div>
            }
        })
    };
    view! {
        <li class="turn" data-testid="turn">
            {header}
            <div class="turn-parts">
                <For each=move || part_ids.get() key=|id| id.clone() let:part_id>
                    <PartView store viewer turn part_id/>
                </For>
            </div>
            <TurnFooter turn/>
        </li>
    }
}

#[component]
fn PartView(store: SessionStore, viewer: MediaViewer, turn: Memo<Option<Turn>>, part_id: String) -> impl IntoView {
    let part = Memo::new(move |_| {
        turn.with(|t| t.as_ref().and_then(|t| t.parts.iter().find(|p| p.part_id() == part_id).cloned()))
    });
    // An artifact does not change once made.
    if let Some(Part::Artifact { media, .. }) = part.get_untracked() {
        return view! { <ArtifactView viewer media/> }.into_any();
    }
    let is_text = part.with_untracked(|p| matches!(p, Some(Part::Text { .. })));
    if is_text {
        let html = move || {
            part.with(|p| match p {
                Some(Part::Text { text, .. }) => markdown::to_html(text),
                _ => String::new(),
            })
        };
        view! { <div class="md" data-testid="assistant-text" inner_html=html></div> }.into_any()
    } else {
        let tool = Memo::new(move |_| {
            let times = part.with(|p| p.as_ref().and_then(|p| store.tool_times.with(|t| t.get(p.part_id()).copied())));
            part.with(|p| p.as_ref().and_then(|p| tool_view(p, times)))
        });
        view! { <ToolCallView view=tool/> }.into_any()
    }
}

#[component]
fn TurnFooter(turn: Memo<Option<Turn>>) -> impl IntoView {
    // Everything but the parts, so streaming text does not re-render the footer.
    let ending = Memo::new(move |_| {
        turn.with(|t| {
            t.as_ref().map(|t| Turn {
                message_id: t.message_id.clone(),
                author: None,
                prompt: None,
                attachments: Vec::new(),
                parts: Vec::new(),
                tokens: t.tokens,
                cost: t.cost,
                retries: t.retries.clone(),
                errors: t.errors.clone(),
                outcome: t.outcome,
                outcome_error: t.outcome_error.clone(),
                commits: t.commits.clone(),
            })
        })
    });
    let body = move || {
        let t = ending.get()?;
        let retries =
            t.retries.iter().map(|r| view! { <li class="notice notice-warning">"Retrying: "{r.clone()}</li> });
        let errors = t.errors.iter().map(|e| view! { <li class="notice notice-error" role="alert">{e.clone()}</li> });
        let notes = retries.map(IntoAny::into_any).chain(errors.map(IntoAny::into_any)).collect_view();
        let outcome = match t.outcome {
            Some(outcome) => {
                let label = format::outcome(outcome);
                let class = format!("outcome outcome-{}", label.to_lowercase());
                let detail = t.outcome_error.clone().map(|e| format!(": {e}")).unwrap_or_default();
                let cost = (t.tokens.input + t.tokens.output > 0)
                    .then(|| format!(" · {} tokens in, {} out", t.tokens.input, t.tokens.output));
                view! {
                    <p class=class data-testid="turn-outcome" data-outcome=label.to_lowercase()>
                        {label}{detail}<span class="muted small">{cost}</span>
                    </p>
                }
                .into_any()
            }
            None => view! {
                <p class="outcome outcome-running" data-testid="turn-working">
                    <span class="spinner" aria-hidden="true"></span>"Working…"
                </p>
            }
            .into_any(),
        };
        let commits = t.commits.into_iter().map(|c| view! { <CommitCard commit=c/> }).collect_view();
        Some(view! {
            <ul class="turn-notes">{notes}</ul>
            {commits}
            {outcome}
        })
    };
    view! { <div class="turn-footer">{body}</div> }
}
