//! `ticky-sort`: sorts CSV rows (the header stays first) or JSON Lines records by named columns,
//! stably, each key text by bytes or numeric, ascending or reversed. Input of any size sorts in
//! bounded memory: what does not fit the buffer goes to a temporary file in sorted runs, which are
//! merged at the end, as sort(1) does.

use std::cmp::{Ordering, Reverse};
use std::collections::binary_heap::{BinaryHeap, PeekMut};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use crate::csvio::{self, Row};
use crate::error::{shown, Error, Result, SHOWN};
use crate::input::{self, LineReader};
use crate::json::Fields;
use crate::output;
use crate::record;
use crate::tmpfile;

/// One `--by COL[:MODS]` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub column: String,
    pub numeric: bool,
    pub reverse: bool,
}

impl SortKey {
    /// Parses `Count:nr`: a column name, then optional modifiers `n` (numeric) and `r` (reverse).
    pub fn parse(spec: &str) -> Result<SortKey> {
        let (column, mods) = match spec.rsplit_once(':') {
            Some((c, m)) if m.chars().all(|c| c == 'n' || c == 'r') => (c, m),
            _ => (spec, ""),
        };
        if column.is_empty() {
            return Err(Error::usage(format!("--by {spec:?}: a column name is needed before the ':'")));
        }
        Ok(SortKey { column: column.to_string(), numeric: mods.contains('n'), reverse: mods.contains('r') })
    }

    /// For a key that names no column: what follows a `:` was taken as part of the name because
    /// it is not a modifier (a name may contain `:`), which is likely not what was meant.
    fn modifier_hint(&self) -> &'static str {
        if self.column.contains(':') {
            " (the modifiers after ':' are n and r)"
        } else {
            ""
        }
    }

    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        let order = if self.numeric { compare_numbers(a, b) } else { a.cmp(b) };
        if self.reverse {
            order.reverse()
        } else {
            order
        }
    }
}

/// Numbers in numeric order; text that is not a number sorts after every number, by bytes.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn number(b: &[u8]) -> Option<f64> {
    let n: f64 = std::str::from_utf8(b).ok()?.trim().parse().ok()?;
    (!n.is_nan()).then_some(n)
}

/// Records held in memory before they are sorted and written to a temporary file as one run, unless
/// `--buffer-size` says otherwise.
pub const DEFAULT_BUFFER: usize = 8 << 20;

/// At most this many runs are merged at once, each read through a buffer of [`RUN_READ_BUFFER`];
/// more runs are first merged in groups into longer ones.
const MERGE_WAYS: usize = 256;
const RUN_READ_BUFFER: usize = 8 * 1024;

/// Returns warnings for standard error: keys sorted as text whose values are all numbers.
/// Records and rows longer than those of lines of `max_line` bytes are refused.
pub fn run(
    keys: &[SortKey],
    buffer: usize,
    max_line: usize,
    paths: &[String],
    out: &mut impl Write,
) -> Result<Vec<String>> {
    if keys.is_empty() {
        return Err(Error::usage("--by COL[:MODS] is required"));
    }
    let Some(first) = paths.first() else { return Ok(Vec::new()) };
    let first = input::open(first)?;
    let name = first.name.clone();
    let mut reader = first.buffered();
    let start = reader.fill_buf().map_err(|e| Error::io(format!("reading {name}"), e))?;
    let start = start.strip_prefix(input::UTF8_BOM).unwrap_or(start);
    let json = start.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    // The first input goes on from where it stands, its buffer and all: standard input cannot be
    // opened twice.
    let mut inputs = vec![input::Input { name, reader: Box::new(reader), modified: None }];
    for path in &paths[1..] {
        inputs.push(input::open(path)?);
    }
    let mut sorter = Sorter::new(keys, buffer);
    let mut buf = Vec::with_capacity(2 * output::OUTPUT_BUFFER);
    let max = input::record_limit(max_line);
    if json {
        sort_json(&mut sorter, inputs, max)?;
    } else {
        let Some(header) = sort_csv(&mut sorter, inputs, max)? else { return Ok(Vec::new()) };
        csvio::write_row(&mut buf, header.iter());
    }
    let warnings = sorter.warnings();
    sorter.finish(&mut buf, out)?;
    output::write_and_flush(&buf, out)?;
    Ok(warnings)
}

