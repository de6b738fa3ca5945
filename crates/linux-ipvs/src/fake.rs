//! A stand-in for the kernel's IPVS, for tests (the `test-util` feature): a [`Transport`]
//! that keeps a [`Table`],
//! changes it with the requests it is sent (ACKing each, or answering with the errno the
//! table gives), and answers service and real-server dumps from it, a few entries per
//! datagram as the kernel splits a long dump. Dumps can be torn on purpose, as the kernel's
//! are when another process changes the table during a read (which only a dump in more
//! than one datagram can be).
//!
//! It answers what a reconciler sends: service and real-server changes, flushes, service
//! and real-server reads; other requests (counters zeroed, timeouts, sync daemons) make it
//! panic, as a test should. So a controller's reconcile loop can be unit-tested without
//! root or IPVS:
//!
//! ```
//! use linux_ipvs::fake::FakeKernel;
//! use linux_ipvs::{Dest, Removal, Service, ServiceKey, Protocol, plan};
//!
//! let key = ServiceKey::Addr { protocol: Protocol::Tcp, addr: "192.0.2.1".parse()?, port: 80 };
//! let desired = vec![(Service::new(key), vec![Dest::new("198.51.100.2".parse()?, 80)])];
//! let mut ipvs = FakeKernel::client(Vec::new()); // an empty table
//! let current = ipvs.consistent_snapshot(5, false)?.entries;
//! let todo = plan(&current, &desired, Removal::Immediate);
//! assert!(todo.apply(&mut ipvs)?.iter().all(Result::is_ok));
//! assert_eq!(ipvs.transport().table.entries().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;

use nix::libc;

use crate::client::{Change, Client, Transport};
use crate::codec::{Style, dest, service};
use crate::consts::*;
use crate::error::Error;
use crate::model::{Dest, Family, Service, ServiceKey};
use crate::netlink::attr::{AttrWriter, Attrs};
use crate::netlink::msg::{Messages, NLMSG_DONE, NLMSG_ERROR};
use crate::table::Table;

const FAMILY: u16 = 0x21;
const NLM_F_MULTI: u16 = 0x02;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_ACK: u16 = 0x04;

/// Entries per datagram of a dump.
pub const PER_DATAGRAM: usize = 4;

/// What happens to one dump (services or one service's real servers), in order of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tear {
    /// The dump is whole.
    Quiet,
    /// The item at this position comes twice (something was added before it meanwhile).
    Repeat(usize),
    /// The item at this position is missing (something before it was deleted meanwhile).
    Skip(usize),
    /// Before this service dump, another process adds the fwmark service with this mark.
    Add(u32),
}

/// A failure of the socket, for testing what a program makes of a batch of changes cut
/// short ([`Error::Batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The datagram numbered `nth` (counting from 0 the datagrams this stand-in has
    /// received, [`FakeKernel::datagrams`]) is not sent: the send fails with `errno`.
    Send {
        /// Which datagram.
        nth: usize,
        /// The send's errno.
        errno: i32,
    },
    /// Like a receive buffer that ran over: from the change numbered `nth` on (counting
    /// from 0 the changes received, [`FakeKernel::changes`]), changes are made but their
    /// replies dropped, until the client next receives; that receive fails with `ENOBUFS`,
    /// and the replies queued before the first one dropped wait behind it, as the
    /// kernel's do.
    LoseReplies {
        /// The first change whose reply is dropped.
        nth: usize,
    },
}

/// The stand-in kernel (see the module).
pub struct FakeKernel {
    /// The table as the kernel holds it.
    pub table: Table,
    /// What happens to the next service dumps, one each.
    pub service_tears: VecDeque<Tear>,
    /// What happens to the next real-server dumps, one each.
    pub dest_tears: VecDeque<Tear>,
    /// Service dumps answered.
    pub service_dumps: usize,
    /// Real-server dumps answered.
    pub dest_dumps: usize,
    /// Changes received (each request that is not a dump).
    pub changes: usize,
    /// Datagrams received.
    pub datagrams: usize,
    /// A failure to come, if any (taken once it happens).
    pub fault: Option<Fault>,
    /// What [`Transport::reply_room`] says: how many changes a datagram may hold.
    pub reply_room: usize,
    /// Replies are being dropped ([`Fault::LoseReplies`]).
    dropping: bool,
    replies: VecDeque<Vec<u8>>,
    current: Vec<u8>,
}

