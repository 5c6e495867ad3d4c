//! "Confirmed from outside": when one report holds both an inside Salesforce scan and an
//! outside-in probe of the same site (`scan --inventory INSIDE --inventory OUTSIDE`), a
//! failing guest-profile finding that the probe reproduced is marked with the probe's
//! evidence, so the most urgent findings stand out.
//!
//! | inside check (guest profile)             | reproduced by (probe)                          |
//! |------------------------------------------|------------------------------------------------|
//! | `salesforce-guest-api-enabled`           | `salesforce-site-guest-api-answers`            |
//! | `salesforce-guest-sensitive-object-read` | `salesforce-site-guest-personal-records-readable` |
//! | `salesforce-guest-pii-field-access`      | `salesforce-site-guest-personal-records-readable` |
//!
//! Sites match on their URL, ignoring case, a trailing `/` and the `/s` Aura path.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::findings::{Finding, Status};
use crate::inventory::{Inventory, Resource};

/// (inside check, probe check) pairs.
const CONFIRMS: [(&str, &str); 3] = [
    (
        "salesforce-guest-api-enabled",
        "salesforce-site-guest-api-answers",
    ),
    (
        "salesforce-guest-sensitive-object-read",
        "salesforce-site-guest-personal-records-readable",
    ),
    (
        "salesforce-guest-pii-field-access",
        "salesforce-site-guest-personal-records-readable",
    ),
];

/// `https://Example.my.site.com/portal/s/` -> `https://example.my.site.com/portal`.
pub fn site_key(url: &str) -> String {
    let mut u = url.trim().trim_end_matches('/').to_ascii_lowercase();
    if let Some(stripped) = u.strip_suffix("/s") {
        u = stripped.to_string();
    }
    u
}

/// The site key of a guest site, guest object or guest profile resource that names its
/// site (`site_url`).
pub fn site_of(r: &Resource) -> Option<String> {
    if !matches!(
        r.kind.as_str(),
        "salesforce.guest_site" | "salesforce.guest_object" | "salesforce.guest_profile"
    ) {
        return None;
    }
    let data = serde_json::from_str::<Value>(r.data.get()).ok()?;
    data.get("site_url").and_then(Value::as_str).map(site_key)
}

/// Whether `check` is a probe check whose failures confirm inside findings.
pub fn is_probe(check: &str) -> bool {
    CONFIRMS.iter().any(|(_, probe)| *probe == check)
}

/// What outside probes reproduced: the messages of their failing findings, by (probe
/// check, site).
#[derive(Debug, Default)]
pub struct Reproduced(BTreeMap<(&'static str, String), Vec<String>>);

impl Reproduced {
    /// Adds a failing finding of `check` on `site` (ignored unless `check` is a probe).
    pub fn add(&mut self, check: &str, site: &str, message: String) {
        if let Some((_, probe)) = CONFIRMS.iter().find(|(_, p)| *p == check) {
            self.0
                .entry((probe, site.to_string()))
                .or_default()
                .push(message);
        }
    }

    /// Whether no probe finding was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The evidence that confirms a failing inside finding of `check` on `site`: the
    /// messages of its probe's failing findings there, joined.
    pub fn confirming(&self, check: &str, site: &str) -> Option<String> {
        let (_, probe) = CONFIRMS.iter().find(|(inside, _)| *inside == check)?;
        self.0
            .get(&(*probe, site.to_string()))
            .map(|evidence| evidence.join(" "))
    }
}

/// An inside finding's message once confirmed by `evidence`.
pub fn confirmed_message(message: &str, evidence: &str) -> String {
    format!("{message} Confirmed from outside: {evidence}")
}

/// Marks the inside findings an outside probe reproduced (see the module docs).
pub fn confirm_from_outside(inv: &Inventory, findings: &mut [Finding]) {
    // (scope, resource id) -> site key, for guest sites/objects and guest profiles.
    let sites: HashMap<(&str, &str), String> = inv
        .resources
        .iter()
        .filter_map(|r| Some(((r.scope.as_str(), r.id.as_str()), site_of(r)?)))
        .collect();
    if sites.is_empty() {
        return;
    }
    let mut reproduced = Reproduced::default();
    for f in findings.iter() {
        if f.status == Status::Fail
            && is_probe(&f.check_id)
            && let Some(site) = sites.get(&(f.resource.account.as_str(), f.resource.id.as_str()))
        {
            reproduced.add(&f.check_id, site, f.message.clone());
        }
    }
    if reproduced.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        if f.status == Status::Fail
            && let Some(site) = sites.get(&(f.resource.account.as_str(), f.resource.id.as_str()))
            && let Some(evidence) = reproduced.confirming(&f.check_id, site)
        {
            f.message = confirmed_message(&f.message, &evidence);
            f.confirmed_from_outside = Some(evidence);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_keys_ignore_case_slashes_and_the_aura_path() {
        assert_eq!(
            site_key("https://Example.my.site.com/portal/s/"),
            "https://example.my.site.com/portal"
        );
        assert_eq!(
            site_key("https://example.my.site.com/portal"),
            "https://example.my.site.com/portal"
        );
        assert_eq!(
            site_key("https://example.my.site.com/s"),
            "https://example.my.site.com"
        );
    }
}
