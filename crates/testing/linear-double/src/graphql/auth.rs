//! Who a GraphQL request acts as. Contract "GraphQL API", Auth: a personal API key is sent as
//! `Authorization: <API_KEY>` (no prefix), an OAuth or app token as `Authorization: Bearer
//! <token>`. Anything else answers `authentication error` with 401; an expired token answers the
//! same, which is the product's cue to refresh it.

use super::errors::LinearError;
use crate::state::Inner;

/// A refusal: the error to answer and, when the product misused the API, a violation.
pub(crate) type Refusal = (LinearError, Option<String>);

/// The user id the request acts as.
pub(crate) fn authenticate(inner: &Inner, authorization: Option<&str>) -> Result<String, Refusal> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
        let error = LinearError::authentication("You need to authenticate to access this operation.");
        return Err((error, Some("no Authorization header".into())));
    };
    let api_key = |key: &str| inner.config.api_keys.iter().find(|(k, _)| k == key).map(|(_, user)| user.clone());
    let unknown = || LinearError::authentication("The access token is invalid or was revoked.");
    match value.strip_prefix("Bearer ") {
        Some(token) => {
            let token = token.trim();
            if let Some(grant) = inner.oauth.tokens.get(token) {
                if grant.expired() {
                    return Err((LinearError::authentication("Your access token has expired."), None));
                }
                return Ok(grant.user_id.clone());
            }
            if api_key(token).is_some() {
                let violation = "a personal API key sent as `Bearer <key>`: Linear takes API keys without a prefix";
                return Err((unknown(), Some(violation.into())));
            }
            Err((unknown(), None))
        }
        None => {
            if let Some(user) = api_key(value) {
                return Ok(user);
            }
            if inner.oauth.tokens.contains_key(value) {
                let violation = "an OAuth token sent without `Bearer `: Linear takes OAuth tokens as `Bearer <token>`";
                return Err((unknown(), Some(violation.into())));
            }
            Err((unknown(), None))
        }
    }
}
