//! `ticky-store`: records kept in a SQLite database, for questions asked later.
//!
//! Each input is a *source*: a stream of bytes known by the checksum of what was stored of it, not
//! by its name. Storing a file again reads it from the start, checks that its first bytes are
//! exactly what was stored before (so a rotated `syslog.1`, or its `.gz`, is the same source) and
//! stores only the lines after them. Records go in in batches, each one transaction together with
//! the source's new position: a run killed at any moment leaves whole batches and a position that
//! matches them, and the next run goes on from there.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use rusqlite::{params, Connection, Statement};
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::access::DurationUnit;
use crate::error::{Error, Result};
pub use crate::format::Format;
use crate::format::{tell_kind, Kind};
use crate::input::{self, LineReader};
use crate::parse::Summary;
use crate::record::{Key, LineFormat, Record, Scratch, Year};
use crate::time;

/// The schema this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// The typed columns of `records`, after `source` and `seq`: the keys of DESIGN.md's records (as
/// ticky-parse writes them, in its order) and those the other formats give. Any other key of a
/// JSON record goes into the JSON object `extra`.
pub const COLUMNS: [(&str, Type); 35] = [
    ("file", Type::Text),
    ("line", Type::Integer),
    ("time", Type::Text),
    ("host", Type::Text),
    ("program", Type::Text),
    ("pid", Type::Integer),
    ("facility", Type::Text),
    ("severity", Type::Text),
    ("message", Type::Text),
    ("repeat", Type::Integer),
    ("level", Type::Text),
    ("info", Type::Text),
    ("error", Type::Text),
    ("ticket", Type::Integer),
    ("user", Type::Text),
    ("raw", Type::Text),
    ("truncated", Type::Integer),
    ("length", Type::Integer),
    // Web access logs.
    ("ip", Type::Text),
    ("method", Type::Text),
    ("path", Type::Text),
    ("query", Type::Text),
    ("protocol", Type::Text),
    ("status", Type::Integer),
    ("bytes", Type::Integer),
    ("referer", Type::Text),
    ("agent", Type::Text),
    ("duration_ms", Type::Real),
    ("vhost", Type::Text),
    // Login events.
    ("auth", Type::Text),
    ("login", Type::Text),
    ("port", Type::Integer),
    // Application logs.
    ("module", Type::Text),
    ("logger", Type::Text),
    ("thread", Type::Integer),
];

/// The columns with an index: what later questions filter by.
const INDEXED: [&str; 7] = ["time", "host", "program", "level", "user", "status", "ip"];

/// A column's declared type (its SQLite affinity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Text,
    Integer,
    Real,
}

impl Type {
    fn sql(self) -> &'static str {
        match self {
            Type::Text => "TEXT",
            Type::Integer => "INTEGER",
            Type::Real => "REAL",
        }
    }
}

/// How a run stores.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// The year of RFC 3164 timestamps, as `ticky-parse --year`.
    pub year: Option<i64>,
    pub format: Format,
    /// Records per transaction.
    pub batch: usize,
    /// Delete records older than this many days after storing.
    pub retain: Option<u64>,
    /// How long to wait for another ticky-store on the same database.
    pub wait: Duration,
    /// Lines longer than this are cut (`--max-line`).
    pub max_line: usize,
    /// The unit of access logs' request times (`--duration-unit`).
    pub unit: DurationUnit,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            year: None,
            format: Format::Auto,
            batch: 10_000,
            retain: None,
            wait: Duration::from_secs(600),
            max_line: input::MAX_LINE,
            unit: DurationUnit::Seconds,
        }
    }
}

/// What storing one input did.
#[derive(Debug, Default)]
pub struct Stored {
    pub name: String,
    /// Records added by this run.
    pub added: u64,
    /// Lines at the start of the input that an earlier run had stored.
    pub before: u64,
    /// The input ends in a line without a newline, not stored because it is not a whole JSON
    /// record yet (a raw line is stored, and replaced when it grows).
    pub held_back: bool,
    /// What was understood of a raw log.
    pub summary: Option<Summary>,
}

/// What a run did: one entry per input, and the records `--retain` deleted.
#[derive(Debug, Default)]
pub struct Outcome {
    pub inputs: Vec<Stored>,
    pub deleted: Option<u64>,
}

