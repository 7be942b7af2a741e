//! Secret names: environment-variable syntax, and none of the names the sandbox itself needs.
//!
//! Invariant: every variable of the supervisor's environment
//! (`oi_protocol::supervisor_env::all`) and every name under the project's prefixes is refused,
//! so a variable added to the protocol's lists is refused here without a change.

use oi_protocol::limits::MAX_SECRET_NAME_CHARS;
use oi_protocol::supervisor_env;

use super::SecretRefusal;

/// Names a secret may not take besides the supervisor's own: the shell's, the loader's, the
/// ones that make an interpreter, compiler or package manager run other code, the proxies and
/// certificate stores (which would route or intercept the sandbox's traffic), and the secrets
/// API's paths. A repository's secrets reach every session on it, so none of them may turn
/// into code in someone else's sandbox. Compared without case.
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
    "PROMPT_COMMAND",
    "PS0",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "SHELLOPTS",
    "BASHOPTS",
    "CDPATH",
    "GLOBIGNORE",
    "GCONV_PATH",
    "HOSTALIASES",
    "LOCALDOMAIN",
    "RES_OPTIONS",
    "MALLOC_CONF",
    "TZDIR",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "BROWSER",
    // Interpreters and compilers.
    "NODE_OPTIONS",
    "NODE_PATH",
    "NODE_EXTRA_CA_CERTS",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "CLASSPATH",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTDOC",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CC",
    "CXX",
    "LD",
    "AR",
    "CPP",
    "CFLAGS",
    "CXXFLAGS",
    "LDFLAGS",
    "MAKEFLAGS",
    "GOFLAGS",
    "GOPROXY",
    "GONOSUMDB",
    "GOINSECURE",
    // Proxies and certificate stores.
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "FTP_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    // The secrets API's own paths (`/api/secrets/import`, `/audit`, `/rotate`).
    "import",
    "audit",
    "rotate",
];

/// Prefixes besides the project's (`supervisor_env::PROJECT_PREFIXES`): OpenCode's, git's (whose
/// credentials come only from the control plane), the dynamic loader's, bash's exported
/// functions, Python's interpreter options, npm's configuration (`npm_config_*` runs scripts
/// and picks registries) and cargo's build and target settings (wrappers and linkers).
pub const OTHER_RESERVED_PREFIXES: &[&str] = &[
    "OPENCODE_",
    "GIT_",
    "LD_",
    "DYLD_",
    "BASH_FUNC_",
    "PYTHON",
    "NPM_CONFIG_",
    "CARGO_BUILD_",
    "CARGO_TARGET_",
    "CARGO_HOST_",
    "CARGO_ALIAS_",
];

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
    let upper = name.to_ascii_uppercase();
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(SecretRefusal::invalid(format!(
            "secret name {name} is reserved: it would change how the sandbox's programs run or reach the network"
        )));
    }
    if let Some(prefix) = reserved_prefixes().find(|p| upper.starts_with(p)) {
        return Err(SecretRefusal::invalid(format!(
            "secret name {name} is reserved: names starting with {prefix} belong to the sandbox or change how its \
             programs run"
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
        for name in ["DATABASE_URL", "_PRIVATE", "npm_token", "A", "X1_2", "NPM_TOKEN", "CARGO_REGISTRIES_ACME_TOKEN"] {
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
            // What would run other code, or route or intercept traffic, in someone else's sandbox.
            ("NODE_OPTIONS", "reserved"),
            ("node_options", "reserved"),
            ("PYTHONPATH", "reserved"),
            ("PYTHONSTARTUP", "reserved"),
            ("PERL5OPT", "reserved"),
            ("RUBYOPT", "reserved"),
            ("npm_config_registry", "reserved"),
            ("PROMPT_COMMAND", "reserved"),
            ("GCONV_PATH", "reserved"),
            ("https_proxy", "reserved"),
            ("HTTP_PROXY", "reserved"),
            ("SSL_CERT_FILE", "reserved"),
            ("RUSTC_WRAPPER", "reserved"),
            ("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER", "reserved"),
            ("BASH_FUNC_ls", "reserved"),
            ("JAVA_TOOL_OPTIONS", "reserved"),
            ("DYLD_INSERT_LIBRARIES", "reserved"),
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
