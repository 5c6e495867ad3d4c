//! Mutelist: accepted risks, written down with a reason and an optional expiry date.
//!
//! A mutelist is a YAML file (`--mutelist FILE`):
//!
//! ```yaml
//! mutelist:
//!   - check: aws-s3-bucket-public-*      # id or glob; also matches a check's former ids
//!     resource: arn:aws:s3:::public-site # id, name or ARN glob
//!     scope: "210987654321"              # account, project or org id
//!     region: us-east-1
//!     tags: { env: sandbox }             # every tag given must match (values are globs)
//!     reason: Static website, approved in SEC-142
//!     expires: 2026-12-31                # last day the entry mutes
//! ```
//!
//! Every matcher takes one pattern or a list (any of them may match); an omitted matcher
//! matches everything, but an entry must name at least one. Only **failing** findings are
//! muted: an `error` means the check could not be evaluated, and muting it would hide a
//! gap in coverage rather than an accepted risk. An entry past its `expires` date stops
//! muting, so the finding is reported (and gates) again until someone renews or removes it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use globset::{Glob, GlobMatcher};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::checks::Check;
use crate::diagnostics::line_col;
use crate::findings::{Finding, ResourceRef, ScanReport, Status};
use crate::inventory::Inventory;

/// A glob pattern as written in the file.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// Compiles a glob (`*`, `?`, `[...]`, `{a,b}`); `*` also crosses `/` and `:`.
    pub fn new(text: &str) -> Result<Self, String> {
        let glob = Glob::new(text).map_err(|e| format!("invalid pattern `{text}`: {e}"))?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether the value matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

struct PatternVisitor;

impl Visitor<'_> for PatternVisitor {
    type Value = Pattern;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pattern (string)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Pattern, E> {
        if v.is_empty() {
            return Err(E::custom(
                "empty pattern (omit the key to match everything)",
            ));
        }
        Pattern::new(v).map_err(E::custom)
    }

    // Unquoted YAML scalars such as `123456789012` or `true` are still meant as text.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Pattern, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Pattern, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Pattern, E> {
        self.visit_str(&v.to_string())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PatternVisitor)
    }
}

/// One pattern or a list of patterns; matches when any pattern does. Empty matches all.
#[derive(Debug, Clone, Default)]
pub struct Patterns(Vec<Pattern>);

impl Patterns {
    /// Whether no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when empty or when any pattern matches any of the values.
    fn admits<'a>(&self, values: impl IntoIterator<Item = &'a str> + Clone) -> bool {
        self.0.is_empty()
            || self
                .0
                .iter()
                .any(|p| values.clone().into_iter().any(|v| p.is_match(v)))
    }

    /// The patterns as written, comma-separated.
    fn describe(&self) -> String {
        self.0
            .iter()
            .map(Pattern::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct PatternsVisitor;

impl<'de> Visitor<'de> for PatternsVisitor {
    type Value = Patterns;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pattern or a list of patterns")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Patterns, E> {
        Ok(Patterns(vec![PatternVisitor.visit_str(v)?]))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Patterns, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Patterns, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Patterns, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Patterns, A::Error> {
        let mut out = Vec::new();
        while let Some(p) = seq.next_element::<Pattern>()? {
            out.push(p);
        }
        if out.is_empty() {
            return Err(de::Error::custom(
                "empty list (omit the key to match everything)",
            ));
        }
        Ok(Patterns(out))
    }
}

impl<'de> Deserialize<'de> for Patterns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PatternsVisitor)
    }
}

/// Tag name to value pattern; every one must match.
#[derive(Debug, Clone, Default)]
pub struct TagPatterns(BTreeMap<String, Pattern>);

impl<'de> Deserialize<'de> for TagPatterns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagPatterns;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of tag name to value pattern")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<TagPatterns, M::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<String, Pattern>()? {
                    out.insert(k, v);
                }
                Ok(TagPatterns(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The non-empty reason an entry exists.
#[derive(Debug, Clone)]
struct Reason(String);

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(de::Error::custom(
                "`reason` is empty: say why this risk is accepted and who accepted it",
            ));
        }
        Ok(Reason(s.trim().to_string()))
    }
}