impl FakeKernel {
    /// A client talking to a stand-in kernel that holds `entries`.
    pub fn client(entries: Vec<(Service, Vec<Dest>)>) -> Client<FakeKernel> {
        FakeKernel::client_with(entries, &[], &[])
    }

    /// [`FakeKernel::client`] with tears for the first service and real-server dumps.
    pub fn client_with(
        entries: Vec<(Service, Vec<Dest>)>,
        service_tears: &[Tear],
        dest_tears: &[Tear],
    ) -> Client<FakeKernel> {
        let k = FakeKernel {
            table: Table::from_entries(entries).expect("unique keys"),
            service_tears: service_tears.iter().copied().collect(),
            dest_tears: dest_tears.iter().copied().collect(),
            service_dumps: 0,
            dest_dumps: 0,
            changes: 0,
            datagrams: 0,
            fault: None,
            reply_room: usize::MAX,
            dropping: false,
            replies: VecDeque::new(),
            current: Vec::new(),
        };
        Client::with_transport(k, FAMILY)
    }

    fn answer(&mut self, seq: u32, flags: u16, cmd: u8, attrs: &[u8]) -> Result<(), Error> {
        let mut svc = None;
        let mut dst = None;
        for a in Attrs::new(attrs) {
            let a = a?;
            match a.kind {
                IPVS_CMD_ATTR_SERVICE => svc = Some(service::decode(a.payload)?),
                IPVS_CMD_ATTR_DEST => dst = Some(a.payload),
                _ => {}
            }
        }
        let family = svc.as_ref().map_or(Family::Inet, |s| s.key.family());
        let dst = dst.map(|p| dest::decode(p, family)).transpose()?;
        match cmd {
            IPVS_CMD_GET_SERVICE if flags & NLM_F_DUMP != NLM_F_DUMP => {
                let key = svc.expect("a service in a service request").key;
                let reply = match self.table.get(&key) {
                    Some((s, _)) => data(seq, IPVS_CMD_NEW_SERVICE, |w| {
                        let mut s = s.clone();
                        s.flags |= crate::model::ServiceFlags::HASHED;
                        service::encode(w, &s, Style::Reply)
                    }),
                    None => {
                        let mut p = (-libc::ESRCH).to_ne_bytes().to_vec();
                        p.extend_from_slice(&[0; 16]);
                        message(NLMSG_ERROR, 0, seq, &p)
                    }
                };
                self.replies.push_back(reply);
            }
            IPVS_CMD_GET_SERVICE => {
                let tear = self.service_tears.pop_front().unwrap_or(Tear::Quiet);
                if let Tear::Add(mark) = tear {
                    let key = ServiceKey::Fwmark {
                        family: Family::Inet,
                        mark,
                    };
                    let _ = self.table.apply(&Change::AddService(Service::new(key)));
                }
                self.service_dumps += 1;
                let items: Vec<Service> =
                    self.table.entries().iter().map(|e| e.0.clone()).collect();
                let mut parts = Vec::new();
                for s in torn(&items, tear) {
                    parts.push(data(seq, IPVS_CMD_NEW_SERVICE, |w| {
                        let mut s = s.clone();
                        s.flags |= crate::model::ServiceFlags::HASHED;
                        service::encode(w, &s, Style::Reply)
                    }));
                }
                self.dump_reply(seq, parts);
            }
            IPVS_CMD_GET_DEST => {
                let tear = self.dest_tears.pop_front().unwrap_or(Tear::Quiet);
                self.dest_dumps += 1;
                let key = svc.expect("a service in a real-server dump").key;
                let items = self
                    .table
                    .get(&key)
                    .map(|e| e.1.clone())
                    .unwrap_or_default();
                let parts = torn(&items, tear)
                    .map(|d| data(seq, IPVS_CMD_NEW_DEST, |w| dest::encode(w, d, Style::Reply)))
                    .collect();
                self.dump_reply(seq, parts);
            }
            _ => {
                self.changes += 1;
                let s = || svc.clone().expect("a service in the request");
                let d = || dst.clone().expect("a real server in the request");
                let change = match cmd {
                    IPVS_CMD_NEW_SERVICE => Change::AddService(s()),
                    IPVS_CMD_SET_SERVICE => Change::EditService(s()),
                    IPVS_CMD_DEL_SERVICE => Change::DeleteService(s().key),
                    IPVS_CMD_NEW_DEST => Change::AddDest(s().key, d()),
                    IPVS_CMD_SET_DEST => Change::EditDest(s().key, d()),
                    IPVS_CMD_DEL_DEST => Change::DeleteDest(s().key, d().key()),
                    IPVS_CMD_FLUSH => Change::Flush,
                    other => panic!("the stand-in kernel does not know command {other}"),
                };
                if self.fault
                    == Some(Fault::LoseReplies {
                        nth: self.changes - 1,
                    })
                {
                    self.fault = None;
                    self.dropping = true;
                }
                let errno = self.table.apply(&change).err().map_or(0, |e| e.errno());
                // Like the kernel: an error for a change refused, an ACK if asked for.
                if self.dropping || (errno == 0 && flags & NLM_F_ACK == 0) {
                    return Ok(());
                }
                let mut p = (-errno).to_ne_bytes().to_vec();
                p.extend_from_slice(&[0; 16]);
                self.replies.push_back(message(NLMSG_ERROR, 0, seq, &p));
            }
        }
        Ok(())
    }

