//! Reading the whole table in a state it really had, or not at all.
//!
//! The kernel's service dump goes out in parts and resumes each part by position, and IPVS
//! does not flag a dump that a change interrupted (`NLM_F_DUMP_INTR` is never set for it).
//! So a service added or deleted by another process while the table is being read shifts
//! the positions, and the read repeats a service or misses one; the real servers of each
//! service come from a dump of their own, which can tear the same way. A program that acts
//! on such a read (deletes what it did not see, adds what it thinks is missing) does damage.
//!
//! [`Client::consistent_snapshot`] therefore checks every read: no service twice (a dump
//! that resumed after services were added before its position repeats some), the service
//! dump taken twice in a row with the same result (one that resumed after services were
//! deleted before its position misses some, which only a second read can show), no real
//! server twice in a service, and a long real-server list (which may come in several
//! parts) read twice the same. A read that fails a check is thrown away and taken again, a
//! bounded number of times. What passes is no torn list: the services as they were at one
//! moment, and each service's real servers as they were when they were read. (Two dumps
//! torn the very same way would pass; so would a change made and undone between them.)
//! Changes made by others after a list was read are not undone by any of this: acting on
//! the read is then like acting on any read a moment old.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash};

use nix::libc;

use crate::client::{Client, Transport};
use crate::model::{Dest, Service};
use crate::netlink::Error;
use crate::table::{KeyHasher, same_dest_settings, same_service_settings};

/// Real-server lists longer than this may come in more than one part (the kernel's smallest
/// dump part, a page, holds about ten real servers with their counters); such a list is
/// read twice and kept only if both reads agree.
const ONE_PART_DESTS: usize = 8;

/// Services with their real servers.
type Entries = Vec<(Service, Vec<Dest>)>;

/// A table read that passed the checks of [`Client::consistent_snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistentSnapshot {
    /// Every service with its real servers, in the kernel's order (as
    /// [`Client::snapshot`] returns them).
    pub entries: Vec<(Service, Vec<Dest>)>,
    /// How many reads it took (1 when the table held still).
    pub tries: usize,
}

/// Why [`Client::consistent_snapshot`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A request failed.
    #[error(transparent)]
    Netlink(#[from] Error),
    /// Every read was torn or disagreed with the next one: the table kept changing.
    #[error("the IPVS table kept changing while it was read ({tries} reads, none consistent)")]
    KeptChanging {
        /// How many reads were made.
        tries: usize,
    },
}

impl<T: Transport> Client<T> {
    /// Every service with its real servers, from a read that is not torn by changes other
    /// processes made meanwhile, trying at most `tries` times (at least once).
    ///
    /// The kernel's dumps resume by position and IPVS does not flag an interrupted one, so a
    /// plain read taken while the table changes can repeat or miss services and real
    /// servers. Each read here is checked: no service and no real server twice, the service
    /// dump taken twice in a row with the same keys, order and settings, and a long
    /// real-server list (more than eight, which may come in several parts) read twice the
    /// same. A read that fails is taken again; after `tries` failures the answer is
    /// [`ReadError::KeptChanging`]. The services passed are as they were at one moment, each
    /// service's real servers as they were when read. Costs one service dump more than
    /// [`Client::snapshot`].
    ///
    /// ```no_run
    /// let read = linux_ipvs::Client::open()?.consistent_snapshot(8)?;
    /// println!("{} services, read {} times", read.entries.len(), read.tries);
    /// # Ok::<(), linux_ipvs::ReadError>(())
    /// ```
    pub fn consistent_snapshot(&mut self, tries: usize) -> Result<ConsistentSnapshot, ReadError> {
        let tries = tries.max(1);
        for attempt in 1..=tries {
            if let Some(entries) = self.read_checked()? {
                return Ok(ConsistentSnapshot {
                    entries,
                    tries: attempt,
                });
            }
        }
        Err(ReadError::KeptChanging { tries })
    }

