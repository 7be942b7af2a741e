//! Setting one secret (new or replacing a value) and importing a `.env` file. The value fields
//! start empty, are never filled from anything, and are cleared once the server has the value.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::list::focus;
use super::{SecretsState, Status};
use crate::model::secrets;
use crate::ui::api;

#[component]
pub(super) fn SetSecret(state: SecretsState) -> impl IntoView {
    let value = RwSignal::new(String::new());
    // A textarea for certificates and keys; a password field otherwise.
    let multiline = RwSignal::new(false);
    let name_problem = move || {
        state.name.with(|n| {
            let n = n.trim();
            if n.is_empty() {
                None
            } else {
                secrets::check_name(n).err()
            }
        })
    };
    let size = move || value.with(|v| secrets::value_size(v));
    let replacing = move || {
        state
            .name
            .with(|n| state.list.with(|l| l.ready().is_some_and(|l| l.secrets.iter().any(|s| s.name == n.trim()))))
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if state.busy.get_untracked() {
            return;
        }
        let name = state.name.get_untracked().trim().to_string();
        let secret = value.get_untracked();
        if let Err(message) = secrets::check_name(&name) {
            state.fail(message);
            focus("secret-name");
            return;
        }
        if let Err(message) = secrets::check_value(&secret) {
            state.fail(message);
            focus("secret-value");
            return;
        }
        let Some(scope) = state.target() else { return };
        let known = state.has(&name);
        state.busy.set(true);
        state.status.set(Status::Working(format!("Saving {name}…")));
        spawn_local(async move {
            let result = api::put_secret(&scope, &name, secret).await;
            state.busy.try_set(false);
            match result {
                Ok(info) => {
                    value.try_set(String::new());
                    state.name.try_set(String::new());
                    let replaced = known || info.created_at != info.updated_at;
                    state.status.try_set(Status::Done(secrets::saved_message(&info.name, replaced)));
                    state.reload(false);
                }
                Err(e) => {
                    state.status.try_set(Status::Failed(e));
                }
            }
        });
    };
    let on_value = move |ev| value.set(event_target_value(&ev));
    view! {
        <form class="form secret-form" data-testid="secret-form" on:submit=save>
            <h3>"Add or replace a secret"</h3>
            <div class="field">
                <label class="field-label" for="secret-name">"Name"</label>
                <input id="secret-name" name="secret-name" autocomplete="off" spellcheck="false" maxlength="128"
                    placeholder="DATABASE_URL" aria-describedby="secret-name-help"
                    aria-invalid=move || name_problem().is_some().to_string()
                    prop:value=move || state.name.get() on:input=move |ev| state.name.set(event_target_value(&ev))/>
                <p class="field-help" id="secret-name-help">
                    {move || match name_problem() {
                        Some(problem) => view! { <span class="over">{problem}</span> }.into_any(),
                        None if replacing() => view! {
                            <span>"This scope has a secret of this name: saving replaces its value."</span>
                        }.into_any(),
                        None => view! { <span>"Letters, digits and _, not starting with a digit."</span> }.into_any(),
                    }}
                </p>
            </div>
            <div class="field">
                <label class="field-label" for="secret-value">"Value"</label>
                {move || if multiline.get() {
                    view! {
                        <textarea id="secret-value" name="secret-value" rows="5" autocomplete="off" spellcheck="false"
                            aria-describedby="secret-value-help"
                            prop:value=move || value.get() on:input=on_value></textarea>
                    }.into_any()
                } else {
                    view! {
                        <input id="secret-value" name="secret-value" type="password" autocomplete="off" spellcheck="false"
                            aria-describedby="secret-value-help"
                            prop:value=move || value.get() on:input=on_value/>
                    }.into_any()
                }}
                <p class="field-help" id="secret-value-help">
                    <span>"Write-only: it cannot be shown again once saved."</span>
                    <span class:over=move || size().1>{move || size().0}</span>
                </p>
                <label class="checkbox-label small">
                    <input type="checkbox" id="secret-multiline" prop:checked=move || multiline.get()
                        on:change=move |ev| multiline.set(event_target_checked(&ev))/>
                    " Several lines (a key or certificate; shown while you type)"
                </label>
            </div>
            <div class="form-actions">
                <button type="submit" id="secret-save" class="btn btn-primary" disabled=move || state.busy.get()>
                    {move || if replacing() { "Replace value" } else { "Save secret" }}
                </button>
            </div>
        </form>
    }
}

#[component]
pub(super) fn ImportSecrets(state: SecretsState) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let import = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if state.busy.get_untracked() {
            return;
        }
        let dotenv = text.get_untracked();
        if dotenv.trim().is_empty() {
            state.fail("Paste the contents of a .env file first.");
            focus("secret-import");
            return;
        }
        let Some(scope) = state.target() else { return };
        state.busy.set(true);
        state.status.set(Status::Working("Importing…".to_string()));
        spawn_local(async move {
            let result = api::import_secrets(&scope, dotenv).await;
            state.busy.try_set(false);
            match result {
                Ok(result) => {
                    text.try_set(String::new());
                    state.status.try_set(Status::Done(secrets::import_message(&result)));
                    state.reload(false);
                }
                Err(e) => {
                    state.status.try_set(Status::Failed(e));
                }
            }
        });
    };
    view! {
        <form class="form secret-form" data-testid="secret-import-form" on:submit=import>
            <h3>"Import a .env file"</h3>
            <div class="field">
                <label class="field-label" for="secret-import">"Contents of the .env file"</label>
                <textarea id="secret-import" name="secret-import" rows="5" autocomplete="off" spellcheck="false"
                    placeholder="DATABASE_URL=postgres://…\nexport API_KEY=\"…\""
                    aria-describedby="secret-import-help"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <p class="field-help" id="secret-import-help">
                    "NAME=value lines; export prefixes, quotes and # comments are understood. All or nothing: \
                     if one line is refused, nothing is saved. Existing names are replaced."
                </p>
            </div>
            <div class="form-actions">
                <button type="submit" id="secret-import-save" class="btn" disabled=move || state.busy.get()>"Import"</button>
            </div>
        </form>
    }
}
