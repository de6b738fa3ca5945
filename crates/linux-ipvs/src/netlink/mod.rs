//! Generic netlink, knowing nothing of IPVS: attributes, message framing, ACKs and extended
//! ACKs, the socket, and resolving a family name to its id.

use nix::libc;

pub mod attr;
pub mod msg;
pub mod socket;

use attr::Attrs;
use msg::{Messages, NLM_F_ACK, NLM_F_REQUEST, Reply, push_genl_request};

use crate::error::Error;
pub use socket::{DEFAULT_TIMEOUT, Expect, Socket};

const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Looks up a generic-netlink family's id by name (`CTRL_CMD_GETFAMILY`).
pub fn resolve_family(sock: &mut Socket, name: &str, seq: u32) -> Result<u16, Error> {
    let mut buf = Vec::with_capacity(64);
    push_genl_request(
        &mut buf,
        GENL_ID_CTRL,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CTRL_CMD_GETFAMILY,
        1,
        |w| {
            w.str(CTRL_ATTR_FAMILY_NAME, name);
        },
    )?;
    sock.send(&buf)?;
    let mut id = None;
    loop {
        let data = sock.recv()?;
        for m in Messages::new(data) {
            let m = m?;
            if m.seq != seq {
                continue;
            }
            match m.reply()? {
                Reply::Data { attrs, .. } => {
                    for a in Attrs::new(attrs) {
                        let a = a?;
                        if a.kind == CTRL_ATTR_FAMILY_ID {
                            id = Some(a.u16()?);
                        }
                    }
                }
                Reply::Ack | Reply::Done { .. } => {
                    return id.ok_or_else(Error::malformed("family reply without id"));
                }
                Reply::Error { errno, .. } if errno == libc::ENOENT => {
                    return Err(Error::FamilyNotFound(name.to_string()));
                }
                Reply::Error { errno, ext_ack } => return Err(Error::Kernel { errno, ext_ack }),
                Reply::Other => {}
            }
        }
    }
}
