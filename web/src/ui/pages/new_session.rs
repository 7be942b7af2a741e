//! Starting a session: repository, branch, model and the first prompt. The session is created
//! on send; if the prompt is then refused, the page keeps the session and the text, shows the
//! reason, and the next send reuses both. The repository and branch fields (a picker when a
//! source-control host is configured) are in `new_session_repo`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use oi_protocol::rest::{CreateSessionRequest, ModelList, PromptRequest};
use oi_protocol::{ApiError, SessionSummary};

use super::new_session_repo::{BranchField, RepoField, RepoState};
use crate::model::compose::{request_id, RequestIds};
use crate::model::load::Load;
use crate::model::new_session_form::SessionForm;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, MaybeError};
use crate::ui::components::prompt_box::PromptBox;

const LAST_REPO_KEY: &str = "oi.last_repo";

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

#[component]
pub fn NewSessionPage() -> impl IntoView {
    crate::ui::set_title("New session");
    let models = RwSignal::new(Load::<ModelList>::Loading);
    spawn_local(async move { models.set(Load::from_result(api::models().await)) });

    let last_repo = storage().and_then(|s| s.get_item(LAST_REPO_KEY).ok().flatten());
    let repo = RepoState::new(last_repo);
    let model = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    // Unticked: the deployment's default decides (shared unless SESSIONS_PRIVATE_BY_DEFAULT).
    let private = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(None::<(CreateSessionRequest, SessionSummary)>);
    let ids = StoredValue::new(RequestIds::default());
    let navigate = use_navigate();

    let submit = Callback::new(move |()| {
        if busy.get_untracked() {
            return;
        }
        let form = SessionForm {
            model: model.get_untracked(),
            title: title.get_untracked(),
            private: private.get_untracked(),
            ..repo.form()
        };
        let req = match form.request() {
            Ok(req) => req,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let prompt = text.get_untracked();
        let earlier = created.get_untracked();
        let navigate = navigate.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let summary = match earlier {
                Some((done, summary)) if done == req => summary,
                _ => match api::create_session(&req).await {
                    Ok(summary) => {
                        created.set(Some((req.clone(), summary.clone())));
                        summary
                    }
                    Err(e) => {
                        error.set(Some(e));
                        busy.set(false);
                        return;
                    }
                },
            };
            if let Some(s) = storage() {
                let _ = s.set_item(LAST_REPO_KEY, &req.repo);
            }
            if !prompt.trim().is_empty() {
                let client_request_id = ids
                    .try_update_value(|ids| {
                        ids.for_text(&prompt, || request_id(js_sys::Date::now(), js_sys::Math::random()))
                    })
                    .unwrap_or_default();
                let req = PromptRequest { text: prompt, client_request_id, model: None, attachments: Vec::new() };
                if let Err(e) = api::prompt(&summary.id, &req).await {
                    error.set(Some(e));
                    busy.set(false);
                    return;
                }
            }
            busy.set(false);
            navigate(&format!("/sessions/{}", summary.id), NavigateOptions::default());
        });
    });

    view! {
        <section class="page narrow">
            <h1>"New session"</h1>
            <form class="form" data-testid="new-session-form" on:submit=move |ev| { ev.prevent_default(); submit.run(()); }>
                <RepoField state=repo/>
                <div class="field-row">
                    <BranchField state=repo/>
                    <div class="field">
                        <label class="field-label" for="model">"Model"</label>
                        <ModelSelect models model/>
                    </div>
                </div>
                <div class="field">
                    <label class="field-label" for="title">"Title "<span class="muted">"(optional)"</span></label>
                    <input id="title" name="title" data-testid="title-input" maxlength="200"
                        prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label class="checkbox-label">
                        <input type="checkbox" id="private" name="private" data-testid="private-input"
                            prop:checked=move || private.get()
                            on:change=move |ev| private.set(event_target_checked(&ev))/>
                        " Private: only you and admins can see it"
                    </label>
                </div>
                <PromptBox text on_submit=submit label="Prompt" rows=6
                    placeholder="What should the agent do? For example: Create hello.txt that says hi">
                    <button type="submit" class="btn btn-primary" data-testid="start-session" disabled=move || busy.get()>
                        {move || if busy.get() { "Starting…" } else { "Start session" }}
                    </button>
                </PromptBox>
                <MaybeError error=error.into()/>
                {move || created.get().map(|(_, s)| view! {
                    <p class="muted small" data-testid="created-note">
                        "The session was created; fix the prompt and send again, or "
                        <a href=format!("/sessions/{}", s.id)>"open the session"</a>"."
                    </p>
                })}
            </form>
        </section>
    }
}

/// The models from configuration; a test model says so, next to the choice and in its name.
/// The choice starts on `model`, or on the default model while `model` is empty.
#[component]
pub(super) fn ModelSelect(models: RwSignal<Load<ModelList>>, model: RwSignal<String>) -> impl IntoView {
    let selected_is_test = move || {
        models.with(|m| {
            m.ready().is_some_and(|list| {
                let id = model.with(|id| if id.is_empty() { list.default_model.clone() } else { id.clone() });
                list.models.iter().any(|m| m.id == id && m.test_model)
            })
        })
    };
    view! {
        {move || match models.get() {
            Load::Loading => view! { <select id="model" disabled><option>"Loading models…"</option></select> }.into_any(),
            Load::Failed(error) => view! { <ErrorBanner error/> }.into_any(),
            Load::Ready(list) => {
                let chosen = model.get_untracked();
                let default = if chosen.is_empty() { list.default_model.clone() } else { chosen };
                view! {
                    <select id="model" name="model" data-testid="model-select"
                        on:change=move |ev| model.set(event_target_value(&ev))>
                        {list.models.into_iter().map(|m| {
                            let label = if m.test_model { format!("{} (test model)", m.id) } else { m.id.clone() };
                            let selected = m.id == default;
                            view! { <option value=m.id.clone() selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                }.into_any()
            }
        }}
        <Show when=selected_is_test>
            <p class="field-help" data-testid="test-model-note">
                <span class="badge badge-warn">"Test model"</span>
                " Scripted replies for trying Open Inspect out; it does no real work."
            </p>
        </Show>
    }
}
