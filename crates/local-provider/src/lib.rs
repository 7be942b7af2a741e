//! Local sandbox provider (being built).
