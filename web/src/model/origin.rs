//! Where a session came from, as the page shows it: the badge in the sessions list, the line on
//! the session page, the origin filter's choices, and where the origin's link may lead (a path
//! of this deployment in the page, a vendor's `https` page in a new tab, anything else nowhere).

use oi_protocol::origin::{OriginKind, SessionOrigin};

/// Where an origin's link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginLink {
    /// A path of this deployment (`/automations/aut_1`): opened in the page.
    Internal(String),
    /// A vendor's page: opened in a new tab, without opener or referrer.
    External(String),
}

impl OriginLink {
    /// Only a path of this site or an `http(s)` URL is a link; `javascript:`, `data:`,
    /// `//host` and the like are not.
    pub fn parse(url: &str) -> Option<Self> {
        let url = url.trim();
        if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return None;
        }
        if url.starts_with('/') {
            let protocol_relative = url.starts_with("//") || url.starts_with("/\\") || url.contains('\\');
            return (!protocol_relative).then(|| OriginLink::Internal(url.to_string()));
        }
        let lower = url.to_ascii_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
        let host_ends = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        (host_ends > 0).then(|| OriginLink::External(url.to_string()))
    }

    pub fn href(&self) -> &str {
        match self {
            OriginLink::Internal(href) | OriginLink::External(href) => href,
        }
    }

    pub fn is_external(&self) -> bool {
        matches!(self, OriginLink::External(_))
    }
}

/// What the badge or the line shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginView {
    /// `automation`, `slack`, … (for tests and styles).
    pub kind: &'static str,
    /// The badge: `Automation · Nightly deps`.
    pub badge: String,
    /// The session page's line, before the link: `Started by the automation`.
    pub lead: &'static str,
    /// The link's text (the label or the reference), if the origin names one.
    pub name: Option<String>,
    pub link: Option<OriginLink>,
}

/// The kind as people call it.
pub fn kind_label(kind: OriginKind) -> &'static str {
    match kind {
        OriginKind::Web => "Web",
        OriginKind::Api => "API",
        OriginKind::Automation => "Automation",
        OriginKind::Slack => "Slack",
        OriginKind::Github => "GitHub",
        OriginKind::Linear => "Linear",
    }
}

/// The origin filter's choices: `("", "Any origin")`, then every kind as `(value, label)`.
pub fn filter_choices() -> Vec<(&'static str, &'static str)> {
    let mut choices = vec![("", "Any origin")];
    choices.extend(OriginKind::ALL.into_iter().map(|k| (k.as_str(), filter_label(k))));
    choices
}

fn filter_label(kind: OriginKind) -> &'static str {
    match kind {
        OriginKind::Web => "From the web page",
        OriginKind::Api => "From the API",
        OriginKind::Automation => "From automations",
        OriginKind::Slack => "From Slack",
        OriginKind::Github => "From GitHub",
        OriginKind::Linear => "From Linear",
    }
}

/// The filter's value back to a kind (`""`: any).
pub fn parse_filter(value: &str) -> Option<OriginKind> {
    OriginKind::parse(value)
}

/// The origin as shown; `None` for the web page (most sessions: no badge).
pub fn view(origin: &SessionOrigin) -> Option<OriginView> {
    if origin.kind == OriginKind::Web {
        return None;
    }
    let name = [&origin.label, &origin.reference]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .map(str::to_string);
    let label = kind_label(origin.kind);
    let badge = match &name {
        Some(name) => format!("{label} · {name}"),
        None => label.to_string(),
    };
    let lead = match origin.kind {
        OriginKind::Web | OriginKind::Api => "Started through the API",
        OriginKind::Automation => "Started by the automation",
        OriginKind::Slack => "Started from Slack",
        OriginKind::Github => "Started from GitHub",
        OriginKind::Linear => "Started from Linear",
    };
    let link = origin.url.as_deref().and_then(OriginLink::parse).or_else(|| automation_link(origin));
    Some(OriginView { kind: origin.kind.as_str(), badge, lead, name, link })
}

