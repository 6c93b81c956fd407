use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lexopt::prelude::*;
use ticky::cli;
use ticky::publish::{self, PublishOptions};
use ticky::{Error, Result};

const NAME: &str = "ticky-publish";

const HELP: &str = "\
ticky-publish: publish a report into a web folder, atomically and safely

Usage: ticky-publish [OPTIONS] SRCDIR OUTDIR
       ticky-publish --export DEST --file NAME... OUTDIR

Copies every file of SRCDIR (a private folder the report was built in) into a new run folder
OUTDIR/runs/TIME, then switches the link OUTDIR/current to it with one rename, so readers see
the whole old report or the whole new one, never a mix. OUTDIR/NAME is a link to current/NAME
for each file, so the published addresses stay the same. Safe when run as root into a folder
that a less-trusted user can write: no link is followed, no file it did not create is written.
CSV files are published with cells that a spreadsheet would run as formulas (starting with
= + - @, tab or CR) prefixed with ', so they open as text.

Options:
      --keep N         run folders (with --day: days) to keep, the published one included
                       (default: 3)
      --day DAY        the day the report covers (YYYY-MM-DD): kept as OUTDIR/days/DAY, which
                       a later run of the same day replaces; current follows the newest day
      --home FILE      OUTDIR/index.html links to current/FILE instead of current/index.html
      --wait SECONDS   how long to wait while another run publishes (default: 60)
      --exact-csv      publish CSV files exactly as they are
      --export DEST    copy each kept day's files named by --file NAME into DEST/DAY/, only
                       from folders and files of this user that nobody else can write
  -h, --help           print this help
  -V, --version        print the version

Example:
  ticky-publish --day 2026-11-21 --keep 30 /tmp/report.XXXXXX /var/www/html/ticky
";

fn main() -> ExitCode {
    cli::main(NAME, run)
}

fn run(mut args: lexopt::Parser) -> Result<()> {
    let mut opts = PublishOptions::default();
    let mut paths: Vec<PathBuf> = Vec::new();
    let (mut export, mut files) = (None, Vec::new());
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return cli::print_help(HELP),
            Short('V') | Long("version") => return cli::print_version(NAME),
            Long("keep") => opts.keep = cli::number_value(&mut args, "--keep", 1, 100_000)? as usize,
            Long("wait") => opts.wait = Duration::from_secs(cli::number_value(&mut args, "--wait", 0, 100_000)?),
            Long("exact-csv") => opts.exact_csv = true,
            Long("day") => opts.day = Some(cli::string_value(&mut args, "--day")?),
            Long("home") => opts.home = Some(cli::string_value(&mut args, "--home")?),
            Long("export") => export = Some(PathBuf::from(args.value()?)),
            Long("file") => files.push(cli::string_value(&mut args, "--file")?),
            Value(path) => paths.push(path.into()),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if let Some(dest) = export {
        let [outdir] = <[PathBuf; 1]>::try_from(paths)
            .map_err(|p| Error::usage(format!("--export: expected OUTDIR only, got {} argument(s)", p.len())))?;
        if files.is_empty() {
            return Err(Error::usage("--export needs at least one --file NAME"));
        }
        publish::export(&outdir, &dest, &files)?;
        return Ok(());
    }
    if !files.is_empty() {
        return Err(Error::usage("--file goes with --export"));
    }
    let [src, outdir] = <[PathBuf; 2]>::try_from(paths)
        .map_err(|p| Error::usage(format!("expected SRCDIR and OUTDIR, got {} argument(s)", p.len())))?;
    publish::publish(&src, &outdir, &opts)?;
    Ok(())
}
