//! EC2 and VPC, per region: instances (with their security groups' internet-open rules
//! denormalized), security groups (and whether a network interface uses them), EBS
//! volumes, snapshots and AMIs owned by the account, VPCs with flow logs, network ACLs,
//! and EBS encryption by default (on the `aws.region` resource).

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_ec2::types::{ImageAttributeName, IpPermission, SnapshotAttributeName, Tag};
use serde_json::{Map, Value, json};

use crate::collect::CollectError;

use super::errors::{self, Op, put_present, ts};
use super::{Clients, Ctx, Service, Unit};

super::clients::sdk_client!("ec2", aws_sdk_ec2);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const INSTANCE: &str = "aws.ec2.instance";
const SG: &str = "aws.ec2.security_group";
const VOLUME: &str = "aws.ec2.volume";
const SNAPSHOT: &str = "aws.ec2.snapshot";
const IMAGE: &str = "aws.ec2.image";
const VPC: &str = "aws.ec2.vpc";
const NACL: &str = "aws.ec2.network_acl";
const REGION: &str = "aws.region";

/// The regions enabled for the account (`DescribeRegions`); failure is fatal because
/// nothing regional could be scanned.
pub(crate) async fn enabled_regions(clients: &Clients) -> Result<Vec<String>, CollectError> {
    let out = clients
        .client::<aws_sdk_ec2::Client>(&clients.home_region)
        .describe_regions()
        .send()
        .await
        .map_err(|e| {
            CollectError::fatal(
                format!(
                    "cannot list the account's regions: DescribeRegions failed ({}: {})",
                    errors::code(&e),
                    errors::message(&e)
                ),
                "grant ec2:DescribeRegions, or name the regions to scan with --region",
            )
        })?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    Ok(regions)
}

fn arn(ctx: &Ctx, region: &str, what: &str) -> String {
    format!("arn:{}:ec2:{region}:{}:{what}", ctx.partition, ctx.account)
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    super::tag_map(list.iter().map(|t| (t.key(), t.value())))
}

/// Protocol names as the checks read them.
fn protocol(p: &str) -> String {
    match p {
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        other => other,
    }
    .to_string()
}

fn rule(p: &IpPermission) -> Value {
    let proto = protocol(p.ip_protocol().unwrap_or("-1"));
    let mut m = Map::new();
    m.insert("protocol".into(), json!(proto));
    if proto != "-1" {
        if let Some(v) = p.from_port() {
            m.insert("from_port".into(), json!(v));
        }
        if let Some(v) = p.to_port() {
            m.insert("to_port".into(), json!(v));
        }
    }
    let v4: Vec<&str> = p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect();
    let v6: Vec<&str> = p
        .ipv6_ranges()
        .iter()
        .filter_map(|r| r.cidr_ipv6())
        .collect();
    let groups: Vec<&str> = p
        .user_id_group_pairs()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    let lists: Vec<&str> = p
        .prefix_list_ids()
        .iter()
        .filter_map(|g| g.prefix_list_id())
        .collect();
    m.insert("ipv4_ranges".into(), json!(v4));
    m.insert("ipv6_ranges".into(), json!(v6));
    m.insert("source_groups".into(), json!(groups));
    m.insert("prefix_lists".into(), json!(lists));
    Value::Object(m)
}

