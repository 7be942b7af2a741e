//! Block Kit checks: what makes Slack answer `invalid_blocks`. The limits are Block Kit's
//! documented ones (docs.slack.dev, "Reference: blocks / block elements / composition
//! objects"); the contract's spec models blocks only loosely (objects with a `type`). Errors
//! read like Slack's `response_metadata.messages`:
//! `[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
//!
//! Also Slack's normalisation of what it stores: a block sent without `block_id` and an
//! interactive element sent without `action_id` get ones made up.

use std::collections::HashSet;

use serde_json::Value;

use crate::ids;

/// The most blocks a message may have.
pub const MAX_BLOCKS: usize = 50;
/// A section's `text`.
pub const SECTION_TEXT_MAX: usize = 3000;
/// Each of a section's `fields`, and how many there may be.
const SECTION_FIELD_MAX: usize = 2000;
const SECTION_FIELDS_MAX: usize = 10;
/// A header's text.
const HEADER_TEXT_MAX: usize = 150;
/// A button's (plain text) label.
pub const BUTTON_TEXT_MAX: usize = 75;
/// A button's `value` (the Block Kit reference says 2000 characters).
pub const BUTTON_VALUE_MAX: usize = 2000;
/// `action_id` and `block_id`.
pub const ID_MAX: usize = 255;
/// A button's `url`, an image's `image_url`.
const URL_MAX: usize = 3000;
/// Elements of an `actions` block, of a `context` block.
const ACTIONS_ELEMENTS_MAX: usize = 25;
const CONTEXT_ELEMENTS_MAX: usize = 10;
/// Options of a select menu; an option's text and value.
const OPTIONS_MAX: usize = 100;
const OPTION_TEXT_MAX: usize = 75;
const OPTION_VALUE_MAX: usize = 150;
/// A select's placeholder.
const PLACEHOLDER_MAX: usize = 150;
/// An image's `alt_text`, an input's `label`.
const ALT_TEXT_MAX: usize = 2000;

const BLOCK_TYPES: &[&str] =
    &["actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text", "section", "video"];

/// Interactive elements: the ones that carry an `action_id` and send `block_actions`.
const INTERACTIVE: &[&str] = &[
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "external_select",
    "multi_external_select",
    "multi_static_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "number_input",
    "overflow",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "static_select",
    "timepicker",
    "url_text_input",
    "users_select",
    "conversations_select",
    "channels_select",
    "workflow_button",
];

/// Every problem Slack would answer `invalid_blocks` for, in Slack's message format. `blocks`
/// is the parsed `blocks` argument.
pub fn validate(blocks: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(list) = blocks.as_array() else {
        errors.push(error("must be an array", "/blocks"));
        return errors;
    };
    if list.len() > MAX_BLOCKS {
        errors.push(error(&format!("no more than {MAX_BLOCKS} items allowed"), "/blocks"));
    }
    let mut block_ids = HashSet::new();
    for (i, block) in list.iter().enumerate() {
        let at = format!("/blocks/{i}");
        let Some(obj) = block.as_object() else {
            errors.push(error("must be an object", &at));
            continue;
        };
        if let Some(id) = obj.get("block_id") {
            match id.as_str() {
                Some(id) if id.chars().count() > ID_MAX => errors.push(too_long(ID_MAX, &format!("{at}/block_id"))),
                Some(id) if !block_ids.insert(id.to_string()) => {
                    errors.push(error(&format!("duplicate block_id {id:?}"), &format!("{at}/block_id")))
                }
                Some(_) => {}
                None => errors.push(error("must be a string", &format!("{at}/block_id"))),
            }
        }
        let Some(ty) = obj.get("type").and_then(Value::as_str) else {
            errors.push(error("missing required field: type", &at));
            continue;
        };
        if !BLOCK_TYPES.contains(&ty) {
            errors.push(error(&format!("unsupported type: {ty}"), &format!("{at}/type")));
            continue;
        }
        check_block(ty, block, &at, &mut errors);
    }
    errors
}

