//! AWS resource types of a plan mapped onto the kinds of `checks/aws/kinds.yaml`, with
//! the field shapes of the live collector (src/collect/aws). docs/terraform.md lists
//! every argument read.
//!
//! Where apply creates an object and nothing in the plan sets a value, the value is the
//! one AWS gives every new object (a new bucket's Block Public Access, SSE-S3 encryption,
//! `BucketOwnerEnforced`); for an object that exists already the plan cannot tell, and the
//! field is unknown.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Ctx, Data, Planned, Tri, Val, policy_doc, strings};
use crate::inventory::{Provider, Resource};

const PAB_FIELDS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];

/// Every mapped AWS resource of the plan.
pub(super) fn map(ctx: &Ctx<'_>) -> Vec<Resource> {
    let groups = security_groups(ctx);
    let mut out = Vec::new();
    out.extend(buckets(ctx));
    out.extend(instances(ctx, &groups));
    out.extend(groups.into_iter().map(|g| g.resource));
    out.extend(db_instances(ctx));
    out.extend(kms_keys(ctx));
    out.extend(trails(ctx));
    out.extend(iam_policies(ctx));
    out.extend(iam_roles(ctx));
    out.extend(iam_groups(ctx));
    out.extend(iam_users(ctx));
    out
}

fn resource(ctx: &Ctx<'_>, d: Data, kind: &str, r: &Planned) -> Resource {
    let res = d.into_resource(Provider::Aws, kind, r);
    match ctx.aws_region(r) {
        Some(region) => res.in_region(region),
        None => res,
    }
}

// ---------------------------------------------------------------------------------- S3

fn buckets(ctx: &Ctx<'_>) -> Vec<Resource> {
    let account_pab = ctx
        .of_type("aws_s3_account_public_access_block")
        .next()
        .map(public_access_block);
    ctx.of_type("aws_s3_bucket")
        .map(|b| {
            let mut d = Data::default();
            let sub = |t: &'static str| ctx.pointing_at(b, t, "bucket", &["bucket", "id"]);
            match b.get("bucket").str() {
                Tri::Known(name) => d.set(
                    "arn",
                    b.get("arn")
                        .str()
                        .known()
                        .map_or_else(|| format!("arn:aws:s3:::{name}"), str::to_string),
                ),
                _ => d.unknown("arn"),
            }

            // Block Public Access: all four on for a new bucket (S3's default since 2023).
            match sub("aws_s3_bucket_public_access_block").first() {
                Some(p) => d.put("public_access_block", public_access_block(p)),
                None if b.creating => d.set(
                    "public_access_block",
                    Value::Object(
                        PAB_FIELDS
                            .iter()
                            .map(|f| (f.to_string(), json!(true)))
                            .collect(),
                    ),
                ),
                None => d.unknown("public_access_block"),
            }
            if let Some(a) = &account_pab {
                d.put("account_public_access_block", a.clone());
            }

            let acl = match sub("aws_s3_bucket_acl").first() {
                Some(a) => match a.get("acl").str() {
                    Tri::Known(canned) => Tri::Known(canned_acl(canned)),
                    Tri::Null => grants(a.get("access_control_policy.0.grant")),
                    Tri::Unknown => Tri::Unknown,
                },
                None => match ctx.arg(b, "acl").str() {
                    Tri::Known(canned) => Tri::Known(canned_acl(canned)),
                    Tri::Null if b.creating => Tri::Known(canned_acl("private")),
                    _ => Tri::Unknown,
                },
            };
            d.put("acl", acl.map(|g| json!({ "grants": g })));

            let policy = match sub("aws_s3_bucket_policy").first() {
                Some(p) => policy_doc(p.get("policy")),
                None => match policy_doc(ctx.arg(b, "policy")) {
                    Tri::Unknown if b.creating && ctx.arg(b, "policy") == Val::Null => Tri::Null,
                    other => other,
                },
            };
            d.put("policy", policy);

            let sse = match sub("aws_s3_bucket_server_side_encryption_configuration").first() {
                Some(e) => encryption(e, "rule.0"),
                None => match ctx.arg(b, "server_side_encryption_configuration") {
                    Val::Known(_) => encryption(b, "server_side_encryption_configuration.0.rule.0"),
                    // Every new bucket gets SSE-S3 (S3's default since January 2023).
                    Val::Null if b.creating => {
                        Tri::Known(json!({"sse_algorithm": "AES256", "bucket_key_enabled": false}))
                    }
                    _ => Tri::Unknown,
                },
            };
            d.put("encryption", sse);

            match sub("aws_s3_bucket_versioning").first() {
                Some(v) => {
                    d.put(
                        "versioning",
                        v.get("versioning_configuration.0.status").str(),
                    );
                    d.put(
                        "mfa_delete",
                        v.get("versioning_configuration.0.mfa_delete")
                            .str()
                            .map(|m| m == "Enabled")
                            .or(false),
                    );
                }
                None => match ctx.arg(b, "versioning") {
                    Val::Known(_) => {
                        d.put(
                            "versioning",
                            b.get("versioning.0.enabled")
                                .bool()
                                .map(|e| if e { "Enabled" } else { "Disabled" })
                                .or("Disabled"),
                        );
                        d.put(
                            "mfa_delete",
                            b.get("versioning.0.mfa_delete").bool().or(false),
                        );
                    }
                    Val::Null if b.creating => {
                        d.set("versioning", "Disabled");
                        d.set("mfa_delete", false);
                    }
                    _ => {
                        d.unknown("versioning");
                        d.unknown("mfa_delete");
                    }
                },
            }

            match sub("aws_s3_bucket_logging").first() {
                Some(l) => {
                    d.set("logging_enabled", true);
                    d.put("logging_target_bucket", l.get("target_bucket").str());
                }
                None => match ctx.arg(b, "logging").list() {
                    Tri::Known([]) if b.creating || b.get("logging") != Val::Unknown => {
                        d.set("logging_enabled", false);
                    }
                    Tri::Known(_) => {
                        d.set("logging_enabled", true);
                        d.put(
                            "logging_target_bucket",
                            b.get("logging.0.target_bucket").str(),
                        );
                    }
                    _ => d.unknown("logging_enabled"),
                },
            }

            match sub("aws_s3_bucket_ownership_controls").first() {
                Some(o) => d.put("object_ownership", o.get("rule.0.object_ownership").str()),
                // New buckets have ACLs disabled (S3's default since April 2023).
                None if b.creating => d.set("object_ownership", "BucketOwnerEnforced"),
                None => d.unknown("object_ownership"),
            }

            let trails = ctx.pointing_at(b, "aws_cloudtrail", "s3_bucket_name", &["bucket", "id"]);
            let names: Vec<String> = trails
                .iter()
                .filter_map(|t| t.get("name").str().known().map(str::to_string))
                .collect();
            if names.len() == trails.len() {
                d.set("trail_names", strings(&names));
            } else {
                d.unknown("trail_names");
            }
            resource(ctx, d, "aws.s3.bucket", b)
        })
        .collect()
}

