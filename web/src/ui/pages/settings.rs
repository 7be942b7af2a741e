//! Settings: who you are (in local mode, a name of your choosing for this browser), the
//! models configured for this deployment and the secrets sandboxes receive
//! ([`super::settings_secrets`]), and for admins the integrations
//! ([`super::settings_integrations`]).

use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::rest::ModelList;
use oi_protocol::{ApiError, Role};

use super::settings_integrations::Integrations;
use super::settings_secrets::Secrets;
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::components::feedback::{ErrorBanner, Loading, MaybeError};
use crate::ui::identity::use_identity;

#[component]
pub fn SettingsPage() -> impl IntoView {
    crate::ui::set_title("Settings");
    let identity = use_identity();
    let admin = Memo::new(move |_| identity.me.with(|m| m.ready().is_some_and(|m| m.role == Role::Admin)));
    view! {
        <section class="page narrow">
            <h1>"Settings"</h1>
            <Profile/>
            <Models/>
            <Secrets/>
            <Show when=move || admin.get()>
                <Integrations/>
            </Show>
        </section>
    }
}

#[component]
fn Profile() -> impl IntoView {
    let identity = use_identity();
    let name = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // Start the field from the current name once it is known.
    Effect::new(move |_| {
        if let Some(me) = identity.me.with(|m| m.ready().map(|m| m.user.name.clone())) {
            if name.get_untracked().is_empty() {
                name.set(me);
            }
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = name.get_untracked();
        saving.set(true);
        saved.set(false);
        error.set(None);
        spawn_local(async move {
            match api::choose_name(&chosen).await {
                Ok(me) => {
                    identity.me.set(Load::Ready(me));
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            saving.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">"You"</h2>
            {move || match identity.me.get() {
                Load::Loading => view! { <Loading label="Loading who you are…"/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error/> }.into_any(),
                Load::Ready(me) if me.local_mode => view! {
                    <form class="form" data-testid="name-form" on:submit=save>
                        <p class="muted small">
                            "Local mode: pick the name this browser acts as. Prompts and commits are attributed to it, \
                             so several people can share sessions on one machine."
                        </p>
                        <div class="field">
                            <label class="field-label" for="name">"Your name"</label>
                            <input id="name" name="name" data-testid="name-input" maxlength="60" required autocomplete="name"
                                prop:value=move || name.get() on:input=move |ev| { name.set(event_target_value(&ev)); saved.set(false); }/>
                            <p class="small muted">"Signed in as "<strong>{me.user.name.clone()}</strong>" <"{me.user.email.clone()}">"</p>
                        </div>
                        <MaybeError error=error.into()/>
                        <div class="form-actions">
                            <Show when=move || saved.get()>
                                <span class="saved" role="status" data-testid="name-saved">"Saved"</span>
                            </Show>
                            <button type="submit" class="btn btn-primary" data-testid="save-name" disabled=move || saving.get()>
                                {move || if saving.get() { "Saving…" } else { "Save" }}
                            </button>
                        </div>
                    </form>
                }.into_any(),
                Load::Ready(me) => view! {
                    <p data-testid="signed-in-as">"Signed in with GitHub as "<strong>{me.user.name}</strong>" <"{me.user.email}">"</p>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Models() -> impl IntoView {
    let models = RwSignal::new(Load::<ModelList>::Loading);
    let fetch = move || {
        models.set(Load::Loading);
        spawn_local(async move { models.set(Load::from_result(api::models().await)) });
    };
    fetch();
    view! {
        <section class="card" aria-labelledby="models-title">
            <h2 id="models-title">"Models"</h2>
            <p class="muted small">"From this deployment's configuration. New sessions use the default unless you pick another."</p>
            {move || match models.get() {
                Load::Loading => view! { <Loading label="Loading models…"/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error retry=Callback::new(move |_| fetch())/> }.into_any(),
                Load::Ready(list) => view! {
                    <table class="table" data-testid="model-list">
                        <thead><tr><th scope="col">"Model"</th><th scope="col">"Provider"</th><th scope="col"><span class="sr-only">"Notes"</span></th></tr></thead>
                        <tbody>
                            {list.models.iter().map(|m| {
                                let default = m.id == list.default_model;
                                view! {
                                    <tr data-testid="model-row" data-model=m.id.clone()>
                                        <td><code>{m.id.clone()}</code></td>
                                        <td>{m.provider.clone()}</td>
                                        <td>
                                            {default.then(|| view! { <span class="badge badge-ok">"Default"</span>" " })}
                                            {m.test_model.then(|| view! { <span class="badge badge-warn" data-testid="test-model-badge">"Test model"</span> })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
