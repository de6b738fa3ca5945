//! The generic-netlink sockets of a client: neli opens and configures them; we send whole
//! buffers (several requests at once) and receive into reused buffers.
//!
//! A client talks through one socket, and a second one for the dumps of whole tables (the
//! service dump); both are opened with the client, in the namespace it is made in.
//!
//! Every receive slot holds any datagram the kernel may send: a dump datagram is as large
//! as a page (at most 8 KiB) from the start, and as large as the largest receive buffer the
//! socket has been read with (at most 32 KiB) once the kernel has seen one; other replies
//! fit a page. On kernels with 16 KiB or 64 KiB pages, and on any socket read once with a
//! large buffer, page-sized slots would cut datagrams short. So every slot is
//! [`DATAGRAM_MAX`], and the kernel makes every dump in datagrams of up to 32 KiB.

use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use nix::sys::socket::{
    MsgFlags, MultiHeaders, NetlinkAddr, getsockopt, recvmmsg, setsockopt, sockopt,
};
use nix::sys::time::TimeVal;

use crate::error::Error;

/// The largest datagram the kernel sends a netlink reader: a dump's datagrams grow to the
/// largest receive buffer the reader has shown, capped at 32 KiB less the kernel's own
/// overhead (`netlink_recvmsg`), and start at `NLMSG_GOODSIZE`, a page of at most 8 KiB;
/// single replies are allocated at `NLMSG_GOODSIZE` too.
pub(crate) const DATAGRAM_MAX: usize = 32 * 1024;

/// The socket receive buffer asked for: room for the replies to a whole batch of changes.
const SOCKET_RCVBUF: usize = 1 << 20;

/// What one reply to a change can take of the socket's receive buffer, at most: the
/// kernel charges a reply's whole allocation (`truesize`), about 768 bytes for an ACK and
/// under 1,300 for an error that echoes a request of a few hundred bytes with an extended-
/// ACK text.
const REPLY_CHARGE: usize = 2048;

/// How long a receive waits for the kernel unless told otherwise
/// ([`Client::set_timeout`](crate::Client::set_timeout)). The kernel answers a request while
/// it handles it, so a reply that takes this long is not coming.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Sets a socket's receive timeout (`SO_RCVTIMEO`); `None` waits for ever.
fn set_timeout(sock: &NlSocket, timeout: Option<Duration>) -> Result<(), Error> {
    let tv = match timeout {
        // A zero timeval means "no timeout" to the kernel: the shortest wait is 1 µs.
        Some(t) => TimeVal::from(libc_timeval(t.max(Duration::from_micros(1)))),
        None => TimeVal::from(libc_timeval(Duration::ZERO)),
    };
    setsockopt(&crate::sys::socket_fd(sock), sockopt::ReceiveTimeout, &tv)
        .map_err(|e| Error::Io(std::io::Error::from(e)))
}

fn libc_timeval(d: Duration) -> nix::libc::timeval {
    nix::libc::timeval {
        tv_sec: d.as_secs().min(i64::MAX as u64) as nix::libc::time_t,
        tv_usec: d.subsec_micros() as nix::libc::suseconds_t,
    }
}

/// What kind of reply a [`Transport::recv_many`](crate::Transport::recv_many) call waits
/// for; the socket picks the socket and the receive slots by it (how many datagrams one
/// `recvmmsg` may return, and the room for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// ACKs and errors for a batch of changes: the kernel sends each as a datagram of its
    /// own (36 bytes; an error echoes the request, a few hundred).
    Acks,
    /// A dump of a whole table (every service): large datagrams, then `NLMSG_DONE`, which
    /// the kernel only makes while we read. Sent and read on a socket of its own.
    Dump,
    /// The reply to a single request or the short dump of one service's real servers: a
    /// datagram or two (a short dump's data and its end usually come together in one call).
    Reply,
}

impl Expect {
    fn slots(self) -> (usize, usize) {
        match self {
            Expect::Acks => (64, REPLY_CHARGE),
            Expect::Dump => (4, DATAGRAM_MAX),
            Expect::Reply => (2, DATAGRAM_MAX),
        }
    }
}

/// The connected `NETLINK_GENERIC` sockets of a client, with extended ACKs enabled and a
/// receive buffer sized for batches: the [`Transport`](crate::Transport) a
/// [`Client`](crate::Client) uses unless it is given another.
pub struct Socket {
    main: Channel,
    /// The socket for table dumps.
    table: Channel,
    /// The receive buffer the kernel gave the first socket, in bytes as it counts them.
    rcvbuf: usize,
    buf: Vec<u8>,
    /// An IPv4 datagram socket of the same namespace, for the kernel's older read interface
    /// (`IP_VS_SO_GET_*`, [`crate::sockopt`]); `None` if the kernel would not open one.
    legacy: Option<OwnedFd>,
}

