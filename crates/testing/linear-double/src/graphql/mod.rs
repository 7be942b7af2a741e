//! `POST /graphql` (contract "GraphQL API": `POST https://api.linear.app/graphql`, body
//! `{"query", "variables"?, "operationName"?}`).
//!
//! Every request is checked, recorded and answered in this order: the document is validated
//! against [`crate::schema`] (unknown fields and arguments, missing required arguments,
//! variable types: each diagnostic is a violation); the rate-limit budget is charged (429
//! `ratelimited` when a test asked for it); the token is checked ([`auth`]); the variables are
//! coerced to their declared types (input objects' unknown and missing required fields are
//! violations); then the operation runs on the double's state ([`roots`]) and the answer keeps
//! GraphQL's shape with Linear's `extensions` on errors ([`errors`]).

mod activity;
mod auth;
mod entities;
pub mod errors;
mod mutations;
mod objects;
mod roots;

use std::cell::RefCell;
use std::time::SystemTime;

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::JsonMap;
use apollo_compiler::ExecutableDocument;
use axum::http::{header, HeaderMap};
use serde_json::{json, Value};

use self::errors::{errors_body, LinearError, LinearErrorType};
use self::objects::Ctx;
use crate::record::RecordedOperation;
use crate::schema::linear_schema;
use crate::state::Inner;

/// What to answer.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

pub(crate) fn handle(inner: &mut Inner, verb: &str, headers: &HeaderMap, body: &[u8]) -> Answer {
    let mut record = RecordedOperation {
        operation_name: None,
        operation_type: String::new(),
        root_fields: Vec::new(),
        query: String::new(),
        variables: json!({}),
        viewer_id: None,
        status: 0,
        response: Value::Null,
        violations: Vec::new(),
        received_at: SystemTime::now(),
    };
    let answer = answer(inner, verb, headers, body, &mut record);
    record.status = answer.status;
    record.response = answer.body.clone();
    for violation in &record.violations {
        let name = record.operation_name.clone().or_else(|| record.root_fields.first().cloned());
        inner.violation(format!("{}: {violation}", name.unwrap_or_else(|| "POST /graphql".into())));
    }
    inner.operations.push(record);
    answer
}

fn graphql_error(message: impl Into<String>) -> LinearError {
    LinearError::new(LinearErrorType::GraphqlError, message)
}

fn refuse(error: LinearError, headers: Vec<(&'static str, String)>) -> Answer {
    Answer { status: error.kind.status(), body: errors_body(&[error]), headers }
}

fn answer(inner: &mut Inner, verb: &str, headers: &HeaderMap, body: &[u8], record: &mut RecordedOperation) -> Answer {
    if verb != "POST" {
        record.violations.push(format!("{verb} /graphql: the contract's endpoint is POST"));
        return refuse(graphql_error("GraphQL requests must be POST"), Vec::new());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/json") {
        record.violations.push(format!("Content-Type {content_type:?}; the body is JSON (application/json)"));
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(request)) => Value::Object(request),
        _ => {
            record.violations.push("the body is not a JSON object".into());
            return refuse(graphql_error("The request body must be a JSON object"), Vec::new());
        }
    };
    let Some(query) = request["query"].as_str() else {
        record.violations.push("no `query` string in the body".into());
        return refuse(graphql_error("Must provide query string."), Vec::new());
    };
    record.query = query.to_string();
    let variables = match &request["variables"] {
        Value::Null => json!({}),
        Value::Object(map) => Value::Object(map.clone()),
        other => {
            record.violations.push(format!("`variables` must be an object, got {other}"));
            json!({})
        }
    };
    record.variables = variables.clone();
    let operation_name = request["operationName"].as_str();

    let schema = &linear_schema().schema;
    let document = ExecutableDocument::parse_and_validate(schema, query, "operation.graphql");
    // What was sent, as far as it parses (an invalid document still names its operation).
    let parsed: &ExecutableDocument = match &document {
        Ok(valid) => valid,
        Err(invalid) => &invalid.partial,
    };
    if let Ok(operation) = parsed.operations.get(operation_name) {
        record.operation_name = operation.name.as_ref().map(|n| n.to_string()).or(operation_name.map(str::to_string));
        record.operation_type = operation.operation_type.to_string();
        record.root_fields = root_fields(&operation.selection_set);
    }
    let complexity = match (&document, parsed.operations.get(operation_name)) {
        (Ok(document), Ok(operation)) => count_fields(document, &operation.selection_set),
        _ => 1,
    };
    // Validation problems are violations whatever the token: the product sent them.
    let invalid: Vec<LinearError> = match &document {
        Ok(_) => Vec::new(),
        Err(invalid) => {
            invalid.errors.iter().map(|d| graphql_error(crate::schema::explain(d.error.to_string()))).collect()
        }
    };
    record.violations.extend(invalid.iter().map(|e| e.message.clone()));
    let (rate_headers, limited) = inner.rate_limits.charge(complexity);
    if limited {
        let error = LinearError::new(LinearErrorType::Ratelimited, "Rate limit exceeded")
            .user_message("You have exceeded the API rate limit. Please wait before retrying.");
        return refuse(error, rate_headers);
    }
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let viewer = match auth::authenticate(inner, authorization) {
        Ok(viewer) => viewer,
        Err((error, violation)) => {
            record.violations.extend(violation);
            return refuse(error, rate_headers);
        }
    };
    record.viewer_id = Some(viewer.clone());
    let document = match document {
        Ok(document) => document,
        Err(_) => return Answer { status: 400, body: errors_body(&invalid), headers: rate_headers },
    };
    let operation = match document.operations.get(operation_name) {
        Ok(operation) => operation,
        Err(e) => {
            record.violations.push(e.message().to_string());
            return refuse(graphql_error(e.message().to_string()), rate_headers);
        }
    };
    let raw: JsonMap = serde_json::from_value(variables).unwrap_or_default();
    let coerced = match coerce_variable_values(schema, operation, &raw) {
        Ok(coerced) => coerced,
        Err(e) => {
            let message = format!("Variable error: {}", e.message());
            record.violations.push(message.clone());
            return refuse(LinearError::invalid_input(message), rate_headers);
        }
    };
    if let Some(failure) = inner.failures.pop_front() {
        return refuse(failure, rate_headers);
    }
    execute(inner, viewer, &document, operation, &coerced, record, rate_headers)
}

