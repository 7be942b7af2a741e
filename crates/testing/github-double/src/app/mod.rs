//! The GitHub App side of the double: verifying the App's JWT ([`jwt`]), minting installation
//! tokens and listing an installation's repositories ([`tokens`]), the pull request and check
//! run model ([`pulls`], [`checks`]), the conversation on them ([`discussion`]) and the state they share ([`state`]).

pub(crate) mod checks;
pub(crate) mod discussion;
pub(crate) mod jwt;
pub(crate) mod pulls;
pub(crate) mod reviewing;
pub(crate) mod state;
pub(crate) mod tokens;