/// One netlink socket and its receive slots, per kind of reply, allocated on first use.
struct Channel {
    sock: NlSocket,
    many: [Option<Many>; 3],
}

/// The receive slots of one kind of reply. The `recvmmsg` headers are made per call: they
/// hold raw pointers, which would keep the socket (and so a client) from moving to another
/// thread.
struct Many {
    buf: Vec<u8>,
    lens: Vec<usize>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").finish_non_exhaustive()
    }
}

impl Channel {
    /// Opens and binds a socket; returns it with the receive buffer the kernel settled on.
    fn open() -> Result<(Channel, usize), Error> {
        let sock =
            NlSocket::connect(NlFamily::Generic, None, Groups::empty()).map_err(Error::Io)?;
        // Older kernels lack extended ACKs; error texts are then simply absent. With capped
        // ACKs (Linux 4.3 on) an error does not echo the request it answers.
        let _ = sock.enable_ext_ack(true);
        let _ = crate::sys::set_cap_ack(crate::sys::socket_fd(&sock));
        // Past net.core.rmem_max where allowed (CAP_NET_ADMIN, which IPVS needs anyway),
        // else as much as that allows; the size the kernel settled on bounds batches.
        let fd = crate::sys::socket_fd(&sock);
        if setsockopt(&fd, sockopt::RcvBufForce, &SOCKET_RCVBUF).is_err() {
            let _ = sock.set_recv_buffer_size(SOCKET_RCVBUF);
        }
        let rcvbuf = getsockopt(&fd, sockopt::RcvBuf).unwrap_or(0);
        set_timeout(&sock, Some(DEFAULT_TIMEOUT))?;
        Ok((
            Channel {
                sock,
                many: [None, None, None],
            },
            rcvbuf,
        ))
    }

    fn send(&self, msgs: &[u8]) -> Result<(), Error> {
        let sent = self.sock.send(msgs, Msg::empty()).map_err(Error::Io)?;
        if sent != msgs.len() {
            return Err(Error::Malformed("short send"));
        }
        Ok(())
    }

    fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (count, slot_len) = expect.slots();
        let many = self.many[expect as usize].get_or_insert_with(|| Many {
            buf: vec![0; count * slot_len],
            lens: Vec::with_capacity(count),
        });
        many.lens.clear();
        let mut headers = MultiHeaders::<NetlinkAddr>::preallocate(count, None);
        loop {
            let mut slots: Vec<[IoSliceMut<'_>; 1]> = many
                .buf
                .chunks_mut(slot_len)
                .map(|c| [IoSliceMut::new(c)])
                .collect();
            match recvmmsg(
                self.sock.as_raw_fd(),
                &mut headers,
                slots.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(results) => {
                    for r in results {
                        if r.flags.contains(MsgFlags::MSG_TRUNC) {
                            return Err(Error::Malformed("reply larger than a receive slot"));
                        }
                        many.lens.push(r.bytes);
                    }
                    break;
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::EAGAIN) => return Err(Error::Timeout),
                Err(e) => return Err(Error::Io(std::io::Error::from(e))),
            }
        }
        for (i, &n) in many.lens.iter().enumerate() {
            let start = i * slot_len;
            each(&many.buf[start..start + n])?;
        }
        Ok(())
    }
}

impl Socket {
    /// Opens the client's sockets in the calling thread's network namespace, for
    /// [`Client::with_transport`](crate::Client::with_transport) or a transport of one's own
    /// that wraps this one (to log or count what passes, say).
    pub fn open() -> Result<Socket, Error> {
        let (main, rcvbuf) = Channel::open()?;
        // Both now: a socket belongs to the namespace of the thread that opens it, and this
        // thread may join another one before the first table dump.
        let (table, _) = Channel::open()?;
        let legacy = nix::sys::socket::socket(
            nix::sys::socket::AddressFamily::Inet,
            nix::sys::socket::SockType::Datagram,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
            None,
        )
        .ok();
        Ok(Socket {
            main,
            table,
            rcvbuf,
            buf: vec![0; DATAGRAM_MAX],
            legacy,
        })
    }

