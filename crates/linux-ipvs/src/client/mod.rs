//! The IPVS client: it owns the generic-netlink sockets (one for requests, one for table
//! dumps), the `IPVS` family id resolved once, and the sequence numbers. Its work is split
//! by job: the changes it can make (`change`), what it talks through (`transport`),
//! changes many per datagram (`batch`), one request and its reply (`exchange`), reads of
//! the kernel's state (`reads`), and reads that no concurrent change tore (`consistency`,
//! the one place that decides whether a read was torn).

mod batch;
mod change;
mod consistency;
mod exchange;
mod reads;
#[cfg(test)]
mod tests;
mod transport;

pub use batch::{BATCH_BYTES, BatchError, Outcome};
pub use change::{Change, ChangeKind};
pub use consistency::ConsistentSnapshot;
pub use transport::Transport;

use crate::consts::*;
use crate::error::Error;
use crate::netlink::{self, Socket};

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
    /// Whether whole-table reads try the kernel's socket options first.
    one_call: bool,
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
            one_call: true,
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

    /// Whether [`Client::service_index`] and [`Client::consistent_service_index`] read the
    /// real servers with the services, the IPv4 services' through the kernel's socket
    /// options (`IP_VS_SO_GET_DESTS`, a call per service, many times cheaper than a netlink
    /// dump per service): yes unless turned off here (to measure or check netlink on its
    /// own, say). A [`Client::walk`] without counters then asks the kernel only for IPv6
    /// services' real servers (through netlink, as before).
    ///
    /// ```no_run
    /// let mut ipvs = linux_ipvs::Client::open()?;
    /// ipvs.set_one_call(false);
    /// assert!(!ipvs.service_index()?.has_servers());
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn set_one_call(&mut self, on: bool) {
        self.one_call = on;
    }

    pub(crate) fn one_call_enabled(&self) -> bool {
        self.one_call
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
    pub(super) fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}
