//! The Web API subset the double serves, read from Slack's own OpenAPI spec
//! (`contracts/web-api-subset.json`) at start, and the checks of what the product sends against
//! it: the HTTP verb, the content type, unknown parameters, required parameters and parameter
//! types.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Slack's Web API OpenAPI 2.0 spec, trimmed to the methods the double serves.
pub const WEB_API_SPEC: &str = include_str!("../contracts/web-api-subset.json");

/// Required parameters per method, from the contract README's table (the 2021 spec marks
/// neither `conversations.replies`' nor `users.info`'s as required; Slack's current docs and
/// practice do). `chat.postMessage` also needs one of `text`, `blocks`, `attachments`
/// (`no_text` otherwise), checked by the method itself.
pub(crate) const REQUIRED: &[(&str, &[&str])] = &[
    ("chat.postMessage", &["channel"]),
    ("chat.update", &["channel", "ts"]),
    ("reactions.add", &["channel", "name", "timestamp"]),
    ("conversations.replies", &["channel", "ts"]),
    ("users.info", &["user"]),
    ("auth.test", &[]),
];

/// Parameters holding a message timestamp: the spec's `defs_ts` pattern `^\d{10}\.\d{6}$`.
const TS_PARAMS: &[&str] = &["ts", "thread_ts", "timestamp"];

/// Parameters the spec types `string` that Slack documents as "pass true" flags.
const STRING_FLAGS: &[&str] = &["as_user", "link_names"];

/// Parameters the spec types `string` that hold "a JSON-based array … presented as a
/// URL-encoded string": in a JSON body Slack takes the array itself.
const JSON_ARRAYS: &[&str] = &["blocks", "attachments"];

/// One method of the spec.
#[derive(Clone, Debug)]
pub(crate) struct MethodSpec {
    /// `GET` or `POST`.
    pub verb: String,
    /// Accepted request content types.
    pub consumes: Vec<String>,
    /// Parameters other than `token` (which the double takes from the `Authorization` header,
    /// or a form or query parameter).
    pub params: Vec<ParamSpec>,
    /// The `error` codes the spec documents for the method.
    pub errors: Vec<String>,
    /// The keys the success schema requires.
    pub success_required: Vec<String>,
}

/// One parameter of a method.
#[derive(Clone, Debug)]
pub(crate) struct ParamSpec {
    pub name: String,
    /// `string`, `boolean`, `number` or `integer`.
    pub ty: String,
}

impl MethodSpec {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// The parsed spec: method name → its spec.
pub(crate) fn methods() -> &'static BTreeMap<String, MethodSpec> {
    static METHODS: OnceLock<BTreeMap<String, MethodSpec>> = OnceLock::new();
    METHODS.get_or_init(|| parse(WEB_API_SPEC).expect("contracts/web-api-subset.json is Slack's spec"))
}

fn parse(spec: &str) -> Result<BTreeMap<String, MethodSpec>, String> {
    let spec: Value = serde_json::from_str(spec).map_err(|e| e.to_string())?;
    let paths = spec["paths"].as_object().ok_or("no paths")?;
    let mut methods = BTreeMap::new();
    for (path, ops) in paths {
        let name = path.trim_start_matches('/').to_string();
        let (verb, op) = ops.as_object().and_then(|o| o.iter().next()).ok_or(format!("{path}: no operation"))?;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
        };
        let params = op["parameters"]
            .as_array()
            .ok_or(format!("{path}: no parameters"))?
            .iter()
            .filter(|p| p["name"] != "token")
            .map(|p| ParamSpec {
                name: p["name"].as_str().unwrap_or_default().to_string(),
                ty: p["type"].as_str().unwrap_or("string").to_string(),
            })
            .collect();
        methods.insert(
            name,
            MethodSpec {
                verb: verb.to_ascii_uppercase(),
                consumes: strings(&op["consumes"]),
                params,
                errors: strings(&op["responses"]["default"]["schema"]["properties"]["error"]["enum"]),
                success_required: strings(&op["responses"]["200"]["schema"]["required"]),
            },
        );
    }
    Ok(methods)
}

/// The `error` codes Slack's spec documents for `method` (empty for a method outside the
/// subset).
pub fn documented_errors(method: &str) -> Vec<String> {
    methods().get(method).map(|m| m.errors.clone()).unwrap_or_default()
}

/// The keys the spec's success schema for `method` requires.
pub fn success_keys(method: &str) -> Vec<String> {
    methods().get(method).map(|m| m.success_required.clone()).unwrap_or_default()
}

/// Where a request's arguments came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// No body (a `GET`, or a `POST` with nothing in it).
    None,
    Form,
    Json,
}

/// Checks a request's arguments (query and body merged, `token` removed) against the spec;
/// returns one message per problem.
pub(crate) fn check(
    method: &str,
    spec: &MethodSpec,
    verb: &str,
    body: BodyKind,
    args: &Map<String, Value>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if verb != spec.verb && !(spec.verb == "GET" && verb == "POST") {
        // Every method takes a form POST; a GET to a POST method is outside the spec.
        problems.push(format!("{method}: sent with {verb}; the spec has {}", spec.verb));
    }
    if body == BodyKind::Json && !spec.consumes.iter().any(|c| c == "application/json") {
        problems.push(format!(
            "{method}: sent a JSON body; the spec's method consumes only {:?} (Slack ignores JSON arguments here)",
            spec.consumes
        ));
    }
    for name in args.keys() {
        if spec.param(name).is_none() {
            problems.push(format!("{method}: unknown parameter `{name}`"));
        }
    }
    let required = REQUIRED.iter().find(|(m, _)| *m == method).map(|(_, r)| *r).unwrap_or(&[]);
    for name in required {
        if args.get(*name).is_none_or(is_blank) {
            problems.push(format!("{method}: missing required parameter `{name}`"));
        }
    }
    for (name, value) in args {
        let Some(param) = spec.param(name) else { continue };
        if let Some(problem) = type_problem(param, value, body == BodyKind::Json) {
            problems.push(format!("{method}: parameter `{name}` {problem}"));
        }
    }
    problems
}

