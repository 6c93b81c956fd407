use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::count::{self, CountOptions, Pivot, ReadOptions};
use ticky::filter::Condition;
use ticky::moment::{self, Clock, Zone};
use ticky::{cli, output};
use ticky::{input, Error, Result};

const NAME: &str = "ticky-count";

const HELP: &str = "\
ticky-count: count records or raw logs per key, as CSV; stats of a number per key

Usage: ticky-count --by FIELD[,FIELD...] [OPTIONS] [--and --by FIELD... [OPTIONS]]... [FILE...]
       ticky-count --merge [--by FIELD,... | --keys N] [--header A,B,...] [-o FILE] [FILE...]

Reads each FILE or standard input: JSON Lines as ticky-parse writes them, or a raw log, parsed in
process (a regular file on every core). Writes CSV: a header, then a row per distinct key, by count
descending, ties by key (a table with a time bucket: by time, empty buckets as zero rows). Records
without every key field are not counted; warnings name fields, values and times that matched
nothing. With --and, one pass makes several tables; at most one goes to standard output.

Table options:
      --by FIELD[,FIELD...]     the key; time/5m is the time in buckets (Ns, Nm, Nh, Nd)
      --pivot FIELD             one count column per value of FIELD listed with --columns V1,V2...
      --stats FIELD             count,min,mean,p50,p90,p95,p99,max,sum of a number (1% at most off)
      --exact                   with --stats: every value kept, percentiles exact
      --partial                 with --stats: write the mergeable state, for --merge
      --where COND              FIELD=V, !=, <, <=, >, >= (numbers when both are), ~ REGEX, !~
      --since TIME              only times from TIME: ISO 8601, today, yesterday, -1h, -30m
      --until TIME              only times before TIME
      --order count|key         rows by count descending (default) or by key ascending
      --header A[,B...]         name the output columns (every one of them)
  -o, --output FILE             write to FILE, replaced only when the run succeeds (- : stdout)
      --and                     start another table: the options after it are its own
Input options:
      --merge                   sum tables that ticky-count wrote, merge --partial stats (--keys N)
      --format NAME             syslog, combined, common, python, json (app logs), jsonl, auto
      --pattern REGEX           read lines with a regex, as ticky-parse (--patterns FILE)
      --duration-unit s|ms|us   unit of access logs' request times (default s)
      --year YYYY               year of RFC 3164 times (as ticky-parse --year)
      --tz ZONE                 zone of local times, and of buckets: UTC, +01:00, Europe/Paris
      --threads N               threads for a regular file (default: every core)
      --memory SIZE             memory for counts (default 64M); beyond it, exact via $TMPDIR
      --lines  --max-line N  --summary-csv FILE   as ticky-parse (see the man page)
  -h, --help  -V, --version

Examples:
  ticky-count --by user --pivot level --columns INFO,ERROR syslog.log
  ticky-count --by path --stats duration_ms --where 'status>=500' --since today access.log
  ticky-count --by time/1h --where level=ERROR -o errors-per-hour.csv syslog.log
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
                table.opts.filters.push(Condition::parse(&value).map_err(Error::usage)?);
            }
            Long("since") => table.since = Some(cli::string_value(&mut args, "--since")?),
            Long("until") => table.until = Some(cli::string_value(&mut args, "--until")?),
            Long("stats") => table.opts.stats = Some(cli::string_value(&mut args, "--stats")?),
            Long("exact") => table.opts.exact = true,
            Long("partial") => table.opts.partial = true,
            Long("order") => {
                table.opts.by_key = match cli::string_value(&mut args, "--order")?.as_str() {
                    "count" => false,
                    "key" => true,
                    other => return Err(Error::usage(format!("--order: expected count or key, not {other:?}"))),
                }
            }
            Long("tz") => read.zone = Zone::parse(&cli::string_value(&mut args, "--tz")?).map_err(Error::usage)?,
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
            Long("and") => tables.push(std::mem::take(&mut table)),
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
    tables.push(table);
    let now = std::time::SystemTime::now();
    let tables = tables.into_iter().map(|t| t.finish(&read.zone, now)).collect::<Result<Vec<_>>>()?;
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
    since: Option<String>,
    until: Option<String>,
}

impl TableArgs {
    /// The table's options; `--since` and `--until` read in `zone` (`--tz` may come after them).
    fn finish(self, zone: &Zone, now: std::time::SystemTime) -> Result<CountOptions> {
        let mut opts = self.opts;
        let mut clock = Clock::new(zone.clone());
        let mut bound = |text: Option<String>, option: &str| {
            text.map(|t| moment::parse_bound(&t, &mut clock, now).map_err(|e| Error::usage(format!("{option}: {e}"))))
                .transpose()
        };
        opts.since = bound(self.since, "--since")?;
        opts.until = bound(self.until, "--until")?;
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