/// Hands every CSV row to the sorter; returns the header.
fn sort_csv(sorter: &mut Sorter<'_>, inputs: Vec<input::Input>, max_row: usize) -> Result<Option<Row>> {
    let keys = sorter.keys;
    let mut columns: Option<Vec<usize>> = None;
    let hint = "ticky-sort sorts CSV tables and JSON Lines records (a file whose first byte is '{'); \
                parse a log first with ticky-parse";
    let header = csvio::each_row(inputs, hint, max_row, |header, row| {
        let columns = match &columns {
            Some(c) => c,
            None => columns.insert(key_columns(keys, header)?),
        };
        for (i, &c) in columns.iter().enumerate() {
            sorter.see(i, Some(row.get(c)));
        }
        let batch = sorter.batch();
        for &c in columns.iter() {
            batch.push_key(Some(row.get(c)));
        }
        batch.push_record(|out| csvio::write_row(out, row.iter()));
        sorter.pushed()
    })?;
    if let Some(header) = &header {
        // A header without rows still has to have the columns asked for.
        key_columns(keys, header)?;
    }
    Ok(header)
}

/// Where each key's column is in the header; an unknown column is a usage error.
fn key_columns(keys: &[SortKey], header: &Row) -> Result<Vec<usize>> {
    keys.iter()
        .map(|k| {
            header.iter().position(|c| c == k.column.as_bytes()).ok_or_else(|| {
                // The header is input: each name shown safely, and not too many of them.
                let mut names: Vec<String> = header.iter().take(20).map(|c| shown(c, 60)).collect();
                if header.len() > 20 {
                    names.push(format!("and {} more", header.len() - 20));
                }
                Error::usage(format!(
                    "--by {}: no such column; the columns are: {}{}",
                    shown(k.column.as_bytes(), SHOWN),
                    names.join(", "),
                    k.modifier_hint()
                ))
            })
        })
        .collect()
}

/// Hands every JSON Lines record to the sorter, as it came.
fn sort_json(sorter: &mut Sorter<'_>, inputs: Vec<input::Input>, max_record: usize) -> Result<()> {
    let keys = sorter.keys;
    let mut fields = Fields::new(keys.iter().map(|k| k.column.clone()).collect());
    let mut seen = vec![false; keys.len()];
    let mut first_keys: Option<Vec<String>> = None;
    for input in inputs {
        let mut reader = LineReader::new(input.reader, &input.name);
        reader.set_max_line(max_record);
        let max = reader.max_line();
        while let Some(l) = reader.next_line_info()? {
            let (number, line) = (l.number, l.text);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Some(length) = l.cut {
                return Err(crate::count::record_too_long(&input.name, number, length, max, true));
            }
            fields.read(line).map_err(|msg| Error::input(&input.name, number, msg))?;
            if first_keys.is_none() {
                first_keys = Some(top_level_keys(line));
            }
            for i in 0..keys.len() {
                sorter.see(i, fields.get(i));
            }
            let batch = sorter.batch();
            for (i, seen) in seen.iter_mut().enumerate() {
                let value = fields.get(i);
                *seen |= value.is_some();
                batch.push_key(value);
            }
            batch.push_record(|out| {
                out.extend_from_slice(line);
                out.push(b'\n');
            });
            sorter.pushed()?;
        }
    }
    // A field that no record has is a typo, unless ticky-parse writes it: a day without errors
    // has no `error` field anywhere, and its records sorted by error are simply all equal.
    let unknown = seen.iter().zip(keys).position(|(&seen, k)| !seen && !record::is_key(k.column.as_bytes()));
    if let (Some(first), Some(i)) = (first_keys, unknown) {
        return Err(Error::usage(format!(
            "--by {}: no record has this field; the first has: {}{}",
            keys[i].column,
            first.join(", "),
            keys[i].modifier_hint()
        )));
    }
    Ok(())
}

/// Records end to end in one buffer: each one's sort-key values, then the bytes it is written as.
/// A batch is what is sorted in memory; a batch of one record is the head of a run being merged.
pub(crate) struct Batch {
    data: Vec<u8>,
    /// For each record, one span of `data` per key (`None` when the record lacks it), then the
    /// span of its bytes.
    spans: Vec<Option<(usize, usize)>>,
    width: usize,
}