fn check_block(ty: &str, block: &Value, at: &str, errors: &mut Vec<String>) {
    match ty {
        "section" => {
            let has_text = block.get("text").is_some();
            let fields = block.get("fields");
            if !has_text && fields.is_none() {
                errors.push(error("must provide either text or fields", at));
            }
            if has_text {
                text_object(&block["text"], None, SECTION_TEXT_MAX, &format!("{at}/text"), errors);
            }
            if let Some(fields) = fields {
                match fields.as_array() {
                    Some(list) => {
                        if list.len() > SECTION_FIELDS_MAX {
                            errors.push(error(
                                &format!("no more than {SECTION_FIELDS_MAX} items allowed"),
                                &format!("{at}/fields"),
                            ));
                        }
                        for (j, field) in list.iter().enumerate() {
                            text_object(field, None, SECTION_FIELD_MAX, &format!("{at}/fields/{j}"), errors);
                        }
                    }
                    None => errors.push(error("must be an array", &format!("{at}/fields"))),
                }
            }
            if let Some(accessory) = block.get("accessory") {
                element(accessory, &format!("{at}/accessory"), &mut HashSet::new(), errors);
            }
        }
        "header" => match block.get("text") {
            Some(text) => text_object(text, Some("plain_text"), HEADER_TEXT_MAX, &format!("{at}/text"), errors),
            None => errors.push(error("missing required field: text", at)),
        },
        "actions" | "context" => {
            let max = if ty == "actions" { ACTIONS_ELEMENTS_MAX } else { CONTEXT_ELEMENTS_MAX };
            let Some(list) = block.get("elements").and_then(Value::as_array) else {
                errors.push(error("missing required field: elements", at));
                return;
            };
            if list.is_empty() {
                errors.push(error("must have at least 1 item", &format!("{at}/elements")));
            }
            if list.len() > max {
                errors.push(error(&format!("no more than {max} items allowed"), &format!("{at}/elements")));
            }
            let mut action_ids = HashSet::new();
            for (j, el) in list.iter().enumerate() {
                let el_at = format!("{at}/elements/{j}");
                if ty == "context" {
                    match el.get("type").and_then(Value::as_str) {
                        Some("image") => {}
                        Some("plain_text" | "mrkdwn") => text_object(el, None, SECTION_TEXT_MAX, &el_at, errors),
                        Some(other) => {
                            errors.push(error(&format!("unsupported type: {other}"), &format!("{el_at}/type")))
                        }
                        None => errors.push(error("missing required field: type", &el_at)),
                    }
                } else {
                    element(el, &el_at, &mut action_ids, errors);
                }
            }
        }
        "image" => {
            match block.get("image_url").and_then(Value::as_str) {
                Some(url) if url.chars().count() > URL_MAX => {
                    errors.push(too_long(URL_MAX, &format!("{at}/image_url")))
                }
                Some(_) => {}
                None if block.get("slack_file").is_some() => {}
                None => errors.push(error("missing required field: image_url", at)),
            }
            match block.get("alt_text").and_then(Value::as_str) {
                Some(alt) if alt.chars().count() > ALT_TEXT_MAX => {
                    errors.push(too_long(ALT_TEXT_MAX, &format!("{at}/alt_text")))
                }
                Some(_) => {}
                None => errors.push(error("missing required field: alt_text", at)),
            }
        }
        "input" => {
            match block.get("label") {
                Some(label) => text_object(label, Some("plain_text"), ALT_TEXT_MAX, &format!("{at}/label"), errors),
                None => errors.push(error("missing required field: label", at)),
            }
            match block.get("element") {
                Some(el) => element(el, &format!("{at}/element"), &mut HashSet::new(), errors),
                None => errors.push(error("missing required field: element", at)),
            }
        }
        "rich_text" if block.get("elements").and_then(Value::as_array).is_none() => {
            errors.push(error("missing required field: elements", at))
        }
        "markdown" if block.get("text").and_then(Value::as_str).is_none() => {
            errors.push(error("missing required field: text", at))
        }
        _ => {}
    }
}

/// A composition text object: `{type: plain_text|mrkdwn, text}`, `text` 1..=max characters.
fn text_object(obj: &Value, only: Option<&str>, max: usize, at: &str, errors: &mut Vec<String>) {
    let ty = obj.get("type").and_then(Value::as_str);
    match (ty, only) {
        (None, _) => errors.push(error("missing required field: type", at)),
        (Some(t), Some(only)) if t != only => {
            errors.push(error(&format!("must be a {only} text object, got {t}"), &format!("{at}/type")))
        }
        (Some("plain_text" | "mrkdwn"), _) => {}
        (Some(t), _) => errors.push(error(&format!("unsupported type: {t}"), &format!("{at}/type"))),
    }
    match obj.get("text").and_then(Value::as_str) {
        Some("") => errors.push(error("must be more than 0 characters", &format!("{at}/text"))),
        Some(text) if text.chars().count() > max => errors.push(too_long(max, &format!("{at}/text"))),
        Some(_) => {}
        None => errors.push(error("missing required field: text", at)),
    }
}