/// Stores every input into the database at `db` (created when missing, readable by its owner
/// only), then applies `retain`. Only one run stores into a database at a time: another waits for
/// it (at most `opts.wait`).
pub fn run(db: &Path, opts: &StoreOptions, paths: &[String]) -> Result<Outcome> {
    // The lock is taken on a descriptor of its own, held (and so closed) until after the
    // connection is closed: closing any descriptor of a database file drops SQLite's own locks.
    let lock = lock_database(db, opts.wait)?;
    let mut store = Store::open(db)?;
    let mut outcome = Outcome::default();
    let done = AtomicBool::new(false);
    let stored = std::thread::scope(|scope| {
        scope.spawn(|| checkpoint_until(db, &done));
        let stored: Result<()> = paths.iter().try_for_each(|path| {
            outcome.inputs.push(store.input(path, opts)?);
            Ok(())
        });
        done.store(true, Ordering::Relaxed);
        stored
    });
    stored?;
    if let Some(days) = opts.retain {
        outcome.deleted = Some(store.retain(days)?);
    }
    store.close()?;
    drop(lock);
    Ok(outcome)
}

/// Copies the write-ahead log into the database on a connection and a thread of its own, while
/// the main one inserts, until `done`: on another core, checkpoints cost the inserts nothing. A
/// checkpoint that fails is left to the next one, and to the last, which [`Store::close`] makes
/// and checks.
fn checkpoint_until(db: &Path, done: &AtomicBool) {
    let Ok(conn) = Connection::open(db) else { return };
    while !done.load(Ordering::Relaxed) {
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Opens (creating it with mode 0600 when missing) and locks the database file.
fn lock_database(db: &Path, wait: Duration) -> Result<File> {
    let name = db.display();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(db)
        .map_err(|e| Error::io(format!("cannot open database {name}"), e))?;
    if !file.metadata().map_err(|e| Error::io(format!("cannot open database {name}"), e))?.is_file() {
        return Err(Error::Failed(format!("{name} is not a regular file: give the path of a SQLite database")));
    }
    use rustix::fs::{flock, FlockOperation};
    let start = std::time::Instant::now();
    let mut said = false;
    loop {
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(file),
            Err(rustix::io::Errno::WOULDBLOCK) if start.elapsed() < wait => {
                if !said {
                    crate::cli::say(&format!("ticky-store: waiting for another ticky-store to finish with {name}"));
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {
                return Err(Error::Failed(format!(
                    "another ticky-store has been storing into {name} for more than {} s; \
                     try again later, or give --wait SECONDS",
                    wait.as_secs()
                )))
            }
            Err(e) => return Err(Error::io(format!("cannot lock {name}"), e.into())),
        }
    }
}

/// What is known of a source: where its stored part ends and the checksum of that part.
#[derive(Clone, Copy, Debug)]
struct Source {
    id: i64,
    /// Bytes of whole lines stored (the input's bytes, decompressed).
    size: u64,
    /// CRC-32 of those bytes.
    crc: u32,
    /// Whole lines stored.
    lines: u64,
    /// The record of a last line without a newline, stored but to be replaced when it grows.
    pending: Option<i64>,
}

struct Store {
    conn: Connection,
    name: String,
}

fn sql_error(db: &str) -> impl Fn(rusqlite::Error) -> Error + Sync {
    let db = db.to_string();
    move |e| {
        let hint = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => ": it is not a SQLite database",
            Some(rusqlite::ErrorCode::DiskFull) => {
                ": make room and run again; the batches stored so far stay, and the next run goes on after them"
            }
            Some(rusqlite::ErrorCode::ReadOnly) | Some(rusqlite::ErrorCode::CannotOpen) => {
                ": check that the database and its folder can be written"
            }
            _ => "",
        };
        Error::Failed(format!("database {db}: {e}{hint}"))
    }
}

impl Store {
    fn open(db: &Path) -> Result<Store> {
        let name = db.display().to_string();
        let err = sql_error(&name);
        let conn = Connection::open(db).map_err(&err)?;
        // Another reader (the sqlite3 shell, a report) may hold the database for a moment.
        conn.busy_timeout(Duration::from_secs(30)).map_err(&err)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(&err)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))
            .map_err(&err)?;
        match version {
            0 if tables == 0 => create_schema(&conn).map_err(&err)?,
            SCHEMA_VERSION => {}
            0 => {
                return Err(Error::Failed(format!(
                    "{name} is a SQLite database that ticky-store did not make (it has tables but no schema \
                     version): give the path of a new file or of a ticky-store database"
                )))
            }
            v if v > SCHEMA_VERSION => {
                return Err(Error::Failed(format!(
                    "{name} has schema version {v}, made by a newer ticky-store; this one knows version \
                     {SCHEMA_VERSION}: use the newer ticky-store"
                )))
            }
            v => return Err(Error::Failed(format!("{name} has schema version {v}, which ticky-store does not know"))),
        }
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 0;").map_err(&err)?;
        Ok(Store { conn, name })
    }

    /// Checkpoints the write-ahead log into the database, so that the database file alone holds
    /// everything, and closes.
    fn close(self) -> Result<()> {
        let err = sql_error(&self.name);
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(&err)?;
        self.conn.close().map_err(|(_, e)| err(e))
    }

    /// Deletes the records older than `days` days (their time compared as written: local time
    /// for RFC 3164 lines), and those without a time from sources last stored before then, and
    /// gives the free pages back to the file system.
    fn retain(&mut self, days: u64) -> Result<u64> {
        let err = sql_error(&self.name);
        let now = SystemTime::now();
        let cutoff_seconds = time::local_seconds(now) - (days as i64) * 86_400;
        let (date, rem) = (cutoff_seconds.div_euclid(86_400), cutoff_seconds.rem_euclid(86_400));
        let (y, m, d) = time::civil_from_days(date);
        let cutoff = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60);
        let stored_before = time::unix_seconds(now) - (days as i64) * 86_400;
        let tx = self.conn.transaction().map_err(&err)?;
        let mut deleted = tx.execute("DELETE FROM records WHERE time < ?1", [&cutoff]).map_err(&err)? as u64;
        deleted += tx
            .execute(
                "DELETE FROM records WHERE time IS NULL AND source IN (SELECT id FROM sources WHERE stored < ?1)",
                [stored_before],
            )
            .map_err(&err)? as u64;
        tx.commit().map_err(&err)?;
        self.conn.execute_batch("PRAGMA incremental_vacuum;").map_err(&err)?;
        Ok(deleted)
    }

    /// Stores one input: the lines after those an earlier run stored of it.
    fn input(&mut self, path: &str, opts: &StoreOptions) -> Result<Stored> {
        let identity =
            (path != "-").then(|| std::fs::metadata(path).ok().map(|m| (m.dev() as i64, m.ino() as i64))).flatten();
        let mut candidates: Option<Vec<Source>> = None;
        loop {
            let input = input::open(path)?;
            let name = input.name.clone();
            let year = Year::for_input(opts.year, input.modified);
            let mut lines = LineReader::new(input.reader, &name);
            lines.set_max_line(input::record_limit(opts.max_line));
            lines.track_checksum();
            let first = match lines.next_line_info()? {
                Some(l) => FirstLine { text: l.text.to_vec(), terminated: l.terminated, cut: l.cut },
                None => return Ok(Stored { name, ..Stored::default() }),
            };
            let head = first.terminated.then(|| i64::from(lines.position().1));
            let candidates = match &mut candidates {
                Some(c) => c,
                // Standard input cannot be read twice: it is a new source each time.
                None if path == "-" => candidates.insert(Vec::new()),
                None => candidates.insert(self.candidates(head, identity)?),
            };
            let source = match candidates.pop() {
                None => None,
                Some(c) if resume(&mut lines, &c, &first)? => Some(c),
                // Not that source: read the input again from the start for the next.
                Some(_) => continue,
            };
            let start = Start { name, source, head, identity, first, year };
            return self.store_lines(&mut lines, start, opts);
        }
    }

    /// The sources this input may be: those with the same first line, or on the same file
    /// (whose first line may have grown), the largest last.
    fn candidates(&self, head: Option<i64>, identity: Option<(i64, i64)>) -> Result<Vec<Source>> {
        let err = sql_error(&self.name);
        let (dev, ino) = identity.unzip();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, size, crc, last_line, pending FROM sources \
                 WHERE head = ?1 OR (device = ?2 AND inode = ?3) ORDER BY size, id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![head, dev, ino], |r| {
                Ok(Source {
                    id: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    crc: r.get::<_, i64>(2)? as u32,
                    lines: r.get::<_, i64>(3)? as u64,
                    pending: r.get(4)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&err)
    }

    /// Reads and stores the rest of `lines`: after the stored part of a known source, or from the
    /// first line (read already, in `start.first`) of a new one. This thread reads and parses;
    /// another inserts the rows and commits, so both cores work.
    fn store_lines<R: Read>(&mut self, lines: &mut LineReader<R>, start: Start, opts: &StoreOptions) -> Result<Stored> {
        let err = sql_error(&self.name);
        let stamp = time::unix_seconds(SystemTime::now());
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(&err)?;
        let (id, position) = match start.source {
            Some(s) => {
                if let Some(pending) = s.pending {
                    self.conn.execute("DELETE FROM records WHERE id = ?1", [pending]).map_err(&err)?;
                }
                (s.id, Position { size: s.size, crc: s.crc, lines: s.lines })
            }
            None => {
                let (dev, ino) = start.identity.unzip();
                self.conn
                    .execute(
                        "INSERT INTO sources (path, device, inode, head, size, crc, last_line, stored) \
                         VALUES (?1, ?2, ?3, ?4, 0, 0, 0, ?5)",
                        params![start.name, dev, ino, start.head, stamp],
                    )
                    .map_err(&err)?;
                (self.conn.last_insert_rowid(), Position::default())
            }
        };
        // An unfinished last line stored before is read again: it will be no new record.
        let replaced = start.source.is_some_and(|s| s.pending.is_some());
        let (to_writer, chunks) = mpsc::sync_channel::<Chunk>(4);
        let (give_back, used) = mpsc::channel::<Chunk>();
        let writer = Writer { conn: &mut self.conn, err: &err, id, stamp };
        let (read, written) = std::thread::scope(|scope| {
            let writer = scope.spawn(move || writer.write(chunks, give_back));
            let reader = Reader {
                to_writer,
                used,
                batch: opts.batch,
                format: opts.format,
                unit: opts.unit,
                max_line: opts.max_line,
            };
            let read = reader.read(lines, start, position);
            (read, writer.join())
        });
        // The writer's failure (a full disk) is the cause of the reader's (its rows had nowhere to go).
        match written {
            Ok(written) => written?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        let mut stored = read?;
        if replaced && stored.added > 0 {
            stored.added -= 1;
            stored.before += 1;
        }
        Ok(stored)
    }
}

impl Position {
    /// Past the line `lines` returned last, when it was a whole line.
    fn advance<R: Read>(&mut self, terminated: bool, lines: &LineReader<R>) {
        if terminated {
            (self.size, self.crc) = lines.position();
            self.lines += 1;
        }
    }
}

/// Where the reading of an input starts, once its source is known.
struct Start {
    name: String,
    source: Option<Source>,
    head: Option<i64>,
    identity: Option<(i64, i64)>,
    /// The input's first line, read to know the source.
    first: FirstLine,
    year: Year,
}

/// The first line of an input, kept while its source is found.
struct FirstLine {
    text: Vec<u8>,
    terminated: bool,
    cut: Option<u64>,
}

/// How far a source has been read: its whole lines, their bytes and the CRC-32 of the bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Position {
    size: u64,
    crc: u32,
    lines: u64,
}

/// Reads `lines` (whose first line, `first`, was read already) to the end of the source's stored
/// part, and says whether those bytes are exactly the ones stored.
fn resume<R: Read>(lines: &mut LineReader<R>, source: &Source, first: &FirstLine) -> Result<bool> {
    if source.size == 0 {
        return Ok(true);
    }
    if !first.terminated {
        return Ok(false);
    }
    while lines.position().0 < source.size {
        match lines.next_line_info()? {
            Some(l) if l.terminated => {}
            _ => return Ok(false),
        }
    }
    Ok(lines.position() == (source.size, source.crc))
}

/// Rows inserted by one statement: fewer statements to run for the same rows.
const MANY: usize = 32;

/// Rows handed from the reader to the writer at a time.
const CHUNK: usize = 8 * MANY;

/// Rows on their way from the reader to the writer, with where the input stands after them.
struct Chunk {
    rows: Vec<Row>,
    len: usize,
    position: Position,
    /// The last row is a last line without a newline: its id is kept, to replace it later.
    unfinished: bool,
    /// Commit after these rows: a batch is complete, or the input is.
    commit: bool,
}

/// Parses lines into chunks of rows for the [`Writer`].
struct Reader {
    to_writer: mpsc::SyncSender<Chunk>,
    used: mpsc::Receiver<Chunk>,
    batch: usize,
    format: Format,
    unit: DurationUnit,
    max_line: usize,
}

impl Reader {
    fn read<R: Read>(self, lines: &mut LineReader<R>, start: Start, mut position: Position) -> Result<Stored> {
        let Start { name, source, first, mut year, .. } = start;
        let mut stored = Stored { name: name.clone(), before: source.map_or(0, |s| s.lines), ..Stored::default() };
        // The first line is stored here unless it is part of what was stored before.
        let mut first = source.is_none_or(|s| s.size == 0).then_some(first);
        let mut scratch = Scratch::default();
        let mut kind = self.format.kind(self.unit);
        let mut chunk = self.new_chunk(position);
        let mut in_batch = 0;
        // Blank lines before the kind is known: raw records if it turns out to be a raw log.
        let mut blank: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut failure = None;
        let (max_line, max_record) = (self.max_line, lines.max_line());
        let mut add_raw = |chunk: &mut Chunk,
                           line: &[u8],
                           number: u64,
                           cut,
                           format: LineFormat,
                           year: &mut Year,
                           stored: &mut Stored| {
            let (line, cut) = input::cut_line(line, cut, max_line);
            let mut record = Record::parse_as(format, line, year, &mut scratch);
            record.cut = cut;
            let summary = stored.summary.get_or_insert_with(Summary::default);
            summary.add_line(&stored.name, number, record.understood, format);
            if cut.is_some() {
                summary.add_cut(&stored.name, number, max_line);
            }
            chunk.rows[chunk.len].fill_raw(&record, number, year);
            chunk.len += 1;
            stored.added += 1;
        };
        loop {
            let first_line = first.take();
            let (number, line, terminated, cut) = match &first_line {
                Some(f) => (1, &f.text[..], f.terminated, f.cut),
                None => match lines.next_line_info() {
                    Ok(Some(l)) => (l.number, l.text, l.terminated, l.cut),
                    Ok(None) => break,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                },
            };
            let is_blank = line.iter().all(u8::is_ascii_whitespace);
            let kind = match kind {
                Some(k) => k,
                None if is_blank => {
                    blank.push((number, line.to_vec()));
                    position.advance(terminated, lines);
                    continue;
                }
                None => {
                    let k = match tell_kind(line, &name, number, self.unit) {
                        Ok(k) => k,
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    };
                    if let Kind::Raw(format) = k {
                        if let Some(what) = k.told() {
                            stored.summary.get_or_insert_with(Summary::default).told.push((name.clone(), what));
                        }
                        for (n, l) in std::mem::take(&mut blank) {
                            // Blank lines come before any row: the chunk has room for a few.
                            if chunk.len == CHUNK {
                                chunk = self.send(chunk, false)?;
                            }
                            add_raw(&mut chunk, &l, n, None, format, &mut year, &mut stored);
                            in_batch += 1;
                        }
                    }
                    *kind.insert(k)
                }
            };
            let added = match kind {
                Kind::JsonLines if is_blank => false,
                Kind::JsonLines if cut.is_some() => {
                    failure = Some(crate::count::record_too_long(&name, number, cut.unwrap_or(0), max_record, true));
                    break;
                }
                Kind::JsonLines => match chunk.rows[chunk.len].fill_json(line, number) {
                    Ok(()) => {
                        chunk.len += 1;
                        stored.added += 1;
                        true
                    }
                    // A writer may be in the middle of its last record: it is read next time.
                    Err(_) if !terminated => {
                        stored.held_back = true;
                        break;
                    }
                    Err(msg) => {
                        // What came before the bad line is kept: committed, then the error.
                        failure = Some(Error::input(&name, number, msg));
                        break;
                    }
                },
                Kind::Raw(format) => {
                    add_raw(&mut chunk, line, number, cut, format, &mut year, &mut stored);
                    true
                }
            };
            position.advance(terminated, lines);
            chunk.position = position;
            if added {
                in_batch += 1;
                chunk.unfinished = !terminated;
            }
            if in_batch >= self.batch {
                chunk = self.send(chunk, true)?;
                in_batch = 0;
            } else if chunk.len == CHUNK {
                chunk = self.send(chunk, false)?;
            }
        }
        if failure.is_none() {
            for (n, l) in blank {
                if chunk.len == CHUNK {
                    chunk = self.send(chunk, false)?;
                }
                add_raw(&mut chunk, &l, n, None, LineFormat::Syslog, &mut year, &mut stored);
            }
        }
        self.send(chunk, true)?;
        match failure {
            Some(e) => Err(e),
            None => Ok(stored),
        }
    }

    /// A chunk with no rows yet, at `position`: one the writer gave back, or a new one.
    fn new_chunk(&self, position: Position) -> Chunk {
        let mut chunk = self.used.try_recv().unwrap_or_else(|_| Chunk {
            rows: (0..CHUNK).map(|_| Row::new()).collect(),
            len: 0,
            position,
            unfinished: false,
            commit: false,
        });
        chunk.len = 0;
        chunk.position = position;
        chunk.unfinished = false;
        chunk.commit = false;
        chunk
    }

    /// Hands a chunk to the writer and returns an empty one at the same position. When the writer
    /// has stopped (it failed), so does reading: the writer says why.
    fn send(&self, mut chunk: Chunk, commit: bool) -> Result<Chunk> {
        chunk.commit = commit;
        let next = self.new_chunk(chunk.position);
        self.to_writer.send(chunk).map_err(|_| Error::Failed("the database writer stopped".to_string()))?;
        Ok(next)
    }
}

/// Inserts the rows of chunks and commits them with their source's position.
struct Writer<'c, 'e> {
    /// Exclusive, so that it can go to the writer's thread (a connection is not `Sync`).
    conn: &'c mut Connection,
    err: &'e (dyn Fn(rusqlite::Error) -> Error + Sync),
    id: i64,
    stamp: i64,
}

impl Writer<'_, '_> {
    fn write(self, chunks: mpsc::Receiver<Chunk>, give_back: mpsc::Sender<Chunk>) -> Result<()> {
        let err = self.err;
        let conn: &Connection = self.conn;
        let mut one = conn.prepare_cached(&insert_sql(1)).map_err(err)?;
        let mut many = conn.prepare_cached(&insert_sql(MANY)).map_err(err)?;
        // Which parameters are NULL: none is known to be at first.
        let (mut one_null, mut many_null) = (vec![false; COLUMNS.len()], vec![false; MANY * COLUMNS.len()]);
        // The record of an unfinished last line, to be replaced when a later run reads it whole.
        let mut pending = None;
        // The transaction that store_lines began is open.
        for chunk in chunks {
            let rows = &chunk.rows[..chunk.len];
            let mut groups = rows.chunks_exact(MANY);
            for group in &mut groups {
                for ((k, row), null) in group.iter().enumerate().zip(many_null.chunks_exact_mut(COLUMNS.len())) {
                    row.bind(&mut many, k * PARAMS, null, self.id).map_err(err)?;
                }
                many.raw_execute().map_err(err)?;
            }
            for row in groups.remainder() {
                row.bind(&mut one, 0, &mut one_null, self.id).map_err(err)?;
                one.raw_execute().map_err(err)?;
            }
            // The last row inserted decides: a chunk without rows (the end of the input, right
            // after a full batch or chunk) leaves it as it was.
            if chunk.len > 0 {
                pending = chunk.unfinished.then(|| conn.last_insert_rowid());
            }
            if chunk.commit {
                commit(conn, err, self.id, &chunk.position, pending, self.stamp)?;
                conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
            }
            let _ = give_back.send(chunk);
        }
        // The reader's last chunk committed everything it read. Rows after that would have no
        // position to go with them (the reader stopped without finishing): they are dropped.
        conn.execute_batch("ROLLBACK").map_err(err)
    }
}

/// Records where the source's stored part now ends, and commits the batch with it.
fn commit(
    conn: &Connection,
    err: &dyn Fn(rusqlite::Error) -> Error,
    id: i64,
    position: &Position,
    pending: Option<i64>,
    stamp: i64,
) -> Result<()> {
    let crc = i64::from(position.crc);
    conn.execute(
        "UPDATE sources SET size = ?2, crc = ?3, last_line = ?4, pending = ?5, stored = ?6 WHERE id = ?1",
        params![id, position.size as i64, crc, position.lines as i64, pending, stamp],
    )
    .map_err(err)?;
    conn.execute_batch("COMMIT").map_err(err)
}

/// One cell of a row.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    /// The text is in the row's buffer for the column.
    Text,
}

