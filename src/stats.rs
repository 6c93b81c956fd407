//! `ticky-count --stats`: count, min, mean, percentiles, max and sum of a numeric field per key, in
//! memory that grows with the keys, not with the values.
//!
//! Each key keeps its count, its sum, min and max exactly (as whole billionths, so that sums do not
//! depend on the order of additions), its first [`EXACT`] values exactly, and beyond them a
//! histogram of logarithmic buckets (DDSketch: bucket `i` holds the values in `(γ^(i-1), γ^i]`,
//! γ = (1+α)/(1−α)): any percentile read from it is within α of the true value, relative. Buckets
//! of two parts add up to the buckets of the whole in any order, so partial tables merge exactly
//! (t-digest, the other usual sketch, gives results that depend on the order of merges).

use std::collections::HashMap;
use std::io::Write;

use crate::counter::{decode_key, sort_rows, Filler, KeyFields, Layout};
use crate::csvio::{self, Row};
use crate::error::Result;
use crate::output;

/// Values kept exactly before a key switches to the histogram.
pub const EXACT: usize = 64;

/// The relative accuracy of a percentile read from the histogram: 0.5 %, which leaves room for
/// the six significant digits it is written with within the promised 1 %.
const ALPHA: f64 = 0.005;

/// Numbers are held as whole billionths.
const SCALE: i128 = 1_000_000_000;

/// The percentiles a table has, by nearest rank: the p-th percentile of n values is the value of
/// rank ⌈p·n/100⌉ in ascending order (p95 of 1..100 is 95).
pub const PERCENTILES: [u32; 4] = [50, 90, 95, 99];

/// The columns of a stats table after its key.
pub const COLUMNS: [&str; 9] = ["count", "min", "mean", "p50", "p90", "p95", "p99", "max", "sum"];

/// The columns of a partial stats table after its key: what merges.
pub const PARTIAL_COLUMNS: [&str; 5] = ["count", "sum", "min", "max", "sketch"];

