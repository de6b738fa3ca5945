//! The library's checks on the real kernel, run in the test VM by tests/lib/vm-run.sh: each
//! subcommand drives `linux_ipvs::Client` the way a controller would and prints what it read,
//! for the script to compare with the reference `ipvsadm`.
//!
//! - `large-buffer-dests ADDR:PORT`: opens a client, then lets the kernel see a 32 KiB
//!   receive buffer on every generic-netlink socket of this process (a request of its own,
//!   answered into 32 KiB), as a kernel with 64 KiB pages behaves from a dump's first
//!   datagram; then lists the real servers of the TCP service ADDR:PORT, one
//!   `ADDR:PORT WEIGHT` line each.
//! - `open-then-join NETNS`: opens a client, then moves this thread into NETNS and lists the
//!   services through that client: they must be the first namespace's (one `ADDR:PORT`
//!   line each, sorted).
//! - `aborted-dump ADDR:PORT`: a client whose transport fails the first real-server dump of
//!   the TCP service ADDR:PORT after its first datagram, and the first service dump after
//!   its first datagram, as a decode failure would; the same client then lists the real
//!   servers and the services again, which must work (`ADDR:PORT WEIGHT` lines, then
//!   `service ADDR:PORT` lines).
//! - `vanishing-service ADDR:PORT`: a client whose read of the whole table takes the real
//!   servers through the socket options, while a second client deletes the TCP service
//!   ADDR:PORT between the one-call service list and the first service's real servers
//!   (the list names it, its `IP_VS_SO_GET_DESTS` finds it gone); prints the table it then
//!   walks, `ADDR:PORT -` for each service and `ADDR:PORT RADDR:RPORT WEIGHT` for each real
//!   server, and on standard error how many reads were thrown away.

use std::cell::{Cell, RefCell};
use std::fs;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::os::fd::{BorrowedFd, RawFd};

use anyhow::{Context, bail};
use linux_ipvs::{Change, Client, Error, Expect, Protocol, ServiceKey, Socket, Transport};
use nix::sys::socket::{MsgFlags, recv, send};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["large-buffer-dests", addr] => {
            let key = tcp(addr)?;
            let mut client = Client::open()?;
            let shown = show_large_buffer()?;
            eprintln!("a 32 KiB buffer shown on {shown} generic-netlink sockets");
            print_dests(&mut client, &key)
        }
        ["open-then-join", netns] => {
            let mut client = Client::open()?;
            linux_ipvs::netns::join(netns.as_ref())?;
            print_services(&mut client)
        }
        ["aborted-dump", addr] => {
            let key = tcp(addr)?;
            let family = Client::open()?.family_id();
            let mut client = Client::with_transport(
                Failing {
                    inner: Socket::open()?,
                    armed: [true, true],
                    seen: [0, 0],
                },
                family,
            );
            match client.dests(&key) {
                Ok(d) => bail!("the failing real-server dump gave {} servers", d.len()),
                Err(e) => eprintln!("first real-server dump failed as arranged: {e}"),
            }
            match client.services() {
                Ok(s) => bail!("the failing service dump gave {} services", s.len()),
                Err(e) => eprintln!("first service dump failed as arranged: {e}"),
            }
            print_dests(&mut client, &key)?;
            print_services(&mut client)
        }
        ["vanishing-service", addr] => {
            let gone = tcp(addr)?;
            let family = Client::open()?.family_id();
            let mut client = Client::with_transport(
                Vanishing {
                    inner: Socket::open()?,
                    deleter: RefCell::new(Some((Client::open()?, gone))),
                    calls: Cell::new(0),
                },
                family,
            );
            let index = client.service_index()?;
            if client.transport().deleter.borrow().is_some() {
                bail!("the read never asked for the socket options: nothing was deleted");
            }
            eprintln!(
                "{} services; reads thrown away: {}; real servers read with the index: {}",
                index.len(),
                index.changed_reads(),
                index.has_servers()
            );
            let mut lines = Vec::new();
            let _: ControlFlow<()> = client.walk(&index, false, |svc, dests| {
                let name = match svc.key {
                    ServiceKey::Addr { addr, port, .. } => SocketAddr::new(addr, port).to_string(),
                    other => format!("{other:?}"),
                };
                lines.push(format!("{name} -"));
                for d in dests {
                    lines.push(format!(
                        "{name} {} {}",
                        SocketAddr::new(d.addr, d.port),
                        d.weight
                    ));
                }
                ControlFlow::Continue(())
            })?;
            lines.sort();
            for l in lines {
                println!("{l}");
            }
            Ok(())
        }
        _ => bail!(
            "usage: lib_vm large-buffer-dests ADDR:PORT | open-then-join NETNS | aborted-dump ADDR:PORT | vanishing-service ADDR:PORT"
        ),
    }
}

fn tcp(addr: &str) -> anyhow::Result<ServiceKey> {
    let a: SocketAddr = addr
        .parse()
        .with_context(|| format!("{addr}: not ADDR:PORT"))?;
    Ok(ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: a.ip(),
        port: a.port(),
    })
}

fn print_dests<T: Transport>(client: &mut Client<T>, key: &ServiceKey) -> anyhow::Result<()> {
    for d in client.dests(key)? {
        println!("{} {}", SocketAddr::new(d.addr, d.port), d.weight);
    }
    Ok(())
}

