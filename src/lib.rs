//! ticky: small Unix filters that turn syslog into reports.
//!
//! The binaries in `src/bin/` are thin: they parse arguments with [`cli`], build the options of one
//! module here and call its `run` function over readers and a writer.

pub mod access;
pub mod alert;
pub mod auth;
pub mod chart;
pub mod cli;
pub mod count;
pub mod counter;
pub mod csvio;
pub mod dashboard;
pub mod error;
pub mod filter;
pub mod follow;
pub mod format;
pub mod gen;
pub mod html;
pub mod input;
pub mod journal;
pub mod json;
pub mod jsonlog;
pub mod merge;
pub mod moment;
pub mod output;
pub mod parse;
pub mod pattern;
pub mod progress;
pub mod publish;
pub mod record;
pub mod scan;
pub mod sort;
pub mod stats;
pub mod store;
pub mod syslog;
pub mod time;
pub mod tmpfile;

pub use error::{Error, Result};