/// Reads a number as billionths: an optional sign, digits with an optional fraction, an optional
/// exponent (`-12`, `0.25`, `1.5e3`). Digits beyond the ninth decimal are rounded half away from
/// zero. `None` for anything else, and for numbers beyond ±10^27.
pub fn parse_number(text: &[u8]) -> Option<i128> {
    // Most numbers in logs are a few digits: no sign, no point.
    if !text.is_empty() && text.len() <= 18 && text.iter().all(u8::is_ascii_digit) {
        return Some(text.iter().fold(0i128, |n, &b| n * 10 + i128::from(b - b'0')) * SCALE);
    }
    let (negative, t) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let int_len = t.iter().take_while(|b| b.is_ascii_digit()).count();
    let (int, rest) = t.split_at(int_len);
    let (frac, rest) = match rest {
        [b'.', r @ ..] => {
            let n = r.iter().take_while(|b| b.is_ascii_digit()).count();
            r.split_at(n)
        }
        _ => (&[][..], rest),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp: i32 = match rest {
        [] => 0,
        [b'e' | b'E', e @ ..] if e.len() <= 4 => std::str::from_utf8(e).ok()?.parse().ok()?,
        _ => return None,
    };
    // The digits as one integer, and where the decimal point falls among them.
    let digits = int.iter().chain(frac).skip_while(|&&b| b == b'0');
    let mut mantissa: i128 = 0;
    for (count, &b) in digits.enumerate() {
        if count == 30 {
            return None;
        }
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    // value = mantissa · 10^(exp − frac.len()); in billionths, · 10^9.
    let shift = exp - frac.len() as i32 + 9;
    let value = if shift >= 0 {
        let factor = 10i128.checked_pow(shift as u32)?;
        mantissa.checked_mul(factor)?
    } else if -shift > 38 {
        0
    } else {
        let div = 10i128.pow((-shift) as u32);
        (mantissa + div / 2) / div
    };
    if value > 1_000_000_000_000_000_000_000_000 * SCALE {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// Writes billionths as a decimal number, without trailing zeros (`12.5`, `-3`).
pub fn write_exact(out: &mut Vec<u8>, value: i128) {
    if value < 0 {
        out.push(b'-');
    }
    let v = value.unsigned_abs();
    let (int, frac) = (v / SCALE as u128, v % SCALE as u128);
    let _ = write!(out, "{int}");
    if frac != 0 {
        let text = format!("{frac:09}");
        let _ = write!(out, ".{}", text.trim_end_matches('0'));
    }
}

/// Writes a computed value (a mean, a percentile from the histogram) with six significant digits
/// and no exponent.
pub fn write_approx(out: &mut Vec<u8>, value: f64) {
    if value == 0.0 || !value.is_finite() {
        out.push(b'0');
        return;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 9) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    out.extend_from_slice(if text == "-0" { b"0" } else { text.as_bytes() });
}

/// The histogram: counts per logarithmic bucket, for positive and negative values, and a count of
/// zeros.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sketch {
    positive: Buckets,
    negative: Buckets,
    zeros: u64,
}

/// Counts of consecutive bucket indexes from `first`: a value's bucket is found by arithmetic, and
/// the range a key's values span (a few thousand buckets for ten decades) bounds the memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Buckets {
    first: i32,
    counts: Vec<u64>,
}

impl Buckets {
    fn add(&mut self, index: i32, n: u64) {
        if self.counts.is_empty() {
            self.first = index;
        }
        if index < self.first {
            let grow = (self.first - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = index;
        }
        let at = (index - self.first) as usize;
        if at >= self.counts.len() {
            self.counts.resize(at + 1, 0);
        }
        self.counts[at] += n;
    }

    /// Non-empty buckets, by index ascending.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(i, &n)| (self.first + i as i32, n))
    }
}

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

/// The bucket of a magnitude in billionths: ⌈ln(v) / ln(γ)⌉.
fn bucket_of(magnitude: u128) -> i32 {
    let x = (magnitude as f64 / SCALE as f64).ln() / gamma().ln();
    // ⌈x⌉ without libm's ceil, which the baseline x86-64 target calls rather than inlines.
    let i = x as i32;
    if (i as f64) < x {
        i + 1
    } else {
        i
    }
}

/// Whole values below this have their bucket looked up: log values are mostly whole numbers (ms,
/// bytes, statuses), and the lookup gives exactly what [`bucket_of`] computes.
const TABULATED: usize = 1 << 16;

fn bucket_of_whole(v: usize) -> i32 {
    static TABLE: std::sync::OnceLock<Box<[i32]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..TABULATED).map(|v| bucket_of(v as u128 * SCALE as u128)).collect())[v]
}

impl Sketch {
    fn add(&mut self, value: i128, n: u64) {
        let magnitude = value.unsigned_abs();
        match value {
            0 => self.zeros += n,
            v => {
                let index = match magnitude % SCALE as u128 {
                    0 if magnitude / (SCALE as u128) < TABULATED as u128 => {
                        bucket_of_whole((magnitude / SCALE as u128) as usize)
                    }
                    _ => bucket_of(magnitude),
                };
                if v > 0 {
                    self.positive.add(index, n)
                } else {
                    self.negative.add(index, n)
                }
            }
        }
    }

    fn absorb(&mut self, other: &Sketch) {
        for (i, n) in other.positive.iter() {
            self.positive.add(i, n);
        }
        for (i, n) in other.negative.iter() {
            self.negative.add(i, n);
        }
        self.zeros += other.zeros;
    }

    /// The value of rank `rank` (from 1): the middle of its bucket, in relative terms.
    fn value_at(&self, rank: u64) -> f64 {
        let middle = |i: i32| 2.0 * gamma().powi(i) / (gamma() + 1.0);
        let mut seen = 0;
        for (i, n) in self.negative.iter().rev() {
            seen += n;
            if seen >= rank {
                return -middle(i);
            }
        }
        seen += self.zeros;
        if seen >= rank {
            return 0.0;
        }
        for (i, n) in self.positive.iter() {
            seen += n;
            if seen >= rank {
                return middle(i);
            }
        }
        f64::NAN
    }
}