fn print_services<T: Transport>(client: &mut Client<T>) -> anyhow::Result<()> {
    let mut lines: Vec<String> = client
        .services()?
        .iter()
        .map(|s| match s.key {
            ServiceKey::Addr { addr, port, .. } => {
                format!("service {}", SocketAddr::new(addr, port))
            }
            other => format!("service {other:?}"),
        })
        .collect();
    lines.sort();
    for l in lines {
        println!("{l}");
    }
    Ok(())
}

/// The descriptors of this process's generic-netlink sockets: its `socket:[INODE]` links in
/// /proc/self/fd whose inode /proc/self/net/netlink lists with protocol 16.
fn generic_netlink_fds() -> anyhow::Result<Vec<RawFd>> {
    let table = fs::read_to_string("/proc/self/net/netlink")?;
    let generic: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"16")).then(|| *f.last().unwrap_or(&""))
        })
        .collect();
    let mut fds = Vec::new();
    for entry in fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        let Ok(target) = fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        let inode = target.trim_start_matches("socket:[").trim_end_matches(']');
        if target.starts_with("socket:[") && generic.contains(&inode) {
            fds.push(entry.file_name().to_string_lossy().parse()?);
        }
    }
    Ok(fds)
}

/// Sends a request of its own on each generic-netlink socket (the controller's family
/// lookup for `IPVS`, no ACK) and reads the answer into a 32 KiB buffer, which the kernel
/// remembers as that socket's largest read.
fn show_large_buffer() -> anyhow::Result<usize> {
    let fds = generic_netlink_fds()?;
    let seq: u32 = 0x7e57_0001;
    let mut req = Vec::new();
    req.extend_from_slice(&32u32.to_ne_bytes()); // nlmsg_len
    req.extend_from_slice(&0x10u16.to_ne_bytes()); // GENL_ID_CTRL
    req.extend_from_slice(&1u16.to_ne_bytes()); // NLM_F_REQUEST
    req.extend_from_slice(&seq.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.extend_from_slice(&[3, 1, 0, 0]); // CTRL_CMD_GETFAMILY, version 1
    req.extend_from_slice(&9u16.to_ne_bytes());
    req.extend_from_slice(&2u16.to_ne_bytes()); // CTRL_ATTR_FAMILY_NAME
    req.extend_from_slice(b"IPVS\0\0\0\0");
    let mut buf = vec![0u8; 32 * 1024];
    for &fd in &fds {
        send(fd, &req, MsgFlags::empty())?;
        let n = recv(fd, &mut buf, MsgFlags::empty())?;
        let got_seq = buf
            .get(8..12)
            .map(|b| u32::from_ne_bytes(b.try_into().unwrap()));
        if n < 16 || got_seq != Some(seq) {
            bail!("fd {fd}: unexpected answer of {n} bytes to the family lookup");
        }
    }
    if fds.is_empty() {
        bail!("no generic-netlink socket found in /proc/self/fd");
    }
    Ok(fds.len())
}

/// The [`Transport`] methods that a test's transport passes on to the real socket in its
/// `inner` as they are.
macro_rules! passed_on {
    () => {
        fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
            Transport::send(&mut self.inner, msgs)
        }
        fn send_for(&mut self, expect: Expect, msgs: &[u8]) -> Result<(), Error> {
            Transport::send_for(&mut self.inner, expect, msgs)
        }
        fn recv(&mut self) -> Result<&[u8], Error> {
            Transport::recv(&mut self.inner)
        }
        fn reply_room(&self) -> usize {
            Transport::reply_room(&self.inner)
        }
        fn discard_waiting(&mut self) {
            Transport::discard_waiting(&mut self.inner)
        }
    };
}

/// The real socket, failing a dump once per kind (real servers, services) after handing
/// over its first datagram, as a reply that does not decode would.
struct Failing {
    inner: Socket,
    /// Still to fail: the short dumps (real servers), the table dumps.
    armed: [bool; 2],
    /// Datagrams handed over so far, of each kind.
    seen: [usize; 2],
}

impl Transport for Failing {
    passed_on!();
    fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let which = usize::from(expect == Expect::Dump);
        let (armed, seen) = (&mut self.armed[which], &mut self.seen[which]);
        Transport::recv_many(&mut self.inner, expect, &mut |data| {
            if *armed && *seen == 1 {
                *armed = false;
                return Err(Error::Malformed("failure arranged by the test"));
            }
            *seen += 1;
            each(data)
        })
    }
}

/// The real socket, and a second client that deletes a service when the socket options are
/// asked for the second time: after the whole-table read's one-call service list (the
/// first time), before any service's real servers.
struct Vanishing {
    inner: Socket,
    /// The deleting client and the service it deletes, until it has.
    deleter: RefCell<Option<(Client, ServiceKey)>>,
    /// How many times the socket options' descriptor was asked for.
    calls: Cell<usize>,
}

impl Transport for Vanishing {
    passed_on!();
    fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        Transport::recv_many(&mut self.inner, expect, each)
    }
    fn read_waiting(&mut self, each: &mut dyn FnMut(&[u8])) {
        Transport::read_waiting(&mut self.inner, each)
    }
    fn legacy_fd(&self) -> Option<BorrowedFd<'_>> {
        self.calls.set(self.calls.get() + 1);
        if self.calls.get() == 2
            && let Some((mut other, key)) = self.deleter.borrow_mut().take()
        {
            match other.apply(&Change::DeleteService(key)) {
                Ok(()) => eprintln!("deleted {key:?} after the one-call service list"),
                Err(e) => eprintln!("could not delete {key:?}: {e}"),
            }
        }
        Transport::legacy_fd(&self.inner)
    }
}
