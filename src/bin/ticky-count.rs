use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::count::{self, CountOptions, Pivot, ReadOptions};
use ticky::{cli, output};
use ticky::{input, Error, Result};

const NAME: &str = "ticky-count";

const HELP: &str = "\
ticky-count: count records or raw syslog lines per key, as CSV

Usage: ticky-count --by FIELD[,FIELD...] [OPTIONS] [--and --by FIELD... [OPTIONS]]... [FILE...]
       ticky-count --merge [--by FIELD,... | --keys N] [--header A,B,...] [-o FILE] [FILE...]

Reads each FILE or standard input: JSON Lines as ticky-parse writes them, or (when the first
non-blank byte is not '{') a raw syslog, parsed as ticky-parse would, with its summary on standard
error. A regular file is counted on every core. Writes CSV: a header, then one row per distinct
key with its count, by count descending, ties by key ascending.
Records without every key field are not counted; a field that no record has, and that ticky-parse
never writes (a typo such as --by usr), gets a warning. With --and, one pass makes several tables,
each with its own options; at most one of them may go to standard output.

Options:
      --by FIELD[,FIELD...]     the key: count records per distinct value of these fields
      --pivot FIELD             cross-tabulate: one count column per value of FIELD ...
      --columns V1[,V2...]      ... for these values, in this order (required with --pivot)
      --where FIELD=VALUE       count only records whose FIELD is VALUE (repeatable: all must hold)
      --header A[,B...]         name the output columns (every one of them)
  -o, --output FILE             write this table to FILE instead of standard output (-); FILE is
                                replaced only when the run succeeds, and may be an input too
      --and                     start another table: the options after it are its own
      --merge                   sum CSVs that ticky-count wrote (same header); the key: the first
                                columns, as many as --by or --keys N says, else all but 'count'
      --keys N                  with --merge: the number of key columns
      --format NAME             syslog, combined, common, python, json (app logs), jsonl, or auto
      --duration-unit s|ms|us   unit of access logs' request times (default s; as ticky-parse)
      --pattern REGEX           read lines with a regex, as ticky-parse --pattern (--patterns FILE)
      --year YYYY               year of RFC 3164 timestamps in raw logs (as ticky-parse --year)
      --threads N               threads for a regular file (default: every core)
      --summary-csv FILE        write the raw logs' summary as ticky-parse --summary-csv does
      --lines                   count a record with repeat (message repeated N times) once
      --max-line N              cut raw lines longer than N bytes (default 1M) as ticky-parse does
      --memory SIZE             memory for counts (default 64M); beyond it, exact via $TMPDIR files
  -h, --help                    print this help
  -V, --version                 print the version

Examples:
  ticky-parse syslog.log | ticky-count --by user --pivot level --columns INFO,ERROR
  ticky-parse syslog.log | ticky-count --by error -o errors.csv --and --by user -o users.csv
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut read = ReadOptions::default();
    let mut summary_csv = None;
    let mut tables = Vec::new();
    let mut table = TableArgs::default();
    let mut paths = Vec::new();
    let mut pattern = None;
    let mut pattern_files = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("by") => table.opts.by.extend(cli::list_value(&mut args, "--by")?),
            Long("pivot") => table.pivot = Some(cli::string_value(&mut args, "--pivot")?),
            Long("columns") => table.columns = Some(cli::list_value(&mut args, "--columns")?),
            Long("where") => {
                let value = cli::string_value(&mut args, "--where")?;
                match value.split_once('=') {
                    Some((field, v)) if !field.is_empty() => {
                        table.opts.filters.push((field.to_string(), v.to_string()))
                    }
                    _ => return Err(Error::usage(format!("--where: expected FIELD=VALUE, not {value:?}"))),
                }
            }
            Long("header") => table.opts.header = Some(cli::list_value(&mut args, "--header")?),
            Short('o') | Long("output") => {
                let path = cli::string_value(&mut args, "--output")?;
                table.opts.output = (path != "-").then_some(path);
            }
            Long("merge") => table.opts.merge = true,
            Long("keys") => {
                let value = cli::string_value(&mut args, "--keys")?;
                match value.parse::<usize>() {
                    Ok(n) if n >= 1 => table.opts.keys = Some(n),
                    _ => {
                        return Err(Error::usage(format!(
                            "--keys: expected a number of columns (1 or more), not {value:?}"
                        )))
                    }
                }
            }
            Long("and") => tables.push(std::mem::take(&mut table).finish()?),
            Long("year") => read.year = Some(cli::year_value(&mut args)?),
            Long("format") => read.format = cli::format_value(&mut args)?,
            Long("pattern") => pattern = Some(cli::string_value(&mut args, "--pattern")?),
            Long("patterns") => pattern_files.push(cli::string_value(&mut args, "--patterns")?),
            Long("threads") => read.threads = cli::number_value(&mut args, "--threads", 1, 1024)? as usize,
            Long("lines") => read.lines = true,
            Long("duration-unit") => read.unit = cli::duration_unit_value(&mut args)?,
            Long("max-line") => read.max_line = cli::max_line_value(&mut args)?,
            Long("memory") => read.memory = cli::size_value(&mut args, "--memory", 64 << 10, 1 << 40)?,
            Long("summary-csv") => summary_csv = Some(cli::string_value(&mut args, "--summary-csv")?),
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    tables.push(table.finish()?);
    read.format = cli::with_pattern(read.format, pattern.as_deref(), &pattern_files)?;
    let paths = input::names_or_stdin(paths);
    cli::hint_if_terminal(NAME, &paths, "records or a log");
    let progress = ticky::progress::Progress::start(NAME, &paths, false);
    let outcome = count::run_with(&tables, &read, &paths, &mut output::stdout());
    drop(progress);
    let outcome = outcome?;
    for warning in outcome.warnings {
        cli::say(&format!("{NAME}: warning: {warning}"));
    }
    let summary = outcome.summary.unwrap_or_default();
    cli::say_told(NAME, &summary);
    if summary.worth_saying() {
        cli::say(&format!("{NAME}: {summary}"));
    }
    if let Some(path) = summary_csv {
        cli::write_summary_csv(&summary, &path)?;
    }
    Ok(())
}

/// The options of one table, as given.
#[derive(Default)]
struct TableArgs {
    opts: CountOptions,
    pivot: Option<String>,
    columns: Option<Vec<String>>,
}

impl TableArgs {
    fn finish(self) -> Result<CountOptions> {
        let mut opts = self.opts;
        opts.pivot = match (self.pivot, self.columns) {
            (Some(field), Some(columns)) => {
                if let Some(twice) = columns.iter().enumerate().find_map(|(i, c)| columns[..i].contains(c).then_some(c))
                {
                    return Err(Error::usage(format!("--columns: {twice} is listed twice")));
                }
                Some(Pivot { field, columns })
            }
            (None, None) => None,
            (Some(_), None) => return Err(Error::usage("--pivot needs --columns V1,V2,... to name its count columns")),
            (None, Some(_)) => return Err(Error::usage("--columns only applies with --pivot FIELD")),
        };
        Ok(opts)
    }
}
