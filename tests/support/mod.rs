//! Local servers shared by integration tests: a GCP REST fixture server and a
//! Salesforce fixture org.
#![allow(dead_code)]

pub mod gcp_fixture_server;
#[cfg(feature = "salesforce")]
pub mod sf_org;
#[cfg(feature = "salesforce")]
pub mod sf_site;
