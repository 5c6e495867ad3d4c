//! Who can do what: profiles and permission sets (every profile owns a permission set,
//! every permission set group has an aggregate one, so `PermissionSetAssignment` joined
//! to `PermissionSet` sees all grants), and active users with their privileged
//! permissions, MFA registration and recent UI logins.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::StreamExt;
use serde_json::{Map, Value};

use super::client::Api;
use super::kinds::{GUEST_PROFILE, PERMISSION_SET, PROFILE, USER};
use super::{Ctx, Data, bool_field, str_field, ts_field};
use crate::collect::CollectError;

/// Permissions that make their holder an administrator in practice.
pub const PRIVILEGED: [&str; 13] = [
    "PermissionsModifyAllData",
    "PermissionsViewAllData",
    "PermissionsManageUsers",
    "PermissionsAuthorApex",
    "PermissionsCustomizeApplication",
    "PermissionsManageProfilesPermissionsets",
    "PermissionsAssignPermissionSets",
    "PermissionsManageSharing",
    "PermissionsManageRoles",
    "PermissionsManageEncryptionKeys",
    "PermissionsViewEncryptedData",
    "PermissionsManageInternalUsers",
    "PermissionsResetPasswords",
];

/// The permissions that checks (or this collector) read by name. Checks test a
/// permission through the `permissions` map; a name listed here that the org's describe
/// lacks is recorded as a field gap, so those checks report `error` naming it.
/// `tests/salesforce_fixture.rs` asserts every `Permissions*` name in a check is here.
pub const KNOWN_PERMISSIONS: [&str; 26] = [
    "PermissionsModifyMetadata",
    "PermissionsUseAnyApiClient",
    "PermissionsApiEnabled",
    "PermissionsApiUserOnly",
    "PermissionsAssignPermissionSets",
    "PermissionsAuthorApex",
    "PermissionsBypassMFAForUiLogins",
    "PermissionsCustomizeApplication",
    "PermissionsEditReadonlyFields",
    "PermissionsExportReport",
    "PermissionsIsSsoEnabled",
    "PermissionsManageEncryptionKeys",
    "PermissionsManageInternalUsers",
    "PermissionsManageProfilesPermissionsets",
    "PermissionsManageRoles",
    "PermissionsManageSharing",
    "PermissionsManageUsers",
    "PermissionsModifyAllData",
    "PermissionsPasswordNeverExpires",
    "PermissionsResetPasswords",
    "PermissionsRunReports",
    "PermissionsViewAllData",
    "PermissionsViewAllUsers",
    "PermissionsViewEncryptedData",
    "PermissionsViewSetup",
    "PermissionsViewEventLogFiles",
];

/// User data keys derived from one permission each.
const USER_FLAGS: [(&str, &str); 5] = [
    ("PermissionsApiEnabled", "api_enabled"),
    ("PermissionsUseAnyApiClient", "use_any_api_client"),
    ("PermissionsIsSsoEnabled", "sso_enabled"),
    ("PermissionsBypassMFAForUiLogins", "bypass_mfa"),
    ("PermissionsApiUserOnly", "api_only"),
];

/// The PermissionSet fields read besides its permissions (those the org lacks are left out).
const PERMISSION_SET_FIELDS: [&str; 15] = [
    "Id",
    "Name",
    "Label",
    "Type",
    "IsOwnedByProfile",
    "IsCustom",
    "NamespacePrefix",
    "ProfileId",
    "Profile.Name",
    "Profile.UserType",
    "Profile.UserLicense.Name",
    "License.Name",
    "PermissionSetGroupId",
    "PermissionSetGroup.DeveloperName",
    "PermissionSetGroup.MasterLabel",
];

/// Permission fields selected per query: all of them at once can exceed the URL length
/// Salesforce accepts.
const FIELDS_PER_QUERY: usize = 150;

/// One permission set (or a profile's / group's).
#[derive(Debug, Clone)]
pub struct PermSet {
    /// PermissionSet.Id.
    pub id: String,
    /// The PermissionSet row (without permission fields).
    pub record: Value,
    /// Permissions* -> bool.
    pub permissions: Map<String, Value>,
}

impl PermSet {
    fn holds(&self, perm: &str) -> bool {
        self.permissions.get(perm).and_then(Value::as_bool) == Some(true)
    }

