//! `ticky-count`: counts records per distinct key, optionally cross-tabulated by the values of one
//! field, in one pass for several tables, from JSON Lines or from raw logs parsed in process, on
//! every core for a regular file. (`--merge` is [`crate::merge`].)

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;

use bstr::ByteSlice;

use crate::access::DurationUnit;
use crate::counter::{push_key_field, write_counts, Counter, Layout};
use crate::csvio::Row;
use crate::error::{Error, Result};
use crate::filter::{Condition, Seen};
pub use crate::format::Format;
use crate::format::{tell_kind, Kind};
use crate::input::{self, LineReader};
use crate::json::Fields;
use crate::merge::{self, Merged};
use crate::moment::{self, Clock, Zone};
use crate::output::OutputFile;
use crate::parse::Summary;
use crate::record::{self, Key, LineFormat, Record, Wanted, Year};
use crate::stats::{self, StatsTable};

/// Cross-tabulation: one count column per listed value of `field`.
#[derive(Clone, Debug)]
pub struct Pivot {
    pub field: String,
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct CountOptions {
    /// The key fields. With `merge`, how many leading CSV columns form the key (when empty: all
    /// but the last).
    pub by: Vec<String>,
    pub pivot: Option<Pivot>,
    /// Conditions that must all hold for a record to count (`--where`).
    pub filters: Vec<Condition>,
    /// Count only records whose `time` is at or after this instant (UTC seconds, nanoseconds).
    pub since: Option<(i64, u32)>,
    /// ... and before this one.
    pub until: Option<(i64, u32)>,
    /// Per key, the count, min, mean, percentiles, max and sum of this numeric field (`--stats`).
    pub stats: Option<String>,
    /// With `stats`: keep every value, for exact percentiles (`--exact`).
    pub exact: bool,
    /// With `stats`: write the mergeable state rather than the table (`--partial`).
    pub partial: bool,
    /// Order rows by key rather than by count (`--order key`).
    pub by_key: bool,
    /// Replaces the header row; must name every column.
    pub header: Option<Vec<String>>,
    /// Read CSVs written by ticky-count and sum them.
    pub merge: bool,
    /// With `merge`: how many leading columns form the key, when `by` does not say.
    pub keys: Option<usize>,
    /// The file this table goes to; standard output when `None`.
    pub output: Option<String>,
}

/// What one table counts: where its fields are among those read from each record.
struct Spec<'a> {
    /// The key fields, each with its bucket width when it is a time bucket (`time/5m`).
    keys: Vec<(usize, Option<i64>)>,
    /// The pivot field and the values that get a count column.
    pivot: Option<(usize, &'a [String])>,
    conditions: Vec<(usize, &'a Condition)>,
    /// `time`, when `--since` or `--until` applies.
    time: Option<usize>,
    since: Option<(i64, u32)>,
    until: Option<(i64, u32)>,
    /// The field of `--stats`, and whether to keep every value.
    stats: Option<(usize, bool)>,
    /// Count columns.
    width: usize,
}

impl Spec<'_> {
    /// An empty tally for this table, counters taking about `budget` bytes.
    fn tally(&self, budget: usize) -> TableTally {
        let counts = match self.stats {
            Some((_, exact)) => Counts::Stats(StatsTable::new(exact)),
            None => {
                let mut counter = Counter::with_budget(self.width, budget);
                // Records of a time bucket come one after another: the same key again and again.
                if self.keys.iter().any(|(_, bucket)| bucket.is_some()) {
                    counter.remember_last();
                }
                Counts::Plain(counter)
            }
        };
        let pivot_columns = self.pivot.map_or(0, |(_, c)| c.len());
        let watching = pivot_columns > 0 || self.conditions.iter().any(|(_, c)| c.is_equality());
        let notes = Notes {
            conditions: vec![Seen::default(); self.conditions.len()],
            pivot_matched: vec![false; pivot_columns],
            watching,
            ..Notes::default()
        };
        TableTally { counts, notes, minute: Vec::new() }
    }

    /// Counts the record whose fields `fields` holds, if it passes the filters and has every key
    /// field (and a listed pivot value). `key` and `text` are scratch space.
    fn count(&self, fields: &Fields, s: &mut KeyScratch, table: &mut TableTally, n: u64) -> Result<()> {
        let notes = &mut table.notes;
        if notes.watching {
            self.watch(fields, notes);
        }
        if !self.conditions.iter().all(|&(i, c)| c.holds(fields.get(i))) {
            return Ok(());
        }
        if let Some(i) = self.time {
            let Some(m) = fields.get(i).and_then(moment::parse_time) else {
                notes.unreadable_time += 1;
                return Ok(());
            };
            let at = s.clock.instant(&m);
            if self.since.is_some_and(|since| at < since) || self.until.is_some_and(|until| at >= until) {
                return Ok(());
            }
        }
        let col = match self.pivot {
            Some((i, columns)) => match fields.get(i).and_then(|v| columns.iter().position(|c| c.as_bytes() == v)) {
                Some(col) => col,
                None => return Ok(()),
            },
            None => 0,
        };
        // A table of one bucket of whole minutes: a time of the minute counted last is its bucket.
        let mut minute = None;
        if let ([(i, Some(width))], Counts::Plain(counter)) = (&self.keys[..], &mut table.counts) {
            if width % 60 == 0 && !s.clock.zone.given {
                minute = fields.get(*i).and_then(moment::minute_of);
                if minute.is_some_and(|m| moment::is_minute(&table.minute, m)) && counter.add_to_last(col, n)? {
                    return Ok(());
                }
            }
        }
        s.key.clear();
        for &(i, bucket) in &self.keys {
            let Some(v) = fields.get(i) else { return Ok(()) };
            match bucket {
                None => push_key_field(&mut s.key, v),
                Some(width) => {
                    s.text.clear();
                    if !s.clock.bucket_of(v, width, &mut s.text) {
                        notes.unreadable_time += 1;
                        return Ok(());
                    }
                    push_key_field(&mut s.key, &s.text);
                }
            }
        }
        if let Some((head, tail)) = minute {
            table.minute.clear();
            table.minute.extend_from_slice(head);
            table.minute.extend_from_slice(tail);
        }
        match (&mut table.counts, self.stats) {
            (Counts::Plain(counter), _) => counter.add(&s.key, col, n),
            (Counts::Stats(table), Some((i, _))) => {
                match fields.get(i).and_then(stats::parse_number) {
                    Some(value) => table.add(&s.key, value, n),
                    None => notes.no_number += 1,
                }
                Ok(())
            }
            (Counts::Stats(_), None) => unreachable!("a stats table has a stats field"),
        }
    }

    /// Notes, while some equality condition or pivot column never held, the values seen instead:
    /// for the warning that says why a table is empty.
    fn watch(&self, fields: &Fields, notes: &mut Notes) {
        for (&(i, c), seen) in self.conditions.iter().zip(&mut notes.conditions) {
            if c.is_equality() && !seen.matched {
                match fields.get(i) {
                    Some(v) if c.holds(Some(v)) => seen.matched = true,
                    Some(v) => seen.note(v),
                    None => {}
                }
            }
        }
        if let Some((i, columns)) = self.pivot {
            if let Some(v) = fields.get(i) {
                match columns.iter().position(|c| c.as_bytes() == v) {
                    Some(col) => notes.pivot_matched[col] = true,
                    None => notes.pivot.note(v),
                }
            }
        }
        notes.watching = notes.pivot_matched.iter().any(|m| !m)
            || self.conditions.iter().zip(&notes.conditions).any(|((_, c), seen)| c.is_equality() && !seen.matched);
    }
}

/// Scratch space for making keys, and the clock that reads times.
struct KeyScratch {
    key: Vec<u8>,
    text: Vec<u8>,
    clock: Clock,
}

/// What a table counts: counts per key, or stats of a field per key.
enum Counts {
    Plain(Counter),
    Stats(StatsTable),
}

/// One table's counts and what is noted for its warnings.
struct TableTally {
    counts: Counts,
    notes: Notes,
    /// For a table whose only key is a time bucket of whole minutes: the minute of the last time
    /// counted (see [`moment::minute_of`]). A time of that minute is in the same bucket, so it is
    /// added to the counter's last key without building a key.
    minute: Vec<u8>,
}

impl TableTally {
    fn absorb(&mut self, other: TableTally) -> Result<()> {
        match (&mut self.counts, other.counts) {
            (Counts::Plain(mine), Counts::Plain(theirs)) => mine.absorb(theirs)?,
            (Counts::Stats(mine), Counts::Stats(theirs)) => mine.absorb(theirs),
            _ => unreachable!("parts of one table count alike"),
        }
        let (mine, theirs) = (&mut self.notes, other.notes);
        mine.unreadable_time += theirs.unreadable_time;
        mine.no_number += theirs.no_number;
        for (m, t) in mine.conditions.iter_mut().zip(&theirs.conditions) {
            m.absorb(t);
        }
        mine.pivot.absorb(&theirs.pivot);
        for (m, t) in mine.pivot_matched.iter_mut().zip(&theirs.pivot_matched) {
            *m |= t;
        }
        Ok(())
    }
}

/// What a table's warnings need: records left out for want of a time or a number, and the values
/// seen of conditions and pivot columns that never held.
#[derive(Default)]
struct Notes {
    unreadable_time: u64,
    no_number: u64,
    conditions: Vec<Seen>,
    pivot: Seen,
    pivot_matched: Vec<bool>,
    /// Whether some equality or pivot column has not held yet.
    watching: bool,
}

impl Notes {
    /// The warnings of a table (`opts`) that read `records` records.
    fn warnings(&self, opts: &CountOptions, records: u64) -> Vec<String> {
        let table = match &opts.output {
            Some(path) if records > 0 => format!(" (the table for {path})"),
            _ => String::new(),
        };
        let mut warnings = Vec::new();
        if self.unreadable_time > 0 {
            warnings.push(format!(
                "{} record{} without a time that reads as ISO 8601 (2026-11-22T10:05:00) not counted{table}",
                self.unreadable_time,
                if self.unreadable_time == 1 { "" } else { "s" }
            ));
        }
        if let (Some(field), true) = (&opts.stats, self.no_number > 0) {
            warnings.push(format!(
                "{} record{} without a number in {field} not in the stats{table}",
                self.no_number,
                if self.no_number == 1 { "" } else { "s" }
            ));
        }
        if records == 0 {
            return warnings;
        }
        for (c, seen) in opts.filters.iter().zip(&self.conditions) {
            // No value at all: the field is unknown (warned of above) or absent that day (no news).
            if c.is_equality() && !seen.matched && !seen.values.is_empty() {
                warnings.push(format!("--where {} matched no record{table}; {}", c.text, seen.describe(&c.field)));
            }
        }
        if let Some(p) = &opts.pivot {
            // An empty column is news when the whole table is empty, or when the field had the value
            // spelt another way (`Error` for `ERROR`); a day without errors is not.
            let none = self.pivot_matched.iter().all(|m| !m);
            let missing: Vec<&str> = p
                .columns
                .iter()
                .zip(&self.pivot_matched)
                .filter(|(c, &m)| {
                    !m && (none || self.pivot.values.iter().any(|v| v.eq_ignore_ascii_case(c.as_bytes())))
                })
                .map(|(c, _)| c.as_str())
                .collect();
            if !missing.is_empty() && !self.pivot.values.is_empty() {
                warnings.push(format!(
                    "--pivot {}: no record has {}{table}, so {} zero; {}",
                    p.field,
                    missing.join(", "),
                    if missing.len() == 1 { "its column is all" } else { "their columns are all" },
                    self.pivot.describe(&p.field)
                ));
            }
        }
        warnings
    }
}

/// What one reader of records makes: a counter per table, the wanted fields (which also know the
/// ones never found), and for raw logs what was understood of them. A file read on several threads
/// has one per part, summed in input order at the end.
struct Tally {
    tables: Vec<TableTally>,
    fields: Fields,
    records: u64,
    /// Lines of raw logs, when any were read.
    summary: Option<Summary>,
    scratch_key: KeyScratch,
    /// What parsing raw lines keeps from line to line.
    scratch: record::Scratch,
}

impl Tally {
    /// A tally whose counters take about `budget` bytes each at most.
    fn new(specs: &[Spec<'_>], names: &[String], budget: usize, zone: &Zone) -> Tally {
        Tally {
            tables: specs.iter().map(|spec| spec.tally(budget)).collect(),
            fields: Fields::new(names.to_vec()),
            records: 0,
            summary: None,
            scratch_key: KeyScratch { key: Vec::new(), text: Vec::new(), clock: Clock::new(zone.clone()) },
            // Only what the tables read is looked for in a raw line.
            scratch: record::Scratch::wanting(Wanted::for_keys(&record_keys(names))),
        }
    }

    /// Counts the current record in every table: as `repeat` events when that field is given and
    /// the record has a whole number there, else as one.
    fn count(&mut self, specs: &[Spec<'_>], repeat: Option<usize>) -> Result<()> {
        self.records += 1;
        let n = repeat.and_then(|i| self.fields.get(i)).and_then(parse_events).unwrap_or(1);
        for (spec, table) in specs.iter().zip(&mut self.tables) {
            spec.count(&self.fields, &mut self.scratch_key, table, n)?;
        }
        Ok(())
    }

    /// Adds the counts of a later part of the input. `line_offset` is how many lines of `file`
    /// came before that part.
    fn absorb(&mut self, other: Tally, file: &str, line_offset: u64) -> Result<()> {
        for (mine, theirs) in self.tables.iter_mut().zip(other.tables) {
            mine.absorb(theirs)?;
        }
        self.fields.found_in(&other.fields);
        self.records += other.records;
        if let Some(theirs) = &other.summary {
            self.summary.get_or_insert_with(Summary::default).absorb(theirs, file, line_offset);
        }
        Ok(())
    }
}

/// The record key of each wanted field; `None` for a name that is no key (a pattern's group).
fn record_keys(names: &[String]) -> Vec<Option<Key>> {
    names.iter().map(|n| Key::from_name(n.as_bytes())).collect()
}

/// A record's `repeat`: a whole number of events, at least 1.
fn parse_events(text: &[u8]) -> Option<u64> {
    std::str::from_utf8(text).ok()?.parse().ok().filter(|&n| n > 0)
}

/// How raw logs are read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The year of RFC 3164 timestamps, as `ticky-parse --year`.
    pub year: Option<i64>,
    pub format: Format,
    /// Threads for a regular file; 1 reads every input on the calling thread.
    pub threads: usize,
    /// The smallest file split across threads: below it, starting threads costs more than it saves.
    pub min_split: u64,
    /// Count each record once, even one with `repeat` (`--lines`).
    pub lines: bool,
    /// Lines longer than this are cut (`--max-line`).
    pub max_line: usize,
    /// The memory the counts may take, all tables and threads together (`--memory`); beyond it
    /// they go to temporary files.
    pub memory: usize,
    /// The unit of access logs' request times (`--duration-unit`).
    pub unit: DurationUnit,
    /// The zone of local times, and of buckets when given (`--tz`).
    pub zone: Zone,
}

/// The memory counts may take unless `--memory` says otherwise.
pub const DEFAULT_MEMORY: usize = 64 << 20;

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            year: None,
            format: Format::Auto,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            min_split: 4 << 20,
            lines: false,
            max_line: input::MAX_LINE,
            memory: DEFAULT_MEMORY,
            unit: DurationUnit::Seconds,
            zone: Zone::default(),
        }
    }
}

