//! Reading the kernel's state: info, timeouts, sync daemons, one service, a service's real
//! servers, every service, and the whole table (held in memory, or a service at a time in
//! flat memory with [`Client::service_index`] and [`Client::walk`]). These reads take the
//! table as it comes; `consistency` reads it until no concurrent change has torn it.

use std::ops::ControlFlow;

use nix::libc;

use crate::client::exchange::{
    DUMP_RETRIES, Read, abandon_on_error, for_each_nest, kept_interrupted,
};
use crate::client::{Client, Transport};
use crate::codec::{Style, config, daemon, dest, service};
use crate::consts::*;
use crate::error::Error;
use crate::index::ServiceIndex;
use crate::model::{Daemon, Dest, Info, Name, Service, ServiceKey, Timeouts};
use crate::netlink::Expect;
use crate::netlink::msg::{Messages, NLM_F_REQUEST, Reply, push_genl_request};

impl<T: Transport> Client<T> {
    /// Version and connection table size (`IPVS_CMD_GET_INFO`).
    ///
    /// ```no_run
    /// let info = linux_ipvs::Client::open()?.info()?;
    /// let (major, minor, patch) = info.version();
    /// println!("IPVS {major}.{minor}.{patch}, {} hash buckets", info.conn_tab_size);
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn info(&mut self) -> Result<Info, Error> {
        self.request(
            IPVS_CMD_GET_INFO,
            Read::One,
            |_| {},
            |a, out| {
                out.push(config::decode_info(a)?);
                Ok(())
            },
        )?
        .pop()
        .ok_or_else(Error::malformed("no info in reply"))
    }

