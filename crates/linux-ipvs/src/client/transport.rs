//! The seam between the client and the kernel: [`Transport`] moves whole datagrams, and
//! the netlink [`Socket`] is the transport of every real client. A stand-in kernel (the
//! `test-util` feature's, a test's scripted one) is another.

use crate::error::Error;
use crate::netlink::{Expect, Socket};

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
    /// Hands each reply to a batch of changes that is waiting already to `each`, without
    /// waiting for more, then drops whatever else waits (as
    /// [`Transport::discard_waiting`]): after a receive that failed part-way through a
    /// batch's replies (`ENOBUFS`), the replies that did come still say what became of
    /// some changes. The default only drops them.
    fn read_waiting(&mut self, each: &mut dyn FnMut(&[u8])) {
        let _ = each;
        self.discard_waiting();
    }
    /// An IPv4 socket of the same network namespace, for the kernel's older read interface
    /// (the `IP_VS_SO_GET_*` socket options, see [`Client::set_one_call`]); a stand-in
    /// without one (the default) is read through netlink alone.
    ///
    /// [`Client::set_one_call`]: crate::Client::set_one_call
    fn legacy_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }
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
    fn read_waiting(&mut self, each: &mut dyn FnMut(&[u8])) {
        Socket::read_waiting(self, each)
    }
    fn set_timeout(&mut self, timeout: Option<std::time::Duration>) -> Result<(), Error> {
        Socket::set_timeout(self, timeout)
    }
    fn legacy_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        Socket::legacy_fd(self)
    }
}