/// A `YYYY-MM-DD` date.
#[derive(Debug, Clone, Copy)]
struct Day(NaiveDate);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Day)
            .map_err(|_| de::Error::custom(format!("invalid date `{s}`: expected YYYY-MM-DD")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    check: Patterns,
    #[serde(default)]
    resource: Patterns,
    #[serde(default)]
    scope: Patterns,
    #[serde(default)]
    region: Patterns,
    #[serde(default)]
    tags: TagPatterns,
    reason: Reason,
    #[serde(default)]
    expires: Option<Day>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    mutelist: Vec<RawEntry>,
}

/// One mutelist entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Check ids or globs (also matched against a check's former ids).
    pub check: Patterns,
    /// Resource id, name or ARN globs.
    pub resource: Patterns,
    /// Scope (account, project, org id) globs.
    pub scope: Patterns,
    /// Region globs; a finding without a region never matches a region pattern.
    pub region: Patterns,
    /// Tags that must all be present with a matching value.
    pub tags: TagPatterns,
    /// Why the risk is accepted.
    pub reason: String,
    /// The last day the entry mutes, if it expires.
    pub expires: Option<NaiveDate>,
    /// The 1-based line of the entry in the file, when it could be located.
    pub line: Option<usize>,
}

/// What a finding is matched on.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The check id.
    pub check_id: &'a str,
    /// The check's former ids.
    pub aliases: &'a [String],
    /// The resource.
    pub resource: &'a ResourceRef,
    /// The resource's tags, when known (an inventory carries them, findings do not).
    pub tags: Option<&'a BTreeMap<String, String>>,
}

impl Entry {
    /// Whether the entry is in force on `today` (the expiry day itself included).
    pub fn is_active(&self, today: NaiveDate) -> bool {
        self.expires.is_none_or(|e| today <= e)
    }

    /// Whether the entry matches a finding's check and resource (ignoring expiry).
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        let r = s.resource;
        let check_ids = std::iter::once(s.check_id).chain(s.aliases.iter().map(String::as_str));
        let resource_ids = std::iter::once(r.id.as_str()).chain(r.name.as_deref());
        self.check.admits(check_ids)
            && self.resource.admits(resource_ids)
            && self.scope.admits([r.account.as_str()])
            && (self.region.is_empty()
                || r.region.as_deref().is_some_and(|g| self.region.admits([g])))
            && (self.tags.0.is_empty()
                || s.tags.is_some_and(|tags| {
                    self.tags
                        .0
                        .iter()
                        .all(|(k, p)| tags.get(k).is_some_and(|v| p.is_match(v)))
                }))
    }

    /// Whether the entry uses tags (which a findings document cannot verify).
    pub fn uses_tags(&self) -> bool {
        !self.tags.0.is_empty()
    }

    /// A short description: the matchers as written.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, p) in [
            ("check", &self.check),
            ("resource", &self.resource),
            ("scope", &self.scope),
            ("region", &self.region),
        ] {
            if !p.is_empty() {
                parts.push(format!("{name}={}", p.describe()));
            }
        }
        for (k, v) in &self.tags.0 {
            parts.push(format!("tag {k}={}", v.as_str()));
        }
        parts.join(" ")
    }
}

/// A problem in a mutelist file, pointing at `file:line:col`.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
#[diagnostic(code(mamori::mutelist), help("see docs/ci.md for the mutelist format"))]
pub struct MutelistDiagnostic {
    /// The file's display path.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("here")]
    span: SourceSpan,
}

impl MutelistDiagnostic {
    fn at(path: &str, text: &str, offset: usize, message: String) -> Self {
        let offset = offset.min(text.len());
        let (line, column) = line_col(text, offset);
        MutelistDiagnostic {
            path: path.to_string(),
            line,
            column,
            message,
            src: NamedSource::new(path, text.to_string()),
            span: SourceSpan::new(offset.into(), 1),
        }
    }
}

/// Why a mutelist could not be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum MutelistError {
    /// The file could not be read.
    #[error("cannot read mutelist {path}: {source}")]
    #[diagnostic(code(mamori::mutelist))]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid mutelist.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<MutelistDiagnostic>),
}

