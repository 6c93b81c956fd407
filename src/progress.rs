//! Progress of a long run, on standard error when that is a terminal: bytes read, the rate and,
//! when the inputs' size is known, the share done and the time left. Nothing otherwise, so that
//! scripts and cron see exactly what they saw before.
//!
//! Every [`crate::input::LineReader`] adds what it reads to one counter; a thread of its own reads
//! the counter twice a second and rewrites one line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes read by every line reader of the process.
static READ: AtomicU64 = AtomicU64::new(0);

/// Counts `n` bytes read.
pub fn add(n: usize) {
    READ.fetch_add(n as u64, Ordering::Relaxed);
}

/// Nothing is shown for a run shorter than this.
const QUIET_START: Duration = Duration::from_secs(1);

/// The line of progress while it is shown; cleared when dropped.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Shows progress for `name` reading `paths`, when standard error is a terminal (and, with
    /// `not_over_output`, standard output is not the same screen: records would be torn by it).
    pub fn start(name: &'static str, paths: &[String], not_over_output: bool) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let shown = std::io::stderr().is_terminal() && !(not_over_output && std::io::stdout().is_terminal());
        let thread = shown.then(|| {
            let total = total_size(paths);
            let done = Arc::clone(&done);
            std::thread::spawn(move || show(name, total, &done))
        });
        Progress { done, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The inputs' size in bytes when every one is a regular, uncompressed file: what the readers will
/// read in all.
fn total_size(paths: &[String]) -> Option<u64> {
    let mut total = 0;
    for path in paths {
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file() && path != "-")?;
        let mut magic = [0u8; 2];
        let compressed = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok_and(|()| magic == crate::input::GZIP_MAGIC);
        if compressed {
            return None;
        }
        total += meta.len();
    }
    Some(total)
}

fn show(name: &str, total: Option<u64>, done: &AtomicBool) {
    let start = Instant::now();
    let from = READ.load(Ordering::Relaxed);
    let mut shown = false;
    let mut next = start + QUIET_START;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        let now = Instant::now();
        if now < next {
            continue;
        }
        next = now + Duration::from_millis(500);
        let read = READ.load(Ordering::Relaxed) - from;
        let line = describe(name, read, total, now.duration_since(start));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K").and_then(|()| err.flush());
        shown = true;
    }
    if shown {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K").and_then(|()| err.flush());
    }
}

/// `ticky-count: 1.2 GB of 5.0 GB (24%), 450 MB/s, 9 s left`.
pub fn describe(name: &str, read: u64, total: Option<u64>, elapsed: Duration) -> String {
    let rate = read as f64 / elapsed.as_secs_f64().max(0.001);
    let mut line = format!("{name}: {}", bytes(read));
    if let Some(total) = total.filter(|&t| t > 0) {
        let share = (read as f64 / total as f64 * 100.0).min(100.0);
        line.push_str(&format!(" of {} ({share:.0}%)", bytes(total)));
    }
    line.push_str(&format!(", {}/s", bytes(rate as u64)));
    if let Some(total) = total.filter(|&t| t > read && rate > 0.0) {
        let left = ((total - read) as f64 / rate).ceil() as u64;
        line.push_str(&format!(", {} left", duration(left)));
    }
    line
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} GB", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.0} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.0} kB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

fn duration(seconds: u64) -> String {
    match seconds {
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_bytes_share_rate_and_time_left() {
        let line = describe("ticky-count", 1_200_000_000, Some(5_000_000_000), Duration::from_secs(3));
        assert_eq!(line, "ticky-count: 1.2 GB of 5.0 GB (24%), 400 MB/s, 10 s left");
        let line = describe("ticky-parse", 2_500_000, None, Duration::from_secs(2));
        assert_eq!(line, "ticky-parse: 2 MB, 1 MB/s");
        assert_eq!(duration(3725), "1 h 2 min");
    }
}
