//! Counts per key, as every counting tool keeps them: each distinct key stored once with its row
//! of counts, so memory grows with distinct keys, never with the input; and the table they make.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Write;

use crate::csvio::{self, Row};
use crate::error::{Error, Result};
use crate::output;
use crate::sort::{SortKey, Sorter};

/// Counts per key: each distinct key is stored once, with `width` counts. Beyond a memory budget
/// the counts go to a temporary file, sorted by key ([`Sorter`]), and the table is made by merging
/// them: exact counts of any number of keys in bounded memory.
pub struct Counter {
    pub width: usize,
    /// foldhash, seeded at random per process: keys come from logs that anyone can write, so a
    /// fixed seed would let them collide on purpose; SipHash, std's default, took a fifth of the
    /// time of counting a raw log.
    index: HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
    counts: Vec<u64>,
    /// What the keys' bytes take ([`key_allocation`]).
    key_bytes: usize,
    /// The memory this counter may take: its keys (three quarters) and the batch of its spill.
    budget: usize,
    /// Counts written out, by key: a key may be in several runs, each with part of its counts.
    spill: Option<Sorter<'static>>,
}

/// The order of spilled counts: by key, as bytes.
static BY_KEY: [SortKey; 1] = [SortKey { column: String::new(), numeric: false, reverse: false }];

/// The memory a key's bytes take: an allocation of at least 32 bytes, in steps of 16, with 8 of
/// them the allocator's (glibc's malloc, as measured).
fn key_allocation(key: &[u8]) -> usize {
    (key.len() + 8).next_multiple_of(16).max(32)
}

/// The memory of a hash table with room for `capacity` keys: it holds at most 7/8 of its slots,
/// each a key's pointer and length, its place in the counts, and a byte of control.
fn table_bytes(capacity: usize) -> usize {
    capacity / 7 * 8 * (std::mem::size_of::<(Box<[u8]>, usize)>() + 1)
}

impl Counter {
    /// A counter that keeps every key in memory.
    pub fn new(width: usize) -> Counter {
        Counter::with_budget(width, usize::MAX)
    }

    /// A counter that takes about `budget` bytes at most, spilling to a temporary file beyond.
    pub fn with_budget(width: usize, budget: usize) -> Counter {
        Counter { width, index: HashMap::default(), counts: Vec::new(), key_bytes: 0, budget, spill: None }
    }

    /// Adds `n` to column `col` of `key`. Only a new key allocates.
    pub fn add(&mut self, key: &[u8], col: usize, n: u64) -> Result<()> {
        let base = match self.index.get(key) {
            Some(&base) => base,
            None => {
                if self.growth_peak(key) > self.budget / 4 * 3 {
                    // The room the keys had is theirs again: filled as far, not grown step by step.
                    let (table, counts) = (self.index.capacity(), self.counts.capacity());
                    self.spill()?;
                    self.index.reserve(table);
                    self.counts.reserve(counts);
                }
                let base = self.counts.len();
                self.counts.resize(base + self.width, 0);
                self.index.insert(key.into(), base);
                self.key_bytes += key_allocation(key);
                base
            }
        };
        let slot = &mut self.counts[base + col];
        *slot = slot.checked_add(n).ok_or_else(overflow)?;
        Ok(())
    }

    /// The memory the keys and counts would take at the peak of adding `key`: when the table or
    /// the counts are full, the old and the new, twice as large, are both held while they move.
    fn growth_peak(&self, key: &[u8]) -> usize {
        let (table, counts) = (self.index.capacity(), self.counts.capacity() * 8);
        let table = match self.index.len() == table {
            true => table_bytes(table) + table_bytes(2 * table.max(3)),
            false => table_bytes(table),
        };
        let counts = match self.counts.len() + self.width > self.counts.capacity() {
            true => counts + 2 * counts.max(8 * self.width),
            false => counts,
        };
        self.key_bytes + key_allocation(key) + table + counts
    }