fn public_access_block(p: &Planned) -> Tri<Value> {
    let mut m = Map::new();
    for f in PAB_FIELDS {
        match p.get(f).bool().or(false) {
            Tri::Known(v) => {
                m.insert(f.to_string(), json!(v));
            }
            _ => return Tri::Unknown,
        }
    }
    Tri::Known(Value::Object(m))
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The grants a canned ACL stands for (S3 User Guide, "Canned ACL").
fn canned_acl(canned: &str) -> Value {
    let owner = json!({"grantee_type": "CanonicalUser", "permission": "FULL_CONTROL"});
    let group = |uri: &str, permission: &str| json!({"grantee_type": "Group", "grantee_uri": uri, "permission": permission});
    let mut grants = vec![owner];
    match canned {
        "public-read" => grants.push(group(ALL_USERS, "READ")),
        "public-read-write" => {
            grants.push(group(ALL_USERS, "READ"));
            grants.push(group(ALL_USERS, "WRITE"));
        }
        "authenticated-read" => grants.push(group(AUTHENTICATED_USERS, "READ")),
        "log-delivery-write" => {
            grants.push(group(LOG_DELIVERY, "WRITE"));
            grants.push(group(LOG_DELIVERY, "READ_ACP"));
        }
        _ => {}
    }
    Value::Array(grants)
}

/// `access_control_policy.grant` blocks as grants.
fn grants(v: Val<'_>) -> Tri<Value> {
    v.list().map(|items| {
        items
            .iter()
            .map(|g| {
                let grantee = g.pointer("/grantee/0").cloned().unwrap_or(Value::Null);
                let mut m = Map::new();
                for (from, to) in [
                    ("type", "grantee_type"),
                    ("id", "grantee_id"),
                    ("uri", "grantee_uri"),
                ] {
                    if let Some(s) = grantee
                        .get(from)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                    {
                        m.insert(to.into(), json!(s));
                    }
                }
                if let Some(p) = g.get("permission").and_then(Value::as_str) {
                    m.insert("permission".into(), json!(p));
                }
                Value::Object(m)
            })
            .collect()
    })
}

/// The first encryption rule under `rule` (`rule.0` of the split resource).
fn encryption(r: &Planned, rule: &str) -> Tri<Value> {
    let by_default = format!("{rule}.apply_server_side_encryption_by_default.0");
    let algorithm = r.get(&format!("{by_default}.sse_algorithm")).str();
    let key = r.get(&format!("{by_default}.kms_master_key_id")).str();
    let bucket_key = r
        .get(&format!("{rule}.bucket_key_enabled"))
        .bool()
        .or(false);
    match (algorithm, key, bucket_key) {
        (Tri::Unknown, _, _) | (_, Tri::Unknown, _) | (_, _, Tri::Unknown) => Tri::Unknown,
        (Tri::Null, _, _) => Tri::Null,
        (Tri::Known(a), key, Tri::Known(bk)) => {
            let mut m = Map::new();
            m.insert("sse_algorithm".into(), json!(a));
            if let Some(k) = key.known().filter(|k| !k.is_empty()) {
                m.insert("kms_key_id".into(), json!(k));
            }
            m.insert("bucket_key_enabled".into(), json!(bk));
            Tri::Known(Value::Object(m))
        }
        (_, _, Tri::Null) => Tri::Null,
    }
}

// ------------------------------------------------------------------------------ EC2

/// A mapped security group, with its ingress rules for the instances using it.
struct Group<'d> {
    planned: &'d Planned,
    group_id: String,
    ingress: Tri<Vec<Value>>,
    resource: Resource,
}

