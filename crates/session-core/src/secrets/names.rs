//! Secret names: environment-variable syntax, and none of the names the sandbox itself needs.

use oi_protocol::limits::MAX_SECRET_NAME_CHARS;

use super::SecretRefusal;

/// Names a secret may not take: the shell's own, the loader's, and the variables the sandbox
/// supervisor and OpenCode read.
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
    "SETUP_TIMEOUT_SECONDS",
    "START_TIMEOUT_SECONDS",
    // The secrets API's own paths (`/api/secrets/import`, `/audit`, `/rotate`).
    "import",
    "audit",
    "rotate",
];

/// Prefixes that belong to the project (`OI_`, `OPENINSPECT_`), to OpenCode, and to git (whose
/// credentials come only from the control plane).
pub const RESERVED_PREFIXES: &[&str] = &["OI_", "OPENINSPECT_", "OPENCODE_", "GIT_"];

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
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| upper.starts_with(*p)) {
        return Err(SecretRefusal::invalid(format!(
            "secret name {name} is reserved: names starting with {prefix} belong to the sandbox"
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
        assert!(check_name(&long).unwrap_err().message.contains("longer than"));
        assert_eq!(check_name(&"A".repeat(MAX_SECRET_NAME_CHARS)), Ok(()));
    }
}
