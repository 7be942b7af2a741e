//! Who a commit is credited to. The person who started the session authors the agent's commits;
//! everyone else who prompted it is a co-author (`Co-authored-by:` trailers, which GitHub shows
//! on the commit). People without a public email are credited with GitHub's noreply address.

/// A commit author or co-author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// GitHub's noreply address for a user: `{id}+{login}@users.noreply.github.com`. GitHub links
/// commits with it to the account.
pub fn noreply_email(user_id: u64, login: &str) -> String {
    format!("{user_id}+{login}@users.noreply.github.com")
}

/// Runs of whitespace (newlines included) as one space, trimmed.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The address, if it can go in a trailer: one `@`, no spaces or angle brackets.
fn usable_email(email: &str) -> Option<&str> {
    let email = email.trim();
    let fits = email.matches('@').count() == 1
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c == '<' || c == '>');
    fits.then_some(email)
}

/// `Co-authored-by: Name <email>` for every prompter other than the author, in the order they
/// first prompted, once per email (compared case-insensitively). A prompter whose email cannot
/// go in a trailer is left out; a name that is empty (or only angle brackets) becomes the
/// email's local part.
pub fn co_author_trailers(author: &Person, prompters: &[Person]) -> Vec<String> {
    let mut seen = vec![author.email.trim().to_lowercase()];
    let mut trailers = Vec::new();
    for person in prompters {
        let Some(email) = usable_email(&person.email) else { continue };
        let key = email.to_lowercase();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let name = one_line(&person.name.replace(['<', '>'], " "));
        let name = if name.is_empty() { email.split('@').next().unwrap_or(email).to_string() } else { name };
        trailers.push(format!("Co-authored-by: {name} <{email}>"));
    }
    trailers
}

/// How a user appears in commits: a person signed in with GitHub (id `gh-<GitHub id>` and a
/// login) by their name and noreply address, so GitHub links the commit to their account;
/// anyone else by their name and email as given.
pub fn commit_person(user: &oi_protocol::User) -> Person {
    let github_id = user.id.strip_prefix("gh-").and_then(|id| id.parse::<u64>().ok());
    let email = match (github_id, user.login.as_deref()) {
        (Some(id), Some(login)) if !login.is_empty() => noreply_email(id, login),
        _ => user.email.clone(),
    };
    Person { name: one_line(&user.name), email }
}

/// Who a prompt's commit is by: `author` (the prompting user), with every other person who
/// prompted the session (`prompters`, in the order they first prompted) as a co-author.
pub fn commit_attribution(
    author: &oi_protocol::User,
    prompters: &[oi_protocol::User],
) -> oi_protocol::source_control::CommitAttribution {
    let author = commit_person(author);
    let others: Vec<Person> = prompters.iter().map(commit_person).collect();
    let trailers = co_author_trailers(&author, &others);
    oi_protocol::source_control::CommitAttribution {
        author: oi_protocol::source_control::CommitPerson { name: author.name, email: author.email },
        trailers,
    }
}

