//! The session's pull request: its badge and link (number, title, state, checks, whose
//! credential opened it), the button that opens or updates it, and its history.

use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::source_control::PullRequest;
use oi_protocol::ApiError;

use super::feedback::MaybeError;
use crate::model::pull_request::{busy_label, button_label, request};
use crate::model::pull_request_view::{history, view, PullRequestView};
use crate::ui::api;
use crate::ui::session_store::SessionStore;

fn current(store: SessionStore) -> Memo<Option<PullRequest>> {
    Memo::new(move |_| store.state.with(|s| s.as_ref().and_then(|s| s.pull_request.clone())))
}

/// A compact link for the session's header: `PR #12 · Open`.
#[component]
pub fn PullRequestBadge(store: SessionStore) -> impl IntoView {
    let pr = current(store);
    move || {
        pr.get().map(|pr| {
            let v = view(&pr);
            view! {
                <a class=format!("badge badge-{} pr-badge", v.state_tone) href=v.url.clone() target="_blank"
                    rel="noopener noreferrer" data-testid="pr-badge" data-state=v.state title=v.title.clone()>
                    {format!("PR {} · {}", v.number, v.state_label)}
                </a>
            }
        })
    }
}

#[component]
pub fn PullRequestPanel(store: SessionStore) -> impl IntoView {
    let pr = current(store);
    let lines = Memo::new(move |_| store.transcript.with(history));
    let draft = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |_| {
        if busy.get_untracked() {
            return;
        }
        let id = store.id.get_value();
        let req = pr.with_untracked(|pr| request(pr.as_ref(), draft.get_untracked()));
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::open_pull_request(&id, &req).await {
                Ok(pr) => store.set_pull_request(&pr),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="pr-title" data-testid="pull-request">
            <h2 class="panel-title" id="pr-title">"Pull request"</h2>
            {move || match pr.get() {
                Some(pr) => view! { <PullRequestCard view=view(&pr)/> }.into_any(),
                None => view! {
                    <p class="muted small" data-testid="pr-none">
                        "No pull request yet. One can be opened from the session branch once a prompt has pushed a commit."
                    </p>
                }.into_any(),
            }}
            <div class="pr-actions">
                <Show when=move || pr.with(Option::is_none)>
                    <label class="checkbox-label small">
                        <input type="checkbox" data-testid="pr-draft" prop:checked=move || draft.get()
                            on:change=move |ev| draft.set(event_target_checked(&ev))/>
                        " Draft"
                    </label>
                </Show>
                <button type="button" class="btn btn-small btn-primary" data-testid="create-pr"
                    disabled=move || busy.get() on:click=submit>
                    {move || pr.with(|pr| if busy.get() { busy_label(pr.as_ref()) } else { button_label(pr.as_ref()) })}
                </button>
            </div>
            <MaybeError error=error.into()/>
            <Show when=move || !lines.with(Vec::is_empty)>
                <ul class="notices pr-history" data-testid="pr-history">
                    {move || lines.get().into_iter().map(|l| view! {
                        <li class=format!("notice notice-{}", l.tone) data-testid="pr-event">{l.text}</li>
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn PullRequestCard(view: PullRequestView) -> impl IntoView {
    let PullRequestView {
        number,
        title,
        url,
        state,
        state_label,
        state_tone,
        checks,
        checks_label,
        checks_tone,
        branches,
        opened_as,
    } = view;
    view! {
        <div class="pr" data-testid="pr" data-state=state data-checks=checks>
            <p class="pr-line">
                <a href=url target="_blank" rel="noopener noreferrer" data-testid="pr-link">
                    <span class="pr-number">{number}</span>" "{title}
                </a>
            </p>
            <p class="pr-badges">
                <span class=format!("badge badge-{state_tone}") data-testid="pr-state">{state_label}</span>
                <span class=format!("badge badge-{checks_tone}") data-testid="pr-checks">{checks_label}</span>
            </p>
            <p class="small muted"><code>{branches}</code></p>
            {opened_as.map(|note| view! { <p class="small muted" data-testid="pr-opened-as">{note}</p> })}
        </div>
    }
}
