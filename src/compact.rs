//! Compact findings: the findings of a large scan as 12-byte rows over shared tables
//! (checks, resources, one text arena), for the streamed scan of a saved inventory.
//!
//! A million findings held as [`Finding`]s take most of a gigabyte; as rows, a few
//! tens of megabytes. Stock messages ("no issue found", "field not collected") are not
//! stored at all: the JSON writer renders them as it prints them, and fingerprints are
//! computed there too. The rows sort into the same order as [`ScanReport::new`] sorts
//! findings, and [`CompactFindings::finding`] turns a row back into the [`Finding`] it
//! stands for, so both paths can be compared finding by finding.
//!
//! [`ScanReport::new`]: crate::findings::ScanReport::new

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::checks::Check;
use crate::confirm::{Reproduced, confirmed_message, is_probe, site_of};
use crate::evaluate::{Message, ScopeError, Verdict, missing_message, no_issue_message};
use crate::findings::{Finding, ResourceRef, Status, Summary, Tally, dense_ranks};
use crate::inventory::{Resource, Scope, SourceLocation};

/// No string (a resource without a name or region).
const NONE: u32 = u32::MAX;
/// Message tags, in the top two bits of [`Row::message`].
const TEXT: u32 = 0;
const NO_ISSUE: u32 = 1 << 30;
const MISSING: u32 = 2 << 30;
const TAG: u32 = 3 << 30;

/// One finding: a check on a resource, its status and its message.
#[derive(Debug, Clone, Copy)]
struct Row {
    resource: u32,
    message: u32,
    check: u16,
    status: Status,
}

/// A resource as findings print it; strings are spans of the text arena or interned.
#[derive(Debug)]
struct CompactResource {
    kind: u32,
    region: u32,
    account: u32,
    id: (u32, u32),
    name: (u32, u32),
    location: Option<Box<SourceLocation>>,
}

/// A resource's fields, borrowed from a [`CompactFindings`].
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    /// The kind.
    pub kind: &'a str,
    /// The id.
    pub id: &'a str,
    /// The name, where one exists.
    pub name: Option<&'a str>,
    /// The region, where one applies.
    pub region: Option<&'a str>,
    /// The account, project or org.
    pub account: &'a str,
    /// Where it is declared in source.
    pub location: Option<&'a SourceLocation>,
}

impl<'a> ResourceView<'a> {
    /// The name if there is one, else the id.
    pub fn display_name(&self) -> &'a str {
        self.name.unwrap_or(self.id)
    }
}

/// A finding's message, borrowed: rendered by whoever prints it.
#[derive(Debug, Clone, Copy)]
pub enum MessageView<'a> {
    /// The text.
    Text(&'a str),
    /// "<display name>: no issue found."
    NoIssue(&'a str),
    /// "field `<field>` was not collected for this resource"
    Missing(&'a str),
}

impl MessageView<'_> {
    /// The text.
    pub fn render(&self) -> String {
        match self {
            MessageView::Text(t) => (*t).to_string(),
            MessageView::NoIssue(name) => no_issue_message(name),
            MessageView::Missing(field) => missing_message(field),
        }
    }
}

/// One finding, borrowed from a [`CompactFindings`].
#[derive(Debug, Clone, Copy)]
pub struct FindingView<'a> {
    /// The check.
    pub check: &'a Check,
    /// The outcome.
    pub status: Status,
    /// The resource.
    pub resource: ResourceView<'a>,
    /// The message.
    pub message: MessageView<'a>,
    /// The probe's evidence, for an inside finding an outside probe reproduced.
    pub confirmed_from_outside: Option<&'a str>,
}

/// The findings of one scan, compactly (see the module docs).
#[derive(Debug)]
pub struct CompactFindings {
    checks: Vec<Arc<Check>>,
    /// The indices in `checks` of each kind's checks, in the evaluator's order.
    by_kind: FxHashMap<String, Vec<u16>>,
    resources: Vec<CompactResource>,
    rows: Vec<Row>,
    text: String,
    spans: Vec<(u32, u32)>,
    /// Message texts by hash, to the index in `spans` of their first copy: a text that
    /// many findings share (a check whose message names the account, not the resource)
    /// is kept once.
    text_index: FxHashMap<u64, u32>,
    names: String,
    interned: Vec<Box<str>>,
    intern_index: FxHashMap<Box<str>, u32>,
    fields: Vec<Arc<String>>,
    field_index: FxHashMap<Arc<String>, u32>,
    /// Guest sites' keys by resource, for "confirmed from outside".
    sites: HashMap<u32, String>,
    /// (resource, check) -> the probe's evidence (a span).
    confirmed: HashMap<(u32, u16), u32>,
}

