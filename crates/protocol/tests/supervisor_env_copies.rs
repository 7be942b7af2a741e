//! Keeps the copies of the supervisor's environment contract true to
//! `oi_protocol::supervisor_env`: the Modal provider's `RESERVED` list
//! (`modal/open_inspect_modal/env.py`, Python, so it cannot use the constants) and the tables in
//! docs/sandbox-provider.md, "The supervisor's environment".

use std::collections::BTreeSet;

use oi_protocol::supervisor_env::{FROM_REQUEST, PROVIDER_SET};

fn read(relative: &str) -> String {
    let path = format!("{}/../../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The string literals of the Python tuple or list assigned to `name` (`NAME = ( "A", "B", )`).
fn python_strings(source: &str, name: &str) -> Vec<String> {
    let start = source
        .lines()
        .position(|line| line.starts_with(&format!("{name} = (")) || line.starts_with(&format!("{name} = [")))
        .unwrap_or_else(|| panic!("no `{name} = (` in the Python source"));
    let mut out = vec![];
    for line in source.lines().skip(start + 1) {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.starts_with(')') || line.starts_with(']') {
            return out;
        }
        for literal in line.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let unquoted = literal
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or_else(|| panic!("`{literal}` in {name} is not a plain string literal"));
            out.push(unquoted.to_string());
        }
    }
    panic!("{name} is not closed");
}

/// The names in the first column of each table in the section headed `heading`, one set per
/// table.
fn table_names(doc: &str, heading: &str) -> Vec<BTreeSet<String>> {
    let doc = format!("\n{doc}");
    let section = doc.split(&format!("\n{heading}\n")).nth(1).unwrap_or_else(|| panic!("no section {heading:?}"));
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut tables = vec![];
    let mut current: Option<BTreeSet<String>> = None;
    for line in section.lines() {
        let Some(row) = line.strip_prefix('|') else {
            tables.extend(current.take());
            continue;
        };
        let first = row.split('|').next().unwrap_or_default();
        let table = current.get_or_insert_with(BTreeSet::new);
        // `variable` heads the table and `---` rules it; names are in backticks.
        for name in first.split('`').skip(1).step_by(2) {
            table.insert(name.to_string());
        }
    }
    tables.extend(current);
    tables
}

fn differences(what: &str, theirs: &BTreeSet<String>, ours: &[&str]) -> Option<String> {
    let ours: BTreeSet<String> = ours.iter().map(|s| s.to_string()).collect();
    let missing: Vec<&String> = ours.difference(theirs).collect();
    let extra: Vec<&String> = theirs.difference(&ours).collect();
    (!missing.is_empty() || !extra.is_empty()).then(|| {
        format!("{what}:\n  missing (in oi_protocol, not there): {missing:?}\n  extra (there only): {extra:?}")
    })
}

#[test]
fn modal_reserves_exactly_the_protocol_names() {
    let listed = python_strings(&read("modal/open_inspect_modal/env.py"), "RESERVED");
    let set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(set.len(), listed.len(), "modal RESERVED lists a name twice: {listed:?}");
    if let Some(diff) = differences("modal/open_inspect_modal/env.py RESERVED", &set, PROVIDER_SET) {
        panic!("{diff}");
    }
}

#[test]
fn the_provider_doc_lists_exactly_the_protocol_names() {
    let tables = table_names(&read("docs/sandbox-provider.md"), "## The supervisor's environment");
    assert_eq!(tables.len(), 2, "expected two tables (set by the provider, from the request): {tables:?}");
    let problems: Vec<String> = [
        differences("docs/sandbox-provider.md, the provider's table", &tables[0], PROVIDER_SET),
        differences("docs/sandbox-provider.md, the request's table", &tables[1], FROM_REQUEST),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_parsers_read_what_they_should() {
    let python = "X = 1\nRESERVED = (\n    \"A\",  # one\n    \"B\", \"C\",\n)\n";
    assert_eq!(python_strings(python, "RESERVED"), ["A", "B", "C"]);
    let doc = "## S\n\n| variable | meaning |\n|---|---|\n| `A`, `B` | x `C` |\n\ntext\n\n| variable | m |\n| `D` | y |\n## T\n| `E` | z |\n";
    let tables = table_names(doc, "## S");
    let expect = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(tables, vec![expect(&["A", "B"]), expect(&["D"])]);
}
