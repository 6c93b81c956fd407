//! `ticky-publish`: puts a finished report into a folder that a web server serves, safely when the
//! job runs as root and the folder (and its parent) can be written by a less-trusted user who may
//! race the job.
//!
//! Every operation inside OUTDIR goes through a directory descriptor opened once without following
//! a symbolic link (`openat` with `O_NOFOLLOW | O_DIRECTORY`), and every file is created new
//! (`O_CREAT | O_EXCL`): whatever another user plants or swaps in OUTDIR, nothing outside it is
//! written, changed or removed, and no file the job did not create is written into. The layout:
//!
//! ```text
//! OUTDIR/index.html     -> current/index.html      (one link per published file)
//! OUTDIR/current        -> runs/20261122T001500Z   (replaced by one rename(2) per run)
//! OUTDIR/runs/.lock                                 (0600: only the job's user can hold it)
//! OUTDIR/runs/20261122T001500Z/index.html ...      (each run's files, the last --keep kept)
//! ```
//!
//! A reader, or a kill at any instant, sees through `current` either the whole old set or the
//! whole new set.
//!
//! With `--day`, each run is also the report of one day, kept for `--keep` days:
//!
//! ```text
//! OUTDIR/days/2026-11-21   -> ../runs/20261122T001500Z   (replaced when the day is published again)
//! ```
//!
//! `current` then follows the newest day: publishing an older day again replaces that day only.
//! [`export`] reads files of the kept days back, for the next run's history, trusting only folders
//! and files that belong to the job's user and that nobody else can write.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use crate::csvio::{self, CsvReader, Row};
use crate::error::{Error, Result};

/// The folder of the run folders, inside OUTDIR.
pub const RUNS: &str = "runs";
/// The link, inside OUTDIR, to the run folder that is published.
pub const CURRENT: &str = "current";
/// The folder of the day links (`--day`), inside OUTDIR.
pub const DAYS: &str = "days";
/// The lock file, inside [`RUNS`].
const LOCK: &str = ".lock";
/// The name OUTDIR's home page is published under (see [`PublishOptions::home`]).
const INDEX: &str = "index.html";

#[derive(Clone, Debug)]
pub struct PublishOptions {
    /// How many run folders to keep, the published one included (at least 1).
    pub keep: usize,
    /// How long to wait for another publisher's lock.
    pub wait: Duration,
    /// Publish `.csv` files as they are, without neutralising spreadsheet formulas.
    pub exact_csv: bool,
    /// The day the report covers (`YYYY-MM-DD`): the run is kept as `days/DAY`, and `keep`
    /// counts days.
    pub day: Option<String>,
    /// The file of the run that `OUTDIR/index.html` links to, instead of the run's own
    /// `index.html` (a page whose links are written for OUTDIR rather than for `days/DAY/`).
    pub home: Option<String>,
}

impl Default for PublishOptions {
    fn default() -> PublishOptions {
        PublishOptions { keep: 3, wait: Duration::from_secs(60), exact_csv: false, day: None, home: None }
    }
}

/// What a publish did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The run folder's name inside [`RUNS`].
    pub run: String,
    /// The names published, in byte order.
    pub files: Vec<String>,
    /// The run folders removed, beyond `keep`.
    pub removed: Vec<String>,
    /// Whether `current` was switched to the new run (with `--day`, only for the newest day).
    pub switched: bool,
}

/// Whether `name` is a day as `--day` takes it: `YYYY-MM-DD`, a real date.
pub fn is_day(name: &str) -> bool {
    let b = name.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' || !digits(8..10) {
        return false;
    }
    let (y, m, d) = (name[..4].parse().unwrap_or(0), name[5..7].parse().unwrap_or(0), name[8..10].parse().unwrap_or(0));
    (1..=12).contains(&m) && d >= 1 && d <= crate::time::days_in_month(y, m)
}