/// Whether a value counts as not given (missing, empty string or `null`).
pub(crate) fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn type_problem(param: &ParamSpec, value: &Value, json: bool) -> Option<String> {
    let name = param.name.as_str();
    let kind = json_kind(value);
    match (param.ty.as_str(), value) {
        (_, Value::Null) => Some("is null".into()),
        ("boolean", Value::Bool(_)) => None,
        ("boolean", Value::String(s)) if matches!(s.as_str(), "true" | "false" | "1" | "0") => None,
        ("boolean", _) => Some(format!("must be a boolean (true/false), got {kind} {value}")),
        ("integer", Value::Number(n)) if n.is_u64() || n.is_i64() => None,
        ("integer", Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => None,
        ("integer", _) => Some(format!("must be an integer, got {kind} {value}")),
        ("number", Value::String(s)) if TS_PARAMS.contains(&name) => ts_problem(s),
        ("number", Value::String(s)) if s.parse::<f64>().is_ok() => None,
        ("number", Value::Number(_)) if !TS_PARAMS.contains(&name) => None,
        ("number", _) => Some(format!("must be a number as a string, got {kind} {value}")),
        (_, Value::String(s)) if TS_PARAMS.contains(&name) => ts_problem(s),
        (_, Value::String(s)) if JSON_ARRAYS.contains(&name) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(_)) => None,
            _ => Some("must be a JSON array (as a string in a form)".into()),
        },
        (_, Value::String(_)) => None,
        (_, Value::Array(_)) if json && JSON_ARRAYS.contains(&name) => None,
        (_, Value::Bool(_)) if json && STRING_FLAGS.contains(&name) => None,
        _ => Some(format!("must be a string, got {kind} {value}")),
    }
}

/// A message timestamp must look like `1700000000.000100` (the spec's `defs_ts`).
fn ts_problem(ts: &str) -> Option<String> {
    let ok = ts.len() == 17
        && ts.as_bytes()[10] == b'.'
        && ts.bytes().enumerate().all(|(i, b)| i == 10 || b.is_ascii_digit());
    (!ok).then(|| format!("must be a message timestamp like \"1700000000.000100\", got {ts:?}"))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn reads_the_six_methods() {
        let methods = methods();
        let names: Vec<&str> = methods.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["auth.test", "chat.postMessage", "chat.update", "conversations.replies", "reactions.add", "users.info"]
        );
        for (name, required) in REQUIRED {
            let spec = &methods[*name];
            for param in *required {
                assert!(spec.param(param).is_some(), "{name}: required `{param}` is not in the spec");
            }
        }
        assert_eq!(methods["conversations.replies"].verb, "GET");
        assert_eq!(methods["chat.postMessage"].param("unfurl_links").unwrap().ty, "boolean");
        assert!(methods["reactions.add"].errors.contains(&"already_reacted".to_string()));
        assert_eq!(methods["chat.postMessage"].success_required, ["ok", "channel", "ts", "message"]);
    }

    #[test]
    fn checks() {
        let post = &methods()["chat.postMessage"];
        let ok = args(json!({"channel": "C1", "text": "hi", "thread_ts": "1700000000.000100", "unfurl_links": false}));
        assert_eq!(check("chat.postMessage", post, "POST", BodyKind::Json, &ok), Vec::<String>::new());
        let form = args(json!({"channel": "C1", "blocks": "[{\"type\":\"divider\"}]", "mrkdwn": "true"}));
        assert_eq!(check("chat.postMessage", post, "POST", BodyKind::Form, &form), Vec::<String>::new());
        let bad = args(json!({"text": "hi", "thread_ts": 1700000000.0001, "unfurl": true, "mrkdwn": "yes"}));
        let problems = check("chat.postMessage", post, "GET", BodyKind::Json, &bad);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].contains("sent with GET"));
        assert!(problems.iter().any(|p| p.contains("unknown parameter `unfurl`")));
        assert!(problems.iter().any(|p| p.contains("missing required parameter `channel`")));
        assert!(problems.iter().any(|p| p.contains("`thread_ts` must be a string")));
        assert!(problems.iter().any(|p| p.contains("`mrkdwn` must be a boolean")));

        let replies = &methods()["conversations.replies"];
        let good = args(json!({"channel": "C1", "ts": "1700000000.000100", "limit": "10"}));
        assert!(check("conversations.replies", replies, "GET", BodyKind::None, &good).is_empty());
        assert!(check("conversations.replies", replies, "POST", BodyKind::Form, &good).is_empty());
        let problems = check("conversations.replies", replies, "POST", BodyKind::Json, &good);
        assert!(problems[0].contains("JSON body"), "{problems:?}");
        let short = args(json!({"channel": "C1", "ts": "1700000000.1", "limit": "ten"}));
        assert_eq!(check("conversations.replies", replies, "GET", BodyKind::None, &short).len(), 2);
    }
}
