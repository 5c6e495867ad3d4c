//! A read-only Metadata API (SOAP) client: `listMetadata` and `readMetadata`, for the
//! settings that exist only as metadata types (connected apps' OAuth policies).
//!
//! Calls go to `{instance}/services/Soap/m/{version}` with the session in the
//! `SessionHeader`; answers are turned into JSON-like values (an element with children is
//! an object, a repeated element an array, a leaf its text), so collectors read them with
//! the same helpers as REST records.

use futures::StreamExt;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::client::{ApiError, Client};

/// `readMetadata` accepts at most this many names per call.
pub const READ_BATCH: usize = 10;

const NS: &str = "http://soap.sforce.com/2006/04/metadata";

/// The SOAP envelope for one Metadata API call (`body` is the operation element).
pub fn envelope(session: &str, body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="{ns}">"#,
            r#"<soapenv:Header><met:SessionHeader><met:sessionId>{session}</met:sessionId></met:SessionHeader></soapenv:Header>"#,
            r#"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
        ),
        ns = NS,
        session = escape(session),
        body = body
    )
}

/// The full names of every component of a metadata type.
pub async fn list(client: &Client, kind: &str) -> Result<Vec<String>, ApiError> {
    let body = format!(
        "<met:listMetadata><met:queries><met:type>{}</met:type></met:queries><met:asOfVersion>{}</met:asOfVersion></met:listMetadata>",
        escape(kind),
        client.version()
    );
    let answer = parse(&client.metadata_call(&body).await?);
    let mut names: Vec<String> = results(&answer, "listMetadataResponse")
        .iter()
        .filter_map(|r| {
            r.get("fullName")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// The components of a metadata type, by full name (in batches of [`READ_BATCH`], up to
/// `width` batches at once; the first that fails, in order, is the error).
pub async fn read(
    client: &Client,
    kind: &str,
    names: &[String],
    width: usize,
) -> Result<Vec<Value>, ApiError> {
    let bodies: Vec<String> = names
        .chunks(READ_BATCH)
        .map(|batch| {
            let full_names: String = batch
                .iter()
                .map(|n| format!("<met:fullNames>{}</met:fullNames>", escape(n)))
                .collect();
            format!(
                "<met:readMetadata><met:type>{}</met:type>{full_names}</met:readMetadata>",
                escape(kind)
            )
        })
        .collect();
    let mut answers = futures::stream::iter(&bodies)
        .map(|body| client.metadata_call(body))
        .buffered(width.max(1));
    let mut out = Vec::new();
    while let Some(answer) = answers.next().await {
        let answer = parse(&answer?);
        for result in results(&answer, "readMetadataResponse") {
            match result.get("records") {
                Some(Value::Array(records)) => out.extend(records.iter().cloned()),
                Some(record @ Value::Object(_)) => out.push(record.clone()),
                _ => {}
            }
        }
    }
    // A name that does not exist comes back as a record without fullName.
    out.retain(|r| r.get("fullName").is_some());
    Ok(out)
}

/// `Envelope.Body.<response>.result` as a list.
fn results(answer: &Value, response: &str) -> Vec<Value> {
    match answer
        .get("Envelope")
        .and_then(|e| e.get("Body"))
        .and_then(|b| b.get(response))
        .and_then(|r| r.get("result"))
    {
        Some(Value::Array(items)) => items.clone(),
        Some(item) => vec![item.clone()],
        None => Vec::new(),
    }
}

/// The `faultcode` (without its prefix) and `faultstring` of a SOAP fault.
pub fn fault(text: &str) -> Option<(String, String)> {
    let v = parse(text);
    let f = v.get("Envelope")?.get("Body")?.get("Fault")?;
    let code = f.get("faultcode")?.as_str()?;
    let code = code.rsplit(':').next().unwrap_or(code).to_string();
    let message = f
        .get("faultstring")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some((code, message))
}

/// XML to a JSON-like tree keyed by local names; attributes are ignored.
pub fn parse(text: &str) -> Value {
    let mut reader = Reader::from_str(text);
    // Stack of (name, children, text).
    let mut stack: Vec<(String, Map<String, Value>, String)> =
        vec![(String::new(), Map::new(), String::new())];
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push((name, Map::new(), String::new()));
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if let Some(parent) = stack.last_mut() {
                    insert(&mut parent.1, name, Value::Null);
                }
            }
            Ok(Event::Text(t)) => {
                if let (Some(top), Ok(s)) = (stack.last_mut(), t.decode()) {
                    top.2.push_str(&s);
                }
            }
            Ok(Event::CData(t)) => {
                if let (Some(top), Ok(s)) = (stack.last_mut(), t.decode()) {
                    top.2.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => r.decode().ok().and_then(|n| {
                        quick_xml::escape::resolve_predefined_entity(&n).map(str::to_string)
                    }),
                };
                if let (Some(top), Some(s)) = (stack.last_mut(), resolved) {
                    top.2.push_str(&s);
                }
            }
            Ok(Event::End(_)) => {
                if stack.len() < 2 {
                    break;
                }
                let Some((name, children, text)) = stack.pop() else {
                    break;
                };
                let value = if children.is_empty() {
                    Value::String(text.trim().to_string())
                } else {
                    Value::Object(children)
                };
                if let Some(parent) = stack.last_mut() {
                    insert(&mut parent.1, name, value);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    stack
        .into_iter()
        .next()
        .map_or(Value::Null, |(_, root, _)| Value::Object(root))
}

fn insert(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            map.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_metadata_answers_become_values() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><readMetadataResponse><result><records xsi:type="ConnectedApp"><fullName>My_App</fullName><label>My &amp; App</label><oauthConfig><scopes>Api</scopes><scopes>RefreshToken</scopes></oauthConfig><oauthPolicy><ipRelaxation>ENFORCE</ipRelaxation></oauthPolicy></records></result></readMetadataResponse></soapenv:Body></soapenv:Envelope>"#;
        let v = parse(xml);
        let r = &results(&v, "readMetadataResponse")[0]["records"];
        assert_eq!(r["fullName"], "My_App");
        assert_eq!(r["label"], "My & App");
        assert_eq!(
            r["oauthConfig"]["scopes"],
            serde_json::json!(["Api", "RefreshToken"])
        );
        assert_eq!(r["oauthPolicy"]["ipRelaxation"], "ENFORCE");
    }

    #[test]
    fn faults() {
        let xml = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        assert_eq!(
            fault(xml),
            Some((
                "INVALID_SESSION_ID".into(),
                "INVALID_SESSION_ID: Invalid Session ID".into()
            ))
        );
    }
}
