//! Temporary files, for what does not fit the memory a tool allows itself: `ticky-sort`'s sorted
//! runs, `ticky-html`'s rows between its two passes.

use std::fs::{File, OpenOptions};
use std::io;

use crate::error::{Error, Result};

/// A new file in `$TMPDIR` (or /tmp), removed from the directory at once: it lives as long as it is
/// open, and nothing is left behind however the run ends.
pub fn create(tool: &str) -> Result<File> {
    let dir = std::env::temp_dir();
    let mut n = 0;
    loop {
        let path = dir.join(format!(".{tool}-{}-{n}", std::process::id()));
        match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
            Ok(file) => {
                std::fs::remove_file(&path).map_err(error)?;
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(error(e)),
        }
    }
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
