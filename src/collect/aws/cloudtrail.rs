//! CloudTrail, per region: the trails whose home region it is (shadow copies of
//! multi-region trails are skipped), their status and event selectors.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, ReadWriteType};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, put_present, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit};

const TRAIL: &str = "aws.cloudtrail.trail";

use crate::collect::aws_shapes::ReadWrite as Rw;

super::clients::sdk_client!("cloudtrail", aws_sdk_cloudtrail);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// (management events, S3 data events on every bucket) from classic selectors.
fn classic(selectors: &[EventSelector]) -> (Rw, Rw) {
    let mut mgmt = Rw::default();
    let mut s3 = Rw::default();
    for s in selectors {
        // IncludeManagementEvents defaults to true when omitted (CloudTrail API reference,
        // EventSelector: "By default, the value is true").
        if s.include_management_events().unwrap_or(true) {
            mgmt.add(s.read_write_type().map(ReadWriteType::as_str));
        }
        let all_buckets = s.data_resources().iter().any(|d| {
            d.r#type() == Some("AWS::S3::Object")
                && d.values().iter().any(|v| {
                    let v = v.trim_end_matches('/');
                    v == "arn:aws:s3" || v.ends_with(":s3:::") || v.ends_with(":s3")
                })
        });
        if all_buckets {
            s3.add(s.read_write_type().map(ReadWriteType::as_str));
        }
    }
    (mgmt, s3)
}

/// The same from advanced selectors.
fn advanced(selectors: &[AdvancedEventSelector]) -> (Rw, Rw) {
    let mut mgmt = Rw::default();
    let mut s3 = Rw::default();
    for s in selectors {
        let fields = s.field_selectors();
        let equals = |name: &str, value: &str| {
            fields
                .iter()
                .any(|f| f.field() == name && f.equals().iter().any(|v| v == value))
        };
        let read_only = fields
            .iter()
            .find(|f| f.field() == "readOnly")
            .and_then(|f| f.equals().first())
            .map(|v| v == "true");
        if equals("eventCategory", "Management") {
            mgmt.add_read_only(read_only);
        }
        let restricted = fields.iter().any(|f| f.field() == "resources.ARN");
        if equals("eventCategory", "Data")
            && equals("resources.type", "AWS::S3::Object")
            && !restricted
        {
            s3.add_read_only(read_only);
        }
    }
    (mgmt, s3)
}

/// Collects the trails of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("cloudtrail {region}"));
    let c = ctx.clients.client::<aws_sdk_cloudtrail::Client>(region);
    let op = |operation: &'static str| Op {
        service: "cloudtrail",
        region: Some(region),
        operation,
        kinds: &[TRAIL],
    };
    pb.inc(1);
    let trails = match c
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
    {
        // An omitted TrailList is an empty result (no trail in the region).
        Ok(o) => o.trail_list.unwrap_or_default(),
        Err(e) => {
            op("DescribeTrails").fail(ctx, &e, None);
            ctx.facts(|f| f.trails_failed = true);
            pb.finish_and_clear();
            return;
        }
    };
    let trails: Vec<_> = trails
        .into_iter()
        .filter(|t| t.home_region().is_none_or(|h| h == region))
        .collect();
    // A trail without an ARN cannot be read further or named in a finding: it is
    // recorded rather than given a made-up id.
    let mut named = Vec::with_capacity(trails.len());
    for t in trails {
        match t.trail_arn() {
            Some(arn) => named.push((arn.to_string(), t)),
            None => op("DescribeTrails").missing_id(ctx, "TrailARN"),
        }
    }
    let out: Vec<Value> = futures::stream::iter(named)
        .map(|(arn, t)| {
            let c = &c;
            let pb = &pb;
            async move {
                let name = t.name().map(str::to_string);
                let mut data = Map::new();
                data.insert("arn".into(), json!(arn));
                if let Some(n) = &name {
                    data.insert("name".into(), json!(n));
                }
                // Without shadow trails, DescribeTrails lists only trails whose home is
                // the region asked, so an omitted HomeRegion is that region.
                data.insert(
                    "home_region".into(),
                    json!(t.home_region().unwrap_or(region)),
                );
                // Flags the reply omits stay absent: their checks report `error`, never
                // a pass made from a guessed `false`.
                let flags = [
                    ("multi_region", t.is_multi_region_trail()),
                    ("organization_trail", t.is_organization_trail()),
                    ("log_file_validation", t.log_file_validation_enabled()),
                    (
                        "include_global_service_events",
                        t.include_global_service_events(),
                    ),
                ];
                put_present(&mut data, flags);
                let strings = [
                    ("kms_key_id", t.kms_key_id()),
                    ("s3_bucket_name", t.s3_bucket_name()),
                    (
                        "cloudwatch_logs_log_group_arn",
                        t.cloud_watch_logs_log_group_arn(),
                    ),
                ];
                put_present(&mut data, strings);
                pb.inc(2);
                let (status, selectors) = futures::join!(
                    c.get_trail_status().name(&arn).send(),
                    c.get_event_selectors().trail_name(&arn).send(),
                );
                match status {
                    Ok(s) => {
                        if let Some(v) = s.is_logging() {
                            data.insert("is_logging".into(), json!(v));
                        }
                        if let Some(t) = s.latest_delivery_time().and_then(ts) {
                            data.insert("latest_delivery".into(), json!(t));
                        }
                    }
                    Err(e) => op("GetTrailStatus").fail(ctx, &e, Some(&arn)),
                }
                match selectors {
                    Ok(s) => {
                        let (m1, s1) = classic(s.event_selectors());
                        let (m2, s2) = advanced(s.advanced_event_selectors());
                        let mgmt = Rw {
                            read: m1.read || m2.read,
                            write: m1.write || m2.write,
                        };
                        let s3 = Rw {
                            read: s1.read || s2.read,
                            write: s1.write || s2.write,
                        };
                        data.insert("management_events".into(), json!(mgmt.label()));
                        data.insert("s3_object_read_events_all_buckets".into(), json!(s3.read));
                        data.insert("s3_object_write_events_all_buckets".into(), json!(s3.write));
                    }
                    Err(e) => op("GetEventSelectors").fail(ctx, &e, Some(&arn)),
                }
                let v = Value::Object(data);
                let mut r = ctx.resource(TRAIL, arn, &v).in_region(region);
                if let Some(n) = name {
                    r = r.named(n);
                }
                ctx.push(r);
                v
            }
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    ctx.facts(|f| f.trails.extend(out));
    pb.finish_and_clear();
}