/// Publishes every regular file of `src` (a private folder the job built its report in) into
/// `outdir`, atomically as a set.
pub fn publish(src: &Path, outdir: &Path, opts: &PublishOptions) -> Result<Published> {
    let sources = source_files(src)?;
    if let Some(home) = &opts.home {
        if !sources.iter().any(|(name, _)| name == home) {
            return Err(Error::Failed(format!("--home {home}: no such file in {}", src.display())));
        }
    }
    if let Some(day) = &opts.day {
        if !is_day(day) {
            return Err(Error::usage(format!("--day: expected a date as YYYY-MM-DD, not {day:?}")));
        }
    }
    let out = open_outdir(outdir)?;
    let runs = own_dir(&out, RUNS, outdir)?;
    let _lock = lock(&runs, outdir, opts.wait)?;

    let (run_name, run) = new_run(&runs, outdir)?;
    let files: Vec<String> = sources.iter().map(|(name, _)| name.clone()).collect();
    for (name, path) in &sources {
        let csv = !opts.exact_csv && name.ends_with(".csv");
        copy_in(path, &run, name, csv).map_err(|e| match e {
            Error::Io { context, source } => {
                Error::io(format!("{context} into {}", outdir.join(RUNS).join(&run_name).display()), source)
            }
            e => e,
        })?;
    }
    rustix::fs::fsync(&run).map_err(|e| io_error(outdir, "syncing the new run folder", e))?;
    drop(run);

    // A day's report: `days/DAY` names the new run; `current` follows only the newest day.
    let days = match &opts.day {
        Some(day) => {
            let days = own_dir(&out, DAYS, outdir)?;
            let newest = day_names(&days, outdir)?.into_iter().all(|other| other <= *day);
            replace_link(&days, day, &format!("../{RUNS}/{run_name}"), &outdir.join(DAYS))?;
            rustix::fs::fsync(&days).map_err(|e| io_error(&outdir.join(DAYS), "syncing", e))?;
            Some((days, newest))
        }
        None => None,
    };
    let switched = days.as_ref().is_none_or(|(_, newest)| *newest);

    if switched {
        // The one step readers see: `current` now names the new run.
        replace_link(&out, CURRENT, &format!("{RUNS}/{run_name}"), outdir)?;
        for name in &files {
            let (published, file) = match &opts.home {
                Some(home) if name == home => continue,
                Some(home) if name == INDEX => (INDEX, home.as_str()),
                _ => (name.as_str(), name.as_str()),
            };
            let target = format!("{CURRENT}/{file}");
            if read_link(&out, published).as_deref() != Some(target.as_bytes()) {
                replace_link(&out, published, &target, outdir)?;
            }
        }
        if let Some(home) = opts.home.as_deref().filter(|_| !files.iter().any(|f| f == INDEX)) {
            replace_link(&out, INDEX, &format!("{CURRENT}/{home}"), outdir)?;
        }
        rustix::fs::fsync(&out).map_err(|e| io_error(outdir, "syncing", e))?;
    }

    let removed = match &days {
        Some((days, _)) => prune_days(&out, &runs, days, opts.keep.max(1), outdir)?,
        None => prune(&runs, &run_name, opts.keep.max(1), outdir)?,
    };
    Ok(Published { run: run_name, files, removed, switched })
}

/// The day links in the days folder, oldest first.
fn day_names(days: &OwnedFd, outdir: &Path) -> Result<Vec<String>> {
    let mut names = names_in(days, &outdir.join(DAYS), is_day)?;
    names.sort();
    Ok(names)
}

