//! JSONPath (RFC 9535, with `jsonpath-rust`) over a webhook delivery's JSON body: the
//! trigger's filter, its variables and its idempotency key.
//!
//! One departure from RFC 9535, the one Goessner's and Jayway's JSONPath make: a filter applied
//! to an OBJECT tests the object itself (RFC 9535 tests each of its members). So
//! `$[?(@.action == 'opened')]` tests the body, and `$.pull_request[?(@.draft == false)]` the
//! pull request; on an array a filter tests each element, as usual. (A filter in a descendant
//! or multi-selector segment, `..[?…]` or `[?…, ?…]`, follows RFC 9535 as written.)

use std::collections::{BTreeMap, BTreeSet};

use jsonpath_rust::parser::errors::JsonPathError;
use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

/// A variable's value is cut to this many characters.
pub const MAX_VALUE_CHARS: usize = 4_000;
/// The `payload` variable (the whole body as compact JSON) is cut to this many characters.
pub const MAX_PAYLOAD_CHARS: usize = 32_000;
/// The longest JSONPath accepted.
pub const MAX_PATH_CHARS: usize = 1_000;

/// Checks a JSONPath; the message names the path and the parse error.
pub fn check_path(path: &str) -> Result<(), String> {
    let chars = path.chars().count();
    if chars > MAX_PATH_CHARS {
        return Err(format!("the JSONPath has {chars} characters; the limit is {MAX_PATH_CHARS}"));
    }
    parse_json_path(path)
        .map(|_| ())
        .map_err(|e| format!("`{path}` is not a valid JSONPath ({})", one_line(&e.to_string())))
}

/// A parser message on one line: pest's `--> line:column` and `= expected …`, else the text
/// with its whitespace collapsed.
fn one_line(message: &str) -> String {
    let column = message.split("-->").nth(1).and_then(|rest| rest.split_whitespace().next()?.split(':').nth(1));
    let expected = message.lines().map(str::trim).find_map(|l| l.strip_prefix("= "));
    match (column, expected) {
        (Some(column), Some(expected)) => format!("at character {column}: {expected}"),
        _ => message.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// The nodes `path` selects in `body`, in order (copies).
pub fn select(body: &Value, path: &str) -> Result<Vec<Value>, String> {
    check_path(path)?;
    let invalid = |e: JsonPathError| format!("`{path}` cannot be evaluated: {}", one_line(&e.to_string()));
    let query = parse_json_path(path).map_err(invalid)?;
    if !query.segments.iter().any(is_filter) {
        return Ok(js_path_process(&query, body).map_err(invalid)?.into_iter().map(|r| r.val.clone()).collect());
    }
    // The body becomes the one element of an array (and `$` becomes `$[0]`), so that every
    // node, the body too, has a parent: a filter tests an object through its parent, then
    // keeps it alone. The crate's own node pointers are not public; normalized paths are.
    let document = Value::Array(vec![body.clone()]);
    let rooted = parse_json_path(&rooted(path)).map_err(invalid)?;
    let mut nodes: Vec<(String, &Value)> = vec![("$".to_string(), &document)];
    let from = |at: &str, segment: &Segment| -> Result<Vec<(String, &Value)>, String> {
        let mut segments = parse_json_path(at).map_err(invalid)?.segments;
        segments.push(segment.clone());
        Ok(js_path_process(&JpQuery::new(segments), &document)
            .map_err(invalid)?
            .into_iter()
            .map(|r| (r.path, r.val))
            .collect())
    };
    for segment in rooted.segments {
        let mut next = Vec::new();
        // What the filter kept among each parent's children (siblings share one evaluation).
        let mut kept_by_parent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (at, node) in nodes {
            if !(is_filter(&segment) && node.is_object()) {
                next.extend(from(&at, &segment)?);
                continue;
            }
            let parent = parent(&at).to_string();
            if !kept_by_parent.contains_key(&parent) {
                let kept = from(&parent, &segment)?.into_iter().map(|(path, _)| path).collect();
                kept_by_parent.insert(parent.clone(), kept);
            }
            if kept_by_parent[&parent].contains(&at) {
                next.push((at, node));
            }
        }
        nodes = next;
    }
    Ok(nodes.into_iter().map(|(_, v)| v.clone()).collect())
}

fn is_filter(segment: &Segment) -> bool {
    matches!(segment, Segment::Selector(Selector::Filter(_)))
}

/// `path` with every root identifier `$` (outside string literals) made `$[0]`.
fn rooted(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in path.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' => {
                out.push_str("$[0]");
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// The normalized path of a node's parent (`$['a'][2]` → `$['a']`).
fn parent(normalized: &str) -> &str {
    let mut last_open = 0;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in normalized.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                in_quote = false;
            }
        } else if c == '\'' {
            in_quote = true;
        } else if c == '[' {
            last_open = i;
        }
    }
    if last_open == 0 {
        normalized
    } else {
        &normalized[..last_open]
    }
}

