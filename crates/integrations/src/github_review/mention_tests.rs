use super::*;

const SLUG: &str = "open-inspect";

#[test]
fn what_counts_as_a_mention() {
    let cases: &[(&str, bool)] = &[
        ("@open-inspect please review", true),
        ("please review, @open-inspect", true),
        ("@Open-Inspect can you fix the typo?", true),
        ("(@open-inspect) thoughts?", true),
        ("cc @open-inspect.", true),
        ("@open-inspect[bot] fix it", true),
        ("line one\n@open-inspect on line two", true),
        ("@open-inspect: what does this do?", true),
        ("@open-inspect, what does this do?", true),
        // Another account or team whose name starts or contains the slug.
        ("@open-inspect-x please review", false),
        ("@open-inspect_x please review", false),
        ("@open-inspectx please review", false),
        ("@acme/open-inspect please review", false),
        ("@open-inspect/team please review", false),
        ("@@open-inspect", false),
        // Addresses and words.
        ("mail ops@open-inspect.dev", false),
        ("open-inspect is mentioned without an at", false),
        ("@open", false),
        ("", false),
        // Code and quotes.
        ("`@open-inspect` is our bot", false),
        ("``code with ` and @open-inspect``", false),
        ("```\n@open-inspect in a block\n```", false),
        ("~~~~\n```\n@open-inspect still in the block\n~~~~", false),
        ("> @open-inspect fix it\n\nI agree with this", false),
        ("  > @open-inspect quoted with indent", false),
        // Outside the code, after it.
        ("```\ncode\n```\n@open-inspect now", true),
        ("`code` then @open-inspect", true),
        ("an unclosed ` then @open-inspect", true),
        ("> quoted\n@open-inspect not quoted", true),
    ];
    for (body, want) in cases {
        assert_eq!(mentions_app(body, SLUG), *want, "{body:?}");
    }
    assert!(!mentions_app("@open-inspect", ""), "no slug, no mention");
    assert!(!mentions_app("@é-inspect", SLUG), "multi-byte text next to `@` is handled");
}

#[test]
fn stripping_leaves_the_request() {
    let cases: &[(&str, &str)] = &[
        ("@open-inspect please review", "please review"),
        ("  @open-inspect   please review  ", "please review"),
        ("please @open-inspect fix the typo", "please fix the typo"),
        ("fix it @open-inspect", "fix it"),
        ("@open-inspect[bot] fix it", "fix it"),
        ("@open-inspect", ""),
        ("@Open-Inspect @open-inspect fix", "fix"),
        // Other mentions, code and quotes stay.
        ("@open-inspect ask @ada about `@open-inspect`", "ask @ada about `@open-inspect`"),
        ("> @open-inspect fix it\n\n@open-inspect why?", "> @open-inspect fix it\n\nwhy?"),
        ("@open-inspect-x hi", "@open-inspect-x hi"),
        ("@open-inspect rename this:\n```rust\nfn a() {}\n```", "rename this:\n```rust\nfn a() {}\n```"),
    ];
    for (body, want) in cases {
        assert_eq!(strip_mentions(body, SLUG), *want, "{body:?}");
    }
}

#[test]
fn backtick_runs_are_byte_ranges() {
    assert_eq!(backtick_runs("a `b` ``c`` ```"), vec![2..3, 4..5, 6..8, 9..11, 12..15]);
    assert_eq!(backtick_runs("é`"), vec![2..3]);
    assert!(backtick_runs("none").is_empty());
}
