//! Counts per key, as every counting tool keeps them: each distinct key stored once with its row
//! of counts, so memory grows with distinct keys, never with the input; and the table they make.

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
    /// With [`Counter::remember_last`], the last key added and its place in the counts: records of
    /// a time bucket come one after the other, and then need no hashing.
    /// (`usize::MAX`: no key yet.)
    last: Option<Box<(Vec<u8>, usize)>>,
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
        Counter { width, index: HashMap::default(), counts: Vec::new(), key_bytes: 0, budget, spill: None, last: None }
    }

    /// Keeps the last key added, for keys that come in runs (time buckets): a key the same as the
    /// last one is counted without hashing. Other keys would only pay for the copy.
    pub fn remember_last(&mut self) {
        self.last = Some(Box::new((Vec::new(), usize::MAX)));
    }

    /// Adds `n` to column `col` of the last key added, when [`Counter::remember_last`] keeps one;
    /// `false` when there is none (none yet, or the counts went to the spill since).
    pub fn add_to_last(&mut self, col: usize, n: u64) -> Result<bool> {
        match self.last.as_deref() {
            Some(&(_, base)) if base != usize::MAX => {
                let slot = &mut self.counts[base + col];
                *slot = slot.checked_add(n).ok_or_else(overflow)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Adds `n` to column `col` of `key`. Only a new key allocates.
    pub fn add(&mut self, key: &[u8], col: usize, n: u64) -> Result<()> {
        if let Some(last) = &self.last {
            let (last, base) = &**last;
            if *base != usize::MAX && last[..] == *key {
                let slot = &mut self.counts[base + col];
                *slot = slot.checked_add(n).ok_or_else(overflow)?;
                return Ok(());
            }
        }
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
        if let Some(last) = &mut self.last {
            last.0.clear();
            last.0.extend_from_slice(key);
            last.1 = base;
        }
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
        if let Some(last) = &mut self.last {
            last.1 = usize::MAX;
        }
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

pub fn decode_key(mut key: &[u8]) -> KeyFields<'_> {
    let mut fields = Vec::new();
    while key.len() >= 4 {
        let len = u32::from_le_bytes([key[0], key[1], key[2], key[3]]) as usize;
        fields.push(&key[4..4 + len]);
        key = &key[4 + len..];
    }
    fields
}

/// How a table's rows are ordered and whether its gaps are filled: what `--order` and a time
/// bucket among the key fields (`--by time/1h`) ask.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    /// The key field that is a time bucket, and the bucket's width in seconds: rows are ordered by
    /// it first.
    pub time: Option<(usize, i64)>,
    /// Order by the key fields rather than by count descending (`--order key`).
    pub by_key: bool,
    /// Write a row for each empty bucket between the first and the last (a table whose only key is
    /// a time bucket).
    pub fill: bool,
}

impl Layout {
    /// The layout of a table with these key fields (`time/5m` is a bucket).
    pub fn of(by: &[String], by_key: bool) -> Layout {
        let time = by.iter().enumerate().find_map(|(i, f)| crate::moment::split_bucket(f).map(|(_, w)| (i, w)));
        Layout { time, by_key, fill: time.is_some() && by.len() == 1 }
    }

    /// Whether rows are in the plain order: count descending, then key.
    fn plain(&self) -> bool {
        self.time.is_none() && !self.by_key
    }

    /// The sort key of a row, as text whose byte order is the table's order: the bucket's instant
    /// (20 digits), the total reversed (20 digits) unless ordered by key, then the key fields.
    fn sort_fields(&self, fields: &[&[u8]], total: u64) -> (Option<[u8; 20]>, Option<[u8; 20]>) {
        let digits = |n: u64| {
            let mut d = [b'0'; 20];
            let text = n.to_string();
            d[20 - text.len()..].copy_from_slice(text.as_bytes());
            d
        };
        let time = self.time.map(|(t, _)| digits(bucket_instant(fields[t]).wrapping_add(1 << 62) as u64));
        let total = (!self.by_key).then(|| digits(u64::MAX - total));
        (time, total)
    }
}

/// The instant (UTC seconds) of a bucket's start as the table writes it; a local time counts as
/// UTC (a table's buckets are all local or all with offsets).
fn bucket_instant(text: &[u8]) -> i64 {
    crate::moment::parse_time(text).map_or(i64::MIN / 4, |m| m.wall - i64::from(m.offset.unwrap_or(0)))
}

/// Writes the rows of empty buckets between two rows of a time table.
pub struct Filler {
    width: i64,
    /// The last bucket written: its wall-clock start, offset and instant.
    last: Option<(i64, Option<i32>, i64)>,
    text: Vec<u8>,
    /// Empty buckets still to be written: a log's times are written by anyone, and a few far
    /// apart must not make a table of billions of zero rows.
    left: i64,
}

/// The most empty buckets a table gets.
pub const MAX_FILLED: i64 = 1_000_000;

impl Filler {
    pub fn new(layout: &Layout) -> Option<Filler> {
        layout.time.filter(|_| layout.fill).map(|(_, width)| Filler {
            width,
            last: None,
            text: Vec::new(),
            left: MAX_FILLED,
        })
    }

    /// Calls `empty` with the start of each bucket between the last one and `bucket`.
    pub fn gaps(&mut self, bucket: &[u8], mut empty: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let Some(m) = crate::moment::parse_time(bucket) else { return Ok(()) };
        let instant = m.wall - i64::from(m.offset.unwrap_or(0));
        if let Some((wall, offset, last)) = self.last {
            let steps = (instant - last) / self.width;
            if steps - 1 <= self.left {
                self.left -= (steps - 1).max(0);
                for k in 1..steps {
                    self.text.clear();
                    crate::moment::write_time(wall + k * self.width, offset, &mut self.text);
                    empty(&self.text)?;
                }
            }
        }
        self.last = Some((m.wall, m.offset, instant));
        Ok(())
    }
}

/// Sorts rows into the table's order: `total` is each row's count (the sum of a pivot's).
pub fn sort_rows<T>(rows: &mut Vec<(KeyFields<'_>, u64, T)>, layout: &Layout) {
    if layout.plain() {
        rows.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        return;
    }
    let mut keyed: Vec<_> = std::mem::take(rows).into_iter().map(|r| (layout.sort_fields(&r.0, r.1), r)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1 .0.cmp(&b.1 .0)));
    rows.extend(keyed.into_iter().map(|(_, r)| r));
}

/// Writes the table: the header, then a row per key in the order of `layout` (by default total
/// count descending, then key fields ascending in byte order).
pub fn write_counts(header: &Row, mut counter: Counter, layout: &Layout, out: &mut dyn Write) -> Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    csvio::write_row(&mut buf, header.iter());
    let zeros = vec![0u64; counter.width];
    let mut filler = Filler::new(layout);
    if !counter.spilled() {
        let mut rows: Vec<(KeyFields<'_>, u64, &[u64])> = counter
            .index
            .iter()
            .map(|(key, &base)| {
                let counts = &counter.counts[base..base + counter.width];
                (decode_key(key), counts.iter().sum(), counts)
            })
            .collect();
        sort_rows(&mut rows, layout);
        for (key, _, counts) in rows {
            if let Some(filler) = &mut filler {
                filler.gaps(key[0], |bucket| {
                    push_row(&mut buf, &[bucket], &zeros);
                    Ok(())
                })?;
            }
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
    let mut order: Vec<SortKey> = (0..fields).map(|_| text(false)).collect();
    let prefix = layout.time.is_some() as usize + !layout.by_key as usize;
    order.splice(0..0, (0..prefix).map(|_| text(false)));
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
        let (time, total) = layout.sort_fields(&fields, total);
        for prefix in [time, total].iter().flatten() {
            batch.push_key(Some(prefix));
        }
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
        if let Some(filler) = &mut filler {
            filler.gaps(batch.span(i, prefix).unwrap_or_default(), |bucket| {
                push_row(&mut buf, &[bucket], &zeros);
                Ok(())
            })?;
        }
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