/// What a run says besides its tables.
#[derive(Debug, Default)]
pub struct Outcome {
    /// For standard error: fields that no record had and that ticky-parse never writes.
    pub warnings: Vec<String>,
    /// What was understood of the raw logs read, when any were.
    pub summary: Option<Summary>,
}

/// Counts the records of every input into one table per `CountOptions` (all in one pass over the
/// records) and writes each table to its `output` file, or to `out` when it has none. With
/// `merge`, sums CSVs instead (one table only). Reads raw logs with the default [`ReadOptions`].
pub fn run(tables: &[CountOptions], paths: &[String], out: &mut impl Write) -> Result<Vec<String>> {
    Ok(run_with(tables, &ReadOptions::default(), paths, out)?.warnings)
}

/// [`run`] with options for raw logs. An input whose first non-blank byte is `{` is read as JSON
/// Lines; any other is a raw log, parsed as ticky-parse parses it, with the same records: the
/// tables equal those of `ticky-parse … | ticky-count …`, byte for byte. A regular file is split
/// at line boundaries and counted on `read.threads` threads; the parts' counts sum exactly.
pub fn run_with(
    tables: &[CountOptions],
    read: &ReadOptions,
    paths: &[String],
    out: &mut impl Write,
) -> Result<Outcome> {
    match tables {
        [] => return Err(Error::usage("--by FIELD is required (or --merge)")),
        [opts] if opts.merge => {
            if opts.pivot.is_some() || !opts.filters.is_empty() || opts.since.is_some() || opts.until.is_some() {
                return Err(Error::usage(
                    "--merge sums counts already made: --pivot, --where, --since and --until do not apply",
                ));
            }
            if opts.stats.is_some() {
                return Err(Error::usage(
                    "--merge reads the stats of partial tables (--partial) by their columns: leave out --stats",
                ));
            }
            let mut file = open_outputs(tables)?.pop().flatten();
            if let Some((header, merged)) = merge::merge(opts, read.memory, paths)? {
                let layout = Layout::of(
                    &header.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>(),
                    opts.by_key,
                );
                let counts = match merged {
                    Merged::Counts(counter) => Counts::Plain(counter),
                    Merged::Stats(table) => Counts::Stats(table),
                };
                write_table(&header, counts, &layout, opts.partial, file.as_mut(), out)?;
                file.map(OutputFile::commit).transpose()?;
            }
            return Ok(Outcome::default());
        }
        _ if tables.iter().any(|t| t.merge) => {
            return Err(Error::usage("--merge sums one table of counts: it does not combine with --and"))
        }
        _ => {}
    }
    if tables.iter().filter(|t| t.output.is_none()).count() > 1 {
        return Err(Error::usage(
            "only one table can go to standard output: give the others --output FILE (or leave out --and)",
        ));
    }

    // The fields to find in each record, each named once however many tables use it.
    let mut names: Vec<String> = Vec::new();
    let mut field = |name: &str| match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    };
    let mut specs = Vec::with_capacity(tables.len());
    let mut headers = Vec::with_capacity(tables.len());
    for opts in tables {
        if opts.by.is_empty() {
            return Err(Error::usage("--by FIELD is required for each table (or --merge)"));
        }
        let mut header: Vec<&str> = opts.by.iter().map(String::as_str).collect();
        match (&opts.pivot, &opts.stats) {
            (Some(_), Some(_)) => {
                return Err(Error::usage("--stats makes its own columns: it does not combine with --pivot"))
            }
            (Some(p), None) => header.extend(p.columns.iter().map(String::as_str)),
            (None, Some(_)) if opts.partial => header.extend(stats::PARTIAL_COLUMNS),
            (None, Some(_)) => header.extend(stats::COLUMNS),
            (None, None) => header.push("count"),
        }
        if (opts.exact || opts.partial) && opts.stats.is_none() {
            return Err(Error::usage(
                "--exact and --partial apply to --stats tables (a count table merges as it is written)",
            ));
        }
        headers.push(header_row(opts, header.iter().map(|s| s.as_bytes()).collect())?);
        let bounded = opts.since.is_some() || opts.until.is_some();
        specs.push(Spec {
            keys: opts
                .by
                .iter()
                .map(|f| match moment::split_bucket(f) {
                    Some((name, width)) => (field(name), Some(width)),
                    None => (field(f), None),
                })
                .collect(),
            pivot: opts.pivot.as_ref().map(|p| (field(&p.field), &p.columns[..])),
            conditions: opts.filters.iter().map(|c| (field(&c.field), c)).collect(),
            time: bounded.then(|| field("time")),
            since: opts.since,
            until: opts.until,
            stats: opts.stats.as_ref().map(|f| (field(f), opts.exact)),
            width: opts.pivot.as_ref().map_or(1, |p| p.columns.len()),
        });
    }
    // A record with `repeat` (rsyslog's "message repeated N times") stands for N events.
    let repeat = (!read.lines).then(|| field("repeat"));
    let mut files = open_outputs(tables)?;
    // The memory for counts, shared by the tables; with threads, half of a table's share is for
    // the counts of the whole run, half for those of the parts being counted.
    let share = (read.memory / tables.len()).max(1);
    let (budget, part_budget) = match read.threads {
        1 => (share, share),
        n => (share / 2, (share / 2 / n).max(1)),
    };
    let mut tally = Tally::new(&specs, &names, budget, &read.zone);
    let reader = Reader { specs: &specs, names: &names, read, several: paths.len() > 1, repeat, part_budget };
    for path in paths {
        reader.count_input(path, &mut tally)?;
    }

    let mut warnings = if tally.records == 0 { Vec::new() } else { unknown_fields(&tally.fields, tally.records) };
    for (opts, table) in tables.iter().zip(&tally.tables) {
        warnings.extend(table.notes.warnings(opts, tally.records));
    }
    // The files first: a reader of standard output that stops early (`| head`) ends the run.
    let mut order: Vec<usize> = (0..tables.len()).collect();
    order.sort_by_key(|&i| files[i].is_none());
    let mut counts: Vec<Option<Counts>> = tally.tables.into_iter().map(|t| Some(t.counts)).collect();
    for i in order {
        let table = counts[i].take().expect("each table once");
        let layout = Layout::of(&tables[i].by, tables[i].by_key);
        write_table(&headers[i], table, &layout, tables[i].partial, files[i].as_mut(), out)?;
        files[i].take().map(OutputFile::commit).transpose()?;
    }
    Ok(Outcome { warnings, summary: tally.summary })
}