    /// Writes the keys in memory and their counts to the spill, and frees their memory.
    fn spill(&mut self) -> Result<()> {
        let buffer = (self.budget / 8).max(1);
        let sorter = self.spill.get_or_insert_with(|| Sorter::new(&BY_KEY, buffer));
        let counts = std::mem::take(&mut self.counts);
        for (key, base) in std::mem::take(&mut self.index) {
            let batch = sorter.batch();
            batch.push_key(Some(&key));
            batch.push_record(|out| {
                for n in &counts[base..base + self.width] {
                    out.extend_from_slice(&n.to_le_bytes());
                }
            });
            sorter.pushed()?;
        }
        self.key_bytes = 0;
        Ok(())
    }

    /// Adds every count of `other`, a counter of the same width.
    pub fn absorb(&mut self, other: Counter) -> Result<()> {
        if let Some(theirs) = other.spill {
            match &mut self.spill {
                Some(mine) => mine.absorb(theirs)?,
                None => self.spill = Some(theirs),
            }
        }
        for (key, &base) in &other.index {
            for (col, &n) in other.counts[base..base + other.width].iter().enumerate() {
                if n > 0 {
                    self.add(key, col, n)?;
                }
            }
        }
        Ok(())
    }

    /// Whether some counts went to a temporary file.
    pub fn spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Rows ordered by total count descending, then by key fields ascending (byte order), of a
    /// counter that did not spill.
    fn sorted(&self) -> Vec<(KeyFields<'_>, &[u64])> {
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

fn overflow() -> Error {
    Error::Failed("a count overflowed 64 bits".into())
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

/// Writes the table: the header, then a row per key, by total count descending, then by key fields
/// ascending (byte order).
pub fn write_counts(header: &Row, mut counter: Counter, out: &mut dyn Write) -> Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    csvio::write_row(&mut buf, header.iter());
    if !counter.spilled() {
        for (key, counts) in counter.sorted() {
            push_row(&mut buf, &key, counts);
            output::write_when_full(&mut buf, out)?;
        }
        return output::write_and_flush(&buf, out);
    }
    // The spilled counts, merged by key, summed, then sorted into the table's order: the total
    // (20 digits, so that text order is numeric order) reversed, then the key fields.
    counter.spill()?;
    let runs = counter.spill.take().expect("spilled");
    let fields = header.len() - counter.width;
    let text = |reverse| SortKey { column: String::new(), numeric: false, reverse };
    let order: Vec<SortKey> = std::iter::once(text(true)).chain((0..fields).map(|_| text(false))).collect();
    let mut table = Sorter::new(&order, (counter.budget / 4).max(1));
    let mut last: Option<Vec<u8>> = None;
    let mut sums = vec![0u64; counter.width];
    let mut row = Vec::new();
    let mut emit = |table: &mut Sorter<'_>, key: &[u8], sums: &[u64]| -> Result<()> {
        let total = sums.iter().try_fold(0u64, |t, &n| t.checked_add(n)).ok_or_else(overflow)?;
        let fields = decode_key(key);
        row.clear();
        push_row(&mut row, &fields, sums);
        let batch = table.batch();
        batch.push_key(Some(format!("{total:020}").as_bytes()));
        for field in fields {
            batch.push_key(Some(field));
        }
        batch.push_record(|out| out.extend_from_slice(&row));
        table.pushed()
    };
    runs.finish_each(|batch, i| {
        let key = batch.span(i, 0).unwrap_or_default();
        match &mut last {
            Some(last) if last.as_slice() == key => {}
            _ => {
                if let Some(last) = &last {
                    emit(&mut table, last, &sums)?;
                }
                last = Some(key.to_vec());
                sums.fill(0);
            }
        }
        for (sum, n) in sums.iter_mut().zip(batch.record(i).chunks_exact(8)) {
            *sum = sum.checked_add(u64::from_le_bytes(n.try_into().expect("8 bytes"))).ok_or_else(overflow)?;
        }
        Ok(())
    })?;
    if let Some(last) = &last {
        emit(&mut table, last, &sums)?;
    }
    table.finish_each(|batch, i| {
        buf.extend_from_slice(batch.record(i));
        output::write_when_full(&mut buf, out)
    })?;
    output::write_and_flush(&buf, out)
}

/// Appends a row of the table: the key's fields, then its counts.
fn push_row(buf: &mut Vec<u8>, key: &[&[u8]], counts: &[u64]) {
    // Output is per distinct key, so formatting the numbers as strings costs nothing that matters.
    let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
    csvio::write_row(buf, key.iter().copied().chain(counts.iter().map(|c| c.as_bytes())));
}