    /// The grant source: (`Profile` | `Group` | `PermissionSet`, human name).
    fn source(&self) -> (&'static str, String) {
        let r = &self.record;
        if bool_field(r, "IsOwnedByProfile") == Some(true) {
            (
                "Profile",
                str_field(r, "Profile.Name").unwrap_or_else(|| self.id.clone()),
            )
        } else if str_field(r, "Type").as_deref() == Some("Group")
            || str_field(r, "PermissionSetGroupId").is_some()
        {
            (
                "Group",
                str_field(r, "PermissionSetGroup.DeveloperName")
                    .or_else(|| str_field(r, "Name"))
                    .unwrap_or_else(|| self.id.clone()),
            )
        } else {
            (
                "PermissionSet",
                str_field(r, "Name").unwrap_or_else(|| self.id.clone()),
            )
        }
    }
}

/// What later areas need from this one.
#[derive(Debug, Default)]
pub struct Access {
    /// Profile id -> the profile's own permission set; `None` when unreadable.
    pub profile_sets: Option<HashMap<String, PermSet>>,
}

/// Collects profiles, permission sets and users.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<Access, CollectError> {
    let all_kinds = [PROFILE, PERMISSION_SET, USER, GUEST_PROFILE];
    let describe = match ctx.client.describe(Api::Rest, "PermissionSet").await {
        Ok(d) => d,
        Err(e) => {
            ctx.record(
                e,
                Api::Rest,
                "describe PermissionSet",
                "PermissionSet",
                &all_kinds,
                None,
            )?;
            return Ok(Access::default());
        }
    };
    let perm_fields: Vec<String> = describe
        .fields
        .iter()
        .filter(|n| n.starts_with("Permissions"))
        .cloned()
        .collect();
    // Permissions checks or this collector read by name: when the org lacks one, the
    // checks that read it report `error` naming it; the rest evaluate.
    for perm in KNOWN_PERMISSIONS
        .iter()
        .filter(|p| !describe.fields.contains(**p))
    {
        ctx.field_gap(
            Api::Rest,
            "PermissionSet",
            perm,
            &[perm.to_string()],
            &[PROFILE, PERMISSION_SET, GUEST_PROFILE],
        );
        if let Some((_, key)) = USER_FLAGS.iter().find(|(p, _)| p == perm) {
            ctx.field_gap(
                Api::Rest,
                "PermissionSet",
                perm,
                &[key.to_string()],
                &[USER],
            );
        }
    }
    let base: Vec<&str> = PERMISSION_SET_FIELDS
        .iter()
        .copied()
        .filter(|f| describe.has(f))
        .collect();
    // Every read at once, each on its own fork, absorbed in this order; what depends on
    // a read that failed is left out, as if it had not been asked.
    let [
        mut f_sets,
        mut f_assignments,
        mut f_users,
        mut f_ranges,
        mut f_facts,
    ] = ctx.forks();
    let (sets, assignments, users, ip_ranges, facts) = together!(ctx;
        permission_sets(&mut f_sets, &base, &perm_fields, &all_kinds),
        // Assignments of active users.
        f_assignments.select(
            Api::Rest,
            "PermissionSetAssignment",
            &["AssigneeId", "PermissionSetId", "PermissionSetGroupId"],
            " WHERE Assignee.IsActive = true",
            &[PERMISSION_SET, USER],
        ),
        f_users.select(
            Api::Rest,
            "User",
            &[
                "Id",
                "Username",
                "Name",
                "ProfileId",
                "Profile.Name",
                "UserType",
                "IsActive",
                "LastLoginDate",
                "CreatedDate",
            ],
            " WHERE IsActive = true AND UserType NOT IN ('Guest', 'AutomatedProcess')",
            &[USER, PROFILE],
        ),
        f_ranges.select(
            Api::Rest,
            "LoginIpRange",
            &["ProfileId", "StartAddress", "EndAddress", "Description"],
            "",
            &[PROFILE],
        ),
        user_facts(&mut f_facts),
    );
    ctx.absorb([f_sets]);
    let Some(sets) = sets? else {
        return Ok(Access::default());
    };
    ctx.absorb([f_assignments, f_users, f_ranges]);
    let (assignments, users, ip_ranges) = (assignments?, users?, ip_ranges?);

    let mut by_user: HashMap<String, Vec<String>> = HashMap::new();
    let mut assignees: HashMap<String, BTreeSet<String>> = HashMap::new();
    for a in assignments.iter().flatten() {
        if let (Some(user), Some(ps)) =
            (str_field(a, "AssigneeId"), str_field(a, "PermissionSetId"))
        {
            by_user.entry(user.clone()).or_default().push(ps.clone());
            assignees.entry(ps).or_default().insert(user);
        }
    }

    let mut profile_users: HashMap<String, i64> = HashMap::new();
    for u in users.iter().flatten() {
        if let Some(p) = str_field(u, "ProfileId") {
            *profile_users.entry(p).or_default() += 1;
        }
    }

    let mut ranges: HashMap<String, Vec<Value>> = HashMap::new();
    for r in ip_ranges.iter().flatten() {
        if let Some(p) = str_field(r, "ProfileId") {
            let (start, end) = (str_field(r, "StartAddress"), str_field(r, "EndAddress"));
            let size = start
                .as_deref()
                .zip(end.as_deref())
                .and_then(|(s, e)| super::org::range_size(s, e));
            ranges.entry(p).or_default().push(Value::Object(
                Data::new()
                    .opt("start", start)
                    .opt("end", end)
                    .opt("size", size)
                    .opt("description", str_field(r, "Description"))
                    .into_map(),
            ));
        }
    }

    let mut profile_sets = HashMap::new();
    for ps in sets.values() {
        let r = &ps.record;
        if bool_field(r, "IsOwnedByProfile") == Some(true) {
            let Some(profile_id) = str_field(r, "ProfileId") else {
                continue;
            };
            let name = str_field(r, "Profile.Name").unwrap_or_else(|| profile_id.clone());
            let mut data = Data::new()
                .opt("user_license", str_field(r, "Profile.UserLicense.Name"))
                .opt("user_type", str_field(r, "Profile.UserType"))
                .opt("is_custom", bool_field(r, "IsCustom"))
                .set("permissions", ps.permissions.clone());
            if ip_ranges.is_some() {
                data = data.set(
                    "login_ip_ranges",
                    ranges.get(&profile_id).cloned().unwrap_or_default(),
                );
            }
            if users.is_some() {
                data = data.set(
                    "assignee_count",
                    profile_users.get(&profile_id).copied().unwrap_or(0),
                );
            }
            ctx.push(PROFILE, &profile_id, &name, data.into_map());
            profile_sets.insert(profile_id, ps.clone());
        } else {
            let group = str_field(r, "Type").as_deref() == Some("Group")
                || str_field(r, "PermissionSetGroupId").is_some();
            let (name, label) = if group {
                (
                    str_field(r, "PermissionSetGroup.DeveloperName")
                        .or_else(|| str_field(r, "Name")),
                    str_field(r, "PermissionSetGroup.MasterLabel")
                        .or_else(|| str_field(r, "Label")),
                )
            } else {
                (str_field(r, "Name"), str_field(r, "Label"))
            };
            let name = name.unwrap_or_else(|| ps.id.clone());
            let mut data = Data::new()
                .opt("label", label)
                .opt(
                    "type",
                    str_field(r, "Type").or_else(|| group.then(|| "Group".to_string())),
                )
                .set("is_owned_by_profile", false)
                .opt("is_custom", bool_field(r, "IsCustom"))
                .opt("namespace", str_field(r, "NamespacePrefix"))
                .opt("user_license", str_field(r, "License.Name"))
                .set("permissions", ps.permissions.clone());
            if assignments.is_some() {
                data = data.set(
                    "assignee_count",
                    assignees.get(&ps.id).map_or(0, |s| s.len() as i64),
                );
            }
            ctx.push(PERMISSION_SET, &ps.id, &name, data.into_map());
        }
    }

    if let Some(users) = users {
        ctx.absorb([f_facts]);
        let facts = facts?;
        user_resources(
            ctx,
            &facts,
            &users,
            &sets,
            &profile_sets,
            &by_user,
            assignments.is_some(),
            &describe.fields,
            ip_ranges.is_some().then_some(&ranges),
        );
    }
    Ok(Access {
        profile_sets: Some(profile_sets),
    })
}

