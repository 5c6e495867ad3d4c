//! Files shared by public link: `ContentDistribution` (one row per link created with
//! "Share via link" / "Public link"). Only the link's settings and counters are read;
//! the link URL and its password are never selected.
//!
//! Salesforce returns only the links of files the integration user can access (the
//! object's special access rules), so a user without "View All Data" may see a subset.

use super::client::Api;
use super::kinds::CONTENT_DISTRIBUTION;
use super::{Ctx, Data, bool_field, int_field, str_field, ts_field};
use crate::collect::CollectError;

/// Collects public content links.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<(), CollectError> {
    let Some(rows) = ctx
        .select(
            Api::Rest,
            "ContentDistribution",
            &[
                "Id",
                "Name",
                "ContentDocumentId",
                "PreferencesPasswordRequired",
                "PreferencesExpires",
                "ExpiryDate",
                "PreferencesAllowOriginalDownload",
                "PreferencesAllowViewInBrowser",
                "ViewCount",
                "CreatedDate",
                "LastViewDate",
            ],
            "",
            &[CONTENT_DISTRIBUTION],
        )
        .await?
    else {
        return Ok(());
    };
    for r in &rows {
        let Some(id) = str_field(r, "Id") else {
            continue;
        };
        let name = str_field(r, "Name").unwrap_or_else(|| id.clone());
        let data = Data::new()
            .opt("content_document_id", str_field(r, "ContentDocumentId"))
            .opt(
                "password_required",
                bool_field(r, "PreferencesPasswordRequired"),
            )
            .opt("expires", bool_field(r, "PreferencesExpires"))
            .opt("expiry_date", ts_field(r, "ExpiryDate"))
            .opt(
                "allow_original_download",
                bool_field(r, "PreferencesAllowOriginalDownload"),
            )
            .opt(
                "allow_view_in_browser",
                bool_field(r, "PreferencesAllowViewInBrowser"),
            )
            .opt("view_count", int_field(r, "ViewCount"))
            .opt("created", ts_field(r, "CreatedDate"))
            .opt("last_viewed", ts_field(r, "LastViewDate"));
        ctx.push(CONTENT_DISTRIBUTION, &id, &name, data.into_map());
    }
    Ok(())
}
