//! Reading the real servers of a whole table through the kernel's older interface, the IPv4
//! socket options `IP_VS_SO_GET_SERVICES` and `IP_VS_SO_GET_DESTS`, rather than one netlink
//! dump per service, which is most of a listing's cost.
//!
//! The service list itself still comes from netlink's service dump, because the socket
//! options cannot say all of it. What they cannot say, found in `ip_vs_ctl.c` (6.1):
//!
//! - Services of other families: only `AF_INET` ones are listed, and `IP_VS_SO_GET_INFO`'s
//!   count of services counts only those too (`ip_vs_add_service` counts IPv4 services
//!   alone "for old get/setsockopt interface"), so nothing there says whether IPv6 services
//!   exist. Their real servers are read through netlink, a service at a time.
//! - The persistence engine (`pe_name`): the entries have no field for it.
//! - Real servers of another family than the service's: left out of the entries, though the
//!   service's `num_dests` counts them. A list shorter than that count is read through
//!   netlink, for that service only.
//! - Tunnel type, port and checksum flags: absent. A service with a tunnelling real server
//!   has its list read through netlink, for that service only. For real servers that do
//!   not tunnel the kernel keeps these settings but never uses them; this read gives the
//!   defaults (ipip, 0, none), which is what every ipvsadm command sets.
//! - Counters: cut to 32 bits (but the byte counts), and the rates too. So this read gives
//!   none; a walk that wants counters reads through netlink.
//!
//! So a whole-table read is the service dump (as before), then one `GET_SERVICES` call,
//! whose list (made in one pass under the IPVS mutex) must be, in order, the dump's IPv4
//! services (the kernel walks its tables in the same order for both), then one `GET_DESTS`
//! call per IPv4 service. A service deleted between the list and its real servers (`ESRCH`)
//! or lists that disagree (a change made meanwhile) start the whole read again, a few
//! times; then the real servers are left to the walk, through netlink, as before. A service
//! is never handed out with half its state.

mod abi;
pub(crate) mod store;

use std::os::fd::BorrowedFd;

use crate::client::{Client, Transport};
use crate::error::Error;
use crate::index::ServiceIndex;
use crate::model::{Dest, Family, ServiceKey};
use crate::sys::get_ctl;
use abi::{RawDest, RawService};
use store::Servers;

/// How many times the read starts again after a change made meanwhile.
const TRIES: usize = 4;

/// What attaching the real servers to an index came to.
pub(crate) enum Attach {
    /// The index holds its real servers now.
    Done,
    /// The socket options cannot be used here (no IPv4 socket, a refused call): the walk
    /// reads through netlink.
    Cannot,
    /// The table changed since the index was read: read it again.
    Changed,
}

impl<T: Transport> Client<T> {
    /// Reads the real servers of every service of `index` (fresh from the kernel, in its
    /// order) and keeps them in it ([`ServiceIndex::has_servers`]), IPv4 services' through
    /// the socket options, the others' through netlink (see the module notes).
    pub(crate) fn attach_servers(&mut self, index: &mut ServiceIndex) -> Result<Attach, Error> {
        let Some(fd) = self.transport().legacy_fd() else {
            return Ok(Attach::Cannot);
        };
        let Some(listed) = ipv4_services(fd, index.len()) else {
            return Ok(Attach::Cannot);
        };
        let mut listed = listed.into_iter();
        let mut servers = Servers::new();
        let mut dests = Vec::new();
        let mut buf = Vec::new();
        for &key in index.keys() {
            if key.family() != Family::Inet {
                // Through netlink, by the walk, as before (nothing to gain by reading it now).
                servers.push_later();
                continue;
            }
            let Some(raw) = listed.next() else {
                return Ok(Attach::Changed);
            };
            if key_of(&raw) != key {
                return Ok(Attach::Changed);
            }
            let fd = self.transport().legacy_fd().expect("had one above");
            if let Err(e) = read_dests(fd, &raw, &mut buf, &mut dests) {
                return Ok(refused(&e));
            }
            let whole = dests.len() == raw.num_dests as usize;
            if whole && !dests.iter().any(RawDest::tunnels) {
                servers.push_compact(&dests);
                continue;
            }
            // Tunnelling or other-family real servers, or a list that changed: this
            // service through netlink, and then it must still be there.
            let full = self.netlink_servers(&key, index.checked())?;
            let fd = self.transport().legacy_fd().expect("had one above");
            let still = RawService {
                num_dests: 0,
                ..raw
            };
            if let Err(e) = read_dests(fd, &still, &mut buf, &mut dests) {
                return Ok(refused(&e));
            }
            servers.push_full(full);
        }
        if listed.next().is_some() {
            return Ok(Attach::Changed);
        }
        index.set_servers(servers);
        Ok(Attach::Done)
    }

