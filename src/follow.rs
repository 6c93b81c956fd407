//! `ticky-follow`: the new lines of files as they are written, across rotation, without losing or
//! repeating a line across restarts.
//!
//! A file is known by its device and inode **and** by a fingerprint of its first bytes (up to
//! [`PREFIX`] of what was read): the inode alone is reused by the system for a new file (Fluent
//! Bit's lost lines), the first line alone is the same in many files (Vector's collisions).
//! Rotation by rename is seen as the path naming another inode: the old file is read to its end (and
//! for a grace period after, since a daemon writes to it until it reopens) and the files rotated in
//! between are read whole. Rotation by copy and truncate is seen as the same inode with a shorter
//! size or other first bytes: the rest of what was not read is in the copy (`FILE.1`), found by
//! its fingerprint.
//!
//! With `--state`, what was read is saved after each batch (written, synced, renamed over the old
//! state); with `-o`, the output's length too, so that a restart cuts the output back to what the
//! state covers and reads on from there: every line exactly once, whatever kills the process.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Bytes of a file's start that its fingerprint covers.
pub const PREFIX: u64 = 4096;

/// Rotated copies looked for: `FILE.1` to `FILE.9`.
const ROTATED: usize = 9;

#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// How often files are looked at.
    pub interval: Duration,
    /// Start at the beginning of files the state does not know, rather than at their end.
    pub from_start: bool,
    /// Where what was read is kept across runs.
    pub state: Option<String>,
    /// Append to this file (and keep its length in the state) rather than write to standard output.
    pub output: Option<String>,
    /// Read what there is and stop, rather than follow.
    pub once: bool,
    /// Lines longer than this are passed on in pieces of this length.
    pub max_line: usize,
    /// How long a file renamed away is still read after its last growth: a daemon writes to it
    /// until it reopens its log.
    pub grace: Duration,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            interval: Duration::from_millis(250),
            from_start: false,
            state: None,
            output: None,
            once: false,
            max_line: crate::input::MAX_LINE,
            grace: Duration::from_secs(1),
        }
    }
}

/// A file as the state knows it: where it lives, and its fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    dev: u64,
    ino: u64,
    /// How many of the file's first bytes `hash` covers.
    prefix: u64,
    hash: u64,
}

/// One file being read, and how far.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Position {
    id: Identity,
    /// Bytes passed on: always at the end of a line (or of a piece of a long line).
    offset: u64,
}

/// What is saved of one followed path: the file at the path, and a rotated one still being read.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PathState {
    path: String,
    current: Option<Position>,
    draining: Option<Position>,
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    version: u32,
    /// The length of the `-o` output that the positions account for.
    output: Option<u64>,
    paths: Vec<PathState>,
}

/// FNV-1a over the bytes, 64 bits: stable across versions and machines, as a state file must be.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The fingerprint of a file's first `len` bytes; `None` when it has fewer.
fn prefix_hash(file: &File, len: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; len as usize];
    let mut read = 0;
    while read < buf.len() {
        match file.read_at(&mut buf[read..], read as u64)? {
            0 => return Ok(None),
            n => read += n,
        }
    }
    Ok(Some(fingerprint(&buf)))
}

/// An open file and what it is.
struct Open {
    file: File,
    pos: Position,
    /// When it last grew (for a file being drained).
    grew: Instant,
}

impl Open {
    /// Opens `path` when it is the file `id` (device and inode, and the same first bytes).
    fn matching(path: &str, id: &Identity, by_inode: bool) -> Option<File> {
        let file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if by_inode && (meta.dev(), meta.ino()) != (id.dev, id.ino) {
            return None;
        }
        (prefix_hash(&file, id.prefix).ok()?? == id.hash).then_some(file)
    }

    /// Opens `path` to be read from `offset` (the end of a line), fingerprinting what is before.
    fn at(path: &str, offset: Option<u64>) -> io::Result<Open> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let offset = match offset {
            Some(o) => o,
            None => line_start_before(&file, meta.len())?,
        };
        let prefix = offset.min(PREFIX);
        let hash = prefix_hash(&file, prefix)?.unwrap_or(0);
        let id = Identity { dev: meta.dev(), ino: meta.ino(), prefix, hash };
        Ok(Open { file, pos: Position { id, offset }, grew: Instant::now() })
    }
}