/// A parsed mutelist.
#[derive(Debug, Clone)]
pub struct Mutelist {
    /// The file's display path.
    pub path: String,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

/// What applying a mutelist did.
#[derive(Debug, Clone, Default)]
pub struct MuteOutcome {
    /// Findings muted.
    pub muted: usize,
    /// Per entry (file order): failing findings it matches, whether or not it is in force.
    pub hits: Vec<usize>,
}

impl Mutelist {
    /// Reads and validates a mutelist file.
    pub fn load(path: &Path) -> Result<Self, MutelistError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MutelistError::Read {
            path: display.clone(),
            source,
        })?;
        Self::parse(&text, &display)
    }

    /// Parses and validates mutelist text; `path` is used in diagnostics.
    pub fn parse(text: &str, path: &str) -> Result<Self, MutelistError> {
        let invalid = |offset: usize, message: String| {
            MutelistError::Invalid(Box::new(MutelistDiagnostic::at(
                path, text, offset, message,
            )))
        };
        let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| {
            let message = crate::diagnostics::strip_position(&e.to_string());
            let at = e.location().map_or(0, |l| l.index());
            invalid(refine_offset(text, at, &message), message)
        })?;
        let starts = entry_offsets(text, raw.mutelist.len());
        let mut entries = Vec::with_capacity(raw.mutelist.len());
        for (i, r) in raw.mutelist.into_iter().enumerate() {
            let offset = starts.as_ref().map(|s| s[i]);
            if r.check.is_empty()
                && r.resource.is_empty()
                && r.scope.is_empty()
                && r.region.is_empty()
                && r.tags.0.is_empty()
            {
                return Err(invalid(
                    offset.unwrap_or(0),
                    format!(
                        "entry {} matches every finding: give at least one of `check`, `resource`, `scope`, `region`, `tags`",
                        i + 1
                    ),
                ));
            }
            entries.push(Entry {
                check: r.check,
                resource: r.resource,
                scope: r.scope,
                region: r.region,
                tags: r.tags,
                reason: r.reason.0,
                expires: r.expires.map(|d| d.0),
                line: offset.map(|o| line_col(text, o).0),
            });
        }
        Ok(Mutelist {
            path: path.to_string(),
            entries,
        })
    }

    /// Where an entry is, for messages: `file:line` or `file entry N`.
    pub fn locate(&self, index: usize) -> String {
        match self.entries.get(index).and_then(|e| e.line) {
            Some(line) => format!("{}:{line}", self.path),
            None => format!("{} entry {}", self.path, index + 1),
        }
    }

    /// The first entry in force on `today` that matches, with its index.
    pub fn find(&self, s: &Subject<'_>, today: NaiveDate) -> Option<(usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.is_active(today) && e.matches(s))
    }

    /// Mutes the report's failing findings matched by an entry in force on `today`,
    /// then recomputes the summary. `context` supplies tags and check aliases.
    pub fn apply(
        &self,
        report: &mut ScanReport,
        context: &MatchContext,
        today: NaiveDate,
    ) -> MuteOutcome {
        let mut out = MuteOutcome {
            muted: 0,
            hits: vec![0; self.entries.len()],
        };
        for f in report
            .findings
            .iter_mut()
            .filter(|f| f.status == Status::Fail)
        {
            let subject = context.subject(f);
            for (i, e) in self.entries.iter().enumerate() {
                if e.matches(&subject) {
                    out.hits[i] += 1;
                }
            }
            if let Some((_, e)) = self.find(&subject, today) {
                let reason = e.reason.clone();
                f.status = Status::Muted;
                f.muted_reason = Some(reason);
                out.muted += 1;
            }
        }
        report.refresh();
        out
    }

    /// Per entry, how many of these findings (failing or muted) it matches.
    pub fn hits(&self, findings: &[Finding], context: &MatchContext) -> Vec<usize> {
        let mut hits = vec![0; self.entries.len()];
        for f in findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Muted))
        {
            let subject = context.subject(f);
            for (i, e) in self.entries.iter().enumerate() {
                if e.matches(&subject) {
                    hits[i] += 1;
                }
            }
        }
        hits
    }
}

/// Facts a finding does not carry but matching needs: resource tags (from the
/// inventory) and check aliases (from the loaded checks).
#[derive(Debug, Default)]
pub struct MatchContext {
    tags: HashMap<(String, String, String), BTreeMap<String, String>>,
    aliases: HashMap<String, Vec<String>>,
}