/// The values of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Values {
    /// Every value with how many times it came (the first [`EXACT`], or all of them with
    /// `--exact`): a record that stands for a billion events takes one entry.
    Exact(Vec<(i128, u64)>),
    Sketch(Sketch),
}

/// What a key's values make: count, sum, min, max and their distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    count: u64,
    sum: i128,
    min: i128,
    max: i128,
    values: Values,
    /// Keep every value (`--exact`).
    exact: bool,
}

impl Stats {
    pub fn new(exact: bool) -> Stats {
        Stats { count: 0, sum: 0, min: i128::MAX, max: i128::MIN, values: Values::Exact(Vec::new()), exact }
    }

    /// Adds a value `n` times (a record that stands for `n` events).
    pub fn add(&mut self, value: i128, n: u64) {
        self.count += n;
        self.sum = self.sum.saturating_add(value.saturating_mul(n as i128));
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        match &mut self.values {
            Values::Exact(values) if self.exact || self.count <= EXACT as u64 => values.push((value, n)),
            Values::Exact(values) => {
                let mut sketch = Sketch::default();
                for &(v, n) in values.iter() {
                    sketch.add(v, n);
                }
                sketch.add(value, n);
                self.values = Values::Sketch(sketch);
            }
            Values::Sketch(sketch) => sketch.add(value, n),
        }
    }

    /// Adds the values of another part of the input: the result is the same as if they had been
    /// added here, whatever the order.
    pub fn absorb(&mut self, other: &Stats) {
        if other.count == 0 {
            return;
        }
        self.exact |= other.exact;
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        let values = std::mem::replace(&mut self.values, Values::Exact(Vec::new()));
        self.values = match (values, &other.values) {
            (Values::Exact(mut mine), Values::Exact(theirs)) if self.exact || self.count <= EXACT as u64 => {
                mine.extend_from_slice(theirs);
                Values::Exact(mine)
            }
            (mine, theirs) => {
                let mut sketch = Sketch::default();
                for part in [&mine, theirs] {
                    match part {
                        Values::Exact(values) => values.iter().for_each(|&(v, n)| sketch.add(v, n)),
                        Values::Sketch(s) => sketch.absorb(s),
                    }
                }
                Values::Sketch(sketch)
            }
        };
    }

