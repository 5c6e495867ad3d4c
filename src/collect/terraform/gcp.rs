//! Google resource types of a plan mapped onto the kinds of `checks/gcp/kinds.yaml`, with
//! the field shapes of the live collector (src/collect/gcp). docs/terraform.md lists
//! every argument read.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Ctx, Data, Planned, Tri, Val, strings};
use crate::inventory::{Provider, Resource};

/// Every mapped Google resource of the plan.
pub(super) fn map(ctx: &Ctx<'_>) -> Vec<Resource> {
    let mut out = Vec::new();
    out.extend(buckets(ctx));
    out.extend(firewalls(ctx));
    out.extend(sql_instances(ctx));
    out
}

fn resource(d: Data, kind: &str, r: &Planned, region: Option<String>) -> Resource {
    let res = d.into_resource(Provider::Gcp, kind, r);
    match region {
        Some(region) => res.in_region(region),
        None => res,
    }
}

/// The last segment of a self link or a plain name.
fn short(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_string()
}

// -------------------------------------------------------------------------- Storage

/// The bucket's IAM bindings from `google_storage_bucket_iam_{policy,binding,member}`.
fn bucket_bindings(ctx: &Ctx<'_>, b: &Planned) -> Tri<Vec<Value>> {
    let mut by_role: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut conditional = Vec::new();
    let mut unknown = false;
    for p in ctx.pointing_at(
        b,
        "google_storage_bucket_iam_policy",
        "bucket",
        &["name", "id"],
    ) {
        match p.get("policy_data").str() {
            Tri::Known(text) => {
                let doc: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                for binding in doc
                    .get("bindings")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    conditional.push(json!({
                        "role": binding.get("role").cloned().unwrap_or(Value::Null),
                        "members": binding.get("members").cloned().unwrap_or(json!([])),
                    }));
                }
            }
            _ => unknown = true,
        }
    }
    let iam = [
        "google_storage_bucket_iam_binding",
        "google_storage_bucket_iam_member",
    ];
    for t in iam {
        for m in ctx.pointing_at(b, t, "bucket", &["name", "id"]) {
            let members = if t.ends_with("binding") {
                m.get("members").strings()
            } else {
                m.get("member").str().map(|s| vec![s.to_string()])
            };
            match (m.get("role").str(), members, m.get("condition")) {
                (Tri::Known(role), Tri::Known(members), Val::Null) => {
                    by_role.entry(role.to_string()).or_default().extend(members);
                }
                (Tri::Known(role), Tri::Known(members), Val::Known(c)) => {
                    conditional.push(json!({"role": role, "members": members, "condition": c}));
                }
                _ => unknown = true,
            }
        }
    }
    if unknown {
        return Tri::Unknown;
    }
    let mut out: Vec<Value> = by_role
        .into_iter()
        .map(|(role, members)| json!({"role": role, "members": members}))
        .collect();
    out.extend(conditional);
    Tri::Known(out)
}

/// Entities granted by ACL resources of the plan (`role_entity` `READER:allUsers`, or
/// `entity`); null when the plan declares none.
fn acl_entities(ctx: &Ctx<'_>, b: &Planned, acl_type: &str, entry_type: &str) -> Tri<Vec<String>> {
    let mut out = Vec::new();
    let mut any = false;
    for a in ctx.pointing_at(b, acl_type, "bucket", &["name", "id"]) {
        any = true;
        match a.get("role_entity").strings() {
            Tri::Known(v) => out.extend(
                v.iter()
                    .filter_map(|e| e.split_once(':').map(|(_, e)| e.to_string())),
            ),
            _ => return Tri::Unknown,
        }
    }
    for a in ctx.pointing_at(b, entry_type, "bucket", &["name", "id"]) {
        any = true;
        match a.get("entity").str() {
            Tri::Known(e) => out.push(e.to_string()),
            _ => return Tri::Unknown,
        }
    }
    if any { Tri::Known(out) } else { Tri::Null }
}