/// Reads every permission set with all its permission fields (in chunks of fields).
async fn permission_sets(
    ctx: &mut Ctx<'_>,
    base: &[&str],
    perm_fields: &[String],
    kinds: &[&str],
) -> Result<Option<BTreeMap<String, PermSet>>, CollectError> {
    let base = base.join(", ");
    let mut sets: BTreeMap<String, PermSet> = BTreeMap::new();
    let chunks: Vec<&[String]> = if perm_fields.is_empty() {
        vec![&[]]
    } else {
        perm_fields.chunks(FIELDS_PER_QUERY).collect()
    };
    let soqls: Vec<String> = chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut select = if i == 0 {
                base.to_string()
            } else {
                "Id".to_string()
            };
            for f in chunk.iter() {
                select.push_str(", ");
                select.push_str(f);
            }
            format!("SELECT {select} FROM PermissionSet")
        })
        .collect();
    // The chunks at once; the first that fails (in order) stops the rest.
    let client = ctx.client;
    let mut pages = futures::stream::iter(&soqls)
        .map(|soql| client.query(Api::Rest, soql))
        .buffered(ctx.width);
    for (i, chunk) in chunks.iter().enumerate() {
        let rows = match pages.next().await {
            Some(Ok(rows)) => rows,
            Some(Err(e)) => {
                ctx.record(
                    e,
                    Api::Rest,
                    "query PermissionSet",
                    "PermissionSet",
                    kinds,
                    None,
                )?;
                return Ok(None);
            }
            None => return Ok(None),
        };
        for mut row in rows {
            let Some(id) = str_field(&row, "Id") else {
                continue;
            };
            let mut permissions = Map::new();
            if let Some(obj) = row.as_object_mut() {
                obj.remove("attributes");
                for f in chunk.iter() {
                    if let Some(v) = obj.remove(f.as_str()) {
                        permissions.insert(f.clone(), Value::Bool(v.as_bool() == Some(true)));
                    }
                }
            }
            let entry = sets.entry(id.clone()).or_insert_with(|| PermSet {
                id,
                record: Value::Null,
                permissions: Map::new(),
            });
            if i == 0 {
                entry.record = row;
            }
            entry.permissions.extend(permissions);
        }
    }
    Ok(Some(sets))
}

