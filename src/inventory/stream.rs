//! Reading a saved inventory without holding it: the document is read in blocks and its
//! resources handed over a batch at a time, so a scan of a large inventory needs memory
//! for its findings, not for the file.
//!
//! [`head`] reads everything but the resources (their evaluation needs the collection
//! errors); [`resources`] then yields the resources. When every other member comes
//! before `resources`, as mamori writes inventories, that is one pass over the file: the
//! head stops at the resources and hands its place on. An inventory that lists its
//! errors after the resources (as mamori wrote them before) takes two passes. Each value
//! is parsed by serde_json from the block it lies in; a value cut by the block's end is
//! read again once the block has grown, so blocks stay about as large as the largest
//! single resource.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use super::{Inventory, Resource};

/// Bytes read from the file at a time.
const BLOCK: usize = 1 << 20;

/// Why an inventory could not be streamed. The caller reads it whole instead, which
/// reports a malformed document with its field and position.
#[derive(Debug)]
pub struct Unstreamable(pub String);

impl<E: std::fmt::Display> From<E> for Unstreamable {
    fn from(e: E) -> Self {
        Unstreamable(e.to_string())
    }
}

/// A JSON document read block by block.
struct Blocks {
    file: File,
    buf: Vec<u8>,
    /// The next unread byte of `buf`.
    at: usize,
    eof: bool,
}

impl Blocks {
    fn open(path: &Path) -> Result<Self, Unstreamable> {
        Ok(Blocks {
            file: File::open(path)?,
            buf: Vec::with_capacity(BLOCK),
            at: 0,
            eof: false,
        })
    }

    /// Drops what was read and appends the next block; false at the end of the file.
    fn fill(&mut self) -> Result<bool, Unstreamable> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.at);
        self.at = 0;
        let len = self.buf.len();
        self.buf.resize(len + BLOCK, 0);
        let n = self.file.read(&mut self.buf[len..])?;
        self.buf.truncate(len + n);
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// The next byte that is not whitespace (not consumed); `None` at the end.
    fn peek(&mut self) -> Result<Option<u8>, Unstreamable> {
        loop {
            while let Some(b) = self.buf.get(self.at) {
                if !b.is_ascii_whitespace() {
                    return Ok(Some(*b));
                }
                self.at += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Consumes `byte` (after whitespace) or fails.
    fn expect(&mut self, byte: u8) -> Result<(), Unstreamable> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.at += 1;
                Ok(())
            }
            other => Err(Unstreamable(format!(
                "expected `{}`, found {:?}",
                char::from(byte),
                other.map(char::from)
            ))),
        }
    }

    /// Parses the next JSON value.
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, Unstreamable> {
        self.peek()?;
        loop {
            let mut values =
                serde_json::Deserializer::from_slice(&self.buf[self.at..]).into_iter::<T>();
            let parsed = values.next();
            let end = self.at + values.byte_offset();
            // A value that ends where the block ends may go on in the next one (a number).
            let complete = end < self.buf.len() || self.eof;
            match parsed {
                Some(Ok(v)) if complete => {
                    self.at = end;
                    return Ok(v);
                }
                Some(Err(e)) if !e.is_eof() => return Err(e.into()),
                _ => {
                    if !self.fill()? {
                        return Err(Unstreamable("unexpected end of the document".into()));
                    }
                }
            }
        }
    }

    /// Reads the top-level object, calling `member` with each key; `member` reads the
    /// value.
    fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, String) -> Result<(), Unstreamable>,
    ) -> Result<(), Unstreamable> {
        self.sequence(b'{', b'}', |doc| {
            let key: String = doc.value()?;
            doc.expect(b':')?;
            member(doc, key)
        })
    }

    /// Reads an array, calling `element` to read each element.
    fn elements(
        &mut self,
        element: impl FnMut(&mut Self) -> Result<(), Unstreamable>,
    ) -> Result<(), Unstreamable> {
        self.sequence(b'[', b']', element)
    }

    /// Reads `open`, items separated by commas (each read by `item`), and `close`.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Unstreamable>,
    ) -> Result<(), Unstreamable> {
        self.expect(open)?;
        if self.peek()? == Some(close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                Some(b',') => self.at += 1,
                Some(b) if b == close => {
                    self.at += 1;
                    return Ok(());
                }
                other => {
                    return Err(Unstreamable(format!(
                        "expected `,` or `{}`, found {:?}",
                        char::from(close),
                        other.map(char::from)
                    )));
                }
            }
        }
    }

    /// Fails unless only whitespace is left.
    fn end(&mut self) -> Result<(), Unstreamable> {
        match self.peek()? {
            None => Ok(()),
            Some(b) => Err(Unstreamable(format!(
                "trailing characters after the document: {:?}",
                char::from(b)
            ))),
        }
    }
}

