//! Settings › Integrations (admins only): each integration on or off, its settings, its
//! credentials (write-only: set or not, and a field to replace one) and the deliveries its
//! vendor made recently. Integrations not built in this version are listed as such.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use oi_protocol::integrations::{Delivery, DeliveryList, Integration, IntegrationList};
use oi_protocol::ApiError;

use crate::model::format;
use crate::model::integrations::{
    description, is_no_change, outcome_label, secret_state, title, FieldKind, IntegrationForm,
};
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading, MaybeError};

#[component]
pub fn Integrations() -> impl IntoView {
    let list = RwSignal::new(Load::<IntegrationList>::Loading);
    let fetch = move || {
        list.set(Load::Loading);
        spawn_local(async move { list.set(Load::from_result(api::integrations().await)) });
    };
    fetch();
    view! {
        <section class="card" id="integrations" aria-labelledby="integrations-title">
            <h2 id="integrations-title">"Integrations"</h2>
            <p class="muted small">
                "Services that start sessions. Credentials are write-only: once saved, no one can read them here, \
                 only replace or remove them."
            </p>
            {move || match list.get() {
                Load::Loading => view! { <Loading label="Loading integrations…"/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error retry=Callback::new(move |_| fetch())/> }.into_any(),
                Load::Ready(list) => list
                    .integrations
                    .into_iter()
                    .map(|integration| view! { <IntegrationCard integration/> })
                    .collect_view()
                    .into_any(),
            }}
        </section>
    }
}

