use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::sort::{self, SortKey};
use ticky::{cli, output};
use ticky::{input, Result};

const NAME: &str = "ticky-sort";

const HELP: &str = "\
ticky-sort: sort CSV rows (or JSON Lines records) by named columns

Usage: ticky-sort --by COL[:MODS] [--by COL[:MODS]...] [FILE...]

Reads CSV (the first row is the header, which stays first) or JSON Lines (detected by a leading '{')
from each FILE or standard input, and writes the same format sorted by the keys in order. The sort
is stable; text compares by bytes. Several CSV files must share their header. Input of any size:
beyond the buffer, sorted runs go to a temporary file in $TMPDIR (or /tmp) and are merged.

Options:
      --by COL[:MODS][,...]   sort key; MODS: n numeric (non-numbers after numbers), r reverse
  -S, --buffer-size SIZE      memory for records before they go to a temporary file: bytes, or
                              with a suffix K, M or G (default 8M)
      --max-line N            refuse a row or record longer than one of ticky-parse's records
                              of a line of N bytes (default 1M, as ticky-parse --max-line)
  -h, --help                  print this help
  -V, --version               print the version

Example:
  ticky-sort --by Count:nr --by Error errors.csv
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut keys = Vec::new();
    let mut buffer = sort::DEFAULT_BUFFER;
    let mut max_line = input::MAX_LINE;
    let mut paths = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("by") => {
                for spec in cli::list_value(&mut args, "--by")? {
                    keys.push(SortKey::parse(&spec)?);
                }
            }
            Long("max-line") => max_line = cli::max_line_value(&mut args)?,
            Short('S') | Long("buffer-size") => buffer = cli::size_value(&mut args, "--buffer-size", 1, 1 << 40)?,
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let paths = input::names_or_stdin(paths);
    cli::hint_if_terminal(NAME, &paths, "CSV or records");
    for warning in sort::run(&keys, buffer, max_line, &paths, &mut output::stdout())? {
        cli::say(&format!("{NAME}: warning: {warning}"));
    }
    Ok(())
}
