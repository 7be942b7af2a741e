//! Who changed which secret of the scope, and when (newest first; never a value).

use leptos::prelude::*;
use oi_protocol::secrets::SecretAuditEntry;

use super::SecretsState;
use crate::model::format;
use crate::model::load::Load;
use crate::model::secrets;
use crate::ui::components::feedback::{ErrorBanner, Loading};

#[component]
pub(super) fn AuditLog(state: SecretsState) -> impl IntoView {
    view! {
        <h3 id="secret-audit-title">"Audit log"</h3>
        {move || match state.audit.get() {
            Load::Loading => view! { <Loading label="Loading the audit log…"/> }.into_any(),
            Load::Failed(error) => view! { <ErrorBanner error/> }.into_any(),
            Load::Ready(log) => {
                let now = js_sys::Date::now() as i64;
                let empty = log.entries.is_empty();
                view! {
                    <ol id="secret-audit" class="audit-list" aria-labelledby="secret-audit-title">
                        {log.entries.into_iter().map(|entry| view! { <Entry entry now/> }).collect_view()}
                    </ol>
                    {empty.then(|| view! { <p class="muted small">"No changes yet."</p> })}
                }.into_any()
            }
        }}
    }
}

#[component]
fn Entry(entry: SecretAuditEntry, now: i64) -> impl IntoView {
    let action = secrets::action_label(entry.action);
    view! {
        <li class="audit-entry" data-testid="secret-audit-entry" data-action=action data-name=entry.name.clone()>
            <strong>{entry.actor}</strong>" "{action}" "<code>{entry.name.clone()}</code>
            <span class="muted small" title=format::date(entry.at)>" · "{format::relative_time(now, entry.at)}</span>
        </li>
    }
}