/// An interactive (or image) element.
fn element(el: &Value, at: &str, action_ids: &mut HashSet<String>, errors: &mut Vec<String>) {
    let Some(ty) = el.get("type").and_then(Value::as_str) else {
        errors.push(error("missing required field: type", at));
        return;
    };
    if ty == "image" {
        return;
    }
    if !INTERACTIVE.contains(&ty) {
        errors.push(error(&format!("unsupported type: {ty}"), &format!("{at}/type")));
        return;
    }
    if let Some(id) = el.get("action_id") {
        match id.as_str() {
            Some(id) if id.chars().count() > ID_MAX => errors.push(too_long(ID_MAX, &format!("{at}/action_id"))),
            Some(id) if !action_ids.insert(id.to_string()) => {
                errors.push(error(&format!("duplicate action_id {id:?} in the block"), &format!("{at}/action_id")))
            }
            Some(_) => {}
            None => errors.push(error("must be a string", &format!("{at}/action_id"))),
        }
    }
    match ty {
        "button" | "workflow_button" => {
            match el.get("text") {
                Some(text) => text_object(text, Some("plain_text"), BUTTON_TEXT_MAX, &format!("{at}/text"), errors),
                None => errors.push(error("missing required field: text", at)),
            }
            max_str(el, "value", BUTTON_VALUE_MAX, at, errors);
            max_str(el, "url", URL_MAX, at, errors);
            if let Some(style) = el.get("style") {
                if !matches!(style.as_str(), Some("primary" | "danger")) {
                    errors.push(error("must be one of primary, danger", &format!("{at}/style")));
                }
            }
        }
        "static_select" | "multi_static_select" | "overflow" | "radio_buttons" | "checkboxes" => {
            if let Some(placeholder) = el.get("placeholder") {
                text_object(placeholder, Some("plain_text"), PLACEHOLDER_MAX, &format!("{at}/placeholder"), errors);
            }
            let groups = el.get("option_groups").and_then(Value::as_array);
            let options = el.get("options").and_then(Value::as_array);
            match (options, groups) {
                (Some(options), _) => check_options(options, &format!("{at}/options"), errors),
                (None, Some(groups)) => {
                    for (g, group) in groups.iter().enumerate() {
                        let opts = group.get("options").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
                        check_options(opts, &format!("{at}/option_groups/{g}/options"), errors);
                    }
                }
                (None, None) => errors.push(error("must provide either options or option_groups", at)),
            }
        }
        _ => {}
    }
}

fn check_options(options: &[Value], at: &str, errors: &mut Vec<String>) {
    if options.is_empty() {
        errors.push(error("must have at least 1 item", at));
    }
    if options.len() > OPTIONS_MAX {
        errors.push(error(&format!("no more than {OPTIONS_MAX} items allowed"), at));
    }
    for (k, option) in options.iter().enumerate() {
        let opt_at = format!("{at}/{k}");
        match option.get("text") {
            Some(text) => text_object(text, None, OPTION_TEXT_MAX, &format!("{opt_at}/text"), errors),
            None => errors.push(error("missing required field: text", &opt_at)),
        }
        max_str(option, "value", OPTION_VALUE_MAX, &opt_at, errors);
    }
}

fn max_str(obj: &Value, field: &str, max: usize, at: &str, errors: &mut Vec<String>) {
    match obj.get(field) {
        None => {}
        Some(Value::String(s)) if s.chars().count() > max => errors.push(too_long(max, &format!("{at}/{field}"))),
        Some(Value::String(_)) => {}
        Some(_) => errors.push(error("must be a string", &format!("{at}/{field}"))),
    }
}

fn error(what: &str, pointer: &str) -> String {
    format!("[ERROR] {what} [json-pointer:{pointer}]")
}

fn too_long(max: usize, pointer: &str) -> String {
    error(&format!("must be less than {} characters", max + 1), pointer)
}