/// The names in a folder that `keep` takes (names the job makes), in no order.
fn names_in(dir: &OwnedFd, shown: &Path, keep: fn(&str) -> bool) -> Result<Vec<String>> {
    let listing = rustix::fs::Dir::read_from(dir).map_err(|e| io_error(shown, "listing", e))?;
    let mut names = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| io_error(shown, "listing", e))?;
        if let Some(name) = entry.file_name().to_str().ok().filter(|n| keep(n)) {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// The run folder a day link names (`../runs/NAME`), when it is one the job makes.
fn day_run(days: &OwnedFd, day: &str) -> Option<String> {
    let target = read_link(days, day)?;
    let name = target.strip_prefix(format!("../{RUNS}/").as_bytes())?;
    let name = std::str::from_utf8(name).ok()?;
    run_order(name).map(|_| name.to_string())
}

/// Keeps the newest `keep` days: older day links are removed, then every run folder that neither
/// a kept day nor `current` names (an older run of a day published again, say).
fn prune_days(out: &OwnedFd, runs: &OwnedFd, days: &OwnedFd, keep: usize, outdir: &Path) -> Result<Vec<String>> {
    let mut names = day_names(days, outdir)?;
    let old = names.len().saturating_sub(keep);
    for day in names.drain(..old) {
        match rustix::fs::unlinkat(days, day.as_str(), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(io_error(&outdir.join(DAYS).join(&day), "removing", e)),
        }
    }
    let mut named: Vec<String> = names.iter().filter_map(|day| day_run(days, day)).collect();
    if let Some(current) = read_link(out, CURRENT) {
        if let Some(run) = current.strip_prefix(format!("{RUNS}/").as_bytes()) {
            named.push(String::from_utf8_lossy(run).into_owned());
        }
    }
    let mut removed = Vec::new();
    for name in run_names(runs, outdir)? {
        if !named.contains(&name) {
            remove_tree(runs, &name).map_err(|e| io_error(&outdir.join(RUNS).join(&name), "removing", e))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Copies `files` of each kept day's report (`--day`) from `outdir` into `dest/DAY/`, for the
/// next run's history; returns the days, oldest first. Only folders and files that belong to the
/// job's user and that nobody else can write are read, each opened without following a link:
/// whatever another user plants in OUTDIR, no other file reaches the report. A file a day lacks is
/// left out; an OUTDIR without days gives none.
pub fn export(outdir: &Path, dest: &Path, files: &[String]) -> Result<Vec<String>> {
    for name in files {
        if !publishable_name(name) {
            return Err(Error::usage(format!("--file {name:?}: not a name ticky-publish publishes")));
        }
    }
    let (parent, name) = folder_and_name(outdir);
    let parent = match rustix::fs::open(parent, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(Vec::new()),
        Err(e) => return Err(io_error(parent, "opening the folder of", e)),
    };
    let out = match rustix::fs::openat(&parent, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(Vec::new()),
        Err(Errno::LOOP) | Err(Errno::NOTDIR) if is_symlink(&parent, name) => return Err(outdir_is_link(outdir)),
        Err(e) => return Err(io_error(outdir, "opening", e)),
    };
    let trusted = |dir: &OwnedFd, name: &str| -> Result<Option<OwnedFd>> {
        let shown = outdir.join(name);
        match rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => check_own(&fd, &shown).map(|()| Some(fd)),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP | Errno::NOTDIR) => {
                Err(Error::Failed(format!("{}: not a folder (a link or a file someone put there)", shown.display())))
            }
            Err(e) => Err(io_error(&shown, "opening", e)),
        }
    };
    let (Some(days), Some(runs)) = (trusted(&out, DAYS)?, trusted(&out, RUNS)?) else {
        return Ok(Vec::new());
    };
    let mut exported = Vec::new();
    for day in day_names(&days, outdir)? {
        let Some(run_name) = day_run(&days, &day) else { continue };
        let shown = outdir.join(RUNS).join(&run_name);
        let run = match rustix::fs::openat(&runs, run_name.as_str(), DIR_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(io_error(&shown, "opening", e)),
        };
        check_own(&run, &shown)?;
        let into = dest.join(&day);
        std::fs::create_dir_all(&into).map_err(|e| Error::io(format!("creating {}", into.display()), e))?;
        for file in files {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
            let fd = match rustix::fs::openat(&run, file.as_str(), flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(io_error(&shown.join(file), "opening", e)),
            };
            let st = rustix::fs::fstat(&fd).map_err(|e| io_error(&shown.join(file), "reading", e))?;
            if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                return Err(Error::Failed(format!("{}: not a regular file", shown.join(file).display())));
            }
            check_own(&fd, &shown.join(file))?;
            let target = into.join(file);
            let mut writer =
                File::create(&target).map_err(|e| Error::io(format!("creating {}", target.display()), e))?;
            io::copy(&mut File::from(fd), &mut writer)
                .map_err(|e| Error::io(format!("copying {} to {}", shown.join(file).display(), target.display()), e))?;
        }
        exported.push(day);
    }
    Ok(exported)
}

/// The regular files of `src`, by name. A name that could not be published as it is (a hidden
/// file, a path separator, a name the layout uses) is refused rather than changed.
fn source_files(src: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(src).map_err(|e| Error::io(format!("reading {}", src.display()), e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", src.display()), e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let name = entry.file_name();
        let name = match name.to_str() {
            Some(n) if publishable_name(n) => n.to_string(),
            _ => {
                return Err(Error::Failed(format!(
                    "{}: cannot publish a file of that name (letters, digits, '.', '_' and '-' only, \
                     not starting with '.', and not '{CURRENT}', '{RUNS}' or '{DAYS}')",
                    path.display()
                )))
            }
        };
        if !kind.is_file() {
            return Err(Error::Failed(format!("{}: not a regular file; only files are published", path.display())));
        }
        files.push((name, path));
    }
    if files.is_empty() {
        return Err(Error::Failed(format!("{}: no file to publish", src.display())));
    }
    files.sort();
    Ok(files)
}

fn publishable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name != CURRENT
        && name != RUNS
        && name != DAYS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// Opens OUTDIR without following a link in its last component (its parent may be writable by
/// someone else, who could make OUTDIR a link to any folder). Creates it 0755 when it is missing;
/// an existing folder keeps its mode.
fn open_outdir(outdir: &Path) -> Result<OwnedFd> {
    let (parent, name) = folder_and_name(outdir);
    let parent_fd = rustix::fs::open(parent, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| io_error(parent, "opening the folder of", e))?;
    match rustix::fs::openat(&parent_fd, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => Ok(fd),
        Err(Errno::NOENT) => create_dir(&parent_fd, name, outdir),
        Err(Errno::LOOP) | Err(Errno::NOTDIR) if is_symlink(&parent_fd, name) => Err(outdir_is_link(outdir)),
        Err(Errno::NOTDIR) => Err(Error::Failed(format!("{}: not a folder", outdir.display()))),
        Err(e) => Err(io_error(outdir, "opening", e)),
    }
}

/// OUTDIR's folder and its last name, which is opened without following a link. `/`, `..` or a
/// path ending in `..` has no last name to protect: the folder itself.
fn folder_and_name(outdir: &Path) -> (&Path, &OsStr) {
    match outdir.file_name() {
        Some(name) => (outdir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")), name),
        None => (outdir, OsStr::new(".")),
    }
}

fn outdir_is_link(outdir: &Path) -> Error {
    Error::Failed(format!(
        "{}: is a symbolic link; not going through it (someone who can write its folder could point it \
         anywhere): give the folder it points to, or remove the link",
        outdir.display()
    ))
}

fn is_symlink(dir: &OwnedFd, name: &OsStr) -> bool {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
        .unwrap_or(false)
}

/// Creates a folder 0755 (whatever the umask) and opens it; a folder someone else made at that
/// instant is refused by [`check_own`] at the next step.
fn create_dir(dir: &OwnedFd, name: &OsStr, shown: &Path) -> Result<OwnedFd> {
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(io_error(shown, "creating", e)),
    }
    let fd = rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()).map_err(|e| io_error(shown, "opening", e))?;
    check_own(&fd, shown)?;
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755)).map_err(|e| io_error(shown, "setting the mode of", e))?;
    Ok(fd)
}

