//! An IPVS service table held in memory: services, each with its real servers, changed by
//! the same [`Change`]s the kernel takes and refusing them as the kernel would.
//!
//! It is what a rules file describes (replay its changes on an empty table and the result is
//! what a flush and restore would leave in the kernel, as far as the kernel's own checks go),
//! and what [`plan`](crate::plan) is tested against: applying a plan to the current table in
//! memory must give the desired one. Services keep the order they were added in; the kernel
//! orders them by hash, which is why two tables are compared with [`Table::same_as`].

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::IpAddr;

use nix::libc;

use crate::client::Change;
use crate::error::Error;
use crate::model::{Dest, Service, ServiceKey};

/// Services with their real servers, as plain values, changed by [`Change`]s with the
/// kernel's checks: what a rules file describes, replayed on an empty table. Services keep
/// the order they were added in ([`Table::same_as`] compares regardless of order).
///
/// ```
/// use linux_ipvs::{Change, Dest, Family, Service, ServiceKey, Table};
///
/// let svc = Service::new(ServiceKey::Fwmark { family: Family::Inet, mark: 7 });
/// let mut table = Table::new();
/// table.apply(&Change::AddService(svc.clone()))?;
/// table.apply(&Change::AddDest(svc.key, Dest::new("198.51.100.2".parse()?, 0)))?;
/// // Adding it twice fails as in the kernel (EEXIST).
/// assert!(table.apply(&Change::AddService(svc)).is_err());
/// assert_eq!(table.entries()[0].1.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    entries: Vec<(Service, Vec<Dest>)>,
    index: KeyMap<ServiceKey, usize>,
    /// The service changed last and where it is: a rules file adds the real servers of a
    /// service right after it, so most lookups end here without hashing.
    last: Option<(ServiceKey, usize)>,
}

/// A hash map keyed by service keys or addresses, with [`KeyHasher`].
pub(crate) type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// Whether an item comes more than once in `items` (a set of them, rather than a sort:
/// the torn-read checks ask it of every read of a large table).
pub(crate) fn has_repeats<K: Hash + Eq>(items: impl ExactSizeIterator<Item = K>) -> bool {
    let mut seen: KeyMap<K, ()> = KeyMap::with_capacity_and_hasher(items.len(), Default::default());
    !items.into_iter().all(|k| seen.insert(k, ()).is_none())
}

/// A fast hasher for keys that are a few small integers and addresses (a multiply and a
/// rotation per word, as rustc's own hasher does): the tables hold the administrator's own
/// services, so there is no untrusted input to guard against, and tens of thousands of
/// lookups are made per run.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for KeyHasher {
    /// The state's full product with the constant, its high half folded onto the low one. A
    /// multiply only carries bits upwards, and the hash map picks buckets by the low bits:
    /// without the fold, the bits that differ between keys (an address's last bytes, high in
    /// their word) hardly reach them, and 10,000 services of consecutive addresses shared 32
    /// buckets.
    fn finish(&self) -> u64 {
        let product = u128::from(self.0) * u128::from(Self::K);
        (product as u64) ^ (product >> 64) as u64
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, v: u8) {
        self.add(v.into());
    }
    fn write_u16(&mut self, v: u16) {
        self.add(v.into());
    }
    fn write_u32(&mut self, v: u32) {
        self.add(v.into());
    }
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
}

