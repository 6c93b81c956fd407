//! What every tool shares on its command line and at its exit: the `main` wrapper that maps errors
//! to messages and exit codes, `--help` and `--version`, and option values.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use crate::error::{Error, Result};

/// Runs a tool's `run` function and turns its result into the exit status of DESIGN.md: 0 on
/// success or when the output pipe was closed by its reader, 1 on a runtime failure, 2 on a usage
/// error. Every message goes to standard error once, prefixed with the tool's name.
pub fn main(name: &str, run: impl FnOnce(lexopt::Parser) -> Result<()>) -> ExitCode {
    if stdout_was_closed() {
        say(&format!("{name}: standard output is closed: send the output to a file or a pipe"));
        return ExitCode::from(1);
    }
    match run(lexopt::Parser::from_env()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("{name}: {e}"));
            if let Error::Usage(_) = e {
                say(&format!("Try '{name} --help' for more information."));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Whether the tool was started with standard output closed (`>&-`), where a run would otherwise
/// "succeed" having written nothing. Rust's runtime puts `/dev/null`, opened read-write, on a closed
/// standard descriptor before `main`; a shell's `>/dev/null` opens it write-only.
fn stdout_was_closed() -> bool {
    use rustix::fs::{fstat, stat, OFlags};
    let out = io::stdout();
    if rustix::io::fcntl_getfd(&out).is_err() {
        return true;
    }
    let read_write = rustix::fs::fcntl_getfl(&out).is_ok_and(|f| f & OFlags::RWMODE == OFlags::RDWR);
    let null = |st: rustix::fs::Stat| (st.st_mode & 0o170000 == 0o020000).then_some(st.st_rdev);
    let is_null = match (fstat(&out).ok().and_then(null), stat("/dev/null").ok().and_then(null)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    read_write && is_null
}

/// Writes one line to standard error. A diagnostic that cannot be written (`2>/dev/full`, a closed
/// pipe) is lost, but never turns into a panic: the exit status still says what happened.
pub fn say(line: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(line.as_bytes()).and_then(|()| err.write_all(b"\n"));
}

/// When a tool would read standard input and that is a terminal, says so on standard error: a
/// user who gave no file (or a value where a file was meant) otherwise sees a tool that hangs.
pub fn hint_if_terminal(name: &str, paths: &[String], what: &str) {
    use std::io::IsTerminal;
    if paths.iter().any(|p| p == "-") && io::stdin().is_terminal() {
        say(&format!("{name}: reading {what} from the terminal (end with Ctrl-D); give a file, or pipe it in"));
    }
}

/// Prints `text` (a tool's `--help`) on standard output.
pub fn print_help(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(Error::output)
}

/// Prints `NAME X.Y.Z` on standard output.
pub fn print_version(name: &str) -> Result<()> {
    print_help(&format!("{name} {}\n", env!("CARGO_PKG_VERSION")))
}

/// The value of an option as UTF-8 text, or a usage error that names the option.
pub fn string_value(parser: &mut lexopt::Parser, option: &str) -> Result<String> {
    parser.value()?.into_string().map_err(|v| Error::usage(format!("{option}: value {v:?} is not valid UTF-8")))
}

/// A comma-separated list (`--by a,b`), as given; empty items are a usage error.
pub fn list_value(parser: &mut lexopt::Parser, option: &str) -> Result<Vec<String>> {
    let value = string_value(parser, option)?;
    let items: Vec<String> = value.split(',').map(str::to_string).collect();
    if items.iter().any(String::is_empty) {
        return Err(Error::usage(format!("{option}: empty name in list {value:?}")));
    }
    Ok(items)
}

/// A whole-number option value within `min..=max`, or a usage error that names the option.
pub fn number_value(parser: &mut lexopt::Parser, option: &str, min: u64, max: u64) -> Result<u64> {
    let value = string_value(parser, option)?;
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::usage(format!("{option}: expected a whole number from {min} to {max}, not {value:?}"))),
    }
}

/// The value of `--max-line`: from 64 bytes to 1 GiB.
pub fn max_line_value(parser: &mut lexopt::Parser) -> Result<usize> {
    size_value(parser, "--max-line", 64, 1 << 30)
}

/// A size in bytes, with K, M or G for KiB, MiB or GiB (`64K`, `1M`), from `min` to `max`.
pub fn size_value(parser: &mut lexopt::Parser, option: &str, min: usize, max: usize) -> Result<usize> {
    let value = string_value(parser, option)?;
    let (digits, unit) = match value.char_indices().last() {
        Some((i, 'K' | 'k')) => (&value[..i], 1 << 10),
        Some((i, 'M' | 'm')) => (&value[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&value[..i], 1 << 30),
        _ => (&value[..], 1),
    };
    let n = digits.bytes().all(|c| c.is_ascii_digit()).then(|| digits.parse::<usize>().ok()).flatten();
    match n.and_then(|n| n.checked_mul(unit)) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::usage(format!(
            "{option}: expected a size from {} to {}, such as 64M, not {value:?}",
            shown_size(min),
            shown_size(max)
        ))),
    }
}

