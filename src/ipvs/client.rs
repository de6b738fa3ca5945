//! The IPVS client: one generic-netlink socket per process, the `IPVS` family resolved once,
//! sequence numbers, an ACK for every change, batches of changes in one `send`, and dumps
//! that stop at `NLMSG_DONE` and start over when the kernel marks them interrupted.

use nix::libc;

use super::consts::*;
use super::model::{Daemon, Dest, Info, Service, ServiceKey, Timeouts};
use super::{Style, config, daemon, dest, service};
use crate::netlink::attr::{AttrWriter, Attrs};
use crate::netlink::msg::{
    Messages, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, Reply, push_genl_request,
};
use crate::netlink::{self, Error, Socket};

/// Upper bound on the bytes of requests sent in one datagram. The kernel handles the
/// messages one by one and ACKs each; keeping batches moderate keeps the ACKs (and error
/// replies, which echo the request) well inside the socket's receive buffer.
pub const BATCH_BYTES: usize = 32 * 1024;

/// How many times a dump interrupted by concurrent changes is started over.
const DUMP_RETRIES: usize = 16;

/// One change to the kernel's IPVS state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Add a virtual service (`-A`).
    AddService(Service),
    /// Replace a virtual service's settings (`-E`).
    EditService(Service),
    /// Delete a virtual service and its real servers (`-D`).
    DeleteService(Service),
    /// Add a real server to a service (`-a`).
    AddDest(Service, Dest),
    /// Replace a real server's settings (`-e`).
    EditDest(Service, Dest),
    /// Remove a real server (`-d`).
    DeleteDest(Service, Dest),
    /// Zero the counters of one service, or of all (`-Z`).
    Zero(Option<Service>),
    /// Delete every service (`-C`).
    Flush,
    /// Set protocol timeouts (`--set`).
    SetTimeouts(Timeouts),
    /// Start a sync daemon (`--start-daemon`).
    StartDaemon(Daemon),
    /// Stop a sync daemon (`--stop-daemon`).
    StopDaemon(Daemon),
}

impl Change {
    fn cmd(&self) -> u8 {
        match self {
            Change::AddService(_) => IPVS_CMD_NEW_SERVICE,
            Change::EditService(_) => IPVS_CMD_SET_SERVICE,
            Change::DeleteService(_) => IPVS_CMD_DEL_SERVICE,
            Change::AddDest(..) => IPVS_CMD_NEW_DEST,
            Change::EditDest(..) => IPVS_CMD_SET_DEST,
            Change::DeleteDest(..) => IPVS_CMD_DEL_DEST,
            Change::Zero(_) => IPVS_CMD_ZERO,
            Change::Flush => IPVS_CMD_FLUSH,
            Change::SetTimeouts(_) => IPVS_CMD_SET_CONFIG,
            Change::StartDaemon(_) => IPVS_CMD_NEW_DAEMON,
            Change::StopDaemon(_) => IPVS_CMD_DEL_DAEMON,
        }
    }

    /// Writes the request's attributes.
    pub fn encode(&self, w: &mut AttrWriter<'_>) {
        match self {
            Change::AddService(s) | Change::EditService(s) | Change::DeleteService(s) => {
                service::encode(w, s, Style::Request)
            }
            Change::AddDest(s, d) | Change::EditDest(s, d) | Change::DeleteDest(s, d) => {
                service::encode(w, s, Style::Request);
                dest::encode(w, d, Style::Request);
            }
            Change::Zero(Some(s)) => service::encode(w, s, Style::Request),
            Change::Zero(None) | Change::Flush => {}
            Change::SetTimeouts(t) => config::encode_timeouts(w, t),
            Change::StartDaemon(d) | Change::StopDaemon(d) => daemon::encode(w, d, Style::Request),
        }
    }
}

/// A connection to the kernel's IPVS: owns one socket and the family id.
#[derive(Debug)]
pub struct Client {
    sock: Socket,
    family: u16,
    seq: u32,
    tx: Vec<u8>,
}

