//! Compute Engine v1: project metadata, firewall rules, instances, networks, subnetworks,
//! backend services and HTTPS/SSL target proxies (with their SSL policies). Instances,
//! subnetworks, backend services, HTTPS proxies and SSL policies come from aggregated lists.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::client::{Api, ApiError};
use super::{
    Collected, Ctx, b, int, labels, metadata_map, resource, s, s_or, short, strings, truthy,
};
use crate::inventory::Resource;

/// The firewall rule kind.
pub const KIND_FIREWALL: &str = "gcp.compute.firewall";
/// The VM instance kind.
pub const KIND_INSTANCE: &str = "gcp.compute.instance";
/// The VPC network kind.
pub const KIND_NETWORK: &str = "gcp.compute.network";
/// The subnetwork kind.
pub const KIND_SUBNETWORK: &str = "gcp.compute.subnetwork";
/// The backend service kind.
pub const KIND_BACKEND_SERVICE: &str = "gcp.compute.backend_service";
/// The target HTTPS/SSL proxy kind.
pub const KIND_TARGET_PROXY: &str = "gcp.compute.target_proxy";

const SERVICE: &str = "compute";
const ALL_KINDS: [&str; 6] = [
    KIND_FIREWALL,
    KIND_INSTANCE,
    KIND_NETWORK,
    KIND_SUBNETWORK,
    KIND_BACKEND_SERVICE,
    KIND_TARGET_PROXY,
];

/// Project-wide metadata facts, merged into `gcp.project`.
pub(crate) type ProjectFacts = Map<String, Value>;