/// `1G`, `64M`, `4K` or `64 bytes`.
fn shown_size(n: usize) -> String {
    match n {
        0 => "0 bytes".into(),
        n if n % (1 << 30) == 0 => format!("{}G", n >> 30),
        n if n % (1 << 20) == 0 => format!("{}M", n >> 20),
        n if n % (1 << 10) == 0 => format!("{}K", n >> 10),
        1 => "1 byte".into(),
        n => format!("{n} bytes"),
    }
}

/// The value of `--format` of the tools that read raw logs or records.
pub fn format_value(parser: &mut lexopt::Parser) -> Result<crate::format::Format> {
    let value = string_value(parser, "--format")?;
    crate::format::Format::from_name(&value).ok_or_else(|| {
        Error::usage(format!(
            "--format: expected auto, syslog, journal, combined, common, python, json or jsonl, not {value:?}"
        ))
    })
}

/// The pattern of `--pattern`, with `%{NAME}` expanded from the shipped patterns and those of each
/// `--patterns` file (later files replacing earlier names); compiled once, for the whole run.
pub fn compile_pattern(pattern: Option<&str>, files: &[String]) -> Result<Option<&'static crate::pattern::Pattern>> {
    let Some(pattern) = pattern else {
        if !files.is_empty() {
            return Err(Error::usage("--patterns defines names for --pattern %{NAME}: give --pattern too"));
        }
        return Ok(None);
    };
    let mut library = crate::pattern::Library::shipped();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(format!("cannot read {file}"), e))?;
        library.add(&text, file).map_err(Error::usage)?;
    }
    let pattern = crate::pattern::Pattern::new(pattern, &library).map_err(Error::usage)?;
    Ok(Some(Box::leak(Box::new(pattern))))
}

/// `--format` with `--pattern`: the pattern is the format; another `--format` is a usage error.
pub fn with_pattern(
    format: crate::format::Format,
    pattern: Option<&str>,
    files: &[String],
) -> Result<crate::format::Format> {
    match (compile_pattern(pattern, files)?, format) {
        (None, format) => Ok(format),
        (Some(p), crate::format::Format::Auto) => Ok(crate::format::Format::Pattern(p)),
        (Some(_), _) => Err(Error::usage("--pattern describes the lines itself: leave out --format")),
    }
}

/// The value of `--duration-unit`: `s`, `ms` or `us`.
pub fn duration_unit_value(parser: &mut lexopt::Parser) -> Result<crate::access::DurationUnit> {
    let value = string_value(parser, "--duration-unit")?;
    crate::access::DurationUnit::from_name(&value)
        .ok_or_else(|| Error::usage(format!("--duration-unit: expected s, ms or us, not {value:?}")))
}

/// Says on standard error which inputs were told to be access logs.
pub fn say_told(name: &str, summary: &crate::parse::Summary) {
    for line in summary.told() {
        say(&format!("{name}: {line}"));
    }
}

/// The value of `--year`: a year from 1970 to 9999.
pub fn year_value(parser: &mut lexopt::Parser) -> Result<i64> {
    let value = string_value(parser, "--year")?;
    match value.parse::<i64>() {
        Ok(y) if (1970..=9999).contains(&y) => Ok(y),
        _ => Err(Error::usage(format!("--year: expected a year from 1970 on, such as 2025, not {value:?}"))),
    }
}

/// Writes a run's summary of raw log lines to `path` as a one-row CSV table (`--summary-csv`).
pub fn write_summary_csv(summary: &crate::parse::Summary, path: &str) -> Result<()> {
    let error = |e| Error::io(format!("--summary-csv: writing {path}"), e);
    let mut file = std::fs::File::create(path).map_err(error)?;
    summary.write_csv(&mut file).and_then(|()| file.flush()).map_err(error)
}

/// A positional argument (an input file) as a path; `-` means standard input.
pub fn path_value(value: OsString) -> String {
    value.to_string_lossy().into_owned()
}
