//! Project-wide settings read from small APIs and denormalized onto `gcp.project`:
//! Cloud Monitoring alert policies, Service Usage enabled services, Essential Contacts and
//! Access Approval. A failed call omits just its fields (the checks reading them report
//! `error`) and records a collection error naming the project.

use serde_json::{Map, Value, json};

use super::client::Api;
use super::{Collected, Ctx, s, s_or, short, strings};

/// The project facts `alert_policies`, `enabled_services`, `essential_contacts` and
/// `access_approval_enabled`.
pub(crate) async fn collect(ctx: &Ctx) -> (Collected, Map<String, Value>) {
    let mut out = Collected::default();
    let mut facts = Map::new();
    let p = &ctx.project;
    let (alerts_path, services_path) = (
        format!("/v3/projects/{p}/alertPolicies"),
        format!("/v1/projects/{p}/services"),
    );
    let (contacts_path, approval_path) = (
        format!("/v1/projects/{p}/contacts"),
        format!("/v1/projects/{p}/accessApprovalSettings"),
    );
    let c = &ctx.client;
    let (alerts, services, contacts, approval) = futures::join!(
        c.list(Api::Monitoring, &alerts_path, &[], "alertPolicies"),
        c.list(
            Api::ServiceUsage,
            &services_path,
            &[("filter", "state:ENABLED"), ("pageSize", "200")],
            "services"
        ),
        c.list(Api::EssentialContacts, &contacts_path, &[], "contacts"),
        c.get(Api::AccessApproval, &approval_path, &[]),
    );
    match alerts {
        Ok(list) => {
            facts.insert(
                "alert_policies".into(),
                Value::Array(list.iter().map(alert_policy).collect()),
            );
        }
        Err(e) => out.fail_partial(
            ctx,
            "monitoring",
            "monitoring.projects.alertPolicies.list",
            &e,
        ),
    }
    match services {
        Ok(list) => {
            let names: Vec<Value> = list
                .iter()
                .filter_map(|svc| {
                    svc.get("config")
                        .and_then(|c| s(c, "name"))
                        .map(str::to_string)
                        .or_else(|| s(svc, "name").map(short))
                })
                .map(Value::String)
                .collect();
            facts.insert("enabled_services".into(), Value::Array(names));
        }
        Err(e) => out.fail_partial(ctx, "serviceusage", "serviceusage.services.list", &e),
    }
    match contacts {
        Ok(list) => {
            let contacts: Vec<Value> = list
                .iter()
                .map(|c| {
                    json!({
                        "email": s_or(c, "email"),
                        "notification_categories": strings(c, "notificationCategorySubscriptions"),
                    })
                })
                .collect();
            facts.insert("essential_contacts".into(), Value::Array(contacts));
        }
        Err(e) => out.fail_partial(
            ctx,
            "essentialcontacts",
            "essentialcontacts.projects.contacts.list",
            &e,
        ),
    }
    match approval {
        Ok(settings) => {
            let enrolled = settings
                .get("enrolledServices")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            facts.insert("access_approval_enabled".into(), json!(enrolled));
        }
        // Never configured: the API answers NOT_FOUND.
        Err(e) if e.status == 404 => {
            facts.insert("access_approval_enabled".into(), json!(false));
        }
        Err(e) => out.fail_partial(
            ctx,
            "accessapproval",
            "accessapproval.projects.getAccessApprovalSettings",
            &e,
        ),
    }
    (out, facts)
}

fn alert_policy(p: &Value) -> Value {
    let filters: Vec<Value> = p
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            [
                ("conditionThreshold", "filter"),
                ("conditionAbsent", "filter"),
                ("conditionMatchedLog", "filter"),
                ("conditionMonitoringQueryLanguage", "query"),
                ("conditionPrometheusQueryLanguage", "query"),
            ]
            .iter()
            .find_map(|(cond, field)| c.get(*cond).and_then(|x| s(x, field)))
            .map(|f| json!(f))
        })
        .collect();
    json!({
        "display_name": s_or(p, "displayName"),
        // `enabled` defaults to true when omitted.
        "enabled": p.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        "condition_filters": filters,
        "notification_channels": strings(p, "notificationChannels"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_filters_from_every_condition_type() {
        let p = json!({"displayName": "x", "conditions": [
            {"conditionThreshold": {"filter": "metric.type=\"a\""}},
            {"conditionMatchedLog": {"filter": "protoPayload.methodName=\"b\""}}]});
        let a = alert_policy(&p);
        assert_eq!(a["condition_filters"].as_array().map(Vec::len), Some(2));
        assert_eq!(a["enabled"], true);
    }
}
