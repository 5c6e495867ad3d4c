//! Compute Engine v1: project metadata, firewall rules, instances (aggregated list),
//! networks and subnetworks (aggregated list).

use serde_json::{Map, Value, json};

use super::client::{Api, ApiError};
use super::{
    Collected, Ctx, b, int, labels, metadata_map, resource, s, s_or, short, strings, truthy,
};

/// The firewall rule kind.
pub const KIND_FIREWALL: &str = "gcp.compute.firewall";
/// The VM instance kind.
pub const KIND_INSTANCE: &str = "gcp.compute.instance";
/// The VPC network kind.
pub const KIND_NETWORK: &str = "gcp.compute.network";
/// The subnetwork kind.
pub const KIND_SUBNETWORK: &str = "gcp.compute.subnetwork";

const SERVICE: &str = "compute";
const ALL_KINDS: [&str; 5] = [
    super::resourcemanager::KIND,
    KIND_FIREWALL,
    KIND_INSTANCE,
    KIND_NETWORK,
    KIND_SUBNETWORK,
];

/// Project-wide metadata facts, merged into `gcp.project`.
pub(crate) type ProjectFacts = Map<String, Value>;

/// Collects the project's Compute Engine resources and its project-wide metadata facts
/// (`None` when they could not be read; the error then names `gcp.project`).
pub(crate) async fn collect(ctx: &Ctx) -> (Collected, Option<ProjectFacts>) {
    let mut out = Collected::default();
    let base = format!("/compute/v1/projects/{}", ctx.project);
    let project = match ctx.client.get(Api::Compute, &base, &[]).await {
        Ok(p) => p,
        Err(e) if e.is_service_disabled() => {
            out.fail(ctx, SERVICE, "projects.get", &ALL_KINDS, &e, None);
            return (out, None);
        }
        Err(e) => {
            out.fail(
                ctx,
                SERVICE,
                "projects.get",
                &[super::resourcemanager::KIND],
                &e,
                None,
            );
            Value::Null
        }
    };
    let project_meta = metadata_map(project.get("commonInstanceMetadata"));
    let facts = (!project.is_null()).then(|| project_facts(&project, &project_meta));

    let (fw_path, vm_path) = (
        format!("{base}/global/firewalls"),
        format!("{base}/aggregated/instances"),
    );
    let (net_path, sub_path) = (
        format!("{base}/global/networks"),
        format!("{base}/aggregated/subnetworks"),
    );
    let (firewalls, instances, networks, subnetworks) = futures::join!(
        ctx.client.list(Api::Compute, &fw_path, &[], "items"),
        ctx.client.aggregated(&vm_path, "instances"),
        ctx.client.list(Api::Compute, &net_path, &[], "items"),
        ctx.client.aggregated(&sub_path, "subnetworks"),
    );
    let default_sa = facts
        .as_ref()
        .and_then(|f| f.get("default_service_account"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut fail =
        |op: &str, kind: &str, e: &ApiError| out.fail(ctx, SERVICE, op, &[kind], e, None);
    let firewalls = firewalls
        .map_err(|e| fail("firewalls.list", KIND_FIREWALL, &e))
        .ok();
    let instances = instances
        .map_err(|e| fail("instances.aggregatedList", KIND_INSTANCE, &e))
        .ok();
    let networks = networks
        .map_err(|e| fail("networks.list", KIND_NETWORK, &e))
        .ok();
    let subnetworks = subnetworks
        .map_err(|e| fail("subnetworks.aggregatedList", KIND_SUBNETWORK, &e))
        .ok();

    for fw in firewalls.unwrap_or_default() {
        out.push(firewall(ctx, &fw));
    }
    // Instance metadata falls back to project metadata; instance facts are effective values.
    let project_meta_known = facts.is_some();
    for (zone, vm) in instances.unwrap_or_default() {
        out.push(instance(
            ctx,
            &zone,
            &vm,
            &project_meta,
            project_meta_known,
            default_sa.as_deref(),
        ));
    }
    for net in networks.unwrap_or_default() {
        out.push(network(ctx, &net));
    }
    for (region, sub) in subnetworks.unwrap_or_default() {
        out.push(subnetwork(ctx, &region, &sub));
    }
    (out, facts)
}

fn project_facts(
    project: &Value,
    meta: &std::collections::BTreeMap<String, String>,
) -> ProjectFacts {
    let flag = |k: &str| meta.get(k).is_some_and(|v| truthy(v));
    let ssh_keys = ["ssh-keys", "sshKeys"]
        .iter()
        .any(|k| meta.get(*k).is_some_and(|v| !v.trim().is_empty()));
    let mut facts = Map::new();
    facts.insert("os_login_enabled".into(), json!(flag("enable-oslogin")));
    facts.insert(
        "os_login_2fa_enabled".into(),
        json!(flag("enable-oslogin-2fa")),
    );
    facts.insert("project_ssh_keys_present".into(), json!(ssh_keys));
    facts.insert(
        "serial_port_enabled".into(),
        json!(flag("serial-port-enable")),
    );
    if let Some(sa) = s(project, "defaultServiceAccount") {
        facts.insert("default_service_account".into(), json!(sa));
    }
    facts
}

fn rules(v: &Value, key: &str) -> Value {
    let list: Vec<Value> = v
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| {
                    let mut o = json!({"protocol": s_or(r, "IPProtocol")});
                    if r.get("ports").is_some() {
                        o["ports"] = json!(strings(r, "ports"));
                    }
                    o
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(list)
}

fn firewall(ctx: &Ctx, fw: &Value) -> crate::inventory::Resource {
    let name = s_or(fw, "name").to_string();
    let data = json!({
        "network": short(s_or(fw, "network")),
        "direction": s(fw, "direction").unwrap_or("INGRESS"),
        "disabled": b(fw, "disabled"),
        "priority": int(fw, "priority").unwrap_or(1000),
        "source_ranges": strings(fw, "sourceRanges"),
        "destination_ranges": strings(fw, "destinationRanges"),
        "source_tags": strings(fw, "sourceTags"),
        "target_tags": strings(fw, "targetTags"),
        "source_service_accounts": strings(fw, "sourceServiceAccounts"),
        "target_service_accounts": strings(fw, "targetServiceAccounts"),
        "allowed": rules(fw, "allowed"),
        "denied": rules(fw, "denied"),
        "log_config_enabled": fw.get("logConfig").is_some_and(|l| b(l, "enable")),
    });
    let id = s(fw, "selfLink").map(str::to_string).unwrap_or_else(|| {
        format!(
            "https://www.googleapis.com/compute/v1/projects/{}/global/firewalls/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_FIREWALL, id, &data).named(name)
}

fn instance(
    ctx: &Ctx,
    zone: &str,
    vm: &Value,
    project_meta: &std::collections::BTreeMap<String, String>,
    project_meta_known: bool,
    default_sa: Option<&str>,
) -> crate::inventory::Resource {
    let name = s_or(vm, "name").to_string();
    let meta = metadata_map(vm.get("metadata"));
    let own = |k: &str| meta.get(k).map(|v| truthy(v));
    let effective = |k: &str| {
        own(k)
            .or_else(|| project_meta.get(k).map(|v| truthy(v)))
            .unwrap_or(false)
    };
    let service_accounts: Vec<Value> = vm
        .get("serviceAccounts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|sa| json!({"email": s_or(sa, "email"), "scopes": strings(sa, "scopes")}))
                .collect()
        })
        .unwrap_or_default();
    let uses_default = service_accounts.iter().any(|sa| {
        let email = sa["email"].as_str().unwrap_or_default();
        email.ends_with("-compute@developer.gserviceaccount.com")
            || email == "default"
            || default_sa.is_some_and(|d| d == email)
    });
    let mut public_ips = Vec::new();
    if let Some(nics) = vm.get("networkInterfaces").and_then(Value::as_array) {
        for nic in nics {
            for (list, field) in [
                ("accessConfigs", "natIP"),
                ("ipv6AccessConfigs", "externalIpv6"),
            ] {
                for ac in nic
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(ip) = s(ac, field) {
                        public_ips.push(json!(ip));
                    } else if list == "accessConfigs" {
                        // An access config without an address yet still means an ephemeral public IP.
                        public_ips.push(json!("ephemeral"));
                    }
                }
            }
        }
    }
    let shielded = vm
        .get("shieldedInstanceConfig")
        .cloned()
        .unwrap_or(Value::Null);
    let disks: Vec<Value> = vm
        .get("disks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|d| {
                    let key = d.get("diskEncryptionKey");
                    let encryption = match key {
                        Some(k) if k.get("kmsKeyName").is_some() => "cmek",
                        Some(k) if k.get("sha256").is_some() || k.get("rawKey").is_some() => "csek",
                        _ => "google",
                    };
                    json!({
                        "device_name": s_or(d, "deviceName"),
                        "boot": b(d, "boot"),
                        "encryption": encryption,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut data = json!({
        "zone": zone,
        "status": s_or(vm, "status"),
        "machine_type": short(s_or(vm, "machineType")),
        "service_accounts": service_accounts,
        "uses_default_service_account": uses_default,
        "public_ips": public_ips,
        "can_ip_forward": b(vm, "canIpForward"),
        "block_project_ssh_keys": own("block-project-ssh-keys").unwrap_or(false),
        "shielded_vm": {
            "secure_boot": b(&shielded, "enableSecureBoot"),
            "vtpm": b(&shielded, "enableVtpm"),
            "integrity_monitoring": b(&shielded, "enableIntegrityMonitoring"),
        },
        "confidential_compute": vm.get("confidentialInstanceConfig").is_some_and(|c| b(c, "enableConfidentialCompute")),
        "disks": disks,
        "deletion_protection": b(vm, "deletionProtection"),
    });
    if let Some(v) = own("enable-oslogin") {
        data["os_login"] = json!(v);
    }
    // Effective values need the project metadata; without it they are left out.
    if project_meta_known || own("serial-port-enable").is_some() {
        data["serial_port_enabled"] = json!(effective("serial-port-enable"));
    }
    if project_meta_known || own("enable-oslogin").is_some() {
        data["os_login_enabled"] = json!(effective("enable-oslogin"));
    }
    let id = s(vm, "selfLink").map(str::to_string).unwrap_or_else(|| {
        format!(
            "https://www.googleapis.com/compute/v1/projects/{}/zones/{zone}/instances/{name}",
            ctx.project
        )
    });
    let region = zone
        .rsplit_once('-')
        .map(|(r, _)| r)
        .unwrap_or(zone)
        .to_string();
    resource(ctx, KIND_INSTANCE, id, &data)
        .named(name)
        .in_region(region)
        .with_tags(labels(vm))
}

fn network(ctx: &Ctx, net: &Value) -> crate::inventory::Resource {
    let name = s_or(net, "name").to_string();
    let legacy = net.get("IPv4Range").is_some();
    let auto = b(net, "autoCreateSubnetworks");
    let data = json!({
        "mode": if legacy { "legacy" } else if auto { "auto" } else { "custom" },
        "legacy": legacy,
        "auto_create_subnetworks": auto,
        "routing_mode": net.get("routingConfig").map(|r| s_or(r, "routingMode")).unwrap_or(""),
        "subnetwork_count": net.get("subnetworks").and_then(Value::as_array).map_or(0, Vec::len),
    });
    let id = s(net, "selfLink").map(str::to_string).unwrap_or_else(|| {
        format!(
            "https://www.googleapis.com/compute/v1/projects/{}/global/networks/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_NETWORK, id, &data).named(name)
}

fn subnetwork(ctx: &Ctx, region: &str, sub: &Value) -> crate::inventory::Resource {
    let name = s_or(sub, "name").to_string();
    let log = sub.get("logConfig").cloned().unwrap_or(Value::Null);
    let flow_logs = b(&log, "enable") || b(sub, "enableFlowLogs");
    let mut data = json!({
        "network": short(s_or(sub, "network")),
        "ip_cidr_range": s_or(sub, "ipCidrRange"),
        "purpose": s(sub, "purpose").unwrap_or("PRIVATE"),
        "private_google_access": b(sub, "privateIpGoogleAccess"),
        "flow_logs_enabled": flow_logs,
    });
    if flow_logs {
        data["flow_logs"] = json!({
            "aggregation_interval": s(&log, "aggregationInterval").unwrap_or("INTERVAL_5_SEC"),
            "flow_sampling": log.get("flowSampling").and_then(Value::as_f64).unwrap_or(0.5),
            "metadata": s(&log, "metadata").unwrap_or("INCLUDE_ALL_METADATA"),
            "filter_expr": s_or(&log, "filterExpr"),
        });
    }
    let id = s(sub, "selfLink").map(str::to_string).unwrap_or_else(|| {
        format!(
            "https://www.googleapis.com/compute/v1/projects/{}/regions/{region}/subnetworks/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_SUBNETWORK, id, &data)
        .named(name)
        .in_region(region.to_string())
}
