//! SNS, per region: topics with their access policy, encryption and confirmed
//! subscription count.
//! The counts are also kept as account facts for the alarms that notify a topic (see
//! `account.rs`).

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, each_page};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit, policy};

super::clients::sdk_client!("sns", aws_sdk_sns);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const TOPIC: &str = "aws.sns.topic";

/// Collects the topics of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("sns {region}"));
    let c = ctx.clients.client::<aws_sdk_sns::Client>(region);
    let op = |operation: &'static str| Op {
        service: "sns",
        region: Some(region),
        operation,
        kinds: &[TOPIC, "aws.account"],
    };
    let mut arns = Vec::new();
    let pages = c.list_topics().into_paginator().send();
    let listing = op("ListTopics");
    if !each_page(ctx, &listing, None, &pb, pages, |p| {
        for t in p.topics() {
            match t.topic_arn() {
                Some(a) => arns.push(a.to_string()),
                None => listing.missing_id(ctx, "TopicArn"),
            }
        }
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    let counts: Vec<(String, Option<i64>)> = futures::stream::iter(arns)
        .map(|arn| {
            let c = &c;
            let pb = &pb;
            async move {
                pb.inc(1);
                let name = arn.rsplit(':').next().unwrap_or(&arn).to_string();
                let mut data = Map::new();
                data.insert("arn".into(), json!(arn));
                data.insert("name".into(), json!(name));
                let (attrs, subs) =
                    futures::join!(c.get_topic_attributes().topic_arn(&arn).send(), async {
                        // Confirmed subscriptions: those whose SubscriptionArn is an ARN
                        // (pending ones read `PendingConfirmation`, SNS API reference,
                        // ListSubscriptionsByTopic). GetTopicAttributes'
                        // SubscriptionsConfirmed is eventually consistent and may lag.
                        let mut n: i64 = 0;
                        let pages = c
                            .list_subscriptions_by_topic()
                            .topic_arn(&arn)
                            .into_paginator()
                            .send();
                        let complete = each_page(
                            ctx,
                            &op("ListSubscriptionsByTopic"),
                            Some(&arn),
                            pb,
                            pages,
                            |p| {
                                let confirmed = p.subscriptions().iter().filter(|s| {
                                    s.subscription_arn().is_some_and(|a| a.starts_with("arn:"))
                                });
                                n += i64::try_from(confirmed.count()).unwrap_or(i64::MAX);
                            },
                        )
                        .await;
                        complete.then_some(n)
                    });
                if let Some(n) = subs {
                    data.insert("subscriptions_confirmed".into(), json!(n));
                }
                match attrs {
                    Ok(o) => {
                        let attrs = o.attributes().cloned().unwrap_or_default();
                        // KmsMasterKeyId is returned only when server-side encryption is
                        // enabled (SNS API reference, GetTopicAttributes).
                        if let Some(k) = attrs.get("KmsMasterKeyId").filter(|k| !k.is_empty()) {
                            data.insert("kms_master_key_id".into(), json!(k));
                        }
                        if let Some(o) = attrs.get("Owner") {
                            data.insert("owner".into(), json!(o));
                        }
                        if let Some(p) = attrs.get("Policy").and_then(|p| policy::parse(p)) {
                            data.insert("policy".into(), p);
                        }
                    }
                    Err(e) => op("GetTopicAttributes").fail(ctx, &e, Some(&arn)),
                }
                ctx.push(
                    ctx.resource(TOPIC, arn.clone(), &Value::Object(data))
                        .named(name)
                        .in_region(region),
                );
                (arn, subs)
            }
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    let topics: BTreeMap<String, Option<i64>> = counts.into_iter().collect();
    ctx.facts(|f| f.monitoring(region).topics = Some(topics));
    pb.finish_and_clear();
}
