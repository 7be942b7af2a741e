//! Which person of this deployment a vendor's user acts as (a Slack member, a GitHub user, a
//! Linear user): an explicit link an admin made wins; otherwise the vendor's **verified**
//! email must be the verified email of exactly one person here. Anything else maps to nobody,
//! with the reason the integration tells its caller (and then starts nothing).

/// A person of this deployment, as the mapping sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: String,
    /// Emails known to belong to them: the ones GitHub verified at sign-in (local mode: the
    /// configured one).
    pub verified_emails: Vec<String>,
}

/// What the vendor says about its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorUser<'a> {
    /// The vendor's id for them (Slack `U…`, a GitHub login, a Linear user id).
    pub id: &'a str,
    /// Their email, when the vendor gives one.
    pub email: Option<&'a str>,
    /// Whether the vendor vouches for that email (an unverified one maps nobody).
    pub email_verified: bool,
}

/// The person `vendor` acts as: the linked one (if they are still a person here), else the one
/// whose verified email it is. `Err` says why nobody, in words for the vendor's user.
pub fn acting_person(
    integration: &str,
    vendor: VendorUser<'_>,
    linked_user_id: Option<&str>,
    people: &[Candidate],
) -> Result<String, String> {
    if let Some(linked) = linked_user_id {
        return match people.iter().find(|p| p.user_id == linked) {
            Some(p) => Ok(p.user_id.clone()),
            None => Err(format!(
                "your {integration} account is linked to someone who is no longer a user of this deployment; ask an admin to link it again"
            )),
        };
    }
    let unlinked = || {
        format!(
            "no person of this deployment matches your {integration} account: sign in to Open Inspect with the same verified email, or ask an admin to link {} in Settings → Integrations",
            vendor.id
        )
    };
    let Some(email) = vendor.email.map(str::trim).filter(|e| !e.is_empty()) else { return Err(unlinked()) };
    if !vendor.email_verified {
        return Err(unlinked());
    }
    let mut matching = people.iter().filter(|p| p.verified_emails.iter().any(|e| e.trim().eq_ignore_ascii_case(email)));
    match (matching.next(), matching.next()) {
        (Some(p), None) => Ok(p.user_id.clone()),
        (Some(_), Some(_)) => Err(format!(
            "more than one person of this deployment has the email {email}; ask an admin to link {} in Settings → Integrations",
            vendor.id
        )),
        (None, _) => Err(unlinked()),
    }
}

/// A vendor's id for one of its users, as a link's key: 1 to 100 printable ASCII characters,
/// no spaces or slashes.
pub fn check_vendor_user_id(id: &str) -> Result<(), String> {
    let ok = (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
    if ok {
        Ok(())
    } else {
        Err(format!("vendor_user_id: {id:?} must be 1 to 100 printable characters without spaces or slashes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, emails: &[&str]) -> Candidate {
        Candidate { user_id: id.into(), verified_emails: emails.iter().map(|e| e.to_string()).collect() }
    }

    fn vendor<'a>(email: Option<&'a str>, verified: bool) -> VendorUser<'a> {
        VendorUser { id: "U123", email, email_verified: verified }
    }

    #[test]
    fn vendor_ids_are_short_and_plain() {
        for (id, ok) in [("U0123ABC", true), ("octocat", true), ("", false), ("a b", false), ("a/b", false)] {
            assert_eq!(check_vendor_user_id(id).is_ok(), ok, "{id:?}");
        }
        assert!(check_vendor_user_id(&"x".repeat(101)).is_err());
    }

    #[test]
    fn a_link_wins_then_exactly_one_verified_email() {
        let people = [
            person("gh-1", &["ada@acme.test"]),
            person("gh-2", &["grace@acme.test", "g@navy.test"]),
            person("gh-3", &["shared@acme.test"]),
            person("gh-4", &["Shared@acme.test"]),
        ];
        let cases: &[(VendorUser, Option<&str>, Result<&str, &str>)] = &[
            (vendor(Some("ada@acme.test"), true), None, Ok("gh-1")),
            (vendor(Some("  G@NAVY.test "), true), None, Ok("gh-2")),
            // The link wins over the email.
            (vendor(Some("ada@acme.test"), true), Some("gh-2"), Ok("gh-2")),
            (vendor(None, false), Some("gh-1"), Ok("gh-1")),
            (vendor(None, false), Some("gh-9"), Err("no longer a user")),
            (vendor(Some("ada@acme.test"), false), None, Err("no person of this deployment matches")),
            (vendor(None, true), None, Err("no person of this deployment matches")),
            (vendor(Some(""), true), None, Err("no person of this deployment matches")),
            (vendor(Some("eve@evil.test"), true), None, Err("link U123")),
            (vendor(Some("shared@acme.test"), true), None, Err("more than one person")),
        ];
        for (vendor, link, expected) in cases {
            let got = acting_person("Slack", *vendor, *link, &people);
            match expected {
                Ok(id) => assert_eq!(got.as_deref(), Ok(*id), "{vendor:?} {link:?}"),
                Err(says) => {
                    let why = got.expect_err("nobody");
                    assert!(why.contains(says), "{vendor:?} {link:?}: {why}");
                    assert!(why.contains("Slack") || why.contains("email"), "{why}");
                }
            }
        }
    }
}
