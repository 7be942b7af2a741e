//! A pasted `.env` file as name/value pairs, parsed by `dotenvy` (the format docker-compose and
//! most tools read: `NAME=value`, `export NAME=value`, single and double quotes, `#` comments,
//! `${OTHER}` expanded from earlier lines unless single-quoted). Every name is checked.

use super::names::check_name;
use super::SecretRefusal;

/// The file's variables in order; a name given twice keeps its last value.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, SecretRefusal> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (name, value) = item.map_err(|e| SecretRefusal::invalid(describe(&e)))?;
        check_name(&name)?;
        pairs.retain(|(n, _)| *n != name);
        pairs.push((name, value));
    }
    if pairs.is_empty() {
        return Err(SecretRefusal::invalid("the .env text holds no NAME=value lines"));
    }
    Ok(pairs)
}

/// The parser's error, without the offending text (which may hold a value).
fn describe(error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::LineParse(_, index) => {
            format!("the .env text cannot be parsed near character {index} of its line")
        }
        _ => "the .env text cannot be parsed".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_dotenv_forms_parse() {
        let text = "# database\nDATABASE_URL=postgres://u:p@localhost/db\nexport NPM_TOKEN=\"abc def\"\nLITERAL='no $EXPANSION here'\nEMPTY=\nA=1\nA=2\n";
        let pairs = parse(text).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("DATABASE_URL".to_string(), "postgres://u:p@localhost/db".to_string()),
                ("NPM_TOKEN".into(), "abc def".into()),
                ("LITERAL".into(), "no $EXPANSION here".into()),
                ("EMPTY".into(), "".into()),
                ("A".into(), "2".into()),
            ]
        );
    }

    #[test]
    fn reserved_names_and_garbage_are_refused_without_echoing_values() {
        let refusal = parse("GOOD=1\nPATH=/evil\n").unwrap_err();
        assert!(refusal.message.contains("PATH is reserved"), "{}", refusal.message);
        let refusal = parse("TOKEN=\"unterminated hunter2\n").unwrap_err();
        assert!(!refusal.message.contains("hunter2"), "{}", refusal.message);
        assert!(parse("# only a comment\n\n").unwrap_err().message.contains("no NAME=value"));
    }
}
