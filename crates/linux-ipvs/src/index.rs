//! The service index: every virtual service of one dump in a compact record (its key and
//! settings, without real servers), so that a whole table can be ordered and then read one
//! service at a time ([`Client::walk`](crate::Client::walk)) in memory that does not grow
//! with the number of real servers: about 44 bytes per service, against some 230 for a
//! [`Service`] with its counters and its own scheduler string. An index read with counters
//! keeps each service's counters from the same dump too (88 bytes more per service), so
//! that a walk need not ask the kernel for each service again. An index read without
//! counters holds the IPv4 services' real servers too, 32 bytes each, read through the
//! kernel's socket options (see [`Client::set_one_call`](crate::Client::set_one_call), which
//! turns that off and keeps the index free of real servers).
//!
//! Whether a read of the table was torn by concurrent changes is decided in one place, the
//! client's consistency check
//! ([`Client::consistent_service_index`](crate::Client::consistent_service_index));
//! [`ServiceIndex::has_duplicates`] and [`ServiceIndex::same_keys`] ask the same two
//! questions of an index a caller holds.

use crate::model::{Dest, Name, Netmask, Service, ServiceFlags, ServiceKey, Stats, UnknownAttr};
use crate::sockopt::store::Servers;
use crate::table::has_repeats;

/// Marks a record without a persistence engine name.
const NO_NAME: u16 = u16::MAX;

/// One service of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    key: ServiceKey,
    flags: ServiceFlags,
    timeout: u32,
    netmask: Netmask,
    /// Position in the kernel's dump.
    pos: u32,
    /// Scheduler and persistence-engine names, as indices into `names`.
    scheduler: u16,
    pe: u16,
}

/// Every virtual service of one read of the kernel's table, in the kernel's order until
/// sorted: keys and settings (and, for an index read with counters, the counters the dump
/// gave), without real servers. [`Client::walk`](crate::Client::walk) reads each one's real
/// servers (and, if asked, their counters).
///
/// ```no_run
/// use linux_ipvs::Client;
///
/// let mut ipvs = Client::open()?;
/// let mut index = ipvs.service_index()?;
/// index.sort_by_key(|key| (key.fwmark(), key.port()));
/// for key in index.keys() {
///     println!("{key:?}");
/// }
/// # Ok::<(), linux_ipvs::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceIndex {
    records: Vec<Record>,
    /// The distinct scheduler and engine names (a table has a handful).
    names: Vec<Name>,
    /// Attributes this version does not know, by position in the dump (rare: kept apart).
    unknown: Vec<(u32, Vec<UnknownAttr>)>,
    /// Whether each service's counters are kept (in `stats`, by position in the dump).
    counters: bool,
    stats: Vec<Option<Stats>>,
    /// How many reads of the table it took.
    reads: usize,
    /// For an index read until it was consistent, how many reads that allowed: a walk
    /// checks each real-server list the same way. 0 for a plain read.
    checked: usize,
    /// For an index read until it was consistent, how many reads were thrown away because
    /// the table changed meanwhile.
    changed: usize,
    /// The real servers, for an index read with them through the socket options.
    servers: Option<Servers>,
}

impl ServiceIndex {
    /// An empty index.
    pub(crate) fn new() -> ServiceIndex {
        ServiceIndex::default()
    }

    /// An empty index that keeps the services' counters.
    pub(crate) fn with_counters() -> ServiceIndex {
        ServiceIndex {
            counters: true,
            ..ServiceIndex::default()
        }
    }

    /// Adds a service as the next one of the dump.
    pub(crate) fn push(&mut self, svc: Service) {
        let pos = self.records.len() as u32;
        let scheduler = self.name(svc.scheduler);
        let pe = svc.pe_name.map_or(NO_NAME, |p| self.name(p));
        if !svc.unknown.is_empty() {
            self.unknown.push((pos, svc.unknown));
        }
        if self.counters {
            self.stats.push(svc.stats);
        }
        self.records.push(Record {
            key: svc.key,
            flags: svc.flags,
            timeout: svc.timeout,
            netmask: svc.netmask,
            pos,
            scheduler,
            pe,
        });
    }

    fn name(&mut self, name: Name) -> u16 {
        match self.names.iter().position(|n| *n == name) {
            Some(i) => i as u16,
            None => {
                self.names.push(name);
                (self.names.len() - 1) as u16
            }
        }
    }

    pub(crate) fn set_reads(&mut self, reads: usize) {
        self.reads = reads;
    }

    /// Marks the index as read consistently, allowing `max_reads` reads.
    pub(crate) fn set_checked(&mut self, max_reads: usize) {
        self.checked = max_reads;
    }