/// Collects the project's Compute Engine resources and its project-wide metadata facts
/// (`None` when they could not be read; their fields are then omitted from `gcp.project`).
pub(crate) async fn collect(ctx: &Ctx) -> (Collected, Option<ProjectFacts>) {
    let mut out = Collected::default();
    let base = format!("/compute/v1/projects/{}", ctx.project);
    let facts = match ctx.client.get(Api::Compute, &base, &[]).await {
        Ok(p) => Some(project_facts(&p)),
        Err(e) if e.is_service_disabled() => {
            out.fail(ctx, SERVICE, "compute.projects.get", &ALL_KINDS, &e, None);
            return (out, None);
        }
        Err(e) => {
            out.fail_partial(ctx, SERVICE, "compute.projects.get", &e);
            None
        }
    };

    let p = |tail: &str| format!("{base}/{tail}");
    let (fw_path, vm_path, net_path, sub_path) = (
        p("global/firewalls"),
        p("aggregated/instances"),
        p("global/networks"),
        p("aggregated/subnetworks"),
    );
    let (bs_path, https_path, ssl_path, pol_path) = (
        p("aggregated/backendServices"),
        p("aggregated/targetHttpsProxies"),
        p("global/targetSslProxies"),
        p("aggregated/sslPolicies"),
    );
    let dns_policies_path = format!("/dns/v1/projects/{}/policies", ctx.project);
    let c = &ctx.client;
    let (
        firewalls,
        instances,
        networks,
        subnetworks,
        backends,
        https_proxies,
        ssl_proxies,
        ssl_policies,
        dns_policies,
    ) = futures::join!(
        c.list(Api::Compute, &fw_path, &[], "items"),
        c.aggregated(&vm_path, "instances"),
        c.list(Api::Compute, &net_path, &[], "items"),
        c.aggregated(&sub_path, "subnetworks"),
        c.aggregated(&bs_path, "backendServices"),
        c.aggregated(&https_path, "targetHttpsProxies"),
        c.list(Api::Compute, &ssl_path, &[], "items"),
        c.aggregated(&pol_path, "sslPolicies"),
        c.list(Api::Dns, &dns_policies_path, &[], "policies"),
    );

    let mut ok = Keep { out: &mut out, ctx };
    let firewalls = ok.keep(firewalls, "compute.firewalls.list", KIND_FIREWALL);
    let instances = ok.keep(instances, "compute.instances.aggregatedList", KIND_INSTANCE);
    let networks = ok.keep(networks, "compute.networks.list", KIND_NETWORK);
    let subnetworks = ok.keep(
        subnetworks,
        "compute.subnetworks.aggregatedList",
        KIND_SUBNETWORK,
    );
    let backends = ok.keep(
        backends,
        "compute.backendServices.aggregatedList",
        KIND_BACKEND_SERVICE,
    );
    let https_proxies = ok.keep(
        https_proxies,
        "compute.targetHttpsProxies.aggregatedList",
        KIND_TARGET_PROXY,
    );
    let ssl_proxies = ok.keep(
        ssl_proxies,
        "compute.targetSslProxies.list",
        KIND_TARGET_PROXY,
    );
    let ssl_policies = ok.keep(
        ssl_policies,
        "compute.sslPolicies.aggregatedList",
        KIND_TARGET_PROXY,
    );
    // DNS server policies only feed `dns_logging_enabled` of networks: omit that field
    // when they cannot be read.
    let dns_policies = match dns_policies {
        Ok(p) => Some(p),
        Err(e) => {
            out.fail(ctx, "dns", "dns.policies.list", &[], &e, None);
            None
        }
    };

    for fw in firewalls.unwrap_or_default() {
        out.push(firewall(ctx, &fw));
    }
    for (zone, vm) in instances.unwrap_or_default() {
        out.push(instance(ctx, &zone, &vm));
    }
    let logged_networks = dns_policies.map(|policies| dns_logged_networks(&policies));
    for net in networks.unwrap_or_default() {
        out.push(network(ctx, &net, logged_networks.as_ref()));
    }
    for (region, sub) in subnetworks.unwrap_or_default() {
        out.push(subnetwork(ctx, &region, &sub));
    }
    for (region, bs) in backends.unwrap_or_default() {
        out.push(backend_service(ctx, &region, &bs));
    }
    if let Some(policies) = ssl_policies {
        let by_link: BTreeMap<String, Value> = policies
            .into_iter()
            .filter_map(|(_, pol)| Some((s(&pol, "selfLink")?.to_string(), pol)))
            .collect();
        let https = https_proxies.unwrap_or_default().into_iter();
        let ssl = ssl_proxies
            .unwrap_or_default()
            .into_iter()
            .map(|p| ("global".to_string(), p));
        let all = https
            .map(|(r, p)| (r, p, "https"))
            .chain(ssl.map(|(r, p)| (r, p, "ssl")));
        for (region, proxy, proxy_type) in all {
            out.push(target_proxy(ctx, &region, &proxy, &by_link, proxy_type));
        }
    }
    (out, facts)
}

/// Records a failed list as a collection error for its kind.
struct Keep<'a> {
    out: &'a mut Collected,
    ctx: &'a Ctx,
}

impl Keep<'_> {
    fn keep<T>(&mut self, r: Result<T, ApiError>, op: &str, kind: &str) -> Option<T> {
        r.map_err(|e| self.out.fail(self.ctx, SERVICE, op, &[kind], &e, None))
            .ok()
    }
}

/// `https://www.googleapis.com/compute/v1/projects/...` -> `//compute.googleapis.com/projects/...`.
fn compute_id(v: &Value, fallback: impl FnOnce() -> String) -> String {
    s(v, "selfLink")
        .and_then(|l| {
            l.split_once("/compute/v1/")
                .or_else(|| l.split_once("/compute/beta/"))
        })
        .map(|(_, rest)| format!("//compute.googleapis.com/{rest}"))
        .unwrap_or_else(fallback)
}

