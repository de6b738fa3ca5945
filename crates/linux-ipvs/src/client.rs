//! The IPVS client: one generic-netlink socket per process (and a second one for table
//! dumps), the `IPVS` family resolved once, sequence numbers, batches of changes in one
//! `send` with one ACK per batch, dumps that stop at `NLMSG_DONE` and start over when the
//! kernel marks them interrupted, and whole-table reads one service at a time.

use std::ops::ControlFlow;

use nix::libc;

use crate::codec::{Style, config, daemon, dest, service};
use crate::consts::*;
use crate::index::ServiceIndex;
use crate::model::{Daemon, Dest, Info, Name, Service, ServiceKey, Timeouts};
use crate::netlink::attr::{AttrWriter, Attrs};
use crate::netlink::msg::{
    Messages, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, Reply, add_flags, push_genl_request,
};
use crate::netlink::{self, Error, Expect, Socket};

/// Upper bound on the bytes of requests sent in one datagram. The kernel handles the
/// messages one by one and answers each one that fails with an error that echoes it;
/// keeping batches moderate keeps those replies well inside the socket's receive buffer.
pub const BATCH_BYTES: usize = 32 * 1024;

/// How many times a dump interrupted by concurrent changes is started over.
const DUMP_RETRIES: usize = 16;

/// How a request is answered, and so which flags it carries and how its reply is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// One reply, then the ACK.
    One,
    /// A short dump: one service's real servers, the sync daemons.
    Short,
    /// The dump of a whole table (every service), on the table socket.
    Table,
}

impl Read {
    fn flags(self) -> u16 {
        match self {
            Read::One => NLM_F_REQUEST | NLM_F_ACK,
            Read::Short | Read::Table => NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
        }
    }
    fn expect(self) -> Expect {
        match self {
            Read::One | Read::Short => Expect::Reply,
            Read::Table => Expect::Dump,
        }
    }
}

/// What reading a reply found besides its data.
#[derive(Debug, Default)]
struct Exchange {
    /// How many datagrams carried data. Each is one pass of the kernel's dump code, made
    /// under the IPVS mutex: a dump that came in one is a consistent picture.
    parts: usize,
    /// The kernel marked the dump interrupted.
    interrupted: bool,
}

fn kept_interrupted() -> Error {
    Error::Kernel {
        errno: libc::EINTR,
        ext_ack: Some("dump kept being interrupted".into()),
    }
}

/// One change to the kernel's IPVS state. More kinds may come with the kernel's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// What a [`Change`] does, without its values: for wording a message about an outcome,
/// counting or logging changes that have already been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// [`Change::AddService`].
    AddService,
    /// [`Change::EditService`].
    EditService,
    /// [`Change::DeleteService`].
    DeleteService,
    /// [`Change::AddDest`].
    AddDest,
    /// [`Change::EditDest`].
    EditDest,
    /// [`Change::DeleteDest`].
    DeleteDest,
    /// [`Change::Zero`].
    Zero,
    /// [`Change::Flush`].
    Flush,
    /// [`Change::SetTimeouts`].
    SetTimeouts,
    /// [`Change::StartDaemon`].
    StartDaemon,
    /// [`Change::StopDaemon`].
    StopDaemon,
}

impl ChangeKind {
    /// The generic-netlink command that carries a change of this kind.
    fn cmd(self) -> u8 {
        match self {
            ChangeKind::AddService => IPVS_CMD_NEW_SERVICE,
            ChangeKind::EditService => IPVS_CMD_SET_SERVICE,
            ChangeKind::DeleteService => IPVS_CMD_DEL_SERVICE,
            ChangeKind::AddDest => IPVS_CMD_NEW_DEST,
            ChangeKind::EditDest => IPVS_CMD_SET_DEST,
            ChangeKind::DeleteDest => IPVS_CMD_DEL_DEST,
            ChangeKind::Zero => IPVS_CMD_ZERO,
            ChangeKind::Flush => IPVS_CMD_FLUSH,
            ChangeKind::SetTimeouts => IPVS_CMD_SET_CONFIG,
            ChangeKind::StartDaemon => IPVS_CMD_NEW_DAEMON,
            ChangeKind::StopDaemon => IPVS_CMD_DEL_DAEMON,
        }
    }
}

impl Change {
    /// What this change does.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::AddService(_) => ChangeKind::AddService,
            Change::EditService(_) => ChangeKind::EditService,
            Change::DeleteService(_) => ChangeKind::DeleteService,
            Change::AddDest(..) => ChangeKind::AddDest,
            Change::EditDest(..) => ChangeKind::EditDest,
            Change::DeleteDest(..) => ChangeKind::DeleteDest,
            Change::Zero(_) => ChangeKind::Zero,
            Change::Flush => ChangeKind::Flush,
            Change::SetTimeouts(_) => ChangeKind::SetTimeouts,
            Change::StartDaemon(_) => ChangeKind::StartDaemon,
            Change::StopDaemon(_) => ChangeKind::StopDaemon,
        }
    }

    /// Writes the request's attributes.
    pub(crate) fn encode(&self, w: &mut AttrWriter<'_>) {
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

/// What the client sends requests through and reads replies from: the netlink [`Socket`],
/// or a stand-in that answers like the kernel (in tests, say).
///
/// A transport moves whole datagrams; each holds one or more netlink messages. Only
/// [`Transport::send`] and [`Transport::recv`] must be written; the other methods have
/// defaults that suit a stand-in which never loses a reply.
pub trait Transport {
    /// Sends one datagram holding one or more complete messages.
    fn send(&mut self, msgs: &[u8]) -> Result<(), Error>;
    /// Sends one datagram whose reply will be read with
    /// [`recv_many(expect, ..)`](Transport::recv_many): a transport with a socket of its
    /// own for table dumps sends those there.
    fn send_for(&mut self, expect: Expect, msgs: &[u8]) -> Result<(), Error> {
        let _ = expect;
        self.send(msgs)
    }
    /// Receives one datagram.
    fn recv(&mut self) -> Result<&[u8], Error>;
    /// Receives one or more datagrams, handing each to `each` in order; `expect` says what
    /// kind of reply is coming, so the receive buffers can fit it.
    fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let _ = expect;
        let data = self.recv()?;
        each(data)
    }
    /// How many replies may wait unread without one being lost; batches send no more
    /// changes than this at once.
    fn reply_room(&self) -> usize {
        usize::MAX
    }
    /// Sets how long a receive waits for a reply (`None`: for ever); a receive that waits
    /// longer fails with [`Error::Timeout`]. A stand-in that never waits need not act.
    fn set_timeout(&mut self, timeout: Option<std::time::Duration>) -> Result<(), Error> {
        let _ = timeout;
        Ok(())
    }
    /// Drops whatever replies are waiting, after a failed batch or a dump abandoned
    /// half-way (a reply that did not decode, say); a transport over the kernel reads such a
    /// dump out to its end, so that the next request is answered.
    fn discard_waiting(&mut self) {}
}

