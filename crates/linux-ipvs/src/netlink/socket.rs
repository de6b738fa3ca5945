//! One generic-netlink socket: neli opens and configures it; we send whole buffers (several
//! requests at once) and receive into one reused buffer.

use std::io::IoSliceMut;
use std::os::fd::AsRawFd;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use nix::sys::socket::{
    MsgFlags, MultiHeaders, NetlinkAddr, getsockopt, recvmmsg, setsockopt, sockopt,
};

use super::Error;

/// Size of the receive buffer: larger than any single datagram the kernel sends for
/// generic-netlink dumps (which are bounded by a page or 32 KiB).
const RECV_BUF: usize = 64 * 1024;

/// The socket receive buffer asked for: room for the replies to a whole batch of changes.
const SOCKET_RCVBUF: usize = 1 << 20;

/// What one reply to a change can take of the socket's receive buffer, at most: the
/// kernel charges a reply's whole allocation (`truesize`), about 768 bytes for an ACK and
/// under 1,300 for an error that echoes a request of a few hundred bytes with an extended-
/// ACK text.
const REPLY_CHARGE: usize = 2048;

/// What kind of reply a [`Transport::recv_many`](crate::Transport::recv_many) call waits
/// for; the socket sizes its receive slots by it (how many datagrams one `recvmmsg` may
/// return, and the room for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// ACKs: the kernel sends each as a datagram of its own (36 bytes; an error echoes the
    /// request, a few hundred), so a batch of changes is answered by many small datagrams.
    Acks,
    /// Dump parts: a few large datagrams, then `NLMSG_DONE`, which the kernel only makes
    /// while we read; one call usually gets a small dump's data and its end together.
    Dump,
}

impl Expect {
    fn slots(self) -> (usize, usize) {
        match self {
            Expect::Acks => (64, 2048),
            Expect::Dump => (4, RECV_BUF),
        }
    }
}

/// A connected `NETLINK_GENERIC` socket with extended ACKs enabled and a receive buffer
/// sized for batches: the [`Transport`](crate::Transport) a [`Client`](crate::Client) uses
/// unless it is given another.
pub struct Socket {
    sock: NlSocket,
    /// The receive buffer the kernel gave the socket, in bytes as it counts them.
    rcvbuf: usize,
    buf: Vec<u8>,
    /// Receive slots for [`Socket::recv_many`], per kind, allocated on first use.
    many: [Option<Many>; 2],
}

struct Many {
    headers: MultiHeaders<NetlinkAddr>,
    buf: Vec<u8>,
    lens: Vec<usize>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").finish_non_exhaustive()
    }
}

impl Socket {
    /// Opens and binds the socket.
    pub(crate) fn open() -> Result<Socket, Error> {
        let sock =
            NlSocket::connect(NlFamily::Generic, None, Groups::empty()).map_err(Error::Io)?;
        // Older kernels lack extended ACKs; error texts are then simply absent.
        let _ = sock.enable_ext_ack(true);
        // Past net.core.rmem_max where allowed (CAP_NET_ADMIN, which IPVS needs anyway),
        // else as much as that allows; the size the kernel settled on bounds batches.
        let fd = crate::sys::socket_fd(&sock);
        if setsockopt(&fd, sockopt::RcvBufForce, &SOCKET_RCVBUF).is_err() {
            let _ = sock.set_recv_buffer_size(SOCKET_RCVBUF);
        }
        let rcvbuf = getsockopt(&fd, sockopt::RcvBuf).unwrap_or(0);
        Ok(Socket {
            sock,
            rcvbuf,
            buf: vec![0; RECV_BUF],
            many: [None, None],
        })
    }

    /// The socket without its receive slots, which can move to another thread (a socket
    /// opened by a thread that joined another network namespace), and the receive buffer's
    /// size.
    pub(crate) fn into_parts(self) -> (NlSocket, usize) {
        (self.sock, self.rcvbuf)
    }

    /// A socket from [`Socket::into_parts`].
    pub(crate) fn from_parts(sock: NlSocket, rcvbuf: usize) -> Socket {
        Socket {
            sock,
            rcvbuf,
            buf: vec![0; RECV_BUF],
            many: [None, None],
        }
    }

    /// How many replies to changes may wait in the receive buffer at once without the
    /// kernel dropping one (it would then report `ENOBUFS`): a batch sends no more changes
    /// than this before reading their replies.
    pub(crate) fn reply_room(&self) -> usize {
        (self.rcvbuf / REPLY_CHARGE).max(1)
    }

    /// Reads and drops every datagram waiting on the socket, without waiting for more.
    /// After an overflow this clears the kernel's congestion state, which otherwise makes
    /// it drop later replies without saying so.
    pub(crate) fn discard_waiting(&mut self) {
        loop {
            match self.sock.recv(&mut self.buf[..], Msg::DONTWAIT) {
                Ok((n, _)) if n > 0 => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => continue,
                _ => return,
            }
        }
    }

    /// Sends a buffer holding one or more complete messages in one datagram.
    pub(crate) fn send(&self, msgs: &[u8]) -> Result<(), Error> {
        let sent = self.sock.send(msgs, Msg::empty()).map_err(Error::Io)?;
        if sent != msgs.len() {
            return Err(Error::Malformed("short send"));
        }
        Ok(())
    }

    /// Receives at least one and up to a few dozen datagrams in one system call (`recvmmsg`) and
    /// hands each to `each`, in order. For replies made of many small datagrams (ACKs); a
    /// datagram larger than a slot is reported as malformed rather than cut silently.
    pub(crate) fn recv_many(
        &mut self,
        expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (count, slot_len) = expect.slots();
        let many = self.many[expect as usize].get_or_insert_with(|| Many {
            headers: MultiHeaders::preallocate(count, None),
            buf: vec![0; count * slot_len],
            lens: Vec::with_capacity(count),
        });
        many.lens.clear();
        loop {
            let mut slots: Vec<[IoSliceMut<'_>; 1]> = many
                .buf
                .chunks_mut(slot_len)
                .map(|c| [IoSliceMut::new(c)])
                .collect();
            match recvmmsg(
                self.sock.as_raw_fd(),
                &mut many.headers,
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
                Err(e) => return Err(Error::Io(std::io::Error::from(e))),
            }
        }
        for (i, &n) in many.lens.iter().enumerate() {
            let start = i * slot_len;
            each(&many.buf[start..start + n])?;
        }
        Ok(())
    }

    /// Receives one datagram (one or more messages).
    pub(crate) fn recv(&mut self) -> Result<&[u8], Error> {
        loop {
            match self.sock.recv(&mut self.buf[..], Msg::empty()) {
                Ok((n, _)) => return Ok(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }
}