fn project_facts(project: &Value) -> ProjectFacts {
    let meta = metadata_map(project.get("commonInstanceMetadata"));
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
        facts.insert("compute_default_service_account".into(), json!(sa));
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
                    let mut o = json!({"protocol": s_or(r, "IPProtocol").to_ascii_lowercase()});
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

fn firewall(ctx: &Ctx, fw: &Value) -> Resource {
    let name = s_or(fw, "name").to_string();
    let data = json!({
        "network": short(s_or(fw, "network")),
        "direction": s(fw, "direction").unwrap_or("INGRESS"),
        "disabled": b(fw, "disabled"),
        "priority": int(fw, "priority").unwrap_or(1000),
        "source_ranges": strings(fw, "sourceRanges"),
        "destination_ranges": strings(fw, "destinationRanges"),
        "source_tags": strings(fw, "sourceTags"),
        "source_service_accounts": strings(fw, "sourceServiceAccounts"),
        "target_tags": strings(fw, "targetTags"),
        "target_service_accounts": strings(fw, "targetServiceAccounts"),
        "allowed": rules(fw, "allowed"),
        "denied": rules(fw, "denied"),
        "log_config_enabled": fw.get("logConfig").is_some_and(|l| b(l, "enable")),
    });
    let id = compute_id(fw, || {
        format!(
            "//compute.googleapis.com/projects/{}/global/firewalls/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_FIREWALL, id, &data)
        .named(name)
        .in_region("global")
}

fn instance(ctx: &Ctx, zone: &str, vm: &Value) -> Resource {
    let name = s_or(vm, "name").to_string();
    let meta = metadata_map(vm.get("metadata"));
    let own = |k: &str| meta.get(k).map(|v| truthy(v));
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
        sa["email"]
            .as_str()
            .is_some_and(|e| e.ends_with("-compute@developer.gserviceaccount.com"))
    });
    let mut public_ips = Vec::new();
    let mut external_access = false;
    for nic in vm
        .get("networkInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
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
                external_access = true;
                if let Some(ip) = s(ac, field) {
                    public_ips.push(json!(ip));
                }
            }
        }
    }
    let shielded = vm
        .get("shieldedInstanceConfig")
        .cloned()
        .unwrap_or(Value::Null);
    let confidential = vm.get("confidentialInstanceConfig").is_some_and(|c| {
        b(c, "enableConfidentialCompute")
            || s(c, "confidentialInstanceType")
                .is_some_and(|t| !t.is_empty() && !t.ends_with("UNSPECIFIED"))
    });
    let disks: Vec<Value> = vm
        .get("disks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|d| {
                    let encryption = match d.get("diskEncryptionKey") {
                        Some(k) if k.get("kmsKeyName").is_some() => "cmek",
                        Some(k)
                            if k.get("sha256").is_some() || k.get("rsaEncryptedKey").is_some() =>
                        {
                            "csek"
                        }
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
        "external_access": external_access,
        "can_ip_forward": b(vm, "canIpForward"),
        "serial_port_enabled": own("serial-port-enable").unwrap_or(false),
        "block_project_ssh_keys": own("block-project-ssh-keys").unwrap_or(false),
        "shielded_vm": {
            "secure_boot": b(&shielded, "enableSecureBoot"),
            "vtpm": b(&shielded, "enableVtpm"),
            "integrity_monitoring": b(&shielded, "enableIntegrityMonitoring"),
        },
        "confidential_compute": confidential,
        "disks": disks,
    });
    // Absent when the instance does not set it: the project's value applies.
    if let Some(v) = own("enable-oslogin") {
        data["os_login_enabled"] = json!(v);
    }
    let id = compute_id(vm, || {
        format!(
            "//compute.googleapis.com/projects/{}/zones/{zone}/instances/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_INSTANCE, id, &data)
        .named(name)
        .in_region(zone.to_string())
        .with_tags(labels(vm))
}

/// Network self links (and `projects/P/global/networks/N` forms) covered by a DNS server
/// policy with logging enabled.
fn dns_logged_networks(policies: &[Value]) -> Vec<String> {
    policies
        .iter()
        .filter(|p| b(p, "enableLogging"))
        .flat_map(|p| {
            p.get("networks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|n| s(n, "networkUrl").map(network_path))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `projects/P/global/networks/N` tail of a network URL.
fn network_path(url: &str) -> String {
    match url.find("projects/") {
        Some(i) => url[i..].to_string(),
        None => url.to_string(),
    }
}

fn network(ctx: &Ctx, net: &Value, dns_logged: Option<&Vec<String>>) -> Resource {
    let name = s_or(net, "name").to_string();
    let legacy = net.get("IPv4Range").is_some();
    let auto = b(net, "autoCreateSubnetworks");
    let mut data = json!({
        "mode": if legacy { "legacy" } else if auto { "auto" } else { "custom" },
        "auto_create_subnetworks": auto,
        "routing_mode": net.get("routingConfig").map(|r| s_or(r, "routingMode")).unwrap_or(""),
    });
    if let Some(logged) = dns_logged {
        let me = network_path(s(net, "selfLink").unwrap_or_default());
        let me = if me.is_empty() {
            format!("projects/{}/global/networks/{name}", ctx.project)
        } else {
            me
        };
        data["dns_logging_enabled"] = json!(logged.contains(&me));
    }
    let id = compute_id(net, || {
        format!(
            "//compute.googleapis.com/projects/{}/global/networks/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_NETWORK, id, &data)
        .named(name)
        .in_region("global")
}

fn subnetwork(ctx: &Ctx, region: &str, sub: &Value) -> Resource {
    let name = s_or(sub, "name").to_string();
    let log = sub.get("logConfig").cloned().unwrap_or(Value::Null);
    let flow_logs = b(&log, "enable") || b(sub, "enableFlowLogs");
    let mut data = json!({
        "network": short(s_or(sub, "network")),
        "ip_cidr_range": s_or(sub, "ipCidrRange"),
        "purpose": s(sub, "purpose").unwrap_or("PRIVATE"),
        "private_ip_google_access": b(sub, "privateIpGoogleAccess"),
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
    let id = compute_id(sub, || {
        format!(
            "//compute.googleapis.com/projects/{}/regions/{region}/subnetworks/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_SUBNETWORK, id, &data)
        .named(name)
        .in_region(region.to_string())
}

fn backend_service(ctx: &Ctx, region: &str, bs: &Value) -> Resource {
    let name = s_or(bs, "name").to_string();
    let data = json!({
        "protocol": s(bs, "protocol").unwrap_or("HTTP"),
        "load_balancing_scheme": s(bs, "loadBalancingScheme").unwrap_or("EXTERNAL"),
        "log_config_enabled": bs.get("logConfig").is_some_and(|l| b(l, "enable")),
        "iap_enabled": bs.get("iap").is_some_and(|i| b(i, "enabled")),
    });
    let id = compute_id(bs, || {
        format!(
            "//compute.googleapis.com/projects/{}/global/backendServices/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_BACKEND_SERVICE, id, &data)
        .named(name)
        .in_region(region.to_string())
}

fn target_proxy(
    ctx: &Ctx,
    region: &str,
    proxy: &Value,
    policies: &BTreeMap<String, Value>,
    proxy_type: &str,
) -> Resource {
    let name = s_or(proxy, "name").to_string();
    let policy_link = s_or(proxy, "sslPolicy");
    let mut data = json!({
        "type": proxy_type,
        "ssl_policy": short(policy_link),
    });
    if !policy_link.is_empty() {
        let pol = policies.get(policy_link).cloned().unwrap_or(Value::Null);
        data["ssl_policy_profile"] = json!(s(&pol, "profile").unwrap_or("COMPATIBLE"));
        data["ssl_policy_min_tls_version"] = json!(s(&pol, "minTlsVersion").unwrap_or("TLS_1_0"));
        data["ssl_policy_enabled_features"] = json!(strings(&pol, "enabledFeatures"));
    }
    let collection = if proxy_type == "ssl" {
        "targetSslProxies"
    } else {
        "targetHttpsProxies"
    };
    let id = compute_id(proxy, || {
        format!(
            "//compute.googleapis.com/projects/{}/global/{collection}/{name}",
            ctx.project
        )
    });
    resource(ctx, KIND_TARGET_PROXY, id, &data)
        .named(name)
        .in_region(region.to_string())
}
