//! The sessions list's filters as the query of `GET /api/sessions`, encoded from the protocol's
//! own query type.

use oi_protocol::origin::OriginKind;
use oi_protocol::rest::ListSessionsQuery;
use oi_protocol::SessionStatus;

/// Whose sessions the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    Mine,
}

/// What the person chose above the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListFilter {
    pub scope: Scope,
    pub archived: bool,
    pub status: Option<SessionStatus>,
    /// Free text matched against title and repository.
    pub search: String,
    /// Only sessions of this origin.
    pub origin: Option<OriginKind>,
}

impl ListFilter {
    pub fn query(&self, limit: u32, cursor: Option<String>) -> ListSessionsQuery {
        let search = self.search.trim();
        ListSessionsQuery {
            status: self.status,
            archived: self.archived.then_some(true),
            limit: Some(limit),
            cursor,
            mine: (self.scope == Scope::Mine).then_some(true),
            q: (!search.is_empty()).then(|| search.to_string()),
            origin: self.origin,
        }
    }

    /// `/api/sessions?…`
    pub fn path(&self, limit: u32, cursor: Option<String>) -> String {
        let query = serde_urlencoded::to_string(self.query(limit, cursor)).unwrap_or_default();
        if query.is_empty() {
            "/api/sessions".to_string()
        } else {
            format!("/api/sessions?{query}")
        }
    }

    /// Whether any filter narrows the list (for the empty state's wording).
    pub fn narrowed(&self) -> bool {
        self.scope == Scope::Mine || self.status.is_some() || self.origin.is_some() || !self.search.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_only_what_was_chosen() {
        assert_eq!(ListFilter::default().path(50, None), "/api/sessions?limit=50");
        let filter = ListFilter {
            scope: Scope::Mine,
            archived: true,
            status: Some(SessionStatus::Running),
            search: " login bug&x ".into(),
            origin: Some(OriginKind::Automation),
        };
        assert_eq!(
            filter.path(20, Some("17.ses_1".into())),
            "/api/sessions?status=running&archived=true&limit=20&cursor=17.ses_1&mine=true&q=login+bug%26x&origin=automation"
        );
        assert!(filter.narrowed());
        assert!(!ListFilter::default().narrowed());
        let by_origin = ListFilter { origin: Some(OriginKind::Slack), ..ListFilter::default() };
        assert_eq!(by_origin.path(50, None), "/api/sessions?limit=50&origin=slack");
        assert!(by_origin.narrowed());
    }
}
