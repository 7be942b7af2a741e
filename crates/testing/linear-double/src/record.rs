//! What the double keeps for assertions: every GraphQL operation the product sent and every
//! webhook delivery the double made.

use std::time::{Duration, SystemTime};

use serde_json::Value;

/// One `POST /graphql` as the double read and answered it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedOperation {
    /// `operationName` if sent, else the operation's own name (`mutation CreateActivity …`).
    pub operation_name: Option<String>,
    /// `query` or `mutation` (empty when the document did not parse).
    pub operation_type: String,
    /// The root fields selected (`agentActivityCreate`, `issue`, …).
    pub root_fields: Vec<String>,
    /// The GraphQL document as sent.
    pub query: String,
    /// `variables` as sent (`{}` when absent).
    pub variables: Value,
    /// The user the token acts as, if it was accepted.
    pub viewer_id: Option<String>,
    /// The status the double answered with.
    pub status: u16,
    /// The answer's body.
    pub response: Value,
    /// The contract violations found in this request (also in
    /// [`crate::LinearDouble::violations`]).
    pub violations: Vec<String>,
    pub received_at: SystemTime,
}

impl RecordedOperation {
    /// A variable by name.
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    /// The `errors` of the answer (empty when it succeeded).
    pub fn errors(&self) -> Vec<Value> {
        self.response.get("errors").and_then(Value::as_array).cloned().unwrap_or_default()
    }
}

/// One webhook delivery and how the receiver answered it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// `Linear-Delivery`.
    pub delivery_id: String,
    /// `Linear-Event` (`AgentSessionEvent`).
    pub event: String,
    /// The exact bytes sent.
    pub body: Vec<u8>,
    /// `Linear-Signature` as sent.
    pub signature: String,
    /// The receiver's status (0 when it could not be reached).
    pub status: u16,
    pub response_body: String,
    /// How long the receiver took to answer (Linear waits 5 s: contract "Agent timing rules").
    pub elapsed: Duration,
    /// Why the delivery failed to get an answer, if it did.
    pub error: Option<String>,
}

impl Delivery {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Whether Linear would count it delivered: HTTP 200 within 5 s (contract "Inbound
    /// webhooks", Reply).
    pub fn accepted_in_time(&self) -> bool {
        self.status == 200 && self.elapsed <= Duration::from_secs(5)
    }
}
