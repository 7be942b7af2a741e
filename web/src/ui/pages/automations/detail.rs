//! An automation's page (`/automations/:id`): its fields, Run now, Pause or Resume, Edit,
//! Delete (asked first), Rotate secret (webhooks), the secret shown once after creating or
//! rotating, and the run history ([`super::runs`]).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use oi_protocol::automations::{Automation, Trigger, TriggerKind};
use oi_protocol::ApiError;

use super::reveal::SecretReveal;
use super::runs::{RunHistory, RunsState};
use super::{fresh_secrets, page_origin};
use crate::model::automations::{self, webhook_url, Reveal};
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading, MaybeError};

#[component]
pub fn AutomationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || view! { <AutomationLoader id=id.get()/> }
}

#[component]
fn AutomationLoader(id: String) -> impl IntoView {
    crate::ui::set_title("Automation");
    let automation = RwSignal::new(Load::<Automation>::Loading);
    // The secret the new-automation form left for this page, shown once.
    let reveal = RwSignal::new(fresh_secrets().try_update(|f| f.take(&id)).flatten());
    let runs = RunsState::new(id.clone());
    // Quietly (the page polls): a failure keeps what is shown.
    let fetch = {
        let id = id.clone();
        move |quiet: bool| {
            let id = id.clone();
            spawn_local(async move {
                let result = api::automation(&id).await;
                if !(quiet && result.is_err()) {
                    automation.try_set(Load::from_result(result));
                }
            });
        }
    };
    fetch(false);
    runs.refresh();
    runs.poll(Callback::new(move |()| fetch(true)));
    let phase = Memo::new(move |_| match automation.get() {
        Load::Loading => 0,
        Load::Ready(_) => 1,
        Load::Failed(_) => 2,
    });
    view! {
        <section class="page narrow" data-testid="automation-page" data-automation-id=id>
            {move || match phase.get() {
                0 => view! { <Loading label="Loading the automation…"/> }.into_any(),
                2 => automation.get_untracked().error().cloned().map(|error| view! { <ErrorBanner error/> }).into_any(),
                _ => view! { <AutomationView automation reveal runs/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AutomationView(
    automation: RwSignal<Load<Automation>>,
    reveal: RwSignal<Option<Reveal>>,
    runs: RunsState,
) -> impl IntoView {
    let current = Memo::new(move |_| automation.with(|a| a.ready().cloned()));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let confirming = RwSignal::new(false);
    let navigate = use_navigate();
    let id = move || current.with_untracked(|a| a.as_ref().map(|a| a.id.clone()).unwrap_or_default());
    if let Some(a) = current.get_untracked() {
        crate::ui::set_title(&a.name);
    }

    // Pause or resume; the answer replaces the automation shown.
    let set_enabled = move |enable: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let id = id();
        spawn_local(async move {
            match api::set_automation_enabled(&id, enable).await {
                Ok(a) => {
                    automation.try_set(Load::Ready(a));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let run_now = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let id = id();
        spawn_local(async move {
            if let Err(e) = api::run_automation(&id).await {
                error.try_set(Some(e));
            }
            busy.try_set(false);
            runs.refresh();
        });
    };
    let rotate = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let id = id();
        spawn_local(async move {
            match api::rotate_automation_secret(&id).await {
                Ok(rotated) => {
                    reveal.try_set(Some(Reveal::new(&rotated, &page_origin())));
                    automation.try_set(Load::Ready(rotated.automation));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let delete = move |_| {
        busy.set(true);
        error.set(None);
        confirming.set(false);
        let id = id();
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_automation(&id).await {
                Ok(()) => navigate("/automations", NavigateOptions::default()),
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };

    let enabled = move || current.with(|a| a.as_ref().is_some_and(|a| a.enabled));
    let is_webhook = move || current.with(|a| a.as_ref().is_some_and(|a| a.trigger.kind() == TriggerKind::Webhook));
    view! {
        {move || current.get().map(|a| view! { <Header automation=a/> })}
        <div class="automation-actions" role="group" aria-label="Actions">
            <button type="button" class="btn btn-primary" data-testid="run-now" disabled=move || busy.get() on:click=run_now>
                "Run now"
            </button>
            {move || if enabled() {
                view! { <button type="button" class="btn" data-testid="automation-pause" disabled=move || busy.get() on:click=move |_| set_enabled(false)>"Pause"</button> }.into_any()
            } else {
                view! { <button type="button" class="btn" data-testid="automation-resume" disabled=move || busy.get() on:click=move |_| set_enabled(true)>"Resume"</button> }.into_any()
            }}
            <A href=move || format!("{}/edit", automations::page_path(&id())) attr:class="btn" attr:data-testid="automation-edit">"Edit"</A>
            <Show when=is_webhook>
                <button type="button" class="btn" data-testid="rotate-secret" disabled=move || busy.get() on:click=rotate>
                    "Rotate secret"
                </button>
            </Show>
            {move || if confirming.get() {
                view! {
                    <span class="confirm" role="group" aria-label="Delete this automation?">
                        <span class="small">"Delete it and stop its runs?"</span>
                        <button type="button" class="btn btn-small btn-danger" data-testid="automation-delete-confirm"
                            disabled=move || busy.get() on:click=delete.clone()>"Delete"</button>
                        <button type="button" class="btn btn-small" data-testid="automation-delete-cancel"
                            on:click=move |_| confirming.set(false)>"Keep"</button>
                    </span>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="btn btn-danger" data-testid="automation-delete"
                        disabled=move || busy.get() on:click=move |_| confirming.set(true)>"Delete"</button>
                }.into_any()
            }}
        </div>
        <MaybeError error=error.into()/>
        <SecretReveal reveal/>
        {move || current.get().map(|a| view! { <Facts automation=a/> })}
        <RunHistory runs/>
    }
}

#[component]
fn Header(automation: Automation) -> impl IntoView {
    let state = automations::state(&automation);
    view! {
        <div class="page-head">
            <div class="session-title-row">
                <h1 data-testid="automation-name">{automation.name.clone()}</h1>
                <span class=format!("badge badge-{}", state.tone) data-testid="automation-state" data-state=state.state>
                    {state.label}
                </span>
            </div>
            <A href="/automations" attr:class="small">"All automations"</A>
        </div>
        {state.reason.map(|r| view! { <p class="notice notice-warning" data-testid="paused-reason">{r}</p> })}
    }
}

#[component]
fn Facts(automation: Automation) -> impl IntoView {
    let now = js_sys::Date::now() as i64;
    let next = automations::next_run(&automation, now);
    let cron = match &automation.trigger {
        Trigger::Schedule { cron, .. } => Some(cron.clone()),
        _ => None,
    };
    let hook = automation.webhook_path.as_deref().map(|p| webhook_url(&page_origin(), p));
    view! {
        <section class="card" aria-labelledby="automation-facts-title">
            <h2 id="automation-facts-title">"Settings"</h2>
            <dl class="facts">
                <dt>"Trigger"</dt>
                <dd data-testid="automation-trigger">
                    {automations::trigger_summary(&automation.trigger)}
                    {cron.map(|c| view! { " "<code class="small">{c}</code> })}
                </dd>
                {next.map(|n| view! { <dt>"Next run"</dt><dd data-testid="automation-next-run">{n}</dd> })}
                {hook.map(|h| view! { <dt>"Webhook URL"</dt><dd><code data-testid="automation-webhook-url">{h}</code></dd> })}
                <dt>"Repository"</dt><dd><code>{automation.repo.clone()}</code>" · "<code>{automation.branch.clone()}</code></dd>
                <dt>"Model"</dt><dd>{automation.model.clone()}</dd>
                <dt>"Acts for"</dt><dd data-testid="automation-owner">{automation.owner.name.clone()}</dd>
                {automation.callback_url.clone().map(|u| view! { <dt>"Callback URL"</dt><dd><code>{u}</code></dd> })}
                {(automation.consecutive_failures > 0).then(|| view! {
                    <dt>"Failed runs in a row"</dt><dd>{automation.consecutive_failures}</dd>
                })}
            </dl>
            <h3>"Prompt"</h3>
            <pre class="prompt-template" data-testid="automation-prompt">{automation.prompt.clone()}</pre>
        </section>
    }
}