    /// Sorts exact values and joins repeats, so that equal sets of values look the same.
    fn normalize(&mut self) {
        if let Values::Exact(values) = &mut self.values {
            values.sort_unstable();
            values.dedup_by(|later, first| {
                let same = later.0 == first.0;
                if same {
                    first.1 += later.1;
                }
                same
            });
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The memory this key's values take beyond the struct itself.
    pub fn heap_bytes(&self) -> usize {
        match &self.values {
            Values::Exact(v) => v.capacity() * 32,
            Values::Sketch(s) => (s.positive.counts.capacity() + s.negative.counts.capacity()) * 8,
        }
    }

    /// Appends the cells of the table's columns after the key ([`COLUMNS`]); empty cells but the
    /// count for a key without values (an empty time bucket).
    pub fn push_cells(&mut self, cells: &mut Vec<Vec<u8>>) {
        let mut cell = |f: &mut dyn FnMut(&mut Vec<u8>)| {
            let mut c = Vec::new();
            f(&mut c);
            cells.push(c);
        };
        let count = self.count;
        cell(&mut |c| {
            let _ = write!(c, "{count}");
        });
        if count == 0 {
            (1..COLUMNS.len()).for_each(|_| cells.push(Vec::new()));
            return;
        }
        let (min, max, sum) = (self.min, self.max, self.sum);
        cell(&mut |c| write_exact(c, min));
        cell(&mut |c| write_approx(c, sum as f64 / SCALE as f64 / count as f64));
        self.normalize();
        for p in PERCENTILES {
            let rank = (u64::from(p) * count).div_ceil(100).max(1);
            match &self.values {
                Values::Exact(values) => {
                    let mut seen = 0;
                    let found = values.iter().find(|(_, n)| {
                        seen += n;
                        seen >= rank
                    });
                    let v = found.map_or(max, |(v, _)| *v);
                    cell(&mut |c| write_exact(c, v))
                }
                Values::Sketch(_) if rank == count => cell(&mut |c| write_exact(c, max)),
                Values::Sketch(s) => {
                    let v = s.value_at(rank).clamp(min as f64 / SCALE as f64, max as f64 / SCALE as f64);
                    cell(&mut |c| write_approx(c, v))
                }
            }
        }
        cell(&mut |c| write_exact(c, max));
        cell(&mut |c| write_exact(c, sum));
    }

    /// Appends the cells of a partial table ([`PARTIAL_COLUMNS`]): everything that merges. The
    /// sketch cell is `=` and the values ascending (`!` with `--exact`), or `~` and the non-empty
    /// buckets (`p12:3` for bucket 12 of the positive values, `n`, negative, `z`, zeros).
    pub fn push_partial(&mut self, cells: &mut Vec<Vec<u8>>) {
        let mut c = Vec::new();
        let _ = write!(c, "{}", self.count);
        cells.push(std::mem::take(&mut c));
        write_exact(&mut c, self.sum);
        cells.push(std::mem::take(&mut c));
        for v in [self.min, self.max] {
            if self.count > 0 {
                write_exact(&mut c, v);
            }
            cells.push(std::mem::take(&mut c));
        }
        self.normalize();
        match &self.values {
            Values::Exact(values) => {
                c.push(if self.exact { b'!' } else { b'=' });
                for (i, &(v, n)) in values.iter().enumerate() {
                    if i > 0 {
                        c.push(b' ');
                    }
                    write_exact(&mut c, v);
                    if n > 1 {
                        let _ = write!(c, "*{n}");
                    }
                }
            }
            Values::Sketch(s) => {
                c.push(b'~');
                let mut sep = "";
                for (i, n) in s.negative.iter() {
                    let _ = write!(c, "{sep}n{i}:{n}");
                    sep = " ";
                }
                if s.zeros > 0 {
                    let _ = write!(c, "{sep}z:{}", s.zeros);
                    sep = " ";
                }
                for (i, n) in s.positive.iter() {
                    let _ = write!(c, "{sep}p{i}:{n}");
                    sep = " ";
                }
            }
        }
        cells.push(c);
    }

    /// Reads the cells of a partial table's row ([`PARTIAL_COLUMNS`]).
    pub fn from_partial(cells: &[&[u8]]) -> Result<Stats, String> {
        let [count, sum, min, max, sketch] = cells else {
            return Err(format!("a partial stats row has {} cells after its key, not 5", cells.len()));
        };
        let number = |what: &str, cell: &[u8]| {
            parse_number(cell).ok_or_else(|| format!("{what} {:?} is not a number", String::from_utf8_lossy(cell)))
        };
        let count: u64 = std::str::from_utf8(count)
            .ok()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("count {:?} is not a whole number", String::from_utf8_lossy(count)))?;
        let mut stats = Stats::new(sketch.first() == Some(&b'!'));
        if count == 0 {
            return Ok(stats);
        }
        stats.count = count;
        stats.sum = number("sum", sum)?;
        stats.min = number("min", min)?;
        stats.max = number("max", max)?;
        let items = sketch.get(1..).unwrap_or_default().split(|&b| b == b' ').filter(|i| !i.is_empty());
        let bad = || format!("sketch {:?} is not one ticky-count wrote", String::from_utf8_lossy(sketch));
        stats.values = match sketch.first() {
            Some(b'=' | b'!') => Values::Exact(
                items
                    .map(|item| {
                        let (v, n) = match item.iter().position(|&b| b == b'*') {
                            Some(star) => (
                                &item[..star],
                                std::str::from_utf8(&item[star + 1..])
                                    .ok()
                                    .and_then(|n| n.parse().ok())
                                    .ok_or_else(bad)?,
                            ),
                            None => (item, 1),
                        };
                        Ok((number("value", v)?, n))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Some(b'~') => {
                let mut s = Sketch::default();
                for item in items {
                    let text = std::str::from_utf8(item).map_err(|_| bad())?;
                    let (bucket, n) = text.split_once(':').ok_or_else(bad)?;
                    let n: u64 = n.parse().map_err(|_| bad())?;
                    match bucket.split_at(1) {
                        ("z", "") => s.zeros += n,
                        ("p", i) => s.positive.add(i.parse().map_err(|_| bad())?, n),
                        ("n", i) => s.negative.add(i.parse().map_err(|_| bad())?, n),
                        _ => return Err(bad()),
                    }
                }
                Values::Sketch(s)
            }
            _ => return Err(bad()),
        };
        let held = match &stats.values {
            Values::Exact(v) => v.iter().map(|(_, n)| n).sum(),
            Values::Sketch(s) => s.zeros + s.positive.iter().chain(s.negative.iter()).map(|(_, n)| n).sum::<u64>(),
        };
        if held != count {
            return Err(format!("the sketch holds {held} values but the count is {count}"));
        }
        Ok(stats)
    }
}

/// The stats of every key of a table.
pub struct StatsTable {
    /// foldhash, seeded at random, as [`crate::counter::Counter`]'s: keys come from logs.
    index: HashMap<Box<[u8]>, Stats, foldhash::fast::RandomState>,
    exact: bool,
}

impl StatsTable {
    /// A table that keeps every value when `exact` (`--exact`).
    pub fn new(exact: bool) -> StatsTable {
        StatsTable { index: HashMap::default(), exact }
    }

    /// Adds a value to a key (made with [`crate::counter::push_key_field`]); only a new key
    /// allocates.
    pub fn add(&mut self, key: &[u8], value: i128, n: u64) {
        match self.index.get_mut(key) {
            Some(stats) => stats.add(value, n),
            None => {
                let mut stats = Stats::new(self.exact);
                stats.add(value, n);
                self.index.insert(key.into(), stats);
            }
        }
    }

    /// Adds a key's stats read from elsewhere (another part, a partial table).
    pub fn add_stats(&mut self, key: &[u8], stats: &Stats) {
        match self.index.get_mut(key) {
            Some(mine) => mine.absorb(stats),
            None => {
                self.index.insert(key.into(), stats.clone());
            }
        }
    }

    pub fn absorb(&mut self, other: StatsTable) {
        for (key, stats) in other.index {
            match self.index.get_mut(&key) {
                Some(mine) => mine.absorb(&stats),
                None => {
                    self.index.insert(key, stats);
                }
            }
        }
    }

    /// Writes the table ([`COLUMNS`], or with `partial` the mergeable [`PARTIAL_COLUMNS`]) in the
    /// order of `layout`.
    pub fn write(self, header: &Row, layout: &Layout, partial: bool, out: &mut dyn Write) -> Result<()> {
        let mut buf = Vec::with_capacity(64 * 1024);
        csvio::write_row(&mut buf, header.iter());
        let (keys, mut stats): (Vec<Box<[u8]>>, Vec<Stats>) = self.index.into_iter().unzip();
        let mut rows: Vec<(KeyFields<'_>, u64, usize)> =
            keys.iter().enumerate().map(|(i, k)| (decode_key(k), stats[i].count, i)).collect();
        sort_rows(&mut rows, layout);
        let mut filler = Filler::new(layout);
        let mut cells = Vec::new();
        let mut push = |buf: &mut Vec<u8>, key: &[&[u8]], stats: &mut Stats| {
            cells.clear();
            match partial {
                true => stats.push_partial(&mut cells),
                false => stats.push_cells(&mut cells),
            }
            csvio::write_row(buf, key.iter().copied().chain(cells.iter().map(Vec::as_slice)));
        };
        for (key, _, i) in rows {
            if let Some(filler) = &mut filler {
                filler.gaps(key[0], |bucket| {
                    push(&mut buf, &[bucket], &mut Stats::new(self.exact));
                    Ok(())
                })?;
            }
            push(&mut buf, &key, &mut stats[i]);
            output::write_when_full(&mut buf, out)?;
        }
        output::write_and_flush(&buf, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Option<i128> {
        parse_number(text.as_bytes())
    }

    #[test]
    fn numbers_are_read_exactly() {
        assert_eq!(n("12"), Some(12 * SCALE));
        assert_eq!(n("-0.25"), Some(-SCALE / 4));
        assert_eq!(n("1.5e3"), Some(1500 * SCALE));
        assert_eq!(n("2E-3"), Some(2_000_000));
        assert_eq!(n("0.0000000005"), Some(1));
        assert_eq!(n(".5"), Some(SCALE / 2));
        for bad in ["", "-", "1.2.3", "12ms", "NaN", "inf", "1e99", "0x10", "1e"] {
            assert_eq!(n(bad), None, "{bad}");
        }
        let mut out = Vec::new();
        write_exact(&mut out, -12_500_000_000);
        assert_eq!(out, b"-12.5");
    }

    fn cells(stats: &mut Stats) -> Vec<String> {
        let mut cells = Vec::new();
        stats.push_cells(&mut cells);
        cells.into_iter().map(|c| String::from_utf8(c).unwrap()).collect()
    }

    #[test]
    fn whole_values_take_the_bucket_the_logarithm_gives() {
        for v in [1u128, 2, 3, 99, 100, 101, 1000, 4521, 65_535] {
            assert_eq!(bucket_of_whole(v as usize), bucket_of(v * SCALE as u128), "{v}");
            let low = gamma().powi(bucket_of(v * SCALE as u128) - 1);
            let high = gamma().powi(bucket_of(v * SCALE as u128));
            assert!(low < v as f64 * 1.000_000_1 && v as f64 <= high * 1.000_000_1, "{v}: ({low}, {high}]");
        }
    }

    #[test]
    fn nearest_rank_percentiles_of_few_values_are_exact() {
        let mut s = Stats::new(false);
        for v in (1..=50).rev() {
            s.add(v * SCALE, 1);
        }
        assert_eq!(cells(&mut s), ["50", "1", "25.5", "25", "45", "48", "50", "50", "1275"]);
    }

    #[test]
    fn the_histogram_is_within_its_accuracy_and_merges_in_any_order() {
        let values: Vec<i128> = (1..=10_000).map(|i| i * i * SCALE / 7).collect();
        let mut whole = Stats::new(false);
        values.iter().for_each(|&v| whole.add(v, 1));
        let mut parts = [Stats::new(false), Stats::new(false), Stats::new(false)];
        for (i, &v) in values.iter().enumerate() {
            parts[i % 3].add(v, 1);
        }
        let mut merged = Stats::new(false);
        for p in parts.iter().rev() {
            merged.absorb(p);
        }
        assert_eq!(merged, whole);
        let got = cells(&mut whole);
        for (k, p) in PERCENTILES.iter().enumerate() {
            let truth = values[(*p as usize * values.len()).div_ceil(100) - 1] as f64 / SCALE as f64;
            let v: f64 = got[3 + k].parse().unwrap();
            assert!((v - truth).abs() <= truth * 0.01, "p{p}: {v} against {truth}");
        }
        let mut partial = Vec::new();
        whole.push_partial(&mut partial);
        let cells: Vec<&[u8]> = partial.iter().map(Vec::as_slice).collect();
        assert_eq!(Stats::from_partial(&cells).unwrap(), whole);
    }
}
