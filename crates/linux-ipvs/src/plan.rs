//! Converging a table without a flush: from the current table and the desired one to the
//! fewest [`Change`]s that turn the first into the second, in an order that keeps traffic
//! flowing.
//!
//! A service is identified by its key (protocol, address and port, or fwmark and family), a
//! real server by its address and port within its service. Whatever else differs is edited
//! in place: a service's scheduler, flags, persistence, netmask and persistence engine
//! (`-E`, which keeps its real servers), a real server's weight, forwarding method,
//! thresholds and tunnel settings (`-e`). Only what is missing is added and only what is
//! not wanted is removed, so connections through everything else keep their state.
//!
//! The order: new services, then new and edited real servers, then edited services, then
//! removals (real servers before services). A table that already matches gives no change.
//!
//! Removal is immediate, or by draining ([`Removal::Drain`]): an unwanted real server is
//! first given weight 0 (no new connections) and removed once it has no active and no
//! inactive connections; an unwanted service goes once its real servers have. The state of
//! a drain is the kernel's own (an unwanted real server at weight 0 is draining), so planning
//! again later, from a fresh read, carries a drain on from wherever it is.

use std::net::IpAddr;

use crate::client::{Change, Client, Transport};
use crate::error::Error;
use crate::model::{Dest, Service, ServiceKey};
use crate::table::{KeyMap, find_dest, same_dest_settings, same_service_settings};

/// How real servers and services that the desired table does not have are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Removal {
    /// Removed at once (their connections are cut).
    #[default]
    Immediate,
    /// Drained: weight 0 first, removed when their connections are gone.
    Drain,
}

/// What [`plan`] counts, services and real servers together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanCounts {
    /// Services and real servers added.
    pub added: usize,
    /// Services and real servers edited (not counting drains started).
    pub edited: usize,
    /// Services and real servers removed (a removed service counts once, whatever its real
    /// servers).
    pub removed: usize,
    /// Real servers set to weight 0 to start their drain.
    pub drains_started: usize,
}

/// A real server kept for now because it still has connections (or just got weight 0):
/// it is removed by a later plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draining {
    /// Its service.
    pub service: ServiceKey,
    /// The real server as it was read (with its connection counts).
    pub dest: Dest,
}

/// The changes that take a table to the desired one ([`plan`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The changes, in the order they are to be applied.
    pub changes: Vec<Change>,
    /// What the changes do, counted.
    pub counts: PlanCounts,
    /// With [`Removal::Drain`]: the unwanted real servers left in place after these changes,
    /// draining. A plan with no changes and nothing draining means the table matches.
    pub draining: Vec<Draining>,
}

impl Plan {
    /// Whether the table already matches: no change and nothing draining.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.draining.is_empty()
    }

    /// Applies the changes in order with [`Client::apply_batch`] (many per datagram) and
    /// returns each one's outcome, in the same order.
    ///
    /// ```no_run
    /// use linux_ipvs::{Client, Removal, Service, ServiceKey, Family, plan};
    ///
    /// let mut ipvs = Client::open()?;
    /// let desired = vec![(Service::new(ServiceKey::Fwmark { family: Family::Inet, mark: 1 }), vec![])];
    /// let current = ipvs.consistent_snapshot(10, false)?.entries;
    /// let outcomes = plan(&current, &desired, Removal::Immediate).apply(&mut ipvs)?;
    /// assert!(outcomes.iter().all(Result::is_ok));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply<T: Transport>(
        &self,
        client: &mut Client<T>,
    ) -> Result<Vec<Result<(), Error>>, Error> {
        client.apply_batch(&self.changes)
    }
}

