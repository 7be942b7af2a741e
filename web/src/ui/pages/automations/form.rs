//! The automation form, new (`/automations/new`) and edit (`/automations/:id/edit`): name,
//! repository and branch (the new-session page's fields), model, prompt template, trigger and
//! its fields, callback URL, and for a new one whether it starts enabled. The server checks
//! the fields; its message is shown under the form, and the field it names is marked.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use oi_protocol::automations::Automation;
use oi_protocol::rest::ModelList;
use oi_protocol::ApiError;

use super::super::new_session::ModelSelect;
use super::super::new_session_repo::{BranchField, RepoField, RepoState};
use super::{fresh_secrets, page_origin};
use crate::model::automation_form::{field_of, is_no_change, AutomationForm, KeyChoice, TriggerChoice};
use crate::model::automations::{page_path, Reveal};
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading, MaybeError};

#[component]
pub fn NewAutomationPage() -> impl IntoView {
    crate::ui::set_title("New automation");
    view! {
        <section class="page narrow">
            <h1>"New automation"</h1>
            <AutomationFormView original=None/>
        </section>
    }
}

#[component]
pub fn EditAutomationPage() -> impl IntoView {
    crate::ui::set_title("Edit automation");
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let load = RwSignal::new(Load::<Automation>::Loading);
    Effect::new(move |_| {
        let id = id.get();
        load.set(Load::Loading);
        spawn_local(async move { load.set(Load::from_result(api::automation(&id).await)) });
    });
    view! {
        <section class="page narrow">
            {move || match load.get() {
                Load::Loading => view! { <Loading label="Loading the automation…"/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error/> }.into_any(),
                Load::Ready(automation) => view! {
                    <h1>"Edit "{automation.name.clone()}</h1>
                    <AutomationFormView original=Some(automation)/>
                }
                .into_any(),
            }}
        </section>
    }
}

/// The field's value and its input handler, bound to one field of the form.
fn bind(
    form: RwSignal<AutomationForm>,
    get: fn(&AutomationForm) -> &String,
    set: fn(&mut AutomationForm, String),
) -> (impl Fn() -> String + Copy, impl Fn(leptos::ev::Event) + Copy) {
    (move || form.with(|f| get(f).clone()), move |ev| form.update(|f| set(f, event_target_value(&ev))))
}

