//! Scripted test model (being built).