impl Transport for Socket {
    fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
        Socket::send(self, msgs)
    }
    fn send_for(&mut self, expect: Expect, msgs: &[u8]) -> Result<(), Error> {
        Socket::send_for(self, expect, msgs)
    }
    fn recv(&mut self) -> Result<&[u8], Error> {
        Socket::recv(self)
    }
    fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        Socket::recv_many(self, expect, each)
    }
    fn reply_room(&self) -> usize {
        Socket::reply_room(self)
    }
    fn discard_waiting(&mut self) {
        Socket::discard_waiting(self)
    }
    fn set_timeout(&mut self, timeout: Option<std::time::Duration>) -> Result<(), Error> {
        Socket::set_timeout(self, timeout)
    }
}

/// A connection to the kernel's IPVS: owns one socket, the family id and the sequence
/// numbers.
///
/// Changes can go one at a time ([`Client::apply`]), as a slice ([`Client::apply_batch`]),
/// or as a stream: [`Client::queue`] encodes each change straight into the next datagram and
/// sends it when it is full, [`Client::send_queued`] sends the rest, and
/// [`Client::outcomes`] hands back each sent change's outcome in queueing order. Nothing
/// but the datagram being filled is held, however many changes pass through. Reads
/// ([`Client::services`], [`Client::snapshot`], ...) first send whatever is queued, so they
/// see it applied.
///
/// ```no_run
/// use linux_ipvs::{Change, Client, Protocol, Service, ServiceKey};
///
/// let mut ipvs = Client::open()?;
/// let key = ServiceKey::Addr { protocol: Protocol::Udp, addr: "192.0.2.53".parse()?, port: 53 };
/// ipvs.apply(&Change::AddService(Service::new(key)))?;
/// assert_eq!(ipvs.service(&key)?.scheduler, "wlc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Client<T: Transport = Socket> {
    sock: T,
    family: u16,
    seq: u32,
    /// The datagram being built: requests, or queued changes not yet sent.
    tx: Vec<u8>,
    /// How many changes `tx` holds, the sequence number of the first, and where the last
    /// one starts.
    queued: usize,
    first_queued: u32,
    last_queued: usize,
    /// Replies to the datagram in flight, by position (reused between datagrams).
    window: Vec<Option<Result<(), Error>>>,
    /// Outcomes of sent changes not taken yet, in queueing order.
    done: Vec<Result<(), Error>>,
}

impl<T: Transport> Client<T> {
    fn assemble(sock: T, family: u16, seq: u32) -> Client<T> {
        Client {
            sock,
            family,
            seq,
            tx: Vec::with_capacity(BATCH_BYTES + 4096),
            queued: 0,
            first_queued: 0,
            last_queued: 0,
            window: Vec::new(),
            done: Vec::new(),
        }
    }

    /// A client over an already set-up transport whose IPVS family id is known (no request
    /// is sent to find it).
    pub fn with_transport(sock: T, family: u16) -> Client<T> {
        Client::assemble(sock, family, 1)
    }

    /// The `IPVS` generic-netlink family id this client sends to (resolved by
    /// [`Client::open`]), for [`Client::with_transport`] over another transport.
    pub fn family_id(&self) -> u16 {
        self.family
    }

    /// Sets how long each wait for the kernel may last (`None`: for ever); a client starts
    /// with [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT). A wait that runs out fails the call
    /// with [`Error::Timeout`].
    ///
    /// ```no_run
    /// let mut ipvs = linux_ipvs::Client::open()?;
    /// ipvs.set_timeout(Some(std::time::Duration::from_secs(5)))?;
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn set_timeout(&mut self, timeout: Option<std::time::Duration>) -> Result<(), Error> {
        self.sock.set_timeout(timeout)
    }

    /// The transport (a stand-in kernel's table, say).
    pub fn transport(&self) -> &T {
        &self.sock
    }

    /// The transport, to change (a stand-in kernel's table, between reconcile rounds).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.sock
    }

    /// The transport, given back (a stand-in's record of what was sent, say).
    pub fn into_transport(self) -> T {
        self.sock
    }
}

impl Client<Socket> {
    /// Opens the client's generic-netlink sockets in the calling thread's network namespace
    /// (all of them now: they stay that namespace's whatever the thread joins later) and
    /// resolves the `IPVS` family. Fails with [`Error::FamilyNotFound`] when the kernel has
    /// no IPVS (module not loaded).
    ///
    /// ```no_run
    /// let mut ipvs = linux_ipvs::Client::open()?;
    /// println!("IPVS {:?}", ipvs.info()?.version());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn open() -> Result<Client, Error> {
        let (sock, family, seq) = Client::connect()?;
        Ok(Client::assemble(sock, family, seq))
    }

    /// Opens the socket and resolves the family: the socket, the family id and the next
    /// sequence number.
    fn connect() -> Result<(Socket, u16, u32), Error> {
        let mut sock = Socket::open()?;
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        let family = netlink::resolve_family(&mut sock, IPVS_GENL_NAME, seq)?;
        Ok((sock, family, seq.wrapping_add(1)))
    }

    /// [`Client::open`] in another network namespace (a name of `ip netns`, or a path such
    /// as `/proc/PID/ns/net`, see [`crate::netns::path_of`]), without moving the calling
    /// thread: a short-lived thread joins the namespace and opens the socket, which stays
    /// that namespace's. Needs `CAP_SYS_ADMIN`.
    ///
    /// ```no_run
    /// use linux_ipvs::Client;
    ///
    /// let mut blue = Client::open_in("blue".as_ref())?;
    /// let mut here = Client::open()?;
    /// println!("blue {} services, here {}", blue.services()?.len(), here.services()?.len());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn open_in(netns: &std::path::Path) -> Result<Client, Error> {
        let path = crate::netns::path_of(netns);
        // Opened here, so that a missing namespace is reported without a thread.
        let file = crate::netns::open(&path)?;
        // The client is `Send`: the thread hands over the sockets it opened there.
        let (sock, family, seq) = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).map_err(
                        |e| Error::Netns {
                            path,
                            joining: true,
                            source: std::io::Error::from(e),
                        },
                    )?;
                    Client::connect()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        Ok(Client::assemble(sock, family, seq))
    }
}

