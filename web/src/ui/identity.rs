//! Who this browser is (`GET /api/me`), shared by every page; the settings page changes it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use oi_protocol::rest::Me;

use super::api;
use crate::model::load::Load;

#[derive(Clone, Copy)]
pub struct Identity {
    pub me: RwSignal<Load<Me>>,
}

impl Identity {
    /// The current user's id, once known.
    pub fn user_id(&self) -> Option<String> {
        self.me.with(|m| m.ready().map(|m| m.user.id.clone()))
    }

    pub fn reload(&self) {
        let me = self.me;
        spawn_local(async move { me.set(Load::from_result(api::me().await)) });
    }
}

pub fn provide_identity() {
    let identity = Identity { me: RwSignal::new(Load::Loading) };
    identity.reload();
    provide_context(identity);
}

pub fn use_identity() -> Identity {
    expect_context::<Identity>()
}