/// Collects one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("ec2 {region}"));
    let c = ctx.clients.client::<aws_sdk_ec2::Client>(region);
    let op = |operation: &'static str, kinds: &'static [&'static str]| Op {
        service: "ec2",
        region: Some(region),
        operation,
        kinds,
    };

    let (groups, interfaces, instances) = futures::join!(
        async {
            super::errors::all_pages(
                ctx,
                &op("DescribeSecurityGroups", &[SG, INSTANCE]),
                None,
                &pb,
                c.describe_security_groups().into_paginator().send(),
                |p| p.security_groups.unwrap_or_default(),
            )
            .await
        },
        async {
            let mut used = HashSet::new();
            let complete = super::errors::each_page(
                ctx,
                &op("DescribeNetworkInterfaces", &[SG]),
                None,
                &pb,
                c.describe_network_interfaces().into_paginator().send(),
                |p| {
                    for ni in p.network_interfaces() {
                        for g in ni.groups() {
                            if let Some(id) = g.group_id() {
                                used.insert(id.to_string());
                            }
                        }
                    }
                },
            )
            .await;
            complete.then_some(used)
        },
        async {
            let mut out = Vec::new();
            let complete = super::errors::each_page(
                ctx,
                &op("DescribeInstances", &[INSTANCE]),
                None,
                &pb,
                c.describe_instances().into_paginator().send(),
                |p| {
                    for r in p.reservations.unwrap_or_default() {
                        out.extend(r.instances.unwrap_or_default());
                    }
                },
            )
            .await;
            complete.then_some(out)
        },
    );

    // Security groups, and their internet-open rules for the instances.
    let mut open_by_group: HashMap<String, Vec<Value>> = HashMap::new();
    for g in groups.iter().flatten() {
        let (Some(id), Some(name)) = (g.group_id(), g.group_name()) else {
            op("DescribeSecurityGroups", &[SG]).missing_id(ctx, "GroupId or GroupName");
            continue;
        };
        let (id, name) = (id.to_string(), name.to_string());
        let ingress: Vec<Value> = g.ip_permissions().iter().map(rule).collect();
        let egress: Vec<Value> = g.ip_permissions_egress().iter().map(rule).collect();
        let open = crate::collect::aws_shapes::open_ingress(&id, &ingress);
        if !open.is_empty() {
            open_by_group.entry(id.clone()).or_default().extend(open);
        }
        let mut data = Map::new();
        data.insert("group_id".into(), json!(id));
        if let Some(v) = g.vpc_id() {
            data.insert("vpc_id".into(), json!(v));
        }
        if let Some(d) = g.description() {
            data.insert("description".into(), json!(d));
        }
        data.insert("is_default".into(), json!(name == "default"));
        if let Some(used) = &interfaces {
            data.insert("attached".into(), json!(used.contains(&id)));
        }
        data.insert("ingress".into(), Value::Array(ingress));
        data.insert("egress".into(), Value::Array(egress));
        ctx.push(
            ctx.resource(
                SG,
                arn(ctx, region, &format!("security-group/{id}")),
                &Value::Object(data),
            )
            .named(name)
            .in_region(region)
            .with_tags(tags(g.tags())),
        );
    }

    for i in instances.iter().flatten() {
        let Some(id) = i.instance_id().map(str::to_string) else {
            op("DescribeInstances", &[INSTANCE]).missing_id(ctx, "InstanceId");
            continue;
        };
        let t = tags(i.tags());
        let mut data = Map::new();
        data.insert("instance_id".into(), json!(id));
        if let Some(s) = i.state().and_then(|s| s.name()) {
            data.insert("state".into(), json!(s.as_str()));
        }
        if let Some(v) = i.instance_type() {
            data.insert("instance_type".into(), json!(v.as_str()));
        }
        let strings = [
            ("image_id", i.image_id()),
            ("vpc_id", i.vpc_id()),
            ("subnet_id", i.subnet_id()),
            ("public_ip", i.public_ip_address()),
            ("private_ip", i.private_ip_address()),
            (
                "instance_profile_arn",
                i.iam_instance_profile().and_then(|p| p.arn()),
            ),
        ];
        put_present(&mut data, strings);
        if let Some(t) = i.launch_time().and_then(ts) {
            data.insert("launch_time".into(), json!(t));
        }
        if let Some(m) = i.metadata_options() {
            if let Some(v) = m.http_tokens() {
                data.insert("imds_http_tokens".into(), json!(v.as_str()));
            }
            if let Some(v) = m.http_endpoint() {
                data.insert("imds_http_endpoint".into(), json!(v.as_str()));
            }
            if let Some(v) = m.http_put_response_hop_limit() {
                data.insert("imds_hop_limit".into(), json!(v));
            }
        }
        let sg_ids: Vec<&str> = i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect();
        if groups.is_some() {
            let open: Vec<Value> = sg_ids
                .iter()
                .flat_map(|g| open_by_group.get(*g).cloned().unwrap_or_default())
                .collect();
            data.insert("open_ingress".into(), Value::Array(open));
        }
        data.insert("security_group_ids".into(), json!(sg_ids));
        let name = t.get("Name").cloned().unwrap_or_else(|| id.clone());
        ctx.push(
            ctx.resource(
                INSTANCE,
                arn(ctx, region, &format!("instance/{id}")),
                &Value::Object(data),
            )
            .named(name)
            .in_region(region)
            .with_tags(t),
        );
    }

    futures::join!(
        volumes(ctx, &c, region, &pb),
        snapshots(ctx, &c, region, &pb),
        images(ctx, &c, region, &pb),
        vpcs(ctx, &c, region, &pb),
        nacls(ctx, &c, region, &pb),
        ebs_default(ctx, &c, region, &pb),
    );
    pb.finish_and_clear();
}