/// The values of one record, in [`COLUMNS`] order, then `extra`; the buffers are reused from
/// record to record.
struct Row {
    seq: u64,
    cells: Vec<Cell>,
    texts: Vec<Vec<u8>>,
    /// The JSON object of the keys that are no column, or nothing.
    extra: Vec<u8>,
    /// The record of a line whose fields have names of their own, reused from line to line.
    record: Vec<u8>,
}

impl Row {
    fn new() -> Row {
        Row {
            seq: 0,
            cells: vec![Cell::Null; COLUMNS.len()],
            texts: vec![Vec::new(); COLUMNS.len()],
            extra: Vec::new(),
            record: Vec::new(),
        }
    }

    /// The values of a parsed raw line, as its JSON record would give them.
    fn fill_raw(&mut self, record: &Record<'_>, number: u64, year: &mut Year) {
        if record.pattern.is_some() || record.json.is_some() {
            // A pattern's groups and a JSON log's keys have names of their own: those that are
            // columns go to them, the others to `extra`, as the record's JSON gives them.
            let mut json = std::mem::take(&mut self.record);
            json.clear();
            record.write_json(&mut json, None, number, year);
            let filled = self.fill_json(&json, number);
            debug_assert!(filled.is_ok(), "a record ticky wrote is JSON");
            self.record = json;
            return;
        }
        self.seq = number;
        for (i, &(name, ty)) in COLUMNS.iter().enumerate() {
            let text = &mut self.texts[i];
            self.cells[i] = match Key::from_name(name.as_bytes()) {
                Some(key) if record.value(key, None, number, year, text) => typed(ty, text),
                _ => Cell::Null,
            };
        }
        self.extra.clear();
    }

