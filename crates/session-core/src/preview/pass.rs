//! The preview's ticket and pass: HS256 JWTs (jsonwebtoken, its clock checks off; times are
//! checked here against the `now_secs` the caller passes). A **ticket** is minted on the
//! control plane's origin for a person who may view the session, and lasts a minute: it rides
//! in the preview origin's `/__oi/enter?ticket=` once. A **pass** is what the preview origin
//! keeps in its cookie for a few hours. Both name the person, the session and the port, and one
//! never stands in for the other.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oi_protocol::{Role, User};
use serde::{Deserialize, Serialize};

use super::address::PreviewAddress;

/// How long a ticket lasts.
pub const TICKET_TTL_SECS: i64 = 60;
/// How long a pass lasts.
pub const PASS_TTL_SECS: i64 = 8 * 3600;

/// Which of the two a token is (its audience).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ticket,
    Pass,
}

impl Kind {
    fn audience(self) -> &'static str {
        match self {
            Kind::Ticket => "open-inspect-preview-ticket",
            Kind::Pass => "open-inspect-preview-pass",
        }
    }

    fn ttl(self) -> i64 {
        match self {
            Kind::Ticket => TICKET_TTL_SECS,
            Kind::Pass => PASS_TTL_SECS,
        }
    }
}

/// What a ticket or pass says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewClaims {
    /// The person, and their role when the ticket was minted (a pass keeps it for its life).
    pub user: User,
    pub role: Role,
    /// The session.
    pub sid: String,
    pub port: u16,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Why a ticket or pass is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    BadSignature,
    /// A pass where a ticket is wanted, or the other way round.
    WrongKind,
    /// For another session or port than the host names.
    WrongPreview,
    Expired,
}

impl Refused {
    pub fn message(self) -> &'static str {
        match self {
            Refused::Malformed => "the preview link is malformed",
            Refused::BadSignature => "the preview link was not signed by this deployment",
            Refused::WrongKind => "the preview link is not one that enters a preview",
            Refused::WrongPreview => "the preview link is for another session or port",
            Refused::Expired => "the preview link has expired; open the preview again from the session",
        }
    }
}

/// A `kind` token for `user` to preview `address`, issued at `now_secs`.
pub fn issue(kind: Kind, secret: &[u8], user: &User, role: Role, address: &PreviewAddress, now_secs: i64) -> String {
    let claims = PreviewClaims {
        user: user.clone(),
        role,
        sid: address.session_id.clone(),
        port: address.port,
        aud: kind.audience().to_string(),
        iat: now_secs,
        exp: now_secs + kind.ttl(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
        .expect("HS256 takes any key and these claims always serialize")
}

/// The claims of a `kind` token for `address`, checked at `now_secs`.
pub fn verify(
    kind: Kind,
    secret: &[u8],
    token: &str,
    address: &PreviewAddress,
    now_secs: i64,
) -> Result<PreviewClaims, Refused> {
    let claims: PreviewClaims = crate::auth::web_session::decode_hs256(token, secret).map_err(|bad_signature| {
        if bad_signature {
            Refused::BadSignature
        } else {
            Refused::Malformed
        }
    })?;
    if claims.aud != kind.audience() {
        return Err(Refused::WrongKind);
    }
    if claims.sid != address.session_id || claims.port != address.port {
        return Err(Refused::WrongPreview);
    }
    if now_secs >= claims.exp || claims.exp - claims.iat > kind.ttl() {
        return Err(Refused::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn ada() -> User {
        User { id: "u-ada".into(), name: "Ada".into(), email: "ada@example.test".into(), login: None }
    }

    fn at(port: u16) -> PreviewAddress {
        PreviewAddress { session_id: "ses_1".into(), port }
    }

    #[test]
    fn a_ticket_enters_once_its_own_preview_and_a_pass_keeps_it_open() {
        let ticket = issue(Kind::Ticket, KEY, &ada(), Role::Member, &at(3000), 1000);
        let claims = verify(Kind::Ticket, KEY, &ticket, &at(3000), 1059).unwrap();
        assert_eq!((claims.user.id.as_str(), claims.role, claims.port), ("u-ada", Role::Member, 3000));
        let pass = issue(Kind::Pass, KEY, &ada(), Role::Member, &at(3000), 1000);
        assert!(verify(Kind::Pass, KEY, &pass, &at(3000), 1000 + PASS_TTL_SECS - 1).is_ok());

        let cases: &[(&str, Result<(), Refused>)] = &[
            ("expired ticket", verify(Kind::Ticket, KEY, &ticket, &at(3000), 1060).map(drop)),
            ("ticket as a pass", verify(Kind::Pass, KEY, &ticket, &at(3000), 1001).map(drop)),
            ("pass as a ticket", verify(Kind::Ticket, KEY, &pass, &at(3000), 1001).map(drop)),
            ("another port", verify(Kind::Ticket, KEY, &ticket, &at(3001), 1001).map(drop)),
            (
                "another session",
                verify(Kind::Ticket, KEY, &ticket, &PreviewAddress { session_id: "ses_2".into(), port: 3000 }, 1001)
                    .map(drop),
            ),
            ("another key", verify(Kind::Ticket, b"another key", &ticket, &at(3000), 1001).map(drop)),
            ("garbage", verify(Kind::Ticket, KEY, "x.y.z", &at(3000), 1001).map(drop)),
        ];
        let want = [
            Refused::Expired,
            Refused::WrongKind,
            Refused::WrongKind,
            Refused::WrongPreview,
            Refused::WrongPreview,
            Refused::BadSignature,
            Refused::Malformed,
        ];
        for ((name, got), want) in cases.iter().zip(want) {
            assert_eq!(*got, Err(want), "{name}");
            assert!(!want.message().is_empty());
        }
    }
}
