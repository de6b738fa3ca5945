//! One request and its reply: the request is written into the client's datagram buffer
//! with the next sequence number, sent (a whole-table dump on the table socket), and its
//! reply read until it ends (`NLMSG_DONE` for a dump, the ACK for a plain request),
//! skipping replies to other requests. A dump the kernel marks interrupted is started
//! over; a reply abandoned half-way is read out so that the socket answers the next
//! request.

use nix::libc;

use crate::client::{Client, Transport};
use crate::consts::*;
use crate::error::Error;
use crate::netlink::Expect;
use crate::netlink::attr::{AttrWriter, Attrs};
use crate::netlink::msg::{
    Messages, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, Reply, push_genl_request,
};

/// How many times a dump interrupted by concurrent changes is started over.
pub(super) const DUMP_RETRIES: usize = 16;

/// How a request is answered, and so which flags it carries and how its reply is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    /// One reply, then the ACK.
    One,
    /// A short dump: one service's real servers, the sync daemons.
    Short,
    /// The dump of a whole table (every service), on the table socket.
    Table,
}

impl Read {
    pub(super) fn flags(self) -> u16 {
        match self {
            Read::One => NLM_F_REQUEST | NLM_F_ACK,
            Read::Short | Read::Table => NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
        }
    }
    pub(super) fn expect(self) -> Expect {
        match self {
            Read::One | Read::Short => Expect::Reply,
            Read::Table => Expect::Dump,
        }
    }
}

/// What reading a reply found besides its data.
#[derive(Debug, Default)]
pub(super) struct Exchange {
    /// How many datagrams carried data. Each is one pass of the kernel's dump code, made
    /// under the IPVS mutex: a dump that came in one is a consistent picture.
    pub(super) parts: usize,
    /// The kernel marked the dump interrupted.
    pub(super) interrupted: bool,
}

pub(super) fn kept_interrupted() -> Error {
    Error::Kernel {
        errno: libc::EINTR,
        ext_ack: Some("dump kept being interrupted".into()),
    }
}

impl<T: Transport> Client<T> {
    /// Sends a request and collects the data messages of its reply; `each` sees each
    /// message's attributes. A dump the kernel marks interrupted is started over.
    pub(super) fn request<R>(
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
    pub(super) fn exchange(
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
}

/// Passes a receive's outcome on; on an error (a reply that did not decode, a socket
/// error), first drops what is left of the reply, so that a dump abandoned half-way does not
/// keep the socket busy for the next request.
pub(super) fn abandon_on_error<T: Transport>(
    sock: &mut T,
    received: Result<(), Error>,
) -> Result<(), Error> {
    if received.is_err() {
        sock.discard_waiting();
    }
    received
}

pub(super) fn for_each_nest(
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