    /// The values of a JSON record: its keys that are columns in them, the others in `extra`
    /// (as they were written). Values are taken as serde_json validated them, without building
    /// anything per record.
    fn fill_json(&mut self, line: &[u8], number: u64) -> std::result::Result<(), String> {
        self.seq = number;
        self.cells.fill(Cell::Null);
        self.extra.clear();
        let mut de = serde_json::Deserializer::from_slice(line);
        serde::Deserializer::deserialize_map(&mut de, RowVisitor(self)).and_then(|()| de.end()).map_err(|e| match e
            .classify()
        {
            serde_json::error::Category::Data => {
                format!("not a JSON object (a record is one object per line): {e}")
            }
            _ => format!("invalid JSON record: {e}"),
        })?;
        if !self.extra.is_empty() {
            self.extra.push(b'}');
        }
        Ok(())
    }

    /// Sets the value of one key of a JSON record, `raw` as it was written (valid JSON).
    fn set_json(&mut self, key: &str, raw: &str) {
        let Some(i) = COLUMNS.iter().position(|(name, _)| *name == key) else {
            self.extra.push(if self.extra.is_empty() { b'{' } else { b',' });
            // A key from serde_json is text that serde_json can write.
            let _ = serde_json::to_writer(&mut self.extra, key);
            self.extra.push(b':');
            self.extra.extend_from_slice(raw.as_bytes());
            return;
        };
        let text = &mut self.texts[i];
        text.clear();
        self.cells[i] = match raw.as_bytes()[0] {
            b'"' if !raw.contains('\\') => {
                text.extend_from_slice(&raw.as_bytes()[1..raw.len() - 1]);
                Cell::Text
            }
            b'"' => {
                text.extend_from_slice(serde_json::from_str::<String>(raw).unwrap_or_default().as_bytes());
                Cell::Text
            }
            b'n' => Cell::Null,
            b't' => Cell::Int(1),
            b'f' => Cell::Int(0),
            b'-' | b'0'..=b'9' => match (raw.parse::<i64>(), raw.parse::<u64>(), raw.parse::<f64>()) {
                (Ok(n), _, _) => Cell::Int(n),
                // Beyond 64 bits: kept exactly, as text.
                (_, Ok(_), _) => {
                    text.extend_from_slice(raw.as_bytes());
                    Cell::Text
                }
                (_, _, Ok(f)) => Cell::Real(f),
                _ => Cell::Null,
            },
            // An array or an object: its JSON text.
            _ => {
                text.extend_from_slice(raw.as_bytes());
                Cell::Text
            }
        };
    }

