//! Renewing a web session (GitHub mode). A session due for rotation is re-issued from what the
//! deployment says now, not copied: the person's role is read again, and they must still pass
//! the allowlist (as of their sign-in: their login, verified emails and organisations). A person
//! who was removed gets no new session and the old one is revoked; a demoted one is renewed
//! with their new role. Rotation never carries a session past
//! [`web_session::MAX_SESSION_AGE_SECS`] from the sign-in.
//!
//! Invariant: a renewed session's role and admission are the deployment's current ones.

use super::access::Role;
use super::allowlist::{check_allowed, Allowlist, GithubIdentity};
use super::web_session::{self, WebClaims};

/// What the deployment holds about a person now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPerson {
    pub role: Role,
    /// What GitHub said at sign-in (absent for people who signed in before it was kept).
    pub identity: Option<GithubIdentity>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// Issue these claims instead.
    Renew(WebClaims),
    /// No new session; revoke this one (why, for the log).
    End(String),
}

/// The rotation of `claims` at `now` (seconds), with a fresh `jti`.
pub fn rotate(
    claims: &WebClaims,
    person: Option<&StoredPerson>,
    list: &Allowlist,
    admin_logins: &[String],
    now: i64,
    jti: String,
) -> Rotation {
    let Some(person) = person else {
        return Rotation::End(format!("{} is no longer a user of this deployment", claims.login));
    };
    let identity = person.identity.clone().unwrap_or_else(|| GithubIdentity {
        login: claims.login.clone(),
        verified_emails: vec![claims.email.clone()],
        orgs: vec![],
    });
    if let Err(refused) = check_allowed(list, &identity) {
        return Rotation::End(refused.message);
    }
    let configured_admin = admin_logins.iter().any(|l| l.eq_ignore_ascii_case(&claims.login));
    let role = if configured_admin { Role::Admin } else { person.role };
    let signed_in_at = claims.signed_in_at();
    Rotation::Renew(WebClaims {
        role,
        iat: now,
        exp: (now + web_session::SESSION_TTL_SECS).min(signed_in_at + web_session::MAX_SESSION_AGE_SECS),
        jti,
        auth_time: signed_in_at,
        ..claims.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::web_session::{ISSUER, MAX_SESSION_AGE_SECS, SESSION_TTL_SECS, WEB_AUDIENCE};

    const NOW: i64 = 1_800_000_000;

    fn claims() -> WebClaims {
        WebClaims {
            sub: "gh-2".into(),
            login: "grace".into(),
            name: "Grace Hopper".into(),
            email: "grace@acme.test".into(),
            role: Role::Admin,
            iat: NOW - 2 * 3600,
            exp: NOW + 6 * 3600,
            aud: WEB_AUDIENCE.into(),
            iss: ISSUER.into(),
            jti: "old".into(),
            auth_time: NOW - 24 * 3600,
        }
    }

    fn grace(role: Role) -> StoredPerson {
        StoredPerson {
            role,
            identity: Some(GithubIdentity {
                login: "grace".into(),
                verified_emails: vec!["grace@acme.test".into()],
                orgs: vec!["acme".into()],
            }),
        }
    }

    fn orgs(list: &str) -> Allowlist {
        Allowlist::parse(None, Some(list), None)
    }

    #[test]
    fn a_session_is_renewed_from_what_the_deployment_says_now() {
        let renewed = rotate(&claims(), Some(&grace(Role::Member)), &orgs("acme"), &[], NOW, "new".into());
        let Rotation::Renew(c) = renewed else { panic!("{renewed:?}") };
        assert_eq!((c.role, c.iat, c.exp, c.jti.as_str()), (Role::Member, NOW, NOW + SESSION_TTL_SECS, "new"));
        assert_eq!(c.auth_time, NOW - 24 * 3600, "the sign-in time is kept");

        let admin = rotate(&claims(), Some(&grace(Role::Member)), &orgs("acme"), &["Grace".into()], NOW, "n".into());
        assert!(matches!(admin, Rotation::Renew(c) if c.role == Role::Admin), "a configured admin login");

        let removed = rotate(&claims(), Some(&grace(Role::Member)), &orgs("other"), &[], NOW, "n".into());
        assert!(matches!(&removed, Rotation::End(why) if why.contains("may not sign in")), "{removed:?}");
        let gone = rotate(&claims(), None, &orgs("acme"), &[], NOW, "n".into());
        assert!(matches!(&gone, Rotation::End(why) if why.contains("no longer a user")), "{gone:?}");
    }

    #[test]
    fn a_renewed_session_ends_a_week_after_signing_in() {
        let old = WebClaims { auth_time: NOW - MAX_SESSION_AGE_SECS + 3600, ..claims() };
        let Rotation::Renew(c) = rotate(&old, Some(&grace(Role::Member)), &orgs("acme"), &[], NOW, "n".into()) else {
            panic!()
        };
        assert_eq!(c.exp, NOW + 3600);
    }

    #[test]
    fn people_from_before_the_identity_was_kept_are_checked_by_login_and_email() {
        let legacy = StoredPerson { role: Role::Member, identity: None };
        let by_login = Allowlist::parse(Some("grace"), None, None);
        assert!(matches!(rotate(&claims(), Some(&legacy), &by_login, &[], NOW, "n".into()), Rotation::Renew(_)));
        assert!(matches!(rotate(&claims(), Some(&legacy), &orgs("acme"), &[], NOW, "n".into()), Rotation::End(_)));
    }
}
