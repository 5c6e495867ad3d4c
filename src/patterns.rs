//! Id-or-glob patterns as the command line takes them (`--check aws-s3-*`,
//! `--account '1111*'`): one set built from many patterns, with an error naming the bad one.

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Builds one set from `patterns`; `what` names them in the error (`check`, `account`).
pub fn globset(patterns: &[String], what: &str) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("invalid {what} pattern `{p}`: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}