    /// Binds the row's values to the parameters after the first `skip` of `stmt`.
    /// `null` says which of the row's parameters hold NULL already (a statement keeps its
    /// values from one execution to the next): most columns of most records are absent, and are
    /// not bound again.
    fn bind(&self, stmt: &mut Statement<'_>, skip: usize, null: &mut [bool], source: i64) -> rusqlite::Result<()> {
        stmt.raw_bind_parameter(skip + 1, source)?;
        stmt.raw_bind_parameter(skip + 2, self.seq as i64)?;
        for (i, cell) in self.cells.iter().enumerate() {
            let at = skip + i + 3;
            let was_null = std::mem::replace(&mut null[i], matches!(cell, Cell::Null));
            match *cell {
                Cell::Null if was_null => {}
                Cell::Null => stmt.raw_bind_parameter(at, rusqlite::types::Null)?,
                Cell::Int(n) => stmt.raw_bind_parameter(at, n)?,
                Cell::Real(f) => stmt.raw_bind_parameter(at, f)?,
                Cell::Text => stmt.raw_bind_parameter(at, text(&self.texts[i]).as_ref())?,
            }
        }
        let extra = (!self.extra.is_empty()).then(|| text(&self.extra));
        stmt.raw_bind_parameter(skip + PARAMS, extra.as_deref())
    }
}