    /// `read`'s index with its real servers attached when they can be (and the client
    /// was not told otherwise, [`Client::set_one_call`]); after a change made meanwhile,
    /// read again, a few times, then without them (the walk reads them through netlink).
    pub(crate) fn with_servers(
        &mut self,
        mut read: impl FnMut(&mut Self) -> Result<ServiceIndex, Error>,
    ) -> Result<ServiceIndex, Error> {
        let mut index = read(self)?;
        if !self.one_call_enabled() {
            return Ok(index);
        }
        for again in 1..=TRIES {
            match self.attach_servers(&mut index)? {
                Attach::Done | Attach::Cannot => break,
                Attach::Changed => {
                    index = read(self)?;
                    index.set_changed(index.changed_reads() + again);
                }
            }
        }
        Ok(index)
    }

    /// The IPv4 services and all their real servers of their own family, read through the
    /// socket options alone and counted: `(services, real servers)`. The interface's own
    /// cost of a table, for benchmarks (examples/sockfloor.rs); a listing reads more.
    ///
    /// ```no_run
    /// let (services, servers) = linux_ipvs::Client::open()?.count_ipv4_table()?;
    /// println!("{services} IPv4 services, {servers} real servers");
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn count_ipv4_table(&mut self) -> Result<(usize, usize), Error> {
        let refused = || Error::Io(std::io::Error::from_raw_os_error(nix::libc::ENOPROTOOPT));
        let fd = self.transport().legacy_fd().ok_or_else(refused)?;
        let mut info = abi::info_request();
        get_ctl(fd, abi::SO_GET_INFO, &mut info).map_err(Error::Io)?;
        let counted = abi::info_services(&info);
        let listed = ipv4_services(fd, counted as usize).ok_or_else(refused)?;
        let (mut dests, mut buf) = (Vec::new(), Vec::new());
        let mut servers = 0;
        for raw in &listed {
            read_dests(fd, raw, &mut buf, &mut dests).map_err(Error::Io)?;
            servers += dests.len();
        }
        Ok((listed.len(), servers))
    }

    /// One service's real servers through netlink, without counters, checked as a walk
    /// checks them ([`Client::walk`]: for a consistent index, a list in several datagrams
    /// is read until two reads agree, at most `max_reads` times).
    fn netlink_servers(&mut self, key: &ServiceKey, max_reads: usize) -> Result<Vec<Dest>, Error> {
        let mut full = Vec::new();
        self.read_servers(key, max_reads, false, None, &mut full)?;
        Ok(full)
    }
}

/// The IPv4 services, from one `GET_SERVICES` call with room for `room` of them and one
/// more; `None` if the call fails or fills that room (more services than the index had:
/// the table grew, and the caller finds the lists differ).
fn ipv4_services(fd: BorrowedFd<'_>, room: usize) -> Option<Vec<RawService>> {
    let room = u32::try_from(room).ok()?.checked_add(1)?;
    let mut buf = abi::services_request(room);
    get_ctl(fd, abi::SO_GET_SERVICES, &mut buf).ok()?;
    Some(abi::services_answer(&buf).collect())
}

/// A service's real servers of its own family into `out`, with room for one more than the
/// service counted (a list that fills it grew meanwhile, and is not whole); `buf` holds the
/// request and answer, reused from one service to the next.
fn read_dests(
    fd: BorrowedFd<'_>,
    svc: &RawService,
    buf: &mut Vec<u8>,
    out: &mut Vec<RawDest>,
) -> std::io::Result<()> {
    abi::dests_request(buf, svc, svc.num_dests + 1);
    get_ctl(fd, abi::SO_GET_DESTS, buf)?;
    out.clear();
    out.extend(abi::dests_answer(buf));
    Ok(())
}

