//! Generic netlink, knowing nothing of IPVS: attributes, message framing, ACKs and extended
//! ACKs, the socket, and resolving a family name to its id.

use nix::libc;

pub mod attr;
pub mod msg;
pub mod socket;

use attr::Attrs;
use msg::{Messages, NLM_F_ACK, NLM_F_REQUEST, Reply, push_genl_request};

pub use socket::{DEFAULT_TIMEOUT, Expect, Socket};

/// What can go wrong below the IPVS layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The socket call failed.
    #[error("netlink socket: {0}")]
    Io(#[source] std::io::Error),
    /// The kernel answered with an error.
    #[error("kernel error {errno}{}", .ext_ack.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kernel {
        /// Positive errno value.
        errno: i32,
        /// The kernel's extended-ACK message, if it gave one.
        ext_ack: Option<String>,
    },
    /// A reply did not parse.
    #[error("malformed netlink message: {0}")]
    Malformed(&'static str),
    /// The generic-netlink family is not registered (module not loaded, or not built).
    #[error("generic netlink family {0} not found")]
    FamilyNotFound(String),
    /// Every read of a table was torn by concurrent changes (a service missing or repeated,
    /// or two reads in a row that disagreed), as many times as the caller allowed.
    #[error("the table changed during each of {reads} reads")]
    Torn {
        /// How many reads were made.
        reads: usize,
    },
    /// A network namespace could not be opened or joined.
    #[error("network namespace {}: cannot {}: {source}", .path.display(), if *.joining { "join it" } else { "open it" })]
    Netns {
        /// The namespace's file (`/run/netns/NAME`, `/proc/PID/ns/net`, ...).
        path: std::path::PathBuf,
        /// Whether it was joining that failed (else opening its file).
        joining: bool,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The kernel did not answer within the receive timeout
    /// ([`Client::set_timeout`](crate::Client::set_timeout)). What the request was
    /// answered with is unknown (a change may have been made).
    #[error("no reply from the kernel within the receive timeout")]
    Timeout,
    /// A request would hold an attribute longer than netlink's 16-bit length field allows
    /// (a name or an unknown attribute of the model too long, or too many in one nest): it
    /// was not sent.
    #[error("netlink attribute of {0} bytes is too long")]
    TooLong(usize),
}

impl Error {
    /// The errno this error stands for, as ipvsadm reports it: the kernel's, or `EINVAL`
    /// for a reply that made no sense, or the socket's own (`EAGAIN` for a table that kept
    /// changing while it was read).
    pub fn errno(&self) -> i32 {
        match self {
            Error::Kernel { errno, .. } => *errno,
            Error::Io(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
            Error::Malformed(_) => libc::EINVAL,
            Error::FamilyNotFound(_) => libc::ENOPROTOOPT,
            Error::Torn { .. } => libc::EAGAIN,
            Error::Netns { source, .. } => source.raw_os_error().unwrap_or(libc::EINVAL),
            Error::TooLong(_) => libc::EMSGSIZE,
            Error::Timeout => libc::ETIMEDOUT,
        }
    }
}

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
                    return id.ok_or(Error::Malformed("family reply without id"));
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
