//! The scope's secrets: name, masked value, size and last change, with Replace and Delete
//! (Delete asks first, in the row).

use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::secrets::SecretInfo;
use wasm_bindgen::JsCast;

use super::{SecretsState, Status};
use crate::model::format;
use crate::model::load::Load;
use crate::model::secrets;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading};

/// Moves focus to an element by id (after Replace, to the value field).
pub(super) fn focus(id: &str) {
    if let Some(el) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// Moves focus to a button of a secret's row once it is drawn.
fn focus_in_row(name: String, testid: &'static str) {
    request_animation_frame(move || {
        let selector = format!("tr[data-secret=\"{name}\"] [data-testid=\"{testid}\"]");
        if let Some(el) =
            document().query_selector(&selector).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

#[component]
pub(super) fn SecretTable(state: SecretsState) -> impl IntoView {
    // The row whose Delete waits for a confirmation.
    let confirming = RwSignal::new(None::<String>);
    view! {
        {move || match state.list.get() {
            Load::Loading => view! { <Loading label="Loading secrets…"/> }.into_any(),
            Load::Failed(error) => {
                view! { <ErrorBanner error retry=Callback::new(move |_| state.reload(true))/> }.into_any()
            }
            Load::Ready(list) => {
                let usage = secrets::usage(&list);
                let now = js_sys::Date::now() as i64;
                view! {
                    <p class="small muted" data-testid="secret-usage">{usage}</p>
                    {if list.secrets.is_empty() {
                        view! { <p class="muted" data-testid="secret-empty">"No secrets in this scope yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="table secrets-table" data-testid="secret-list">
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Value"</th>
                                        <th scope="col">"Size"</th>
                                        <th scope="col">"Last changed"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.secrets.into_iter().map(|info| view! { <Row state info now confirming/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                }.into_any()
            }
        }}
    }
}

#[component]
fn Row(state: SecretsState, info: SecretInfo, now: i64, confirming: RwSignal<Option<String>>) -> impl IntoView {
    let name = StoredValue::new(info.name.clone());
    let asking = move || confirming.with(|c| name.with_value(|n| c.as_deref() == Some(n)));
    let replace = move |_| {
        state.name.set(name.get_value());
        confirming.set(None);
        focus("secret-value");
    };
    let delete = move |_| {
        // The row's own scope: the one shown, whatever the fields say meanwhile.
        let Some(scope) = state.scope.get_untracked() else { return };
        let name = name.get_value();
        confirming.set(None);
        state.busy.set(true);
        state.status.set(Status::Working(format!("Deleting {name}…")));
        spawn_local(async move {
            let result = api::delete_secret(&scope, &name).await;
            state.busy.try_set(false);
            match result {
                Ok(()) => {
                    state.status.try_set(Status::Done(format!("Deleted {name}.")));
                    state.reload(false);
                }
                Err(e) => {
                    state.status.try_set(Status::Failed(e));
                }
            }
        });
    };
    view! {
        <tr data-testid="secret-row" data-secret=info.name.clone()>
            <td><code class="secret-name">{info.name.clone()}</code></td>
            <td>
                <span class="secret-mask" aria-hidden="true">{info.masked.clone()}</span>
                <span class="sr-only">"hidden"</span>
            </td>
            <td class="nowrap">{secrets::bytes(u64::from(info.size))}</td>
            <td class="small">
                {info.updated_by.clone()}" · "
                <span title=format::date(info.updated_at)>{format::relative_time(now, info.updated_at)}</span>
            </td>
            <td class="row-buttons">
                {move || if asking() {
                    view! {
                        <span class="confirm" role="group" aria-label=name.with_value(|n| format!("Delete {n}?"))>
                            <span class="small">"Delete for good?"</span>
                            <button type="button" class="btn btn-small btn-danger" data-testid="secret-delete-confirm"
                                disabled=move || state.busy.get() on:click=delete>
                                "Delete"
                            </button>
                            <button type="button" class="btn btn-small" data-testid="secret-delete-cancel"
                                on:click=move |_| {
                                    confirming.set(None);
                                    focus_in_row(name.get_value(), "secret-delete");
                                }>
                                "Cancel"
                            </button>
                        </span>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn btn-small" data-testid="secret-replace"
                            aria-label=name.with_value(|n| format!("Replace {n}")) on:click=replace>
                            "Replace"
                        </button>
                        <button type="button" class="btn btn-small" data-testid="secret-delete"
                            aria-label=name.with_value(|n| format!("Delete {n}"))
                            on:click=move |_| {
                                confirming.set(Some(name.get_value()));
                                focus_in_row(name.get_value(), "secret-delete-cancel");
                            }>
                            "Delete"
                        </button>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}
