//! Reading the whole table in a state it really had, or not at all.
//!
//! The kernel's service dump goes out in parts and resumes each part by position, and IPVS
//! does not flag a dump that a change interrupted (`NLM_F_DUMP_INTR` is never set for it).
//! So a service added or deleted by another process while the table is being read shifts
//! the positions, and the read repeats a service or misses one. The positions count the
//! services of every network namespace (the kernel keeps them all in one table), so a
//! change in any namespace does it, even the background teardown of a deleted namespace's
//! services. The real servers of each service come from a dump of their own, which can
//! tear the same way. A program that acts on such a read (deletes what it did not see,
//! adds what it thinks is missing) does damage.
//!
//! So every whole-table read that others may act on goes through one check, made by
//! [`Client::consistent_service_index`]: a service dump that came in one datagram was made
//! in one pass under the IPVS lock and is whole; one that came in several is read again
//! until two reads in a row list the same services in the same order, none twice, a
//! bounded number of times ([`Error::Torn`] after that). [`Client::walk`] checks each
//! real-server list of such an index the same way. [`Client::consistent_snapshot`] is that
//! read with every service's real servers, held in memory (as a plan needs it); listings
//! walk the index instead. (Two reads torn the very same way would pass, as would a change
//! made and undone between them.) Changes made by others after a list was read are not
//! undone by any of this: acting on the read is then like acting on any read a moment old.

use std::hash::Hash;
use std::ops::ControlFlow;

use crate::client::{Client, Transport};
use crate::error::Error;
use crate::index::ServiceIndex;
use crate::model::{Dest, Service, ServiceKey};
use crate::table::has_repeats;

/// The one test of whether a list read from a dump (the services, or one service's real
/// servers) is whole, fed each read of the list in turn. A list that came in one datagram
/// is whole: the kernel made it in one pass, under the IPVS mutex. One that came in several
/// is whole when no entry is in it twice and its keys, in order, are those of the read
/// before it.
#[derive(Debug)]
struct Agreement<K> {
    /// The keys of the previous read, in its order (not the entries: less memory).
    previous: Option<Vec<K>>,
}

impl<K> Default for Agreement<K> {
    fn default() -> Self {
        Agreement { previous: None }
    }
}

impl<K: Hash + Eq> Agreement<K> {
    /// Whether this read, which came in `parts` datagrams and lists `keys` in this order,
    /// is whole; remembers its keys for the next read.
    fn whole(&mut self, parts: usize, keys: impl Iterator<Item = K>) -> bool {
        if parts <= 1 {
            return true;
        }
        let keys: Vec<K> = keys.collect();
        // Repeats are looked for only in a read that agrees with the one before (any other
        // is read again whatever it holds), and with a set of the keys: sorting them at
        // every read was 5% of a save of 10,000 services.
        let whole = self.previous.as_ref() == Some(&keys) && !has_repeats(keys.iter());
        self.previous = Some(keys);
        whole
    }
}

/// A table read that passed the checks of [`Client::consistent_snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistentSnapshot {
    /// Every service with its real servers, in the kernel's order (as
    /// [`Client::snapshot`] returns them).
    pub entries: Vec<(Service, Vec<Dest>)>,
    /// How many tries it took: 1 when the table held still, one more for each read
    /// thrown away because the table changed meanwhile.
    pub tries: usize,
}

