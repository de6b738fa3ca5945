//! One generic-netlink socket: neli opens and configures it; we send whole buffers (several
//! requests at once) and receive into one reused buffer.

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use super::Error;

/// Size of the receive buffer: larger than any single datagram the kernel sends for
/// generic-netlink dumps (which are bounded by a page or 32 KiB).
const RECV_BUF: usize = 64 * 1024;

/// A connected `NETLINK_GENERIC` socket with extended ACKs enabled.
pub struct Socket {
    sock: NlSocket,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").finish_non_exhaustive()
    }
}

impl Socket {
    /// Opens and binds the socket.
    pub fn open() -> Result<Socket, Error> {
        let sock =
            NlSocket::connect(NlFamily::Generic, None, Groups::empty()).map_err(Error::Io)?;
        // Older kernels lack extended ACKs; error texts are then simply absent.
        let _ = sock.enable_ext_ack(true);
        let _ = sock.set_recv_buffer_size(1 << 20);
        Ok(Socket {
            sock,
            buf: vec![0; RECV_BUF],
        })
    }

    /// Sends a buffer holding one or more complete messages in one datagram.
    pub fn send(&self, msgs: &[u8]) -> Result<(), Error> {
        let sent = self.sock.send(msgs, Msg::empty()).map_err(Error::Io)?;
        if sent != msgs.len() {
            return Err(Error::Malformed("short send"));
        }
        Ok(())
    }

    /// Receives one datagram (one or more messages).
    pub fn recv(&mut self) -> Result<&[u8], Error> {
        loop {
            match self.sock.recv(&mut self.buf[..], Msg::empty()) {
                Ok((n, _)) => return Ok(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }
}
