//! Automations: the list (`/automations`), the form for a new one and for an edit
//! ([`form`]), and an automation's page with its actions and run history ([`detail`],
//! [`runs`]). The secret a new automation gets is handed to its page once ([`FreshSecret`]).

mod detail;
mod form;
mod reveal;
mod runs;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use oi_protocol::automations::{Automation, AutomationList};

pub use detail::AutomationPage;
pub use form::{EditAutomationPage, NewAutomationPage};

use crate::model::automations::{self, FreshSecret};
use crate::model::load::Load;
use crate::ui::api;
use crate::ui::components::feedback::{Empty, ErrorBanner, Loading};

/// The secret of the automation just created, for its page to show once.
#[derive(Clone, Copy)]
pub struct FreshSecrets(pub RwSignal<FreshSecret>);

/// Called once for the signed-in app, above its routes.
pub fn provide_fresh_secrets() {
    provide_context(FreshSecrets(RwSignal::new(FreshSecret::default())));
}

fn fresh_secrets() -> RwSignal<FreshSecret> {
    expect_context::<FreshSecrets>().0
}

/// This deployment's origin (`https://oi.example`), for webhook URLs.
fn page_origin() -> String {
    window().location().origin().unwrap_or_default()
}

#[component]
pub fn AutomationsPage() -> impl IntoView {
    crate::ui::set_title("Automations");
    let list = RwSignal::new(Load::<AutomationList>::Loading);
    let fetch = move || {
        list.set(Load::Loading);
        spawn_local(async move { list.set(Load::from_result(api::automations().await)) });
    };
    fetch();
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Automations"</h1>
                <A href="/automations/new" attr:class="btn btn-primary" attr:data-testid="new-automation-link">
                    "New automation"
                </A>
            </div>
            <p class="muted small">
                "Sessions started on a schedule, by a webhook delivery or by a Sentry issue, acting for the \
                 automation's owner."
            </p>
            {move || match list.get() {
                Load::Loading => view! { <Loading label="Loading automations…"/> }.into_any(),
                Load::Failed(error) => view! { <ErrorBanner error retry=Callback::new(move |_| fetch())/> }.into_any(),
                Load::Ready(list) if list.automations.is_empty() => view! {
                    <Empty title="No automations yet">
                        <p class="muted">"Run a prompt on a repository every morning, or whenever a webhook calls."</p>
                        <A href="/automations/new" attr:class="btn btn-primary">"Create an automation"</A>
                    </Empty>
                }
                .into_any(),
                Load::Ready(list) => view! { <AutomationTable automations=list.automations/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AutomationTable(automations: Vec<Automation>) -> impl IntoView {
    let now = js_sys::Date::now() as i64;
    view! {
        <div class="table-wrap">
            <table class="table automations-table" data-testid="automation-list">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Trigger"</th>
                    <th scope="col">"Repository"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Next run"</th>
                    <th scope="col">"Owner"</th>
                </tr></thead>
                <tbody>
                    {automations.into_iter().map(|a| view! { <AutomationRow automation=a now/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AutomationRow(automation: Automation, now: i64) -> impl IntoView {
    let state = automations::state(&automation);
    let next = automations::next_run(&automation, now);
    let cron = match &automation.trigger {
        oi_protocol::automations::Trigger::Schedule { cron, .. } => Some(cron.clone()),
        _ => None,
    };
    view! {
        <tr data-testid="automation-row" data-automation-id=automation.id.clone()>
            <td>
                <A href=automations::page_path(&automation.id) attr:class="row-title" attr:data-testid="automation-link">
                    {automation.name.clone()}
                </A>
            </td>
            <td data-testid="automation-trigger" title=cron>{automations::trigger_summary(&automation.trigger)}</td>
            <td><code class="secret-name">{automation.repo.clone()}</code></td>
            <td>
                <span class=format!("badge badge-{}", state.tone) data-testid="automation-state" data-state=state.state>
                    {state.label}
                </span>
                {state.reason.map(|r| view! { <span class="small muted">" "{r}</span> })}
            </td>
            <td class="small">{next.unwrap_or_else(|| "—".to_string())}</td>
            <td>{automation.owner.name.clone()}</td>
        </tr>
    }
}