/// Opens (or creates) a folder inside OUTDIR that must belong to the job's user and be writable by
/// nobody else: another user could otherwise change what is inside it.
fn own_dir(out: &OwnedFd, name: &str, outdir: &Path) -> Result<OwnedFd> {
    let shown = outdir.join(name);
    let fd = match rustix::fs::openat(out, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return create_dir(out, OsStr::new(name), &shown),
        Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
            return Err(Error::Failed(format!(
                "{}: not a folder (a link or a file someone put there); move it away and run again",
                shown.display()
            )))
        }
        Err(e) => return Err(io_error(&shown, "opening", e)),
    };
    check_own(&fd, &shown)?;
    Ok(fd)
}

fn check_own(fd: &OwnedFd, shown: &Path) -> Result<()> {
    let st = rustix::fs::fstat(fd).map_err(|e| io_error(shown, "reading the owner of", e))?;
    let me = rustix::process::geteuid().as_raw();
    if st.st_uid != me {
        return Err(Error::Failed(format!(
            "{}: belongs to user {}, not to this job's user {me}: someone else made it; move it away and run again",
            shown.display(),
            st.st_uid
        )));
    }
    if st.st_mode & 0o022 != 0 {
        return Err(Error::Failed(format!(
            "{}: can be written by others (mode {:o}); make it 0755 (chmod 755), or a file 0644, and run again",
            shown.display(),
            st.st_mode & 0o7777
        )));
    }
    Ok(())
}

