//! Secrets kept where they should not be: fields of custom settings and custom metadata
//! types whose names look like credentials. Only whether a value exists is read; values
//! never leave the org.

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

/// Collects secret-looking fields of custom settings and custom metadata types.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<(), CollectError> {
    let kinds = [CUSTOM_SETTING_SECRET];
    let mut objects: Vec<(Value, &'static str)> = Vec::new();
    for (soql, kind) in [
        (
            "SELECT DurableId, QualifiedApiName, NamespacePrefix FROM EntityDefinition WHERE IsCustomSetting = true",
            "CustomSetting",
        ),
        (
            "SELECT DurableId, QualifiedApiName, NamespacePrefix FROM EntityDefinition WHERE QualifiedApiName LIKE '%__mdt'",
            "CustomMetadata",
        ),
    ] {
        let Some(rows) = ctx
            .query(Api::Rest, "EntityDefinition", soql, &kinds)
            .await?
        else {
            return Ok(());
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
    for (object, object_kind) in objects {
        let Some(api_name) = str_field(&object, "QualifiedApiName") else {
            continue;
        };
        let soql = format!(
            "SELECT QualifiedApiName FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = '{}'",
            soql_escape(&api_name)
        );
        let Some(fields) = ctx
            .query(Api::Rest, "FieldDefinition", &soql, &kinds)
            .await?
        else {
            continue;
        };
        let secret_fields: Vec<String> = fields
            .iter()
            .filter_map(|f| str_field(f, "QualifiedApiName"))
            .filter(|f| f.ends_with("__c") && looks_secret(f))
            .collect();
        if secret_fields.is_empty() {
            continue;
        }
        // Visibility lives in the object's metadata (Tooling CustomObject, one row per query).
        let visibility = match str_field(&object, "DurableId") {
            Some(id) => {
                let soql = format!(
                    "SELECT Id, FullName, Metadata FROM CustomObject WHERE Id = '{}'",
                    soql_escape(&id)
                );
                ctx.query(Api::Tooling, "CustomObject", &soql, &kinds)
                    .await?
                    .and_then(|rows| {
                        rows.first()
                            .and_then(|r| str_field(r, "Metadata.visibility"))
                    })
            }
            None => None,
        };
        for field in secret_fields {
            let id = format!("{api_name}.{field}");
            // Whether any record holds a value; the value itself is not selected.
            let soql = format!("SELECT Id FROM {api_name} WHERE {field} != null LIMIT 1");
            let has_value = match ctx.client.query(Api::Rest, &soql).await {
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
                .opt("namespace", str_field(&object, "NamespacePrefix"))
                .opt("has_value", has_value);
            ctx.push(CUSTOM_SETTING_SECRET, &id, &id, data.into_map());
        }
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