    pub(crate) fn set_changed(&mut self, changed: usize) {
        self.changed = changed;
    }

    /// Keeps the real servers read with the services, by dump position.
    pub(crate) fn set_servers(&mut self, servers: Servers) {
        self.servers = Some(servers);
    }

    /// Fills `out` with the real servers of the `i`-th service (index order) as they were
    /// read with the index, if they were; `false` when the kernel must be asked.
    pub(crate) fn stored_servers(&self, i: usize, out: &mut Vec<Dest>) -> bool {
        match &self.servers {
            Some(servers) => servers.fill(self.records[i].pos, out),
            None => false,
        }
    }

    /// Whether the real servers were read with the index (IPv4 services' through the
    /// kernel's socket options, see [`Client::set_one_call`](crate::Client::set_one_call)):
    /// a walk without counters then asks the kernel only for IPv6 services' real servers.
    pub fn has_servers(&self) -> bool {
        self.servers.is_some()
    }

    /// How many reads a walk allows for each real-server list (0: no checks).
    pub(crate) fn checked(&self) -> usize {
        self.checked
    }

    /// Whether it keeps each service's counters (it was read with counters).
    pub fn has_counters(&self) -> bool {
        self.counters
    }

    /// How many services it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no service.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many reads of the kernel's table it took: 1 for a plain read; for a consistent
    /// one, 1 when the table came in one piece, else the reads until two agreed.
    pub fn reads(&self) -> usize {
        self.reads
    }

    /// How many reads were thrown away because the table changed while it was read: 0 for
    /// a table that held still (and for a plain read, which is not checked).
    pub fn changed_reads(&self) -> usize {
        self.changed
    }

