//! Sites and Experience Cloud sites, and what their guest (unauthenticated) user may do:
//! system permissions, object and field permissions, Apex classes and Visualforce pages.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use serde_json::Value;

use super::access::Access;
use super::client::Api;
use super::kinds::{GUEST_PROFILE, SITE};
use super::{Ctx, Data, bool_field, soql_in, str_field};
use crate::collect::CollectError;

/// The guest profiles of active sites: profile id -> (profile name, site name, site URL),
/// the first active site of a profile naming it.
pub type Guests = BTreeMap<String, (String, String, Option<String>)>;

/// Collects sites; returns the guest profiles of active sites, for
/// [`guest_profiles`], when there are any.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<Option<Guests>, CollectError> {
    let [mut f_sites, mut f_details] = ctx.forks();
    let (sites, details) = together!(ctx;
        f_sites.select(
            Api::Rest,
            "Site",
            &[
                "Id",
                "Name",
                "MasterLabel",
                "Status",
                "SiteType",
                "UrlPathPrefix",
                "ClickjackProtectionLevel",
                "GuestUserId",
                "GuestUser.ProfileId",
                "GuestUser.Profile.Name",
            ],
            "",
            &[SITE, GUEST_PROFILE],
        ),
        // SiteDetail (by Site.Id in DurableId): the public URL and self-registration.
        f_details.select(
            Api::Rest,
            "SiteDetail",
            &["DurableId", "SecureUrl", "IsRegistrationEnabled"],
            "",
            &[],
        ),
    );
    ctx.absorb([f_sites]);
    let Some(sites) = sites? else {
        return Ok(None);
    };
    ctx.absorb([f_details]);
    let details: HashMap<String, Value> = details?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| Some((str_field(&r, "DurableId")?, r)))
        .collect();
    let urls: HashMap<String, String> = details
        .iter()
        .filter_map(|(id, r)| Some((id.clone(), str_field(r, "SecureUrl")?)))
        .collect();

    let mut guests = Guests::new();
    for s in &sites {
        let Some(id) = str_field(s, "Id") else {
            continue;
        };
        let name = str_field(s, "Name").unwrap_or_else(|| id.clone());
        let url = urls.get(&id).cloned();
        let profile_id = str_field(s, "GuestUser.ProfileId");
        let profile_name = str_field(s, "GuestUser.Profile.Name");
        let data = Data::new()
            .set("site_name", name.clone())
            .opt("label", str_field(s, "MasterLabel"))
            .opt("status", str_field(s, "Status"))
            .opt("site_type", str_field(s, "SiteType"))
            .opt("url_path_prefix", str_field(s, "UrlPathPrefix"))
            .opt("url", url.clone())
            .opt(
                "self_registration_enabled",
                details
                    .get(&id)
                    .and_then(|r| bool_field(r, "IsRegistrationEnabled")),
            )
            .opt("guest_profile", profile_name.clone())
            .opt("guest_profile_id", profile_id.clone())
            .opt(
                "clickjack_protection_level",
                str_field(s, "ClickjackProtectionLevel"),
            );
        ctx.push(SITE, &id, &name, data.into_map());
        if str_field(s, "Status").as_deref() == Some("Active")
            && let Some(pid) = profile_id
        {
            let pname = profile_name.unwrap_or_else(|| pid.clone());
            guests.entry(pid).or_insert((pname, name, url));
        }
    }
    Ok((!guests.is_empty()).then_some(guests))
}