/// What the users' resources read besides users and grants; `None` when unreadable.
struct UserFacts {
    /// Ids of frozen users.
    frozen: Option<BTreeSet<String>>,
    /// User id -> whether any MFA method is registered.
    mfa: Option<HashMap<String, bool>>,
    /// User id -> (UI logins, UI logins without MFA) in the last 30 days.
    ui_logins: Option<HashMap<String, (i64, i64)>>,
}

/// Reads frozen users, MFA registrations and recent UI logins, at once.
async fn user_facts(ctx: &mut Ctx<'_>) -> Result<UserFacts, CollectError> {
    let [mut f_frozen, mut f_mfa, mut f_logins] = ctx.forks();
    let (frozen, mfa, logins) = together!(ctx;
        f_frozen.select(
            Api::Rest,
            "UserLogin",
            &["UserId"],
            " WHERE IsFrozen = true",
            &[USER],
        ),
        f_mfa.select(
            Api::Rest,
            "TwoFactorMethodsInfo",
            &[
                "UserId",
                "HasSalesforceAuthenticator",
                "HasTotp",
                "HasU2F",
                "HasWebAuthn",
                "HasBuiltInAuthenticator",
            ],
            "",
            &[USER],
        ),
        f_logins.select(
            Api::Rest,
            "LoginHistory",
            &["UserId", "AuthMethodReference"],
            " WHERE LoginTime = LAST_N_DAYS:30 AND LoginType = 'Application' AND Status = 'Success'",
            &[USER],
        ),
    );
    ctx.absorb([f_frozen, f_mfa, f_logins]);
    let frozen: Option<BTreeSet<String>> =
        frozen?.map(|rows| rows.iter().filter_map(|r| str_field(r, "UserId")).collect());

    let mfa: Option<HashMap<String, bool>> = mfa?.map(|rows| {
        rows.iter()
            .filter_map(|r| {
                let id = str_field(r, "UserId")?;
                let any = [
                    "HasSalesforceAuthenticator",
                    "HasTotp",
                    "HasU2F",
                    "HasWebAuthn",
                    "HasBuiltInAuthenticator",
                ]
                .iter()
                .any(|k| bool_field(r, k) == Some(true));
                Some((id, any))
            })
            .collect()
    });

    let ui_logins = logins?.map(|logins| {
        let mut ui_logins: HashMap<String, (i64, i64)> = HashMap::new();
        for l in &logins {
            if let Some(user) = str_field(l, "UserId") {
                let e = ui_logins.entry(user).or_default();
                e.0 += 1;
                if str_field(l, "AuthMethodReference").is_none() {
                    e.1 += 1;
                }
            }
        }
        ui_logins
    });
    Ok(UserFacts {
        frozen,
        mfa,
        ui_logins,
    })
}