    /// The IPv4 socket for the kernel's older read interface, if there is one.
    pub(crate) fn legacy_fd(&self) -> Option<BorrowedFd<'_>> {
        self.legacy.as_ref().map(|fd| fd.as_fd())
    }

    /// Sets how long each receive waits for the kernel (`None`: for ever), on both sockets.
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        set_timeout(&self.main.sock, timeout)?;
        set_timeout(&self.table.sock, timeout)
    }

    /// How many replies to changes may wait in the receive buffer at once without the
    /// kernel dropping one (it would then report `ENOBUFS`): a batch sends no more changes
    /// than this before reading their replies.
    pub(crate) fn reply_room(&self) -> usize {
        (self.rcvbuf / REPLY_CHARGE).max(1)
    }

    /// Reads and drops every datagram waiting on either socket, without waiting for more.
    /// After an overflow this clears the kernel's congestion state, which otherwise makes it
    /// drop later replies without saying so. A dump that was abandoned half-way is read out
    /// to its end: the kernel makes a dump's next datagram while the previous one is read,
    /// so each read leaves the next one waiting, until the last; a dump left running would
    /// make the socket's next dump request fail with `EBUSY`.
    pub(crate) fn discard_waiting(&mut self) {
        self.read_waiting(&mut |_| {});
    }

    /// [`Socket::discard_waiting`], handing each datagram waiting on the first socket (the
    /// one that reads replies to changes) to `each` first.
    pub(crate) fn read_waiting(&mut self, each: &mut dyn FnMut(&[u8])) {
        for (i, sock) in [&self.main.sock, &self.table.sock].into_iter().enumerate() {
            loop {
                match sock.recv(&mut self.buf[..], Msg::DONTWAIT) {
                    Ok((n, _)) if n > 0 => {
                        if i == 0 {
                            each(&self.buf[..n.min(self.buf.len())]);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => continue,
                    _ => break,
                }
            }
        }
    }

    /// Sends a buffer holding one or more complete messages in one datagram, on the socket
    /// that will read the reply `expect` names.
    pub(crate) fn send_for(&mut self, expect: Expect, msgs: &[u8]) -> Result<(), Error> {
        match expect {
            Expect::Dump => self.table.send(msgs),
            Expect::Acks | Expect::Reply => self.main.send(msgs),
        }
    }

    /// Sends a buffer holding one or more complete messages in one datagram (on the first
    /// socket).
    pub(crate) fn send(&self, msgs: &[u8]) -> Result<(), Error> {
        self.main.send(msgs)
    }

    /// Receives at least one and up to a few dozen datagrams in one system call
    /// (`recvmmsg`), from the socket that `expect` names, and hands each to `each`, in
    /// order. A datagram larger than a slot is reported as malformed rather than cut
    /// silently.
    pub(crate) fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match expect {
            Expect::Dump => self.table.recv_many(expect, each),
            Expect::Acks | Expect::Reply => self.main.recv_many(expect, each),
        }
    }

    /// Receives one datagram (one or more messages) on the first socket.
    pub(crate) fn recv(&mut self) -> Result<&[u8], Error> {
        loop {
            // With MSG_TRUNC the call returns the datagram's whole length, so a reply that
            // did not fit is reported rather than cut silently.
            match self.main.sock.recv(&mut self.buf[..], Msg::TRUNC) {
                Ok((n, _)) if n > self.buf.len() => {
                    return Err(Error::Malformed("reply larger than a receive buffer"));
                }
                Ok((n, _)) => return Ok(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Err(Error::Timeout),
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The socket against the host's own kernel: generic netlink is there even without IPVS,
    //! and its controller family answers.

    use super::*;
    use crate::netlink::msg::{Messages, NLM_F_CAPPED, NLM_F_REQUEST, Reply, push_genl_request};

    #[test]
    fn a_receive_with_nothing_coming_fails_with_the_timeout_error() {
        let mut sock = Socket::open().unwrap();
        sock.set_timeout(Some(Duration::from_millis(20))).unwrap();
        for expect in [Expect::Reply, Expect::Dump, Expect::Acks] {
            let got = sock.recv_many(expect, &mut |_| Ok(()));
            assert!(matches!(got, Err(Error::Timeout)), "{expect:?}: {got:?}");
        }
        assert!(matches!(sock.recv(), Err(Error::Timeout)));
    }

    #[test]
    fn an_error_reply_does_not_echo_the_request() {
        let mut sock = Socket::open().unwrap();
        // A family lookup the controller refuses (no such family), carrying a large
        // attribute it ignores: without capped ACKs the error would echo all of it.
        let mut req = Vec::new();
        push_genl_request(&mut req, 0x10, NLM_F_REQUEST, 77, 3, 1, |w| {
            w.str(2, "no-such-family-here");
            w.bytes(0x3f, &[0; 6000]);
        })
        .unwrap();
        sock.send(&req).unwrap();
        let data = sock.recv().unwrap();
        assert!(data.len() < 200, "{} bytes came back", data.len());
        let m = Messages::new(data).next().unwrap().unwrap();
        assert_ne!(m.flags & NLM_F_CAPPED, 0);
        assert!(matches!(m.reply().unwrap(), Reply::Error { .. }));
    }
}