#[component]
fn IntegrationCard(integration: Integration) -> impl IntoView {
    let name = integration.name;
    let key = name.as_str();
    if !integration.available {
        return view! {
            <div class="integration" data-testid="integration" data-integration=key data-available="false">
                <h3>{title(name)}" "<span class="badge badge-neutral">"Not in this version"</span></h3>
                <p class="muted small">{description(name)}</p>
            </div>
        }
        .into_any();
    }
    let hook = format!("{}{}", window().location().origin().unwrap_or_default(), integration.webhook_path);
    let original = RwSignal::new(integration.clone());
    let form = RwSignal::new(IntegrationForm::from_integration(&integration));
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let deliveries = RwSignal::new(Load::<DeliveryList>::Loading);
    let load_deliveries = move || {
        spawn_local(async move {
            let result = api::integration_deliveries(name).await;
            deliveries.try_set(Load::from_result(result));
        })
    };
    load_deliveries();

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        saved.set(false);
        error.set(None);
        let req = match form.with_untracked(|f| original.with_untracked(|o| f.update(o))) {
            Ok(req) => req,
            Err(e) => return error.set(Some(e)),
        };
        if is_no_change(&req) {
            saved.set(true);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::update_integration(name, &req).await {
                Ok(updated) => {
                    // The fields start again from what the server kept; the values typed are gone.
                    form.try_set(IntegrationForm::from_integration(&updated));
                    original.try_set(updated);
                    saved.try_set(true);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let id = move |what: &str| format!("integration-{key}-{what}");
    let now = js_sys::Date::now() as i64;
    view! {
        <div class="integration" data-testid="integration" data-integration=key data-available="true">
            <h3>{title(name)}</h3>
            <p class="muted small">{description(name)}" Deliveries go to "<code data-testid="integration-webhook-url">{hook}</code>"."</p>
            <form class="form" data-testid="integration-form" on:submit=save>
                <label class="checkbox-label">
                    <input type="checkbox" id=id("enabled") data-testid="integration-enabled"
                        prop:checked=move || form.with(|f| f.enabled)
                        on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))/>
                    " On (while off, its deliveries are refused)"
                </label>
                {move || (form.with(|f| f.fields.len()) > 0).then(|| view! { <h4 class="small">"Settings"</h4> })}
                <For each=move || 0..form.with(|f| f.fields.len()) key=move |i| form.with_untracked(|f| f.fields.get(*i).map(|f| f.key.clone())) let:i>
                    <SettingField form i prefix=key/>
                </For>
                <div class="field-row">
                    <div class="field">
                        <label class="field-label small" for=id("new-key")>"Add a setting"</label>
                        <input id=id("new-key") data-testid="integration-new-key" placeholder="key" autocomplete="off" spellcheck="false"
                            prop:value=move || form.with(|f| f.new_key.clone())
                            on:input=move |ev| form.update(|f| f.new_key = event_target_value(&ev))/>
                    </div>
                    <div class="field">
                        <label class="field-label small" for=id("new-value")>"Its value"</label>
                        <input id=id("new-value") data-testid="integration-new-value" autocomplete="off" spellcheck="false"
                            prop:value=move || form.with(|f| f.new_value.clone())
                            on:input=move |ev| form.update(|f| f.new_value = event_target_value(&ev))/>
                    </div>
                </div>
                <h4 class="small">"Credentials"</h4>
                <For each=move || 0..form.with(|f| f.secrets.len()) key=move |i| form.with_untracked(|f| f.secrets.get(*i).map(|s| (s.name.clone(), s.set))) let:i>
                    <SecretField form i prefix=key now/>
                </For>
                <MaybeError error=error.into()/>
                <div class="form-actions">
                    <Show when=move || saved.get()>
                        <span class="saved" role="status" data-testid="integration-saved">"Saved"</span>
                    </Show>
                    <button type="submit" class="btn btn-primary" data-testid="integration-save" disabled=move || busy.get()>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
            <h4 class="small">"Recent deliveries"</h4>
            {move || match deliveries.get() {
                Load::Loading => view! { <Loading label="Loading deliveries…"/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error retry=Callback::new(move |_| load_deliveries())/> }.into_any(),
                Load::Ready(list) if list.deliveries.is_empty() => {
                    view! { <p class="muted small" data-testid="deliveries-empty">"None in the last 7 days."</p> }.into_any()
                }
                Load::Ready(list) => view! { <Deliveries deliveries=list.deliveries/> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

#[component]
fn SettingField(form: RwSignal<IntegrationForm>, i: usize, prefix: &'static str) -> impl IntoView {
    let Some(field) = form.with_untracked(|f| f.fields.get(i).cloned()) else {
        return ().into_any();
    };
    let id = format!("integration-{prefix}-setting-{}", field.key);
    let key = field.key.clone();
    if field.kind == FieldKind::Flag {
        return view! {
            <label class="checkbox-label">
                <input type="checkbox" id=id data-testid="integration-setting" data-key=key.clone()
                    prop:checked=move || form.with(|f| f.fields.get(i).is_some_and(|f| f.flag))
                    on:change=move |ev| form.update(|f| if let Some(field) = f.fields.get_mut(i) { field.flag = event_target_checked(&ev) })/>
                " "<code>{key}</code>
            </label>
        }
        .into_any();
    }
    let hint = match field.kind {
        FieldKind::List => "separated by commas",
        FieldKind::Number => "a number",
        FieldKind::Json => "JSON",
        _ => "",
    };
    view! {
        <div class="field">
            <label class="field-label small" for=id.clone()><code>{key.clone()}</code>" "<span class="muted">{hint}</span></label>
            <input id=id data-testid="integration-setting" data-key=key autocomplete="off" spellcheck="false"
                prop:value=move || form.with(|f| f.fields.get(i).map(|f| f.text.clone()).unwrap_or_default())
                on:input=move |ev| form.update(|f| if let Some(field) = f.fields.get_mut(i) { field.text = event_target_value(&ev) })/>
        </div>
    }
    .into_any()
}

#[component]
fn SecretField(form: RwSignal<IntegrationForm>, i: usize, prefix: &'static str, now: i64) -> impl IntoView {
    let Some(secret) = form.with_untracked(|f| f.secrets.get(i).cloned()) else {
        return ().into_any();
    };
    let id = format!("integration-{prefix}-secret-{}", secret.name);
    let state = secret_state(secret.set, secret.updated_at, now);
    view! {
        <div class="field" data-testid="integration-secret" data-secret=secret.name.clone() data-set=secret.set.to_string()>
            <label class="field-label small" for=id.clone()>
                <code>{secret.name.clone()}</code>" "<span class="muted" data-testid="integration-secret-state">{state}</span>
            </label>
            <input id=id type="password" data-testid="integration-secret-input" autocomplete="new-password" spellcheck="false"
                placeholder=if secret.set { "Replace the value" } else { "Set a value" }
                prop:value=move || form.with(|f| f.secrets.get(i).map(|s| s.replacement.clone()).unwrap_or_default())
                on:input=move |ev| form.update(|f| if let Some(s) = f.secrets.get_mut(i) { s.replacement = event_target_value(&ev) })/>
            {secret.set.then(|| view! {
                <label class="checkbox-label small">
                    <input type="checkbox" data-testid="integration-secret-remove"
                        prop:checked=move || form.with(|f| f.secrets.get(i).is_some_and(|s| s.remove))
                        on:change=move |ev| form.update(|f| if let Some(s) = f.secrets.get_mut(i) { s.remove = event_target_checked(&ev) })/>
                    " Remove it"
                </label>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn Deliveries(deliveries: Vec<Delivery>) -> impl IntoView {
    let now = js_sys::Date::now() as i64;
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="integration-deliveries">
                <thead><tr>
                    <th scope="col">"Received"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Why"</th>
                    <th scope="col"><span class="sr-only">"Session"</span></th>
                </tr></thead>
                <tbody>
                    {deliveries.into_iter().map(|d| {
                        let (label, tone) = outcome_label(d.outcome);
                        view! {
                            <tr data-testid="delivery-row" data-delivery-id=d.id.clone() data-outcome=d.outcome.as_str()>
                                <td class="small" title=format::date_time(d.received_at)>{format::relative_time(now, d.received_at)}</td>
                                <td><span class=format!("badge badge-{tone}")>{label}</span></td>
                                <td><code>{d.status}</code></td>
                                <td class="small">{d.reason.clone().unwrap_or_default()}</td>
                                <td>{d.session_id.clone().map(|sid| view! {
                                    <A href=format!("/sessions/{sid}") attr:data-testid="delivery-session">"Session"</A>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