/// `tcp`, `udp`, `icmp`, `icmpv6` or `-1`, as the collector normalizes `IpProtocol`.
fn protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        "all" | "-1" => "-1".into(),
        other => other.to_string(),
    }
}

/// One rule in the collector's shape.
fn sg_rule(
    proto: &str,
    from: Option<i64>,
    to: Option<i64>,
    v4: Vec<String>,
    v6: Vec<String>,
    groups: Vec<String>,
    lists: Vec<String>,
) -> Value {
    let proto = protocol(proto);
    let mut m = Map::new();
    m.insert("protocol".into(), json!(proto));
    if proto != "-1" {
        if let Some(f) = from {
            m.insert("from_port".into(), json!(f));
        }
        if let Some(t) = to {
            m.insert("to_port".into(), json!(t));
        }
    }
    m.insert("ipv4_ranges".into(), json!(v4));
    m.insert("ipv6_ranges".into(), json!(v6));
    m.insert("source_groups".into(), json!(groups));
    m.insert("prefix_lists".into(), json!(lists));
    Value::Object(m)
}

fn strs(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The rules of an inline `ingress`/`egress` list of `aws_security_group`.
fn inline_rules(items: &[Value], self_id: &str) -> Vec<Value> {
    items
        .iter()
        .map(|r| {
            let mut groups = strs(r, "security_groups");
            if r.get("self").and_then(Value::as_bool) == Some(true) {
                groups.push(self_id.to_string());
            }
            sg_rule(
                r.get("protocol").and_then(Value::as_str).unwrap_or("-1"),
                r.get("from_port").and_then(Value::as_i64),
                r.get("to_port").and_then(Value::as_i64),
                strs(r, "cidr_blocks"),
                strs(r, "ipv6_cidr_blocks"),
                groups,
                strs(r, "prefix_list_ids"),
            )
        })
        .collect()
}

/// An `aws_security_group_rule` or `aws_vpc_security_group_{ingress,egress}_rule` as a
/// rule; unknown when any argument that shapes it is.
fn separate_rule(ctx: &Ctx<'_>, r: &Planned, self_id: &str) -> Tri<Value> {
    let vpc = r.rtype.starts_with("aws_vpc_");
    let keys: &[&str] = if vpc {
        &[
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_ipv4",
            "cidr_ipv6",
            "referenced_security_group_id",
            "prefix_list_id",
        ]
    } else {
        &[
            "protocol",
            "from_port",
            "to_port",
            "cidr_blocks",
            "ipv6_cidr_blocks",
            "source_security_group_id",
            "prefix_list_ids",
            "self",
        ]
    };
    if keys.iter().any(|k| ctx.arg(r, k) == Val::Unknown) {
        return Tri::Unknown;
    }
    let list = |k: &str| ctx.arg(r, k).strings().known().unwrap_or_default();
    let int = |k: &str| ctx.arg(r, k).int().known();
    let proto = |k: &str| ctx.arg(r, k).str().known().unwrap_or("-1").to_string();
    Tri::Known(if vpc {
        sg_rule(
            &proto("ip_protocol"),
            int("from_port"),
            int("to_port"),
            list("cidr_ipv4"),
            list("cidr_ipv6"),
            list("referenced_security_group_id"),
            list("prefix_list_id"),
        )
    } else {
        let mut groups = list("source_security_group_id");
        if ctx.arg(r, "self").bool().known() == Some(true) {
            groups.push(self_id.to_string());
        }
        sg_rule(
            &proto("protocol"),
            int("from_port"),
            int("to_port"),
            list("cidr_blocks"),
            list("ipv6_cidr_blocks"),
            groups,
            list("prefix_list_ids"),
        )
    })
}

fn security_groups<'d>(ctx: &Ctx<'d>) -> Vec<Group<'d>> {
    let users: Vec<&Planned> = [
        "aws_instance",
        "aws_db_instance",
        "aws_network_interface",
        "aws_launch_template",
    ]
    .iter()
    .flat_map(|t| ctx.of_type(t))
    .collect();
    ["aws_security_group", "aws_default_security_group"]
        .iter()
        .flat_map(|t| ctx.of_type(t))
        .map(|g| {
            let mut d = Data::default();
            let group_id = g
                .get("id")
                .str()
                .known()
                .map_or_else(|| g.address.clone(), str::to_string);
            d.put("group_id", g.get("id").str());
            d.put("vpc_id", ctx.arg(g, "vpc_id").str());
            d.put(
                "description",
                ctx.arg(g, "description").str().or("Managed by Terraform"),
            );
            d.set(
                "is_default",
                g.rtype == "aws_default_security_group"
                    || g.get("name").str().known() == Some("default"),
            );
            d.set(
                "attached",
                users.iter().any(|u| {
                    ["vpc_security_group_ids", "security_groups"]
                        .iter()
                        .any(|a| {
                            ctx.targets(u, a, &g.rtype, &["id", "name"])
                                .found
                                .iter()
                                .any(|t| t.address == g.address)
                        })
                }),
            );
            let mut ingress = Tri::Unknown;
            for (dir, field) in [("ingress", "ingress"), ("egress", "egress")] {
                // Without inline rules, a group apply creates has none (Terraform removes
                // the default allow-all egress rule); separate rule resources add theirs.
                let mut rules = match ctx.arg(g, dir).list() {
                    Tri::Known(items) => Tri::Known(inline_rules(items, &group_id)),
                    _ => Tri::Unknown,
                };
                let separate = ctx
                    .pointing_at(g, "aws_security_group_rule", "security_group_id", &["id"])
                    .into_iter()
                    .filter(|r| r.get("type").str().known() == Some(dir))
                    .chain(ctx.pointing_at(
                        g,
                        &format!("aws_vpc_security_group_{dir}_rule"),
                        "security_group_id",
                        &["id"],
                    ));
                for r in separate {
                    rules = match (rules, separate_rule(ctx, r, &group_id)) {
                        (Tri::Known(mut v), Tri::Known(rule)) => {
                            v.push(rule);
                            Tri::Known(v)
                        }
                        _ => Tri::Unknown,
                    };
                }
                if dir == "ingress" {
                    ingress = rules.clone_known();
                }
                d.put(field, rules.map(Value::Array));
            }
            Group {
                planned: g,
                group_id,
                ingress,
                resource: resource(ctx, d, "aws.ec2.security_group", g),
            }
        })
        .collect()
}