/// One resource per active user.
#[allow(clippy::too_many_arguments)]
fn user_resources(
    ctx: &mut Ctx<'_>,
    facts: &UserFacts,
    users: &[Value],
    sets: &BTreeMap<String, PermSet>,
    profile_sets: &HashMap<String, PermSet>,
    by_user: &HashMap<String, Vec<String>>,
    assignments_known: bool,
    known: &BTreeSet<String>,
    profile_ranges: Option<&HashMap<String, Vec<Value>>>,
) {
    let UserFacts {
        frozen,
        mfa,
        ui_logins,
    } = facts;
    for u in users {
        let Some(id) = str_field(u, "Id") else {
            continue;
        };
        let username = str_field(u, "Username").unwrap_or_else(|| id.clone());
        // Grants: the assignments, plus the profile's own set in case its row is missing.
        let mut grant_sets: Vec<&PermSet> = by_user
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|ps| sets.get(ps))
            .collect();
        if let Some(profile_set) = str_field(u, "ProfileId").and_then(|p| profile_sets.get(&p))
            && !grant_sets.iter().any(|s| s.id == profile_set.id)
        {
            grant_sets.push(profile_set);
        }
        let mut privileged = BTreeSet::new();
        let mut granted_by = BTreeSet::new();
        let mut grants = Vec::new();
        for ps in &grant_sets {
            let (via_type, via_name) = ps.source();
            for perm in PRIVILEGED.iter().filter(|p| ps.holds(p)) {
                privileged.insert(perm.to_string());
                granted_by.insert(via_name.clone());
                grants.push(serde_json::json!({
                    "permission": perm, "via_type": via_type, "via_name": via_name,
                }));
            }
        }
        grants.sort_by_key(|g| g.to_string());
        let holds = |perm: &str| grant_sets.iter().any(|ps| ps.holds(perm));
        let mut data = Data::new()
            .set("username", username.clone())
            .opt("full_name", str_field(u, "Name"))
            .opt("profile", str_field(u, "Profile.Name"))
            .opt("user_type", str_field(u, "UserType"))
            .opt("is_active", bool_field(u, "IsActive"))
            .opt("is_frozen", frozen.as_ref().map(|f| f.contains(&id)))
            .opt("last_login", ts_field(u, "LastLoginDate"))
            .opt(
                "never_logged_in",
                u.get("LastLoginDate").map(Value::is_null),
            )
            .opt(
                "profile_login_ip_ranges",
                profile_ranges
                    .zip(str_field(u, "ProfileId"))
                    .map(|(r, p)| r.get(&p).map_or(0, |v| v.len() as i64)),
            )
            .opt("created", ts_field(u, "CreatedDate"));
        if assignments_known {
            data = data
                .set(
                    "privileged_permissions",
                    privileged.into_iter().collect::<Vec<_>>(),
                )
                .set("granted_by", granted_by.into_iter().collect::<Vec<_>>())
                .set("permission_grants", grants);
            for (perm, key) in USER_FLAGS {
                if known.contains(perm) {
                    data = data.set(key, holds(perm));
                }
            }
        }
        data = data.opt(
            "mfa_methods_registered",
            mfa.as_ref().map(|m| m.get(&id).copied().unwrap_or(false)),
        );
        if let Some(ui_logins) = ui_logins {
            let (ui, non_mfa) = ui_logins.get(&id).copied().unwrap_or_default();
            data = data
                .set("ui_logins_30d", ui)
                .set("non_mfa_ui_logins_30d", non_mfa);
        }
        ctx.push(USER, &id, &username, data.into_map());
    }
}