impl Batch {
    fn new(keys: usize) -> Batch {
        Batch { data: Vec::new(), spans: Vec::new(), width: keys + 1 }
    }

    fn len(&self) -> usize {
        self.spans.len() / self.width
    }

    fn clear(&mut self) {
        self.data.clear();
        self.spans.clear();
    }

    /// The memory the records take.
    fn size(&self) -> usize {
        self.data.len() + self.spans.len() * std::mem::size_of::<Option<(usize, usize)>>()
    }

    pub(crate) fn push_key(&mut self, value: Option<&[u8]>) {
        let span = value.map(|v| {
            self.data.extend_from_slice(v);
            (self.data.len() - v.len(), self.data.len())
        });
        self.spans.push(span);
    }

    /// Ends the record begun by its keys with the bytes `write` appends.
    pub(crate) fn push_record(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.data.len();
        write(&mut self.data);
        self.spans.push(Some((start, self.data.len())));
    }

    pub(crate) fn span(&self, record: usize, k: usize) -> Option<&[u8]> {
        self.spans[record * self.width + k].map(|(start, end)| &self.data[start..end])
    }

    pub(crate) fn record(&self, record: usize) -> &[u8] {
        self.span(record, self.width - 1).unwrap_or_default()
    }

    /// Compares record `i` with record `j` of `other` by every key in turn: a missing field sorts
    /// before any value.
    fn compare(&self, i: usize, other: &Batch, j: usize, keys: &[SortKey]) -> Ordering {
        for (k, key) in keys.iter().enumerate() {
            let order = match (self.span(i, k), other.span(j, k)) {
                (Some(x), Some(y)) => key.compare(x, y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }

    /// Appends record `i` to a run: each of its spans (the keys, then the record's bytes) as a
    /// presence byte and, when present, a length and the bytes.
    fn write_to(&self, i: usize, run: &mut impl Write) -> io::Result<()> {
        for k in 0..self.width {
            match self.span(i, k) {
                None => run.write_all(&[0])?,
                Some(bytes) => {
                    run.write_all(&[1])?;
                    run.write_all(&(bytes.len() as u64).to_le_bytes())?;
                    run.write_all(bytes)?;
                }
            }
        }
        Ok(())
    }

    /// Replaces the batch's content with the next record of a run, if there is one.
    fn read_from(&mut self, run: &mut impl BufRead) -> io::Result<bool> {
        self.clear();
        if run.fill_buf()?.is_empty() {
            return Ok(false);
        }
        for _ in 0..self.width {
            let mut present = [0u8];
            run.read_exact(&mut present)?;
            if present[0] == 0 {
                self.spans.push(None);
                continue;
            }
            let mut len = [0u8; 8];
            run.read_exact(&mut len)?;
            let len = usize::try_from(u64::from_le_bytes(len)).map_err(io::Error::other)?;
            let start = self.data.len();
            self.data.resize(start + len, 0);
            run.read_exact(&mut self.data[start..])?;
            self.spans.push(Some((start, start + len)));
        }
        Ok(true)
    }
}

/// Sorts any number of records in bounded memory: records collect in a batch; a full batch is
/// sorted and written to a temporary file as a run; at the end the runs are merged. Ties keep their
/// input order: the sort within a batch is stable, and on a tie the merge takes the earlier run.
/// (`ticky-count` sorts its spilled counts with it too.)
pub(crate) struct Sorter<'k> {
    keys: &'k [SortKey],
    batch: Batch,
    buffer: usize,
    spill: Option<Spill>,
    /// For each key: whether its values so far are all numbers, and their shortest and longest.
    numbers: Vec<Numbers>,
}

/// What the values of a key sorted as text are, to warn when they are numbers of several lengths:
/// text order then differs from numeric order (`10` before `9`).
#[derive(Clone, Copy, Debug)]
struct Numbers {
    all: bool,
    shortest: usize,
    longest: usize,
}

impl Numbers {
    fn see(&mut self, value: &[u8]) {
        if !self.all || value.is_empty() {
            return;
        }
        let digits = value.strip_prefix(b"-").unwrap_or(value);
        let (int, frac) = match digits.iter().position(|&b| b == b'.') {
            Some(i) => (&digits[..i], Some(&digits[i + 1..])),
            None => (digits, None),
        };
        let number = !int.is_empty()
            && int.iter().all(u8::is_ascii_digit)
            && frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit));
        self.all = number;
        self.shortest = self.shortest.min(value.len());
        self.longest = self.longest.max(value.len());
    }

