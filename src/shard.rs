//! `--shard I/N`: a deterministic 1/N of the scopes (GCP projects, AWS accounts of an
//! organization, Salesforce orgs), so N copies of one command, each with its own
//! I, cover everything without overlap, and `mamori merge` joins their reports. A scope
//! belongs to shard `1 + (first 8 bytes of SHA-256(scope id)) mod N`: it does not depend
//! on the order or on which other scopes exist, so a scope never moves when others come or go.

use sha2::{Digest, Sha256};

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not I/N (e.g. 2/4)"))?;
        // `K+1/N`: a 0-based index as job engines hand it out (Kubernetes expands
        // `$(JOB_COMPLETION_INDEX)+1/4` to `0+1/4`), made 1-based.
        let (i, plus) = match i.trim().strip_suffix("+1") {
            Some(k) => (k, 1),
            None => (i, 0),
        };
        let index: u64 = i
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("`{i}` is not a number"))?
            + plus;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {index}/{count}: I must be between 1 and N"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Parses `I/N` (1-based), or `K+1/N` for a 0-based `K` (a Kubernetes Indexed Job's
    /// `$(JOB_COMPLETION_INDEX)+1/N`, a matrix index).
    pub fn parse(s: &str) -> Result<Self, String> {
        s.parse()
    }

    /// Whether `scope_id` belongs to this shard.
    pub fn owns(&self, scope_id: &str) -> bool {
        let digest = Sha256::digest(scope_id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count + 1 == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_is_in_exactly_one_shard() {
        let ids: Vec<String> = (0..500).map(|i| format!("project-{i}")).collect();
        for n in 1..=7 {
            let shards: Vec<Shard> = (1..=n).map(|i| Shard { index: i, count: n }).collect();
            let mut sizes = vec![0usize; n as usize];
            for id in &ids {
                let owners: Vec<usize> = shards
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.owns(id))
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(owners.len(), 1, "{id} in {owners:?} of {n}");
                sizes[owners[0]] += 1;
            }
            // Roughly even.
            assert!(
                sizes.iter().all(|s| *s * (n as usize) > ids.len() / 2),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn parsing() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("1-4").is_err());
        assert_eq!(Shard::parse("0+1/4"), Ok(Shard { index: 1, count: 4 }));
        assert_eq!(Shard::parse("3+1/4"), Ok(Shard { index: 4, count: 4 }));
        assert!(Shard::parse("4+1/4").is_err());
    }
}
