//! Sign-in as the page sees it: whether to show the app or the sign-in screen, where "Sign in
//! with GitHub" leads, and the labels around the current person.

use oi_protocol::rest::{AuthMode, Me};
use oi_protocol::{ErrorCode, Role};

use super::load::Load;

/// Where GitHub sign-in starts (the control plane's route).
pub const GITHUB_LOGIN: &str = "/auth/github/login";
/// Ends the web session (`POST`, 204).
pub const LOGOUT: &str = "/auth/logout";

/// What the page shows, from `GET /api/me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Not known yet.
    Checking,
    /// Nobody is signed in (401): the sign-in screen instead of the app.
    SignIn,
    /// The app (with the error in the top bar when `/api/me` failed some other way).
    App,
}

pub fn gate(me: &Load<Me>) -> Gate {
    match me {
        Load::Loading => Gate::Checking,
        Load::Failed(e) if e.code == ErrorCode::Unauthorized => Gate::SignIn,
        Load::Failed(_) | Load::Ready(_) => Gate::App,
    }
}

/// `/auth/github/login?return_to=<path>`: back to `path` once signed in. Only a path of this
/// site is passed on (the control plane checks again).
pub fn sign_in_href(path: &str) -> String {
    let path = if path.starts_with('/') && !path.starts_with("//") { path } else { "/" };
    let query = serde_urlencoded::to_string([("return_to", path)]).unwrap_or_default();
    format!("{GITHUB_LOGIN}?{query}")
}

/// The deployment runs without sign-in.
pub fn is_local(me: &Me) -> bool {
    me.local_mode || me.auth == AuthMode::Local
}

/// Signed in with GitHub, so there is a session to end.
pub fn can_sign_out(me: &Me) -> bool {
    me.auth == AuthMode::Github && !me.local_mode
}

/// The badge next to the name: the mode when it is local (no sign-in), else nothing.
pub fn mode_label(me: &Me) -> Option<(&'static str, &'static str)> {
    is_local(me).then_some((
        "Local mode",
        "No accounts: this run's token (the link scripts/run printed) let this browser in, as the name in Settings",
    ))
}

/// The role, shown only when it grants more than a member has.
pub fn role_label(me: &Me) -> Option<(&'static str, &'static str)> {
    (me.role == Role::Admin).then_some(("Admin", "Admin: manages this deployment's settings and secrets"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::user;
    use oi_protocol::ApiError;

    fn me(auth: AuthMode, role: Role) -> Me {
        Me { user: user("ada"), local_mode: auth == AuthMode::Local, role, auth }
    }

    #[test]
    fn only_a_401_asks_for_sign_in() {
        assert_eq!(gate(&Load::Loading), Gate::Checking);
        let unauthorized = ApiError::new(ErrorCode::Unauthorized, "not signed in: sign in at /auth/github/login");
        assert_eq!(gate(&Load::Failed(unauthorized)), Gate::SignIn);
        assert_eq!(gate(&Load::Failed(ApiError::new(ErrorCode::Internal, "down"))), Gate::App);
        assert_eq!(gate(&Load::Ready(me(AuthMode::Github, Role::Member))), Gate::App);
    }

    #[test]
    fn sign_in_returns_to_the_page() {
        assert_eq!(sign_in_href("/"), "/auth/github/login?return_to=%2F");
        assert_eq!(
            sign_in_href("/sessions/ses_1?tab=diff&x=a b"),
            "/auth/github/login?return_to=%2Fsessions%2Fses_1%3Ftab%3Ddiff%26x%3Da+b"
        );
        for elsewhere in ["//evil.example/", "https://evil.example/", ""] {
            assert_eq!(sign_in_href(elsewhere), "/auth/github/login?return_to=%2F", "{elsewhere:?}");
        }
    }

    #[test]
    fn labels_follow_the_mode_and_role() {
        let local = me(AuthMode::Local, Role::Admin);
        assert!(is_local(&local) && !can_sign_out(&local));
        assert_eq!(mode_label(&local).map(|l| l.0), Some("Local mode"));
        assert_eq!(role_label(&local).map(|l| l.0), Some("Admin"));

        let member = me(AuthMode::Github, Role::Member);
        assert!(!is_local(&member) && can_sign_out(&member));
        assert_eq!(mode_label(&member), None);
        assert_eq!(role_label(&member), None);
        assert_eq!(role_label(&me(AuthMode::Github, Role::Admin)).map(|l| l.0), Some("Admin"));
    }
}
