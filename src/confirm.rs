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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::findings::{Finding, Status};
use crate::inventory::Inventory;

/// (inside check, probe check) pairs.
pub(crate) const CONFIRMS: [(&str, &str); 3] = [
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

/// Marks the inside findings an outside probe reproduced (see the module docs).
pub fn confirm_from_outside(inv: &Inventory, findings: &mut [Finding]) {
    let probe_checks: BTreeSet<&str> = CONFIRMS.iter().map(|(_, p)| *p).collect();
    // Resource id -> site key, for guest sites/objects and guest profiles.
    let mut sites: HashMap<(&str, &str), String> = HashMap::new();
    for r in &inv.resources {
        if matches!(
            r.kind.as_str(),
            "salesforce.guest_site" | "salesforce.guest_object" | "salesforce.guest_profile"
        ) && let Ok(data) = serde_json::from_str::<Value>(r.data.get())
            && let Some(url) = data.get("site_url").and_then(Value::as_str)
        {
            sites.insert((r.scope.as_str(), r.id.as_str()), site_key(url));
        }
    }
    if sites.is_empty() {
        return;
    }
    // (probe check, site) -> evidence.
    let mut reproduced: BTreeMap<(&str, String), Vec<String>> = BTreeMap::new();
    for f in findings.iter() {
        if f.status == Status::Fail
            && let Some(probe) = probe_checks.get(f.check_id.as_ref())
            && let Some(site) = sites.get(&(f.resource.account.as_str(), f.resource.id.as_str()))
        {
            reproduced
                .entry((probe, site.clone()))
                .or_default()
                .push(f.message.clone());
        }
    }
    if reproduced.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        if f.status != Status::Fail {
            continue;
        }
        let Some((_, probe)) = CONFIRMS
            .iter()
            .find(|(inside, _)| *inside == f.check_id.as_ref())
        else {
            continue;
        };
        let Some(site) = sites.get(&(f.resource.account.as_str(), f.resource.id.as_str())) else {
            continue;
        };
        if let Some(evidence) = reproduced.get(&(*probe, site.clone())) {
            let summary = evidence.join(" ");
            f.message = format!("{} Confirmed from outside: {summary}", f.message);
            f.confirmed_from_outside = Some(summary);
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