/// The end of the last complete line at or before `size`: where reading "from the end" starts, so
/// that a line being written is passed on whole.
fn line_start_before(file: &File, size: u64) -> io::Result<u64> {
    let mut end = size;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        file.read_exact_at(&mut buf[..n], start)?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Where lines go: standard output or an `-o` file, through one buffer per batch.
struct Sink<'a> {
    out: &'a mut dyn Write,
    file: Option<File>,
    buf: Vec<u8>,
    /// The `-o` file's length after the last batch.
    length: u64,
}

impl Sink<'_> {
    /// Passes the batch on: written, flushed, and with `-o` synced, before the state may say so.
    fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        match &mut self.file {
            Some(file) => {
                file.write_all(&self.buf).and_then(|()| file.sync_data()).map_err(Error::output)?;
                self.length += self.buf.len() as u64;
            }
            None => self.out.write_all(&self.buf).and_then(|()| self.out.flush()).map_err(Error::output)?,
        }
        self.buf.clear();
        Ok(())
    }
}

/// One followed path.
struct Follower {
    path: String,
    current: Option<Open>,
    /// A file rotated away from the path, read until it stops growing.
    draining: Option<Open>,
    /// Something changed since the state was saved.
    dirty: bool,
}

impl Follower {
    /// Passes on the complete lines of `open` from its offset; with `last`, a final line without
    /// its newline too (the file will not grow again). Returns whether anything was read.
    fn read_lines(open: &mut Open, sink: &mut Sink<'_>, max_line: usize, last: bool) -> Result<bool> {
        let name = "a followed file";
        let mut chunk = vec![0u8; max_line.clamp(4096, 1 << 20)];
        let mut any = false;
        loop {
            let n =
                open.file.read_at(&mut chunk, open.pos.offset).map_err(|e| Error::io(format!("reading {name}"), e))?;
            if n == 0 {
                return Ok(any);
            }
            // Read, then checked: a file truncated and written again in between would otherwise
            // hand over another file's bytes from the middle. What fails the check is left to the
            // look at the path, which finds the copy.
            if prefix_hash(&open.file, open.pos.id.prefix).ok().flatten() != Some(open.pos.id.hash) {
                return Ok(any);
            }
            let data = &chunk[..n];
            let take = match data.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                // A line longer than the chunk: passed on in pieces, each made a line.
                None if n == chunk.len() || last => n,
                None => return Ok(any),
            };
            sink.buf.extend_from_slice(&data[..take]);
            if !data[..take].ends_with(b"\n") {
                sink.buf.push(b'\n');
            }
            // The fingerprint grows with what was read, up to its length.
            let before = open.pos.offset;
            open.pos.offset += take as u64;
            if before < PREFIX {
                let upto = open.pos.offset.min(PREFIX);
                open.pos.id.prefix = upto;
                open.pos.id.hash = prefix_hash(&open.file, upto).ok().flatten().unwrap_or(open.pos.id.hash);
            }
            open.grew = Instant::now();
            any = true;
        }
    }

    /// Reads whole the rotated files newer than the one at `FILE.k` (`FILE.(k-1)` … `FILE.1`):
    /// files rotated in between two looks.
    fn read_between(&self, k: usize, sink: &mut Sink<'_>, max_line: usize) -> Result<()> {
        for j in (1..k).rev() {
            if let Ok(mut open) = Open::at(&format!("{}.{j}", self.path), Some(0)) {
                Self::read_lines(&mut open, sink, max_line, true)?;
            }
        }
        Ok(())
    }

    /// Where the file `id` is now among the rotated copies (`k` of `FILE.k`), by inode and
    /// fingerprint, or by fingerprint alone for a copy (copytruncate).
    fn find_rotated(&self, id: &Identity, by_inode: bool) -> Option<(usize, File)> {
        // Nothing read yet fingerprints nothing: every file would match.
        if !by_inode && id.prefix == 0 {
            return None;
        }
        (1..=ROTATED).find_map(|k| Open::matching(&format!("{}.{k}", self.path), id, by_inode).map(|f| (k, f)))
    }

    /// One look at the path: new lines, rotation, truncation.
    fn poll(&mut self, sink: &mut Sink<'_>, opts: &FollowOptions, warn: &mut dyn FnMut(String)) -> Result<()> {
        if let Some(open) = &mut self.draining {
            let grew = Self::read_lines(open, sink, opts.max_line, false)?;
            self.dirty |= grew;
            if opts.once || open.grew.elapsed() >= opts.grace {
                Self::read_lines(open, sink, opts.max_line, true)?;
                self.draining = None;
                self.dirty = true;
            }
        }
        if let Some(open) = &mut self.current {
            self.dirty |= Self::read_lines(open, sink, opts.max_line, false)?;
        }
        let meta = match fs::metadata(&self.path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(format!("cannot look at {}", self.path), e)),
        };
        let Some(meta) = meta else { return Ok(()) };
        let Some(open) = &mut self.current else {
            // The path appeared: a new file, read from its start.
            self.current = Some(self.open_new()?);
            self.dirty = true;
            return self.poll_current(sink, opts);
        };
        if (meta.dev(), meta.ino()) != (open.pos.id.dev, open.pos.id.ino) {
            // Renamed away, and another file at the path: the old one is read on until it stops
            // growing, the files rotated after it (when it went further than FILE.1) are read
            // whole, and the new one from its start.
            let mut old = self.current.take().expect("a current file");
            let k = self.find_rotated(&old.pos.id, true).map_or(1, |(k, _)| k);
            if let Some(mut earlier) = self.draining.take() {
                Self::read_lines(&mut earlier, sink, opts.max_line, true)?;
            }
            Self::read_lines(&mut old, sink, opts.max_line, false)?;
            old.grew = Instant::now();
            self.draining = Some(old);
            self.read_between(k, sink, opts.max_line)?;
            self.current = Some(self.open_new()?);
            self.dirty = true;
            return self.poll_current(sink, opts);
        }
        let shrunk = meta.len() < open.pos.offset;
        let replaced = !shrunk && prefix_hash(&open.file, open.pos.id.prefix).ok().flatten() != Some(open.pos.id.hash);
        if shrunk || replaced {
            // Copied and truncated: what was not read yet is in the copy.
            let pos = open.pos.clone();
            match self.find_rotated(&pos.id, false) {
                Some((k, file)) => {
                    let mut copy = Open { file, pos: pos.clone(), grew: Instant::now() };
                    Self::read_lines(&mut copy, sink, opts.max_line, true)?;
                    self.read_between(k, sink, opts.max_line)?;
                }
                None => warn(format!(
                    "{} was truncated, and no copy of it (as {}.1) holds the lines after the {} bytes read: \
                     any written in between are lost",
                    self.path, self.path, pos.offset
                )),
            }
            self.current = Some(self.open_new()?);
            self.dirty = true;
            return self.poll_current(sink, opts);
        }
        Ok(())
    }

    /// The file at the path, from its start.
    fn open_new(&self) -> Result<Open> {
        Open::at(&self.path, Some(0)).map_err(|e| Error::io(format!("cannot open {}", self.path), e))
    }

    fn poll_current(&mut self, sink: &mut Sink<'_>, opts: &FollowOptions) -> Result<()> {
        if let Some(open) = &mut self.current {
            Self::read_lines(open, sink, opts.max_line, false)?;
        }
        Ok(())
    }

    fn state(&self) -> PathState {
        PathState {
            path: self.path.clone(),
            current: self.current.as_ref().map(|o| o.pos.clone()),
            draining: self.draining.as_ref().map(|o| o.pos.clone()),
        }
    }

    /// A follower of `path`, resumed from its saved state when there is one: the rotated file it
    /// was draining is read to its end, and the file it was reading is found where it is now (at
    /// the path, renamed to `FILE.k`, or copied there before a truncation).
    fn resume(
        path: &str,
        saved: Option<&PathState>,
        opts: &FollowOptions,
        sink: &mut Sink<'_>,
        warn: &mut dyn FnMut(String),
    ) -> Result<Follower> {
        let mut f = Follower { path: path.to_string(), current: None, draining: None, dirty: true };
        let exists = Path::new(path).exists();
        let Some(saved) = saved else {
            if exists {
                let start = if opts.from_start { Some(0) } else { None };
                f.current = Some(Open::at(path, start).map_err(|e| Error::io(format!("cannot open {path}"), e))?);
            }
            return Ok(f);
        };
        if let Some(pos) = &saved.draining {
            let found =
                Open::matching(path, &pos.id, true).or_else(|| f.find_rotated(&pos.id, true).map(|(_, file)| file));
            if let Some(file) = found {
                // Still drained for a while: its writer may not have reopened its log yet.
                let mut old = Open { file, pos: pos.clone(), grew: Instant::now() };
                Self::read_lines(&mut old, sink, opts.max_line, false)?;
                f.draining = Some(old);
            }
        }
        let Some(pos) = &saved.current else {
            // The path did not exist: whatever is there now was created since.
            if exists {
                f.current = Some(f.open_new()?);
            }
            return Ok(f);
        };
        if let Some(file) =
            Open::matching(path, &pos.id, true).filter(|file| file.metadata().is_ok_and(|m| m.len() >= pos.offset))
        {
            f.current = Some(Open { file, pos: pos.clone(), grew: Instant::now() });
            return Ok(f);
        }
        match (f.find_rotated(&pos.id, true), f.find_rotated(&pos.id, false)) {
            // Renamed while no one followed it: drained as if the rename had just been seen, since
            // its writer may not have reopened its log yet.
            (Some((k, file)), _) => {
                if let Some(mut earlier) = f.draining.take() {
                    Self::read_lines(&mut earlier, sink, opts.max_line, true)?;
                }
                let mut old = Open { file, pos: pos.clone(), grew: Instant::now() };
                Self::read_lines(&mut old, sink, opts.max_line, false)?;
                f.draining = Some(old);
                f.read_between(k, sink, opts.max_line)?;
            }
            // Copied and truncated: the copy does not grow.
            (None, Some((k, file))) => {
                let mut copy = Open { file, pos: pos.clone(), grew: Instant::now() };
                Self::read_lines(&mut copy, sink, opts.max_line, true)?;
                f.read_between(k, sink, opts.max_line)?;
            }
            (None, None) => warn(format!(
                "{path}: the file the state names is neither there nor rotated to {path}.1 to {path}.{ROTATED}: \
                 reading {path} from its start"
            )),
        }
        if exists {
            f.current = Some(f.open_new()?);
        }
        Ok(f)
    }
}

