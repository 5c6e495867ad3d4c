//! Shapes shared by the AWS collector and the Terraform plan mapping (no SDK types), so
//! both emit exactly the same data for a kind.

use serde_json::{Map, Value, json};

/// The `open_ingress` entries (rules open to `0.0.0.0/0` or `::/0`) of one security
/// group's normalized ingress rules.
pub fn open_ingress(group_id: &str, rules: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for r in rules {
        let sources = r["ipv4_ranges"]
            .as_array()
            .into_iter()
            .chain(r["ipv6_ranges"].as_array())
            .flatten()
            .filter(|c| *c == "0.0.0.0/0" || *c == "::/0");
        for src in sources {
            let mut o = Map::new();
            o.insert("group_id".into(), json!(group_id));
            for k in ["protocol", "from_port", "to_port"] {
                if let Some(v) = r.get(k) {
                    o.insert(k.into(), v.clone());
                }
            }
            o.insert("source".into(), src.clone());
            out.push(Value::Object(o));
        }
    }
    out
}

/// CloudTrail read/write coverage of an event selector, as flags.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadWrite {
    /// Read events are logged.
    pub read: bool,
    /// Write events are logged.
    pub write: bool,
}

impl ReadWrite {
    /// Adds a classic selector's `ReadWriteType` (`ReadOnly`, `WriteOnly`, else all).
    pub fn add(&mut self, read_write_type: Option<&str>) {
        match read_write_type {
            Some("ReadOnly") => self.read = true,
            Some("WriteOnly") => self.write = true,
            _ => {
                self.read = true;
                self.write = true;
            }
        }
    }

    /// Adds an advanced selector's `readOnly` condition (`None`: both).
    pub fn add_read_only(&mut self, read_only: Option<bool>) {
        self.add(match read_only {
            Some(true) => Some("ReadOnly"),
            Some(false) => Some("WriteOnly"),
            None => None,
        });
    }

    /// `All`, `ReadOnly`, `WriteOnly` or `None`, as the kinds document it.
    pub fn label(self) -> &'static str {
        match (self.read, self.write) {
            (true, true) => "All",
            (true, false) => "ReadOnly",
            (false, true) => "WriteOnly",
            (false, false) => "None",
        }
    }
}
