use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::html::{self, HtmlOptions};
use ticky::{cli, output};
use ticky::{input, Result};

const NAME: &str = "ticky-html";

const HELP: &str = "\
ticky-html: turn a CSV table into one self-contained HTML page

Usage: ticky-html [--title TEXT] [--subtitle TEXT] [--caption TEXT] [--totals] [FILE...]

Reads CSV (the first row is the header) from each FILE or standard input and writes an HTML5 page
with the table: every cell escaped, numbers right-aligned with thousands separators, a bar for the
first numeric column, inline CSS (light and dark, phone and print), no script, nothing from
another host. A table of time buckets (ticky-count --by time/1h) gets an SVG chart above it: bars
of its count, a line per count column, or a stats table's p50, p95 and p99; p95 is in bold. A table
larger than 8 MB is held in a temporary file in $TMPDIR (or /tmp) between its two passes.

Options:
      --title TEXT      page title and heading (default: Report)
      --subtitle TEXT   a line of text under the heading
      --caption TEXT    a caption above the table
      --totals          a last row with the sum of each count column
      --unit TEXT       the unit of a stats table's values (ms), in their headers
      --bar COLUMN      the column that gets the bar (default: the first numeric one)
      --shares          after each count column, its share (%) of the column's total
      --back URL        a link back (e.g. to the report's index.html) above the heading
      --max-rows N      show at most N rows (default 1000; 0: all), the rest counted below
      --max-line N      refuse a row longer than six times N bytes (default 1M)
  -h, --help            print this help
  -V, --version         print the version

Example:
  ticky-parse syslog.log | ticky-count --by error | ticky-html --title Errors > errors.html
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = HtmlOptions::titled("Report");
    let mut paths = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("title") => opts.title = cli::string_value(&mut args, "--title")?,
            Long("subtitle") => opts.subtitle = Some(cli::string_value(&mut args, "--subtitle")?),
            Long("max-line") => opts.max_line = cli::max_line_value(&mut args)?,
            Long("caption") => opts.caption = Some(cli::string_value(&mut args, "--caption")?),
            Long("totals") => opts.totals = true,
            Long("unit") => opts.unit = Some(cli::string_value(&mut args, "--unit")?),
            Long("bar") => opts.bar = Some(cli::string_value(&mut args, "--bar")?),
            Long("shares") => opts.shares = true,
            Long("back") => opts.back = Some(cli::string_value(&mut args, "--back")?),
            Long("max-rows") => opts.max_rows = cli::number_value(&mut args, "--max-rows", 0, u64::MAX)?,
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let paths = input::names_or_stdin(paths);
    cli::hint_if_terminal(NAME, &paths, "a CSV table");
    html::run(&opts, &paths, &mut output::stdout())
}
