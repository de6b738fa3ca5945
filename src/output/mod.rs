//! Pure formatters: from a fetched snapshot of the kernel's tables to the exact text the
//! classic ipvsadm prints (listings, save format, connections, timeouts, daemons).
//! Nothing here talks to the kernel; name lookups go through [`crate::names::Names`].

use crate::ipvs::{Dest, Info, Service};

mod conn;
mod list;
mod misc;
mod save;
mod sort;
mod text;

#[cfg(test)]
mod tests;

pub use conn::{ConnError, write_connections};
pub use list::{write_list, write_service};
pub use misc::{write_daemons, write_timeouts};
pub use save::write_save;
pub use sort::sort_snapshot;

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
}

/// The service table as fetched from the kernel: each service with its real servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Version and connection table size.
    pub info: Info,
    /// Services in kernel order, each with its destinations in kernel order.
    pub services: Vec<(Service, Vec<Dest>)>,
}