#[component]
fn AutomationFormView(original: Option<Automation>) -> impl IntoView {
    let editing = original.is_some();
    let start = original.as_ref().map(AutomationForm::from_automation).unwrap_or_default();
    let repo = match &original {
        Some(a) => RepoState::chosen(a.repo.clone(), a.branch.clone()),
        None => RepoState::new(None),
    };
    let models = RwSignal::new(Load::<ModelList>::Loading);
    spawn_local(async move { models.set(Load::from_result(api::models().await)) });
    let model = RwSignal::new(start.model.clone());
    let form = RwSignal::new(start);
    let original = StoredValue::new(original);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let fresh = fresh_secrets();

    // The field the error names, marked invalid.
    let invalid = move |field: &'static str| {
        move || error.with(|e| e.as_ref().and_then(|e| field_of(&e.message)) == Some(field)).to_string()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let fields = AutomationForm {
            repo: repo.form().repo().unwrap_or_default(),
            branch: repo.branch.get_untracked(),
            model: model.get_untracked(),
            ..form.get_untracked()
        };
        let navigate = navigate.clone();
        let original = original.get_value();
        error.set(None);
        match original {
            None => {
                let req = match fields.create() {
                    Ok(req) => req,
                    Err(e) => return error.set(Some(e)),
                };
                busy.set(true);
                spawn_local(async move {
                    match api::create_automation(&req).await {
                        Ok(created) => {
                            let id = created.automation.id.clone();
                            fresh.update(|f| f.put(&id, Reveal::new(&created, &page_origin())));
                            navigate(&page_path(&id), NavigateOptions::default());
                        }
                        Err(e) => error.set(Some(e)),
                    }
                    busy.try_set(false);
                });
            }
            Some(original) => {
                let req = match fields.update(&original) {
                    Ok(req) => req,
                    Err(e) => return error.set(Some(e)),
                };
                if is_no_change(&req) {
                    return navigate(&page_path(&original.id), NavigateOptions::default());
                }
                busy.set(true);
                spawn_local(async move {
                    match api::update_automation(&original.id, &req).await {
                        Ok(saved) => navigate(&page_path(&saved.id), NavigateOptions::default()),
                        Err(e) => error.set(Some(e)),
                    }
                    busy.try_set(false);
                });
            }
        }
    };

    let (name, on_name) = bind(form, |f| &f.name, |f, v| f.name = v);
    let (prompt, on_prompt) = bind(form, |f| &f.prompt, |f, v| f.prompt = v);
    let (callback, on_callback) = bind(form, |f| &f.callback_url, |f, v| f.callback_url = v);
    // A memo: typing in a field does not draw the trigger's fields again (and lose the focus).
    let trigger = Memo::new(move |_| form.with(|f| f.trigger));
    let on_trigger = move |ev| {
        let choice = TriggerChoice::from_value(&event_target_value(&ev));
        if trigger.get_untracked() != choice {
            form.update(|f| f.trigger = choice);
        }
    };
    view! {
        <form class="form" data-testid="automation-form" on:submit=submit novalidate>
            <div class="field">
                <label class="field-label" for="automation-name">"Name"</label>
                <input id="automation-name" name="name" data-testid="automation-name-input" maxlength="100"
                    aria-invalid=invalid("name") prop:value=name on:input=on_name/>
            </div>
            <RepoField state=repo/>
            <div class="field-row">
                <BranchField state=repo/>
                <div class="field">
                    <label class="field-label" for="model">"Model"</label>
                    <ModelSelect models model/>
                </div>
            </div>
            <div class="field">
                <label class="field-label" for="automation-prompt">"Prompt"</label>
                <textarea id="automation-prompt" name="prompt" data-testid="automation-prompt-input" rows="6"
                    aria-describedby="automation-prompt-help" aria-invalid=invalid("prompt")
                    placeholder="Update the dependencies and open a pull request"
                    prop:value=prompt on:input=on_prompt></textarea>
                <p class="field-help" id="automation-prompt-help">
                    "Sent at every run. {{name}} is a variable: a webhook's own, sentry.* for a Sentry issue, \
                     run.* for every run."
                </p>
            </div>
            <fieldset class="fieldset">
                <legend class="field-label">"Trigger"</legend>
                <div class="field">
                    <label class="sr-only" for="automation-trigger">"What starts a run"</label>
                    <select id="automation-trigger" name="trigger" data-testid="trigger-select"
                        on:input=on_trigger on:change=on_trigger>
                        {TriggerChoice::ALL.into_iter().map(|c| view! {
                            <option value=c.value() prop:selected=move || trigger.get() == c>{c.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                {move || match trigger.get() {
                    TriggerChoice::Schedule => view! { <ScheduleFields form invalid=Callback::new(move |f| invalid(f)())/> }.into_any(),
                    TriggerChoice::Webhook => view! { <WebhookFields form invalid=Callback::new(move |f| invalid(f)())/> }.into_any(),
                    TriggerChoice::Sentry => view! { <SentryFields form/> }.into_any(),
                }}
            </fieldset>
            <div class="field">
                <label class="field-label" for="automation-callback">"Callback URL "<span class="muted">"(optional)"</span></label>
                <input id="automation-callback" name="callback_url" data-testid="callback-input" type="url"
                    placeholder="https://example.com/hooks/open-inspect" aria-describedby="automation-callback-help"
                    aria-invalid=invalid("callback_url") prop:value=callback on:input=on_callback/>
                <p class="field-help" id="automation-callback-help">
                    "Told when a run's prompt finishes or fails and when its pull request opens or merges, signed with \
                     the automation's secret."
                </p>
            </div>
            {(!editing).then(|| view! {
                <div class="field">
                    <label class="checkbox-label">
                        <input type="checkbox" id="automation-enabled" data-testid="enabled-input"
                            prop:checked=move || form.with(|f| f.enabled)
                            on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))/>
                        " Enabled: runs start on their own (paused, only Run now starts one)"
                    </label>
                </div>
            })}
            <MaybeError error=error.into()/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" data-testid="save-automation" disabled=move || busy.get()>
                    {move || match (busy.get(), editing) {
                        (true, _) => "Saving…",
                        (false, true) => "Save changes",
                        (false, false) => "Create automation",
                    }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn ScheduleFields(form: RwSignal<AutomationForm>, invalid: Callback<&'static str, String>) -> impl IntoView {
    let (cron, on_cron) = bind(form, |f| &f.cron, |f, v| f.cron = v);
    let (timezone, on_timezone) = bind(form, |f| &f.timezone, |f, v| f.timezone = v);
    view! {
        <div class="field-row">
            <div class="field">
                <label class="field-label" for="automation-cron">"Cron expression"</label>
                <input id="automation-cron" name="cron" data-testid="cron-input" autocomplete="off" spellcheck="false"
                    placeholder="0 9 * * *" aria-describedby="automation-cron-help"
                    aria-invalid=move || invalid.run("trigger.cron") prop:value=cron on:input=on_cron/>
                <p class="field-help" id="automation-cron-help">
                    "minute hour day-of-month month day-of-week; at most one run every 15 minutes"
                </p>
            </div>
            <div class="field">
                <label class="field-label" for="automation-timezone">"Time zone"</label>
                <input id="automation-timezone" name="timezone" data-testid="timezone-input" autocomplete="off"
                    spellcheck="false" placeholder="UTC" aria-describedby="automation-timezone-help"
                    aria-invalid=move || invalid.run("trigger.timezone") prop:value=timezone on:input=on_timezone/>
                <p class="field-help" id="automation-timezone-help">"An IANA name: UTC, Europe/Paris, America/New_York"</p>
            </div>
        </div>
    }
}

#[component]
fn WebhookFields(form: RwSignal<AutomationForm>, invalid: Callback<&'static str, String>) -> impl IntoView {
    let (filter, on_filter) = bind(form, |f| &f.filter, |f, v| f.filter = v);
    let (variables, on_variables) = bind(form, |f| &f.variables, |f, v| f.variables = v);
    let (key, on_key) = bind(form, |f| &f.key, |f, v| f.key = v);
    let key_choice = Memo::new(move |_| form.with(|f| f.key_choice));
    let on_key_choice = move |ev| {
        let choice = KeyChoice::from_value(&event_target_value(&ev));
        if key_choice.get_untracked() != choice {
            form.update(|f| f.key_choice = choice);
        }
    };
    view! {
        <p class="field-help">"The webhook URL and its secret are shown once the automation is saved."</p>
        <div class="field">
            <label class="field-label" for="automation-filter">"Filter "<span class="muted">"(optional JSONPath)"</span></label>
            <input id="automation-filter" name="filter" data-testid="filter-input" autocomplete="off" spellcheck="false"
                placeholder="$[?(@.action == 'opened')]" aria-describedby="automation-filter-help"
                aria-invalid=move || invalid.run("trigger.filter") prop:value=filter on:input=on_filter/>
            <p class="field-help" id="automation-filter-help">"A delivery starts a run only when this selects something."</p>
        </div>
        <div class="field">
            <label class="field-label" for="automation-variables">"Variables "<span class="muted">"(optional)"</span></label>
            <textarea id="automation-variables" name="variables" data-testid="variables-input" rows="3" spellcheck="false"
                placeholder="title=$.pull_request.title\nrepo=$.repository.full_name" aria-describedby="automation-variables-help"
                aria-invalid=move || invalid.run("trigger.variables") prop:value=variables on:input=on_variables></textarea>
            <p class="field-help" id="automation-variables-help">"One name=JSONPath per line; the prompt uses them as {{name}}."</p>
        </div>
        <div class="field-row">
            <div class="field">
                <label class="field-label" for="automation-key-kind">"Idempotency key"</label>
                <select id="automation-key-kind" data-testid="key-kind-select" on:input=on_key_choice on:change=on_key_choice>
                    {KeyChoice::ALL.into_iter().map(|c| view! {
                        <option value=c.value() prop:selected=move || key_choice.get() == c>{c.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <Show when=move || key_choice.get() != KeyChoice::None>
                <div class="field">
                    <label class="field-label" for="automation-key">
                        {move || if key_choice.get() == KeyChoice::Header { "Header name" } else { "JSONPath" }}
                    </label>
                    <input id="automation-key" data-testid="key-input" autocomplete="off" spellcheck="false"
                        placeholder=move || if key_choice.get() == KeyChoice::Header { "X-Delivery-Id" } else { "$.id" }
                        aria-invalid=move || invalid.run("trigger.idempotency_key") prop:value=key on:input=on_key/>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn SentryFields(form: RwSignal<AutomationForm>) -> impl IntoView {
    let (projects, on_projects) = bind(form, |f| &f.projects, |f, v| f.projects = v);
    view! {
        <div class="field">
            <label class="field-label" for="automation-projects">"Sentry projects"</label>
            <input id="automation-projects" name="projects" data-testid="projects-input" autocomplete="off"
                spellcheck="false" placeholder="web, api" aria-describedby="automation-projects-help"
                prop:value=projects on:input=on_projects/>
            <p class="field-help" id="automation-projects-help">
                "Project slugs, separated by commas; empty: any project. Needs the Sentry integration (Settings). \
                 One session per issue: a later event on it is a follow-up prompt there."
            </p>
        </div>
    }
}
