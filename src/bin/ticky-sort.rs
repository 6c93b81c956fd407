use std::process::ExitCode;

use lexopt::prelude::*;
use ticky::cli;
use ticky::sort::{self, SortKey};
use ticky::{input, Result};

const NAME: &str = "ticky-sort";

const HELP: &str = "\
ticky-sort: sort CSV rows (or JSON Lines records) by named columns

Usage: ticky-sort --by COL[:MODS] [--by COL[:MODS]...] [FILE...]

Reads CSV (the first row is the header, which stays first) or JSON Lines (detected by a leading '{')
from each FILE or standard input, and writes the same format sorted by the keys in order. The sort
is stable; text compares by bytes. Several CSV files must share their header.

Options:
      --by COL[:MODS][,...]   sort key; MODS: n numeric (non-numbers after numbers), r reverse
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
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    sort::run(&keys, &input::names_or_stdin(paths), &mut cli::stdout())
}