/// A service's key was listed twice when a table was built from a list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service {0:?} is listed twice")]
pub struct DuplicateService(pub ServiceKey);

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table::default()
    }

    /// A table holding these services and real servers (as [`Client::snapshot`] returns
    /// them, say), in this order. Fails if a service key occurs twice; real servers are
    /// taken as they are.
    ///
    /// [`Client::snapshot`]: crate::Client::snapshot
    pub fn from_entries(entries: Vec<(Service, Vec<Dest>)>) -> Result<Table, DuplicateService> {
        let mut index = KeyMap::with_capacity_and_hasher(entries.len(), Default::default());
        for (i, (svc, _)) in entries.iter().enumerate() {
            if index.insert(svc.key, i).is_some() {
                return Err(DuplicateService(svc.key));
            }
        }
        Ok(Table {
            entries,
            index,
            last: None,
        })
    }

    /// The services, in the order they were added, each with its real servers in the order
    /// they were added.
    pub fn entries(&self) -> &[(Service, Vec<Dest>)] {
        &self.entries
    }

    /// The services and real servers, given back.
    pub fn into_entries(self) -> Vec<(Service, Vec<Dest>)> {
        self.entries
    }

    /// A service and its real servers, by key.
    pub fn get(&self, key: &ServiceKey) -> Option<&(Service, Vec<Dest>)> {
        self.index.get(key).map(|&i| &self.entries[i])
    }

    /// Whether both tables hold the same services with the same settings and the same real
    /// servers with the same settings, whatever their order. Counters, connection counts and
    /// attributes this library does not know are not compared, nor is the kernel's internal
    /// `IP_VS_SVC_F_HASHED` flag.
    pub fn same_as(&self, other: &Table) -> bool {
        self.entries.len() == other.entries.len()
            && self.entries.iter().all(|(svc, dests)| {
                other.get(&svc.key).is_some_and(|(o, odests)| {
                    same_service_settings(svc, o)
                        && dests.len() == odests.len()
                        && dests.iter().all(|d| {
                            find_dest(odests, d.addr, d.port)
                                .is_some_and(|j| same_dest_settings(d, &odests[j]))
                        })
                })
            })
    }

    /// Applies one change as the kernel would, or refuses it with the kernel's errno
    /// ([`Error::Kernel`]): `EEXIST` for a service or real server that is already there,
    /// `ESRCH` for a service that is not, `ENOENT` for a real server that is not, `ERANGE`
    /// for a negative weight or a lower threshold above the upper one. Changes that do not
    /// touch the service table (timeouts, daemons, zeroing counters) change nothing.
    /// Checks that need the kernel (does the scheduler exist, is the address unicast) are
    /// not made.
    pub fn apply(&mut self, change: &Change) -> Result<(), Error> {
        match change {
            Change::AddService(s) => self.add_service(s.clone())?,
            Change::EditService(s) => {
                let (svc, _) = self.entry_mut(&s.key)?;
                svc.scheduler = s.scheduler;
                svc.pe_name = s.pe_name;
                svc.flags = s.flags;
                svc.timeout = s.timeout;
                svc.netmask = s.netmask;
            }
            Change::DeleteService(k) => {
                let i = self.index.remove(k).ok_or(errno(libc::ESRCH))?;
                self.last = None;
                self.entries.remove(i);
                for (svc, _) in &self.entries[i..] {
                    *self.index.get_mut(&svc.key).expect("indexed") -= 1;
                }
            }
            Change::AddDest(k, d) => self.add_dest(k, d.clone())?,
            Change::EditDest(k, d) => {
                let (_, dests) = self.entry_mut(k)?;
                check_dest(d)?;
                let j = find_dest(dests, d.addr, d.port).ok_or(errno(libc::ENOENT))?;
                let old = &mut dests[j];
                old.forward = d.forward;
                old.weight = d.weight;
                old.u_threshold = d.u_threshold;
                old.l_threshold = d.l_threshold;
                old.tun_type = d.tun_type;
                old.tun_port = d.tun_port;
                old.tun_flags = d.tun_flags;
            }
            Change::DeleteDest(k, d) => {
                let (_, dests) = self.entry_mut(k)?;
                let j = find_dest(dests, d.addr, d.port).ok_or(errno(libc::ENOENT))?;
                dests.remove(j);
            }
            Change::Zero(Some(k)) => {
                self.entry_mut(k)?;
            }
            Change::Flush => {
                self.entries.clear();
                self.index.clear();
                self.last = None;
            }
            Change::Zero(None)
            | Change::SetTimeouts(_)
            | Change::StartDaemon(_)
            | Change::StopDaemon(_) => {}
        }
        Ok(())
    }

    /// [`Table::apply`] for a change given away: the service or real server it adds is
    /// moved into the table instead of copied (a restore adds tens of thousands). Inlined, so
    /// that the change is not copied into the call either.
    #[inline]
    pub fn apply_owned(&mut self, change: Change) -> Result<(), Error> {
        match change {
            Change::AddService(s) => self.add_service(s),
            Change::AddDest(k, d) => self.add_dest(&k, d),
            other => self.apply(&other),
        }
    }

    /// `-A`: `EEXIST` if the service is there already.
    fn add_service(&mut self, s: Service) -> Result<(), Error> {
        let i = self.entries.len();
        match self.index.entry(s.key) {
            Entry::Occupied(_) => return Err(errno(libc::EEXIST)),
            Entry::Vacant(v) => v.insert(i),
        };
        self.last = Some((s.key, i));
        self.entries.push((s, Vec::new()));
        Ok(())
    }

    /// `-a`: `ESRCH` without the service, `ERANGE` for bad settings, `EEXIST` if the real
    /// server is there already.
    fn add_dest(&mut self, key: &ServiceKey, d: Dest) -> Result<(), Error> {
        let (_, dests) = self.entry_mut(key)?;
        check_dest(&d)?;
        if find_dest(dests, d.addr, d.port).is_some() {
            return Err(errno(libc::EEXIST));
        }
        dests.push(d);
        Ok(())
    }

    fn entry_mut(&mut self, key: &ServiceKey) -> Result<&mut (Service, Vec<Dest>), Error> {
        let i = match self.last {
            Some((k, i)) if k == *key => i,
            _ => *self.index.get(key).ok_or(errno(libc::ESRCH))?,
        };
        self.last = Some((*key, i));
        Ok(&mut self.entries[i])
    }
}