impl Client {
    /// Opens the socket and resolves the `IPVS` generic-netlink family.
    pub fn open() -> Result<Client, Error> {
        let mut sock = Socket::open()?;
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        let family = netlink::resolve_family(&mut sock, IPVS_GENL_NAME, seq)?;
        Ok(Client {
            sock,
            family,
            seq: seq.wrapping_add(1),
            tx: Vec::with_capacity(BATCH_BYTES + 4096),
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Applies one change and waits for its ACK.
    pub fn apply(&mut self, change: &Change) -> Result<(), Error> {
        let mut results = self.apply_batch(std::slice::from_ref(change))?;
        results.pop().unwrap_or(Ok(()))
    }

    /// Applies changes in order, many per datagram, and returns each one's outcome, in the
    /// same order. The kernel carries on after a failed change, as separate requests would.
    /// The outer error is a failure of the socket itself.
    pub fn apply_batch(&mut self, changes: &[Change]) -> Result<Vec<Result<(), Error>>, Error> {
        let mut results: Vec<Option<Result<(), Error>>> = Vec::with_capacity(changes.len());
        results.resize_with(changes.len(), || None);
        let mut start = 0;
        while start < changes.len() {
            self.tx.clear();
            let first_seq = self.seq.wrapping_add(1);
            let mut end = start;
            while end < changes.len() && (end == start || self.tx.len() < BATCH_BYTES) {
                let seq = self.next_seq();
                let c = &changes[end];
                push_genl_request(
                    &mut self.tx,
                    self.family,
                    NLM_F_REQUEST | NLM_F_ACK,
                    seq,
                    c.cmd(),
                    IPVS_GENL_VERSION,
                    |w| c.encode(w),
                );
                end += 1;
            }
            self.sock.send(&self.tx)?;
            let mut pending = end - start;
            while pending > 0 {
                let data = self.sock.recv()?;
                for m in Messages::new(data) {
                    let m = m?;
                    let idx = m.seq.wrapping_sub(first_seq) as usize;
                    if idx >= end - start || results[start + idx].is_some() {
                        continue;
                    }
                    let outcome = match m.reply()? {
                        Reply::Ack => Ok(()),
                        Reply::Error { errno, ext_ack } => Err(Error::Kernel { errno, ext_ack }),
                        _ => continue,
                    };
                    results[start + idx] = Some(outcome);
                    pending -= 1;
                }
            }
            start = end;
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or(Err(Error::Malformed("no reply"))))
            .collect())
    }

    /// Sends a request and collects the data messages of its reply: a dump (`dump`) ends at
    /// `NLMSG_DONE`, a plain request at its ACK. `each` sees each message's attributes.
    fn request<T>(
        &mut self,
        cmd: u8,
        dump: bool,
        attrs: impl Fn(&mut AttrWriter<'_>),
        mut each: impl FnMut(&[u8], &mut Vec<T>) -> Result<(), Error>,
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        for _ in 0..DUMP_RETRIES {
            out.clear();
            let seq = self.next_seq();
            self.tx.clear();
            let flags = NLM_F_REQUEST | NLM_F_ACK | if dump { NLM_F_DUMP } else { 0 };
            push_genl_request(
                &mut self.tx,
                self.family,
                flags,
                seq,
                cmd,
                IPVS_GENL_VERSION,
                &attrs,
            );
            self.sock.send(&self.tx)?;
            let mut interrupted = false;
            'recv: loop {
                let data = self.sock.recv()?;
                for m in Messages::new(data) {
                    let m = m?;
                    if m.seq != seq {
                        continue;
                    }
                    match m.reply()? {
                        Reply::Data {
                            attrs,
                            interrupted: i,
                            ..
                        } => {
                            interrupted |= i;
                            each(attrs, &mut out)?;
                        }
                        Reply::Done { interrupted: i } => {
                            interrupted |= i;
                            break 'recv;
                        }
                        Reply::Ack => break 'recv,
                        Reply::Error { errno, ext_ack } => {
                            return Err(Error::Kernel { errno, ext_ack });
                        }
                        Reply::Other => {}
                    }
                }
            }
            if !interrupted {
                return Ok(out);
            }
        }
        Err(Error::Kernel {
            errno: libc::EINTR,
            ext_ack: Some("dump kept being interrupted".into()),
        })
    }

    /// Version and connection table size (`IPVS_CMD_GET_INFO`).
    pub fn info(&mut self) -> Result<Info, Error> {
        self.request(
            IPVS_CMD_GET_INFO,
            false,
            |_| {},
            |a, out| {
                out.push(config::decode_info(a)?);
                Ok(())
            },
        )?
        .pop()
        .ok_or(Error::Malformed("no info in reply"))
    }

    /// All virtual services, in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<Service>, Error> {
        self.request(
            IPVS_CMD_GET_SERVICE,
            true,
            |_| {},
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_SERVICE, |p| {
                    out.push(service::decode(p)?);
                    Ok(())
                })
            },
        )
    }

    /// One virtual service, looked up by its key (`No such service` is `ESRCH`).
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service, Error> {
        let mut probe = Service::new(*key);
        probe.scheduler.clear();
        probe.netmask = 0;
        self.request(
            IPVS_CMD_GET_SERVICE,
            false,
            |w| service::encode(w, &probe, Style::Request),
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_SERVICE, |p| {
                    out.push(service::decode(p)?);
                    Ok(())
                })
            },
        )?
        .pop()
        .ok_or(Error::Kernel {
            errno: libc::ESRCH,
            ext_ack: None,
        })
    }

    /// The real servers of a service, in the kernel's order.
    pub fn dests(&mut self, key: &ServiceKey) -> Result<Vec<Dest>, Error> {
        let family = key.family();
        self.request(
            IPVS_CMD_GET_DEST,
            true,
            |w| service::encode_key_only(w, key),
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_DEST, |p| {
                    out.push(dest::decode(p, family)?);
                    Ok(())
                })
            },
        )
    }

    /// The protocol timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts, Error> {
        self.request(
            IPVS_CMD_GET_CONFIG,
            false,
            |_| {},
            |a, out| {
                out.push(config::decode_timeouts(a)?);
                Ok(())
            },
        )?
        .pop()
        .ok_or(Error::Malformed("no timeouts in reply"))
    }

    /// The running sync daemons (master first, as the kernel reports them).
    pub fn daemons(&mut self) -> Result<Vec<Daemon>, Error> {
        self.request(
            IPVS_CMD_GET_DAEMON,
            true,
            |_| {},
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_DAEMON, |p| {
                    out.push(daemon::decode(p)?);
                    Ok(())
                })
            },
        )
    }

    /// Every service with its real servers, in the kernel's order.
    pub fn snapshot(&mut self) -> Result<Vec<(Service, Vec<Dest>)>, Error> {
        let services = self.services()?;
        let mut out = Vec::with_capacity(services.len());
        for s in services {
            let d = self.dests(&s.key)?;
            out.push((s, d));
        }
        Ok(out)
    }
}

fn for_each_nest(
    attrs: &[u8],
    kind: u16,
    mut f: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    for a in Attrs::new(attrs) {
        let a = a?;
        if a.kind == kind {
            f(a.payload)?;
        }
    }
    Ok(())
}