    /// One checked read: `None` when it is torn.
    fn read_checked(&mut self) -> Result<Option<Entries>, Error> {
        let services = self.services()?;
        if repeats(services.iter().map(|s| s.key)) {
            return Ok(None);
        }
        // Right away a second time: a dump that missed services (deleted before its resume
        // position) differs from one that did not, unless both were torn the same way.
        let again = self.services()?;
        let same = again.len() == services.len()
            && again
                .iter()
                .zip(&services)
                .all(|(a, b)| a.key == b.key && same_service_settings(a, b));
        if !same {
            return Ok(None);
        }
        let mut entries = Vec::with_capacity(services.len());
        for svc in services {
            let dests = match self.dests(&svc.key) {
                Ok(d) => d,
                // Gone since the service dump (kernels that say so rather than send none).
                Err(Error::Kernel { errno, .. }) if errno == libc::ESRCH => return Ok(None),
                Err(e) => return Err(e),
            };
            if repeats(dests.iter().map(|d| (d.addr, d.port))) {
                return Ok(None);
            }
            if dests.len() > ONE_PART_DESTS {
                let again = self.dests(&svc.key)?;
                let same = again.len() == dests.len()
                    && again.iter().zip(&dests).all(|(a, b)| {
                        a.addr == b.addr && a.port == b.port && same_dest_settings(a, b)
                    });
                if !same {
                    return Ok(None);
                }
            }
            entries.push((svc, dests));
        }
        Ok(Some(entries))
    }
}

/// Whether an item occurs twice.
fn repeats<K: Eq + Hash>(items: impl ExactSizeIterator<Item = K>) -> bool {
    let mut seen: HashSet<K, BuildHasherDefault<KeyHasher>> =
        HashSet::with_capacity_and_hasher(items.len(), Default::default());
    let mut items = items;
    items.any(|k| !seen.insert(k))
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn a_quiet_table_is_read_once_with_one_more_service_dump() {
        let mut c = FakeKernel::client(table(20, 3));
        let read = c.consistent_snapshot(4).unwrap();
        assert_eq!(read.tries, 1);
        assert_eq!(
            read.entries,
            table(20, 3).into_iter().map(hashed).collect::<Vec<_>>()
        );
        let k = c.into_transport();
        assert_eq!(k.service_dumps, 2);
        assert_eq!(k.dest_dumps, 20, "short real-server lists are read once");
    }

    #[test]
    fn torn_service_dumps_are_read_again() {
        // A repeated service (seen at once), then a missed one (seen by the second dump).
        let tears = [Tear::Repeat(5), Tear::Skip(7), Tear::Quiet, Tear::Quiet];
        let mut c = FakeKernel::client_with(table(20, 1), &tears, &[]);
        let read = c.consistent_snapshot(4).unwrap();
        assert_eq!(read.tries, 3);
        assert_eq!(read.entries.len(), 20);
        assert_eq!(c.into_transport().service_dumps, 1 + 2 + 2);
    }

    #[test]
    fn a_table_that_changes_between_the_two_dumps_is_read_again() {
        // A churning process adds a service between the first read's two dumps.
        let tears = [Tear::Quiet, Tear::Add(99)];
        let mut c = FakeKernel::client_with(table(10, 1), &tears, &[]);
        let read = c.consistent_snapshot(4).unwrap();
        assert_eq!(read.tries, 2);
        assert_eq!(read.entries.len(), 11);
    }

    #[test]
    fn torn_real_server_lists_are_read_again() {
        // Long lists are read twice: a missed real server in the first read of the first
        // service, a repeated one in the next read.
        let tears = [Tear::Skip(2), Tear::Quiet, Tear::Repeat(0)];
        let mut c = FakeKernel::client_with(table(3, 12), &[], &tears);
        let read = c.consistent_snapshot(5).unwrap();
        assert_eq!(read.tries, 3);
        assert!(read.entries.iter().all(|(_, d)| d.len() == 12));
    }

    #[test]
    fn a_table_that_keeps_changing_is_given_up_on() {
        let tears: Vec<Tear> = (0..10).map(Tear::Skip).collect();
        let mut c = FakeKernel::client_with(table(10, 1), &tears, &[]);
        match c.consistent_snapshot(3) {
            Err(ReadError::KeptChanging { tries: 3 }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(c.into_transport().service_dumps, 6, "two dumps per read");
    }

    #[test]
    fn reads_torn_the_same_way_twice_cannot_be_told_from_a_quiet_one() {
        // The limit of any reader: the same service missed by both dumps.
        let tears = [Tear::Skip(4), Tear::Skip(4)];
        let mut c = FakeKernel::client_with(table(10, 1), &tears, &[]);
        assert_eq!(c.consistent_snapshot(3).unwrap().entries.len(), 9);
    }

    /// A service as the kernel reports it (with its internal hashed flag).
    fn hashed((mut s, d): (Service, Vec<Dest>)) -> (Service, Vec<Dest>) {
        s.flags |= crate::consts::IP_VS_SVC_F_HASHED;
        (s, d)
    }
}