    /// All virtual services, in the kernel's order, with their counters.
    ///
    /// ```no_run
    /// for svc in linux_ipvs::Client::open()?.services()? {
    ///     let conns = svc.stats.map_or(0, |s| s.conns);
    ///     println!("{:?}: {} connections so far", svc.key, conns);
    /// }
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn services(&mut self) -> Result<Vec<Service>, Error> {
        self.request(
            IPVS_CMD_GET_SERVICE,
            Read::Table,
            |_| {},
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_SERVICE, |p| {
                    out.push(service::decode(p)?);
                    Ok(())
                })
            },
        )
    }

    /// One virtual service, looked up by its key; a key the kernel does not have gives the
    /// errno `ESRCH`.
    ///
    /// ```no_run
    /// use linux_ipvs::{Client, Family, ServiceKey};
    ///
    /// let svc = Client::open()?.service(&ServiceKey::Fwmark { family: Family::Inet6, mark: 3 })?;
    /// println!("scheduler {}", svc.scheduler);
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service, Error> {
        let mut probe = Service::new(*key);
        probe.scheduler = Name::EMPTY;
        probe.netmask = crate::model::Netmask::from_raw(0);
        self.request(
            IPVS_CMD_GET_SERVICE,
            Read::One,
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

    /// The real servers of a service, in the kernel's order (newest first), with their
    /// connection counts and counters.
    ///
    /// ```no_run
    /// use linux_ipvs::{Client, Protocol, ServiceKey};
    ///
    /// let key = ServiceKey::Addr { protocol: Protocol::Tcp, addr: "192.0.2.10".parse()?, port: 80 };
    /// for d in Client::open()?.dests(&key)? {
    ///     println!("{}:{} weight {} active {}", d.addr, d.port, d.weight, d.active_conns);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dests(&mut self, key: &ServiceKey) -> Result<Vec<Dest>, Error> {
        let family = key.family();
        self.request(
            IPVS_CMD_GET_DEST,
            Read::Short,
            |w| service::encode_key_only(w, key),
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_DEST, |p| {
                    out.push(dest::decode(p, family)?);
                    Ok(())
                })
            },
        )
    }

    /// The protocol timeouts, in seconds.
    ///
    /// ```no_run
    /// let t = linux_ipvs::Client::open()?.timeouts()?;
    /// println!("tcp {} tcpfin {} udp {}", t.tcp, t.tcp_fin, t.udp);
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn timeouts(&mut self) -> Result<Timeouts, Error> {
        self.request(
            IPVS_CMD_GET_CONFIG,
            Read::One,
            |_| {},
            |a, out| {
                out.push(config::decode_timeouts(a)?);
                Ok(())
            },
        )?
        .pop()
        .ok_or_else(Error::malformed("no timeouts in reply"))
    }

    /// The running sync daemons (master first, as the kernel reports them).
    ///
    /// ```no_run
    /// for d in linux_ipvs::Client::open()?.daemons()? {
    ///     println!("{:?} on {} syncid {}", d.state, d.mcast_ifn, d.syncid);
    /// }
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn daemons(&mut self) -> Result<Vec<Daemon>, Error> {
        self.request(
            IPVS_CMD_GET_DAEMON,
            Read::Short,
            |_| {},
            |a, out| {
                for_each_nest(a, IPVS_CMD_ATTR_DAEMON, |p| {
                    out.push(daemon::decode(p)?);
                    Ok(())
                })
            },
        )
    }

    /// Every service with its real servers, in the kernel's order: one service dump, then
    /// one real-server dump per service.
    ///
    /// ```no_run
    /// let table = linux_ipvs::Client::open()?.snapshot()?;
    /// let servers: usize = table.iter().map(|(_, dests)| dests.len()).sum();
    /// println!("{} services, {servers} real servers", table.len());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn snapshot(&mut self) -> Result<Vec<(Service, Vec<Dest>)>, Error> {
        let services = self.services()?;
        let mut out = Vec::with_capacity(services.len());
        for s in services {
            let d = self.dests(&s.key)?;
            out.push((s, d));
        }
        Ok(out)
    }

    /// Every virtual service in one read of the kernel's table, in the kernel's order:
    /// keys and settings, without counters, in compact records (one service dump).
    /// [`Client::walk`] then reads each one's real servers.
    ///
    /// The kernel resumes a service dump by position and does not mark one that a
    /// concurrent change disturbed, so a read taken while another process changes the
    /// table can miss or repeat services. This read takes the table as it comes (the way
    /// `ipvsadm -L` does); [`Client::consistent_service_index`] reads until it is sure.
    ///
    /// ```no_run
    /// let index = linux_ipvs::Client::open()?.service_index()?;
    /// println!("{} services", index.len());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn service_index(&mut self) -> Result<ServiceIndex, Error> {
        self.with_servers(|c| {
            let (mut index, _) = c.read_index(false)?;
            index.set_reads(1);
            Ok(index)
        })
    }

    /// [`Client::service_index`], keeping each service's counters as the same dump gives
    /// them (the dump carries them either way): a [`Client::walk`] with counters then takes
    /// the services' counters from the index instead of asking for each service again.
    /// The index holds about three times the memory. It never holds the real servers
    /// ([`Client::set_one_call`]): a walk with counters reads them through netlink, with
    /// theirs.
    ///
    /// ```no_run
    /// let index = linux_ipvs::Client::open()?.service_index_with_counters()?;
    /// let conns: u64 = (0..index.len())
    ///     .filter_map(|i| index.service(i)?.stats)
    ///     .map(|s| s.conns)
    ///     .sum();
    /// println!("{conns} connections so far");
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn service_index_with_counters(&mut self) -> Result<ServiceIndex, Error> {
        let (mut index, _) = self.read_index(true)?;
        index.set_reads(1);
        Ok(index)
    }

    /// One service dump into an index (keeping the counters with `counters`); also how
    /// many datagrams carried services.
    pub(super) fn read_index(&mut self, counters: bool) -> Result<(ServiceIndex, usize), Error> {
        self.send_queued()?;
        for _ in 0..DUMP_RETRIES {
            let mut index = if counters {
                ServiceIndex::with_counters()
            } else {
                ServiceIndex::new()
            };
            let x = self.exchange(IPVS_CMD_GET_SERVICE, Read::Table, |_| {}, &mut |a| {
                for_each_nest(a, IPVS_CMD_ATTR_SERVICE, |p| {
                    // Without counters the index would drop them: not decoded at all.
                    index.push(match counters {
                        true => service::decode(p)?,
                        false => service::decode_settings(p)?,
                    });
                    Ok(())
                })
            })?;
            if !x.interrupted {
                return Ok((index, x.parts));
            }
        }
        Err(kept_interrupted())
    }

    /// Hands each service of `index`, in the index's order, with its real servers to
    /// `visit`, one service at a time: memory stays that of one service, however large the
    /// table. Each service's real servers come from a dump of their own, in the kernel's
    /// order. Without `counters`, the service is the index's record, and no counters are
    /// read (`None`). With `counters`, the real servers come with theirs, and so does the
    /// service: from the index when it was read with counters
    /// ([`Client::service_index_with_counters`]), else read again in the same datagram as
    /// its real servers (its settings as they are then; a request more per service). A
    /// service deleted since the index was read is handed with no real servers (and, with
    /// `counters`, as the index has it). Stops early when `visit` breaks, and returns what
    /// it broke with.
    ///
    /// For an index from [`Client::consistent_service_index`], each real-server list is
    /// checked as the services were (the kernel resumes those dumps by position too): a
    /// list that came in more than one datagram is read again until two reads in a row
    /// agree and none lists a real server twice, at most as many times as the index
    /// allowed its own reads; then the walk fails with [`Error::Torn`].
    ///
    /// ```no_run
    /// use std::ops::ControlFlow;
    ///
    /// let mut ipvs = linux_ipvs::Client::open()?;
    /// let index = ipvs.service_index()?;
    /// ipvs.walk(&index, true, |svc, dests| {
    ///     let conns = svc.stats.map_or(0, |s| s.conns);
    ///     println!("{:?}: {conns} connections, {} real servers", svc.key, dests.len());
    ///     ControlFlow::<()>::Continue(())
    /// })?;
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn walk<B>(
        &mut self,
        index: &ServiceIndex,
        counters: bool,
        mut visit: impl FnMut(&Service, &[Dest]) -> ControlFlow<B>,
    ) -> Result<ControlFlow<B>, Error> {
        self.walk_lists(index, counters, |svc, dests| visit(svc, dests))
    }

    /// [`Client::walk`], handing each real-server list itself: `visit` may take it (and the
    /// walk starts a new one), so that a whole-table snapshot keeps the lists the walk read
    /// instead of copying them.
    pub(crate) fn walk_lists<B>(
        &mut self,
        index: &ServiceIndex,
        counters: bool,
        mut visit: impl FnMut(&Service, &mut Vec<Dest>) -> ControlFlow<B>,
    ) -> Result<ControlFlow<B>, Error> {
        self.send_queued()?;
        let mut svc = Service::with_scheduler(
            ServiceKey::Fwmark {
                family: crate::model::Family::Inet,
                mark: 0,
            },
            Name::default(),
        );
        let mut fresh = None;
        let mut dests = Vec::new();
        // The service's counters from the index when it kept them, else read again.
        let again = counters && !index.has_counters();
        for i in 0..index.len() {
            index.fill(i, &mut svc);
            if !counters && index.stored_servers(i, &mut dests) {
                if let ControlFlow::Break(b) = visit(&svc, &mut dests) {
                    return Ok(ControlFlow::Break(b));
                }
                continue;
            }
            self.read_servers(
                &svc.key,
                index.checked(),
                counters,
                again.then_some(&mut fresh),
                &mut dests,
            )?;
            let shown = fresh.as_ref().filter(|_| again).unwrap_or(&svc);
            if let ControlFlow::Break(b) = visit(shown, &mut dests) {
                return Ok(ControlFlow::Break(b));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// One datagram for one service: with `fresh`, its settings and counters (a plain
    /// `GET_SERVICE`, whose answer, or `None` if it has gone, lands there), then its real
    /// servers (a dump, into `dests`; their counters decoded with `counters`). Returns how
    /// many datagrams carried real servers.
    pub(super) fn read_one(
        &mut self,
        key: &ServiceKey,
        counters: bool,
        mut fresh: Option<&mut Option<Service>>,
        dests: &mut Vec<Dest>,
    ) -> Result<usize, Error> {
        self.tx.clear();
        let get = self.next_seq();
        if fresh.is_some() {
            // No ACK: the reply (or an error) is the whole answer.
            push_genl_request(
                &mut self.tx,
                self.family,
                NLM_F_REQUEST,
                get,
                IPVS_CMD_GET_SERVICE,
                IPVS_GENL_VERSION,
                |w| service::encode_key_only(w, key),
            )?;
        }
        let dump = self.next_seq();
        push_genl_request(
            &mut self.tx,
            self.family,
            Read::Short.flags(),
            dump,
            IPVS_CMD_GET_DEST,
            IPVS_GENL_VERSION,
            |w| service::encode_key_only(w, key),
        )?;
        self.sock.send_for(Expect::Reply, &self.tx)?;
        if let Some(f) = fresh.as_deref_mut() {
            *f = None;
        }
        dests.clear();
        let family = key.family();
        let mut done = false;
        let mut parts = 0;
        while !done {
            let received = self.sock.recv_many(Expect::Reply, &mut |data| {
                let mut carried = false;
                for m in Messages::new(data) {
                    let m = m?;
                    if m.seq == get {
                        let Some(f) = fresh.as_deref_mut() else {
                            continue;
                        };
                        match m.reply()? {
                            Reply::Data { attrs, .. } => {
                                for_each_nest(attrs, IPVS_CMD_ATTR_SERVICE, |p| {
                                    *f = Some(service::decode(p)?);
                                    Ok(())
                                })?;
                            }
                            // Gone since the index was read.
                            Reply::Error { errno, .. } if errno == libc::ESRCH => {}
                            Reply::Error { errno, ext_ack } => {
                                return Err(Error::Kernel { errno, ext_ack });
                            }
                            _ => {}
                        }
                    } else if m.seq == dump && !done {
                        match m.reply()? {
                            Reply::Data { attrs, .. } => {
                                carried = true;
                                for_each_nest(attrs, IPVS_CMD_ATTR_DEST, |p| {
                                    dests.push(dest::decode_with(p, family, counters)?);
                                    Ok(())
                                })?;
                            }
                            Reply::Done { .. } | Reply::Ack => done = true,
                            Reply::Error { errno, ext_ack } => {
                                return Err(Error::Kernel { errno, ext_ack });
                            }
                            Reply::Other => {}
                        }
                    }
                }
                parts += usize::from(carried);
                Ok(())
            });
            abandon_on_error(&mut self.sock, received)?;
        }
        Ok(parts)
    }
}
