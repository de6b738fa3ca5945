//! Reading what the metrics show (`ipvsadm --metrics`, `ipvsadm-exporter`): the service
//! table, the sync daemons and the namespace's totals, in the calling thread's network
//! namespace or, from a short-lived thread that joins it, in another one.
//!
//! Generic netlink has no global counters: the kernel keeps its totals per namespace in
//! `/proc/net/ip_vs_stats` (hexadecimal). They are read through `/proc/thread-self/net`,
//! which is the namespace of the reading thread (`/proc/net` is the process's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use linux_ipvs::{Client, Dest, Info, Service, Stats};

use super::errors::{self, Context};
use super::{Flow, Session, Streams, write_out};
use crate::exporter::own;
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

/// Reads the service table with its real servers and their counters. The one place the
/// metrics read the table: from a read that no concurrent change tore (the services and
/// each real-server list read again until two reads agree, at most
/// [`SAVE_READS`](super::SAVE_READS) times, as `ipvsadm -S` does).
pub fn read_services(client: &mut Client) -> Result<Vec<(Service, Vec<Dest>)>, linux_ipvs::Error> {
    Ok(client.consistent_snapshot(super::SAVE_READS, true)?.entries)
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
    Some(
        Stats::new(
            counters[0],
            counters[1],
            counters[2],
            counters[3],
            counters[4],
        )
        .with_rates(rates[0], rates[1], rates[2], rates[3], rates[4]),
    )
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

/// The namespaces an exporter watches, and what it last said about each: a scrape reads
/// them one after the other into one exposition, and says (in log lines) when a namespace
/// starts or stops failing, or is no longer listed.
#[derive(Debug)]
pub struct Watch {
    /// Namespaces given by name or path (their label is the name as given).
    named: Vec<PathBuf>,
    /// A directory whose every entry is a namespace to watch (`/run/netns`), listed at
    /// each scrape.
    all_under: Option<PathBuf>,
    /// The outcome of each namespace's last read: the error, or `None` when it was read.
    last: BTreeMap<String, Option<String>>,
    /// The failed reads of each namespace since the start.
    errors: BTreeMap<String, u64>,
    /// The families shown (`up` always).
    series: metrics::Series,
}

/// Where `ip netns` keeps its namespaces.
pub const NETNS_DIR: &str = "/run/netns";

impl Watch {
    /// Watches the namespaces named, and every entry of `all_under` when given; with
    /// neither, the process's own namespace (its series without a `netns` label).
    pub fn new(named: Vec<PathBuf>, all_under: Option<PathBuf>) -> Watch {
        Watch {
            named,
            all_under,
            last: BTreeMap::new(),
            errors: BTreeMap::new(),
            series: metrics::Series::default_with(true),
        }
    }

    /// Shows the kernel's per-second estimates too (`rates`), or no family per real server
    /// (`!servers`).
    pub fn with_series(mut self, rates: bool, servers: bool) -> Watch {
        self.series.rates = rates;
        self.series.servers = servers;
        self
    }

    /// The namespaces of this scrape, each with its label (`None`: the own namespace, no
    /// label), in order, each once.
    fn targets(&self) -> Vec<(Option<String>, Option<PathBuf>)> {
        if self.named.is_empty() && self.all_under.is_none() {
            return vec![(None, None)];
        }
        let mut out: Vec<(Option<String>, Option<PathBuf>)> = Vec::new();
        let mut add = |label: String, path: PathBuf| {
            if !out
                .iter()
                .any(|(l, _)| l.as_deref() == Some(label.as_str()))
            {
                out.push((Some(label), Some(path)));
            }
        };
        for n in &self.named {
            add(n.to_string_lossy().into_owned(), n.clone());
        }
        if let Some(dir) = &self.all_under {
            let mut names: Vec<_> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            names.sort();
            for n in names {
                add(n.to_string_lossy().into_owned(), dir.join(n));
            }
        }
        out
    }

    /// Reads every watched namespace, one after the other, into one reading (which
    /// encodes the exposition as it is sent), and returns it with the log lines of this
    /// scrape. A namespace that cannot be read has `up` 0; nothing fails. The exporter's
    /// own metrics ([`own`]) follow the IPVS families.
    ///
    /// The scrape stops when nobody wants it any more: `wanted` is asked before each
    /// namespace is read, and when it says no there is no reading. A scrape stopped early
    /// says nothing of the namespaces it did not reach.
    pub fn scrape(
        &mut self,
        format: Format,
        wanted: &dyn Fn() -> bool,
    ) -> (Option<metrics::Reading>, Vec<String>) {
        let targets = self.targets();
        let mut all = metrics::Reading::new(format, self.series);
        let mut log = Vec::new();
        let mut seen = Vec::new();
        let mut reads = Vec::new();
        for (label, path) in targets {
            if !wanted() {
                return (None, log);
            }
            let started = Instant::now();
            let reading = match &path {
                None => read_here(),
                Some(p) => read_in(p),
            };
            let seconds = started.elapsed().as_secs_f64();
            let name = label.clone().unwrap_or_else(|| "(own namespace)".into());
            let errors = self.errors.entry(name.clone()).or_default();
            *errors += u64::from(reading.is_err());
            reads.push(own::Reads {
                netns: label.clone(),
                seconds,
                errors: *errors,
            });
            let outcome = reading.as_ref().err().map(ToString::to_string);
            let before = self.last.insert(name.clone(), outcome.clone());
            match (&before, &outcome) {
                (Some(Some(_)), None) => log.push(format!("netns {name}: read again")),
                (b, Some(err)) if b.as_ref().and_then(Option::as_ref) != Some(err) => {
                    log.push(format!("netns {name}: {err}"));
                }
                _ => {}
            }
            seen.push(name);
            all.add(label.as_deref(), reading.ok());
        }
        let gone: Vec<String> = self
            .last
            .keys()
            .filter(|k| !seen.contains(k))
            .cloned()
            .collect();
        for name in gone {
            self.last.remove(&name);
            self.errors.remove(&name);
            log.push(format!(
                "netns {name}: gone (no longer listed), no longer watched"
            ));
        }
        all.set_extra(own::encode(format, &reads));
        (Some(all), log)
    }
}

impl Session {
    /// `--metrics`: the whole table as metrics, in the namespace the process is in (the
    /// kernel's per-second estimates with `--rate`).
    pub(super) fn metrics(&mut self, format: Format, rates: bool, io: &mut Streams<'_>) -> Flow {
        if let Err(s) = self.client(io) {
            return Flow::Stop(s);
        }
        let info = self.info.expect("set when the client opened");
        let client = self.client.as_mut().expect("opened above");
        match read_table(client, info) {
            Ok(table) => {
                let series = metrics::Series {
                    rates,
                    ..metrics::Series::default_with(false)
                };
                metrics::stream(format, series, None, Some(table), "", &mut |text| {
                    io.out_bytes(text.as_bytes());
                    true
                })
                .expect("writing to a String does not fail");
                write_out(io, b"")
            }
            Err(ReadError::Ipvs(linux_ipvs::Error::Torn { reads })) => {
                io.error_line(errors::kept_changing(reads));
                Flow::Stop(status::READ_FAILED)
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

    /// Namespaces that cannot be read (no such file; a file that is no namespace) are `up`
    /// 0 with one log line each until their outcome changes; a namespace no longer listed
    /// is said to be gone once.
    #[test]
    fn a_watch_reports_failures_once_and_namespaces_that_went() {
        let dir = std::env::temp_dir().join(format!("ipvsadm-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in ["b", "a"] {
            std::fs::write(dir.join(n), "not a namespace").unwrap();
        }
        let mut w = Watch::new(
            vec![PathBuf::from("missing-ns"), PathBuf::from("a")],
            Some(dir.clone()),
        );
        let scrape = |w: &mut Watch, format| {
            let (reading, log) = w.scrape(format, &|| true);
            (reading.expect("wanted").pieces().concat(), log)
        };
        let (text, log) = scrape(&mut w, Format::Prometheus);
        for ns in ["missing-ns", "a", "b"] {
            assert!(
                text.contains(&format!("ipvs_up{{netns=\"{ns}\"}} 0\n")),
                "{text}"
            );
        }
        // "a" is named and listed: watched once.
        assert_eq!(text.matches("ipvs_up{").count(), 3, "{text}");
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log[0].starts_with("netns missing-ns: "), "{log:?}");
        let (_, log) = scrape(&mut w, Format::Prometheus);
        assert!(log.is_empty(), "{log:?}");
        std::fs::remove_file(dir.join("b")).unwrap();
        let (text, log) = scrape(&mut w, Format::OpenMetrics);
        assert_eq!(log, ["netns b: gone (no longer listed), no longer watched"]);
        assert!(!text.contains("netns=\"b\""));
        // One namespace left: streamed, with its `up`.
        std::fs::remove_file(dir.join("a")).unwrap();
        let mut w = Watch::new(Vec::new(), Some(dir.clone()));
        std::fs::write(dir.join("c"), "").unwrap();
        let (text, _) = scrape(&mut w, Format::OpenMetrics);
        assert!(
            text.contains("ipvs_up{netns=\"c\"} 0\n") && text.ends_with("# EOF\n"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