/// Reads inputs into tallies: what every part of a run needs to know.
struct Reader<'a> {
    specs: &'a [Spec<'a>],
    names: &'a [String],
    read: &'a ReadOptions,
    /// Several inputs: raw records then carry a `file` key, as ticky-parse writes them.
    several: bool,
    /// Where `repeat` is among the fields, unless lines rather than events are counted.
    repeat: Option<usize>,
    /// The memory budget of each counter of a part.
    part_budget: usize,
}

impl Reader<'_> {
    fn count_input(&self, path: &str, tally: &mut Tally) -> Result<()> {
        let input = input::open(path)?;
        let year = Year::for_input(self.read.year, input.modified);
        let name = input.name.clone();
        let size =
            (path != "-").then(|| std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len())).flatten();
        // A part's line numbers start at 1: a table that needs `line` reads the file in one piece.
        let needs_line = self.names.iter().any(|n| n == "line");
        if let Some(size) = size.filter(|&s| self.read.threads > 1 && s >= self.read.min_split && !needs_line) {
            let kind = match self.read.format.kind(self.read.unit) {
                Some(kind) => Some(kind),
                None => sniff(path, &name, self.read.unit)?,
            };
            if let Some(kind) = kind {
                if let Some(what) = kind.told().filter(|_| self.read.format == Format::Auto) {
                    tally.summary.get_or_insert_with(Summary::default).told.push((name.clone(), what));
                }
                return self.count_parts(path, &name, size, kind, year, tally);
            }
        }
        let mut lines = LineReader::new(input.reader, &name);
        lines.set_max_line(input::record_limit(self.read.max_line));
        self.count_lines(&mut lines, &name, self.read.format.kind(self.read.unit), year, tally)
    }

    /// Counts the lines of one reader. `kind` is known for a part of a file (the file's start told);
    /// for a whole input it is told by its first non-blank line.
    fn count_lines<R: Read>(
        &self,
        lines: &mut LineReader<R>,
        name: &str,
        mut kind: Option<Kind>,
        mut year: Year,
        tally: &mut Tally,
    ) -> Result<()> {
        let file = self.several.then_some(name);
        let keys = record_keys(self.names);
        // Blank lines before the kind is known: raw records if it turns out to be a raw log.
        let mut blank: Vec<(u64, Vec<u8>)> = Vec::new();
        while let Some(l) = lines.next_line_info()? {
            let (number, line, cut) = (l.number, l.text, l.cut);
            let is_blank = line.iter().all(u8::is_ascii_whitespace);
            let kind = match kind {
                Some(k) => k,
                None if is_blank => {
                    blank.push((number, line.to_vec()));
                    continue;
                }
                None => {
                    let k = tell_kind(line, name, number, self.read.unit)?;
                    if let Kind::Raw(format) = k {
                        if let Some(what) = k.told() {
                            tally.summary.get_or_insert_with(Summary::default).told.push((name.to_string(), what));
                        }
                        for (n, l) in std::mem::take(&mut blank) {
                            self.count_raw(&l, n, None, format, file, name, &keys, &mut year, tally)?;
                        }
                    }
                    *kind.insert(k)
                }
            };
            match kind {
                Kind::JsonLines if is_blank => {}
                Kind::JsonLines => {
                    if let Some(length) = cut {
                        return Err(record_too_long(name, number, length, lines.max_line(), true));
                    }
                    tally.fields.read(line).map_err(|msg| Error::input(name, number, msg))?;
                    tally.count(self.specs, self.repeat)?;
                }
                Kind::Raw(format) => self.count_raw(line, number, cut, format, file, name, &keys, &mut year, tally)?,
            }
        }
        for (n, l) in blank {
            self.count_raw(&l, n, None, LineFormat::Syslog, file, name, &keys, &mut year, tally)?;
        }
        Ok(())
    }

    /// Parses one raw line as ticky-parse does and counts its record.
    #[allow(clippy::too_many_arguments)]
    fn count_raw(
        &self,
        line: &[u8],
        number: u64,
        cut: Option<u64>,
        format: LineFormat,
        file: Option<&str>,
        name: &str,
        keys: &[Option<Key>],
        year: &mut Year,
        tally: &mut Tally,
    ) -> Result<()> {
        let (line, cut) = input::cut_line(line, cut, self.read.max_line);
        let mut record = Record::parse_as(format, line, year, &mut tally.scratch);
        record.cut = cut;
        let summary = tally.summary.get_or_insert_with(Summary::default);
        summary.add_line(name, number, record.understood, format);
        if cut.is_some() {
            summary.add_cut(name, number, self.read.max_line);
        }
        tally.fields.begin_record();
        for (i, key) in keys.iter().enumerate() {
            match *key {
                Some(key) => tally.fields.fill(i, |out| record.value(key, file, number, year, out)),
                // A field of no fixed name: a pattern's group.
                None => tally.fields.fill(i, |out| record.other(self.names[i].as_bytes(), out)),
            }
        }
        tally.count(self.specs, self.repeat)
    }

    /// Counts a regular file in parts, one per thread, each starting after a newline.
    fn count_parts(&self, path: &str, name: &str, size: u64, kind: Kind, year: Year, tally: &mut Tally) -> Result<()> {
        let cannot = |e| Error::io(format!("reading {name}"), e);
        let file = File::open(path).map_err(cannot)?;
        // The end of line is told once, from the file's start, for every part.
        let mut head = vec![0u8; 64 << 10];
        let n = file.read_at(&mut head, 0).map_err(cannot)?;
        let sep = input::separator_of(&head[..n], (n as u64) >= size).unwrap_or(b'\n');
        let parts = self.read.threads as u64;
        let mut bounds = vec![0];
        for k in 1..parts {
            let start = line_start_after(&file, size * k / parts, sep).map_err(cannot)?;
            bounds.push(start.max(*bounds.last().unwrap()));
        }
        bounds.push(size);
        let file = &file;
        let results: Vec<(Result<()>, Tally, u64)> = std::thread::scope(|scope| {
            let handles: Vec<_> = bounds
                .windows(2)
                .enumerate()
                .map(|(k, w)| {
                    let (start, end) = (w[0], w[1]);
                    scope.spawn(move || {
                        let mut part = Tally::new(self.specs, self.names, self.part_budget, &self.read.zone);
                        let reader = PartReader { file, pos: start, end };
                        let mut lines = LineReader::new(reader, name);
                        lines.set_max_line(input::record_limit(self.read.max_line));
                        lines.set_separator(sep);
                        if k > 0 {
                            lines.keep_byte_order_mark();
                        }
                        let result = self.count_lines(&mut lines, name, Some(kind), year, &mut part);
                        let read = lines.lines_read();
                        (result, part, read)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a counting thread panicked")).collect()
        });
        // In input order: the line numbers of a part follow the lines of the parts before it.
        let mut offset = 0;
        for (result, part, read) in results {
            if let Err(e) = result {
                return Err(match e {
                    Error::Input { file, line, msg } => Error::Input { file, line: line + offset, msg },
                    e => e,
                });
            }
            tally.absorb(part, name, offset)?;
            offset += read;
        }
        Ok(())
    }
}

/// A JSON record longer than the maximum line: cutting it would make it invalid, so it is an error
/// that says how to read it.
pub(crate) fn record_too_long(name: &str, number: u64, length: u64, max: usize, option: bool) -> Error {
    let what = if option { "give a larger --max-line" } else { "records are read up to that length" };
    Error::input(name, number, format!("this record is {length} bytes long, more than {max} bytes: {what}"))
}

/// The offset just after the first end of line (`sep`) at or after `at` (the file's size when
/// none).
fn line_start_after(file: &File, at: u64, sep: u8) -> io::Result<u64> {
    let mut buf = [0u8; 64 * 1024];
    let mut pos = at.saturating_sub(1);
    loop {
        let n = file.read_at(&mut buf, pos)?;
        if n == 0 {
            return Ok(pos);
        }
        if let Some(i) = buf[..n].find_byte(sep) {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
}

/// One part of a file, read with positioned reads so that threads share one descriptor.
struct PartReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for PartReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The kind of a file, told by its first line when that is within its first 64 KiB and not blank;
/// `None` when its start does not tell.
fn sniff(path: &str, name: &str, unit: DurationUnit) -> Result<Option<Kind>> {
    let file = File::open(path).map_err(|e| Error::io(format!("cannot open {path}"), e))?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = file.read_at(&mut buf, 0).map_err(|e| Error::io(format!("reading {path}"), e))?;
    // A compressed file is read on one thread, decompressed as it comes.
    if buf[..n].starts_with(&input::GZIP_MAGIC) {
        return Ok(None);
    }
    let Some(end) = buf[..n].find_byte(b'\n') else { return Ok(None) };
    let first = &buf[..end];
    let first = first.strip_prefix(input::UTF8_BOM).unwrap_or(first);
    if first.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    tell_kind(first, name, 1, unit).map(Some)
}

/// A warning for each wanted field that none of the `records` had and that is not a key of
/// ticky-parse's records. A record key that never appeared is no news: a day without errors has no
/// `error` anywhere.
fn unknown_fields(fields: &Fields, records: u64) -> Vec<String> {
    fields
        .never_found()
        .filter(|name| !record::is_key(name))
        .map(|name| {
            format!(
                "no record has a field \"{}\" ({records} read), so nothing that needs it was counted; \
                 the fields of ticky-parse's records are {}",
                crate::error::shown(name, crate::error::SHOWN),
                record::KEYS.join(", ")
            )
        })
        .collect()
}

/// The `--output` file of each table (`None` for standard output), started now, before any input
/// is read, so that a wrong path fails at once. Each is written under a temporary name and put in
/// place only when the run succeeded ([`OutputFile`]): a file that is also an input is read whole
/// before it is replaced (`ticky-count --merge -o total.csv total.csv today.csv` keeps a running
/// total), and a failure leaves every file as it was.
fn open_outputs(tables: &[CountOptions]) -> Result<Vec<Option<OutputFile>>> {
    tables.iter().map(|t| t.output.as_deref().map(OutputFile::create).transpose()).collect()
}

/// Writes a table to its own file (opened by [`open_outputs`]), or to `out` when it has none.
fn write_table(
    header: &Row,
    counts: Counts,
    layout: &Layout,
    partial: bool,
    file: Option<&mut OutputFile>,
    out: &mut impl Write,
) -> Result<()> {
    let write = |out: &mut dyn Write| match counts {
        Counts::Plain(counter) => write_counts(header, counter, layout, out),
        Counts::Stats(table) => table.write(header, layout, partial, out),
    };
    match file {
        None => write(out),
        Some(file) => write(file.writer()).map_err(|e| match e {
            Error::Io { source, .. } => Error::io(format!("writing {}", file.name), source),
            other => other,
        }),
    }
}

/// The header row: `--header` if given (it must name every column), else the default.
pub(crate) fn header_row(opts: &CountOptions, default: Vec<&[u8]>) -> Result<Row> {
    match &opts.header {
        Some(names) if names.len() != default.len() => Err(Error::usage(format!(
            "--header names {} column{} but the output has {}: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            default.len(),
            default.iter().map(|c| String::from_utf8_lossy(c)).collect::<Vec<_>>().join(",")
        ))),
        Some(names) => Ok(Row::from_fields(names.iter().map(|s| s.as_bytes()))),
        None => Ok(Row::from_fields(default)),
    }
}
