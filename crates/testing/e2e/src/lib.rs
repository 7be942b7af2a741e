//! End-to-end tests through the whole local stack live in `tests/`: the control plane under
//! workerd, the local provider with bubblewrap, the real supervisor, the pinned OpenCode and
//! git, with the scripted model standing in for the LLM vendor. Shared steps are in
//! `tests/common/`.
