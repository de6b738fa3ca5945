//! The `ipvsadm` command line: from argv to an [`Action`], or to the exact error text and
//! exit status of the reference tool.
//!
//! Parsing is pure: it touches neither the kernel nor the process (deviation D1 in the
//! README: help and usage errors work without IPVS). It runs in three stages, one module
//! each: [`tokenize`] splits the words with popt semantics, [`collect`] takes the options
//! left to right into low-level arguments, checking each value where it stands, and
//! [`build`] checks them against each other (the legality table of [`catalogue`], by
//! [`legality`]) and makes the typed action. [`restore`] reads restore lines, with a fast
//! path for the shapes the save format writes that feeds the same stages.
//!
//! A positional word before the command is a popt leftover (`ipvsadm foo -L` reports
//! `unexpected argument foo`). popt's `!#:+` argument expansion and the `POSIXLY_CORRECT`
//! environment switch are emulated ([`tokenize`]).

mod build;
pub mod catalogue;
mod collect;
pub mod complete;
mod help;
mod legality;
mod restore;
mod tokenize;
mod values;

#[cfg(test)]
pub(crate) mod rng;
#[cfg(test)]
mod tests;

use linux_ipvs::{Change, ServiceKey};

use crate::names::Names;
use crate::output::{Json, ListFormat};
use crate::status;

pub use help::{VERSION_LINE, help_text};
pub use restore::{RestoreLines, restore_words};

use collect::Collection;
use tokenize::Event;

/// What the command line asks for.
// Most actions are changes, made once per line and consumed at once: boxing the change
// would cost an allocation per restore line for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this help text on stdout (bytes: it names the program as invoked).
    Help(Vec<u8>),
    /// Print this version line (with its newline) on stdout.
    Version(String),
    /// A change to the kernel's tables: `-A -E -D -C -a -e -d -Z --set --start-daemon
    /// --stop-daemon` (`-Z` without a service, or with the all-zero one, zeroes every
    /// service; `--stop-daemon` carries only the state).
    Change(Change),
    /// `-R`.
    Restore,
    /// `-S`.
    Save {
        /// `-n`.
        numeric: bool,
        /// `--json`, `--pretty`.
        json: Json,
    },
    /// `-L` / `-l` (and no arguments at all).
    List(ListRequest),
    /// `--metrics`: the table as metrics for Prometheus.
    Metrics {
        /// `--openmetrics`: the OpenMetrics text format instead of Prometheus text 0.0.4.
        openmetrics: bool,
        /// `--rate`: the kernel's per-second estimates too.
        rates: bool,
    },
}

/// A parsed command line: what to do, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// What to do.
    pub action: Action,
    /// `--netns`: the network namespace to do it in (a name of `ip netns`, or a path).
    pub netns: Option<Vec<u8>>,
}

/// A listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// What to list.
    pub what: ListWhat,
    /// How to print it.
    pub format: ListFormat,
}

/// What a listing shows, chosen in this order: connections, one service, timeouts, daemons,
/// everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListWhat {
    /// The whole service table.
    All,
    /// One service.
    Service(ServiceKey),
    /// The connection table (`-c`).
    Connections,
    /// The protocol timeouts (`--timeout`).
    Timeouts,
    /// The sync daemons (`--daemon`).
    Daemons,
}

/// A command-line error: the exact stderr text and how the caller must react.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The class of error (decides the exit status and what restore does).
    pub kind: ErrorKind,
    /// The exact bytes for stderr, trailing newline(s) included (the words of the command
    /// line are echoed as they were given, UTF-8 or not).
    pub message: Vec<u8>,
}

/// Classes of command-line errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The "Try ..." line (the first option is not a command): exit 255, restore aborts.
    Usage,
    /// A popt error after the command: exit 255, restore skips the line and continues.
    Popt,
    /// A validation error: exit 2, restore aborts.
    Invalid,
}

impl CliError {
    /// The process exit status for this error.
    pub fn status(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage | ErrorKind::Popt => status::FAILED,
            ErrorKind::Invalid => status::INVALID,
        }
    }

    /// The "Try ..." error for a program name (also what restore reports for a nested `-R`).
    pub fn usage(prog: &[u8]) -> CliError {
        let mut message = try_line(prog);
        message.push(b'\n');
        CliError {
            kind: ErrorKind::Usage,
            message,
        }
    }

    /// A validation error: its text, then a newline.
    pub(crate) fn invalid(msg: impl AsRef<[u8]>) -> CliError {
        CliError::invalid_of(&[msg.as_ref()])
    }

    /// A validation error whose text is made of pieces (words of the command line among
    /// them), then a newline.
    pub(crate) fn invalid_of(pieces: &[&[u8]]) -> CliError {
        let mut message = pieces.concat();
        message.push(b'\n');
        CliError {
            kind: ErrorKind::Invalid,
            message,
        }
    }
}

impl std::fmt::Display for CliError {
    /// The stderr text, trailing newline(s) included (bytes that are not UTF-8 replaced).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message))
    }
}

/// The usage hint the reference prints when the first option is not a command (no newline).
pub fn try_line(prog: &[u8]) -> Vec<u8> {
    [
        &b"Try `"[..],
        prog,
        b" -h' or '",
        prog,
        b" --help' for more information.",
    ]
    .concat()
}

impl std::error::Error for CliError {}

/// Parses a command line; `argv[0]` is the program name as invoked. The words are bytes, as
/// the process got them (`&str`, `Vec<u8>` and, through `OsStrExt::as_bytes`, OS strings
/// all fit).
pub fn parse<S: AsRef<[u8]>>(argv: &[S], names: &dyn Names) -> Result<Parsed, CliError> {
    let words: Vec<&[u8]> = argv.iter().map(AsRef::as_ref).collect();
    parse_words(&words, names)
}

/// [`parse`] for words that are already byte slices (restore lines), without a copy.
pub fn parse_words(argv: &[&[u8]], names: &dyn Names) -> Result<Parsed, CliError> {
    parse_words_into(argv, names, &mut Vec::with_capacity(argv.len()))
}

/// [`parse_words`] with the tokenizer's events stored in `events` (emptied first), which
/// is left there for the next line: restore parses many.
fn parse_words_into<'a>(
    argv: &[&'a [u8]],
    names: &dyn Names,
    events: &mut Vec<Event<'a>>,
) -> Result<Parsed, CliError> {
    if argv.len() <= 1 {
        let action = Action::List(ListRequest {
            what: ListWhat::All,
            format: ListFormat::default(),
        });
        return Ok(Parsed {
            action,
            netns: None,
        });
    }
    let tokens = tokenize::tokenize_into(&argv[1..], std::mem::take(events));
    let result = match collect::collect(argv[0], &tokens, names) {
        Ok(Collection::Answer(action)) => Ok(Parsed {
            action,
            netns: None,
        }),
        Ok(Collection::Command(c)) => build::build(&c).map(|action| Parsed {
            action,
            netns: c.netns.map(<[u8]>::to_vec),
        }),
        Err(e) => Err(e),
    };
    *events = tokens.events;
    result
}

/// Every option spelling the parser accepts (`-A`, `--add-service`, ...), in catalogue
/// order: what completions and the manual must offer.
pub fn option_spellings() -> Vec<String> {
    catalogue::spellings()
}
