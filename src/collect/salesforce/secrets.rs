//! Secrets kept where they should not be: fields of custom settings and custom metadata
//! types whose names look like credentials. Only whether a value exists is read; values
//! never leave the org.

use futures::StreamExt;
use serde_json::Value;

use super::client::Api;
use super::kinds::CUSTOM_SETTING_SECRET;
use super::{Ctx, Data, soql_escape, str_field};
use crate::collect::CollectError;

/// Name fragments (lowercase) that mark a field as a credential.
const SECRET_WORDS: [&str; 7] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "private_key",
];

/// Whether a field API name looks like it holds a credential.
pub fn looks_secret(field: &str) -> bool {
    let lower = field.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

/// The objects whose fields are searched: custom settings, custom metadata types.
const OBJECT_LISTS: [(&str, &str); 2] = [
    (
        "SELECT DurableId, QualifiedApiName, NamespacePrefix FROM EntityDefinition WHERE IsCustomSetting = true",
        "CustomSetting",
    ),
    (
        "SELECT DurableId, QualifiedApiName, NamespacePrefix FROM EntityDefinition WHERE QualifiedApiName LIKE '%__mdt'",
        "CustomMetadata",
    ),
];

/// Collects secret-looking fields of custom settings and custom metadata types, up to
/// [`Ctx::width`] objects at a time.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<(), CollectError> {
    let kinds = [CUSTOM_SETTING_SECRET];
    let client = ctx.client;
    // Both lists at once; the first that fails, in order, stops the search.
    let mut lists = futures::stream::iter(OBJECT_LISTS)
        .map(|(soql, kind)| async move { (kind, client.query(Api::Rest, soql).await) })
        .buffered(ctx.width);
    let mut objects: Vec<(Value, &'static str)> = Vec::new();
    while let Some((kind, rows)) = lists.next().await {
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                let operation = "query EntityDefinition";
                ctx.record(e, Api::Rest, operation, "EntityDefinition", &kinds, None)?;
                return Ok(());
            }
        };
        // `_` is a LIKE wildcard: keep only the real custom metadata types.
        objects.extend(
            rows.into_iter()
                .filter(|r| {
                    kind != "CustomMetadata"
                        || str_field(r, "QualifiedApiName").is_some_and(|n| n.ends_with("__mdt"))
                })
                .map(|r| (r, kind)),
        );
    }
    // One object per fork, absorbed in order.
    let tasks: Vec<_> = objects.into_iter().map(|o| (ctx.fork(), o)).collect();
    let mut done = futures::stream::iter(tasks)
        .map(|(mut fork, (object, object_kind))| async move {
            let result = object_secrets(&mut fork, &object, object_kind).await;
            (fork, result)
        })
        .buffered(ctx.width);
    while let Some((fork, result)) = done.next().await {
        ctx.absorb([fork]);
        result?;
    }
    Ok(())
}

/// The secret-looking fields of one custom setting or custom metadata type: its fields,
/// then its visibility and whether each field holds a value, at once.
async fn object_secrets(
    ctx: &mut Ctx<'_>,
    object: &Value,
    object_kind: &'static str,
) -> Result<(), CollectError> {
    let kinds = [CUSTOM_SETTING_SECRET];
    let Some(api_name) = str_field(object, "QualifiedApiName") else {
        return Ok(());
    };
    let soql = format!(
        "SELECT QualifiedApiName FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = '{}'",
        soql_escape(&api_name)
    );
    let Some(fields) = ctx
        .query(Api::Rest, "FieldDefinition", &soql, &kinds)
        .await?
    else {
        return Ok(());
    };
    let secret_fields: Vec<String> = fields
        .iter()
        .filter_map(|f| str_field(f, "QualifiedApiName"))
        .filter(|f| f.ends_with("__c") && looks_secret(f))
        .collect();
    if secret_fields.is_empty() {
        return Ok(());
    }
    // Visibility lives in the object's metadata (Tooling CustomObject, one row per query).
    let mut f_visibility = ctx.fork();
    let visibility = async {
        let Some(id) = str_field(object, "DurableId") else {
            return Ok(None);
        };
        let soql = format!(
            "SELECT Id, FullName, Metadata FROM CustomObject WHERE Id = '{}'",
            soql_escape(&id)
        );
        let rows = f_visibility
            .query(Api::Tooling, "CustomObject", &soql, &kinds)
            .await?;
        Ok::<_, CollectError>(rows.and_then(|rows| {
            rows.first()
                .and_then(|r| str_field(r, "Metadata.visibility"))
        }))
    };
    // Whether any record holds a value; the value itself is not selected.
    let client = ctx.client;
    let has_values = futures::stream::iter(&secret_fields)
        .map(|field| {
            let soql = format!("SELECT Id FROM {api_name} WHERE {field} != null LIMIT 1");
            async move { client.query(Api::Rest, &soql).await }
        })
        .buffered(ctx.width)
        .collect::<Vec<_>>();
    let (visibility, has_values) = together!(ctx; visibility, has_values);
    ctx.absorb([f_visibility]);
    let visibility = visibility?;
    for (field, answer) in secret_fields.into_iter().zip(has_values) {
        let id = format!("{api_name}.{field}");
        let has_value = match answer {
            Ok(rows) => Some(!rows.is_empty()),
            Err(e) => {
                ctx.record(
                    e,
                    Api::Rest,
                    &format!("query {api_name}"),
                    &api_name,
                    &kinds,
                    Some(id.clone()),
                )?;
                None
            }
        };
        let data = Data::new()
            .set("object", api_name.clone())
            .set("field", field.clone())
            .set("object_kind", object_kind)
            .opt("visibility", visibility.clone())
            .opt("namespace", str_field(object, "NamespacePrefix"))
            .opt("has_value", has_value);
        ctx.push(CUSTOM_SETTING_SECRET, &id, &id, data.into_map());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert!(looks_secret("Api_Token__c"));
        assert!(looks_secret("ClientSecret__c"));
        assert!(!looks_secret("Endpoint__c"));
    }
}