impl<T: Transport> Client<T> {
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Applies one change and waits for its ACK; `Err` carries the kernel's errno when it
    /// refuses the change (for example `EEXIST` for a service that is already there).
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client};
    ///
    /// Client::open()?.apply(&Change::Flush)?; // delete every service
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn apply(&mut self, change: &Change) -> Result<(), Error> {
        let mut results = self.apply_batch(std::slice::from_ref(change))?;
        results.pop().unwrap_or(Ok(()))
    }

    /// Applies changes in order, many per datagram, and returns each one's outcome, in the
    /// same order. The kernel carries on after a failed change, as separate requests would.
    /// The outer error is a failure of the socket itself, or [`Error::TooLong`] for a change
    /// too long to encode (then nothing is sent).
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client, Dest, Family, Service, ServiceKey};
    ///
    /// let svc = Service::new(ServiceKey::Fwmark { family: Family::Inet, mark: 7 });
    /// let servers = ["198.51.100.2", "198.51.100.3"];
    /// let mut changes = vec![Change::AddService(svc.clone())];
    /// for a in servers {
    ///     changes.push(Change::AddDest(svc.clone(), Dest::new(a.parse()?, 0)));
    /// }
    /// for (change, outcome) in changes.iter().zip(Client::open()?.apply_batch(&changes)?) {
    ///     if let Err(e) = outcome {
    ///         eprintln!("{:?} failed: errno {}", change.kind(), e.errno());
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_batch(&mut self, changes: &[Change]) -> Result<Vec<Result<(), Error>>, Error> {
        self.send_queued()?;
        // Nothing is queued now, so the datagram buffer is free for a trial encoding: a
        // change too long to encode fails the call before anything is sent.
        for c in changes {
            self.tx.clear();
            let cmd = c.kind().cmd();
            push_genl_request(
                &mut self.tx,
                self.family,
                0,
                0,
                cmd,
                IPVS_GENL_VERSION,
                |w| c.encode(w),
            )?;
        }
        let before = self.done.len();
        let sent = changes
            .iter()
            .try_for_each(|c| self.queue(c))
            .and_then(|()| self.send_queued());
        // On failure, the outcomes this call did get are dropped with it.
        let mine = self.done.split_off(before);
        sent.map(|()| mine)
    }

    /// Encodes a change into the datagram being filled, with its own sequence number; once
    /// the datagram holds [`BATCH_BYTES`], or as many changes as the socket has room for
    /// replies ([`Transport::reply_room`]: room for an error for each), sends it and waits
    /// for its replies (see [`Client::send_queued`]). An error is a failure of the socket
    /// itself: the changes of that datagram are dropped without outcomes; or
    /// [`Error::TooLong`] for a change too long to encode, which is then not queued (the
    /// others are unaffected).
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client, Family, Service, ServiceKey};
    ///
    /// let mut ipvs = Client::open()?;
    /// for mark in 1..=10_000 {
    ///     let key = ServiceKey::Fwmark { family: Family::Inet, mark };
    ///     ipvs.queue(&Change::AddService(Service::new(key)))?;
    ///     // Outcomes arrive a datagram at a time, in queueing order.
    ///     for outcome in ipvs.outcomes() {
    ///         outcome?;
    ///     }
    /// }
    /// ipvs.send_queued()?;
    /// assert!(ipvs.outcomes().all(|o| o.is_ok()));
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn queue(&mut self, change: &Change) -> Result<(), Error> {
        let seq = self.seq.wrapping_add(1);
        if self.queued == 0 {
            self.tx.clear();
        }
        // A change too long to encode is refused here, and takes no sequence number.
        let last_before = std::mem::replace(&mut self.last_queued, self.tx.len());
        push_genl_request(
            &mut self.tx,
            self.family,
            NLM_F_REQUEST,
            seq,
            change.kind().cmd(),
            IPVS_GENL_VERSION,
            |w| change.encode(w),
        )
        .inspect_err(|_| self.last_queued = last_before)?;
        self.seq = seq;
        if self.queued == 0 {
            self.first_queued = seq;
        }
        self.queued += 1;
        if self.tx.len() >= BATCH_BYTES || self.queued >= self.sock.reply_room() {
            self.send_queued()?;
        }
        Ok(())
    }

    /// Sends the queued changes, if any, in one datagram and waits for their replies; the
    /// outcomes then wait in [`Client::outcomes`]. (See [`Client::queue`] for an example.)
    ///
    /// Only the datagram's last change asks for an ACK (`NLM_F_ACK`). The kernel handles a
    /// datagram's messages in order and answers every one that fails with its error and its
    /// sequence number, ACK or not, all before it answers the last one; so once the last
    /// change is answered (an ACK, or its own error), every change without an error reply
    /// has succeeded. A reply the kernel had to drop for want of room surfaces as `ENOBUFS`
    /// on the next receive, which fails the batch rather than making an outcome up.
    pub fn send_queued(&mut self) -> Result<(), Error> {
        let count = std::mem::take(&mut self.queued);
        if count == 0 {
            return Ok(());
        }
        let first_seq = self.first_queued;
        add_flags(&mut self.tx[self.last_queued..], NLM_F_ACK);
        self.window.clear();
        self.window.resize_with(count, || None);
        self.sock.send(&self.tx)?;
        let window = &mut self.window;
        let mut last_answered = false;
        while !last_answered {
            let received = self.sock.recv_many(Expect::Acks, &mut |data| {
                for m in Messages::new(data) {
                    let m = m?;
                    let idx = m.seq.wrapping_sub(first_seq) as usize;
                    if idx >= window.len() || window[idx].is_some() {
                        continue;
                    }
                    let outcome = match m.reply()? {
                        Reply::Ack => Ok(()),
                        Reply::Error { errno, ext_ack } => Err(Error::Kernel { errno, ext_ack }),
                        _ => continue,
                    };
                    window[idx] = Some(outcome);
                    last_answered |= idx == count - 1;
                }
                Ok(())
            });
            if let Err(e) = received {
                // The outcomes still missing are unknown (`ENOBUFS`: the kernel dropped
                // replies). Replies still waiting belong to this batch only.
                self.sock.discard_waiting();
                return Err(e);
            }
        }
        // The last change is answered: no error reply means success.
        self.done
            .extend(self.window.drain(..).map(|r| r.unwrap_or(Ok(()))));
        Ok(())
    }

    /// The outcomes of the changes sent so far and not taken yet, oldest first: one per
    /// queued change, `Err` with the kernel's errno for a change it refused.
    pub fn outcomes(&mut self) -> std::vec::Drain<'_, Result<(), Error>> {
        self.done.drain(..)
    }

    /// Sends a request and collects the data messages of its reply; `each` sees each
    /// message's attributes. A dump the kernel marks interrupted is started over.
    fn request<R>(
        &mut self,
        cmd: u8,
        read: Read,
        attrs: impl Fn(&mut AttrWriter<'_>),
        mut each: impl FnMut(&[u8], &mut Vec<R>) -> Result<(), Error>,
    ) -> Result<Vec<R>, Error> {
        // Queued changes go first, so the request sees them applied.
        self.send_queued()?;
        let mut out = Vec::new();
        for _ in 0..DUMP_RETRIES {
            out.clear();
            let x = self.exchange(cmd, read, &attrs, &mut |a| each(a, &mut out))?;
            if !x.interrupted {
                return Ok(out);
            }
        }
        Err(kept_interrupted())
    }

    /// Sends one request and hands the attributes of each data message of its reply to
    /// `each`, until the reply ends: a dump at `NLMSG_DONE`, a plain request at its ACK.
    fn exchange(
        &mut self,
        cmd: u8,
        read: Read,
        attrs: impl Fn(&mut AttrWriter<'_>),
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<Exchange, Error> {
        let seq = self.next_seq();
        self.tx.clear();
        push_genl_request(
            &mut self.tx,
            self.family,
            read.flags(),
            seq,
            cmd,
            IPVS_GENL_VERSION,
            &attrs,
        )?;
        let expect = read.expect();
        self.sock.send_for(expect, &self.tx)?;
        let mut x = Exchange::default();
        let mut done = false;
        while !done {
            let received = self.sock.recv_many(expect, &mut |data| {
                let mut carried = false;
                for m in Messages::new(data) {
                    let m = m?;
                    if done || m.seq != seq {
                        continue;
                    }
                    match m.reply()? {
                        Reply::Data {
                            attrs, interrupted, ..
                        } => {
                            x.interrupted |= interrupted;
                            carried = true;
                            each(attrs)?;
                        }
                        Reply::Done { interrupted } => {
                            x.interrupted |= interrupted;
                            done = true;
                        }
                        Reply::Ack => done = true,
                        Reply::Error { errno, ext_ack } => {
                            return Err(Error::Kernel { errno, ext_ack });
                        }
                        Reply::Other => {}
                    }
                }
                x.parts += usize::from(carried);
                Ok(())
            });
            abandon_on_error(&mut self.sock, received)?;
        }
        Ok(x)
    }

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
        .ok_or(Error::Malformed("no info in reply"))
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
        probe.netmask = 0;
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
        .ok_or(Error::Malformed("no timeouts in reply"))
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
        let (mut index, _) = self.read_index()?;
        index.set_reads(1);
        Ok(index)
    }

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
        let max_reads = max_reads.max(1);
        // The keys of the previous read, in its order (not the whole index: less memory).
        let mut previous: Option<Vec<ServiceKey>> = None;
        for read in 1..=max_reads {
            let (mut index, parts) = self.read_index()?;
            let agrees = parts <= 1 || previous.as_ref().is_some_and(|p| index.same_keys(p));
            if agrees && !index.has_duplicates() {
                index.set_reads(read);
                index.set_checked(max_reads);
                // A table that held still takes one read, or two if it came in parts.
                index.set_changed(read - if parts <= 1 { 1 } else { 2 });
                return Ok(index);
            }
            drop(previous.take());
            previous = Some(index.keys().copied().collect());
        }
        Err(Error::Torn { reads: max_reads })
    }

    /// One service dump into an index; also how many datagrams carried services.
    fn read_index(&mut self) -> Result<(ServiceIndex, usize), Error> {
        self.send_queued()?;
        for _ in 0..DUMP_RETRIES {
            let mut index = ServiceIndex::new();
            let x = self.exchange(IPVS_CMD_GET_SERVICE, Read::Table, |_| {}, &mut |a| {
                for_each_nest(a, IPVS_CMD_ATTR_SERVICE, |p| {
                    index.push(service::decode(p)?);
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
    /// order. With `counters`, the service is read again in the same datagram, with its
    /// counters (its settings as they are then), and the real servers come with theirs;
    /// without, the service is the index's record, and no counters are read (`None`). A
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
        for i in 0..index.len() {
            index.fill(i, &mut svc);
            self.read_servers(
                &svc.key,
                index.checked(),
                counters.then_some(&mut fresh),
                &mut dests,
            )?;
            let shown = fresh.as_ref().filter(|_| counters).unwrap_or(&svc);
            if let ControlFlow::Break(b) = visit(shown, &dests) {
                return Ok(ControlFlow::Break(b));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// [`Client::read_one`]; with `max_reads` (not 0), again while the real-server list came
    /// in more than one datagram and either lists a server twice or differs from the
    /// previous read, at most `max_reads` times in all.
    fn read_servers(
        &mut self,
        key: &ServiceKey,
        max_reads: usize,
        mut fresh: Option<&mut Option<Service>>,
        dests: &mut Vec<Dest>,
    ) -> Result<(), Error> {
        let mut previous: Option<Vec<(std::net::IpAddr, u16)>> = None;
        for read in 1.. {
            let parts = self.read_one(key, fresh.as_deref_mut(), dests)?;
            // A list in one datagram was made in one pass, under the IPVS mutex.
            if max_reads == 0 || parts <= 1 {
                break;
            }
            let keys: Vec<_> = dests.iter().map(|d| (d.addr, d.port)).collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            let repeats = sorted.windows(2).any(|w| w[0] == w[1]);
            if !repeats && previous.as_ref() == Some(&keys) {
                break;
            }
            if read >= max_reads {
                return Err(Error::Torn { reads: read });
            }
            previous = Some(keys);
        }
        Ok(())
    }

    /// One datagram for one service: with `fresh`, its settings and counters (a plain
    /// `GET_SERVICE`, whose answer, or `None` if it has gone, lands there), then its real
    /// servers (a dump, into `dests`). Returns how many datagrams carried real servers.
    fn read_one(
        &mut self,
        key: &ServiceKey,
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
        let counters = fresh.is_some();
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

/// Passes a receive's outcome on; on an error (a reply that did not decode, a socket
/// error), first drops what is left of the reply, so that a dump abandoned half-way does not
/// keep the socket busy for the next request.
fn abandon_on_error<T: Transport>(sock: &mut T, received: Result<(), Error>) -> Result<(), Error> {
    if received.is_err() {
        sock.discard_waiting();
    }
    received
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

#[cfg(test)]
mod tests {
    //! The client against a scripted stand-in for the kernel: it answers each request it is
    //! sent with messages built by the test, so sequence-number matching, batching and dump
    //! restarts are checked without a kernel.

    use super::*;
    use crate::codec::Style;
    use crate::model::Protocol;
    use crate::netlink::msg::{NLM_F_DUMP_INTR, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR};

    const FAMILY: u16 = 0x20;

    /// The kernel's answer to one request: the reply datagrams.
    type Script = Box<dyn FnMut(&Req) -> Vec<Vec<u8>>>;

    /// Replies, per request received, from a script; records every request.
    struct Scripted {
        script: Script,
        requests: Vec<Req>,
        sent_datagrams: usize,
        /// The index of each datagram's last request.
        ends: Vec<usize>,
        queue: std::collections::VecDeque<Vec<u8>>,
        current: Vec<u8>,
        /// What `reply_room` says.
        room: usize,
        /// Like a kernel whose receive buffer ran over: when a request with this sequence
        /// number arrives, it and the rest of its datagram get no reply, and the next
        /// receive fails with `ENOBUFS` (once).
        overflow_at: Option<u32>,
        overflowed: bool,
        discards: usize,
        /// Datagrams queued and handed out so far, and where the datagrams of the last
        /// dump end: like the kernel, a dump asked for while an earlier one still has
        /// datagrams to hand out is refused with `EBUSY`.
        queued_total: usize,
        delivered: usize,
        dump_end: usize,
    }

    #[derive(Debug, Clone)]
    struct Req {
        seq: u32,
        cmd: u8,
        flags: u16,
        /// The attributes, after the generic-netlink header.
        attrs: Vec<u8>,
    }

    impl Transport for Scripted {
        fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
            self.sent_datagrams += 1;
            for m in Messages::new(msgs) {
                let m = m?;
                let req = Req {
                    seq: m.seq,
                    cmd: m.payload[0],
                    flags: m.flags,
                    attrs: m.payload[4..].to_vec(),
                };
                let is_dump = req.flags & NLM_F_DUMP != 0;
                let replies = if is_dump && self.delivered < self.dump_end {
                    vec![ack(req.seq, nix::libc::EBUSY)]
                } else {
                    (self.script)(&req)
                };
                self.overflowed |= Some(req.seq) == self.overflow_at;
                self.requests.push(req);
                if self.overflowed {
                    continue;
                }
                // One datagram per reply message, like the kernel's ACKs.
                self.queued_total += replies.len();
                if is_dump {
                    self.dump_end = self.queued_total;
                }
                self.queue.extend(replies);
            }
            self.ends.push(self.requests.len() - 1);
            Ok(())
        }
        fn recv(&mut self) -> Result<&[u8], Error> {
            if std::mem::take(&mut self.overflowed) {
                self.overflow_at = None;
                return Err(Error::Io(std::io::Error::from_raw_os_error(
                    nix::libc::ENOBUFS,
                )));
            }
            self.current = self
                .queue
                .pop_front()
                .expect("client waits for a reply that never comes");
            self.delivered += 1;
            Ok(&self.current)
        }
        fn reply_room(&self) -> usize {
            self.room
        }
        fn discard_waiting(&mut self) {
            self.discards += 1;
            self.queue.clear();
            self.delivered = self.queued_total;
        }
    }

    fn msg(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        crate::netlink::msg::message(&mut m, kind, flags, seq, payload);
        m
    }

    fn ack(seq: u32, errno: i32) -> Vec<u8> {
        let mut p = (-errno).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 16]);
        msg(NLMSG_ERROR, 0, seq, &p)
    }

    fn service_msg(seq: u32, flags: u16, port: u16) -> Vec<u8> {
        let svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1".parse().unwrap(),
            port,
        });
        let mut p = vec![IPVS_CMD_NEW_SERVICE, 1, 0, 0];
        service::encode(&mut AttrWriter::new(&mut p), &svc, Style::Reply);
        msg(FAMILY, flags, seq, &p)
    }

    fn client(script: impl FnMut(&Req) -> Vec<Vec<u8>> + 'static) -> Client<Scripted> {
        Client::with_transport(
            Scripted {
                script: Box::new(script),
                requests: Vec::new(),
                sent_datagrams: 0,
                ends: Vec::new(),
                queue: Default::default(),
                current: Vec::new(),
                room: usize::MAX,
                overflow_at: None,
                overflowed: false,
                discards: 0,
                queued_total: 0,
                delivered: 0,
                dump_end: 0,
            },
            FAMILY,
        )
    }

    fn add(port: u16) -> Change {
        Change::AddService(Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1".parse().unwrap(),
            port,
        }))
    }

    /// Answers changes as the kernel does: an error for each one `errno` fails (ACK asked
    /// for or not), an ACK for a successful one that asked for it, nothing else.
    fn kernel(errno: impl Fn(u32) -> i32 + 'static) -> impl FnMut(&Req) -> Vec<Vec<u8>> {
        move |r| match errno(r.seq) {
            0 if r.flags & NLM_F_ACK != 0 => vec![ack(r.seq, 0)],
            0 => Vec::new(),
            e => vec![ack(r.seq, e)],
        }
    }

    /// The index of each datagram's last request, from the record of requests.
    fn acked(c: &Client<Scripted>) -> Vec<usize> {
        let r = &c.sock.requests;
        (0..r.len())
            .filter(|&i| r[i].flags & NLM_F_ACK != 0)
            .collect()
    }

    #[test]
    fn only_the_last_change_of_a_datagram_asks_for_an_ack() {
        let mut c = client(kernel(|_| 0));
        let changes: Vec<Change> = (0..2000).map(add).collect();
        let results = c.apply_batch(&changes).unwrap();
        assert_eq!(results.len(), 2000);
        assert!(results.iter().all(Result::is_ok));
        assert!(
            c.sock.sent_datagrams > 1,
            "2000 changes exceed one datagram"
        );
        assert_eq!(c.sock.ends.len(), c.sock.sent_datagrams);
        assert_eq!(
            acked(&c),
            c.sock.ends,
            "one ACK per datagram, on its last change"
        );
        let first = c.sock.requests[0].seq;
        for (i, r) in c.sock.requests.iter().enumerate() {
            assert_eq!(
                r.seq,
                first.wrapping_add(i as u32),
                "sequence numbers run on"
            );
        }
    }

    #[test]
    fn each_error_maps_to_its_change_by_sequence_number() {
        // The kernel fails the changes whose sequence number is a multiple of 3, and their
        // errors reach us in reverse order (all before the last change's ACK, as the kernel
        // answers a datagram's messages in order).
        let mut held: Vec<Vec<u8>> = Vec::new();
        let mut c = client(move |r| {
            if r.seq % 3 == 0 {
                held.push(ack(r.seq, libc_eexist()));
            }
            if r.flags & NLM_F_ACK == 0 {
                return Vec::new();
            }
            let mut replies: Vec<Vec<u8>> = held.drain(..).rev().collect();
            if r.seq % 3 != 0 {
                replies.push(ack(r.seq, 0));
            }
            replies
        });
        let changes: Vec<Change> = (80..87).map(add).collect();
        let results = c.apply_batch(&changes).unwrap();
        assert_eq!(
            c.sock.sent_datagrams, 1,
            "seven small changes go in one datagram"
        );
        assert_eq!(acked(&c), [6]);
        let failed: Vec<bool> = c.sock.requests.iter().map(|r| r.seq % 3 == 0).collect();
        assert!(failed.contains(&true) && failed.contains(&false));
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_err(), failed[i], "change {i}");
            if let Err(e) = r {
                assert_eq!(e.errno(), libc_eexist());
            }
        }
    }

    #[test]
    fn a_datagram_whose_last_change_fails_is_fully_accounted_for() {
        // The last change's error is its only answer (there is no ACK after it).
        let last = std::rc::Rc::new(std::cell::Cell::new(0u32));
        let seen = last.clone();
        let mut c = client(move |r| {
            seen.set(r.seq);
            if r.flags & NLM_F_ACK != 0 {
                vec![ack(r.seq, libc_esrch())]
            } else {
                Vec::new()
            }
        });
        let results = c.apply_batch(&[add(1), add(2), add(3)]).unwrap();
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[1].is_ok());
        assert_eq!(results[2].as_ref().unwrap_err().errno(), libc_esrch());
        assert_eq!(c.sock.requests.last().unwrap().seq, last.get());
        // Every change failing: each gets its own error, none is lost or made up.
        let mut c = client(kernel(|_| libc_eexist()));
        let changes: Vec<Change> = (0..600).map(add).collect();
        let results = c.apply_batch(&changes).unwrap();
        assert_eq!(results.len(), 600);
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().unwrap_err().errno() == libc_eexist())
        );
    }

    #[test]
    fn queued_changes_stream_out_a_full_datagram_at_a_time() {
        // The kernel refuses every change whose sequence number is a multiple of 5.
        let mut c = client(kernel(|seq| if seq % 5 == 0 { libc_eexist() } else { 0 }));
        let mut outcomes = Vec::new();
        let mut sent_before = Vec::new();
        for port in 0..2000 {
            c.queue(&add(port)).unwrap();
            let new: Vec<_> = c.outcomes().collect();
            if !new.is_empty() {
                // A whole datagram was answered: every change queued so far.
                sent_before.push(port);
                assert_eq!(outcomes.len() + new.len(), usize::from(port) + 1);
            }
            outcomes.extend(new);
        }
        assert!(sent_before.len() > 1, "2000 changes fill several datagrams");
        let datagrams = c.sock.sent_datagrams;
        c.send_queued().unwrap();
        c.send_queued().unwrap();
        assert_eq!(c.sock.sent_datagrams, datagrams + 1, "the rest goes once");
        outcomes.extend(c.outcomes());
        assert_eq!(outcomes.len(), 2000);
        for (r, req) in outcomes.iter().zip(&c.sock.requests) {
            assert_eq!(r.is_err(), req.seq % 5 == 0, "seq {}", req.seq);
        }
        assert_eq!(acked(&c), c.sock.ends);
    }

    #[test]
    fn a_batch_sends_no_more_changes_than_the_replies_have_room_for() {
        // Room for an error reply for each change, in case every one fails.
        let mut c = client(kernel(|_| 0));
        c.sock.room = 3;
        let changes: Vec<Change> = (0..10).map(add).collect();
        let results = c.apply_batch(&changes).unwrap();
        assert_eq!(results.len(), 10);
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(c.sock.sent_datagrams, 4, "3 + 3 + 3 + 1");
        assert_eq!(acked(&c), [2, 5, 8, 9]);
    }

    #[test]
    fn lost_replies_fail_the_batch_and_the_next_one_starts_clean() {
        let mut c = client(kernel(|seq| if seq % 2 == 0 { libc_eexist() } else { 0 }));
        c.sock.room = 4;
        for port in 0..4 {
            c.queue(&add(port)).unwrap();
        }
        assert_eq!(c.outcomes().count(), 4);
        // The second datagram's replies are dropped from its third change on.
        let first = c.sock.requests.last().unwrap().seq;
        c.sock.overflow_at = Some(first + 3);
        let mut failed = None;
        for port in 4..8 {
            if let Err(e) = c.queue(&add(port)) {
                failed = Some(e);
            }
        }
        assert_eq!(failed.unwrap().errno(), nix::libc::ENOBUFS);
        assert_eq!(c.sock.discards, 1, "what was waiting is dropped");
        assert_eq!(c.outcomes().count(), 0, "no outcome is made up");
        // The next batch is answered in full.
        let results = c.apply_batch(&[add(8), add(9)]).unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
        // A failed apply_batch leaves none of its outcomes behind: its first datagram
        // (four changes) is answered, its second is not.
        c.sock.overflow_at = Some(c.sock.requests.last().unwrap().seq + 6);
        let changes: Vec<Change> = (10..20).map(add).collect();
        assert!(c.apply_batch(&changes).is_err());
        assert_eq!(c.outcomes().count(), 0);
    }

    #[test]
    fn queued_changes_go_out_before_any_other_request() {
        let mut c = client(|r| vec![ack(r.seq, 0)]);
        for port in 0..3 {
            c.queue(&add(port)).unwrap();
        }
        assert_eq!(c.sock.sent_datagrams, 0, "three small changes wait");
        let key = ServiceKey::Fwmark {
            family: crate::model::Family::Inet,
            mark: 9,
        };
        assert!(c.dests(&key).unwrap().is_empty());
        let cmds: Vec<u8> = c.sock.requests.iter().map(|r| r.cmd).collect();
        assert_eq!(
            cmds,
            [
                IPVS_CMD_NEW_SERVICE,
                IPVS_CMD_NEW_SERVICE,
                IPVS_CMD_NEW_SERVICE,
                IPVS_CMD_GET_DEST
            ]
        );
        assert_eq!(c.sock.sent_datagrams, 2);
        assert_eq!(c.outcomes().filter(Result::is_ok).count(), 3);
    }

    /// Messages laid out back to back: one datagram.
    fn datagram(msgs: &[Vec<u8>]) -> Vec<u8> {
        msgs.concat()
    }

    fn done(seq: u32) -> Vec<u8> {
        msg(NLMSG_DONE, NLM_F_MULTI, seq, &[0; 4])
    }

    /// A service dump answered, per read, with datagrams of services given by port; each
    /// inner list is one datagram.
    fn dumps(reads: Vec<Vec<Vec<u16>>>) -> Client<Scripted> {
        let mut reads = reads.into_iter();
        client(move |r| {
            assert_eq!(
                (r.cmd, r.flags & NLM_F_DUMP),
                (IPVS_CMD_GET_SERVICE, NLM_F_DUMP)
            );
            let parts = reads.next().expect("no more reads were scripted");
            let mut out: Vec<Vec<u8>> = parts
                .iter()
                .map(|ports| {
                    let msgs: Vec<Vec<u8>> = ports
                        .iter()
                        .map(|&p| service_msg(r.seq, NLM_F_MULTI, p))
                        .collect();
                    datagram(&msgs)
                })
                .collect();
            out.push(done(r.seq));
            out
        })
    }

    fn ports(index: &ServiceIndex) -> Vec<u16> {
        index.keys().map(|k| k.port()).collect()
    }

    #[test]
    fn a_table_in_one_datagram_is_read_once() {
        let mut c = dumps(vec![vec![vec![3, 1, 2]]]);
        let index = c.consistent_service_index(5).unwrap();
        assert_eq!((ports(&index), index.reads()), (vec![3, 1, 2], 1));
        assert_eq!(c.sock.requests.len(), 1);
    }

    #[test]
    fn a_table_in_several_datagrams_is_read_until_two_reads_agree() {
        // Read 1 missed service 2 (deleted before it, then added back); reads 2 and 3 agree.
        let mut c = dumps(vec![
            vec![vec![1], vec![3]],
            vec![vec![1, 2], vec![3]],
            vec![vec![1], vec![2, 3]],
        ]);
        let index = c.consistent_service_index(5).unwrap();
        assert_eq!((ports(&index), index.reads()), (vec![1, 2, 3], 3));
        // Two reads that agree but repeat a service are torn too.
        let mut c = dumps(vec![
            vec![vec![1, 2], vec![2, 3]],
            vec![vec![1, 2], vec![2, 3]],
            vec![vec![1, 2], vec![3]],
            vec![vec![1, 2], vec![3]],
        ]);
        let index = c.consistent_service_index(5).unwrap();
        assert_eq!((ports(&index), index.reads()), (vec![1, 2, 3], 4));
    }

    #[test]
    fn a_table_that_keeps_changing_is_given_up_on() {
        let reads = (0..4).map(|i| vec![vec![1], vec![10 + i]]).collect();
        let mut c = dumps(reads);
        match c.consistent_service_index(4) {
            Err(Error::Torn { reads }) => assert_eq!(reads, 4),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.sock.requests.len(), 4);
        // A plain read takes the table as it comes, duplicates and all.
        let mut c = dumps(vec![vec![vec![1, 2], vec![2]]]);
        let index = c.service_index().unwrap();
        assert_eq!((ports(&index), index.reads()), (vec![1, 2, 2], 1));
    }

    fn dest_msg(seq: u32, last_byte: u8) -> Vec<u8> {
        let mut d = Dest::new(
            std::net::Ipv4Addr::new(198, 51, 100, last_byte).into(),
            8080,
        );
        d.stats = Some(crate::model::Stats {
            conns: 7,
            ..Default::default()
        });
        let mut p = vec![IPVS_CMD_NEW_DEST, 1, 0, 0];
        dest::encode(&mut AttrWriter::new(&mut p), &d, Style::Reply);
        msg(FAMILY, NLM_F_MULTI, seq, &p)
    }

    /// The port of the service a request names.
    fn port_asked(r: &Req) -> u16 {
        let mut port = None;
        for_each_nest(&r.attrs, IPVS_CMD_ATTR_SERVICE, |p| {
            port = Some(service::decode_key_or_full(p)?.0.key.port());
            Ok(())
        })
        .unwrap();
        port.expect("the request names a service")
    }

    /// A kernel whose dump lists services on ports 3, 1 and 2, in two datagrams; the one
    /// on port 2 is deleted right after the dump. Each other one has as many real servers
    /// as its port, and `port * 100` connections so far.
    fn table_kernel() -> Client<Scripted> {
        client(move |r| match (r.cmd, r.flags & NLM_F_DUMP != 0) {
            (IPVS_CMD_GET_SERVICE, true) => vec![
                datagram(&[service_msg(r.seq, NLM_F_MULTI, 3)]),
                datagram(&[
                    service_msg(r.seq, NLM_F_MULTI, 1),
                    service_msg(r.seq, NLM_F_MULTI, 2),
                ]),
                done(r.seq),
            ],
            (IPVS_CMD_GET_SERVICE, false) => {
                assert_eq!(r.flags & NLM_F_ACK, 0, "the reply is the answer");
                let port = port_asked(r);
                if port == 2 {
                    return vec![ack(r.seq, libc_esrch())];
                }
                let mut svc = Service::new(ServiceKey::Addr {
                    protocol: Protocol::Tcp,
                    addr: "192.0.2.1".parse().unwrap(),
                    port,
                });
                svc.scheduler = Name::truncated(b"rr");
                svc.stats = Some(crate::model::Stats {
                    conns: u64::from(port) * 100,
                    ..Default::default()
                });
                let mut p = vec![IPVS_CMD_NEW_SERVICE, 1, 0, 0];
                service::encode(&mut AttrWriter::new(&mut p), &svc, Style::Reply);
                vec![msg(FAMILY, 0, r.seq, &p)]
            }
            (IPVS_CMD_GET_DEST, true) => {
                let port = port_asked(r);
                let n = if port == 2 { 0 } else { port as u8 };
                let dests: Vec<Vec<u8>> = (1..=n).map(|i| dest_msg(r.seq, i)).collect();
                vec![datagram(&dests), done(r.seq)]
            }
            other => panic!("unexpected request {other:?}"),
        })
    }

    type Seen = (u16, Name, Option<u64>, usize);

    fn walk_all(c: &mut Client<Scripted>, index: &ServiceIndex, counters: bool) -> Vec<Seen> {
        let mut seen = Vec::new();
        let flow = c
            .walk(index, counters, |svc, dests| {
                let port = svc.key.port();
                assert!(dests.iter().all(|d| d.port == 8080));
                // Counters are read only when asked for.
                let conns = if counters { Some(7) } else { None };
                assert!(dests.iter().all(|d| d.stats.map(|s| s.conns) == conns));
                seen.push((port, svc.scheduler, svc.stats.map(|s| s.conns), dests.len()));
                ControlFlow::<()>::Continue(())
            })
            .unwrap();
        assert_eq!(flow, ControlFlow::Continue(()));
        seen
    }

    #[test]
    fn a_walk_hands_one_service_at_a_time_with_its_real_servers() {
        let mut c = table_kernel();
        let mut index = c.service_index().unwrap();
        index.sort_by_key(|k| k.port());
        let dump_requests = c.sock.requests.len();
        let s = |n: &str| Name::truncated(n.as_bytes());
        assert_eq!(
            walk_all(&mut c, &index, false),
            [
                (1, s("wlc"), None, 1),
                (2, s("wlc"), None, 0),
                (3, s("wlc"), None, 3)
            ]
        );
        // One datagram, one request per service.
        let walked = &c.sock.requests[dump_requests..];
        assert_eq!(walked.len(), 3);
        assert!(walked.iter().all(|r| r.cmd == IPVS_CMD_GET_DEST));
        assert_eq!(c.sock.sent_datagrams, 1 + 3);
        // With counters, the service is read again with its real servers, in the same
        // datagram; the deleted one comes as the index has it.
        let mut c = table_kernel();
        let index = c.service_index().unwrap();
        assert_eq!(
            walk_all(&mut c, &index, true),
            [
                (3, s("rr"), Some(300), 3),
                (1, s("rr"), Some(100), 1),
                (2, s("wlc"), None, 0)
            ]
        );
        let cmds: Vec<u8> = c.sock.requests[1..].iter().map(|r| r.cmd).collect();
        assert_eq!(cmds, [IPVS_CMD_GET_SERVICE, IPVS_CMD_GET_DEST].repeat(3));
        assert_eq!(c.sock.sent_datagrams, 1 + 3);
    }

    /// A kernel with one service whose real-server dumps come, read after read, as the
    /// given datagrams of servers (by last address byte).
    fn servers_kernel(reads: Vec<Vec<Vec<u8>>>) -> Client<Scripted> {
        let mut reads = reads.into_iter();
        client(move |r| match r.cmd {
            IPVS_CMD_GET_SERVICE => {
                vec![datagram(&[service_msg(r.seq, NLM_F_MULTI, 1)]), done(r.seq)]
            }
            IPVS_CMD_GET_DEST => {
                let parts = reads.next().expect("no more reads were scripted");
                let mut out: Vec<Vec<u8>> = parts
                    .iter()
                    .map(|part| {
                        let msgs: Vec<Vec<u8>> = part.iter().map(|&b| dest_msg(r.seq, b)).collect();
                        datagram(&msgs)
                    })
                    .collect();
                out.push(done(r.seq));
                out
            }
            other => panic!("unexpected request {other}"),
        })
    }

    fn walked_servers(c: &mut Client<Scripted>, index: &ServiceIndex) -> Result<Vec<u8>, Error> {
        let mut seen = Vec::new();
        let _ = c.walk(index, false, |_, dests| {
            seen.extend(dests.iter().map(|d| match d.addr {
                std::net::IpAddr::V4(a) => a.octets()[3],
                std::net::IpAddr::V6(_) => 0,
            }));
            ControlFlow::<()>::Continue(())
        })?;
        Ok(seen)
    }

    #[test]
    fn a_consistent_walk_reads_a_list_in_several_datagrams_until_two_reads_agree() {
        // Read 1 repeats server 2 (a server added before the dump's position), read 2
        // misses server 3's neighbour 4, reads 3 and 4 agree.
        let reads = vec![
            vec![vec![1, 2], vec![2, 3]],
            vec![vec![1, 2], vec![3]],
            vec![vec![1, 2], vec![3, 4]],
            vec![vec![1, 2], vec![3, 4]],
        ];
        let mut c = servers_kernel(reads.clone());
        let index = c.consistent_service_index(5).unwrap();
        assert_eq!(walked_servers(&mut c, &index).unwrap(), [1, 2, 3, 4]);
        let dumps = c
            .sock
            .requests
            .iter()
            .filter(|r| r.cmd == IPVS_CMD_GET_DEST);
        assert_eq!(dumps.count(), 4);
        // A plain index takes each list as it comes.
        let mut c = servers_kernel(reads.clone());
        let index = c.service_index().unwrap();
        assert_eq!(walked_servers(&mut c, &index).unwrap(), [1, 2, 2, 3]);
        // A list in one datagram is read once, and one that keeps changing is given up on.
        let mut c = servers_kernel(vec![vec![vec![1, 2, 3]]]);
        let index = c.consistent_service_index(5).unwrap();
        assert_eq!(walked_servers(&mut c, &index).unwrap(), [1, 2, 3]);
        let mut c = servers_kernel((0..3).map(|i| vec![vec![1], vec![10 + i]]).collect());
        let index = c.consistent_service_index(3).unwrap();
        match walked_servers(&mut c, &index) {
            Err(Error::Torn { reads }) => assert_eq!(reads, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_walk_stops_when_told() {
        let mut c = table_kernel();
        let index = c.service_index().unwrap();
        let mut visits = 0;
        let flow = c
            .walk(&index, false, |svc, _| {
                visits += 1;
                if svc.key.port() == 1 {
                    ControlFlow::Break(svc.key.port())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!((flow, visits), (ControlFlow::Break(1), 2));
        assert_eq!(
            c.sock.requests.len(),
            1 + 2,
            "nothing is asked after the break"
        );
    }

    #[test]
    fn an_interrupted_dump_starts_over() {
        let mut round = 0;
        let mut c = client(move |r| {
            assert_eq!(r.cmd, IPVS_CMD_GET_SERVICE);
            assert_eq!(r.flags & NLM_F_DUMP, NLM_F_DUMP);
            round += 1;
            if round == 1 {
                // A change raced the dump: the kernel flags it.
                vec![
                    service_msg(r.seq, NLM_F_MULTI, 1),
                    service_msg(r.seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 2),
                    msg(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, r.seq, &[0; 4]),
                ]
            } else {
                vec![
                    service_msg(r.seq, NLM_F_MULTI, 10),
                    service_msg(r.seq, NLM_F_MULTI, 11),
                    service_msg(r.seq, NLM_F_MULTI, 12),
                    msg(NLMSG_DONE, NLM_F_MULTI, r.seq, &[0; 4]),
                ]
            }
        });
        let ports: Vec<u16> = c.services().unwrap().iter().map(|s| s.key.port()).collect();
        assert_eq!(
            ports,
            vec![10, 11, 12],
            "only the consistent second dump counts"
        );
        assert_eq!(c.sock.requests.len(), 2);
    }

    /// A message cut short: its header claims more than the datagram holds.
    fn cut(mut m: Vec<u8>) -> Vec<u8> {
        m.truncate(m.len() / 2);
        m
    }

    #[test]
    fn a_dump_abandoned_half_way_is_read_out_so_the_next_one_is_answered() {
        let mut round = 0;
        let mut c = client(move |r| {
            round += 1;
            match (round, r.cmd) {
                // A datagram that does not decode in the middle of a service dump.
                (1, IPVS_CMD_GET_SERVICE) => vec![
                    service_msg(r.seq, NLM_F_MULTI, 1),
                    cut(service_msg(r.seq, NLM_F_MULTI, 2)),
                    service_msg(r.seq, NLM_F_MULTI, 3),
                    done(r.seq),
                ],
                // The same in the middle of a real-server dump.
                (2, IPVS_CMD_GET_DEST) => vec![
                    dest_msg(r.seq, 1),
                    cut(dest_msg(r.seq, 2)),
                    dest_msg(r.seq, 3),
                    done(r.seq),
                ],
                (3, IPVS_CMD_GET_DEST) => vec![dest_msg(r.seq, 7), done(r.seq)],
                (4, IPVS_CMD_GET_SERVICE) => vec![service_msg(r.seq, NLM_F_MULTI, 10), done(r.seq)],
                other => panic!("unexpected request {other:?}"),
            }
        });
        let key = ServiceKey::Fwmark {
            family: crate::model::Family::Inet,
            mark: 9,
        };
        assert!(c.services().is_err(), "the service dump does not decode");
        assert!(
            c.dests(&key).is_err(),
            "the real-server dump does not decode"
        );
        let last_byte = |a: std::net::IpAddr| match a {
            std::net::IpAddr::V4(v4) => v4.octets()[3],
            std::net::IpAddr::V6(_) => 0,
        };
        let dests: Vec<u8> = c
            .dests(&key)
            .unwrap()
            .iter()
            .map(|d| last_byte(d.addr))
            .collect();
        assert_eq!(dests, vec![7]);
        let ports: Vec<u16> = c.services().unwrap().iter().map(|s| s.key.port()).collect();
        assert_eq!(ports, vec![10]);
    }

    #[test]
    fn replies_to_other_requests_are_ignored_and_errors_surface() {
        let mut c = client(|r| {
            vec![
                ack(r.seq.wrapping_sub(7), 0), // a stale ACK of something earlier
                ack(r.seq, libc_esrch()),
            ]
        });
        let err = c.dests(&ServiceKey::Fwmark {
            family: crate::model::Family::Inet,
            mark: 9,
        });
        assert_eq!(err.unwrap_err().errno(), libc_esrch());
    }

    #[test]
    fn a_change_too_long_to_encode_is_refused_before_anything_is_sent() {
        let mut c = client(|r| vec![ack(r.seq, 0)]);
        // An attribute longer than its length field holds, and a nest too big for its own.
        let unknown = |len| crate::model::UnknownAttr {
            kind: 99,
            payload: vec![0; len],
        };
        let Change::AddService(mut long_attr) = add(80) else {
            unreachable!()
        };
        long_attr.unknown = vec![unknown(70_000)];
        let Change::AddService(mut big_nest) = add(81) else {
            unreachable!()
        };
        big_nest.unknown = vec![unknown(30_000); 3];
        for svc in [long_attr, big_nest] {
            let batch = [add(1), Change::AddService(svc.clone()), add(2)];
            let err = c.apply_batch(&batch).unwrap_err();
            assert!(matches!(err, Error::TooLong(_)), "{err:?}");
            assert_eq!(err.errno(), nix::libc::EMSGSIZE);
            assert_eq!(c.sock.sent_datagrams, 0, "nothing of the batch is sent");
            // Queued on its own, it is refused and takes no sequence number; the changes
            // around it go out as usual.
            c.queue(&add(3)).unwrap();
            let err = c.queue(&Change::AddService(svc)).unwrap_err();
            assert!(matches!(err, Error::TooLong(_)), "{err:?}");
            c.queue(&add(4)).unwrap();
            c.send_queued().unwrap();
            assert_eq!(c.outcomes().filter(Result::is_ok).count(), 2);
            let seqs: Vec<u32> = c.sock.requests.iter().map(|r| r.seq).collect();
            assert_eq!(seqs.len(), 2);
            assert_eq!(seqs[1], seqs[0].wrapping_add(1));
            c.sock.requests.clear();
            c.sock.sent_datagrams = 0;
        }
    }

    fn libc_eexist() -> i32 {
        nix::libc::EEXIST
    }
    fn libc_esrch() -> i32 {
        nix::libc::ESRCH
    }
}