impl MatchContext {
    /// Builds the context from an inventory (may be absent) and the loaded checks.
    pub fn new(inventory: Option<&Inventory>, checks: &[Arc<Check>]) -> Self {
        let tags = inventory
            .map(|inv| {
                inv.resources
                    .iter()
                    .filter(|r| !r.tags.is_empty())
                    .map(|r| {
                        (
                            (r.scope.clone(), r.kind.clone(), r.id.clone()),
                            r.tags.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let aliases = checks
            .iter()
            .filter(|c| !c.aliases.is_empty())
            .map(|c| (c.id.clone(), c.aliases.clone()))
            .collect();
        MatchContext { tags, aliases }
    }

    fn subject<'a>(&'a self, f: &'a Finding) -> Subject<'a> {
        let r = &*f.resource;
        Subject {
            check_id: &f.check_id,
            aliases: self
                .aliases
                .get(&*f.check_id)
                .map_or(&[][..], Vec::as_slice),
            resource: r,
            tags: Some(
                self.tags
                    .get(&(r.account.clone(), r.kind.clone(), r.id.clone()))
                    .unwrap_or(&EMPTY_TAGS),
            ),
        }
    }
}

static EMPTY_TAGS: BTreeMap<String, String> = BTreeMap::new();

/// Errors raised while a value is converted (a bad date or glob) are located at the
/// start of the entry; when the message quotes the value (`` `...` ``), point at it.
fn refine_offset(text: &str, at: usize, message: &str) -> usize {
    let quoted = message
        .split_once('`')
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(q, _)| q);
    match quoted {
        Some(q) if !q.is_empty() => text
            .get(at..)
            .and_then(|rest| rest.find(q))
            .map_or(at, |i| at + i),
        _ => at,
    }
}

/// Byte offsets of the `- ` items of the top-level `mutelist:` sequence, in block style.
/// `None` when the layout is unusual (flow style, anchors) and the count does not match.
fn entry_offsets(text: &str, expected: usize) -> Option<Vec<usize>> {
    let mut offset = 0;
    let mut inside = false;
    let mut indent: Option<usize> = None;
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let ind = line.len() - trimmed.len();
        if ind == 0 && !trimmed.is_empty() && !trimmed.starts_with('#') {
            inside = trimmed.starts_with("mutelist:");
            if !trimmed.starts_with('-') {
                offset += line.len();
                continue;
            }
        }
        if inside
            && (trimmed.starts_with("- ") || trimmed.trim_end() == "-")
            && *indent.get_or_insert(ind) == ind
        {
            out.push(offset + ind);
        }
        offset += line.len();
    }
    (out.len() == expected).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rref(id: &str, name: Option<&str>, region: Option<&str>) -> ResourceRef {
        ResourceRef {
            kind: "aws.s3.bucket".into(),
            id: id.into(),
            name: name.map(str::to_string),
            region: region.map(str::to_string),
            account: "111122223333".into(),
            location: None,
        }
    }

    #[test]
    fn entries_match_on_every_form() {
        let text = "mutelist:\n  - check: aws-s3-*\n    resource: site-*\n    scope: 111122223333\n    region: [eu-*, us-east-1]\n    tags: {env: sand*}\n    reason: ok\n";
        let m = Mutelist::parse(text, "m.yaml").expect("valid");
        let e = &m.entries[0];
        assert_eq!(e.line, Some(2));
        let tags: BTreeMap<String, String> = [("env".into(), "sandbox".into())].into();
        let r = rref("arn:aws:s3:::site-a", Some("site-a"), Some("us-east-1"));
        let s = Subject {
            check_id: "aws-s3-bucket-public",
            aliases: &[],
            resource: &r,
            tags: Some(&tags),
        };
        assert!(e.matches(&s));
        assert!(!e.matches(&Subject { tags: None, ..s }));
        let global = rref("arn:aws:s3:::site-a", Some("site-a"), None);
        assert!(!e.matches(&Subject {
            resource: &global,
            ..s
        }));
        let alias = ["aws-s3-old".to_string()];
        assert!(e.matches(&Subject {
            check_id: "x-renamed",
            aliases: &alias,
            ..s
        }));
    }

    #[test]
    fn errors_point_at_the_offending_value() {
        let text = "mutelist:\n  - check: aws-*\n    reason: ok\n    expires: 31/12/2026\n";
        let Err(MutelistError::Invalid(d)) = Mutelist::parse(text, "m.yaml") else {
            panic!("expected an invalid-file error");
        };
        assert_eq!((d.line, d.column), (4, 14), "{}", d.message);
        assert!(d.message.contains("YYYY-MM-DD"));
    }

    #[test]
    fn flow_style_files_parse_without_line_numbers() {
        let m = Mutelist::parse(
            "mutelist: [{check: a-*, reason: r}, {region: x, reason: s}]\n",
            "m.yaml",
        )
        .expect("valid");
        assert_eq!(m.entries.len(), 2);
        assert_eq!(m.locate(1), "m.yaml entry 2");
    }

    #[test]
    fn an_entry_without_matchers_is_rejected() {
        let text = "mutelist:\n  - reason: everything\n";
        let Err(MutelistError::Invalid(d)) = Mutelist::parse(text, "m.yaml") else {
            panic!("expected an invalid-file error");
        };
        assert_eq!(d.line, 2);
    }
}