/// Takes the lock that keeps two publishers apart: a 0600 file in the job's own [`RUNS`] folder, so
/// no other user can open it, let alone hold it. Its descriptor is close-on-exec and the lock goes
/// with the process, however it ends.
fn lock(runs: &OwnedFd, outdir: &Path, wait: Duration) -> Result<File> {
    let shown = outdir.join(RUNS).join(LOCK);
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = rustix::fs::openat(runs, LOCK, flags, Mode::from_raw_mode(0o600))
        .map_err(|e| io_error(&shown, "opening the lock", e))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| io_error(&shown, "reading", e))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Error::Failed(format!("{}: not a regular file; move it away and run again", shown.display())));
    }
    let deadline = Instant::now() + wait;
    loop {
        match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(File::from(fd)),
            Err(Errno::WOULDBLOCK) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(Errno::WOULDBLOCK) => {
                return Err(Error::Failed(format!(
                    "another run has been publishing into {} for {} s (it holds {}); not publishing",
                    outdir.display(),
                    wait.as_secs(),
                    shown.display()
                )))
            }
            Err(e) => return Err(io_error(&shown, "locking", e)),
        }
    }
}

/// A new, empty run folder named for the time (UTC), `-N` added when a run of the same second
/// exists (or existed: a name is never reused, so the newest run always sorts last).
fn new_run(runs: &OwnedFd, outdir: &Path) -> Result<(String, OwnedFd)> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let base = run_stamp(secs as i64);
    let taken = run_names(runs, outdir)?;
    let mut next = taken.iter().filter_map(|n| run_order(n)).filter(|(s, _)| *s == base).map(|(_, n)| n + 1).max();
    for _ in 0..1000 {
        let name = match next {
            None | Some(0) => base.clone(),
            Some(n) => format!("{base}-{n}"),
        };
        match rustix::fs::mkdirat(runs, name.as_str(), Mode::from_raw_mode(0o755)) {
            Ok(()) => {
                let shown = outdir.join(RUNS).join(&name);
                let fd = rustix::fs::openat(runs, name.as_str(), DIR_FLAGS, Mode::empty())
                    .map_err(|e| io_error(&shown, "opening", e))?;
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755))
                    .map_err(|e| io_error(&shown, "setting the mode of", e))?;
                return Ok((name, fd));
            }
            Err(Errno::EXIST) => next = Some(next.unwrap_or(0) + 1),
            Err(e) => return Err(io_error(&outdir.join(RUNS), "creating a run folder in", e)),
        }
    }
    Err(Error::Failed(format!("{}: no free run folder name for {base}", outdir.join(RUNS).display())))
}

/// The names in the runs folder that are run folders.
fn run_names(runs: &OwnedFd, outdir: &Path) -> Result<Vec<String>> {
    names_in(runs, &outdir.join(RUNS), |n| run_order(n).is_some())
}

