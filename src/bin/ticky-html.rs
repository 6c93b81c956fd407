use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::dashboard::{self, DashboardOptions};
use ticky::html::{self, HtmlOptions};
use ticky::{cli, output};
use ticky::{input, Error, Result};

const NAME: &str = "ticky-html";

const HELP: &str = "\
ticky-html: turn a CSV table into one self-contained HTML page

Usage: ticky-html [--title TEXT] [--subtitle TEXT] [--caption TEXT] [--totals] [FILE...]
       ticky-html --dashboard DIR --day DAY [--past DIR] [--title TEXT] [--text]

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
Dashboard: the daily report's index page (see the man page)
      --dashboard DIR   from DIR's history.csv, error_message.csv, user_statistics.csv and
                        events_per_hour.csv, for the day --day DAY; changes against the
                        previous day in --past DIR (DIR/DAY/error_message.csv)
      --period TEXT  --days-href PREFIX  --latest URL  --text  --url URL
  -h, --help            print this help
  -V, --version         print the version

Example:
  ticky-parse syslog.log | ticky-count --by error | ticky-html --title Errors > errors.html
";

/// The dashboard's options as given, checked once all are read.
#[derive(Default)]
struct Dash {
    report: Option<std::path::PathBuf>,
    past: Option<std::path::PathBuf>,
    day: Option<String>,
    period: Option<String>,
    days_href: Option<String>,
    latest: Option<String>,
    url: Option<String>,
    text: bool,
}

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = HtmlOptions::titled("Report");
    let mut paths = Vec::new();
    let mut dash = Dash::default();
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
            Long("dashboard") => dash.report = Some(args.value()?.into()),
            Long("past") => dash.past = Some(args.value()?.into()),
            Long("day") => dash.day = Some(cli::string_value(&mut args, "--day")?),
            Long("period") => dash.period = Some(cli::string_value(&mut args, "--period")?),
            Long("days-href") => dash.days_href = Some(cli::string_value(&mut args, "--days-href")?),
            Long("latest") => dash.latest = Some(cli::string_value(&mut args, "--latest")?),
            Long("url") => dash.url = Some(cli::string_value(&mut args, "--url")?),
            Long("text") => dash.text = true,
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if let Some(report) = dash.report {
        if !paths.is_empty() {
            return Err(Error::usage("--dashboard reads its folder's tables, not FILE arguments"));
        }
        let day = dash.day.ok_or_else(|| Error::usage("--dashboard needs --day DAY, the day of the page"))?;
        let opts = DashboardOptions {
            report,
            past: dash.past,
            day,
            period: dash.period,
            title: opts.title,
            subtitle: opts.subtitle,
            days_href: dash.days_href.unwrap_or_else(|| "days/".to_string()),
            latest: dash.latest,
            text: dash.text,
            url: dash.url,
            max_line: opts.max_line,
        };
        return dashboard::run(&opts, &mut output::stdout());
    }
    if dash.day.is_some() || dash.past.is_some() || dash.text {
        return Err(Error::usage("--day, --past and --text go with --dashboard DIR"));
    }
    let paths = input::names_or_stdin(paths);
    cli::hint_if_terminal(NAME, &paths, "a CSV table");
    html::run(&opts, &paths, &mut output::stdout())
}
