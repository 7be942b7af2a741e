//! Secret names: environment-variable syntax, and none of the names the sandbox itself needs.
//!
//! Invariant: every variable of the supervisor's environment
//! (`oi_protocol::supervisor_env::all`) and every name under the project's prefixes is refused,
//! so a variable added to the protocol's lists is refused here without a change.

use oi_protocol::limits::MAX_SECRET_NAME_CHARS;
use oi_protocol::supervisor_env;

use super::SecretRefusal;

/// Names a secret may not take besides the supervisor's own: the shell's, the loader's, and the
/// secrets API's paths.
pub const RESERVED_NAMES: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "PWD",
    "OLDPWD",
    "TERM",
    "HOSTNAME",
    "TMPDIR",
    "LANG",
    "IFS",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "BASH_ENV",
    "ENV",
    // The secrets API's own paths (`/api/secrets/import`, `/audit`, `/rotate`).
    "import",
    "audit",
    "rotate",
];

/// Prefixes besides the project's (`supervisor_env::PROJECT_PREFIXES`): OpenCode's, and git's
/// (whose credentials come only from the control plane).
pub const OTHER_RESERVED_PREFIXES: &[&str] = &["OPENCODE_", "GIT_"];

/// Every reserved prefix: the project's, then [`OTHER_RESERVED_PREFIXES`].
pub fn reserved_prefixes() -> impl Iterator<Item = &'static str> {
    supervisor_env::PROJECT_PREFIXES.iter().chain(OTHER_RESERVED_PREFIXES).copied()
}

/// Accepts `[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_SECRET_NAME_CHARS`], not reserved.
pub fn check_name(name: &str) -> Result<(), SecretRefusal> {
    if name.is_empty() {
        return Err(SecretRefusal::invalid("a secret needs a name"));
    }
    if name.chars().count() > MAX_SECRET_NAME_CHARS {
        return Err(SecretRefusal::invalid(format!("secret name is longer than {MAX_SECRET_NAME_CHARS} characters")));
    }
    let mut chars = name.chars();
    let first = chars.next().unwrap_or('0');
    let valid = (first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(SecretRefusal::invalid(format!(
            "secret name {name:?} is not an environment variable name: use letters, digits and _, not starting with a digit"
        )));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(SecretRefusal::invalid(format!("secret name {name} is reserved")));
    }
    let upper = name.to_ascii_uppercase();
    if let Some(prefix) = reserved_prefixes().find(|p| upper.starts_with(p)) {
        return Err(SecretRefusal::invalid(format!(
            "secret name {name} is reserved: names starting with {prefix} belong to the sandbox"
        )));
    }
    if supervisor_env::all().any(|reserved| reserved == name) {
        return Err(SecretRefusal::invalid(format!(
            "secret name {name} is reserved: the sandbox's supervisor reads it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_variable_names_are_accepted() {
        for name in ["DATABASE_URL", "_PRIVATE", "npm_token", "A", "X1_2"] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn bad_and_reserved_names_are_refused_with_the_reason() {
        for (name, says) in [
            ("", "needs a name"),
            ("1ABC", "not an environment variable name"),
            ("MY-KEY", "not an environment variable name"),
            ("MY KEY", "not an environment variable name"),
            ("KEY=1", "not an environment variable name"),
            ("ÉTÉ", "not an environment variable name"),
            ("PATH", "reserved"),
            ("HOME", "reserved"),
            ("LD_PRELOAD", "reserved"),
            ("OI_SANDBOX_TOKEN", "belong to the sandbox"),
            ("oi_anything", "belong to the sandbox"),
            ("OPENCODE_CONFIG", "belong to the sandbox"),
            ("GIT_ASKPASS", "belong to the sandbox"),
            ("import", "reserved"),
        ] {
            let refusal = check_name(name).expect_err(name);
            assert!(refusal.message.contains(says), "{name}: {}", refusal.message);
            assert_eq!(refusal.code, oi_protocol::ErrorCode::InvalidRequest);
        }
        let long = "A".repeat(MAX_SECRET_NAME_CHARS + 1);
        assert!(check_name("SETUP_TIMEOUT_SECONDS").unwrap_err().message.contains("supervisor reads it"));
        assert!(check_name(&long).unwrap_err().message.contains("longer than"));
        assert_eq!(check_name(&"A".repeat(MAX_SECRET_NAME_CHARS)), Ok(()));
    }

    #[test]
    fn no_variable_of_the_supervisor_can_be_a_secret() {
        for name in supervisor_env::all() {
            assert!(check_name(name).is_err(), "{name} would reach the supervisor as a secret");
        }
    }
}