async fn volumes(ctx: &Ctx, c: &aws_sdk_ec2::Client, region: &str, pb: &indicatif::ProgressBar) {
    let op = Op {
        service: "ec2",
        region: Some(region),
        operation: "DescribeVolumes",
        kinds: &[VOLUME],
    };
    let mut pages = c.describe_volumes().into_paginator().send();
    while let Some(p) = pages.next().await {
        pb.inc(1);
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                op.fail(ctx, &e, None);
                return;
            }
        };
        for v in p.volumes() {
            let Some(id) = v.volume_id().map(str::to_string) else {
                op.missing_id(ctx, "VolumeId");
                continue;
            };
            let t = tags(v.tags());
            let mut data = Map::new();
            data.insert("volume_id".into(), json!(id));
            if let Some(v) = v.encrypted() {
                data.insert("encrypted".into(), json!(v));
            }
            if let Some(k) = v.kms_key_id() {
                data.insert("kms_key_id".into(), json!(k));
            }
            if let Some(s) = v.state() {
                data.insert("state".into(), json!(s.as_str()));
            }
            if let Some(s) = v.size() {
                data.insert("size_gib".into(), json!(s));
            }
            if let Some(s) = v.volume_type() {
                data.insert("volume_type".into(), json!(s.as_str()));
            }
            if let Some(t) = v.create_time().and_then(ts) {
                data.insert("created".into(), json!(t));
            }
            let att: Vec<&str> = v
                .attachments()
                .iter()
                .filter_map(|a| a.instance_id())
                .collect();
            data.insert("attached_instance_ids".into(), json!(att));
            let name = t.get("Name").cloned().unwrap_or_else(|| id.clone());
            ctx.push(
                ctx.resource(
                    VOLUME,
                    arn(ctx, region, &format!("volume/{id}")),
                    &Value::Object(data),
                )
                .named(name)
                .in_region(region)
                .with_tags(t),
            );
        }
    }
}

async fn snapshots(ctx: &Ctx, c: &aws_sdk_ec2::Client, region: &str, pb: &indicatif::ProgressBar) {
    let op = |operation: &'static str| Op {
        service: "ec2",
        region: Some(region),
        operation,
        kinds: &[SNAPSHOT],
    };
    let mut all = Vec::new();
    let pages = c
        .describe_snapshots()
        .owner_ids("self")
        .into_paginator()
        .send();
    let listing = op("DescribeSnapshots");
    if !super::errors::each_page(ctx, &listing, None, pb, pages, |p| {
        all.extend(p.snapshots.unwrap_or_default());
    })
    .await
    {
        return;
    }
    super::each_item(all, |s| async move {
        let Some(id) = s.snapshot_id().map(str::to_string) else {
            op("DescribeSnapshots").missing_id(ctx, "SnapshotId");
            return;
        };
        let rid = arn(ctx, region, &format!("snapshot/{id}"));
        let t = tags(s.tags());
        let mut data = Map::new();
        data.insert("snapshot_id".into(), json!(id));
        if let Some(v) = s.volume_id() {
            data.insert("volume_id".into(), json!(v));
        }
        if let Some(v) = s.encrypted() {
            data.insert("encrypted".into(), json!(v));
        }
        if let Some(t) = s.start_time().and_then(ts) {
            data.insert("started".into(), json!(t));
        }
        pb.inc(1);
        match c
            .describe_snapshot_attribute()
            .snapshot_id(&id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
        {
            Ok(a) => {
                let perms = a.create_volume_permissions();
                let public = perms
                    .iter()
                    .any(|p| p.group().is_some_and(|g| g.as_str() == "all"));
                let users: Vec<&str> = perms.iter().filter_map(|p| p.user_id()).collect();
                data.insert("public".into(), json!(public));
                data.insert("shared_with_accounts".into(), json!(users));
            }
            Err(e) => op("DescribeSnapshotAttribute").fail(ctx, &e, Some(&rid)),
        }
        let name = t.get("Name").cloned().unwrap_or_else(|| id.clone());
        ctx.push(
            ctx.resource(SNAPSHOT, rid, &Value::Object(data))
                .named(name)
                .in_region(region)
                .with_tags(t),
        );
    })
    .await;
}

