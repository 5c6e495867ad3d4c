//! Local servers shared by integration tests: a GCP REST fixture server and a
//! Salesforce fixture org.
#![allow(dead_code)]

pub mod gcp_fixture_server;
#[cfg(feature = "salesforce")]
pub mod sf_org;
#[cfg(feature = "salesforce")]
pub mod sf_site;

/// The `mamori` binary with no Salesforce session in its environment and no colour.
pub fn mamori_without_sf_session() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("mamori").expect("the mamori binary");
    cmd.env_remove("SF_ACCESS_TOKEN")
        .env_remove("SF_INSTANCE_URL")
        .env("NO_COLOR", "1");
    cmd
}
