//! Temporary files, for what does not fit the memory a tool allows itself: `ticky-sort`'s sorted
//! runs, `ticky-html`'s rows between its two passes.

use std::fs::File;
use std::io;

use crate::error::{Error, Result};

/// A new file in `$TMPDIR` (or /tmp) that never has a name others could open or guess: on Linux
/// `O_TMPFILE`, elsewhere a random name, created 0600 and removed at once (the `tempfile` crate).
/// It lives as long as it is open, and nothing is left behind however the run ends.
pub fn create() -> Result<File> {
    tempfile::tempfile_in(std::env::temp_dir()).map_err(error)
}

/// An error creating or writing a temporary file: where it was, and what to do.
pub fn error(e: io::Error) -> Error {
    let dir = std::env::temp_dir();
    Error::io(format!("writing a temporary file in {} (set TMPDIR to a directory with room)", dir.display()), e)
}

/// An error reading a temporary file back.
pub fn read_error(e: io::Error) -> Error {
    Error::io("reading back a temporary file", e)
}