fn errno(errno: i32) -> Error {
    Error::Kernel {
        errno,
        ext_ack: None,
    }
}

/// The kernel's own checks of a real server's settings on add and edit.
fn check_dest(d: &Dest) -> Result<(), Error> {
    if d.weight < 0 || d.l_threshold > d.u_threshold {
        return Err(errno(libc::ERANGE));
    }
    Ok(())
}

/// Where the real server `addr`:`port` is in `dests`.
pub(crate) fn find_dest(dests: &[Dest], addr: IpAddr, port: u16) -> Option<usize> {
    dests.iter().position(|d| d.addr == addr && d.port == port)
}

/// Whether two services (of the same key) have the same settings: what an edit (`-E`)
/// sets. The kernel's internal `IP_VS_SVC_F_HASHED` flag and an empty persistence-engine
/// name (the same as none) make no difference.
pub(crate) fn same_service_settings(a: &Service, b: &Service) -> bool {
    const HASHED: crate::model::ServiceFlags = crate::model::ServiceFlags::HASHED;
    let pe = |s: &Service| s.pe_name.filter(|p| !p.is_empty());
    a.scheduler == b.scheduler
        && a.flags - HASHED == b.flags - HASHED
        && a.timeout == b.timeout
        && a.netmask == b.netmask
        && pe(a) == pe(b)
}