fn execute(
    inner: &mut Inner,
    viewer_id: String,
    document: &apollo_compiler::validation::Valid<ExecutableDocument>,
    operation: &Operation,
    variables: &apollo_compiler::validation::Valid<JsonMap>,
    record: &mut RecordedOperation,
    headers: Vec<(&'static str, String)>,
) -> Answer {
    let ctx = Ctx {
        inner: RefCell::new(inner),
        viewer_id,
        errors: RefCell::new(Vec::new()),
        violations: RefCell::new(Vec::new()),
    };
    let root = roots::Root { ctx: &ctx, mutation: operation.operation_type.is_mutation() };
    let execution =
        Execution::new(&linear_schema().schema, document).operation(operation).coerced_variable_values(variables);
    let response = match execution.execute_sync(&root) {
        Ok(response) => response,
        Err(e) => return refuse(graphql_error(e.message().to_string()), headers),
    };
    record.violations.extend(ctx.violations.take());
    let mut known = ctx.errors.take();
    let mut errors = Vec::new();
    let mut status = 200;
    for error in &response.errors {
        // The executor writes a resolver's error as `resolver error: <message>`.
        let linear = match known.iter().position(|k| error.message.strip_prefix("resolver error: ") == Some(&k.message))
        {
            Some(i) => known.remove(i),
            None => LinearError::new(LinearErrorType::InternalError, error.message.clone()),
        };
        if status == 200 {
            status = linear.kind.status();
        }
        errors.push(linear.to_json(serde_json::to_value(&error.path).ok()));
    }
    let mut body = serde_json::Map::new();
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    body.insert("data".into(), serde_json::to_value(&response.data).unwrap_or(Value::Null));
    Answer { status, body: Value::Object(body), headers }
}

fn root_fields(selection_set: &SelectionSet) -> Vec<String> {
    selection_set
        .selections
        .iter()
        .filter_map(|s| match s {
            Selection::Field(field) => Some(field.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The double's complexity estimate: one point per selected field, fragments expanded.
fn count_fields(document: &ExecutableDocument, selection_set: &SelectionSet) -> u64 {
    selection_set
        .selections
        .iter()
        .map(|selection| match selection {
            Selection::Field(field) => 1 + count_fields(document, &field.selection_set),
            Selection::InlineFragment(inline) => count_fields(document, &inline.selection_set),
            Selection::FragmentSpread(spread) => {
                document.fragments.get(&spread.fragment_name).map_or(0, |f| count_fields(document, &f.selection_set))
            }
        })
        .sum()
}
