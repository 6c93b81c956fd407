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
    /// The rotated files (device, inode) accounted for: read, or there before.
    #[serde(default)]
    known: Vec<Tag>,
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
    fingerprint_on(0xcbf2_9ce4_8422_2325, bytes)
}

/// The fingerprint of some bytes followed by `bytes`, from the fingerprint of the first ones:
/// what was read extends it, with no second read of the file (which may have changed since).
fn fingerprint_on(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
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

impl Identity {
    fn inode(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }

    /// Whether `file` starts with the bytes this fingerprint was taken of.
    fn starts(&self, file: &File) -> bool {
        prefix_hash(file, self.prefix).ok().flatten() == Some(self.hash)
    }
}

impl Position {
    /// Whether `file` still holds what was read of it: as long, and starting the same.
    fn holds_in(&self, file: &File) -> bool {
        file.metadata().is_ok_and(|m| m.len() >= self.offset) && self.id.starts(file)
    }
}

/// An open file and what it is.
struct Open {
    file: File,
    pos: Position,
    /// When it last grew (for a file being drained).
    grew: Instant,
}

impl Open {
    /// A file to be read from `offset` (the end of a line), fingerprinting what is before.
    fn from_file(file: File, offset: u64) -> io::Result<Open> {
        let meta = file.metadata()?;
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
    /// What each read reads into, kept from read to read: files are looked at four times a second.
    chunk: Vec<u8>,
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
    /// The rotated files accounted for: a new one while nothing of the current file was read
    /// can only be its copy, made before a truncation that no fingerprint can show.
    known: Vec<Tag>,
}

impl Follower {
    /// Passes on the complete lines of `open` from its offset; with `last`, a final line without
    /// its newline too (the file will not grow again). Returns whether anything was read.
    fn read_lines(open: &mut Open, sink: &mut Sink<'_>, max_line: usize, last: bool) -> Result<bool> {
        let name = "a followed file";
        let Sink { buf, chunk, .. } = sink;
        chunk.resize(max_line.clamp(4096, 1 << 20), 0);
        let mut any = false;
        loop {
            let n = open.file.read_at(chunk, open.pos.offset).map_err(|e| Error::io(format!("reading {name}"), e))?;
            if n == 0 {
                return Ok(any);
            }
            // Read, then checked: a file truncated and written again in between would otherwise
            // hand over another file's bytes from the middle. What fails the check is left to the
            // look at the path, which finds the copy.
            if !open.pos.id.starts(&open.file) {
                return Ok(any);
            }
            let data = &chunk[..n];
            let take = match data.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                // A line longer than the chunk: passed on in pieces, each made a line.
                None if n == chunk.len() || last => n,
                None => return Ok(any),
            };
            buf.extend_from_slice(&data[..take]);
            if !data[..take].ends_with(b"\n") {
                buf.push(b'\n');
            }
            // The fingerprint grows with the bytes read, up to its length.
            if open.pos.offset < PREFIX {
                let more = ((PREFIX - open.pos.offset) as usize).min(take);
                open.pos.id.hash = fingerprint_on(open.pos.id.hash, &data[..more]);
                open.pos.id.prefix += more as u64;
            }
            open.pos.offset += take as u64;
            open.grew = Instant::now();
            any = true;
        }
    }

    /// The rotated files `FILE.1` … `FILE.9` that exist, opened in one pass: from then on each is
    /// the file it was, whatever is renamed meanwhile.
    /// A file renamed from `FILE.k` to `FILE.(k+1)` while they are opened is seen at both: it
    /// counts once.
    fn rotated(&self) -> Vec<Rotated> {
        let mut rotated: Vec<Rotated> = Vec::new();
        for k in 1..=ROTATED {
            let Ok(file) = File::open(format!("{}.{k}", self.path)) else { continue };
            let Ok(meta) = file.metadata() else { continue };
            let inode = (meta.dev(), meta.ino());
            if !rotated.iter().any(|r| r.inode() == inode) {
                let mut head = [0u8; 256];
                let n = file.read_at(&mut head, 0).unwrap_or(0);
                let tag = (inode.0, inode.1, meta.len(), fingerprint(&head[..n]));
                rotated.push(Rotated { k, file, tag });
            }
        }
        rotated
    }

    /// Reads whole, oldest first, the rotated files newer than `FILE.k` (`FILE.(k-1)` …
    /// `FILE.1`): files rotated between two looks. Files in `skip` (read otherwise) are left out.
    fn read_newer(
        rotated: &[Rotated],
        k: usize,
        skip: &[(u64, u64)],
        sink: &mut Sink<'_>,
        max_line: usize,
    ) -> Result<()> {
        for r in rotated.iter().rev().filter(|r| r.k < k && !skip.contains(&r.inode())) {
            Self::read_lines(&mut r.open(None)?, sink, max_line, true)?;
        }
        Ok(())
    }

    /// After a copy and truncate of the file read at `pos`: reads what was not read yet from the
    /// copy (found by fingerprint), then the copies made since. Says so when there is no copy.
    fn read_copy(
        &self,
        pos: &Position,
        rotated: &[Rotated],
        skip: &[(u64, u64)],
        sink: &mut Sink<'_>,
        max_line: usize,
        warn: &mut dyn FnMut(String),
    ) -> Result<()> {
        let copy = rotated.iter().find(|r| pos.id.prefix > 0 && r.inode() != pos.id.inode() && pos.id.starts(&r.file));
        match copy {
            Some(r) => {
                Self::read_lines(&mut r.open(Some(pos))?, sink, max_line, true)?;
                Self::read_newer(rotated, r.k, skip, sink, max_line)
            }
            None if pos.offset == 0 => Ok(()),
            None => {
                warn(format!(
                    "{} was truncated, and no rotated copy of it holds the lines after the {} bytes read: \
                     any written in between are lost",
                    self.path, pos.offset
                ));
                Ok(())
            }
        }
    }

    /// Checks the file being read against its fingerprint: when it was truncated (copytruncate),
    /// the rest is read from the copy and the file from its start, on the same handle.
    fn check_truncated(
        &mut self,
        sink: &mut Sink<'_>,
        opts: &FollowOptions,
        warn: &mut dyn FnMut(String),
    ) -> Result<()> {
        let Some(open) = &self.current else { return Ok(()) };
        let size = open.file.metadata().map_err(|e| Error::io(format!("cannot look at {}", self.path), e))?.len();
        let intact = size >= open.pos.offset && open.pos.id.starts(&open.file);
        if intact && open.pos.offset == 0 {
            // Nothing read, nothing to fingerprint: a copy that appeared and that the file no
            // longer starts with was made before a truncation (a follower kept from running for
            // the file's whole life); it is read whole.
            let rotated = self.rotated();
            let copies: Vec<usize> = self.copies_of_unread(&rotated).iter().map(|r| r.k).collect();
            for r in rotated.iter().rev().filter(|r| copies.contains(&r.k)) {
                Self::read_lines(&mut r.open(None)?, sink, opts.max_line, true)?;
                self.known.push(r.tag);
                self.dirty = true;
            }
            return Ok(());
        }
        if intact {
            return Ok(());
        }
        let pos = open.pos.clone();
        let rotated = self.rotated();
        self.read_copy(&pos, &rotated, &[pos.id.inode()], sink, opts.max_line, warn)?;
        self.known = rotated.iter().map(|r| r.tag).collect();
        let open = self.current.as_mut().expect("a current file");
        open.pos = Position {
            id: Identity { dev: pos.id.dev, ino: pos.id.ino, prefix: 0, hash: fingerprint(&[]) },
            offset: 0,
        };
        self.dirty = true;
        Ok(())
    }

    /// One look: what the files being read have gained, a truncation, and a rename (the path
    /// opened once, so that the file handled is the one that was there).
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
        self.check_truncated(sink, opts, warn)?;
        if let Some(open) = &mut self.current {
            self.dirty |= Self::read_lines(open, sink, opts.max_line, false)?;
        }
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(format!("cannot open {}", self.path), e)),
        };
        let meta = file.metadata().map_err(|e| Error::io(format!("cannot look at {}", self.path), e))?;
        let at_path = (meta.dev(), meta.ino());
        match &self.current {
            Some(open) if open.pos.id.inode() == at_path => return Ok(()),
            // Renamed away, another file at the path: the old one is read on until it stops
            // growing, the files rotated after it are read whole, and the new one from its start.
            Some(_) => {
                let mut old = self.current.take().expect("a current file");
                if let Some(mut earlier) = self.draining.take() {
                    Self::read_lines(&mut earlier, sink, opts.max_line, true)?;
                }
                let rotated = self.rotated();
                let old_inode = old.pos.id.inode();
                let k = rotated.iter().find(|r| r.inode() == old_inode).map_or(1, |r| r.k);
                Self::read_lines(&mut old, sink, opts.max_line, false)?;
                old.grew = Instant::now();
                self.draining = Some(old);
                Self::read_newer(&rotated, k, &[old_inode, at_path], sink, opts.max_line)?;
                self.known = rotated.iter().map(|r| r.tag).collect();
            }
            // The path appeared: a new file.
            None => {}
        }
        self.current = Some(Open::from_file(file, 0).map_err(|e| Error::io(format!("cannot read {}", self.path), e))?);
        self.dirty = true;
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
            known: self.known.clone(),
        }
    }

    /// The rotated files not accounted for, newest first, that the current file (of which nothing
    /// was read) does not start like: copies of content it had before it was truncated. A copy it
    /// still starts like may be one whose truncation is still to come: left for a later look.
    fn copies_of_unread<'r>(&self, rotated: &'r [Rotated]) -> Vec<&'r Rotated> {
        let Some(open) = &self.current else { return Vec::new() };
        let own = [Some(open.pos.id.inode()), self.draining.as_ref().map(|d| d.pos.id.inode())];
        let mut head = vec![0u8; PREFIX as usize];
        let n = open.file.read_at(&mut head, 0).unwrap_or(0);
        rotated
            .iter()
            .filter(|r| !self.known.contains(&r.tag) && !own.contains(&Some(r.inode())))
            .filter(|r| {
                let mut theirs = vec![0u8; PREFIX as usize];
                let m = r.file.read_at(&mut theirs, 0).unwrap_or(0);
                let common = n.min(m);
                m > 0 && (n == 0 || head[..common] != theirs[..common])
            })
            .collect()
    }

    /// A follower of `path`, resumed from its saved state when there is one: the rotated file it
    /// was draining is drained on, and the file it was reading is found where it is now: at the
    /// path, renamed to `FILE.k` (by inode), or copied there before a truncation (by fingerprint).
    fn resume(
        path: &str,
        saved: Option<&PathState>,
        opts: &FollowOptions,
        sink: &mut Sink<'_>,
        warn: &mut dyn FnMut(String),
    ) -> Result<Follower> {
        let known = saved.map_or(Vec::new(), |s| s.known.clone());
        let mut f = Follower { path: path.to_string(), current: None, draining: None, dirty: true, known };
        let cannot = |e| Error::io(format!("cannot open {path}"), e);
        let at_path = match File::open(path) {
            Ok(file) => Some(file),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(cannot(e)),
        };
        let path_inode = match &at_path {
            Some(file) => {
                let meta = file.metadata().map_err(cannot)?;
                Some((meta.dev(), meta.ino()))
            }
            None => None,
        };
        let Some(saved) = saved else {
            // The rotated files there now are older than anything to read.
            f.known = f.rotated().iter().map(|r| r.tag).collect();
            if let Some(file) = at_path {
                let size = file.metadata().map_err(cannot)?.len();
                let start = if opts.from_start { 0 } else { line_start_before(&file, size).map_err(cannot)? };
                f.current = Some(Open::from_file(file, start).map_err(cannot)?);
            }
            return Ok(f);
        };
        // A file at the path that was truncated is checked before the rotated files are opened:
        // its copy, made before the truncation, is then among them.
        let path_intact = match (&at_path, &saved.current) {
            (Some(file), Some(pos)) if path_inode == Some(pos.id.inode()) => Some(pos.holds_in(file)),
            _ => None,
        };
        let rotated = f.rotated();
        let find = |pos: &Position| -> Option<File> {
            let inode = pos.id.inode();
            if path_inode == Some(inode) {
                return at_path.as_ref().and_then(|file| file.try_clone().ok());
            }
            rotated.iter().find(|r| r.inode() == inode).and_then(|r| r.file.try_clone().ok())
        };
        if let Some(pos) = &saved.draining {
            if let Some(file) = find(pos) {
                // Still drained for a while: its writer may not have reopened its log yet.
                let mut old = Open { file, pos: pos.clone(), grew: Instant::now() };
                Self::read_lines(&mut old, sink, opts.max_line, false)?;
                f.draining = Some(old);
            }
        }
        if let Some(pos) = &saved.current {
            let inode = pos.id.inode();
            let found = find(pos);
            let intact = path_intact.unwrap_or_else(|| found.as_ref().is_some_and(|file| pos.holds_in(file)));
            let skip: Vec<(u64, u64)> = path_inode.into_iter().collect();
            match found {
                Some(file) if intact && path_inode == Some(inode) => {
                    f.current = Some(Open { file, pos: pos.clone(), grew: Instant::now() });
                    return Ok(f);
                }
                // Renamed while no one followed it: drained as if the rename had just been seen.
                Some(file) if intact => {
                    if let Some(mut earlier) = f.draining.take() {
                        Self::read_lines(&mut earlier, sink, opts.max_line, true)?;
                    }
                    let k = rotated.iter().find(|r| r.inode() == inode).map_or(1, |r| r.k);
                    let mut old = Open { file, pos: pos.clone(), grew: Instant::now() };
                    Self::read_lines(&mut old, sink, opts.max_line, false)?;
                    f.draining = Some(old);
                    Self::read_newer(&rotated, k, &[inode, path_inode.unwrap_or((0, 0))], sink, opts.max_line)?;
                }
                // Truncated (and maybe renamed since): the rest is in a copy, and the copies and
                // files rotated after it follow, the truncated file itself among them.
                Some(_) | None => {
                    let known = rotated.iter().any(|r| pos.id.prefix > 0 && pos.id.starts(&r.file));
                    if !known && pos.offset > 0 {
                        warn(format!(
                            "{path}: the file the state names is neither there nor rotated to {path}.1 to \
                             {path}.{ROTATED}: reading {path} from its start"
                        ));
                    } else {
                        f.read_copy(pos, &rotated, &skip, sink, opts.max_line, warn)?;
                    }
                }
            }
        }
        f.known = rotated.iter().map(|r| r.tag).collect();
        // The file at the path is new since the state: read from its start.
        if let Some(file) = at_path {
            f.current = Some(Open::from_file(file, 0).map_err(cannot)?);
        }
        Ok(f)
    }
}

/// A rotated file as it was seen: device, inode, size and the fingerprint of its first bytes. The
/// inode alone would not do: the system hands the inode of a rotated file that was deleted to the
/// next new one, often a copy.
type Tag = (u64, u64, u64, u64);

/// A rotated file, opened: `FILE.k` when it was.
struct Rotated {
    k: usize,
    file: File,
    tag: Tag,
}

impl Rotated {
    fn inode(&self) -> (u64, u64) {
        (self.tag.0, self.tag.1)
    }

    /// The file to read, from its start or from `pos` (what was read of it elsewhere).
    fn open(&self, pos: Option<&Position>) -> Result<Open> {
        let cannot = |e| Error::io("cannot read a rotated file".to_string(), e);
        let file = self.file.try_clone().map_err(cannot)?;
        match pos {
            Some(pos) => Ok(Open { file, pos: pos.clone(), grew: Instant::now() }),
            None => Open::from_file(file, 0).map_err(cannot),
        }
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
    let mut sink = Sink { out, file: None, buf: Vec::new(), length: 0, chunk: Vec::new() };
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
