//! Resource Manager v3: the project itself, its IAM policy, and the projects below an
//! organization or folder.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::client::{Api, ApiError, GcpClient};
use super::{Ctx, iam_bindings, labels, resource, s, s_or, strings};
use crate::inventory::{Provider, Resource, Scope};

/// The project kind.
pub const KIND: &str = "gcp.project";

/// The resource id of a project.
pub(crate) fn project_id(project: &str) -> String {
    format!("//cloudresourcemanager.googleapis.com/projects/{project}")
}

/// `projects.get`.
pub(crate) async fn get_project(ctx: &Ctx) -> Result<Value, ApiError> {
    ctx.client
        .get(
            Api::ResourceManager,
            &format!("/v3/projects/{}", ctx.project),
            &[],
        )
        .await
}

/// `projects.getIamPolicy`, asking for version 3 so that conditional bindings are returned.
pub(crate) async fn get_iam_policy(ctx: &Ctx) -> Result<Value, ApiError> {
    ctx.client
        .post(
            Api::ResourceManager,
            &format!("/v3/projects/{}:getIamPolicy", ctx.project),
            &json!({"options": {"requestedPolicyVersion": 3}}),
        )
        .await
}

/// Every active project below `parent` (`organizations/ID` or `folders/ID`), walking
/// sub-folders: `(project id, display name)`, in a stable order.
pub async fn enumerate_projects(
    client: &GcpClient,
    parent: &str,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut found: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut pending = vec![parent.to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(p) = pending.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        let projects = client
            .list(
                Api::ResourceManager,
                "/v3/projects",
                &[("parent", &p)],
                "projects",
            )
            .await?;
        for proj in projects {
            let active = s(&proj, "state").is_none_or(|st| st == "ACTIVE");
            if let (true, Some(id)) = (active, s(&proj, "projectId")) {
                found.insert(id.to_string(), s(&proj, "displayName").map(str::to_string));
            }
        }
        let folders = client
            .list(
                Api::ResourceManager,
                "/v3/folders",
                &[("parent", &p)],
                "folders",
            )
            .await?;
        for f in folders {
            let active = s(&f, "state").is_none_or(|st| st == "ACTIVE");
            if let (true, Some(name)) = (active, s(&f, "name")) {
                pending.push(name.to_string());
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The scope and the `gcp.project` resource: project facts, the IAM policy (bindings and
/// audit configs) and the Compute Engine project metadata facts.
pub(crate) fn project_resource(
    ctx: &Ctx,
    info: Option<Value>,
    listed_name: Option<String>,
    policy: Option<&Value>,
    facts: &Map<String, Value>,
) -> (Scope, Resource) {
    let mut data = Map::new();
    let mut attributes = BTreeMap::new();
    let mut display = listed_name;
    let mut tags = BTreeMap::new();
    if let Some(info) = &info {
        if let Some(number) = s(info, "name").and_then(|n| n.strip_prefix("projects/")) {
            data.insert("project_number".into(), json!(number));
            attributes.insert("project_number".to_string(), number.to_string());
        }
        if let Some(parent) = s(info, "parent") {
            data.insert("parent".into(), json!(parent));
            attributes.insert("parent".to_string(), parent.to_string());
        }
        data.insert("state".into(), json!(s_or(info, "state")));
        if let Some(n) = s(info, "displayName") {
            display = Some(n.to_string());
            data.insert("display_name".into(), json!(n));
        }
        tags = labels(info);
    }
    if let Some(policy) = policy {
        data.insert("iam_bindings".into(), iam_bindings(policy));
        data.insert("audit_configs".into(), audit_configs(policy));
    }
    data.extend(facts.clone());
    let scope = Scope {
        provider: Provider::Gcp,
        id: ctx.project.clone(),
        name: display,
        regions: Vec::new(),
        attributes,
    };
    let r = resource(
        ctx,
        KIND,
        format!(
            "//cloudresourcemanager.googleapis.com/projects/{}",
            ctx.project
        ),
        &Value::Object(data),
    )
    .named(ctx.project.clone())
    .with_tags(tags);
    (scope, r)
}

/// `auditConfigs` normalized: `[{service, audit_log_configs: [{log_type, exempted_members[]}]}]`.
fn audit_configs(policy: &Value) -> Value {
    let configs: Vec<Value> = policy
        .get("auditConfigs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| {
                    let logs: Vec<Value> = c
                        .get("auditLogConfigs")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|lc| {
                                    json!({
                                        "log_type": s_or(lc, "logType"),
                                        "exempted_members": strings(lc, "exemptedMembers"),
                                    })
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    json!({"service": s_or(c, "service"), "audit_log_configs": logs})
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(configs)
}