/// What a refused `GET_DESTS` means: the service is gone (`ESRCH`, the table changed since
/// it was listed), or the socket options cannot be used here.
fn refused(e: &std::io::Error) -> Attach {
    match e.raw_os_error() {
        Some(nix::libc::ESRCH) => Attach::Changed,
        _ => Attach::Cannot,
    }
}

/// The key of an entry.
fn key_of(raw: &RawService) -> ServiceKey {
    if raw.fwmark != 0 {
        ServiceKey::Fwmark {
            family: Family::Inet,
            mark: raw.fwmark,
        }
    } else {
        ServiceKey::Addr {
            protocol: crate::model::Protocol::from_raw(raw.protocol),
            addr: raw.addr.into(),
            port: raw.port,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{FakeKernel, tcp};
    use crate::model::{Name, Protocol};
    use std::ops::ControlFlow;
    use std::os::fd::AsFd;

    /// The stand-in kernel, with a real IPv4 socket for the socket options.
    struct WithLegacy {
        kernel: FakeKernel,
        legacy: std::net::UdpSocket,
    }

    impl Transport for WithLegacy {
        fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
            self.kernel.send(msgs)
        }
        fn recv(&mut self) -> Result<&[u8], Error> {
            self.kernel.recv()
        }
        fn reply_room(&self) -> usize {
            self.kernel.reply_room()
        }
        fn discard_waiting(&mut self) {
            self.kernel.discard_waiting()
        }
        fn legacy_fd(&self) -> Option<BorrowedFd<'_>> {
            Some(self.legacy.as_fd())
        }
    }

    #[test]
    fn refused_socket_options_leave_the_real_servers_to_netlink() {
        let legacy = std::net::UdpSocket::bind("127.0.0.1:0").expect("an IPv4 socket");
        let mut info = abi::info_request();
        if get_ctl(legacy.as_fd(), abi::SO_GET_INFO, &mut info).is_ok() {
            // This kernel has IPVS: its socket options answer (for this namespace's table,
            // not the stand-in's). The refusal is what is tested here.
            eprintln!("skipped: this kernel answers IP_VS_SO_GET_INFO");
            return;
        }
        let table: Vec<(crate::model::Service, Vec<Dest>)> = (80..83)
            .map(|port| {
                let dests = (1..=3)
                    .map(|i| Dest::new([198, 51, 100, i].into(), port))
                    .collect();
                (tcp(port), dests)
            })
            .collect();
        let fake = FakeKernel::client(table.clone());
        let family = fake.family_id();
        let transport = WithLegacy {
            kernel: fake.into_transport(),
            legacy,
        };
        let mut client = Client::with_transport(transport, family);
        // Through the socket options the index would hold the real servers; refused, it
        // does not, and the walk reads each service's through netlink.
        let index = client.service_index().expect("read through netlink");
        assert!(!index.has_servers());
        let mut walked = Vec::new();
        let _: ControlFlow<()> = client
            .walk(&index, false, |svc, dests| {
                walked.push((svc.key, dests.to_vec()));
                ControlFlow::Continue(())
            })
            .expect("walk through netlink");
        let expected: Vec<_> = table.iter().map(|(s, d)| (s.key, d.clone())).collect();
        assert_eq!(walked, expected);
        assert_eq!(client.transport().kernel.dest_dumps, 3);
    }

    #[test]
    fn an_entry_has_the_key_netlink_would_give() {
        let raw = RawService {
            protocol: 17,
            addr: [192, 0, 2, 5].into(),
            port: 53,
            fwmark: 0,
            scheduler: Name::truncated(b"sh"),
            flags: 3,
            timeout: 300,
            netmask: u32::MAX,
            num_dests: 0,
        };
        assert_eq!(key_of(&raw).protocol(), Some(Protocol::Udp));
        assert_eq!(key_of(&raw).port(), 53);
        // A fwmark service's protocol (TCP, or what the old interface was given) is no
        // part of its key.
        assert_eq!(
            key_of(&RawService { fwmark: 9, ..raw }),
            ServiceKey::Fwmark {
                family: Family::Inet,
                mark: 9
            }
        );
    }
}
