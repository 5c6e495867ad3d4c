//! Shared helpers for integration tests.

pub mod sf_org;