/// `20261122T001500Z`: sorts as time does, and reads as a date.
fn run_stamp(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = crate::time::civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The order of run folders: by time, then by the `-N` that a second run in the same second gets.
/// `None` for names the job does not make, which it never removes.
fn run_order(name: &str) -> Option<(&str, u32)> {
    let (stamp, n) = match name.split_once('-') {
        Some((stamp, n)) => (stamp, n.parse().ok().filter(|_| n.bytes().all(|b| b.is_ascii_digit()))?),
        None => (name, 0),
    };
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (b.len() == 16 && digits(0..8) && b[8] == b'T' && digits(9..15) && b[15] == b'Z').then_some((stamp, n))
}

/// Copies one file into the run folder as a new file, 0644, neutralising spreadsheet formulas in a
/// CSV when asked.
fn copy_in(src: &Path, run: &OwnedFd, name: &str, csv: bool) -> Result<()> {
    let input = File::open(src).map_err(|e| Error::io(format!("reading {}", src.display()), e))?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(run, name, flags, Mode::from_raw_mode(0o644))
        .map_err(|e| Error::io(format!("creating {name}"), e.into()))?;
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o644)).map_err(|e| Error::io(format!("creating {name}"), e.into()))?;
    let mut out = BufWriter::new(File::from(fd));
    let writing = |e| Error::io(format!("writing {name}"), e);
    if csv {
        write_spreadsheet_safe(BufReader::new(input), &src.display().to_string(), &mut out)?;
    } else {
        io::copy(&mut BufReader::new(input).take(u64::MAX), &mut out).map_err(writing)?;
    }
    let file = out.into_inner().map_err(|e| writing(e.into_error()))?;
    file.sync_all().map_err(writing)
}

/// Copies a CSV table so that a spreadsheet shows every cell as the text it is: a cell that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula (OWASP "CSV
/// injection"), so it gets a leading `'`, which spreadsheets hide. Plain numbers (`-12`, `3.5`) are
/// left as they are.
pub fn write_spreadsheet_safe(input: impl io::BufRead, name: &str, out: &mut impl Write) -> Result<()> {
    let mut reader = CsvReader::new(input, name);
    let mut row = Row::default();
    let mut buf = Vec::new();
    let mut cell = Vec::new();
    let mut fields: Vec<Vec<u8>> = Vec::new();
    while reader.read_row(&mut row)?.is_some() {
        fields.clear();
        for field in row.iter() {
            cell.clear();
            if is_formula(field) {
                cell.push(b'\'');
            }
            cell.extend_from_slice(field);
            fields.push(cell.clone());
        }
        buf.clear();
        csvio::write_row(&mut buf, fields.iter().map(Vec::as_slice));
        out.write_all(&buf).map_err(|e| Error::io("writing", e))?;
    }
    Ok(())
}

/// Whether a spreadsheet would take this cell for a formula.
pub fn is_formula(cell: &[u8]) -> bool {
    match cell.first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => !is_plain_number(&cell[1..]),
        _ => false,
    }
}

fn is_plain_number(s: &[u8]) -> bool {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && match frac {
            Some(f) => !f.is_empty() && f.iter().all(u8::is_ascii_digit),
            None => true,
        }
}

fn read_link(dir: &OwnedFd, name: &str) -> Option<Vec<u8>> {
    rustix::fs::readlinkat(dir, name, Vec::new()).ok().map(|c| c.into_bytes())
}

/// Makes `name` a symbolic link to `target` with one rename(2): whatever `name` was (a file, a link
/// to anywhere), it is replaced, never followed; a folder of that name is refused.
fn replace_link(dir: &OwnedFd, name: &str, target: &str, outdir: &Path) -> Result<()> {
    let pid = std::process::id();
    for n in 0..1000 {
        let temp = format!(".{name}.{pid}.{n}.new");
        match rustix::fs::symlinkat(target, dir, temp.as_str()) {
            Ok(()) => {
                return match rustix::fs::renameat(dir, temp.as_str(), dir, name) {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let _ = rustix::fs::unlinkat(dir, temp.as_str(), AtFlags::empty());
                        let shown = outdir.join(name);
                        Err(match e {
                            Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST => Error::Failed(format!(
                                "{}: is a folder where the published link belongs; move it away and run again",
                                shown.display()
                            )),
                            e => io_error(&shown, "replacing", e),
                        })
                    }
                };
            }
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(io_error(&outdir.join(name), "creating a link beside", e)),
        }
    }
    Err(Error::Failed(format!("{}: no free temporary name for a link", outdir.display())))
}