impl Tri<Vec<Value>> {
    fn clone_known(&self) -> Tri<Vec<Value>> {
        match self {
            Tri::Known(v) => Tri::Known(v.clone()),
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

fn instances(ctx: &Ctx<'_>, groups: &[Group<'_>]) -> Vec<Resource> {
    ctx.of_type("aws_instance")
        .map(|i| {
            let mut d = Data::default();
            d.put("instance_id", i.get("id").str());
            // Terraform waits for a new instance to be running.
            if i.creating {
                d.set("state", "running");
            } else {
                d.put("state", i.get("instance_state").str());
            }
            d.put("instance_type", i.get("instance_type").str());
            d.put("image_id", i.get("ami").str());
            d.put("subnet_id", ctx.arg(i, "subnet_id").str());
            d.put("private_ip", i.get("private_ip").str());
            match (
                i.get("public_ip").str(),
                ctx.arg(i, "associate_public_ip_address").bool(),
            ) {
                (Tri::Known(ip), _) if !ip.is_empty() => d.set("public_ip", ip),
                (Tri::Known(_) | Tri::Null, _) | (Tri::Unknown, Tri::Known(false)) => {}
                (Tri::Unknown, _) => d.unknown("public_ip"),
            }
            match ctx.arg(i, "iam_instance_profile").str() {
                Tri::Null => {}
                Tri::Known("") if i.creating => {}
                Tri::Known(_) | Tri::Unknown => {
                    let profiles = ctx.targets(
                        i,
                        "iam_instance_profile",
                        "aws_iam_instance_profile",
                        &["name", "id"],
                    );
                    match profiles.found.first().map(|p| p.get("arn").str()) {
                        Some(Tri::Known(arn)) => d.set("instance_profile_arn", arn),
                        _ => d.unknown("instance_profile_arn"),
                    }
                }
            }
            // AWS picks the token default from the AMI and the account: unknown unless set.
            match ctx.arg(i, "metadata_options.0.http_tokens").str() {
                Tri::Known(t) => d.set("imds_http_tokens", t),
                _ => d.unknown("imds_http_tokens"),
            }
            d.put(
                "imds_http_endpoint",
                ctx.arg(i, "metadata_options.0.http_endpoint")
                    .str()
                    .or("enabled"),
            );
            d.put(
                "imds_hop_limit",
                ctx.arg(i, "metadata_options.0.http_put_response_hop_limit")
                    .int()
                    .or(1),
            );

            let mut ids = Tri::Known(Vec::new());
            let mut open = Tri::Known(Vec::new());
            let mut any = false;
            for attr in ["vpc_security_group_ids", "security_groups"] {
                if ctx.arg(i, attr).list() == Tri::Known(&[]) {
                    continue;
                }
                any = true;
                let t = ctx.targets(i, attr, "aws_security_group", &["id", "name"]);
                let found: Vec<&Group<'_>> = groups
                    .iter()
                    .filter(|g| t.found.iter().any(|f| f.address == g.planned.address))
                    .collect();
                if !t.complete {
                    open = Tri::Unknown;
                }
                match i.get(attr).strings() {
                    Tri::Known(v) if attr == "vpc_security_group_ids" => {
                        if let Tri::Known(all) = &mut ids {
                            all.extend(v);
                        }
                    }
                    Tri::Known(_) => {}
                    _ => {
                        let known: Option<Vec<String>> = found
                            .iter()
                            .map(|g| g.planned.get("id").str().known().map(str::to_string))
                            .collect();
                        match (known, &mut ids) {
                            (Some(k), Tri::Known(all)) => all.extend(k),
                            _ => ids = Tri::Unknown,
                        }
                    }
                }
                for g in found {
                    open = match (open, g.ingress.clone_known()) {
                        (Tri::Known(mut o), Tri::Known(rules)) => {
                            o.extend(crate::collect::aws_shapes::open_ingress(
                                &g.group_id,
                                &rules,
                            ));
                            Tri::Known(o)
                        }
                        _ => Tri::Unknown,
                    };
                }
            }
            if !any {
                // The instance gets the VPC's default group, which the plan does not show.
                open = Tri::Unknown;
            }
            d.put("security_group_ids", ids.map(|v| strings(&v)));
            d.put("open_ingress", open.map(Value::Array));
            resource(ctx, d, "aws.ec2.instance", i)
        })
        .collect()
}

// ------------------------------------------------------------------------------ RDS

fn db_instances(ctx: &Ctx<'_>) -> Vec<Resource> {
    ctx.of_type("aws_db_instance")
        .map(|r| {
            let mut d = Data::default();
            d.put("arn", r.get("arn").str());
            d.put("engine", ctx.arg(r, "engine").str());
            d.put("engine_version", r.get("engine_version_actual").str());
            d.put("instance_class", r.get("instance_class").str());
            if r.creating {
                d.set("status", "available");
            } else {
                d.put("status", r.get("status").str());
            }
            d.put(
                "publicly_accessible",
                ctx.arg(r, "publicly_accessible").bool().or(false),
            );
            d.put(
                "storage_encrypted",
                ctx.arg(r, "storage_encrypted").bool().or(false),
            );
            d.put("kms_key_id", ctx.arg(r, "kms_key_id").str());
            // The retention AWS applies when none is set depends on the engine and how the
            // instance is created: unknown unless set.
            match ctx.arg(r, "backup_retention_period").int() {
                Tri::Known(n) => d.set("backup_retention_period", n),
                _ => d.unknown("backup_retention_period"),
            }
            d.put(
                "deletion_protection",
                ctx.arg(r, "deletion_protection").bool().or(false),
            );
            d.put(
                "auto_minor_version_upgrade",
                ctx.arg(r, "auto_minor_version_upgrade").bool().or(true),
            );
            d.put("multi_az", ctx.arg(r, "multi_az").bool().or(false));
            d.put(
                "iam_database_authentication_enabled",
                ctx.arg(r, "iam_database_authentication_enabled")
                    .bool()
                    .or(false),
            );
            d.put(
                "vpc_security_group_ids",
                ctx.arg(r, "vpc_security_group_ids")
                    .strings()
                    .map(|v| strings(&v)),
            );
            resource(ctx, d, "aws.rds.instance", r)
        })
        .collect()
}

// ------------------------------------------------------------------------------ KMS

fn kms_keys(ctx: &Ctx<'_>) -> Vec<Resource> {
    ctx.of_type("aws_kms_key")
        .map(|k| {
            let mut d = Data::default();
            d.put("key_id", k.get("key_id").str());
            d.put("arn", k.get("arn").str());
            let aliases = ctx.pointing_at(
                k,
                "aws_kms_alias",
                "target_key_id",
                &["key_id", "arn", "id"],
            );
            let names: Vec<String> = aliases
                .iter()
                .filter_map(|a| a.get("name").str().known().map(str::to_string))
                .collect();
            if names.len() == aliases.len() {
                d.set("aliases", strings(&names));
            } else {
                d.unknown("aliases");
            }
            d.set("manager", "CUSTOMER");
            d.put(
                "state",
                ctx.arg(k, "is_enabled")
                    .bool()
                    .or(true)
                    .map(|e| if e { "Enabled" } else { "Disabled" }),
            );
            let spec = ctx
                .arg(k, "customer_master_key_spec")
                .str()
                .or("SYMMETRIC_DEFAULT");
            d.put("key_spec", spec);
            d.put(
                "key_usage",
                ctx.arg(k, "key_usage").str().or("ENCRYPT_DECRYPT"),
            );
            d.set("origin", "AWS_KMS");
            match spec {
                // Rotation applies to symmetric encryption keys only.
                Tri::Known("SYMMETRIC_DEFAULT") => {
                    let rotation = ctx.arg(k, "enable_key_rotation").bool().or(false);
                    d.put("rotation_enabled", rotation);
                    match rotation {
                        Tri::Known(true) => {
                            d.put(
                                "rotation_period_days",
                                ctx.arg(k, "rotation_period_in_days").int().or(365),
                            );
                        }
                        Tri::Known(false) => {}
                        _ => d.unknown("rotation_period_days"),
                    }
                }
                Tri::Known(_) => {}
                _ => d.unknown("rotation_enabled"),
            }
            // Without a policy AWS applies the default key policy, which names the account.
            let policy = match ctx
                .pointing_at(k, "aws_kms_key_policy", "key_id", &["key_id", "arn", "id"])
                .first()
            {
                Some(p) => policy_doc(p.get("policy")),
                None => match policy_doc(ctx.arg(k, "policy")) {
                    Tri::Null => Tri::Unknown,
                    other => other,
                },
            };
            d.put("policy", policy);
            resource(ctx, d, "aws.kms.key", k)
        })
        .collect()
}

// ------------------------------------------------------------------------ CloudTrail

use crate::collect::aws_shapes::ReadWrite as Rw;

/// Management and all-bucket S3 data events from `event_selector` blocks (classic
/// selectors; a trail without any logs all management events).
fn selectors(items: &[Value]) -> (Rw, Rw) {
    let mut mgmt = Rw::default();
    let mut s3 = Rw::default();
    if items.is_empty() {
        mgmt.add(None);
    }
    for s in items {
        let rw = s.get("read_write_type").and_then(Value::as_str);
        if s.get("include_management_events")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            mgmt.add(rw);
        }
        let all_buckets = s
            .get("data_resource")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|d| {
                d.get("type").and_then(Value::as_str) == Some("AWS::S3::Object")
                    && strs(d, "values").iter().any(|v| {
                        let v = v.trim_end_matches('/');
                        v == "arn:aws:s3" || v.ends_with(":s3:::") || v.ends_with(":s3")
                    })
            });
        if all_buckets {
            s3.add(rw);
        }
    }
    (mgmt, s3)
}

