//! Normalization of IAM-style policy documents (identity policies, bucket policies, key
//! policies, trust policies) into the shape the checks read, shared by the AWS collector
//! and the Terraform plan mapping:
//!
//! `{"statements": [{"sid"?, "effect", "actions", "not_actions", "resources",
//! "not_resources", "principals", "not_principals", "conditions"}]}` where every list is
//! present, actions are lowercased, principals are flattened to strings (`"*"`, account
//! ids or ARNs, `service:<name>`, `federated:<name>`, `canonical:<id>`) and condition
//! keys are lowercased with values as lists of strings.

use serde_json::{Map, Value, json};

/// Parses a policy document as the APIs return it: plain JSON or URL-encoded JSON (IAM).
/// `None` when it is not JSON at all.
pub fn parse(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return Some(normalize(&v));
    }
    let decoded = percent_decode(trimmed)?;
    serde_json::from_str::<Value>(&decoded)
        .ok()
        .map(|v| normalize(&v))
}

/// Normalizes a parsed policy document.
pub fn normalize(doc: &Value) -> Value {
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().map(statement).collect(),
        Some(s @ Value::Object(_)) => vec![statement(s)],
        _ => Vec::new(),
    };
    json!({ "statements": statements })
}

fn statement(s: &Value) -> Value {
    let mut out = Map::new();
    if let Some(sid) = s.get("Sid").and_then(Value::as_str) {
        out.insert("sid".into(), Value::String(sid.to_string()));
    }
    let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("Allow");
    out.insert("effect".into(), Value::String(effect.to_string()));
    out.insert("actions".into(), lower_list(s.get("Action")));
    out.insert("not_actions".into(), lower_list(s.get("NotAction")));
    out.insert("resources".into(), str_list(s.get("Resource")));
    out.insert("not_resources".into(), str_list(s.get("NotResource")));
    out.insert("principals".into(), principals(s.get("Principal")));
    out.insert("not_principals".into(), principals(s.get("NotPrincipal")));
    out.insert("conditions".into(), conditions(s.get("Condition")));
    Value::Object(out)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn str_list(v: Option<&Value>) -> Value {
    Value::Array(strings(v).into_iter().map(Value::String).collect())
}

fn lower_list(v: Option<&Value>) -> Value {
    Value::Array(
        strings(v)
            .into_iter()
            .map(|s| Value::String(s.to_ascii_lowercase()))
            .collect(),
    )
}

fn principals(v: Option<&Value>) -> Value {
    let mut out = Vec::new();
    match v {
        None => {}
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Object(m)) => {
            for (k, val) in m {
                for p in strings(Some(val)) {
                    out.push(match k.as_str() {
                        "AWS" => p,
                        "Service" => format!("service:{p}"),
                        "Federated" => format!("federated:{p}"),
                        "CanonicalUser" => format!("canonical:{p}"),
                        other => format!("{}:{p}", other.to_ascii_lowercase()),
                    });
                }
            }
        }
        Some(other) => out.extend(strings(Some(other))),
    }
    Value::Array(out.into_iter().map(Value::String).collect())
}

fn conditions(v: Option<&Value>) -> Value {
    let mut out = Map::new();
    if let Some(Value::Object(ops)) = v {
        for (op, keys) in ops {
            let mut km = Map::new();
            if let Value::Object(keys) = keys {
                for (k, vals) in keys {
                    km.insert(k.to_ascii_lowercase(), str_list(Some(vals)));
                }
            }
            out.insert(op.clone(), Value::Object(km));
        }
    }
    Value::Object(out)
}

/// Decodes `%XX` escapes (and `+` as a space); `None` on malformed input.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values_become_lists_and_principals_flatten() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
            "Principal":{"AWS":"*","Service":["ec2.amazonaws.com"]},
            "Action":"S3:GetObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"Bool":{"aws:SecureTransport":false}}}}"#;
        let v = parse(doc).expect("a policy");
        let s = &v["statements"][0];
        assert_eq!(s["effect"], "Allow");
        assert_eq!(s["actions"], json!(["s3:getobject"]));
        assert_eq!(s["resources"], json!(["arn:aws:s3:::b/*"]));
        assert_eq!(s["principals"], json!(["*", "service:ec2.amazonaws.com"]));
        assert_eq!(s["not_principals"], json!([]));
        assert_eq!(
            s["conditions"],
            json!({"Bool": {"aws:securetransport": ["false"]}})
        );
    }

    #[test]
    fn url_encoded_documents_are_decoded() {
        let doc = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let v = parse(doc).expect("a policy");
        assert_eq!(v["statements"][0]["actions"], json!(["*"]));
        assert_eq!(v["statements"][0]["principals"], json!([]));
    }

    #[test]
    fn star_principal_string() {
        let v = parse(r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":["iam:*"],"NotResource":"x"}]}"#).expect("a policy");
        let s = &v["statements"][0];
        assert_eq!(s["principals"], json!(["*"]));
        assert_eq!(s["not_actions"], json!(["iam:*"]));
        assert_eq!(s["not_resources"], json!(["x"]));
        assert!(s.get("sid").is_none());
    }
}