/// Removes the run folders beyond the newest `keep` (the published one always kept), never
/// following a link and never touching a name the job does not make.
fn prune(runs: &OwnedFd, current: &str, keep: usize, outdir: &Path) -> Result<Vec<String>> {
    let mut names = run_names(runs, outdir)?;
    names.retain(|n| n != current);
    names.sort_by(|a, b| run_order(b).cmp(&run_order(a)));
    let mut removed = Vec::new();
    for name in names.into_iter().skip(keep - 1) {
        remove_tree(runs, &name).map_err(|e| io_error(&outdir.join(RUNS).join(&name), "removing", e))?;
        removed.push(name);
    }
    Ok(removed)
}

/// Removes a folder and everything in it, through descriptors: a link inside is removed as a link.
/// A folder that is not the job user's is left alone.
fn remove_tree(parent: &OwnedFd, name: &str) -> std::result::Result<(), Errno> {
    let fd = match rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::LOOP | Errno::NOTDIR) => return rustix::fs::unlinkat(parent, name, AtFlags::empty()),
        Err(e) => return Err(e),
    };
    if rustix::fs::fstat(&fd)?.st_uid != rustix::process::geteuid().as_raw() {
        return Ok(());
    }
    let mut children: Vec<(Vec<u8>, bool)> = Vec::new();
    for entry in rustix::fs::Dir::read_from(&fd)? {
        let entry = entry?;
        let child = entry.file_name().to_bytes();
        if child != b"." && child != b".." {
            children.push((child.to_vec(), entry.file_type() == FileType::Directory));
        }
    }
    for (child, is_dir) in children {
        let child = OsStr::from_bytes(&child);
        if is_dir {
            let child = child.to_string_lossy();
            remove_tree(&fd, &child)?;
        } else {
            rustix::fs::unlinkat(&fd, child, AtFlags::empty())?;
        }
    }
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)
}

fn io_error(path: &Path, doing: &str, e: Errno) -> Error {
    Error::io(format!("{doing} {}", path.display()), e.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_cells_a_spreadsheet_would_run() {
        for cell in ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\")", "-", "+", "-1.", "--1"] {
            assert!(is_formula(cell.as_bytes()), "{cell:?}");
        }
        for cell in ["", "x=1", "-12", "+3", "0.5", "-0.25", "a-b", "'=1", "Username"] {
            assert!(!is_formula(cell.as_bytes()), "{cell:?}");
        }
    }

    #[test]
    fn a_safe_copy_prefixes_formulas_and_keeps_quoting() {
        let csv = "Username,INFO,ERROR\n\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,2\n\"=cmd|' /C calc'!A0\",0,1\nac,-3,4\n";
        let mut out = Vec::new();
        write_spreadsheet_safe(csv.as_bytes(), "t.csv", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Username,INFO,ERROR\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,2\n'=cmd|' /C calc'!A0,0,1\nac,-3,4\n"
        );
    }

    #[test]
    fn run_names_sort_by_time_then_number() {
        assert_eq!(run_stamp(0), "19700101T000000Z");
        // `date -u -d @1700000000` says Tue Nov 14 22:13:20 UTC 2023.
        assert_eq!(run_stamp(1_700_000_000), "20231114T221320Z");
        let mut names = vec!["20261122T001500Z-10", "20261122T001500Z", "20261121T001500Z", "20261122T001500Z-2"];
        names.sort_by_key(|n| run_order(n));
        assert_eq!(names, ["20261121T001500Z", "20261122T001500Z", "20261122T001500Z-2", "20261122T001500Z-10"]);
        for other in [".lock", "current", "2026", "20261122T001500Z-x", "20261122T001500Z-", "x0261122T001500Z"] {
            assert_eq!(run_order(other), None, "{other}");
        }
    }
}
