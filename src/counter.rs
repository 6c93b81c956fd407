//! Counts per key, as every counting tool keeps them: each distinct key stored once with its row
//! of counts, so memory grows with distinct keys, never with the input; and the table they make.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Write;

use crate::csvio::{self, Row};
use crate::error::{Error, Result};
use crate::output;

/// Counts per key: each distinct key is stored once, with `width` counts.
pub struct Counter {
    pub width: usize,
    /// foldhash, seeded at random per process: keys come from logs that anyone can write, so a
    /// fixed seed would let them collide on purpose; SipHash, std's default, took a fifth of the
    /// time of counting a raw log.
    index: HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
    counts: Vec<u64>,
}

impl Counter {
    pub fn new(width: usize) -> Counter {
        Counter { width, index: HashMap::default(), counts: Vec::new() }
    }

    /// Adds `n` to column `col` of `key`. Only a new key allocates.
    pub fn add(&mut self, key: &[u8], col: usize, n: u64) -> Result<()> {
        let base = match self.index.get(key) {
            Some(&base) => base,
            None => {
                let base = self.counts.len();
                self.counts.resize(base + self.width, 0);
                self.index.insert(key.into(), base);
                base
            }
        };
        let slot = &mut self.counts[base + col];
        *slot = slot.checked_add(n).ok_or_else(|| Error::Failed("a count overflowed 64 bits".into()))?;
        Ok(())
    }

    /// Adds every count of `other`, a counter of the same width.
    pub fn absorb(&mut self, other: &Counter) -> Result<()> {
        for (key, &base) in &other.index {
            for (col, &n) in other.counts[base..base + other.width].iter().enumerate() {
                if n > 0 {
                    self.add(key, col, n)?;
                }
            }
        }
        Ok(())
    }

    /// Rows ordered by total count descending, then by key fields ascending (byte order).
    pub fn sorted(&self) -> Vec<(KeyFields<'_>, &[u64])> {
        let mut rows: Vec<(u64, KeyFields<'_>, &[u64])> = self
            .index
            .iter()
            .map(|(key, &base)| {
                let counts = &self.counts[base..base + self.width];
                (counts.iter().sum(), decode_key(key), counts)
            })
            .collect();
        rows.sort_unstable_by(|a, b| match b.0.cmp(&a.0) {
            Ordering::Equal => a.1.cmp(&b.1),
            other => other,
        });
        rows.into_iter().map(|(_, key, counts)| (key, counts)).collect()
    }
}

/// The fields of one key, in `--by` order.
pub type KeyFields<'a> = Vec<&'a [u8]>;

/// Keys are the key fields, each prefixed with its length, so that any bytes may appear in them.
pub fn push_key_field(key: &mut Vec<u8>, field: &[u8]) {
    key.extend_from_slice(&(field.len() as u32).to_le_bytes());
    key.extend_from_slice(field);
}

fn decode_key(mut key: &[u8]) -> KeyFields<'_> {
    let mut fields = Vec::new();
    while key.len() >= 4 {
        let len = u32::from_le_bytes([key[0], key[1], key[2], key[3]]) as usize;
        fields.push(&key[4..4 + len]);
        key = &key[4 + len..];
    }
    fields
}

/// Writes the table: the header, then a row per key in the order of [`Counter::sorted`].
pub fn write_counts(header: &Row, counter: &Counter, out: &mut dyn Write) -> Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    csvio::write_row(&mut buf, header.iter());
    for (key, counts) in counter.sorted() {
        // Output is per distinct key, so formatting the numbers as strings costs nothing that matters.
        let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
        csvio::write_row(&mut buf, key.iter().copied().chain(counts.iter().map(|c| c.as_bytes())));
        output::write_when_full(&mut buf, out)?;
    }
    output::write_and_flush(&buf, out)
}
