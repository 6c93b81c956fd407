use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lexopt::prelude::*;
use ticky::store::{self, StoreOptions};
use ticky::{cli, input, Error, Result};

const NAME: &str = "ticky-store";

const HELP: &str = "\
ticky-store: keep records in a SQLite database, for questions asked later

Usage: ticky-store [OPTIONS] DB [FILE...]

Reads each FILE or standard input, raw logs (parsed as ticky-parse would; gzip read directly) or
ticky-parse's JSON Lines, and adds its records to the SQLite database DB, made when missing
(mode 0600). Storing a file again adds only the lines it did not store before: a file is known
by its contents, so a grown log adds its new lines and a rotated copy (syslog.1, syslog.2.gz)
adds nothing twice. Standard input has no such identity: each run adds all of it. Records go in
10,000 to a transaction, with the file's position: a run killed at any moment leaves whole
batches, and the next run goes on where it stopped. Query with sqlite3: see ticky-store(1).

Options:
      --format NAME     syslog (or journal), combined or common (access logs), python, json
                        (app logs), jsonl (records), or auto (records if the first byte is
                        '{', else told from the first line)
      --duration-unit s|ms|us  unit of access logs' request times (default s)
      --pattern REGEX   read lines with a regex, as ticky-parse --pattern (--patterns FILE)
      --year YYYY       year of RFC 3164 timestamps in raw logs (as ticky-parse --year)
      --max-line N      cut raw lines longer than N bytes (default 1M) as ticky-parse does
      --retain DAYS     then delete records older than DAYS days (with --retain, no FILE means
                        no input, not standard input)
      --batch N         records per transaction (default: 10000)
      --wait SECONDS    how long to wait while another ticky-store uses DB (default: 600)
  -q, --quiet           say nothing on success
  -h, --help            print this help
  -V, --version         print the version

Examples:
  ticky-store /var/lib/ticky/logs.db /var/log/syslog
  sqlite3 /var/lib/ticky/logs.db \"select user, count(*) from records group by user\"
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = StoreOptions::default();
    let mut quiet = false;
    let mut paths = Vec::new();
    let mut pattern = None;
    let mut pattern_files = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("format") => opts.format = cli::format_value(&mut args)?,
            Long("pattern") => pattern = Some(cli::string_value(&mut args, "--pattern")?),
            Long("patterns") => pattern_files.push(cli::string_value(&mut args, "--patterns")?),
            Long("duration-unit") => opts.unit = cli::duration_unit_value(&mut args)?,
            Long("year") => opts.year = Some(cli::year_value(&mut args)?),
            Long("max-line") => opts.max_line = cli::max_line_value(&mut args)?,
            Long("retain") => opts.retain = Some(cli::number_value(&mut args, "--retain", 1, 1_000_000)?),
            Long("batch") => opts.batch = cli::number_value(&mut args, "--batch", 1, 10_000_000)? as usize,
            Long("wait") => opts.wait = Duration::from_secs(cli::number_value(&mut args, "--wait", 0, 1_000_000)?),
            Short('q') | Long("quiet") => quiet = true,
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    opts.format = cli::with_pattern(opts.format, pattern.as_deref(), &pattern_files)?;
    if paths.is_empty() {
        return Err(Error::usage("expected DB, the database to store into (and the FILEs to read)"));
    }
    let db = PathBuf::from(paths.remove(0));
    let paths = if paths.is_empty() && opts.retain.is_some() { paths } else { input::names_or_stdin(paths) };
    cli::hint_if_terminal(NAME, &paths, "records or a log");
    let progress = ticky::progress::Progress::start(NAME, &paths, false);
    let outcome = store::run(&db, &opts, &paths);
    drop(progress);
    let outcome = outcome?;
    for stored in &outcome.inputs {
        if let Some(summary) = &stored.summary {
            cli::say_told(NAME, summary);
        }
        if let Some(summary) = stored.summary.as_ref().filter(|s| s.worth_saying()) {
            cli::say(&format!("{NAME}: {}: {summary}", stored.name));
        }
        if stored.held_back {
            cli::say(&format!(
                "{NAME}: {}: the last line has no newline and is not a whole record yet: not stored; \
                 it is stored by the next run once it is complete",
                stored.name
            ));
        }
        if !quiet {
            cli::say(&format!("{NAME}: {}", stored));
        }
    }
    if let (Some(deleted), false) = (outcome.deleted, quiet) {
        cli::say(&format!("{NAME}: --retain: {deleted} older record{} deleted", if deleted == 1 { "" } else { "s" }));
    }
    Ok(())
}