/// Whether the filter selects at least one node of the body.
pub fn matches(body: &Value, filter: &str) -> Result<bool, String> {
    Ok(!select(body, filter)?.is_empty())
}

/// The first node `path` selects, as text: strings unquoted, numbers and booleans as written,
/// objects and arrays as compact JSON; `null` or nothing selected is None. Cut to
/// [`MAX_VALUE_CHARS`] characters.
pub fn first(body: &Value, path: &str) -> Result<Option<String>, String> {
    Ok(select(body, path)?.first().and_then(|v| as_text(v, MAX_VALUE_CHARS)))
}

/// A JSON value as a variable's text (None for `null`), cut to `max` characters.
pub fn as_text(value: &Value, max: usize) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(crate::cut_chars(&text, max).to_string())
}

/// Each variable's value (name → JSONPath): [`first`]; a variable that selects nothing (or
/// `null`) is absent.
pub fn values(body: &Value, variables: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (name, path) in variables {
        if let Some(value) = first(body, path).map_err(|e| format!("variable `{name}`: {e}"))? {
            out.insert(name.clone(), value);
        }
    }
    Ok(out)
}

/// The `payload` variable: the body as compact JSON, cut to [`MAX_PAYLOAD_CHARS`] characters.
pub fn payload_text(body: &Value) -> String {
    crate::cut_chars(&body.to_string(), MAX_PAYLOAD_CHARS).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pull_request(action: &str, draft: bool) -> Value {
        json!({
            "action": action,
            "number": 42,
            "pull_request": {
                "title": "Fix the flaky test",
                "draft": draft,
                "user": {"login": "octocat"},
                "labels": [{"name": "bug"}, {"name": "ci"}],
                "merged_at": null,
            },
            "repository": {"full_name": "acme/app", "private": true},
        })
    }

    #[test]
    fn filters() {
        let cases: &[(&str, Value, bool)] = &[
            ("$[?(@.action == 'opened')]", pull_request("opened", false), true),
            ("$[?(@.action == 'opened')]", pull_request("closed", false), false),
            ("$[?@.action == 'opened']", pull_request("opened", false), true),
            ("$.pull_request[?(@.draft == false)]", pull_request("opened", false), true),
            ("$.pull_request[?(@.draft == false)]", pull_request("opened", true), false),
            ("$[?(@.action == 'opened' && @.pull_request.draft == false)]", pull_request("opened", false), true),
            ("$[?(@.action == 'opened' && @.pull_request.draft == false)]", pull_request("opened", true), false),
            ("$.pull_request.labels[?(@.name == 'bug')]", pull_request("opened", false), true),
            ("$.pull_request.labels[?(@.name == 'docs')]", pull_request("opened", false), false),
            ("$[?(@.number > 40)]", pull_request("opened", false), true),
            ("$.repository[?(@.private)]", pull_request("opened", false), true),
            ("$.action", pull_request("opened", false), true),
            ("$.missing", pull_request("opened", false), false),
            ("$..login", pull_request("opened", false), true),
            // A filter over the root array tests each element.
            ("$[?(@.ok == true)]", json!([{"ok": false}, {"ok": true}]), true),
            ("$[?(@.ok == true)]", json!([{"ok": false}]), false),
            // The filter may refer to the root.
            (
                "$.pull_request[?(@.user.login == $.sender)]",
                json!({"sender": "a", "pull_request": {"user": {"login": "a"}}}),
                true,
            ),
            (
                "$.pull_request[?(@.user.login == $.sender)]",
                json!({"sender": "b", "pull_request": {"user": {"login": "a"}}}),
                false,
            ),
            (
                "$[?(@.sender == $.pull_request.user.login)]",
                json!({"sender": "a", "pull_request": {"user": {"login": "a"}}}),
                true,
            ),
            // After a filter, the path goes on from what it kept.
            ("$[?(@.action == 'opened')].pull_request[?(@.draft == false)]", pull_request("opened", false), true),
            ("$[?(@.action == 'opened')].pull_request[?(@.draft == false)]", pull_request("opened", true), false),
            // Keys with quotes and brackets survive the round trip through normalized paths.
            ("$['a\\'b[']['c'][?(@.d == 1)]", json!({"a'b[": {"c": {"d": 1}}}), true),
            // Descendants, then a filter on each object found.
            ("$..user[?(@.login == 'octocat')]", pull_request("opened", false), true),
            ("$..user[?(@.login == 'hubot')]", pull_request("opened", false), false),
        ];
        for (filter, body, want) in cases {
            assert_eq!(matches(body, filter), Ok(*want), "{filter} over {body}");
        }
    }

    #[test]
    fn first_values() {
        let body = json!({
            "s": "text", "n": 42, "f": 1.5, "b": true, "z": null,
            "o": {"a": [1, 2]}, "list": ["x", "y"], "long": "é".repeat(MAX_VALUE_CHARS + 10),
            "issue": {"number": 7, "user": {"login": "octocat"}},
        });
        let cases: &[(&str, Option<&str>)] = &[
            ("$.s", Some("text")),
            ("$.n", Some("42")),
            ("$.f", Some("1.5")),
            ("$.b", Some("true")),
            ("$.z", None),
            ("$.missing", None),
            ("$.o", Some(r#"{"a":[1,2]}"#)),
            ("$.list", Some(r#"["x","y"]"#)),
            ("$.list[*]", Some("x")),
            ("$.list[1]", Some("y")),
            ("$.issue.user.login", Some("octocat")),
            ("$['issue']['number']", Some("7")),
        ];
        for (path, want) in cases {
            assert_eq!(first(&body, path).unwrap().as_deref(), *want, "{path}");
        }
        // Cut on a character boundary: 4,000 two-byte characters.
        let long = first(&body, "$.long").unwrap().unwrap();
        assert_eq!(long.chars().count(), MAX_VALUE_CHARS);
        assert!(long.chars().all(|c| c == 'é'));
    }

    #[test]
    fn bad_paths() {
        let too_long = format!("$.{}", "a".repeat(MAX_PATH_CHARS));
        let cases: &[(&str, &str)] = &[
            ("action", "`action` is not a valid JSONPath"),
            ("$.", "`$.` is not a valid JSONPath"),
            (
                "$[?(@.action == )]",
                "`$[?(@.action == )]` is not a valid JSONPath (at character 17: expected comparable)",
            ),
            ("$[", "is not a valid JSONPath"),
            ("", "is not a valid JSONPath"),
            (&too_long, "the limit is 1000"),
        ];
        for (path, needle) in cases {
            let e = check_path(path).unwrap_err();
            assert!(e.contains(needle), "{path}: {e}");
            assert!(matches(&json!({}), path).is_err(), "{path}");
        }
        for ok in ["$", "$.a.b", "$..name", "$[0]", "$['a b']", "$[?(@.x == 'y')]", "$.a[?(@.b > 1 || @.c)]"] {
            assert_eq!(check_path(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn variables_by_name() {
        let body = pull_request("opened", false);
        let variables: BTreeMap<String, String> = [
            ("title", "$.pull_request.title"),
            ("author", "$.pull_request.user.login"),
            ("merged", "$.pull_request.merged_at"),
            ("nothing", "$.nope"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let got = values(&body, &variables).unwrap();
        let want: BTreeMap<String, String> = [("author", "octocat"), ("title", "Fix the flaky test")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
        let bad: BTreeMap<String, String> = [("x".to_string(), "$[".to_string())].into();
        assert!(values(&body, &bad).unwrap_err().contains("variable `x`"));
    }

    #[test]
    fn a_filter_over_many_sibling_objects_stays_fast() {
        let items: Vec<Value> = (0..3000).map(|i| json!({"id": i, "ok": i == 2999})).collect();
        let body = json!({ "items": items });
        assert_eq!(first(&body, "$.items[*][?(@.ok == true)].id").unwrap().as_deref(), Some("2999"));
        assert_eq!(select(&body, "$.items[*][?(@.id < 10)]").unwrap().len(), 10);
    }

    #[test]
    fn rooting_and_parents() {
        let cases: &[(&str, &str)] = &[
            ("$", "$[0]"),
            ("$.a", "$[0].a"),
            ("$[?(@.a == '$')]", "$[0][?(@.a == '$')]"),
            ("$[?(@.a == \"$\")]", "$[0][?(@.a == \"$\")]"),
            ("$[?(@.a == $.b)]", "$[0][?(@.a == $[0].b)]"),
            (r"$['it\'s $']", r"$[0]['it\'s $']"),
        ];
        for (path, want) in cases {
            assert_eq!(rooted(path), *want, "{path}");
        }
        let cases: &[(&str, &str)] = &[
            ("$[0]['a'][2]", "$[0]['a']"),
            ("$[0]", "$"),
            ("$", "$"),
            ("$[0]['x[y]']", "$[0]"),
            (r"$[0]['it\'s [']['b']", r"$[0]['it\'s [']"),
        ];
        for (path, want) in cases {
            assert_eq!(parent(path), *want, "{path}");
        }
    }

    #[test]
    fn the_payload_variable_is_compact_and_cut() {
        assert_eq!(payload_text(&json!({"a": 1, "b": [true, null]})), r#"{"a":1,"b":[true,null]}"#);
        let big = json!({"x": "日".repeat(MAX_PAYLOAD_CHARS)});
        assert_eq!(payload_text(&big).chars().count(), MAX_PAYLOAD_CHARS);
    }
}
