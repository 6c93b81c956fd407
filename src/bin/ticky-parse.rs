use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::format::Format;
use ticky::parse::{self, ParseOptions};
use ticky::{cli, output};
use ticky::{input, Error, Result};

const NAME: &str = "ticky-parse";

const HELP: &str = "\
ticky-parse: turn log lines into JSON Lines, one record per input line

Usage: ticky-parse [OPTIONS] [FILE...]

Reads each FILE (or standard input when none, or -; gzip is read decompressed) and writes one
JSON object per input line: for syslog line, time, host, program, pid, facility, severity,
message, for the ticky service level, info or error, ticket and user, for sshd, sudo and su
logins auth (failure or success), login, ip, port and method; for an access log ip,
user, time, method, path, query, protocol, status, bytes, referer, agent, duration_ms, vhost;
raw for a line not understood. A summary of the lines that were not fully
understood goes to standard error. Records go out whenever the input pauses, so a live log
(tail -F) shows each record as its line arrives.

Options:
      --year YYYY   year of RFC 3164 timestamps (default: inferred from the file's
                    modification time, or now for standard input); a Feb 29 that
                    the year does not have makes its line raw
      --format NAME syslog (also journal entries), combined or common (web access
                    logs), python, json, or auto (the default: told from the first line)
      --pattern REGEX
                    read lines with a regex: each named group (?P<name>...) a field;
                    %{NAME} and %{NAME:field} as grok, from the shipped patterns
                    (IP, HTTPDATE, COMBINEDAPACHELOG, ...) and --patterns FILE
      --duration-unit s|ms|us
                    unit of an access log's request time at the end of its lines
                    (default s, nginx's $request_time; us for Apache's %D)
      --strict      exit with status 1 when any line was not fully understood
      --summary     print the summary even when every line was understood
      --summary-csv FILE
                    also write the summary's numbers to FILE as a one-row CSV table
                    (lines, not_understood, without_header, ticky_without_level,
                    ticky_without_user, ticky_events, truncated), for scripts
      --max-line N  cut lines longer than N bytes (default 1M; K, M, G allowed):
                    the record says \"truncated\":true and the line's \"length\"
  -h, --help        print this help
  -V, --version     print the version

Examples:
  ticky-parse /var/log/syslog | ticky-count --by error
  tail -F /var/log/syslog | ticky-parse | jq -c 'select(.level == \"ERROR\")'
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = ParseOptions::default();
    let mut strict = false;
    let mut always_summarise = false;
    let mut summary_csv = None;
    let mut format = Format::Auto;
    let mut pattern = None;
    let mut pattern_files = Vec::new();
    let mut paths = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("year") => opts.year = Some(cli::year_value(&mut args)?),
            Long("max-line") => opts.max_line = cli::max_line_value(&mut args)?,
            Long("strict") => strict = true,
            Long("format") => format = cli::format_value(&mut args)?,
            Long("duration-unit") => opts.unit = cli::duration_unit_value(&mut args)?,
            Long("pattern") => pattern = Some(cli::string_value(&mut args, "--pattern")?),
            Long("patterns") => pattern_files.push(cli::string_value(&mut args, "--patterns")?),
            Long("summary") => always_summarise = true,
            Long("summary-csv") => summary_csv = Some(cli::string_value(&mut args, "--summary-csv")?),
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let format = cli::with_pattern(format, pattern.as_deref(), &pattern_files)?;
    if format == Format::JsonLines {
        return Err(Error::usage("--format jsonl: ticky-parse reads logs; its records are JSON Lines"));
    }
    // After every option, so that --duration-unit counts wherever it stands.
    opts.format = format.line_format(opts.unit);
    let mut out = output::stdout();
    let paths = input::names_or_stdin(paths);
    cli::hint_if_terminal(NAME, &paths, "syslog lines");
    let progress = ticky::progress::Progress::start(NAME, &paths, true);
    let summary = parse::run(&opts, &paths, &mut out);
    drop(progress);
    let summary = summary?;
    cli::say_told(NAME, &summary);
    if summary.worth_saying() || always_summarise {
        cli::say(&format!("{NAME}: {summary}"));
    }
    if let Some(path) = summary_csv {
        cli::write_summary_csv(&summary, &path)?;
    }
    if strict && summary.worth_saying() {
        return Err(Error::Failed("--strict: some lines were not fully understood or were cut".into()));
    }
    Ok(())
}