    /// Whether sorting these values as text misorders them as numbers.
    fn misordered_as_text(&self) -> bool {
        self.all && self.longest > 0 && self.shortest != self.longest
    }
}

/// The temporary files of the runs (one, unless sorters were combined with [`Sorter::absorb`]),
/// and where each run lies: which file, from where to where. New runs go to the first file.
struct Spill {
    files: Vec<File>,
    runs: Vec<Run>,
}

type Run = (usize, u64, u64);

impl<'k> Sorter<'k> {
    pub(crate) fn new(keys: &'k [SortKey], buffer: usize) -> Sorter<'k> {
        let numbers = Numbers { all: true, shortest: usize::MAX, longest: 0 };
        Sorter { keys, batch: Batch::new(keys.len()), buffer, spill: None, numbers: vec![numbers; keys.len()] }
    }

    /// Notes the value of the `i`th key of a record, for [`Sorter::warnings`].
    fn see(&mut self, i: usize, value: Option<&[u8]>) {
        if let Some(v) = value.filter(|_| !self.keys[i].numeric) {
            self.numbers[i].see(v);
        }
    }

    /// A warning for each key sorted as text whose values were all numbers of several lengths.
    fn warnings(&self) -> Vec<String> {
        self.keys
            .iter()
            .zip(&self.numbers)
            .filter(|(k, n)| !k.numeric && n.misordered_as_text())
            .map(|(k, _)| {
                let name = crate::error::shown(k.column.as_bytes(), crate::error::SHOWN);
                let mods = if k.reverse { "nr" } else { "n" };
                format!(
                    "{name} holds only numbers, and --by {name} sorts them as text (10 before 9); \
                     --by {name}:{mods} sorts them as numbers"
                )
            })
            .collect()
    }

    /// The batch to push the next record into; call [`Sorter::pushed`] after.
    pub(crate) fn batch(&mut self) -> &mut Batch {
        &mut self.batch
    }

    pub(crate) fn pushed(&mut self) -> Result<()> {
        if self.batch.size() >= self.buffer {
            self.write_run()?;
        }
        Ok(())
    }

    /// Takes the records of `other`, a sorter by the same keys: on a tie they come after the runs
    /// this one has written so far.
    pub(crate) fn absorb(&mut self, mut other: Sorter<'k>) -> Result<()> {
        if other.batch.len() > 0 {
            other.write_run()?;
        }
        let Some(theirs) = other.spill else { return Ok(()) };
        match &mut self.spill {
            None => self.spill = Some(theirs),
            Some(mine) => {
                let base = mine.files.len();
                mine.files.extend(theirs.files);
                mine.runs.extend(theirs.runs.into_iter().map(|(file, start, end)| (base + file, start, end)));
            }
        }
        Ok(())
    }

    /// The batch's records in sorted order.
    fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.batch.len()).collect();
        order.sort_by(|&i, &j| self.batch.compare(i, &self.batch, j, self.keys));
        order
    }

    /// Sorts the batch and writes it to the temporary file as a run.
    fn write_run(&mut self) -> Result<()> {
        let order = self.order();
        let spill = match &mut self.spill {
            Some(spill) => spill,
            None => self.spill.insert(Spill { files: vec![tmpfile::create()?], runs: Vec::new() }),
        };
        let batch = &self.batch;
        let run = spill.append(|w| order.iter().try_for_each(|&i| batch.write_to(i, w).map_err(tmpfile::error)))?;
        spill.runs.push(run);
        self.batch.clear();
        Ok(())
    }

    /// Writes every record, in order, through `buf` to `out`.
    fn finish(self, buf: &mut Vec<u8>, out: &mut impl Write) -> Result<()> {
        self.finish_each(|batch, i| {
            buf.extend_from_slice(batch.record(i));
            output::write_when_full(buf, out)
        })
    }

    /// Hands every record, in order, to `emit`, as record `i` of a batch.
    pub(crate) fn finish_each(mut self, mut emit: impl FnMut(&Batch, usize) -> Result<()>) -> Result<()> {
        if self.spill.is_none() {
            return self.order().into_iter().try_for_each(|i| emit(&self.batch, i));
        }
        if self.batch.len() > 0 {
            self.write_run()?;
        }
        // The runs are read record by record: the batch's memory is not needed any more.
        self.batch = Batch::new(self.keys.len());
        let keys = self.keys;
        let mut spill = self.spill.take().expect("spilled");
        while spill.runs.len() > MERGE_WAYS {
            let runs = std::mem::take(&mut spill.runs);
            for group in runs.chunks(MERGE_WAYS) {
                let files = spill.files.iter().map(File::try_clone).collect::<io::Result<Vec<_>>>();
                let files = files.map_err(tmpfile::error)?;
                let run =
                    spill.append(|w| merge(keys, &files, group, |head| head.write_to(0, w).map_err(tmpfile::error)))?;
                spill.runs.push(run);
            }
        }
        merge(keys, &spill.files, &spill.runs, |head| emit(head, 0))
    }
}

