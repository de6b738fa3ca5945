//! Reading what the metrics show (`ipvsadm --metrics`, `ipvsadm-exporter`): the service
//! table, the sync daemons and the namespace's totals, in the calling thread's network
//! namespace or, from a short-lived thread that joins it, in another one.
//!
//! Generic netlink has no global counters: the kernel keeps its totals per namespace in
//! `/proc/net/ip_vs_stats` (hexadecimal). They are read through `/proc/thread-self/net`,
//! which is the namespace of the reading thread (`/proc/net` is the process's).

use std::path::Path;

use linux_ipvs::{Client, Dest, Info, Service, Stats};

use super::errors::{self, Context};
use super::{Flow, Session, Streams, write_out};
use crate::output::Snapshot;
use crate::output::metrics::{self, Format, Table};
use crate::status;

/// Where the namespace's totals are read (the reading thread's namespace).
pub const PROC_STATS: &str = "/proc/thread-self/net/ip_vs_stats";

/// Why a namespace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The kernel refused or IPVS is missing (or the namespace could not be joined).
    #[error("{0}")]
    Ipvs(#[from] linux_ipvs::Error),
    /// The totals file could not be read.
    #[error("cannot read {PROC_STATS}: {0}")]
    Totals(std::io::Error),
    /// The totals file did not hold the ten numbers it holds.
    #[error("unexpected input from {PROC_STATS}")]
    TotalsFormat,
}

/// Reads the service table with its real servers. The one place the metrics read the
/// table: it is where a read that is never torn by concurrent changes belongs.
pub fn read_services(client: &mut Client) -> Result<Vec<(Service, Vec<Dest>)>, linux_ipvs::Error> {
    client.snapshot()
}

/// Parses `/proc/net/ip_vs_stats`: two lines of five hexadecimal numbers, the counters
/// (connections, packets in, packets out, bytes in, bytes out) and then the rates.
pub fn parse_totals(text: &str) -> Option<Stats> {
    let mut rows = text.lines().filter_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let numbers: Vec<u64> = words
            .iter()
            .map(|w| u64::from_str_radix(w, 16))
            .collect::<Result<_, _>>()
            .ok()?;
        (numbers.len() == 5).then_some(numbers)
    });
    let counters = rows.next()?;
    let rates = rows.next()?;
    if rows.next().is_some() {
        return None;
    }
    Some(Stats {
        conns: counters[0],
        inpkts: counters[1],
        outpkts: counters[2],
        inbytes: counters[3],
        outbytes: counters[4],
        cps: rates[0],
        inpps: rates[1],
        outpps: rates[2],
        inbps: rates[3],
        outbps: rates[4],
    })
}

/// Reads the totals of the calling thread's namespace.
pub fn read_totals() -> Result<Stats, ReadError> {
    let text = std::fs::read_to_string(PROC_STATS).map_err(ReadError::Totals)?;
    parse_totals(&text).ok_or(ReadError::TotalsFormat)
}

/// Reads everything the metrics show with an open client (in the calling thread's
/// namespace, which must be the client's).
pub fn read_table(client: &mut Client, info: Info) -> Result<Table, ReadError> {
    let services = read_services(client)?;
    let daemons = client.daemons()?;
    let totals = read_totals()?;
    Ok(Table {
        snapshot: Snapshot { info, services },
        daemons,
        totals,
    })
}

/// Reads everything the metrics show in the calling thread's namespace, with a client of
/// its own (no module is loaded: a missing IPVS is an error).
pub fn read_here() -> Result<Table, ReadError> {
    let mut client = Client::open()?;
    let info = client.info()?;
    read_table(&mut client, info)
}

/// [`read_here`] in another namespace (a name of `ip netns`, or a path), from a
/// short-lived thread that joins it; the calling thread stays where it is.
pub fn read_in(netns: &Path) -> Result<Table, ReadError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                linux_ipvs::netns::join(netns)?;
                read_here()
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

impl Session {
    /// `--metrics`: the whole table as metrics, in the namespace the process is in.
    pub(super) fn metrics(&mut self, format: Format, io: &mut Streams<'_>) -> Flow {
        if let Err(s) = self.client(io) {
            return Flow::Stop(s);
        }
        let info = self.info.expect("set when the client opened");
        let client = self.client.as_mut().expect("opened above");
        match read_table(client, info) {
            Ok(table) => {
                let mut e = metrics::Exposition::new(format, false);
                e.add(None, Some(table))
                    .expect("writing to a String does not fail");
                for block in e.finish() {
                    io.out_bytes(block.as_bytes());
                }
                write_out(io, b"")
            }
            Err(ReadError::Ipvs(e)) => {
                io.error_line(errors::for_error(Context::List, &e));
                Flow::Stop(status::READ_FAILED)
            }
            Err(e) => {
                io.error_line(e.to_string());
                Flow::Stop(status::READ_FAILED)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_as_the_kernel_writes_them() {
        let text = "   Total Incoming Outgoing         Incoming         Outgoing\n\
                    \x20  Conns  Packets  Packets            Bytes            Bytes\n\
                    \x20     1F       2A        0         FFFFFFFFFFFFFFFF                0\n\
                    \n\
                    \x20Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n\
                    \x20      1        2        3                4               A0\n";
        let s = parse_totals(text).unwrap();
        assert_eq!((s.conns, s.inpkts, s.outpkts), (31, 42, 0));
        assert_eq!((s.inbytes, s.outbytes), (u64::MAX, 0));
        assert_eq!(
            (s.cps, s.inpps, s.outpps, s.inbps, s.outbps),
            (1, 2, 3, 4, 160)
        );
        assert_eq!(parse_totals(""), None);
        assert_eq!(parse_totals(&text[..text.len() / 2]), None);
        assert_eq!(parse_totals(&format!("{text}1 2 3 4 5\n")), None);
    }
}