impl CompactFindings {
    /// An empty set for findings of `checks` (at most 65,536 of them).
    pub fn new(checks: &[Arc<Check>]) -> Self {
        let mut by_kind: FxHashMap<String, Vec<u16>> = FxHashMap::default();
        for (i, c) in checks.iter().enumerate() {
            by_kind
                .entry(c.resource_kind.clone())
                .or_default()
                .push(u16::try_from(i).unwrap_or(u16::MAX));
        }
        CompactFindings {
            checks: checks.to_vec(),
            by_kind,
            resources: Vec::new(),
            rows: Vec::new(),
            text: String::new(),
            spans: Vec::new(),
            text_index: FxHashMap::default(),
            names: String::new(),
            interned: Vec::new(),
            intern_index: FxHashMap::default(),
            fields: Vec::new(),
            field_index: FxHashMap::default(),
            sites: HashMap::new(),
            confirmed: HashMap::new(),
        }
    }

    /// How many findings.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The checks findings refer to.
    pub fn checks(&self) -> &[Arc<Check>] {
        &self.checks
    }

    fn put_text(&mut self, s: &str) -> (u32, u32) {
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(s);
        (start, u32::try_from(s.len()).unwrap_or(u32::MAX))
    }

    /// A resource's id or name, kept in their own arena ([`CompactFindings::sort`]
    /// lays it out in report order, so that writing reads it front to back).
    fn put_name(&mut self, s: &str) -> (u32, u32) {
        let start = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push_str(s);
        (start, u32::try_from(s.len()).unwrap_or(u32::MAX))
    }

    fn name(&self, (start, len): (u32, u32)) -> &str {
        &self.names[start as usize..start as usize + len as usize]
    }

    fn span(&self, (start, len): (u32, u32)) -> &str {
        &self.text[start as usize..start as usize + len as usize]
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.intern_index.get(s) {
            return *i;
        }
        let i = u32::try_from(self.interned.len()).unwrap_or(u32::MAX);
        self.interned.push(s.into());
        self.intern_index.insert(s.into(), i);
        i
    }

    fn add_message(&mut self, message: Message) -> u32 {
        match message {
            Message::NoIssue => NO_ISSUE,
            Message::Missing(field) => {
                let next = u32::try_from(self.fields.len()).unwrap_or(0);
                let i = *self.field_index.entry(field.clone()).or_insert(next);
                if i == next {
                    self.fields.push(field);
                }
                MISSING | i
            }
            Message::Text(t) => {
                let hash = {
                    use std::hash::{BuildHasher, Hasher};
                    let mut h = rustc_hash::FxBuildHasher.build_hasher();
                    h.write(t.as_bytes());
                    h.finish()
                };
                if let Some(&i) = self.text_index.get(&hash)
                    && self.span(self.spans[i as usize]) == t
                {
                    return TEXT | i;
                }
                let span = self.put_text(&t);
                let i = u32::try_from(self.spans.len()).unwrap_or(0);
                self.spans.push(span);
                self.text_index.entry(hash).or_insert(i);
                TEXT | i
            }
        }
    }

    fn add_ref(
        &mut self,
        kind: &str,
        id: &str,
        name: Option<&str>,
        region: Option<&str>,
        account: &str,
        location: Option<&SourceLocation>,
    ) -> u32 {
        let entry = CompactResource {
            kind: self.intern(kind),
            region: region.map_or(NONE, |r| self.intern(r)),
            account: self.intern(account),
            id: self.put_name(id),
            name: name.map_or((NONE, 0), |n| self.put_name(n)),
            location: location.cloned().map(Box::new),
        };
        self.resources.push(entry);
        u32::try_from(self.resources.len() - 1).unwrap_or(u32::MAX)
    }

    /// Adds the verdicts of `r`'s checks ([`crate::evaluate::judge`]).
    pub fn add(&mut self, r: &Resource, verdicts: Vec<Verdict>) {
        if verdicts.is_empty() {
            return;
        }
        let resource = self.add_ref(
            &r.kind,
            &r.id,
            r.name.as_deref(),
            r.region.as_deref(),
            &r.scope,
            r.location.as_ref(),
        );
        if let Some(site) = site_of(r) {
            self.sites.insert(resource, site);
        }
        self.push_rows(
            resource,
            &r.kind,
            verdicts.into_iter().map(|v| (v.check, v.status, v.message)),
        );
    }

