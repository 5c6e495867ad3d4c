//! Certificate Manager, per region: certificates of every key type with their validity,
//! key, status, use and transparency logging preference.

use serde_json::{Map, Value, json};

use aws_sdk_acm::types::{Filters, KeyAlgorithm};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("acm", aws_sdk_acm);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const CERTIFICATE: &str = "aws.acm.certificate";

/// Collects the certificates of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("acm {region}"));
    let c = ctx.clients.client::<aws_sdk_acm::Client>(region);
    let op = |operation: &'static str| Op {
        service: "acm",
        region: Some(region),
        operation,
        kinds: &[CERTIFICATE],
    };
    // Without a key type filter ListCertificates returns RSA 1024 and 2048 certificates
    // only; name every key type so that none is left out.
    let every_key = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values()
                .iter()
                .map(|v| KeyAlgorithm::from(*v))
                .collect(),
        ))
        .build();
    let mut arns = Vec::new();
    let listing = op("ListCertificates");
    let pages = c
        .list_certificates()
        .includes(every_key)
        .into_paginator()
        .send();
    if !super::errors::each_page(ctx, &listing, None, &pb, pages, |p| {
        for s in p.certificate_summary_list.unwrap_or_default() {
            match s.certificate_arn {
                Some(a) => arns.push(a),
                None => op("ListCertificates").missing_id(ctx, "CertificateArn"),
            }
        }
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    let c = &c;
    let pb = &pb;
    super::each_item(arns, |arn| async move {
        pb.inc(1);
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        let mut name = arn.clone();
        match c.describe_certificate().certificate_arn(&arn).send().await {
            Ok(o) => {
                if let Some(d) = o.certificate() {
                    if let Some(v) = d.domain_name() {
                        name = v.to_string();
                    }
                    detail(&mut data, d);
                }
            }
            Err(e) => op("DescribeCertificate").fail(ctx, &e, Some(&arn)),
        }
        ctx.push(
            ctx.resource(CERTIFICATE, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}

/// The fields DescribeCertificate gives.
fn detail(data: &mut Map<String, Value>, d: &aws_sdk_acm::types::CertificateDetail) {
    if let Some(v) = d.domain_name() {
        data.insert("domain_name".into(), json!(v));
    }
    data.insert(
        "subject_alternative_names".into(),
        json!(d.subject_alternative_names()),
    );
    if let Some(v) = d.r#type() {
        data.insert("type".into(), json!(v.as_str()));
    }
    if let Some(v) = d.status() {
        data.insert("status".into(), json!(v.as_str()));
    }
    if let Some(v) = d.key_algorithm() {
        data.insert("key_algorithm".into(), json!(v.as_str()));
    }
    if let Some(v) = d.signature_algorithm() {
        data.insert("signature_algorithm".into(), json!(v));
    }
    if let Some(v) = d.issuer() {
        data.insert("issuer".into(), json!(v));
    }
    if let Some(t) = d.not_before().and_then(ts) {
        data.insert("not_before".into(), json!(t));
    }
    if let Some(t) = d.not_after().and_then(ts) {
        data.insert("not_after".into(), json!(t));
    }
    data.insert("in_use_by".into(), json!(d.in_use_by()));
    if let Some(v) = d.renewal_eligibility() {
        data.insert("renewal_eligibility".into(), json!(v.as_str()));
    }
    // ACM no longer lets new certificates opt out of certificate transparency logging
    // (hence the SDK's deprecation), but certificates issued with the opt-out keep it
    // until they are renewed, so the preference is still worth reading.
    #[allow(deprecated)]
    let preference = d
        .options()
        .and_then(|o| o.certificate_transparency_logging_preference());
    if let Some(v) = preference {
        data.insert("transparency_logging".into(), json!(v.as_str()));
    }
}