async fn images(ctx: &Ctx, c: &aws_sdk_ec2::Client, region: &str, pb: &indicatif::ProgressBar) {
    let op = |operation: &'static str| Op {
        service: "ec2",
        region: Some(region),
        operation,
        kinds: &[IMAGE],
    };
    pb.inc(1);
    let all = match c.describe_images().owners("self").send().await {
        Ok(o) => o.images.unwrap_or_default(),
        Err(e) => {
            op("DescribeImages").fail(ctx, &e, None);
            return;
        }
    };
    super::each_item(all, |i| async move {
        let Some(id) = i.image_id().map(str::to_string) else {
            op("DescribeImages").missing_id(ctx, "ImageId");
            return;
        };
        let rid = arn(ctx, region, &format!("image/{id}"));
        let t = tags(i.tags());
        let mut data = Map::new();
        data.insert("image_id".into(), json!(id));
        if let Some(v) = i.public() {
            data.insert("public".into(), json!(v));
        }
        if let Some(s) = i.state() {
            data.insert("state".into(), json!(s.as_str()));
        }
        if let Some(s) = i.creation_date()
            && let Ok(d) = chrono::DateTime::parse_from_rfc3339(s)
        {
            let d = d.with_timezone(&chrono::Utc);
            data.insert(
                "created".into(),
                json!(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            );
        }
        pb.inc(1);
        match c
            .describe_image_attribute()
            .image_id(&id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
        {
            Ok(a) => {
                let users: Vec<&str> = a
                    .launch_permissions()
                    .iter()
                    .filter_map(|p| p.user_id())
                    .collect();
                data.insert("shared_with_accounts".into(), json!(users));
            }
            Err(e) => op("DescribeImageAttribute").fail(ctx, &e, Some(&rid)),
        }
        let name = i.name().map(str::to_string).unwrap_or_else(|| id.clone());
        ctx.push(
            ctx.resource(IMAGE, rid, &Value::Object(data))
                .named(name)
                .in_region(region)
                .with_tags(t),
        );
    })
    .await;
}

async fn vpcs(ctx: &Ctx, c: &aws_sdk_ec2::Client, region: &str, pb: &indicatif::ProgressBar) {
    let op = |operation: &'static str| Op {
        service: "ec2",
        region: Some(region),
        operation,
        kinds: &[VPC],
    };
    let vpcs = async {
        super::errors::all_pages(
            ctx,
            &op("DescribeVpcs"),
            None,
            pb,
            c.describe_vpcs().into_paginator().send(),
            |p| p.vpcs.unwrap_or_default(),
        )
        .await
    };
    let logs = async {
        let mut out: HashMap<String, Vec<Value>> = HashMap::new();
        let complete = super::errors::each_page(
            ctx,
            &op("DescribeFlowLogs"),
            None,
            pb,
            c.describe_flow_logs().into_paginator().send(),
            |p| {
                for f in p.flow_logs() {
                    let Some(rid) = f.resource_id().filter(|r| r.starts_with("vpc-")) else {
                        continue;
                    };
                    let mut m = Map::new();
                    if let Some(v) = f.flow_log_id() {
                        m.insert("id".into(), json!(v));
                    }
                    if let Some(v) = f.flow_log_status() {
                        m.insert("status".into(), json!(v));
                    }
                    if let Some(v) = f.traffic_type() {
                        m.insert("traffic_type".into(), json!(v.as_str()));
                    }
                    if let Some(v) = f.log_destination_type() {
                        m.insert("destination_type".into(), json!(v.as_str()));
                    }
                    out.entry(rid.to_string())
                        .or_default()
                        .push(Value::Object(m));
                }
            },
        )
        .await;
        complete.then_some(out)
    };
    let (vpcs, logs) = futures::join!(vpcs, logs);
    for v in vpcs.into_iter().flatten() {
        let Some(id) = v.vpc_id().map(str::to_string) else {
            op("DescribeVpcs").missing_id(ctx, "VpcId");
            continue;
        };
        let t = tags(v.tags());
        let mut data = Map::new();
        data.insert("vpc_id".into(), json!(id));
        if let Some(c) = v.cidr_block() {
            data.insert("cidr_block".into(), json!(c));
        }
        if let Some(v) = v.is_default() {
            data.insert("is_default".into(), json!(v));
        }
        if let Some(l) = &logs {
            data.insert(
                "flow_logs".into(),
                json!(l.get(&id).cloned().unwrap_or_default()),
            );
        }
        let name = t.get("Name").cloned().unwrap_or_else(|| id.clone());
        ctx.push(
            ctx.resource(
                VPC,
                arn(ctx, region, &format!("vpc/{id}")),
                &Value::Object(data),
            )
            .named(name)
            .in_region(region)
            .with_tags(t),
        );
    }
}