fn trails(ctx: &Ctx<'_>) -> Vec<Resource> {
    ctx.of_type("aws_cloudtrail")
        .map(|t| {
            let mut d = Data::default();
            d.put("arn", t.get("arn").str());
            match ctx.aws_region(t) {
                Some(r) => d.set("home_region", r),
                None => d.unknown("home_region"),
            }
            d.put(
                "multi_region",
                ctx.arg(t, "is_multi_region_trail").bool().or(false),
            );
            d.put(
                "organization_trail",
                ctx.arg(t, "is_organization_trail").bool().or(false),
            );
            d.put("is_logging", ctx.arg(t, "enable_logging").bool().or(true));
            d.put(
                "log_file_validation",
                ctx.arg(t, "enable_log_file_validation").bool().or(false),
            );
            d.put("kms_key_id", ctx.arg(t, "kms_key_id").str());
            d.put("s3_bucket_name", t.get("s3_bucket_name").str());
            d.put(
                "cloudwatch_logs_log_group_arn",
                ctx.arg(t, "cloud_watch_logs_group_arn").str(),
            );
            d.put(
                "include_global_service_events",
                ctx.arg(t, "include_global_service_events").bool().or(true),
            );
            let advanced = ctx.arg(t, "advanced_event_selector").list();
            match (ctx.arg(t, "event_selector").list(), advanced) {
                (Tri::Known(items), Tri::Known([])) => {
                    let (mgmt, s3) = selectors(items);
                    d.set("management_events", mgmt.label());
                    d.set("s3_object_read_events_all_buckets", s3.read);
                    d.set("s3_object_write_events_all_buckets", s3.write);
                }
                // Advanced selectors are not mapped: their effect is left unknown.
                _ => {
                    for f in [
                        "management_events",
                        "s3_object_read_events_all_buckets",
                        "s3_object_write_events_all_buckets",
                    ] {
                        d.unknown(f);
                    }
                }
            }
            resource(ctx, d, "aws.cloudtrail.trail", t)
        })
        .collect()
}