    /// Adds the rows of one resource: (index of the check among its kind's, status,
    /// message).
    fn push_rows(
        &mut self,
        resource: u32,
        kind: &str,
        rows: impl Iterator<Item = (usize, Status, Message)>,
    ) {
        for (index, status, message) in rows {
            let message = self.add_message(message);
            let check = self
                .by_kind
                .get(kind)
                .and_then(|c| c.get(index).copied())
                .unwrap_or(u16::MAX);
            self.rows.push(Row {
                resource,
                message,
                check,
                status,
            });
        }
    }

    /// Adds the `error` findings of a kind left uncollected.
    pub fn add_scope_error(&mut self, group: &ScopeError<'_>) {
        let r = &group.resource;
        let resource = self.add_ref(
            &r.kind,
            &r.id,
            r.name.as_deref(),
            r.region.as_deref(),
            &r.account,
            r.location.as_ref(),
        );
        let count = group.checks.len();
        self.push_rows(
            resource,
            &r.kind,
            (0..count).map(|i| (i, Status::Error, Message::Text(group.message.clone()))),
        );
    }

    /// Marks the inside findings an outside probe reproduced, as
    /// [`crate::confirm::confirm_from_outside`] does. Call it before [`Self::sort`]: it
    /// uses up the sites noted as resources were added.
    pub fn confirm_from_outside(&mut self) {
        let sites = std::mem::take(&mut self.sites);
        if sites.is_empty() {
            return;
        }
        let check = |row: &Row| self.checks[usize::from(row.check)].id.as_str();
        let mut reproduced = Reproduced::default();
        for row in &self.rows {
            if row.status == Status::Fail
                && is_probe(check(row))
                && let Some(site) = sites.get(&row.resource)
            {
                reproduced.add(check(row), site, self.message(row).render());
            }
        }
        if reproduced.is_empty() {
            return;
        }
        let mut updates = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if row.status == Status::Fail
                && let Some(site) = sites.get(&row.resource)
                && let Some(evidence) = reproduced.confirming(check(row), site)
            {
                let message = confirmed_message(&self.message(row).render(), &evidence);
                updates.push((i, message, evidence));
            }
        }
        for (i, message, evidence) in updates {
            let m = self.add_message(Message::Text(message));
            let row = &mut self.rows[i];
            row.message = m;
            let key = (row.resource, row.check);
            let span = self.put_text(&evidence);
            let s = u32::try_from(self.spans.len()).unwrap_or(0);
            self.spans.push(span);
            self.confirmed.insert(key, s);
        }
    }

    /// Sorts into report order: the order [`crate::findings::ScanReport::new`] gives
    /// the same findings (status, severity, check id, scope, region, kind, resource id;
    /// equal keys in the order they were added).
    pub fn sort(&mut self) {
        let ids: Vec<&str> = self.checks.iter().map(|c| c.id.as_str()).collect();
        let check_rank = dense_ranks(&ids);
        // Resources are put in report order (scope, region, kind, id; equal ones in the
        // order they were added), so that a row's resource index is its rank: rows then
        // sort on one integer each, and are written reading the resources in order.
        // Scopes, regions and kinds are few: compared by the rank of their text.
        let text_rank = dense_ranks(&self.interned);
        let key = |r: &CompactResource| {
            (
                text_rank[r.account as usize],
                if r.region == NONE {
                    0
                } else {
                    1 + u64::from(text_rank[r.region as usize])
                },
                text_rank[r.kind as usize],
                self.name(r.id),
            )
        };
        let mut order: Vec<u32> = (0..u32::try_from(self.resources.len()).unwrap_or(0)).collect();
        order.par_sort_unstable_by(|a, b| {
            key(&self.resources[*a as usize])
                .cmp(&key(&self.resources[*b as usize]))
                .then(a.cmp(b))
        });
        let mut new_index = vec![0u32; self.resources.len()];
        for (new, old) in order.iter().enumerate() {
            new_index[*old as usize] = u32::try_from(new).unwrap_or(u32::MAX);
        }
        let mut slots: Vec<Option<CompactResource>> = std::mem::take(&mut self.resources)
            .into_iter()
            .map(Some)
            .collect();
        self.resources = order
            .iter()
            .filter_map(|old| slots[*old as usize].take())
            .collect();
        drop(slots);
        drop(order);
        let mut names = String::with_capacity(self.names.len());
        for r in &mut self.resources {
            for span in [&mut r.id, &mut r.name] {
                if span.0 != NONE {
                    let (start, len) = (span.0 as usize, span.1 as usize);
                    let at = u32::try_from(names.len()).unwrap_or(u32::MAX);
                    names.push_str(&self.names[start..start + len]);
                    span.0 = at;
                }
            }
        }
        self.names = names;
        self.confirmed = std::mem::take(&mut self.confirmed)
            .into_iter()
            .map(|((r, c), s)| ((new_index[r as usize], c), s))
            .collect();
        self.rows
            .par_iter_mut()
            .for_each(|row| row.resource = new_index[row.resource as usize]);
        let checks = &self.checks;
        // Each (check, resource) pair is one row: keys are unique.
        let sort_key = |r: &Row| {
            let check = usize::from(r.check);
            (r.status as u64) << 61
                | (4 - checks[check].severity as u64) << 58
                | u64::from(check_rank[check]) << 32
                | u64::from(r.resource)
        };
        self.rows.par_sort_unstable_by_key(sort_key);
    }

    fn resource_view(&self, i: u32) -> ResourceView<'_> {
        let r = &self.resources[i as usize];
        ResourceView {
            kind: &self.interned[r.kind as usize],
            id: self.name(r.id),
            name: (r.name.0 != NONE).then(|| self.name(r.name)),
            region: (r.region != NONE).then(|| &*self.interned[r.region as usize]),
            account: &self.interned[r.account as usize],
            location: r.location.as_deref(),
        }
    }

    fn message(&self, row: &Row) -> MessageView<'_> {
        let index = (row.message & !TAG) as usize;
        match row.message & TAG {
            NO_ISSUE => MessageView::NoIssue(self.resource_view(row.resource).display_name()),
            MISSING => MessageView::Missing(&self.fields[index]),
            _ => MessageView::Text(self.span(self.spans[index])),
        }
    }

    /// The finding at `index` (in the current order).
    pub fn get(&self, index: usize) -> FindingView<'_> {
        self.get_indexed(index).1
    }

    /// The finding at `index`, with its check's index in [`CompactFindings::checks`].
    pub fn get_indexed(&self, index: usize) -> (usize, FindingView<'_>) {
        let row = &self.rows[index];
        let view = FindingView {
            check: &self.checks[usize::from(row.check)],
            status: row.status,
            resource: self.resource_view(row.resource),
            message: self.message(row),
            confirmed_from_outside: self
                .confirmed
                .get(&(row.resource, row.check))
                .map(|s| self.span(self.spans[*s as usize])),
        };
        (usize::from(row.check), view)
    }

    /// The finding at `index` as a [`Finding`] (fingerprint included).
    pub fn finding(&self, index: usize) -> Finding {
        let v = self.get(index);
        let r = v.resource;
        let resource = ResourceRef {
            kind: r.kind.to_string(),
            id: r.id.to_string(),
            name: r.name.map(str::to_string),
            region: r.region.map(str::to_string),
            account: r.account.to_string(),
            location: r.location.cloned(),
        };
        let mut f = Finding::new(v.check, Arc::new(resource), v.status, v.message.render());
        f.fingerprint = crate::findings::fingerprint(&f.check_id, &f.resource);
        f.confirmed_from_outside = v.confirmed_from_outside.map(str::to_string);
        f
    }

    /// The counts of a scan covering `scopes`.
    pub fn summary(&self, scopes: &[Scope]) -> Summary {
        // Counted per (account, check, status) first: the summary then adds a few
        // thousand tallies rather than a million findings.
        let mut counts: FxHashMap<(u32, u16, Status), usize> = FxHashMap::default();
        for row in &self.rows {
            let account = self.resources[row.resource as usize].account;
            *counts.entry((account, row.check, row.status)).or_default() += 1;
        }
        let mut tallies: Vec<Tally<'_>> = counts
            .into_iter()
            .map(|((account, check, status), count)| {
                let c = &self.checks[usize::from(check)];
                Tally {
                    provider: c.provider,
                    account: &self.interned[account as usize],
                    status,
                    severity: c.severity,
                    count,
                }
            })
            .collect();
        // The order scopes not listed in the inventory are met in: the findings' order.
        tallies.sort_by_key(|t| (t.account, t.provider, t.status, t.severity));
        Summary::of_tallies(scopes, tallies.into_iter())
    }

    /// The checks at least one finding is of.
    pub fn used_checks(&self) -> Vec<&Arc<Check>> {
        let mut used = vec![false; self.checks.len()];
        for row in &self.rows {
            used[usize::from(row.check)] = true;
        }
        self.checks
            .iter()
            .zip(used)
            .filter_map(|(c, u)| u.then_some(c))
            .collect()
    }
}
