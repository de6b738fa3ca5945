//! Pure formatters: from a fetched snapshot of the kernel's tables to the exact text the
//! classic ipvsadm prints (listings, save format, connections, timeouts, daemons).
//! Nothing here talks to the kernel; name lookups go through [`crate::names::Names`].
//!
//! Output is appended to a `Vec<u8>` (the bytes the reference would write to stdout).
//! Decisions where the reference leaves room or its behaviour is undefined:
//! - Order (D2): [`sort_snapshot`] sorts in place; [`write_list`], [`write_service`] and
//!   [`write_save`] take the snapshot by reference and sort index vectors instead;
//!   [`service_key`] orders a table that is read a service at a time, which
//!   [`ListStream`] and [`SaveStream`] write as [`write_list`] and [`write_save`] would.
//! - Real-server counters: conns, packets and all five rates show their low 32 bits (the
//!   reference reads them with a 32-bit accessor); byte counters are whole. Service
//!   counters are whole.
//! - `--persistent-conn` prints the weight unsigned, as the reference does (only there);
//!   the kernel never holds a negative weight, so this is never visible.
//! - Tunnel flags the reference cannot create (3 and up, it would index past its table):
//!   remote checksum wins over checksum over none, in listings and in save.
//! - Save (D5): `-x`/`-y` when non-zero; a scheduler flag with no name for the scheduler is
//!   saved as `flag-N` (e.g. `sh` with 0x10|0x20 saves `-b sh-port,flag-3`).
//! - Connections: see [`write_connections`] (pieces cut like `fgets` with a 256-byte
//!   buffer; malformed or blank pieces skipped).

use linux_ipvs::{Dest, Info, Service};

mod compact;
mod conn;
pub mod json;
mod list;
pub mod metrics;
mod misc;
mod plan;
mod save;
mod sort;
mod text;

#[cfg(test)]
mod tests;

pub use conn::{ConnError, write_connections};
pub use list::{ListStream, write_list, write_service};
pub use misc::{write_daemons, write_timeouts};
pub use plan::{write_change, write_plan};
pub use save::{SaveStream, write_save};
pub use sort::{service_key, sort_snapshot};

/// Which columns a service listing shows (`--stats`, `--rate`, ...). When several are given
/// the first in this order wins: stats, rate, thresholds, persistent-conn, tun-info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListMode {
    /// Scheduler, flags, forwarding method, weight, connection counts.
    #[default]
    Default,
    /// `--stats`: counters.
    Stats,
    /// `--rate`: rates.
    Rate,
    /// `--thresholds`: connection thresholds.
    Thresholds,
    /// `--persistent-conn`: persistent connection counts.
    PersistentConn,
    /// `--tun-info`: tunnel type, port and flags.
    TunInfo,
}

/// Whether, and how, a listing or save is written as JSON (`--json`, `--pretty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Json {
    /// The classic text.
    #[default]
    Off,
    /// JSON on one line.
    Compact,
    /// JSON indented, for people.
    Pretty,
}

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListFormat {
    /// `-n`: addresses and ports as numbers.
    pub numeric: bool,
    /// `--exact`/`-X`: counters unscaled.
    pub exact: bool,
    /// `--nosort`: keep the kernel's order.
    pub nosort: bool,
    /// `--persistent-conn` was given (with `-c`: adds the pe columns).
    pub persistent_conn: bool,
    /// Columns of service listings.
    pub mode: ListMode,
    /// JSON instead of text (every field, whatever the mode).
    pub json: Json,
}

/// The service table as fetched from the kernel: each service with its real servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Version and connection table size.
    pub info: Info,
    /// Services in kernel order, each with its destinations in kernel order.
    pub services: Vec<(Service, Vec<Dest>)>,
}