    /// Queues a dump's entries, [`PER_DATAGRAM`] to a datagram, `NLMSG_DONE` in the last.
    fn dump_reply(&mut self, seq: u32, parts: Vec<Vec<u8>>) {
        let mut datagrams: Vec<Vec<u8>> = parts.chunks(PER_DATAGRAM).map(|c| c.concat()).collect();
        if datagrams.is_empty() {
            datagrams.push(Vec::new());
        }
        let last = datagrams.last_mut().expect("one at least");
        last.extend(message(NLMSG_DONE, NLM_F_MULTI, seq, &[0; 4]));
        self.replies.extend(datagrams);
    }
}

/// The TCP service 192.0.2.1:`port`, with default settings: the tests' usual service.
pub fn tcp(port: u16) -> Service {
    Service::new(ServiceKey::Addr {
        protocol: crate::model::Protocol::Tcp,
        addr: "192.0.2.1".parse().unwrap(),
        port,
    })
}

/// The items of a dump, torn as `tear` says.
fn torn<T>(items: &[T], tear: Tear) -> impl Iterator<Item = &T> {
    items.iter().enumerate().flat_map(move |(i, x)| {
        let times = match tear {
            Tear::Repeat(at) if at == i => 2,
            Tear::Skip(at) if at == i => 0,
            _ => 1,
        };
        std::iter::repeat_n(x, times)
    })
}

fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + payload.len());
    crate::netlink::msg::message(&mut m, kind, flags, seq, payload);
    m
}

fn data(seq: u32, cmd: u8, attrs: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
    let mut p = vec![cmd, IPVS_GENL_VERSION, 0, 0];
    attrs(&mut AttrWriter::new(&mut p));
    message(FAMILY, NLM_F_MULTI, seq, &p)
}

impl Transport for FakeKernel {
    fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
        let nth = self.datagrams;
        self.datagrams += 1;
        if let Some(Fault::Send { nth: at, errno }) = self.fault {
            if at == nth {
                self.fault = None;
                return Err(Error::Io(std::io::Error::from_raw_os_error(errno)));
            }
        }
        for m in Messages::new(msgs) {
            let m = m?;
            let (cmd, attrs) = (m.payload[0], &m.payload[4..]);
            self.answer(m.seq, m.flags, cmd, attrs)?;
        }
        Ok(())
    }

    fn recv(&mut self) -> Result<&[u8], Error> {
        if std::mem::take(&mut self.dropping) {
            return Err(Error::Io(std::io::Error::from_raw_os_error(libc::ENOBUFS)));
        }
        self.current = self
            .replies
            .pop_front()
            .expect("the client waits for a reply that never comes");
        Ok(&self.current)
    }

    fn reply_room(&self) -> usize {
        self.reply_room
    }

    fn discard_waiting(&mut self) {
        self.replies.clear();
    }

    fn read_waiting(&mut self, each: &mut dyn FnMut(&[u8])) {
        for r in self.replies.drain(..) {
            each(&r);
        }
    }
}