fn buckets(ctx: &Ctx<'_>) -> Vec<Resource> {
    let sinks: Vec<&Planned> = ctx.of_type("google_logging_project_sink").collect();
    ctx.of_type("google_storage_bucket")
        .map(|b| {
            let mut d = Data::default();
            d.put(
                "location",
                b.get("location").str().map(str::to_ascii_uppercase),
            );
            d.put(
                "storage_class",
                ctx.arg(b, "storage_class").str().or("STANDARD"),
            );
            let ubla = ctx.arg(b, "uniform_bucket_level_access").bool().or(false);
            d.put("uniform_bucket_level_access", ubla);
            d.put(
                "public_access_prevention",
                ctx.arg(b, "public_access_prevention")
                    .str()
                    .or("inherited")
                    .map(|p| {
                        if p == "enforced" {
                            "enforced"
                        } else {
                            "inherited"
                        }
                    }),
            );
            d.put("iam_bindings", bucket_bindings(ctx, b).map(Value::Array));
            // With uniform access, ACLs do not apply (the API reports none).
            for (field, acl, entry) in [
                (
                    "acl_entities",
                    "google_storage_bucket_acl",
                    "google_storage_bucket_access_control",
                ),
                (
                    "default_object_acl_entities",
                    "google_storage_default_object_acl",
                    "google_storage_default_object_access_control",
                ),
            ] {
                match ubla {
                    Tri::Known(true) => d.set(field, json!([])),
                    _ => d.put(field, acl_entities(ctx, b, acl, entry).map(|v| strings(&v))),
                }
            }
            match ctx.arg(b, "retention_policy").list() {
                Tri::Known([]) => {}
                Tri::Known(_) => {
                    match (
                        b.get("retention_policy.0.retention_period").int(),
                        b.get("retention_policy.0.is_locked").bool().or(false),
                    ) {
                        (Tri::Known(p), Tri::Known(l)) => {
                            d.set(
                                "retention_policy",
                                json!({"retention_period_seconds": p, "is_locked": l}),
                            );
                        }
                        _ => d.unknown("retention_policy"),
                    }
                }
                _ => d.unknown("retention_policy"),
            }
            d.put(
                "versioning_enabled",
                b.get("versioning.0.enabled").bool().or(false),
            );
            d.put(
                "logging_enabled",
                b.get("logging.0.log_bucket")
                    .str()
                    .map(|l| !l.is_empty())
                    .or(false),
            );
            d.put(
                "default_kms_key_name",
                b.get("encryption.0.default_kms_key_name").str(),
            );
            // Soft delete keeps deleted objects seven days unless configured otherwise.
            d.put(
                "soft_delete_retention_seconds",
                ctx.arg(b, "soft_delete_policy.0.retention_duration_seconds")
                    .int()
                    .or(604_800),
            );
            let name = b.get("name").str();
            let mut sink_unknown = false;
            let sink_here = sinks.iter().any(|s| match s.get("destination").str() {
                Tri::Known(dest) => name
                    .known()
                    .is_some_and(|n| dest == format!("storage.googleapis.com/{n}")),
                _ => {
                    let t = ctx.targets(s, "destination", "google_storage_bucket", &["name"]);
                    sink_unknown |= !t.complete;
                    t.found.iter().any(|f| f.address == b.address)
                }
            });
            if sink_here || !sink_unknown {
                d.set("log_sink_destination", sink_here);
            } else {
                d.unknown("log_sink_destination");
            }
            let region = b.get("location").str().known().map(str::to_ascii_lowercase);
            resource(d, "gcp.storage.bucket", b, region)
        })
        .collect()
}

// -------------------------------------------------------------------------- Compute

