//! The sandbox: its status, notices, and the boot log (git, setup and start output).

use leptos::prelude::*;

use super::status::SandboxBadge;
use crate::model::timeline::{boot_log, notices};
use crate::ui::session_store::SessionStore;

#[component]
pub fn SandboxPanel(store: SessionStore) -> impl IntoView {
    let status = Memo::new(move |_| store.state.with(|s| s.as_ref().map(|s| s.sandbox.status).unwrap_or_default()));
    let log = Memo::new(move |_| store.transcript.with(boot_log));
    let notes = Memo::new(move |_| store.transcript.with(notices));
    view! {
        <section class="panel" aria-labelledby="sandbox-title">
            <h2 class="panel-title" id="sandbox-title">"Sandbox " {move || view! { <SandboxBadge status=status.get()/> }}</h2>
            <ul class="notices">
                {move || notes.get().into_iter().map(|n| view! {
                    <li class=format!("notice notice-{}", n.level) data-testid="notice">{n.message}</li>
                }).collect_view()}
            </ul>
            <details class="boot-log">
                <summary>{move || format!("Boot log ({} lines)", log.with(Vec::len))}</summary>
                <Show when=move || !log.with(Vec::is_empty) fallback=|| view! {
                    <p class="muted small">"No output yet. Setup and start scripts print here while the sandbox boots."</p>
                }>
                    <pre class="terminal" data-testid="boot-log"><code>
                        {move || log.get().into_iter().map(|l| view! {
                            <span class="log-source">{format!("[{}] ", l.source)}</span>{l.line}"\n"
                        }).collect_view()}
                    </code></pre>
                </Show>
            </details>
        </section>
    }
}