impl<T: Transport> Client<T> {
    /// Every virtual service, as [`Client::service_index`] reads them, in a read that no
    /// concurrent change tore: one whose services came in one datagram (the kernel makes
    /// each under its IPVS lock), or else one with no service twice whose keys, in order,
    /// are those of the read before it. Reads at most `max_reads` times; then fails with
    /// [`Error::Torn`]. [`ServiceIndex::reads`] says how many reads it took.
    ///
    /// A service added or deleted while the real servers are walked afterwards may or may
    /// not be seen, as with any read that is not instantaneous; what this rules out is a
    /// service that was there all along being missed or seen twice.
    ///
    /// ```no_run
    /// use linux_ipvs::{Client, Error};
    ///
    /// match Client::open()?.consistent_service_index(10) {
    ///     Ok(index) => println!("{} services in {} reads", index.len(), index.reads()),
    ///     Err(Error::Torn { reads }) => eprintln!("the table kept changing ({reads} reads)"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn consistent_service_index(&mut self, max_reads: usize) -> Result<ServiceIndex, Error> {
        self.consistent_index(max_reads, false)
    }

    /// [`Client::consistent_service_index`], keeping each service's counters from the read
    /// that passed (see [`Client::service_index_with_counters`]).
    ///
    /// ```no_run
    /// let index = linux_ipvs::Client::open()?.consistent_service_index_with_counters(10)?;
    /// println!("{} services, counters kept: {}", index.len(), index.has_counters());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn consistent_service_index_with_counters(
        &mut self,
        max_reads: usize,
    ) -> Result<ServiceIndex, Error> {
        self.consistent_index(max_reads, true)
    }

    /// The checked read: without `counters`, with the real servers when they can be read
    /// with the index ([`Client::set_one_call`]); with `counters`, through netlink alone
    /// (the walk reads the real servers' counters there, and the socket options would only
    /// read the real servers twice).
    fn consistent_index(
        &mut self,
        max_reads: usize,
        counters: bool,
    ) -> Result<ServiceIndex, Error> {
        if counters {
            self.consistent_netlink_index(max_reads, true)
        } else {
            self.with_servers(|c| c.consistent_netlink_index(max_reads, false))
        }
    }

    /// [`Client::consistent_index`] without the real servers.
    fn consistent_netlink_index(
        &mut self,
        max_reads: usize,
        counters: bool,
    ) -> Result<ServiceIndex, Error> {
        let max_reads = max_reads.max(1);
        let mut check = Agreement::default();
        for read in 1..=max_reads {
            let (mut index, parts) = self.read_index(counters)?;
            if check.whole(parts, index.keys().copied()) {
                index.set_reads(read);
                index.set_checked(max_reads);
                // A table that held still takes one read, or two if it came in parts.
                index.set_changed(read - if parts <= 1 { 1 } else { 2 });
                return Ok(index);
            }
        }
        Err(Error::Torn { reads: max_reads })
    }

    /// [`Client::read_one`]; with `max_reads` (not 0), again while the real-server list came
    /// in more than one datagram and either lists a server twice or differs from the
    /// previous read, at most `max_reads` times in all.
    pub(crate) fn read_servers(
        &mut self,
        key: &ServiceKey,
        max_reads: usize,
        counters: bool,
        mut fresh: Option<&mut Option<Service>>,
        dests: &mut Vec<Dest>,
    ) -> Result<(), Error> {
        let mut check = Agreement::default();
        for read in 1.. {
            let parts = self.read_one(key, counters, fresh.as_deref_mut(), dests)?;
            if max_reads == 0 || check.whole(parts, dests.iter().map(|d| (d.addr, d.port))) {
                break;
            }
            if read >= max_reads {
                return Err(Error::Torn { reads: read });
            }
        }
        Ok(())
    }

    /// Every service with its real servers, from a read that no change made by another
    /// process meanwhile tore, reading at most `max_reads` times (a table too large for one
    /// datagram takes two reads that agree); then [`Error::Torn`]. With `counters`, the
    /// services and real servers come with their counters (as [`Client::snapshot`] gives
    /// them); without, the counters are `None`, and the read is cheaper. Active and
    /// inactive connection counts come either way.
    ///
    /// The whole table is held in memory; [`Client::consistent_service_index`] and
    /// [`Client::walk`] read it a service at a time, with the same checks.
    ///
    /// ```no_run
    /// let read = linux_ipvs::Client::open()?.consistent_snapshot(10, false)?;
    /// println!("{} services, in {} tries", read.entries.len(), read.tries);
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn consistent_snapshot(
        &mut self,
        max_reads: usize,
        counters: bool,
    ) -> Result<ConsistentSnapshot, Error> {
        let index = self.consistent_index(max_reads, counters)?;
        let mut entries = Vec::with_capacity(index.len());
        let _: ControlFlow<()> = self.walk_lists(&index, counters, |svc, dests| {
            entries.push((svc.clone(), std::mem::take(dests)));
            ControlFlow::Continue(())
        })?;
        Ok(ConsistentSnapshot {
            entries,
            tries: index.changed_reads() + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_whole_in_one_datagram_or_when_two_reads_in_a_row_agree_without_repeats() {
        let mut check = Agreement::default();
        assert!(
            check.whole(1, [1, 1].into_iter()),
            "one pass of the kernel's dump"
        );
        assert!(
            !check.whole(2, [1, 2, 3].into_iter()),
            "nothing to agree with yet"
        );
        assert!(!check.whole(2, [1, 3].into_iter()), "one missing");
        assert!(
            !check.whole(2, [1, 2, 3].into_iter()),
            "differs from the read before"
        );
        assert!(check.whole(3, [1, 2, 3].into_iter()));
        let mut check = Agreement::default();
        assert!(!check.whole(2, [1, 2, 2].into_iter()));
        assert!(
            !check.whole(2, [1, 2, 2].into_iter()),
            "agreeing repeats are torn too"
        );
    }
    use crate::fake::{FakeKernel, Tear};
    use crate::model::{Family, ServiceKey};

    fn table(services: u32, dests: u8) -> Vec<(Service, Vec<Dest>)> {
        (1..=services)
            .map(|mark| {
                let svc = Service::new(ServiceKey::Fwmark {
                    family: Family::Inet,
                    mark,
                });
                let ds = (1..=dests)
                    .map(|i| Dest::new([198, 51, 100, i].into(), 0))
                    .collect();
                (svc, ds)
            })
            .collect()
    }

    #[test]
    fn a_quiet_table_in_one_datagram_is_read_once() {
        let mut c = FakeKernel::client(table(3, 3));
        let read = c.consistent_snapshot(4, true).unwrap();
        assert_eq!(read.tries, 1);
        assert_eq!(
            read.entries,
            table(3, 3).into_iter().map(hashed).collect::<Vec<_>>()
        );
        let k = c.into_transport();
        assert_eq!(k.service_dumps, 1, "a dump in one datagram cannot be torn");
        assert_eq!(k.dest_dumps, 3);
    }

    #[test]
    fn a_quiet_table_in_parts_is_read_once_with_one_more_service_dump() {
        let mut c = FakeKernel::client(table(20, 3));
        let read = c.consistent_snapshot(4, false).unwrap();
        assert_eq!(read.tries, 1);
        let uncounted = |(mut s, d): (Service, Vec<Dest>)| {
            s.stats = None;
            let d = d
                .into_iter()
                .map(|mut d| {
                    d.stats = None;
                    d
                })
                .collect();
            (s, d)
        };
        assert_eq!(
            read.entries,
            table(20, 3)
                .into_iter()
                .map(hashed)
                .map(uncounted)
                .collect::<Vec<_>>()
        );
        let k = c.into_transport();
        assert_eq!(k.service_dumps, 2);
        assert_eq!(
            k.dest_dumps, 20,
            "real-server lists in one datagram are read once"
        );
    }

    #[test]
    fn torn_service_dumps_are_read_again() {
        // A repeated service (seen at once), then a missed one (seen by the next dump).
        let tears = [Tear::Repeat(5), Tear::Skip(7), Tear::Quiet, Tear::Quiet];
        let mut c = FakeKernel::client_with(table(20, 1), &tears, &[]);
        let read = c.consistent_snapshot(4, false).unwrap();
        assert_eq!(read.tries, 3, "two reads thrown away");
        assert_eq!(read.entries.len(), 20);
        assert_eq!(c.into_transport().service_dumps, 4);
    }

    #[test]
    fn a_table_that_changes_between_two_dumps_is_read_again() {
        // A churning process adds a service between the first two dumps.
        let tears = [Tear::Quiet, Tear::Add(99)];
        let mut c = FakeKernel::client_with(table(10, 1), &tears, &[]);
        let read = c.consistent_snapshot(4, false).unwrap();
        assert_eq!(read.tries, 2);
        assert_eq!(read.entries.len(), 11);
    }

    #[test]
    fn torn_real_server_lists_are_read_again() {
        // Lists in several datagrams are read until two agree: a missed real server in the
        // first read of the first service, a repeated one in the third.
        let tears = [Tear::Skip(2), Tear::Quiet, Tear::Repeat(0)];
        let mut c = FakeKernel::client_with(table(3, 12), &[], &tears);
        let read = c.consistent_snapshot(5, false).unwrap();
        assert!(read.entries.iter().all(|(_, d)| d.len() == 12));
        assert_eq!(c.into_transport().dest_dumps, 5 + 2 + 2);
    }

    #[test]
    fn a_table_that_keeps_changing_is_given_up_on() {
        let tears: Vec<Tear> = (0..10).map(Tear::Skip).collect();
        let mut c = FakeKernel::client_with(table(10, 1), &tears, &[]);
        match c.consistent_snapshot(3, false) {
            Err(Error::Torn { reads: 3 }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(c.into_transport().service_dumps, 3);
    }

    #[test]
    fn reads_torn_the_same_way_twice_cannot_be_told_from_a_quiet_one() {
        // The limit of any reader: the same service missed by both dumps.
        let tears = [Tear::Skip(4), Tear::Skip(4)];
        let mut c = FakeKernel::client_with(table(10, 1), &tears, &[]);
        assert_eq!(c.consistent_snapshot(3, false).unwrap().entries.len(), 9);
    }

    /// A service as the kernel reports it (with its internal hashed flag).
    fn hashed((mut s, d): (Service, Vec<Dest>)) -> (Service, Vec<Dest>) {
        s.flags |= crate::model::ServiceFlags::HASHED;
        (s, d)
    }
}
