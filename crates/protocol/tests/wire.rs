//! Wire-format details that other code relies on.

use oi_protocol::client::ClientMessage;
use oi_protocol::decode::{decode_body, decode_frame};
use oi_protocol::rest::PromptRequest;
use oi_protocol::ErrorCode;

#[test]
fn error_codes_have_one_name_and_a_status() {
    let all = [
        ErrorCode::BadJson,
        ErrorCode::InvalidRequest,
        ErrorCode::UnknownMessageType,
        ErrorCode::NotFound,
        ErrorCode::SessionNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PromptTooLong,
        ErrorCode::PromptEmpty,
        ErrorCode::QueueFull,
        ErrorCode::IdempotencyConflict,
        ErrorCode::SessionArchived,
        ErrorCode::PromptNotCancellable,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::RateLimited,
        ErrorCode::Misconfigured,
        ErrorCode::Internal,
    ];
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md")).unwrap();
    for code in all {
        assert_eq!(serde_json::to_value(code).unwrap(), code.as_str(), "{code:?}");
        let row = format!("| `{}` | {} |", code.as_str(), code.http_status());
        assert!(doc.contains(&row), "docs/protocol.md error table lacks {row}");
    }
    assert_eq!(ErrorCode::QueueFull.http_status(), 429);
    assert_eq!(ErrorCode::PromptTooLong.http_status(), 413);
}

#[test]
fn decoding_names_the_problem() {
    let e = decode_frame::<ClientMessage>("{", ClientMessage::TYPES).unwrap_err();
    assert_eq!(e.code, ErrorCode::BadJson);
    let e = decode_frame::<ClientMessage>(r#"{"type":"fly"}"#, ClientMessage::TYPES).unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownMessageType);
    assert!(e.message.contains("\"fly\""));
    let e = decode_frame::<ClientMessage>(r#"{"type":"prompt"}"#, ClientMessage::TYPES).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("text"), "{}", e.message);
    let e = decode_frame::<ClientMessage>(r#"{"type":7}"#, ClientMessage::TYPES).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(
        decode_frame::<ClientMessage>(r#"{"type":"subscribe"}"#, ClientMessage::TYPES).unwrap(),
        ClientMessage::Subscribe { after_seq: None }
    );
    let e = decode_body::<PromptRequest>(r#"{"text":1}"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(decode_body::<PromptRequest>("nope").unwrap_err().code, ErrorCode::BadJson);
}

#[test]
fn every_client_type_is_decodable() {
    for t in ClientMessage::TYPES {
        let e = decode_frame::<ClientMessage>(&format!(r#"{{"type":"{t}"}}"#), ClientMessage::TYPES);
        if let Err(e) = e {
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{t} is known, so only its fields can be wrong");
        }
    }
}
