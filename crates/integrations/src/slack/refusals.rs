//! What the people watching a session are told when Slack refuses a call about its thread
//! (`ok: false` with an error code, shared/contracts/slack/web-api-subset.json): the call, and
//! in plain words what is wrong and who can fix it.

/// The session notice for Slack refusing `method` with `code`.
pub fn refusal_notice(method: &str, code: &str) -> String {
    let what = match code {
        "not_in_channel" => "the app is not a member of the channel: invite it there (`/invite @<app>`)",
        "channel_not_found" => "the channel is gone, or the app cannot see it",
        "is_archived" => "the channel is archived",
        "not_authed" | "invalid_auth" | "account_inactive" | "token_revoked" | "token_expired" => {
            "the bot token no longer works: an admin can set a new one in Settings → Integrations → Slack"
        }
        "missing_scope" | "no_permission" => {
            "the app lacks a permission it needs: reinstall it from the manifest in docs/slack.md"
        }
        "message_not_found" | "cant_update_message" | "edit_window_closed" => {
            "the thread's status message can no longer be updated; the session page has the rest"
        }
        "thread_not_found" => "the thread is gone",
        "msg_too_long"
        | "no_text"
        | "too_many_attachments"
        | "invalid_blocks"
        | "invalid_arg_name"
        | "invalid_array_arg"
        | "invalid_charset"
        | "invalid_form_data"
        | "invalid_json"
        | "json_not_object" => "Slack found the message malformed (a bug in Open Inspect: please report it)",
        _ => "",
    };
    if what.is_empty() {
        format!("Slack refused {method} for this session's thread ({code}).")
    } else {
        format!("Slack refused {method} for this session's thread ({code}): {what}.")
    }
}

#[cfg(test)]
mod tests {
    use super::refusal_notice;

    #[test]
    fn each_refusal_says_what_is_wrong_and_who_can_fix_it() {
        let cases: &[(&str, &str, &str)] = &[
            ("chat.postMessage", "not_in_channel", "invite it"),
            ("chat.update", "channel_not_found", "channel is gone"),
            ("chat.postMessage", "is_archived", "archived"),
            ("chat.update", "token_revoked", "Settings → Integrations → Slack"),
            ("chat.update", "invalid_auth", "bot token no longer works"),
            ("conversations.replies", "missing_scope", "manifest"),
            ("chat.update", "message_not_found", "can no longer be updated"),
            ("chat.postMessage", "msg_too_long", "a bug in Open Inspect"),
        ];
        for (method, code, needle) in cases {
            let notice = refusal_notice(method, code);
            assert!(notice.starts_with(&format!("Slack refused {method} ")), "{notice}");
            assert!(notice.contains(&format!("({code})")) && notice.contains(needle), "{code}: {notice}");
        }
        assert_eq!(
            refusal_notice("chat.update", "fatal_error"),
            "Slack refused chat.update for this session's thread (fatal_error)."
        );
    }
}