/// `allow` / `deny` blocks as the collector's `allowed` / `denied` rules (protocol
/// lowercased; `ports` left out when the rule covers every port).
fn firewall_rules(v: Val<'_>) -> Tri<Value> {
    v.list().map(|items| {
        Value::Array(
            items
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    let proto = r
                        .get("protocol")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    m.insert("protocol".into(), json!(proto.to_ascii_lowercase()));
                    if let Some(ports) = r
                        .get("ports")
                        .and_then(Value::as_array)
                        .filter(|p| !p.is_empty())
                    {
                        m.insert("ports".into(), Value::Array(ports.clone()));
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    })
}

fn firewalls(ctx: &Ctx<'_>) -> Vec<Resource> {
    ctx.of_type("google_compute_firewall")
        .map(|f| {
            let mut d = Data::default();
            d.put("network", f.get("network").str().map(short));
            d.put("direction", ctx.arg(f, "direction").str().or("INGRESS"));
            d.put("disabled", ctx.arg(f, "disabled").bool().or(false));
            d.put("priority", ctx.arg(f, "priority").int().or(1000));
            for (field, attr) in [
                ("source_ranges", "source_ranges"),
                ("destination_ranges", "destination_ranges"),
                ("source_tags", "source_tags"),
                ("source_service_accounts", "source_service_accounts"),
                ("target_tags", "target_tags"),
                ("target_service_accounts", "target_service_accounts"),
            ] {
                d.put(field, ctx.arg(f, attr).strings().map(|v| strings(&v)));
            }
            d.put("allowed", firewall_rules(f.get("allow")));
            d.put("denied", firewall_rules(f.get("deny")));
            d.put(
                "log_config_enabled",
                f.get("log_config").list().map(|l| !l.is_empty()),
            );
            resource(d, "gcp.compute.firewall", f, Some("global".into()))
        })
        .collect()
}

// ------------------------------------------------------------------------------ SQL

fn sql_instances(ctx: &Ctx<'_>) -> Vec<Resource> {
    ctx.of_type("google_sql_database_instance")
        .map(|i| {
            let mut d = Data::default();
            let version = i.get("database_version").str();
            d.put("database_version", version);
            if i.creating {
                d.set("state", "RUNNABLE");
            } else {
                d.put("state", i.get("state").str());
            }
            let replica = ctx.arg(i, "master_instance_name").str().map(|m| !m.is_empty()).or(false);
            d.put(
                "instance_type",
                match ctx.arg(i, "instance_type").str() {
                    Tri::Null => replica.map(|r| if r { "READ_REPLICA_INSTANCE" } else { "CLOUD_SQL_INSTANCE" }),
                    other => other,
                },
            );
            let ip = "settings.0.ip_configuration.0";
            let ipv4 = ctx.arg(i, &format!("{ip}.ipv4_enabled")).bool().or(true);
            d.put("ipv4_enabled", ipv4);
            // A new instance without public IPv4 has no public address; one with it gets an
            // address known only after apply.
            match i.get("ip_address").list() {
                Tri::Known(list) if !list.is_empty() || !i.creating || ipv4 == Tri::Known(false) => d.set(
                    "public_ip_addresses",
                    list.iter()
                        .filter(|a| a.get("type").and_then(Value::as_str) == Some("PRIMARY"))
                        .filter_map(|a| a.get("ip_address").cloned())
                        .collect::<Vec<_>>(),
                ),
                Tri::Unknown if ipv4 == Tri::Known(false) => d.set("public_ip_addresses", json!([])),
                _ => d.unknown("public_ip_addresses"),
            }
            d.put("private_network", ctx.arg(i, &format!("{ip}.private_network")).str().or(""));
            d.put(
                "authorized_networks",
                i.get(&format!("{ip}.authorized_networks")).list().map(|nets| {
                    Value::Array(
                        nets.iter()
                            .map(|n| {
                                json!({
                                    "name": n.get("name").and_then(Value::as_str).unwrap_or_default(),
                                    "value": n.get("value").and_then(Value::as_str).unwrap_or_default(),
                                })
                            })
                            .collect(),
                    )
                }),
            );
            // Cloud SQL's own default for a new instance is to accept unencrypted connections.
            d.put(
                "ssl_mode",
                ctx.arg(i, &format!("{ip}.ssl_mode")).str().or("ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
            );
            d.put("require_ssl", ctx.arg(i, &format!("{ip}.require_ssl")).bool().or(false));
            let backup = "settings.0.backup_configuration.0";
            d.put("backup_enabled", ctx.arg(i, &format!("{backup}.enabled")).bool().or(false));
            let pitr = ctx.arg(i, &format!("{backup}.point_in_time_recovery_enabled")).bool().or(false);
            let binlog = ctx.arg(i, &format!("{backup}.binary_log_enabled")).bool().or(false);
            d.put(
                "point_in_time_recovery_enabled",
                match (pitr, binlog) {
                    (Tri::Known(a), Tri::Known(b)) => Tri::Known(a || b),
                    _ => Tri::Unknown,
                },
            );
            d.put(
                "database_flags",
                i.get("settings.0.database_flags").list().map(|flags| {
                    Value::Object(
                        flags
                            .iter()
                            .filter_map(|f| {
                                Some((f.get("name")?.as_str()?.to_string(), f.get("value").cloned().unwrap_or(json!(""))))
                            })
                            .collect(),
                    )
                }),
            );
            d.put(
                "deletion_protection",
                ctx.arg(i, "settings.0.deletion_protection_enabled").bool().or(false),
            );
            d.put("kms_key_name", ctx.arg(i, "encryption_key_name").str());
            let region = ctx.arg(i, "region").str().known().map(str::to_string);
            resource(d, "gcp.sql.instance", i, region)
        })
        .collect()
}
