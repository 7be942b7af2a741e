use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    crate::ui::set_title("Not found");
    view! {
        <section class="page narrow">
            <h1>"Nothing here"</h1>
            <p>"This address is not a page of Open Inspect."</p>
            <p><A href="/">"Back to the sessions"</A></p>
        </section>
    }
}
