//! GitHub's OAuth web flow, on github.com's paths: the authorize page and the code exchange.
//!
//! - [`authorize`]: `GET /login/oauth/authorize`
//! - [`token`]: `POST /login/oauth/access_token`

pub(crate) mod authorize;
pub(crate) mod token;

use url::Url;

/// The query or form parameters of a request, in order (a later value wins in [`Params::get`]).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `a=1&b=2` (undecodable input gives no parameters).
    pub fn from_urlencoded(raw: &[u8]) -> Self {
        Self(serde_urlencoded::from_bytes(raw).unwrap_or_default())
    }

    /// The parameters of a JSON object body; scalars become strings, the rest is ignored.
    pub fn from_json(raw: &[u8]) -> Self {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(raw) else { return Self::default() };
        let pairs = map.into_iter().filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        });
        Self(pairs.collect())
    }

    /// Appends other parameters (they win over these).
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// The last non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }
}

/// Whether `requested` is acceptable for the registered callback URL, by GitHub's rule: same
/// scheme, host and port, and a path that is the callback's path or below it. (GitHub lets
/// loopback redirects use any port; the double is strict so port mix-ups show up in tests.)
pub(crate) fn redirect_uri_allowed(registered: &str, requested: &str) -> bool {
    let (Ok(registered), Ok(requested)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    if registered.scheme() != requested.scheme()
        || registered.host_str() != requested.host_str()
        || registered.port_or_known_default() != requested.port_or_known_default()
    {
        return false;
    }
    let base = registered.path().trim_end_matches('/');
    let path = requested.path();
    path == registered.path() || path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_rule_follows_github() {
        let cb = "http://127.0.0.1:8787/api/auth/callback";
        assert!(redirect_uri_allowed(cb, cb));
        assert!(redirect_uri_allowed(cb, "http://127.0.0.1:8787/api/auth/callback/sub?x=1"));
        assert!(!redirect_uri_allowed(cb, "http://127.0.0.1:8788/api/auth/callback"));
        assert!(!redirect_uri_allowed(cb, "http://127.0.0.1:8787/api/auth/callbackx"));
        assert!(!redirect_uri_allowed(cb, "http://127.0.0.1:8787/api/auth"));
        assert!(!redirect_uri_allowed(cb, "https://127.0.0.1:8787/api/auth/callback"));
        assert!(!redirect_uri_allowed(cb, "http://localhost:8787/api/auth/callback"));
        assert!(!redirect_uri_allowed(cb, "not a url"));
    }

    #[test]
    fn params_merge_and_decode() {
        let mut params = Params::from_urlencoded(b"a=1&b=x+y%2Cz");
        params.extend(Params::from_json(br#"{"a":"2","n":7,"o":{}}"#));
        assert_eq!(params.get("a"), Some("2"));
        assert_eq!(params.get("b"), Some("x y,z"));
        assert_eq!(params.get("n"), Some("7"));
        assert_eq!(params.get("o"), None);
    }
}