// ------------------------------------------------------------------------------ IAM

/// Documents of AWS managed policies a plan commonly attaches, for the checks that read
/// them (from the policies' published default versions).
fn aws_managed_document(arn: &str) -> Option<Value> {
    let doc = match arn.rsplit('/').next()? {
        "AdministratorAccess" => {
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        }
        "IAMFullAccess" => {
            r#"{"Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#
        }
        _ => return None,
    };
    arn.starts_with("arn:aws:iam::aws:policy/")
        .then(|| crate::collect::aws_policy::parse(doc))
        .flatten()
}

/// The effective policies of a role, user or group: inline policies (`aws_iam_<e>_policy`
/// and inline blocks) and attached managed ones (`aws_iam_<e>_policy_attachment`,
/// `aws_iam_policy_attachment`, `managed_policy_arns`).
fn policies(ctx: &Ctx<'_>, e: &Planned, entity: &str) -> (Vec<Value>, Vec<&'static str>) {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    let mut entry = |name: Tri<&str>, arn: Option<Tri<String>>, source: &str, doc: Tri<Value>| {
        let mut m = Map::new();
        match name {
            Tri::Known(n) => {
                m.insert("name".into(), json!(n));
            }
            _ => unknown.push("policies[].name"),
        }
        match arn {
            Some(Tri::Known(a)) => {
                m.insert("arn".into(), json!(a));
            }
            Some(_) => unknown.push("policies[].arn"),
            None => {}
        }
        m.insert("source".into(), json!(source));
        match doc {
            Tri::Known(d) => {
                m.insert("document".into(), d);
            }
            _ => unknown.push("policies[].document"),
        }
        out.push(Value::Object(m));
    };
    let inline_type = format!("aws_iam_{entity}_policy");
    for p in ctx.pointing_at(e, &inline_type, entity, &["name", "id"]) {
        entry(
            p.get("name").str(),
            None,
            "inline",
            policy_doc(p.get("policy")),
        );
    }
    if let Tri::Known(blocks) = ctx.arg(e, "inline_policy").list() {
        for (i, _) in blocks.iter().enumerate() {
            let name = e.get(&format!("inline_policy.{i}.name")).str();
            if name == Tri::Known("") {
                continue;
            }
            entry(
                name,
                None,
                "inline",
                policy_doc(e.get(&format!("inline_policy.{i}.policy"))),
            );
        }
    }
    let mut attached: Vec<&Planned> = ctx.pointing_at(
        e,
        &format!("{inline_type}_attachment"),
        entity,
        &["name", "id"],
    );
    let plural = format!("{entity}s");
    attached.extend(ctx.pointing_at(e, "aws_iam_policy_attachment", &plural, &["name", "id"]));
    let mut arns: Vec<(Option<&Planned>, Val<'_>)> = attached
        .iter()
        .map(|a| (Some(*a), a.get("policy_arn")))
        .collect();
    let managed = ctx.arg(e, "managed_policy_arns");
    if let Tri::Known(list) = managed.list() {
        arns.extend(list.iter().map(|v| (None, Val::Known(v))));
    }
    for (attachment, arn) in arns {
        let plan_policy = attachment.and_then(|a| {
            ctx.targets(a, "policy_arn", "aws_iam_policy", &["arn", "id"])
                .found
                .first()
                .copied()
        });
        match (arn.str(), plan_policy) {
            (_, Some(p)) => entry(
                p.get("name").str(),
                Some(p.get("arn").str().map(str::to_string)),
                "managed",
                policy_doc(p.get("policy")),
            ),
            (Tri::Known(a), None) => {
                let name = a.rsplit('/').next().unwrap_or(a);
                let doc = aws_managed_document(a).map_or(Tri::Unknown, Tri::Known);
                entry(
                    Tri::Known(name),
                    Some(Tri::Known(a.to_string())),
                    "managed",
                    doc,
                );
            }
            _ => entry(Tri::Unknown, Some(Tri::Unknown), "managed", Tri::Unknown),
        }
    }
    if managed == Val::Unknown {
        unknown.extend(["policies[].name", "policies[].arn", "policies[].document"]);
    }
    unknown.sort_unstable();
    unknown.dedup();
    (out, unknown)
}

fn put_policies(d: &mut Data, (list, unknown): (Vec<Value>, Vec<&'static str>)) {
    d.set("policies", Value::Array(list));
    for u in unknown {
        d.unknown(u);
    }
}

fn iam_policies(ctx: &Ctx<'_>) -> Vec<Resource> {
    let attachment_types = [
        ("aws_iam_role_policy_attachment", None),
        ("aws_iam_user_policy_attachment", None),
        ("aws_iam_group_policy_attachment", None),
        (
            "aws_iam_policy_attachment",
            Some(["users", "roles", "groups"]),
        ),
    ];
    ctx.of_type("aws_iam_policy")
        .map(|p| {
            let mut d = Data::default();
            d.put("arn", p.get("arn").str());
            d.put("path", ctx.arg(p, "path").str().or("/"));
            d.put("document", policy_doc(p.get("policy")));
            let mut count = 0i64;
            for (t, lists) in attachment_types {
                for a in ctx.pointing_at(p, t, "policy_arn", &["arn", "id"]) {
                    count += match lists {
                        None => 1,
                        Some(keys) => keys
                            .iter()
                            .map(|k| a.get(k).strings().known().map_or(0, |v| v.len() as i64))
                            .sum(),
                    };
                }
            }
            // Attachments made outside the plan are not visible: a policy that exists
            // already and that the plan attaches nowhere has an unknown count.
            if p.creating || count > 0 {
                d.set("attachment_count", count);
            } else {
                d.unknown("attachment_count");
            }
            resource(ctx, d, "aws.iam.policy", p)
        })
        .collect()
}

fn iam_roles(ctx: &Ctx<'_>) -> Vec<Resource> {
    ctx.of_type("aws_iam_role")
        .map(|r| {
            let mut d = Data::default();
            d.put("arn", r.get("arn").str());
            let path = ctx.arg(r, "path").str().or("/");
            d.put("path", path);
            d.put(
                "service_linked",
                path.map(|p| p.starts_with("/aws-service-role/")),
            );
            d.put(
                "max_session_duration",
                ctx.arg(r, "max_session_duration").int().or(3600),
            );
            d.put("trust_policy", policy_doc(r.get("assume_role_policy")));
            put_policies(&mut d, policies(ctx, r, "role"));
            resource(ctx, d, "aws.iam.role", r)
        })
        .collect()
}

/// Group name -> member user names, from the plan's membership resources.
fn memberships(ctx: &Ctx<'_>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in ctx.of_type("aws_iam_group_membership") {
        if let Some(g) = m.get("group").str().known() {
            out.entry(g.to_string())
                .or_default()
                .extend(m.get("users").strings().known().unwrap_or_default());
        }
    }
    for m in ctx.of_type("aws_iam_user_group_membership") {
        if let Some(u) = m.get("user").str().known() {
            for g in m.get("groups").strings().known().unwrap_or_default() {
                out.entry(g).or_default().push(u.to_string());
            }
        }
    }
    out
}

fn iam_groups(ctx: &Ctx<'_>) -> Vec<Resource> {
    let members = memberships(ctx);
    ctx.of_type("aws_iam_group")
        .map(|g| {
            let mut d = Data::default();
            d.put("arn", g.get("arn").str());
            d.put("path", ctx.arg(g, "path").str().or("/"));
            let name = g.get("name").str().known().unwrap_or_default();
            d.set(
                "users",
                strings(members.get(name).map(Vec::as_slice).unwrap_or_default()),
            );
            put_policies(&mut d, policies(ctx, g, "group"));
            resource(ctx, d, "aws.iam.group", g)
        })
        .collect()
}

fn iam_users(ctx: &Ctx<'_>) -> Vec<Resource> {
    let members = memberships(ctx);
    ctx.of_type("aws_iam_user")
        .map(|u| {
            let mut d = Data::default();
            d.put("arn", u.get("arn").str());
            d.put("user_id", u.get("unique_id").str());
            d.put("path", ctx.arg(u, "path").str().or("/"));
            let name = u.get("name").str().known().unwrap_or_default().to_string();
            let groups: Vec<String> = members
                .iter()
                .filter(|(_, users)| users.contains(&name))
                .map(|(g, _)| g.clone())
                .collect();
            d.set("groups", strings(&groups));
            let (mut list, mut unknown) = policies(ctx, u, "user");
            for g in ctx.of_type("aws_iam_group") {
                if g.get("name")
                    .str()
                    .known()
                    .is_some_and(|n| groups.iter().any(|x| x == n))
                {
                    let (inherited, u2) = policies(ctx, g, "group");
                    let source =
                        format!("group:{}", g.get("name").str().known().unwrap_or_default());
                    list.extend(inherited.into_iter().map(|mut p| {
                        p["source"] = json!(source);
                        p
                    }));
                    unknown.extend(u2);
                }
            }
            put_policies(&mut d, (list, unknown));
            // A user apply creates has no console password, MFA device or keys but the
            // ones the plan gives it; for an existing user the plan cannot tell.
            let profiles =
                ctx.pointing_at(u, "aws_iam_user_login_profile", "user", &["name", "id"]);
            match (profiles.is_empty(), u.creating) {
                (false, _) => d.set("password_enabled", true),
                (true, true) => d.set("password_enabled", false),
                (true, false) => d.unknown("password_enabled"),
            }
            if u.creating {
                d.set("mfa_active", false);
            } else {
                d.unknown("mfa_active");
            }
            let keys = ctx.pointing_at(u, "aws_iam_access_key", "user", &["name", "id"]);
            if !u.creating && keys.is_empty() {
                d.unknown("access_keys");
            } else {
                let list: Vec<Value> = keys
                    .iter()
                    .map(|k| {
                        let mut m = Map::new();
                        if let Some(id) = k.get("id").str().known() {
                            m.insert("id".into(), json!(id));
                        }
                        m.insert(
                            "status".into(),
                            json!(k.get("status").str().known().unwrap_or("Active")),
                        );
                        if let Some(c) = k.get("create_date").str().known() {
                            m.insert("created".into(), json!(c));
                        }
                        Value::Object(m)
                    })
                    .collect();
                if keys.iter().any(|k| k.get("create_date") == Val::Unknown) {
                    d.unknown("access_keys[].created");
                }
                if keys.iter().any(|k| k.get("id") == Val::Unknown) {
                    d.unknown("access_keys[].id");
                }
                d.set("access_keys", Value::Array(list));
            }
            resource(ctx, d, "aws.iam.user", u)
        })
        .collect()
}
