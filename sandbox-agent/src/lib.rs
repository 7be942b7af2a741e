//! Sandbox supervisor (being built).