/// An automation run's origin without a URL: its automation's page, when the reference names
/// the automation (`aut_…/run_…`).
fn automation_link(origin: &SessionOrigin) -> Option<OriginLink> {
    if origin.kind != OriginKind::Automation {
        return None;
    }
    let id = origin.reference.as_deref()?.split('/').next()?.trim();
    let valid = id.len() > "aut_".len()
        && id.starts_with("aut_")
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    valid.then(|| OriginLink::Internal(format!("/automations/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(kind: OriginKind, reference: Option<&str>, label: Option<&str>, url: Option<&str>) -> SessionOrigin {
        SessionOrigin {
            kind,
            reference: reference.map(String::from),
            label: label.map(String::from),
            url: url.map(String::from),
        }
    }

    #[test]
    fn web_sessions_have_no_badge() {
        assert_eq!(view(&SessionOrigin::default()), None);
        assert_eq!(view(&origin(OriginKind::Web, Some("x"), Some("y"), Some("/z"))), None);
    }

    #[test]
    fn badges_name_the_kind_and_the_label_or_reference() {
        let cases = [
            (origin(OriginKind::Api, None, None, None), "API", "Started through the API"),
            (
                origin(OriginKind::Automation, Some("aut_1/run_2"), Some("Nightly deps"), None),
                "Automation · Nightly deps",
                "Started by the automation",
            ),
            (
                origin(OriginKind::Slack, Some("C0123/1700000000.000100"), Some("#general"), None),
                "Slack · #general",
                "Started from Slack",
            ),
            (
                origin(OriginKind::Github, Some("acme/app#12"), None, None),
                "GitHub · acme/app#12",
                "Started from GitHub",
            ),
            (origin(OriginKind::Linear, Some("ENG-42"), Some("  "), None), "Linear · ENG-42", "Started from Linear"),
            (origin(OriginKind::Automation, None, None, None), "Automation", "Started by the automation"),
        ];
        for (o, badge, lead) in cases {
            let v = view(&o).unwrap();
            assert_eq!((v.badge.as_str(), v.lead), (badge, lead), "{o:?}");
            assert_eq!(v.kind, o.kind.as_str());
        }
        assert_eq!(view(&origin(OriginKind::Api, None, None, None)).unwrap().name, None);
    }

    #[test]
    fn an_automation_without_a_url_links_to_its_page() {
        let cases = [
            (Some("aut_1/run_2"), None, Some("/automations/aut_1")),
            (Some("aut_1/run_2"), Some("/automations/aut_9"), Some("/automations/aut_9")),
            (Some("run_2"), None, None),
            (Some("aut_"), None, None),
            (Some("aut_<x>/run_2"), None, None),
            (None, None, None),
        ];
        for (reference, url, href) in cases {
            let v = view(&origin(OriginKind::Automation, reference, Some("Nightly"), url)).unwrap();
            assert_eq!(v.link.as_ref().map(OriginLink::href), href, "{reference:?} {url:?}");
        }
        // Only automations: another kind's reference is not a path here.
        assert_eq!(view(&origin(OriginKind::Slack, Some("aut_1/run_2"), None, None)).unwrap().link, None);
    }

    #[test]
    fn links_lead_here_or_to_a_vendor_in_a_new_tab() {
        let v = view(&origin(OriginKind::Automation, None, Some("Nightly"), Some("/automations/aut_1"))).unwrap();
        assert_eq!(v.link, Some(OriginLink::Internal("/automations/aut_1".into())));
        assert!(!v.link.unwrap().is_external());
        let v = view(&origin(OriginKind::Github, None, None, Some("https://github.com/acme/app/pull/12"))).unwrap();
        let link = v.link.unwrap();
        assert!(link.is_external());
        assert_eq!(link.href(), "https://github.com/acme/app/pull/12");
        assert_eq!(
            OriginLink::parse("HTTP://linear.app/acme/issue/ENG-42"),
            Some(OriginLink::External("HTTP://linear.app/acme/issue/ENG-42".into()))
        );
    }

    #[test]
    fn other_urls_are_no_link() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "//evil.example/x",
            "/\\evil.example",
            "https://",
            "https:///path",
            "ftp://host/x",
            "automations/aut_1",
            "/auto mations",
            "",
        ] {
            assert_eq!(OriginLink::parse(url), None, "{url:?}");
        }
    }

    #[test]
    fn the_filter_offers_every_kind() {
        let choices = filter_choices();
        assert_eq!(choices[0], ("", "Any origin"));
        assert_eq!(choices.len(), 1 + OriginKind::ALL.len());
        assert!(choices.contains(&("automation", "From automations")));
        assert_eq!(parse_filter("slack"), Some(OriginKind::Slack));
        assert_eq!(parse_filter(""), None);
        assert_eq!(kind_label(OriginKind::Github), "GitHub");
    }
}