    /// The services' keys, in the index's order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &ServiceKey> + '_ {
        self.records.iter().map(|r| &r.key)
    }

    /// The `i`-th service (index order) with its settings; its counters are those of the
    /// dump for an index read with counters, else `None` (a
    /// [`Client::walk`](crate::Client::walk) with counters then reads them).
    pub fn service(&self, i: usize) -> Option<Service> {
        let mut svc = Service::with_scheduler(self.records.get(i)?.key, Name::default());
        self.fill(i, &mut svc);
        Some(svc)
    }

    /// Overwrites `svc` with the `i`-th service, reusing its room.
    pub(crate) fn fill(&self, i: usize, svc: &mut Service) {
        let r = &self.records[i];
        svc.key = r.key;
        svc.scheduler = self.names[usize::from(r.scheduler)];
        svc.pe_name = match r.pe {
            NO_NAME => None,
            n => Some(self.names[usize::from(n)]),
        };
        svc.flags = r.flags;
        svc.timeout = r.timeout;
        svc.netmask = r.netmask;
        svc.stats = if self.counters {
            self.stats[r.pos as usize]
        } else {
            None
        };
        svc.unknown.clear();
        if let Ok(u) = self.unknown.binary_search_by_key(&r.pos, |(p, _)| *p) {
            svc.unknown.extend(self.unknown[u].1.iter().cloned());
        }
    }

    /// Orders the services by `key` of their keys; services with equal keys keep the
    /// kernel's order. `key` is called once a service (the keys are held while sorting).
    pub fn sort_by_key<K: Ord>(&mut self, mut key: impl FnMut(&ServiceKey) -> K) {
        self.records.sort_by_cached_key(|r| (key(&r.key), r.pos));
    }

    /// Keeps only the services whose keys `keep` accepts, in the order they had (a walk
    /// then reads only those): for a caller that owns some of a shared table's services.
    ///
    /// ```no_run
    /// let mut ipvs = linux_ipvs::Client::open()?;
    /// let mut index = ipvs.service_index()?;
    /// index.retain(|key| key.fwmark().is_some());
    /// println!("{} firewall-mark services", index.len());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&ServiceKey) -> bool) {
        self.records.retain(|r| keep(&r.key));
    }

    /// Whether a service appears more than once: the sign of a dump that a change
    /// disturbed (an entry added before the dump's position pushes one it already sent
    /// into the next datagram).
    pub fn has_duplicates(&self) -> bool {
        has_repeats(self.keys())
    }

    /// Whether `keys` are this index's keys in this index's order.
    pub fn same_keys<'a>(&self, keys: impl IntoIterator<Item = &'a ServiceKey>) -> bool {
        let mut keys = keys.into_iter();
        self.records.iter().all(|r| keys.next() == Some(&r.key)) && keys.next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::tcp;
    use crate::model::{Family, Stats};

    #[test]
    fn a_service_comes_back_with_its_settings_but_without_counters() {
        let mut index = ServiceIndex::new();
        let mut a = tcp(80);
        a.scheduler = Name::truncated(b"rr");
        a.flags = crate::model::ServiceFlags::PERSISTENT;
        a.timeout = 300;
        a.netmask = crate::model::Netmask::from_raw(24);
        a.pe_name = Some(Name::truncated(b"sip"));
        a.unknown = vec![UnknownAttr {
            kind: 99,
            payload: vec![1, 2],
        }];
        let mut b = Service::new(ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 7,
        });
        b.stats = Some(Stats::default());
        index.push(a.clone());
        index.push(b.clone());
        index.push(tcp(81));
        assert_eq!(index.len(), 3);
        assert_eq!(index.service(0), Some(a.clone()));
        b.stats = None;
        assert_eq!(index.service(1), Some(b.clone()));
        // Filling a reused service leaves nothing of the previous one behind.
        let mut scratch = a.clone();
        index.fill(1, &mut scratch);
        assert_eq!(scratch, b);
        index.fill(0, &mut scratch);
        assert_eq!(scratch, a);
        assert_eq!(index.names, ["rr", "sip", "wlc"], "names are kept once");
        assert_eq!(index.service(3), None);
    }

    #[test]
    fn an_index_with_counters_keeps_each_services_counters_through_a_sort() {
        let mut index = ServiceIndex::with_counters();
        let mut a = tcp(81);
        a.stats = Some(Stats::new(1, 2, 3, 4, 5).with_rates(6, 7, 8, 9, 10));
        let b = tcp(80);
        index.push(a.clone());
        index.push(b.clone());
        index.sort_by_key(|k| k.port());
        assert!(index.has_counters());
        assert_eq!(index.service(0), Some(b), "none from the kernel: none");
        assert_eq!(index.service(1), Some(a.clone()));
        let mut plain = ServiceIndex::new();
        plain.push(a.clone());
        assert!(!plain.has_counters());
        assert_eq!(plain.service(0).unwrap().stats, None);
    }

    #[test]
    fn retain_keeps_the_chosen_services_with_their_own_settings_and_counters() {
        let mut index = ServiceIndex::with_counters();
        let mut a = tcp(80);
        a.scheduler = Name::truncated(b"rr");
        a.unknown = vec![UnknownAttr {
            kind: 99,
            payload: vec![3],
        }];
        let mut c = tcp(82);
        c.stats = Some(Stats::new(7, 0, 0, 0, 0));
        index.push(a.clone());
        index.push(tcp(81));
        index.push(c.clone());
        index.retain(|k| k.port() != 81);
        assert_eq!(index.len(), 2);
        assert_eq!(index.service(0), Some(a));
        assert_eq!(index.service(1), Some(c));
        index.retain(|_| false);
        assert!(index.is_empty());
    }

    #[test]
    fn a_record_takes_the_room_the_module_says() {
        assert_eq!(std::mem::size_of::<Record>(), 44);
    }

    #[test]
    fn sorting_keeps_the_kernel_order_of_equal_keys() {
        let mut index = ServiceIndex::new();
        for (port, sched) in [(82, "a"), (80, "b"), (82, "c"), (81, "d")] {
            let mut s = tcp(port);
            s.scheduler = Name::truncated(sched.as_bytes());
            index.push(s);
        }
        index.sort_by_key(|k| k.port());
        let got: Vec<(u16, Name)> = (0..index.len())
            .map(|i| index.service(i).unwrap())
            .map(|s| (s.key.port(), s.scheduler))
            .collect();
        assert_eq!(
            got,
            [
                (80, Name::truncated(b"b")),
                (81, Name::truncated(b"d")),
                (82, Name::truncated(b"a")),
                (82, Name::truncated(b"c"))
            ]
        );
        assert!(index.has_duplicates(), "port 82 twice");
    }

    #[test]
    fn duplicates_and_differing_reads_are_found() {
        let mut index = ServiceIndex::new();
        for port in [5, 3, 9] {
            index.push(tcp(port));
        }
        assert!(!index.has_duplicates());
        let keys: Vec<ServiceKey> = index.keys().copied().collect();
        assert!(index.same_keys(&keys));
        assert!(!index.same_keys(&keys[..2]), "a service missing");
        let mut longer = keys.clone();
        longer.push(tcp(1).key);
        assert!(!index.same_keys(&longer), "a service more");
        let mut swapped = keys.clone();
        swapped.swap(0, 1);
        assert!(!index.same_keys(&swapped), "another order");
        index.push(tcp(3));
        assert!(index.has_duplicates());
        assert!(!ServiceIndex::new().has_duplicates());
        assert!(ServiceIndex::new().same_keys(&[]));
    }
}
