//! GraphQL errors in Linear's shape (contract "GraphQL API", Errors):
//! `{"errors":[{"message", "path"?, "extensions":{"type", "userError"?, "userPresentableMessage"?}}]}`.
//!
//! The HTTP status of each type is the SDK's fallback mapping read backwards (403 forbidden,
//! 429 ratelimited, 401 authentication error, 500 internal error, 502 network error), and 400
//! for the rest (`invalid input`, `graphql error`, …); the contract gives the mapping only as
//! the SDK's fallback, so these statuses are the double's choice where Linear is unconfirmed.

use serde_json::{json, Map, Value};

/// `extensions.type`: the values Linear's SDK knows (contract "GraphQL API", Errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinearErrorType {
    FeatureNotAccessible,
    InvalidInput,
    Ratelimited,
    NetworkError,
    AuthenticationError,
    Forbidden,
    BootstrapError,
    Unknown,
    InternalError,
    Other,
    UserError,
    GraphqlError,
    LockTimeout,
    UsageLimitExceeded,
}

impl LinearErrorType {
    /// The wire value (`"authentication error"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FeatureNotAccessible => "feature not accessible",
            Self::InvalidInput => "invalid input",
            Self::Ratelimited => "ratelimited",
            Self::NetworkError => "network error",
            Self::AuthenticationError => "authentication error",
            Self::Forbidden => "forbidden",
            Self::BootstrapError => "bootstrap error",
            Self::Unknown => "unknown",
            Self::InternalError => "internal error",
            Self::Other => "other",
            Self::UserError => "user error",
            Self::GraphqlError => "graphql error",
            Self::LockTimeout => "lock timeout",
            Self::UsageLimitExceeded => "usage limit exceeded",
        }
    }

    /// The HTTP status the double answers an error of this type with.
    pub fn status(self) -> u16 {
        match self {
            Self::Forbidden => 403,
            Self::Ratelimited => 429,
            Self::AuthenticationError => 401,
            Self::InternalError => 500,
            Self::NetworkError => 502,
            _ => 400,
        }
    }

    /// Whether the error is the caller's (`extensions.userError`).
    fn user_error(self) -> bool {
        matches!(self, Self::InvalidInput | Self::AuthenticationError | Self::Forbidden | Self::UserError)
    }
}

/// One error to answer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LinearError {
    pub kind: LinearErrorType,
    pub message: String,
    pub user_message: Option<String>,
}

impl LinearError {
    pub fn new(kind: LinearErrorType, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), user_message: None }
    }

    pub fn user_message(mut self, text: impl Into<String>) -> Self {
        self.user_message = Some(text.into());
        self
    }

    /// `invalid input`: what the product sent is wrong.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(LinearErrorType::InvalidInput, message.clone()).user_message(message)
    }

    /// `Entity not found: <Type>` for an id that names nothing.
    pub fn not_found(type_name: &str) -> Self {
        Self::new(LinearErrorType::InvalidInput, format!("Entity not found: {type_name}"))
            .user_message(format!("Could not find referenced {type_name}."))
    }

    /// The answer for a missing, unknown or expired token.
    pub fn authentication(user_message: &str) -> Self {
        Self::new(LinearErrorType::AuthenticationError, "Authentication required, not authenticated")
            .user_message(user_message)
    }

    /// The error object, with `path` when it is a field error.
    pub fn to_json(&self, path: Option<Value>) -> Value {
        let mut extensions = Map::new();
        extensions.insert("type".into(), json!(self.kind.as_str()));
        extensions.insert("userError".into(), json!(self.kind.user_error()));
        if let Some(text) = &self.user_message {
            extensions.insert("userPresentableMessage".into(), json!(text));
        }
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        if let Some(path) = path.filter(|p| p.as_array().is_some_and(|a| !a.is_empty())) {
            error.insert("path".into(), path);
        }
        error.insert("extensions".into(), Value::Object(extensions));
        Value::Object(error)
    }
}

/// A whole answer made of request errors (no `data`).
pub(crate) fn errors_body(errors: &[LinearError]) -> Value {
    json!({ "errors": errors.iter().map(|e| e.to_json(None)).collect::<Vec<_>>() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_shape() {
        let body = errors_body(&[LinearError::authentication("Your access token has expired.")]);
        assert_eq!(
            body,
            json!({"errors": [{
                "message": "Authentication required, not authenticated",
                "extensions": {"type": "authentication error", "userError": true,
                               "userPresentableMessage": "Your access token has expired."}
            }]})
        );
        let field = LinearError::not_found("Issue").to_json(Some(json!(["issue"])));
        assert_eq!(field["path"], json!(["issue"]));
        assert_eq!(field["extensions"]["type"], "invalid input");
        assert_eq!(LinearErrorType::Ratelimited.status(), 429);
        assert_eq!(LinearErrorType::GraphqlError.status(), 400);
    }
}
