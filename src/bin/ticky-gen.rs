use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::gen::{self, GenFormat, GenOptions};
use ticky::{cli, output};
use ticky::{Error, Result};

const NAME: &str = "ticky-gen";

const HELP: &str = "\
ticky-gen: write a synthetic syslog or access log, for tests and benchmarks

Usage: ticky-gen [OPTIONS]

Writes a deterministic log (the same seed gives the same bytes) of ticky INFO and ERROR lines mixed
with other daemons (sshd, CRON, kernel, systemd) on standard output; with --format combined, a web
server's access log (nginx's combined format with $request_time last).

Options:
  -n, --lines N       number of lines (default 1000)
      --seed S        random seed (default 1)
      --messy         add damage: malformed ticky lines, lines without a header, invalid
                      UTF-8, NUL bytes, CRLF, RFC 3339 and RFC 5424 headers, hostile user
                      names, no final newline
      --format NAME   syslog (the default), combined (access log), sshd (logins), python
                      or json (an application's log)
      --truth FILE    write the true counts (errors, users, lines not understood; requests
                      per status, path, address; failed logins per address) as JSON
  -h, --help          print this help
  -V, --version       print the version

Example:
  ticky-gen --lines 100000 --messy --truth truth.json > test.log
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn number(args: &mut lexopt::Parser, option: &str) -> Result<u64> {
    let value = cli::string_value(args, option)?;
    value.parse().map_err(|_| Error::usage(format!("{option}: expected a whole number, not {value:?}")))
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = GenOptions { lines: 1000, seed: 1, messy: false, format: GenFormat::Syslog };
    let mut truth_path = None;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Short('n') | Long("lines") => opts.lines = number(&mut args, "--lines")?,
            Long("seed") => opts.seed = number(&mut args, "--seed")?,
            Long("messy") => opts.messy = true,
            Long("format") => {
                opts.format = match cli::string_value(&mut args, "--format")?.as_str() {
                    "syslog" => GenFormat::Syslog,
                    "combined" => GenFormat::Combined,
                    "sshd" => GenFormat::Sshd,
                    "python" => GenFormat::Python,
                    "json" => GenFormat::Json,
                    other => {
                        return Err(Error::usage(format!(
                            "--format: expected syslog, combined, sshd, python or json, not {other:?}"
                        )))
                    }
                }
            }
            Long("truth") => truth_path = Some(cli::path_value(args.value()?)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let mut out = output::stdout();
    let truth = gen::generate(&opts, &mut out).map_err(Error::output)?;
    if let Some(path) = truth_path {
        let file = File::create(&path).map_err(|e| Error::io(format!("cannot create {path}"), e))?;
        let mut w = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut w, &truth)
            .map_err(std::io::Error::from)
            .and_then(|()| w.write_all(b"\n"))
            .and_then(|()| w.flush())
            .map_err(|e| Error::io(format!("writing {path}"), e))?;
    }
    Ok(())
}
