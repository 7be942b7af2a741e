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
    let ports = Memo::new(move |_| store.transcript.with(crate::model::previews::preview_ports));
    let preview_error = RwSignal::new(None::<String>);
    let open_preview = move |port: u16| {
        preview_error.set(None);
        // A window opened now, while the click counts, is not blocked; it gets the link after.
        let window = leptos::prelude::window().open_with_url_and_target("about:blank", "_blank").ok().flatten();
        leptos::task::spawn_local(async move {
            match crate::ui::api::preview_link(&store.id.get_value(), port).await {
                Ok(link) => match window {
                    Some(w) => {
                        let _ = w.location().set_href(&link.url);
                    }
                    None => {
                        let _ = leptos::prelude::window().location().set_href(&link.url);
                    }
                },
                Err(e) => {
                    if let Some(w) = window {
                        let _ = w.close();
                    }
                    preview_error.set(Some(e.message));
                }
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="sandbox-title">
            <h2 class="panel-title" id="sandbox-title">"Sandbox " {move || view! { <SandboxBadge status=status.get()/> }}</h2>
            <Show when=move || !ports.with(Vec::is_empty)>
                <p class="preview-links" data-testid="previews">
                    {move || ports.get().into_iter().map(|port| view! {
                        <button type="button" class="btn btn-small" data-testid="preview-open" data-port=port
                            on:click=move |_| open_preview(port)>
                            {crate::model::previews::label(port)}
                        </button>
                    }).collect_view()}
                </p>
            </Show>
            {move || preview_error.get().map(|e| view! {
                <p class="notice notice-error" role="alert" data-testid="preview-error">{e}</p>
            })}
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