/// The changes that turn `current` into `desired` (each a list of services with their real
/// servers, as [`Client::snapshot`] returns them; keys are expected to be unique, as the
/// kernel's are). `removal` says how unwanted real servers and services go. Pure: nothing is
/// read or sent.
///
/// ```
/// use linux_ipvs::{Change, Dest, Family, Removal, Service, ServiceKey, plan};
///
/// let svc = Service::new(ServiceKey::Fwmark { family: Family::Inet, mark: 1 });
/// let old = Dest::new("198.51.100.2".parse()?, 0);
/// let mut new = old.clone();
/// new.weight = 5;
/// let p = plan(&[(svc.clone(), vec![old])], &[(svc.clone(), vec![new.clone()])], Removal::Immediate);
/// assert_eq!(p.changes, vec![Change::EditDest(svc.key, new.clone())]);
/// assert!(plan(&[(svc.clone(), vec![new.clone()])], &[(svc, vec![new])], Removal::Immediate).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(
    current: &[(Service, Vec<Dest>)],
    desired: &[(Service, Vec<Dest>)],
    removal: Removal,
) -> Plan {
    let now: KeyMap<&ServiceKey, usize> = current
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (&s.key, i))
        .collect();
    let mut add_services = Vec::new();
    let mut dest_changes = Vec::new();
    let mut edit_services = Vec::new();
    let mut removals = Removals {
        removal,
        drain_edits: Vec::new(),
        delete_dests: Vec::new(),
        delete_services: Vec::new(),
        draining: Vec::new(),
    };
    let mut counts = PlanCounts::default();
    // Which current services the desired table names (by position in `current`).
    let mut named = vec![false; current.len()];
    for (want, want_dests) in desired {
        let Some(&i) = now.get(&want.key) else {
            add_services.push(Change::AddService(request_service(want)));
            for d in want_dests {
                dest_changes.push(Change::AddDest(want.key, request_dest(d)));
            }
            counts.added += 1 + want_dests.len();
            continue;
        };
        named[i] = true;
        let (have, have_dests) = &current[i];
        if !same_service_settings(have, want) {
            edit_services.push(Change::EditService(request_service(want)));
            counts.edited += 1;
        }
        let have_at = DestIndex::new(have_dests);
        let mut found = Found::new(have_dests.len());
        for d in want_dests {
            let j = have_at.find(have_dests, d.addr, d.port);
            match j {
                None => {
                    dest_changes.push(Change::AddDest(want.key, request_dest(d)));
                    counts.added += 1;
                }
                Some(j) if !same_dest_settings(&have_dests[j], d) => {
                    dest_changes.push(Change::EditDest(want.key, request_dest(d)));
                    counts.edited += 1;
                }
                Some(_) => {}
            }
            found.mark(j);
        }
        if found.all() {
            // Every current real server is wanted: none to look for in the wanted list.
            continue;
        }
        let want_at = DestIndex::new(want_dests);
        for d in have_dests {
            if want_at.find(want_dests, d.addr, d.port).is_none() {
                removals.unwanted_dest(want, d);
            }
        }
    }
    if now.len() == current.len() {
        // Keys unique (as the kernel's are): a service is unwanted when nothing named it.
        for ((have, have_dests), named) in current.iter().zip(named) {
            if !named {
                removals.unwanted_service(have, have_dests);
            }
        }
    } else {
        let wanted: KeyMap<&ServiceKey, ()> = desired.iter().map(|(s, _)| (&s.key, ())).collect();
        for (have, have_dests) in current {
            if !wanted.contains_key(&have.key) {
                removals.unwanted_service(have, have_dests);
            }
        }
    }
    counts.removed = removals.delete_dests.len() + removals.delete_services.len();
    counts.drains_started = removals.drain_edits.len();
    let mut changes = add_services;
    changes.append(&mut dest_changes);
    changes.append(&mut edit_services);
    changes.append(&mut removals.drain_edits);
    changes.append(&mut removals.delete_dests);
    changes.append(&mut removals.delete_services);
    Plan {
        changes,
        counts,
        draining: removals.draining,
    }
}

/// The removal half of a plan, collected as the tables are walked.
struct Removals {
    removal: Removal,
    drain_edits: Vec<Change>,
    delete_dests: Vec<Change>,
    delete_services: Vec<Change>,
    draining: Vec<Draining>,
}