impl Spill {
    /// Appends what `write` writes to the first file; returns where it lies.
    fn append(&mut self, write: impl FnOnce(&mut BufWriter<&File>) -> Result<()>) -> Result<Run> {
        let file = &self.files[0];
        let start = (&*file).seek(SeekFrom::End(0)).map_err(tmpfile::error)?;
        let mut w = BufWriter::with_capacity(64 * 1024, file);
        write(&mut w)?;
        w.flush().map_err(tmpfile::error)?;
        drop(w);
        let end = (&*file).stream_position().map_err(tmpfile::error)?;
        Ok((0, start, end))
    }
}

/// Merges sorted runs of `files`, handing each record in order to `emit` as the one record of a
/// batch. On a tie the earlier run's record comes first.
fn merge(keys: &[SortKey], files: &[File], runs: &[Run], mut emit: impl FnMut(&Batch) -> Result<()>) -> Result<()> {
    let mut readers: Vec<_> = runs
        .iter()
        .map(|&(file, start, end)| {
            BufReader::with_capacity(RUN_READ_BUFFER, Segment { file: &files[file], at: start, end })
        })
        .collect();
    // The head record of each run, the least on top; a tie goes to the earlier run.
    let mut heap = BinaryHeap::with_capacity(runs.len());
    for (run, reader) in readers.iter_mut().enumerate() {
        let mut batch = Batch::new(keys.len());
        if batch.read_from(reader).map_err(tmpfile::read_error)? {
            heap.push(Reverse(Head { batch, run, keys }));
        }
    }
    while let Some(mut top) = heap.peek_mut() {
        emit(&top.0.batch)?;
        let run = top.0.run;
        if !top.0.batch.read_from(&mut readers[run]).map_err(tmpfile::read_error)? {
            PeekMut::pop(top);
        }
        // Dropping `top` sifts the run's next record down to its place.
    }
    Ok(())
}

/// The next record of one run, ordered by the sort keys, then by run: the merge stays stable.
struct Head<'k> {
    batch: Batch,
    run: usize,
    keys: &'k [SortKey],
}

impl Ord for Head<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.batch.compare(0, &other.batch, 0, self.keys).then(self.run.cmp(&other.run))
    }
}

impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head<'_> {}

/// One run of the temporary file, read from its own position, so that all runs can be read at once
/// through one file descriptor.
struct Segment<'f> {
    file: &'f File,
    at: u64,
    end: u64,
}

impl Read for Segment<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

fn top_level_keys(line: &[u8]) -> Vec<String> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_specs() {
        assert_eq!(
            SortKey::parse("Count:nr").unwrap(),
            SortKey { column: "Count".into(), numeric: true, reverse: true }
        );
        assert_eq!(SortKey::parse("a:b").unwrap().column, "a:b");
        assert!(SortKey::parse(":n").is_err());
    }

    #[test]
    fn numbers_before_text() {
        let mut v: Vec<&[u8]> = vec![b"10", b"x", b"9", b"-1.5", b"", b"2e1"];
        v.sort_by(|a, b| compare_numbers(a, b));
        assert_eq!(v, [&b"-1.5"[..], b"9", b"10", b"2e1", b"", b"x"]);
    }
}
