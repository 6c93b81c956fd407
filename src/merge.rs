//! `ticky-count --merge`: sums tables that ticky-count wrote, by key, so that counting parts and
//! merging them equals counting the whole.

use crate::count::{header_row, CountOptions};
use crate::counter::{push_key_field, Counter};
use crate::csvio::{self, CsvReader, Row};
use crate::error::{Error, Result};
use crate::input;
use crate::stats::{self, Stats, StatsTable};

/// What merging made: summed counts, or the stats of partial tables merged.
pub enum Merged {
    Counts(Counter),
    Stats(StatsTable),
}

/// Sums the CSVs, the counts taking about `memory` bytes at most (beyond, they go to a temporary
/// file); `None` when no input had even a header. Partial stats tables (`--stats --partial`, told
/// by their last columns) merge into the stats of the whole: the stats table, or with `--partial`
/// a partial table again.
pub fn merge(opts: &CountOptions, memory: usize, paths: &[String]) -> Result<Option<(Row, Merged)>> {
    let mut first: Option<(String, Row)> = None;
    let mut counter = Counter::new(0);
    let mut stats: Option<StatsTable> = None;
    let mut nkeys = 0;
    let mut row = Row::default();
    let mut key = Vec::new();
    for path in paths {
        let input = input::open(path)?;
        let input_name = input.name.clone();
        let mut reader = CsvReader::new(input.buffered(), &input_name);
        reader.refuse_logs("--merge sums tables that ticky-count wrote; to count a log or records, leave out --merge");
        reader.set_max_row(crate::input::record_limit(crate::input::MAX_LINE));
        let Some(_) = reader.read_row(&mut row)? else { continue };
        match &first {
            None => {
                let partial = row.len() > stats::PARTIAL_COLUMNS.len()
                    && row
                        .iter()
                        .skip(row.len() - stats::PARTIAL_COLUMNS.len())
                        .eq(stats::PARTIAL_COLUMNS.map(str::as_bytes));
                nkeys = match (opts.by.len(), opts.keys) {
                    (0, None) if partial => row.len() - stats::PARTIAL_COLUMNS.len(),
                    (0, Some(n)) => n,
                    (0, None) if row.len() > 1 && !is_count_column(row.get(row.len() - 1)) => {
                        let mut shown = Vec::new();
                        csvio::write_row(&mut shown, row.iter());
                        return Err(Error::usage(format!(
                            "--merge: the header of {input_name} ({}) does not end in a count column, so its key \
                             columns cannot be told (a --pivot table has several counts): give the key with --by \
                             (--by {}) or --keys N",
                            crate::error::shown(shown.trim_ascii_end(), crate::error::SHOWN),
                            crate::error::shown(row.get(0), crate::error::SHOWN)
                        )));
                    }
                    (0, None) => row.len().saturating_sub(1),
                    (n, _) => n,
                };
                if nkeys == 0 || nkeys >= row.len() {
                    return Err(Error::input(
                        &input_name,
                        1,
                        format!(
                            "the header has {} column{}: a count needs at least one key column and one count column",
                            row.len(),
                            if row.len() == 1 { "" } else { "s" }
                        ),
                    ));
                }
                match partial {
                    true => stats = Some(StatsTable::new(false)),
                    false => counter = Counter::with_budget(row.len() - nkeys, memory),
                }
                first = Some((input_name.clone(), row.clone()));
            }
            Some((name, header)) if *header != row => {
                return Err(Error::input(
                    &input_name,
                    1,
                    format!(
                        "header differs from the one in {name}: counts can only merge with counts of the same columns"
                    ),
                ));
            }
            Some(_) => {}
        }
        let width = match stats {
            Some(_) => nkeys + stats::PARTIAL_COLUMNS.len(),
            None => nkeys + counter.width,
        };
        while let Some(number) = reader.read_row(&mut row)? {
            csvio::check_width(&row, width, &input_name, number)?;
            key.clear();
            for field in row.iter().take(nkeys) {
                push_key_field(&mut key, field);
            }
            if let Some(table) = &mut stats {
                let cells: Vec<&[u8]> = row.iter().skip(nkeys).collect();
                let part = Stats::from_partial(&cells).map_err(|msg| Error::input(&input_name, number, msg))?;
                table.add_stats(&key, &part);
                continue;
            }
            for (col, field) in row.iter().skip(nkeys).enumerate() {
                let n = parse_count(field).ok_or_else(|| {
                    Error::input(
                        &input_name,
                        number,
                        format!("count \"{}\" is not a whole number", crate::error::shown(field, crate::error::SHOWN)),
                    )
                })?;
                counter.add(&key, col, n)?;
            }
        }
    }
    let Some((_, input_header)) = first else {
        return Ok(None);
    };
    match stats {
        Some(table) if !opts.partial => {
            let names = input_header.iter().take(nkeys).chain(stats::COLUMNS.map(str::as_bytes));
            Ok(Some((header_row(opts, names.collect())?, Merged::Stats(table))))
        }
        Some(table) => Ok(Some((header_row(opts, input_header.iter().collect())?, Merged::Stats(table)))),
        None => Ok(Some((header_row(opts, input_header.iter().collect())?, Merged::Counts(counter)))),
    }
}

/// Whether a column is the count that ticky-count writes last (`count`, or `Count` as the daily
/// report's header names it).
fn is_count_column(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"count")
}

fn parse_count(field: &[u8]) -> Option<u64> {
    std::str::from_utf8(field).ok()?.parse().ok()
}