/// Collects the guest profiles of active sites (`guests`, from [`collect`]), from the
/// permission sets `access` read.
pub async fn guest_profiles(
    ctx: &mut Ctx<'_>,
    guests: &Guests,
    access: &Access,
) -> Result<(), CollectError> {
    let Some(profile_sets) = &access.profile_sets else {
        // The permission sets could not be read; that error already covers guest profiles.
        return Ok(());
    };
    let set_ids: Vec<String> = guests
        .keys()
        .filter_map(|p| profile_sets.get(p).map(|s| s.id.clone()))
        .collect();
    let in_list = soql_in(set_ids.iter().map(String::as_str));

    let of_guests = format!(" WHERE ParentId IN ({in_list})");
    let entities_of_guests =
        format!(" WHERE ParentId IN ({in_list}) AND SetupEntityType IN ('ApexClass', 'ApexPage')");
    let [mut f_objects, mut f_fields, mut f_entities] = ctx.forks();
    let (objects, fields, entities) = together!(ctx;
        f_objects.select(
            Api::Rest,
            "ObjectPermissions",
            &[
                "ParentId",
                "SobjectType",
                "PermissionsRead",
                "PermissionsCreate",
                "PermissionsEdit",
                "PermissionsDelete",
                "PermissionsViewAllRecords",
                "PermissionsModifyAllRecords",
            ],
            &of_guests,
            &[GUEST_PROFILE],
        ),
        f_fields.select(
            Api::Rest,
            "FieldPermissions",
            &["ParentId", "Field", "PermissionsRead", "PermissionsEdit"],
            &of_guests,
            &[GUEST_PROFILE],
        ),
        f_entities.select(
            Api::Rest,
            "SetupEntityAccess",
            &["ParentId", "SetupEntityId", "SetupEntityType"],
            &entities_of_guests,
            &[GUEST_PROFILE],
        ),
    );
    ctx.absorb([f_objects, f_fields, f_entities]);
    let (objects, fields, entities) = (objects?, fields?, entities?);
    let names = entity_names(ctx, entities.as_deref().unwrap_or_default()).await?;

    for (profile_id, (profile_name, site_name, url)) in guests {
        let Some(ps) = profile_sets.get(profile_id) else {
            continue;
        };
        let mine = |rows: &Option<Vec<Value>>| -> Vec<Value> {
            rows.iter()
                .flatten()
                .filter(|r| str_field(r, "ParentId").as_deref() == Some(ps.id.as_str()))
                .cloned()
                .collect()
        };
        let flag = |r: &Value, k: &str| bool_field(r, k).unwrap_or(false);
        let mut data = Data::new()
            .set("site_name", site_name.clone())
            .opt("site_url", url.clone())
            .opt(
                "user_license",
                str_field(&ps.record, "Profile.UserLicense.Name"),
            )
            .set("permissions", ps.permissions.clone());
        if objects.is_some() {
            let rows: Vec<Value> = mine(&objects)
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "object": str_field(r, "SobjectType").unwrap_or_default(),
                        "read": flag(r, "PermissionsRead"),
                        "create": flag(r, "PermissionsCreate"),
                        "edit": flag(r, "PermissionsEdit"),
                        "delete": flag(r, "PermissionsDelete"),
                        "view_all": flag(r, "PermissionsViewAllRecords"),
                        "modify_all": flag(r, "PermissionsModifyAllRecords"),
                    })
                })
                .collect();
            data = data.set("object_permissions", rows);
        }
        if fields.is_some() {
            let rows: Vec<Value> = mine(&fields)
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "field": str_field(r, "Field").unwrap_or_default(),
                        "read": flag(r, "PermissionsRead"),
                        "edit": flag(r, "PermissionsEdit"),
                    })
                })
                .collect();
            data = data.set("field_permissions", rows);
        }
        if let (true, Some(names)) = (entities.is_some(), &names) {
            let mut classes = Vec::new();
            let mut pages = Vec::new();
            for r in mine(&entities) {
                let Some(id) = str_field(&r, "SetupEntityId") else {
                    continue;
                };
                let name = names.get(&id).cloned().unwrap_or(id);
                match str_field(&r, "SetupEntityType").as_deref() {
                    Some("ApexClass") => classes.push(name),
                    Some("ApexPage") => pages.push(name),
                    _ => {}
                }
            }
            classes.sort();
            pages.sort();
            data = data
                .set("apex_classes", classes)
                .set("visualforce_pages", pages);
        }
        ctx.push(GUEST_PROFILE, profile_id, profile_name, data.into_map());
    }
    Ok(())
}

/// Names of the Apex classes and Visualforce pages granted through `SetupEntityAccess`
/// (both queries at once; the first that fails, in that order, is recorded).
async fn entity_names(
    ctx: &mut Ctx<'_>,
    entities: &[Value],
) -> Result<Option<HashMap<String, String>>, CollectError> {
    let mut queries = Vec::new();
    for object in ["ApexClass", "ApexPage"] {
        let ids: Vec<String> = entities
            .iter()
            .filter(|r| str_field(r, "SetupEntityType").as_deref() == Some(object))
            .filter_map(|r| str_field(r, "SetupEntityId"))
            .collect();
        if !ids.is_empty() {
            let soql = format!(
                "SELECT Id, Name FROM {object} WHERE Id IN ({})",
                soql_in(ids.iter().map(String::as_str))
            );
            queries.push((object, soql));
        }
    }
    let client = ctx.client;
    let mut answers = futures::stream::iter(&queries)
        .map(|(_, soql)| client.query(Api::Rest, soql))
        .buffered(ctx.width);
    let mut names = HashMap::new();
    for (object, _) in &queries {
        let rows = match answers.next().await {
            Some(Ok(rows)) => rows,
            Some(Err(e)) => {
                let operation = format!("query {object}");
                ctx.record(e, Api::Rest, &operation, object, &[GUEST_PROFILE], None)?;
                return Ok(None);
            }
            None => return Ok(None),
        };
        for r in rows {
            if let (Some(id), Some(name)) = (str_field(&r, "Id"), str_field(&r, "Name")) {
                names.insert(id, name);
            }
        }
    }
    Ok(Some(names))
}