/// A commit message: the subject (one line), a blank line, the body, a blank line, the trailers
/// (one per line). Empty parts are left out with their blank line; no line ends in whitespace
/// and the message does not end in a newline.
pub fn commit_message(subject: &str, body: &str, trailers: &[String]) -> String {
    let subject = one_line(subject);
    let body = body.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let body = body.trim_matches('\n');
    let trailers = trailers.iter().map(|t| one_line(t)).filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n");
    [subject.as_str(), body, trailers.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: &str) -> Person {
        Person { name: name.into(), email: email.into() }
    }

    #[test]
    fn github_users_commit_as_their_noreply_address_and_others_as_themselves() {
        let user = |id: &str, name: &str, email: &str, login: Option<&str>| oi_protocol::User {
            id: id.into(),
            name: name.into(),
            email: email.into(),
            login: login.map(String::from),
        };
        let ada = user("gh-1", "Ada Lovelace", "ada@acme.test", Some("ada"));
        let grace = user("gh-2", "Grace Hopper", "grace@acme.test", Some("grace"));
        let local = user("local-bob", "Bob", "bob@local.invalid", None);
        let made = commit_attribution(&grace, &[ada.clone(), grace.clone(), local, ada]);
        assert_eq!(made.author.email, "2+grace@users.noreply.github.com");
        assert_eq!(made.author.name, "Grace Hopper");
        assert_eq!(
            made.trailers,
            [
                "Co-authored-by: Ada Lovelace <1+ada@users.noreply.github.com>",
                "Co-authored-by: Bob <bob@local.invalid>"
            ]
        );
        // Without a login (or with a non-GitHub id) the email is used as given.
        let odd = user("gh-x", "Odd", "odd@acme.test", Some("odd"));
        assert_eq!(commit_person(&odd).email, "odd@acme.test");
    }

    #[test]
    fn noreply_addresses() {
        assert_eq!(noreply_email(583231, "octocat"), "583231+octocat@users.noreply.github.com");
        assert_eq!(noreply_email(1, "a-b"), "1+a-b@users.noreply.github.com");
    }

    #[test]
    fn every_other_prompter_once_in_first_prompt_order() {
        let author = person("Ada", "ada@example.com");
        let prompters = [
            person("Bob", "bob@example.com"),
            person("Ada", "ADA@example.com"), // the author, whatever the case
            person("Cy", "1+cy@users.noreply.github.com"),
            person("Bob again", "Bob@Example.com"), // Bob, prompting again
            person("Dee", "dee@example.com"),
            person("Cy", "1+cy@users.noreply.github.com"),
        ];
        assert_eq!(
            co_author_trailers(&author, &prompters),
            [
                "Co-authored-by: Bob <bob@example.com>",
                "Co-authored-by: Cy <1+cy@users.noreply.github.com>",
                "Co-authored-by: Dee <dee@example.com>",
            ]
        );
    }

    #[test]
    fn nobody_else_prompted() {
        let author = person("Ada", "ada@example.com");
        assert!(co_author_trailers(&author, &[]).is_empty());
        assert!(co_author_trailers(&author, &[author.clone(), author.clone()]).is_empty());
    }

    #[test]
    fn names_and_emails_that_would_break_a_trailer() {
        let author = person("Ada", "ada@example.com");
        let prompters = [
            person("Eve\nCo-authored-by: Mallory <m@example.com>", "eve@example.com"),
            person("  <>  ", "  fay@example.com "),
            person("Gus", "not an email"),
            person("Hal", "hal@example.com> <x@example.com"),
            person("Ida", ""),
            person("Jo", "@example.com"),
        ];
        assert_eq!(
            co_author_trailers(&author, &prompters),
            [
                "Co-authored-by: Eve Co-authored-by: Mallory m@example.com <eve@example.com>",
                "Co-authored-by: fay <fay@example.com>",
            ]
        );
    }

    #[test]
    fn a_message_with_every_part() {
        let trailers = co_author_trailers(&person("Ada", "ada@x.org"), &[person("Bob", "bob@x.org")]);
        assert_eq!(
            commit_message("Fix the parser", "It read one byte too many.\nNow it stops.", &trailers),
            "Fix the parser\n\nIt read one byte too many.\nNow it stops.\n\nCo-authored-by: Bob <bob@x.org>"
        );
    }

    #[test]
    fn empty_parts_are_left_out() {
        let trailers = vec!["Co-authored-by: Bob <bob@x.org>".to_string()];
        assert_eq!(commit_message("Subject", "", &trailers), "Subject\n\nCo-authored-by: Bob <bob@x.org>");
        assert_eq!(commit_message("Subject", "Body", &[]), "Subject\n\nBody");
        assert_eq!(commit_message("Subject", " \n\t\n", &[String::new()]), "Subject");
    }

    #[test]
    fn no_trailing_whitespace_and_a_one_line_subject() {
        let message = commit_message(
            "  Fix\n the   parser  ",
            "\n\nFirst line.   \n\n  Indented stays.\t\n\n\n",
            &["Co-authored-by: Bob <bob@x.org>  ".to_string(), "Co-authored-by: Cy <cy@x.org>".to_string()],
        );
        assert_eq!(
            message,
            "Fix the parser\n\nFirst line.\n\n  Indented stays.\n\nCo-authored-by: Bob <bob@x.org>\nCo-authored-by: Cy <cy@x.org>"
        );
        assert!(message.lines().all(|line| line == line.trim_end()));
    }
}
