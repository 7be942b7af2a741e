//! The secret (and the webhook URL) shown once: after creating an automation, and after
//! rotating its secret. "Done" hides it for good.

use leptos::prelude::*;

use crate::model::automations::{Reveal, SHOWN_ONCE};

#[component]
pub(super) fn SecretReveal(reveal: RwSignal<Option<Reveal>>) -> impl IntoView {
    move || {
        reveal.get().map(|shown| {
            view! {
                <section class="card reveal" data-testid="secret-reveal" aria-labelledby="reveal-title" role="status">
                    <h2 id="reveal-title">"The automation's secret"</h2>
                    <p class="small" data-testid="secret-once-note">{SHOWN_ONCE}</p>
                    {shown.webhook_url.map(|url| view! {
                        <div class="field">
                            <label class="field-label" for="reveal-webhook-url">"Webhook URL"</label>
                            <input id="reveal-webhook-url" data-testid="webhook-url" readonly value=url
                                on:focus=|ev| select_all(&ev)/>
                            <p class="field-help">
                                "POST JSON here, signed with the secret: X-OI-Signature-256: sha256=<hex HMAC-SHA256 \
                                 of the body>, or Authorization: Bearer <secret>."
                            </p>
                        </div>
                    })}
                    <div class="field">
                        <label class="field-label" for="reveal-secret">"Secret"</label>
                        <input id="reveal-secret" data-testid="secret-value" readonly value=shown.secret
                            autocomplete="off" spellcheck="false" on:focus=|ev| select_all(&ev)/>
                    </div>
                    <div class="form-actions">
                        <button type="button" class="btn" data-testid="secret-dismiss" on:click=move |_| reveal.set(None)>
                            "Done, I copied it"
                        </button>
                    </div>
                </section>
            }
        })
    }
}

/// Selects a read-only field's text on focus, ready to copy.
fn select_all(ev: &leptos::ev::FocusEvent) {
    use wasm_bindgen::JsCast;
    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
        input.select();
    }
}