/// The members of an inventory other than `resources`; when all of them come before
/// it, the document is read in one pass.
const HEAD_MEMBERS: [&str; 5] = ["schema_version", "tool", "collected_at", "scopes", "errors"];

/// An inventory's head: everything but its resources.
pub struct Head {
    /// The inventory, `resources` empty.
    pub inventory: Inventory,
    /// The document positioned at its resources, when the head was read in the same
    /// pass (every other member came before them).
    rest: Option<Rest>,
}

/// The rest of a document whose head has been read, starting at its resources.
pub struct Rest(Blocks);

impl Head {
    /// The inventory, and where its resources start when they are read in the same pass.
    pub fn split(self) -> (Inventory, Option<Rest>) {
        (self.inventory, self.rest)
    }
}

/// The inventory at `path` without its resources (`resources` is empty), checked as
/// [`Inventory::from_json`] checks it, except for the resources.
pub fn head(path: &Path) -> Result<Head, Unstreamable> {
    let mut doc = Blocks::open(path)?;
    let mut members = serde_json::Map::new();
    let mut rest = false;
    doc.expect(b'{')?;
    if doc.peek()? == Some(b'}') {
        return Err(Unstreamable("no `resources`".into()));
    }
    loop {
        let key: String = doc.value()?;
        doc.expect(b':')?;
        if key == "resources" {
            members.insert(key, Value::Array(Vec::new()));
            if HEAD_MEMBERS.iter().all(|m| members.contains_key(*m)) {
                rest = true;
                break;
            }
            doc.elements(|doc| doc.value::<IgnoredAny>().map(drop))?;
        } else {
            members.insert(key, doc.value::<Value>()?);
        }
        match doc.peek()? {
            Some(b',') => doc.at += 1,
            Some(b'}') => {
                doc.at += 1;
                break;
            }
            other => {
                return Err(Unstreamable(format!(
                    "expected `,` or `}}`, found {:?}",
                    other.map(char::from)
                )));
            }
        }
    }
    if !rest {
        doc.end()?;
    }
    if !members.contains_key("resources") {
        return Err(Unstreamable("no `resources`".into()));
    }
    let text = serde_json::to_string(&members)?;
    let inventory =
        Inventory::from_json(&text, &path.display().to_string()).map_err(Unstreamable::from)?;
    Ok(Head {
        inventory,
        rest: rest.then_some(Rest(doc)),
    })
}