/// Whether two real servers (of the same address and port) have the same settings: what an
/// edit (`-e`) sets.
pub(crate) fn same_dest_settings(a: &Dest, b: &Dest) -> bool {
    a.forward == b.forward
        && a.weight == b.weight
        && a.u_threshold == b.u_threshold
        && a.l_threshold == b.l_threshold
        && a.tun_type == b.tun_type
        && a.tun_port == b.tun_port
        && a.tun_flags == b.tun_flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::tcp;
    use crate::model::{Family, Forward};

    fn rs(last: u8) -> Dest {
        Dest::new(IpAddr::from([198, 51, 100, last]), 80)
    }

    fn errno_of(r: Result<(), Error>) -> i32 {
        r.unwrap_err().errno()
    }

    #[test]
    fn changes_are_refused_with_the_kernels_errno() {
        let mut t = Table::new();
        let s = tcp(80);
        assert_eq!(
            errno_of(t.apply(&Change::AddDest(s.key, rs(1)))),
            libc::ESRCH
        );
        assert_eq!(
            errno_of(t.apply(&Change::EditService(s.clone()))),
            libc::ESRCH
        );
        assert_eq!(
            errno_of(t.apply(&Change::DeleteService(s.key))),
            libc::ESRCH
        );
        t.apply(&Change::AddService(s.clone())).unwrap();
        assert_eq!(
            errno_of(t.apply(&Change::AddService(s.clone()))),
            libc::EEXIST
        );
        t.apply(&Change::AddDest(s.key, rs(1))).unwrap();
        assert_eq!(
            errno_of(t.apply(&Change::AddDest(s.key, rs(1)))),
            libc::EEXIST
        );
        assert_eq!(
            errno_of(t.apply(&Change::EditDest(s.key, rs(2)))),
            libc::ENOENT
        );
        assert_eq!(
            errno_of(t.apply(&Change::DeleteDest(s.key, rs(2).key()))),
            libc::ENOENT
        );
        let mut bad = rs(3);
        bad.l_threshold = 5;
        assert_eq!(
            errno_of(t.apply(&Change::AddDest(s.key, bad.clone()))),
            libc::ERANGE,
            "a lower threshold above an unset upper one"
        );
        bad.l_threshold = 0;
        bad.weight = -1;
        assert_eq!(
            errno_of(t.apply(&Change::AddDest(s.key, bad))),
            libc::ERANGE
        );
        assert_eq!(t.entries()[0].1.len(), 1, "refused changes change nothing");
    }

    /// A change given away does what the same change lent does, refusals included.
    #[test]
    fn owned_changes_apply_as_lent_ones() {
        let s = tcp(80);
        let changes = [
            Change::AddDest(s.key, rs(1)),
            Change::AddService(s.clone()),
            Change::AddService(s.clone()),
            Change::AddDest(s.key, rs(1)),
            Change::AddDest(s.key, rs(1)),
            Change::AddDest(
                s.key,
                Dest {
                    weight: -1,
                    ..rs(2)
                },
            ),
            Change::AddDest(s.key, rs(2)),
            Change::DeleteDest(s.key, rs(1).key()),
            Change::AddService(tcp(81)),
            Change::AddDest(s.key, rs(3)),
        ];
        let (mut lent, mut owned) = (Table::new(), Table::new());
        for c in changes {
            let expected = lent.apply(&c).map_err(|e| e.errno());
            assert_eq!(owned.apply_owned(c).map_err(|e| e.errno()), expected);
        }
        assert_eq!(owned.entries(), lent.entries());
        assert_eq!(owned.entries()[0].1, [rs(2), rs(3)]);
    }

    /// Keys that differ only in an address's last bytes, or in the port, spread over the
    /// buckets a hash map picks by the low bits (they once shared 32 of 16,384).
    #[test]
    fn the_key_hasher_spreads_consecutive_keys() {
        use std::hash::BuildHasher;
        let hasher = BuildHasherDefault::<KeyHasher>::default();
        let v4 = |i: u32| ServiceKey::Addr {
            protocol: crate::model::Protocol::Tcp,
            addr: IpAddr::from((0xc612_0000 + i).to_be_bytes()),
            port: 80,
        };
        let v6 = |i: u32| ServiceKey::Addr {
            protocol: crate::model::Protocol::Tcp,
            addr: IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, (i >> 16) as u16, i as u16]),
            port: 443,
        };
        let port = |i: u32| ServiceKey::Addr {
            protocol: crate::model::Protocol::Udp,
            addr: IpAddr::from([10, 0, 0, 1]),
            port: i as u16,
        };
        for key in [&v4 as &dyn Fn(u32) -> ServiceKey, &v6, &port] {
            let buckets: std::collections::HashSet<u64> = (0..10_000)
                .map(|i| hasher.hash_one(key(i)) & 0x3fff)
                .collect();
            assert!(buckets.len() > 6_000, "{}", buckets.len());
        }
    }

    #[test]
    fn edits_replace_settings_and_keep_real_servers() {
        let mut t = Table::new();
        let s = tcp(80);
        t.apply(&Change::AddService(s.clone())).unwrap();
        t.apply(&Change::AddDest(s.key, rs(1))).unwrap();
        let mut e = s.clone();
        e.scheduler = crate::model::Name::truncated(b"rr");
        e.flags = crate::model::ServiceFlags::PERSISTENT;
        e.timeout = 300;
        t.apply(&Change::EditService(e.clone())).unwrap();
        let mut d = rs(1);
        d.forward = Forward::Masq;
        d.weight = 7;
        t.apply(&Change::EditDest(s.key, d.clone())).unwrap();
        let (svc, dests) = t.get(&s.key).unwrap();
        assert!(same_service_settings(svc, &e));
        assert_eq!(dests.len(), 1);
        assert!(same_dest_settings(&dests[0], &d));
    }

    #[test]
    fn deleting_a_service_keeps_the_others_reachable() {
        let mut t = Table::new();
        for port in 1..=5 {
            t.apply(&Change::AddService(tcp(port))).unwrap();
        }
        t.apply(&Change::AddDest(tcp(5).key, rs(1))).unwrap();
        t.apply(&Change::DeleteService(tcp(2).key)).unwrap();
        for port in [1, 3, 4, 5] {
            assert_eq!(t.get(&tcp(port).key).unwrap().0.key, tcp(port).key);
        }
        // The last service changed moved: real servers still go to the right one.
        t.apply(&Change::AddDest(tcp(5).key, rs(2))).unwrap();
        t.apply(&Change::AddDest(tcp(4).key, rs(3))).unwrap();
        assert_eq!(t.get(&tcp(5).key).unwrap().1.len(), 2);
        assert_eq!(t.get(&tcp(4).key).unwrap().1, [rs(3)]);
        assert!(t.get(&tcp(2).key).is_none());
        t.apply(&Change::Flush).unwrap();
        assert!(t.entries().is_empty());
        assert!(t.get(&tcp(1).key).is_none());
    }

    #[test]
    fn tables_compare_whatever_the_order_and_the_hashed_flag() {
        let fw = Service::new(ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 3,
        });
        let a = Table::from_entries(vec![
            (tcp(80), vec![rs(1), rs(2)]),
            (fw.clone(), Vec::new()),
        ])
        .unwrap();
        let mut hashed = fw.clone();
        hashed.flags |= crate::model::ServiceFlags::HASHED;
        let mut counted = rs(1);
        counted.active_conns = 9;
        let b = Table::from_entries(vec![(hashed, Vec::new()), (tcp(80), vec![rs(2), counted])])
            .unwrap();
        assert!(a.same_as(&b) && b.same_as(&a));
        let mut heavier = rs(2);
        heavier.weight = 2;
        let c = Table::from_entries(vec![
            (fw.clone(), Vec::new()),
            (tcp(80), vec![rs(1), heavier]),
        ])
        .unwrap();
        assert!(!a.same_as(&c));
        assert_eq!(
            Table::from_entries(vec![(fw.clone(), Vec::new()), (fw.clone(), Vec::new())])
                .unwrap_err(),
            DuplicateService(fw.key)
        );
    }
}
