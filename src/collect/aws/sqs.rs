//! SQS, per region: queues with their access policy and server-side encryption.

use aws_sdk_sqs::types::QueueAttributeName as Attr;
use serde_json::{Map, Value, json};

use super::errors::{Op, each_page};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("sqs", aws_sdk_sqs);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const QUEUE: &str = "aws.sqs.queue";

/// Collects the queues of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("sqs {region}"));
    let c = ctx.clients.client::<aws_sdk_sqs::Client>(region);
    let op = |operation: &'static str| Op {
        service: "sqs",
        region: Some(region),
        operation,
        kinds: &[QUEUE],
    };
    let mut urls = Vec::new();
    let pages = c.list_queues().into_paginator().send();
    if !each_page(ctx, &op("ListQueues"), None, &pb, pages, |p| {
        urls.extend(p.queue_urls.unwrap_or_default());
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    super::each_item(urls, |url| {
        let c = &c;
        let pb = &pb;
        async move {
            pb.inc(1);
            let name = url.rsplit('/').next().unwrap_or(&url).to_string();
            let attrs = match c
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(Attr::All)
                .send()
                .await
            {
                Ok(o) => Some(o.attributes.unwrap_or_default()),
                Err(e) => {
                    op("GetQueueAttributes").fail(ctx, &e, Some(&url));
                    None
                }
            };
            let arn = attrs
                .as_ref()
                .and_then(|a| a.get(&Attr::QueueArn).cloned())
                .unwrap_or_else(|| {
                    format!("arn:{}:sqs:{region}:{}:{name}", ctx.partition, ctx.account)
                });
            let mut data = Map::new();
            data.insert("arn".into(), json!(arn));
            data.insert("name".into(), json!(name));
            data.insert("url".into(), json!(url));
            if let Some(a) = attrs {
                // KmsMasterKeyId is returned only when SSE-KMS is configured, Policy
                // only when the queue has one (SQS API reference, GetQueueAttributes):
                // both stay absent otherwise, with that meaning.
                if let Some(k) = a.get(&Attr::KmsMasterKeyId).filter(|k| !k.is_empty()) {
                    data.insert("kms_master_key_id".into(), json!(k));
                }
                if let Some(v) = a.get(&Attr::SqsManagedSseEnabled) {
                    data.insert("sqs_managed_sse_enabled".into(), json!(v == "true"));
                }
                if let Some(p) = a.get(&Attr::Policy).and_then(|p| policy::parse(p)) {
                    data.insert("policy".into(), p);
                }
            }
            ctx.push(
                ctx.resource(QUEUE, arn, &Value::Object(data))
                    .named(name)
                    .in_region(region),
            );
        }
    })
    .await;
    pb.finish_and_clear();
}