/// A row's text: UTF-8 already (decoded as ticky-parse decodes, or taken from JSON), so checked,
/// not copied.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Reads a JSON object into a [`Row`], key by key.
struct RowVisitor<'r>(&'r mut Row);

impl<'de> Visitor<'de> for RowVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<JsonKey<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            self.0.set_json(&key.0, value.get());
        }
        Ok(())
    }
}

/// A key of a JSON object, borrowed from the line when it has no escape.
struct JsonKey<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for JsonKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<JsonKey<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = JsonKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<JsonKey<'de>, E> {
                Ok(JsonKey(s.into()))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<JsonKey<'de>, E> {
                Ok(JsonKey(s.to_string().into()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A value read as text, in the column's type: a number column holds numbers (a value that is not
/// one is kept as text, as SQLite itself would).
fn typed(ty: Type, text: &[u8]) -> Cell {
    let number = || std::str::from_utf8(text).ok();
    match ty {
        Type::Text => Cell::Text,
        Type::Integer => number().and_then(|s| s.parse().ok()).map_or(Cell::Text, Cell::Int),
        Type::Real => number().and_then(|s| s.parse().ok()).map_or(Cell::Text, Cell::Real),
    }
}

/// The parameters of one row: `source`, `seq`, the [`COLUMNS`] and `extra`.
const PARAMS: usize = COLUMNS.len() + 3;

/// `INSERT INTO records (source, seq, file, …, extra) VALUES (?, …), …` for `rows` rows.
fn insert_sql(rows: usize) -> String {
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let row = format!("({})", vec!["?"; PARAMS].join(", "));
    format!(
        "INSERT OR FAIL INTO records (source, seq, {}, extra) VALUES {}",
        quoted(&names).join(", "),
        vec![row; rows].join(", ")
    )
}

/// Column names quoted for SQL (`"user"`, `"repeat"`: some are keywords).
fn quoted(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("\"{n}\"")).collect()
}

/// The schema of a new database: `PRAGMA auto_vacuum` must come before the first table.
fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    let columns: Vec<String> = COLUMNS.iter().map(|(n, t)| format!("    \"{n}\" {}", t.sql())).collect();
    let indexes: Vec<String> = INDEXED
        .iter()
        .map(|c| format!("CREATE INDEX records_{c} ON records(\"{c}\") WHERE \"{c}\" IS NOT NULL;"))
        .collect();
    conn.execute_batch(&format!(
        "PRAGMA page_size = 4096; PRAGMA auto_vacuum = INCREMENTAL;
BEGIN;
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    device INTEGER,
    inode INTEGER,
    head INTEGER,
    size INTEGER NOT NULL,
    crc INTEGER NOT NULL,
    last_line INTEGER NOT NULL,
    pending INTEGER,
    stored INTEGER NOT NULL
);
CREATE INDEX sources_head ON sources(head);
CREATE INDEX sources_file ON sources(device, inode);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    source INTEGER NOT NULL REFERENCES sources(id),
    seq INTEGER NOT NULL,
{},
    extra TEXT
);
{}
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;",
        columns.join(",\n"),
        indexes.join("\n")
    ))
}

