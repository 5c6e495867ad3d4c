//! Cloud SQL Admin v1: instances with their network exposure, TLS, backup and flag settings.

use serde_json::{Map, Value, json};

use super::client::Api;
use super::{Collected, Ctx, b, labels, resource, s, s_or};

/// The Cloud SQL instance kind.
pub const KIND_INSTANCE: &str = "gcp.sql.instance";

const SERVICE: &str = "sql";

/// Collects the project's Cloud SQL instances.
pub(crate) async fn collect(ctx: &Ctx) -> Collected {
    let mut out = Collected::default();
    match ctx
        .client
        .list(
            Api::Sql,
            &format!("/v1/projects/{}/instances", ctx.project),
            &[],
            "items",
        )
        .await
    {
        Ok(instances) => {
            for i in instances {
                let name = s_or(&i, "name").to_string();
                let id = format!(
                    "//cloudsql.googleapis.com/projects/{}/instances/{name}",
                    ctx.project
                );
                let region = s_or(&i, "region").to_string();
                let settings = i.get("settings").cloned().unwrap_or(Value::Null);
                let mut r = resource(ctx, KIND_INSTANCE, id, &normalize(&i)).named(name);
                if !region.is_empty() {
                    r = r.in_region(region);
                }
                if let Some(user_labels) = settings.get("userLabels") {
                    r = r.with_tags(labels(&json!({ "labels": user_labels })));
                }
                out.push(r);
            }
        }
        Err(e) => out.fail(ctx, SERVICE, "instances.list", &[KIND_INSTANCE], &e, None),
    }
    out
}

fn normalize(i: &Value) -> Value {
    let settings = i.get("settings").cloned().unwrap_or(Value::Null);
    let ip = settings
        .get("ipConfiguration")
        .cloned()
        .unwrap_or(Value::Null);
    let backup = settings
        .get("backupConfiguration")
        .cloned()
        .unwrap_or(Value::Null);
    let version = s_or(i, "databaseVersion");
    let engine = version.split('_').next().unwrap_or_default();
    let public_addresses: Vec<Value> = i
        .get("ipAddresses")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|x| s(x, "type") == Some("PRIMARY"))
                .filter_map(|x| s(x, "ipAddress").map(|v| json!(v)))
                .collect()
        })
        .unwrap_or_default();
    let authorized: Vec<Value> = ip
        .get("authorizedNetworks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|n| json!({"name": s_or(n, "name"), "value": s_or(n, "value")}))
                .collect()
        })
        .unwrap_or_default();
    let flags: Map<String, Value> = settings
        .get("databaseFlags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| Some((s(f, "name")?.to_string(), json!(s_or(f, "value")))))
                .collect()
        })
        .unwrap_or_default();
    let require_ssl = b(&ip, "requireSsl");
    // sslMode supersedes requireSsl; older instances only carry requireSsl (checks decide).
    let ssl_mode = s_or(&ip, "sslMode");
    let mut data = json!({
        "database_version": version,
        "engine": engine.to_ascii_lowercase(),
        "state": s_or(i, "state"),
        "instance_type": s_or(i, "instanceType"),
        "ipv4_enabled": b(&ip, "ipv4Enabled"),
        "public_ip_addresses": public_addresses,
        "private_network": s_or(&ip, "privateNetwork"),
        "authorized_networks": authorized,
        "require_ssl": require_ssl,
        "ssl_mode": ssl_mode,
        "backup_enabled": b(&backup, "enabled"),
        "point_in_time_recovery_enabled": b(&backup, "pointInTimeRecoveryEnabled") || b(&backup, "binaryLogEnabled"),
        "availability_type": s_or(&settings, "availabilityType"),
        "database_flags": flags,
        "deletion_protection": b(&settings, "deletionProtectionEnabled"),
    });
    if let Some(k) = i
        .get("diskEncryptionConfiguration")
        .and_then(|d| s(d, "kmsKeyName"))
    {
        data["kms_key_name"] = json!(k);
    }
    data
}