/// Reads the state file; `None` when there is none yet.
fn load_state(path: &str) -> Result<Option<State>> {
    match fs::read(path) {
        Ok(bytes) => {
            let state: State = serde_json::from_slice(&bytes).map_err(|e| {
                Error::Failed(format!("{path}: not a state ticky-follow wrote ({e}): remove it to start afresh"))
            })?;
            Ok(Some(state))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("cannot read {path}"), e)),
    }
}

/// Saves the state: written beside the old one, synced, renamed over it, so that it is always
/// either the old state or the new one.
fn save_state(path: &str, state: &State) -> Result<()> {
    let cannot = |e: io::Error| Error::io(format!("cannot write the state {path}"), e);
    let dir = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
    serde_json::to_writer(&mut temp, state).map_err(|e| cannot(e.into()))?;
    temp.write_all(b"\n").and_then(|()| temp.as_file().sync_all()).map_err(cannot)?;
    temp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

/// Follows `paths`, writing their new lines to `out` (or to `opts.output`), until killed, or with
/// `once` until what there is has been read. `warn` says what the user should know.
pub fn run(opts: &FollowOptions, paths: &[String], out: &mut dyn Write, warn: &mut dyn FnMut(String)) -> Result<()> {
    let saved = opts.state.as_deref().map(load_state).transpose()?.flatten();
    let mut sink = Sink { out, file: None, buf: Vec::new(), length: 0 };
    if let Some(name) = &opts.output {
        let cannot = |e| Error::io(format!("cannot open {name}"), e);
        let file = OpenOptions::new().create(true).append(true).open(name).map_err(cannot)?;
        let size = file.metadata().map_err(cannot)?.len();
        sink.length = size;
        // Lines written after the state was saved are read again: they go away first.
        if let Some(length) = saved.as_ref().and_then(|s| s.output) {
            if size > length {
                file.set_len(length).map_err(cannot)?;
                sink.length = length;
            } else if size < length {
                warn(format!("{name} is shorter than when the state was saved ({size} bytes, not {length}): it was cut by someone else"));
            }
        }
        sink.file = Some(file);
    }
    let mut followers = Vec::with_capacity(paths.len());
    for path in paths {
        let entry = saved.as_ref().and_then(|s| s.paths.iter().find(|p| p.path == *path));
        followers.push(Follower::resume(path, entry, opts, &mut sink, warn)?);
    }
    loop {
        for f in &mut followers {
            f.poll(&mut sink, opts, warn)?;
        }
        sink.flush()?;
        if let Some(state_path) = &opts.state {
            if followers.iter().any(|f| f.dirty) {
                let state = State {
                    version: 1,
                    output: sink.file.as_ref().map(|_| sink.length),
                    paths: followers.iter().map(Follower::state).collect(),
                };
                save_state(state_path, &state)?;
                followers.iter_mut().for_each(|f| f.dirty = false);
            }
        }
        if opts.once {
            return Ok(());
        }
        std::thread::sleep(opts.interval);
    }
}