impl Removals {
    /// A real server of `svc` that is not wanted: removed now (immediately, or because its
    /// drain is over), or left draining.
    fn unwanted_dest(&mut self, svc: &Service, d: &Dest) {
        if self.removal == Removal::Drain && !drained(d) {
            self.keep_draining(svc, d);
        } else {
            self.delete_dests.push(Change::DeleteDest(svc.key, d.key()));
        }
    }

    /// A service that is not wanted, with its real servers.
    fn unwanted_service(&mut self, svc: &Service, dests: &[Dest]) {
        if self.removal == Removal::Drain && !dests.iter().all(drained) {
            // The drained ones go now, the others drain; the service waits for them.
            for d in dests {
                self.unwanted_dest(svc, d);
            }
            return;
        }
        self.delete_services.push(Change::DeleteService(svc.key));
    }

    /// Starts the drain of a real server that still has weight, or waits for one at weight 0.
    fn keep_draining(&mut self, svc: &Service, d: &Dest) {
        if d.weight != 0 {
            let mut quiet = request_dest(d);
            quiet.weight = 0;
            self.drain_edits.push(Change::EditDest(svc.key, quiet));
        }
        self.draining.push(Draining {
            service: svc.key,
            dest: d.clone(),
        });
    }
}

/// Whether an unwanted real server's drain is over: weight 0 (no new connections were
/// scheduled to it since a plan read it) and no active or inactive connections left.
fn drained(d: &Dest) -> bool {
    d.weight == 0 && d.active_conns == 0 && d.inact_conns == 0
}

/// A service as a request carries it: its settings, without the counters and the
/// attributes this library does not know (which a read may have brought along).
fn request_service(s: &Service) -> Service {
    Service {
        key: s.key,
        scheduler: s.scheduler,
        pe_name: s.pe_name,
        flags: s.flags - crate::model::ServiceFlags::HASHED,
        timeout: s.timeout,
        netmask: s.netmask,
        stats: None,
        unknown: Vec::new(),
    }
}

/// A real server as a request carries it: its settings only.
fn request_dest(d: &Dest) -> Dest {
    Dest {
        stats: None,
        unknown: Vec::new(),
        active_conns: 0,
        inact_conns: 0,
        persist_conns: 0,
        ..d.clone()
    }
}

/// Which of a service's current real servers (up to 64: longer lists are not tracked) the
/// desired list named, so that a list whose every server is wanted needs no search for
/// unwanted ones.
struct Found {
    /// One bit per position found; `None` for a list too long to track.
    bits: Option<u64>,
    /// The bits of a list found whole.
    whole: u64,
}

impl Found {
    fn new(len: usize) -> Found {
        match len {
            0..64 => Found {
                bits: Some(0),
                whole: (1 << len) - 1,
            },
            64 => Found {
                bits: Some(0),
                whole: u64::MAX,
            },
            _ => Found {
                bits: None,
                whole: 0,
            },
        }
    }

    fn mark(&mut self, position: Option<usize>) {
        if let (Some(bits), Some(j)) = (self.bits.as_mut(), position) {
            *bits |= 1 << j;
        }
    }

    fn all(&self) -> bool {
        self.bits == Some(self.whole)
    }
}

/// Finds real servers by address and port: a plain search in short lists, a hash map in
/// long ones (a service can have thousands).
enum DestIndex {
    Scan,
    Map(KeyMap<(IpAddr, u16), usize>),
}

impl DestIndex {
    const SCAN_MAX: usize = 16;

    fn new(dests: &[Dest]) -> DestIndex {
        if dests.len() <= Self::SCAN_MAX {
            return DestIndex::Scan;
        }
        DestIndex::Map(
            dests
                .iter()
                .enumerate()
                .map(|(i, d)| ((d.addr, d.port), i))
                .collect(),
        )
    }

    fn find(&self, dests: &[Dest], addr: IpAddr, port: u16) -> Option<usize> {
        match self {
            DestIndex::Scan => find_dest(dests, addr, port),
            DestIndex::Map(m) => m.get(&(addr, port)).copied(),
        }
    }
}

#[cfg(test)]
mod tests;
