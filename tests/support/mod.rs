//! Helpers shared by integration tests.

pub mod gcp_fixture_server;
