//! Network boundary and outbound trust: remote site settings, CSP trusted sites and
//! named credentials.

use super::client::Api;
use super::kinds::{CSP_TRUSTED_SITE, NAMED_CREDENTIAL, REMOTE_SITE};
use super::{Ctx, Data, bool_field, str_field};
use crate::collect::CollectError;

/// CSP directives and the `CspTrustedSite` flags that allow them.
const DIRECTIVES: [(&str, &str); 6] = [
    ("connect-src", "IsApplicableToConnectSrc"),
    ("frame-src", "IsApplicableToFrameSrc"),
    ("img-src", "IsApplicableToImgSrc"),
    ("style-src", "IsApplicableToStyleSrc"),
    ("font-src", "IsApplicableToFontSrc"),
    ("media-src", "IsApplicableToMediaSrc"),
];

/// Collects remote sites, CSP trusted sites and named credentials.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<(), CollectError> {
    let mut csp_fields = vec!["Id", "DeveloperName", "EndpointUrl", "Context", "IsActive"];
    csp_fields.extend(DIRECTIVES.iter().map(|(_, f)| *f));
    let [mut f_remote, mut f_csp, mut f_named] = ctx.forks();
    let (remote, csp, named) = together!(ctx;
        f_remote.select(
            Api::Tooling,
            "RemoteProxy",
            &[
                "Id",
                "SiteName",
                "EndpointUrl",
                "IsActive",
                "DisableProtocolSecurity",
                "Description",
            ],
            "",
            &[REMOTE_SITE],
        ),
        f_csp.select(
            Api::Tooling,
            "CspTrustedSite",
            &csp_fields,
            "",
            &[CSP_TRUSTED_SITE],
        ),
        f_named.select(
            Api::Rest,
            "NamedCredential",
            &["Id", "DeveloperName", "Endpoint", "PrincipalType"],
            "",
            &[NAMED_CREDENTIAL],
        ),
    );
    ctx.absorb([f_remote, f_csp, f_named]);

    if let Some(rows) = remote? {
        for r in &rows {
            let Some(id) = str_field(r, "Id") else {
                continue;
            };
            let name = str_field(r, "SiteName").unwrap_or_else(|| id.clone());
            let data = Data::new()
                .opt("url", str_field(r, "EndpointUrl"))
                .opt("is_active", bool_field(r, "IsActive"))
                .opt(
                    "disable_protocol_security",
                    bool_field(r, "DisableProtocolSecurity"),
                )
                .opt("description", str_field(r, "Description"));
            ctx.push(REMOTE_SITE, &id, &name, data.into_map());
        }
    }

    if let Some(rows) = csp? {
        for r in &rows {
            let Some(id) = str_field(r, "Id") else {
                continue;
            };
            let name = str_field(r, "DeveloperName").unwrap_or_else(|| id.clone());
            let directives: Vec<&str> = DIRECTIVES
                .iter()
                .filter(|(_, f)| bool_field(r, f) == Some(true))
                .map(|(d, _)| *d)
                .collect();
            let data = Data::new()
                .opt("endpoint_url", str_field(r, "EndpointUrl"))
                .opt("context", str_field(r, "Context"))
                .opt("is_active", bool_field(r, "IsActive"))
                .set("directives", directives);
            ctx.push(CSP_TRUSTED_SITE, &id, &name, data.into_map());
        }
    }

    if let Some(rows) = named? {
        for r in &rows {
            let Some(id) = str_field(r, "Id") else {
                continue;
            };
            let name = str_field(r, "DeveloperName").unwrap_or_else(|| id.clone());
            let data = Data::new()
                .opt("endpoint", str_field(r, "Endpoint"))
                .opt("principal_type", str_field(r, "PrincipalType"));
            ctx.push(NAMED_CREDENTIAL, &id, &name, data.into_map());
        }
    }
    Ok(())
}