/// Hands the resources of the inventory at `path` to `batch`, `size` at a time, in
/// document order: from `rest` when the head was read in the same pass (then nothing
/// may follow the resources), else from a second pass over the file.
pub fn resources(
    path: &Path,
    rest: Option<Rest>,
    size: usize,
    mut batch: impl FnMut(Vec<Resource>),
) -> Result<(), Unstreamable> {
    let mut pending: Vec<Resource> = Vec::with_capacity(size);
    let mut element = |doc: &mut Blocks| {
        pending.push(doc.value()?);
        if pending.len() == size {
            batch(std::mem::replace(&mut pending, Vec::with_capacity(size)));
        }
        Ok(())
    };
    match rest {
        Some(Rest(mut doc)) => {
            doc.elements(&mut element)?;
            // The head was taken before the resources: a member after them would
            // have been missed (or repeated one).
            if doc.peek()? != Some(b'}') {
                return Err(Unstreamable("a member after `resources`".into()));
            }
            doc.at += 1;
            doc.end()?;
        }
        None => {
            let mut doc = Blocks::open(path)?;
            doc.members(|doc, key| {
                if key != "resources" {
                    return doc.value::<IgnoredAny>().map(drop);
                }
                doc.elements(&mut element)
            })?;
        }
    }
    if !pending.is_empty() {
        batch(pending);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    fn inventory(n: usize) -> Inventory {
        let mut inv = Inventory::new();
        inv.collected_at = "2026-01-01T00:00:00Z".into();
        inv.scopes.push(super::super::Scope {
            provider: super::super::Provider::Aws,
            id: "123".into(),
            name: None,
            regions: vec![],
            attributes: Default::default(),
        });
        for i in 0..n {
            inv.resources.push(
                Resource::new(
                    super::super::Provider::Aws,
                    "aws.s3.bucket",
                    "123",
                    format!("b{i}"),
                    &serde_json::json!({"n": i, "text": "x\"y".repeat(i % 7), "list": [1, 2.5, -3e2]}),
                )
                .named(format!("bucket {i}")),
            );
        }
        inv
    }

    #[test]
    fn resources_come_in_batches_in_order_whatever_the_block_boundaries() {
        let inv = inventory(2500);
        let compact = serde_json::to_string(&inv).unwrap();
        // As mamori wrote inventories before: the errors after the resources.
        let mut old: serde_json::Map<String, Value> = serde_json::from_str(&compact).unwrap();
        let errors = old.remove("errors").unwrap();
        old.insert("errors".into(), errors);
        let old = serde_json::to_string(&old).unwrap();
        assert!(old.find("\"errors\"") > old.find("\"resources\""));
        for (text, one_pass) in [(inv.to_json(), true), (compact, true), (old, false)] {
            let f = write(&text);
            let (head, rest) = head(f.path()).unwrap().split();
            assert_eq!(rest.is_some(), one_pass);
            assert_eq!(head.scopes, inv.scopes);
            assert!(head.resources.is_empty());
            let mut seen = Vec::new();
            let mut sizes = Vec::new();
            resources(f.path(), rest, 1000, |b| {
                sizes.push(b.len());
                seen.extend(b);
            })
            .unwrap();
            assert_eq!(sizes, [1000, 1000, 500]);
            let ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
            let want: Vec<&str> = inv.resources.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, want);
            assert_eq!(seen[17].data.get(), inv.resources[17].data.get());
        }
    }

    #[test]
    fn members_in_any_order_and_malformed_documents() {
        let f = write(
            r#"{"resources": [], "errors": [], "scopes": [], "collected_at": "x", "tool": {"name": "mamori", "version": "0"}, "schema_version": 1}"#,
        );
        assert!(head(f.path()).is_ok());
        // Read in one pass, a member after the resources is an error when they are read.
        let f = write(
            r#"{"errors": [], "scopes": [], "collected_at": "x", "tool": {"name": "mamori", "version": "0"}, "schema_version": 1, "resources": [], "errors": []}"#,
        );
        let (_, rest) = head(f.path()).unwrap().split();
        assert!(rest.is_some());
        assert!(resources(f.path(), rest, 10, drop).is_err());
        for bad in [
            "",
            "{",
            r#"{"schema_version": 1,}"#,
            r#"{"schema_version": 1} x"#,
            r#"{"schema_version": 1, "tool": {"name": "mamori", "version": "0"}, "collected_at": "x", "scopes": []}"#,
            r#"{"schema_version": 99, "tool": {"name": "mamori", "version": "0"}, "collected_at": "x", "scopes": [], "resources": []}"#,
        ] {
            assert!(head(write(bad).path()).is_err(), "{bad}");
        }
    }
}