async fn nacls(ctx: &Ctx, c: &aws_sdk_ec2::Client, region: &str, pb: &indicatif::ProgressBar) {
    let op = Op {
        service: "ec2",
        region: Some(region),
        operation: "DescribeNetworkAcls",
        kinds: &[NACL],
    };
    let mut pages = c.describe_network_acls().into_paginator().send();
    while let Some(p) = pages.next().await {
        pb.inc(1);
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                op.fail(ctx, &e, None);
                return;
            }
        };
        for n in p.network_acls() {
            let Some(id) = n.network_acl_id().map(str::to_string) else {
                op.missing_id(ctx, "NetworkAclId");
                continue;
            };
            let t = tags(n.tags());
            let entries: Vec<Value> = n
                .entries()
                .iter()
                .map(|e| {
                    let proto = protocol(e.protocol().unwrap_or("-1"));
                    let mut m = Map::new();
                    m.insert("rule_number".into(), json!(e.rule_number().unwrap_or(0)));
                    if let Some(v) = e.egress() {
                        m.insert("egress".into(), json!(v));
                    }
                    if let Some(a) = e.rule_action() {
                        m.insert("rule_action".into(), json!(a.as_str()));
                    }
                    if let Some(c) = e.cidr_block() {
                        m.insert("cidr_block".into(), json!(c));
                    }
                    if let Some(c) = e.ipv6_cidr_block() {
                        m.insert("ipv6_cidr_block".into(), json!(c));
                    }
                    if (proto == "tcp" || proto == "udp")
                        && let Some(r) = e.port_range()
                    {
                        if let Some(f) = r.from() {
                            m.insert("from_port".into(), json!(f));
                        }
                        if let Some(t) = r.to() {
                            m.insert("to_port".into(), json!(t));
                        }
                    }
                    m.insert("protocol".into(), json!(proto));
                    Value::Object(m)
                })
                .collect();
            let subnets: Vec<&str> = n
                .associations()
                .iter()
                .filter_map(|a| a.subnet_id())
                .collect();
            let mut data = Map::new();
            data.insert("network_acl_id".into(), json!(id));
            if let Some(v) = n.vpc_id() {
                data.insert("vpc_id".into(), json!(v));
            }
            if let Some(v) = n.is_default() {
                data.insert("is_default".into(), json!(v));
            }
            data.insert("subnet_ids".into(), json!(subnets));
            data.insert("entries".into(), Value::Array(entries));
            let name = t.get("Name").cloned().unwrap_or_else(|| id.clone());
            ctx.push(
                ctx.resource(
                    NACL,
                    arn(ctx, region, &format!("network-acl/{id}")),
                    &Value::Object(data),
                )
                .named(name)
                .in_region(region)
                .with_tags(t),
            );
        }
    }
}

async fn ebs_default(
    ctx: &Ctx,
    c: &aws_sdk_ec2::Client,
    region: &str,
    pb: &indicatif::ProgressBar,
) {
    pb.inc(1);
    match c.get_ebs_encryption_by_default().send().await {
        // A reply without the flag leaves it absent (the check then reports `error`).
        Ok(o) => {
            if let Some(v) = o.ebs_encryption_by_default() {
                ctx.facts(|f| f.set_region(region, "ebs_encryption_by_default", json!(v)));
            }
        }
        Err(e) => {
            let op = Op {
                service: "ec2",
                region: Some(region),
                operation: "GetEbsEncryptionByDefault",
                kinds: &[REGION],
            };
            op.fail(ctx, &e, Some(region));
        }
    }
}