impl std::fmt::Display for Stored {
    /// `syslog: 1000 records stored (lines 1-1000)`, or what was there already.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let (first, last) = (self.before + 1, self.before + self.added);
        match (self.added, self.before) {
            (0, 0) => write!(f, "{}: empty, nothing stored", self.name),
            (0, 1) => write!(f, "{}: nothing new; its line was stored before", self.name),
            (0, b) => write!(f, "{}: nothing new; its {b} lines were stored before", self.name),
            (n, 0) => write!(f, "{}: {n} record{} stored (lines {first}-{last})", self.name, plural(n)),
            (n, b) => write!(
                f,
                "{}: {n} new record{} stored (lines {first}-{last}); {} before were stored already",
                self.name,
                plural(n),
                if b == 1 { "the line".to_string() } else { format!("the {b} lines") }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record;

    #[test]
    fn the_record_keys_come_first_in_their_order() {
        let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(&names[..record::KEYS.len()], &record::KEYS[..]);
    }

    #[test]
    fn a_number_column_keeps_text_that_is_no_number() {
        assert!(matches!(typed(Type::Integer, b"42"), Cell::Int(42)));
        assert!(matches!(typed(Type::Integer, b"99999999999999999999"), Cell::Text));
        assert!(matches!(typed(Type::Real, b"0.25"), Cell::Real(f) if f == 0.25));
    }
}