/// What Slack stores for valid blocks: a made-up `block_id` where there was none and a
/// made-up `action_id` on interactive elements sent without one.
pub fn normalize(blocks: &Value) -> Vec<Value> {
    let mut out = blocks.as_array().cloned().unwrap_or_default();
    for block in &mut out {
        let Some(obj) = block.as_object_mut() else { continue };
        obj.entry("block_id").or_insert_with(|| Value::String(ids::block_id()));
        for key in ["elements", "accessory", "element"] {
            match obj.get_mut(key) {
                Some(Value::Array(list)) => list.iter_mut().for_each(name_action),
                Some(el @ Value::Object(_)) => name_action(el),
                _ => {}
            }
        }
    }
    out
}

fn name_action(el: &mut Value) {
    let interactive = el.get("type").and_then(Value::as_str).is_some_and(|t| INTERACTIVE.contains(&t));
    if let (true, Some(obj)) = (interactive, el.as_object_mut()) {
        obj.entry("action_id").or_insert_with(|| Value::String(ids::upper_alnum(5)));
    }
}

/// Every interactive element of stored blocks: `(block_id, element)`.
pub fn elements(blocks: &[Value]) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for block in blocks {
        let block_id = block.get("block_id").and_then(Value::as_str).unwrap_or_default().to_string();
        for key in ["elements", "accessory", "element"] {
            match block.get(key) {
                Some(Value::Array(list)) => out.extend(list.iter().map(|el| (block_id.clone(), el))),
                Some(el @ Value::Object(_)) => out.push((block_id.clone(), el)),
                _ => {}
            }
        }
    }
    out.retain(|(_, el)| el.get("action_id").is_some());
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn button(text: &str, action_id: &str, value: &str) -> Value {
        json!({"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value})
    }

    #[test]
    fn valid_blocks_pass() {
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": "Session"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Done*"}, "accessory": button("Open", "open", "1")},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "by Ada"}]},
            {"type": "actions", "block_id": "act", "elements": [
                button("Approve", "approve", "ses_1"),
                {"type": "static_select", "action_id": "model", "placeholder": {"type": "plain_text", "text": "Model"},
                 "options": [{"text": {"type": "plain_text", "text": "Fast"}, "value": "fast"}]},
            ]},
        ]);
        assert_eq!(validate(&blocks), Vec::<String>::new());
    }

    #[test]
    fn limits() {
        let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        assert_eq!(validate(&Value::Array(many)), ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]);
        let long = "x".repeat(3001);
        assert_eq!(
            validate(&json!([{"type": "section", "text": {"type": "mrkdwn", "text": long}}])),
            ["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
        );
        assert_eq!(
            validate(&json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3000)}}])).len(),
            0
        );
        let errors =
            validate(&json!([{"type": "actions", "elements": [button(&"b".repeat(76), &"a".repeat(256), "v")]}]));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.ends_with("[json-pointer:/blocks/0/elements/0/text/text]")));
        assert!(errors.iter().any(|e| e.ends_with("[json-pointer:/blocks/0/elements/0/action_id]")));
        let errors = validate(&json!([{"type": "actions", "elements": [button("ok", "a", &"v".repeat(2001))]}]));
        assert_eq!(errors, ["[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"]);
        assert_eq!(
            validate(&json!([{"text": "no type"}])),
            ["[ERROR] missing required field: type [json-pointer:/blocks/0]"]
        );
        assert_eq!(validate(&json!([{"type": "carousel"}])).len(), 1);
        assert_eq!(
            validate(&json!([{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}])).len(),
            1
        );
        assert_eq!(
            validate(&json!([{"type": "actions", "elements": [button("a", "x", "1"), button("b", "x", "2")]}])).len(),
            1
        );
        assert_eq!(validate(&json!({"type": "divider"})), ["[ERROR] must be an array [json-pointer:/blocks]"]);
        assert_eq!(validate(&json!([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}])).len(), 1);
    }

    #[test]
    fn normalizes_ids() {
        let stored = normalize(&json!([
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}]},
            {"type": "divider", "block_id": "mine"},
        ]));
        assert_eq!(stored[0]["block_id"].as_str().unwrap().len(), 5);
        assert_eq!(stored[0]["elements"][0]["action_id"].as_str().unwrap().len(), 5);
        assert_eq!(stored[1]["block_id"], "mine");
        assert_eq!(elements(&stored).len(), 1);
    }
}
