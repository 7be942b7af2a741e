//! The prompt text area: Enter sends, Shift+Enter adds a newline; every key may tell the others
//! we are typing.

use leptos::prelude::*;
use web_sys::KeyboardEvent;

use crate::model::compose::{key_action, length_hint, KeyAction};

#[component]
pub fn PromptBox(
    /// The text, owned by the form around it.
    text: RwSignal<String>,
    /// Enter was pressed (without Shift).
    on_submit: Callback<()>,
    /// A key changed the text.
    #[prop(optional)]
    on_typing: Option<Callback<()>>,
    #[prop(into)] label: String,
    #[prop(into)] placeholder: String,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(default = 4)] rows: u32,
    /// Shown right under the box (the prompt's attached images).
    #[prop(optional, into)]
    under_box: Option<ViewFn>,
    /// The form's buttons, shown on the line under the box.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let hint = Memo::new(move |_| text.with(|t| length_hint(t)));
    let on_keydown = move |ev: KeyboardEvent| {
        if key_action(&ev.key(), ev.shift_key(), ev.is_composing()) == KeyAction::Send {
            ev.prevent_default();
            on_submit.run(());
        }
    };
    view! {
        <div class="prompt-box">
            <label class="field-label" for="prompt">{label}</label>
            <textarea
                id="prompt"
                name="prompt"
                data-testid="prompt-input"
                rows=rows
                placeholder=placeholder
                aria-describedby="prompt-help"
                prop:value=move || text.get()
                disabled=move || disabled.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    if let Some(cb) = on_typing {
                        cb.run(());
                    }
                }
                on:keydown=on_keydown
            ></textarea>
            {under_box.map(|v| v.run())}
            <div class="prompt-foot">
                <p class="field-help" id="prompt-help">
                    <span>"Enter sends · Shift+Enter adds a line"</span>
                    <span class:over=move || hint.get().1 data-testid="prompt-length">{move || hint.get().0}</span>
                </p>
                <div class="form-actions">{children.map(|c| c())}</div>
            </div>
        </div>
    }
}
