use std::process::ExitCode;
use std::time::Duration;

use lexopt::prelude::*;
use ticky::follow::{self, FollowOptions};
use ticky::{cli, output};
use ticky::{Error, Result};

const NAME: &str = "ticky-follow";

const HELP: &str = "\
ticky-follow: print the new lines of log files as they are written, across rotation

Usage: ticky-follow [OPTIONS] FILE...

Prints each new line of each FILE (raw, so ticky-parse can read it), starting at its end. Follows
rotation by rename (the old file is read to its end first, and a while after) and by copy and
truncate (the lines not yet read are taken from the copy, FILE.1). A file is known by its inode
and the fingerprint of its first bytes, so a reused inode or a common first line cannot fool it.
A line still being written is held until its newline comes.

Options:
      --state FILE       keep what was read in FILE (saved atomically after each batch) and
                         resume from there: no line lost across restarts, even after kill -9
  -o, --output FILE      append to FILE, its length kept in the state: after a restart, lines
                         written after the last save are cut and read again, never doubled
      --from-start       start files the state does not know at their start, not their end
      --once             read what there is now and stop (with --state: the lines since the
                         last run, for cron)
      --interval MS      how often to look at the files, in milliseconds (default 250)
      --max-line N       pass longer lines on in pieces of N bytes (default 1M)
  -h, --help             print this help
  -V, --version          print the version

Examples:
  ticky-follow /var/log/syslog | ticky-parse | ticky-alert --rules /etc/ticky/rules
  ticky-follow --once --state /var/lib/ticky/auth.state /var/log/auth.log | ticky-count --by ip
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = FollowOptions::default();
    let mut paths = Vec::new();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("state") => opts.state = Some(cli::string_value(&mut args, "--state")?),
            Short('o') | Long("output") => opts.output = Some(cli::string_value(&mut args, "--output")?),
            Long("from-start") => opts.from_start = true,
            Long("once") => opts.once = true,
            Long("interval") => {
                opts.interval = Duration::from_millis(cli::number_value(&mut args, "--interval", 1, 3_600_000)?)
            }
            Long("max-line") => opts.max_line = cli::max_line_value(&mut args)?,
            Value(path) => paths.push(cli::path_value(path)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if paths.is_empty() {
        return Err(Error::usage("name the files to follow (standard input cannot be followed across rotation)"));
    }
    if let Some(twice) = paths.iter().enumerate().find_map(|(i, p)| paths[..i].contains(p).then_some(p)) {
        return Err(Error::usage(format!("{twice} is named twice")));
    }
    let mut out = output::stdout();
    follow::run(&opts, &paths, &mut out, &mut |warning| cli::say(&format!("{NAME}: warning: {warning}")))
}
