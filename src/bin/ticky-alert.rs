use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::alert::{self, AlertOptions, Rule};
use ticky::moment::{self, Zone};
use ticky::{cli, output};
use ticky::{input, Error, Result};

const NAME: &str = "ticky-alert";

const HELP: &str = "\
ticky-alert: alert when records cross a threshold in a window of their own time

Usage: ticky-alert --rule RULE... | --rules FILE [OPTIONS] [FILE...]

Reads records (JSON Lines, as ticky-parse writes them) or a raw log from each FILE or standard
input, and writes one JSON object per alert, at once. Windows slide on the records' time, so a
replayed log gives the alerts the live one gave. A rule fires when it first holds for a key, and
again only after it stopped holding. A rule:
  NAME: [FIELD=VALUE|FIELD>N|FIELD~REGEX ...] count > N within 5m [by FIELD[,FIELD]]
  NAME: [conditions] p95(FIELD) > X within 5m [by ...]         (any p1 to p99)
  NAME: [conditions] zscore(count per 1m, last 60) > 3 [by ...]  (a spike against the last 60)

Options:
      --rule RULE           a rule (repeatable)
      --rules FILE          rules, one a line, # comments
      --exec CMD            run CMD (sh -c) per alert: the alert on its standard input,
                            TICKY_RULE, TICKY_KEY, TICKY_VALUE, TICKY_THRESHOLD set
      --repeat DURATION     while a rule keeps holding for a key, fire again this often
      --mail ADDR           mail each alert to ADDR (repeatable) through sendmail -t -oi
      --mail-every DURATION at most one mail this often: the alerts since, as a digest
      --sendmail PROGRAM    the sendmail to run (default: sendmail, then /usr/sbin/sendmail)
      --lateness DURATION   warn of records older than the newest by more (default 1m)
      --format NAME         syslog, combined, common, python, json, jsonl, or auto
      --year YYYY           year of RFC 3164 times (as ticky-parse --year)
      --tz ZONE             zone of local times: UTC, +01:00, Europe/Paris (default: TZ)
      --max-line N          cut raw lines longer than N bytes (default 1M)
  -h, --help                print this help
  -V, --version             print the version

Examples:
  ticky-follow /var/log/auth.log | ticky-alert --rule 'ssh: auth=failure count > 5 within 5m by ip'
  ticky-alert --rule 'slow: p95(duration_ms) > 2000 within 5m by path' access.log
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = AlertOptions { lateness: 60_000_000_000, max_line: input::MAX_LINE, ..AlertOptions::default() };
    let mut paths = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("rule") => {
                opts.rules.push(Rule::parse(&cli::string_value(&mut args, "--rule")?).map_err(Error::usage)?)
            }
            Long("rules") => {
                let path = cli::string_value(&mut args, "--rules")?;
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("cannot read {path}"), e))?;
                opts.rules.extend(Rule::parse_file(&text, &path).map_err(Error::usage)?);
            }
            Long("exec") => opts.exec = Some(cli::string_value(&mut args, "--exec")?),
            Long("mail") => opts.mail.push(cli::string_value(&mut args, "--mail")?),
            Long("sendmail") => opts.sendmail = Some(cli::string_value(&mut args, "--sendmail")?),
            Long("lateness") => opts.lateness = i128::from(duration_value(&mut args, "--lateness")?) * 1_000_000_000,
            Long("repeat") => opts.repeat = Some(i128::from(duration_value(&mut args, "--repeat")?) * 1_000_000_000),
            Long("mail-every") => {
                let seconds = duration_value(&mut args, "--mail-every")?;
                opts.mail_every = Some(std::time::Duration::from_secs(seconds as u64));
            }
            Long("format") => opts.format = cli::format_value(&mut args)?,
            Long("year") => opts.year = Some(cli::year_value(&mut args)?),
            Long("tz") => opts.zone = Zone::parse(&cli::string_value(&mut args, "--tz")?).map_err(Error::usage)?,
            Long("max-line") => opts.max_line = cli::max_line_value(&mut args)?,
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if opts.rules.is_empty() {
        return Err(Error::usage("give a rule: --rule 'errors: level=ERROR count > 10 within 5m' or --rules FILE"));
    }
    if opts.mail_every.is_some() && opts.mail.is_empty() {
        return Err(Error::usage("--mail-every needs --mail ADDR"));
    }
    let paths = input::names_or_stdin(paths);
    cli::hint_if_terminal(NAME, &paths, "records or a log");
    let outcome = alert::run(&opts, &paths, &mut output::stdout())?;
    for warning in outcome.warnings {
        cli::say(&format!("{NAME}: warning: {warning}"));
    }
    Ok(())
}

/// A duration such as 30s, 5m, 1h or 1d, in seconds.
fn duration_value(args: &mut lexopt::Parser, option: &str) -> Result<i64> {
    let text = cli::string_value(args, option)?;
    moment::parse_width(&text)
        .ok_or_else(|| Error::usage(format!("{option}: expected a duration such as 30s, 5m, 1h or 1d, not {text:?}")))
}
