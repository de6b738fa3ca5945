//! Netlink messages: the 16-byte `nlmsghdr`, the 4-byte generic-netlink header, building
//! requests into a shared buffer (so several can go out in one `send`), and splitting a
//! received buffer into messages, ACKs and errors (with the kernel's extended-ACK text).

use super::attr::{AttrWriter, Attrs, align};
use crate::error::Error;

/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x01;
/// `NLM_F_MULTI`: part of a multipart reply (only tests write it; the client needs no flag to
/// find a dump's end).
#[cfg(test)]
pub const NLM_F_MULTI: u16 = 0x02;
/// `NLM_F_ACK`: the kernel must acknowledge.
pub const NLM_F_ACK: u16 = 0x04;
/// `NLM_F_DUMP_INTR`: the dump was interrupted by a change; its results are inconsistent.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// In an error message: the original request's payload was left out.
pub const NLM_F_CAPPED: u16 = 0x100;
/// In an error message: extended-ACK attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR` (also carries ACKs, with error 0).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub const NLMSG_DONE: u16 = 3;

/// `NLMSGERR_ATTR_MSG`: extended-ACK error text.
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSG_HDRLEN: usize = 16;
const GENL_HDRLEN: usize = 4;

/// Appends one netlink message (padded to four bytes): replies, for the stand-in kernel and
/// the fuzz targets.
#[cfg(any(test, feature = "fuzzing", feature = "test-util"))]
pub(crate) fn message(out: &mut Vec<u8>, kind: u16, flags: u16, seq: u32, payload: &[u8]) {
    out.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// Appends one generic-netlink request to `buf` and returns its length. `attrs` writes the
/// attributes after the headers. An attribute too long for netlink leaves `buf` as it was
/// and gives [`Error::TooLong`].
pub fn push_genl_request(
    buf: &mut Vec<u8>,
    family: u16,
    flags: u16,
    seq: u32,
    cmd: u8,
    version: u8,
    attrs: impl FnOnce(&mut AttrWriter<'_>),
) -> Result<usize, Error> {
    let start = buf.len();
    let mut head = [0u8; NLMSG_HDRLEN + GENL_HDRLEN];
    // Bytes 0..4 (the length) are fixed below; 12..16 (the port id) the kernel fills in.
    head[4..6].copy_from_slice(&family.to_ne_bytes());
    head[6..8].copy_from_slice(&flags.to_ne_bytes());
    head[8..12].copy_from_slice(&seq.to_ne_bytes());
    head[16..18].copy_from_slice(&[cmd, version]);
    // Room for a typical IPVS request, so the attribute writes rarely grow the buffer.
    buf.reserve(256);
    buf.extend_from_slice(&head);
    let mut w = AttrWriter::new(buf);
    attrs(&mut w);
    if let Some(too_long) = w.too_long() {
        buf.truncate(start);
        return Err(Error::TooLong(too_long));
    }
    let len = buf.len() - start;
    buf[start..start + 4].copy_from_slice(&(len as u32).to_ne_bytes());
    Ok(len)
}

/// Sets `flags` in the header of the message that starts `msg` (one built by
/// [`push_genl_request`]).
pub fn add_flags(msg: &mut [u8], flags: u16) {
    let old = u16::from_ne_bytes([msg[6], msg[7]]);
    msg[6..8].copy_from_slice(&(old | flags).to_ne_bytes());
}

/// A received netlink message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// `nlmsg_type`: a family id, or `NLMSG_ERROR`/`NLMSG_DONE`.
    pub kind: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// Everything after the 16-byte header.
    pub payload: &'a [u8],
}

/// What a received message means to the request that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// A generic-netlink data message: its command and attributes.
    Data {
        /// Generic-netlink command.
        cmd: u8,
        /// The attribute bytes.
        attrs: &'a [u8],
        /// The message carried `NLM_F_DUMP_INTR`.
        interrupted: bool,
    },
    /// `NLMSG_ERROR` with error 0.
    Ack,
    /// `NLMSG_ERROR` with a negative errno, and the extended-ACK text if any.
    Error {
        /// Positive errno.
        errno: i32,
        /// Kernel's explanation, when it gave one.
        ext_ack: Option<String>,
    },
    /// `NLMSG_DONE`.
    Done {
        /// The dump was interrupted.
        interrupted: bool,
    },
    /// Anything else (`NLMSG_NOOP`, ...), ignored.
    Other,
}

impl<'a> Message<'a> {
    /// Interprets the message.
    pub fn reply(&self) -> Result<Reply<'a>, Error> {
        match self.kind {
            NLMSG_ERROR => {
                let code = self
                    .payload
                    .get(..4)
                    .map(|b| i32::from_ne_bytes(b.try_into().unwrap_or([0; 4])))
                    .ok_or_else(Error::malformed("short error message"))?;
                if code == 0 {
                    return Ok(Reply::Ack);
                }
                Ok(Reply::Error {
                    // The kernel sends a negative errno. `i32::MIN` has no negation: it is
                    // passed on as it is, which no errno table knows, so it reads as an
                    // unknown error (strerror's "Unknown error -2147483648").
                    errno: code.checked_neg().unwrap_or(code),
                    ext_ack: self.ext_ack_text(),
                })
            }
            NLMSG_DONE => Ok(Reply::Done {
                interrupted: self.flags & NLM_F_DUMP_INTR != 0,
            }),
            NLMSG_NOOP => Ok(Reply::Other),
            k if k < 0x10 => Ok(Reply::Other),
            _ => {
                if self.payload.len() < GENL_HDRLEN {
                    return Err(Error::Malformed("short generic netlink message"));
                }
                Ok(Reply::Data {
                    cmd: self.payload[0],
                    attrs: &self.payload[GENL_HDRLEN..],
                    interrupted: self.flags & NLM_F_DUMP_INTR != 0,
                })
            }
        }
    }

    fn ext_ack_text(&self) -> Option<String> {
        if self.flags & NLM_F_ACK_TLVS == 0 {
            return None;
        }
        // errno, then the original header, then (unless capped) the original payload.
        let orig = self.payload.get(4..4 + NLMSG_HDRLEN)?;
        let orig_len = u32::from_ne_bytes(orig[..4].try_into().ok()?) as usize;
        let skip = if self.flags & NLM_F_CAPPED != 0 {
            4 + NLMSG_HDRLEN
        } else {
            4 + align(orig_len)
        };
        let tlvs = self.payload.get(skip..)?;
        Attrs::new(tlvs)
            .filter_map(Result::ok)
            .find(|a| a.kind == NLMSGERR_ATTR_MSG)
            .map(|a| a.string())
            .filter(|s| !s.is_empty())
    }
}

/// Splits a received buffer into messages.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    /// Messages laid out back to back in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { rest: buf }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLMSG_HDRLEN {
            return None;
        }
        let r = self.rest;
        let len = u32::from_ne_bytes([r[0], r[1], r[2], r[3]]) as usize;
        if len < NLMSG_HDRLEN || len > r.len() {
            self.rest = &[];
            return Some(Err(Error::Malformed("message length out of bounds")));
        }
        let msg = Message {
            kind: u16::from_ne_bytes([r[4], r[5]]),
            flags: u16::from_ne_bytes([r[6], r[7]]),
            seq: u32::from_ne_bytes([r[8], r[9], r[10], r[11]]),
            payload: &r[NLMSG_HDRLEN..len],
        };
        self.rest = &r[align(len).min(r.len())..];
        Some(Ok(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_header_layout() {
        let mut buf = vec![0xAA]; // something already in the batch
        let len =
            push_genl_request(&mut buf, 0x20, NLM_F_REQUEST | NLM_F_ACK, 7, 17, 1, |_| {}).unwrap();
        assert_eq!(len, 20);
        assert_eq!(
            &buf[1..],
            &[
                20, 0, 0, 0, 0x20, 0, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 17, 1, 0, 0
            ]
        );
    }

    #[test]
    fn flags_are_added_to_a_built_request() {
        let mut buf = Vec::new();
        push_genl_request(&mut buf, 0x20, NLM_F_REQUEST, 7, 17, 1, |_| {}).unwrap();
        let second = buf.len();
        push_genl_request(&mut buf, 0x20, NLM_F_REQUEST, 8, 17, 1, |_| {}).unwrap();
        add_flags(&mut buf[second..], NLM_F_ACK);
        let flags: Vec<u16> = Messages::new(&buf).map(|m| m.unwrap().flags).collect();
        assert_eq!(flags, [NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK]);
    }

    #[test]
    fn error_with_extended_ack_text() {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS, errno -22, original header, then MSG attr.
        let mut m = Vec::new();
        let mut payload = Vec::new();
        payload.extend_from_slice(&(-22i32).to_ne_bytes());
        payload.extend_from_slice(&[36, 0, 0, 0, 0x20, 0, 5, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        AttrWriter::new(&mut payload).str(1, "bad thing");
        let len = 16 + payload.len();
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        m.extend_from_slice(&(NLM_F_CAPPED | NLM_F_ACK_TLVS).to_ne_bytes());
        m.extend_from_slice(&9u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&payload);
        let msgs: Vec<_> = Messages::new(&m).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].seq, 9);
        assert_eq!(
            msgs[0].reply().unwrap(),
            Reply::Error {
                errno: 22,
                ext_ack: Some("bad thing".into())
            }
        );
    }

    fn header(kind: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&5u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(payload);
        m
    }

    #[test]
    fn interrupted_dumps_are_flagged() {
        // A dump part and the DONE of a dump the kernel marked inconsistent.
        let mut buf = header(0x20, NLM_F_MULTI | NLM_F_DUMP_INTR, &[1, 1, 0, 0]);
        buf.extend(header(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, &[0; 4]));
        buf.extend(header(NLMSG_DONE, NLM_F_MULTI, &[0; 4]));
        let replies: Vec<_> = Messages::new(&buf)
            .map(|m| m.unwrap().reply().unwrap())
            .collect();
        assert_eq!(
            replies,
            vec![
                Reply::Data {
                    cmd: 1,
                    attrs: &[],
                    interrupted: true
                },
                Reply::Done { interrupted: true },
                Reply::Done { interrupted: false },
            ]
        );
    }

    #[test]
    fn acks_and_errors_without_extended_ack() {
        let mut ack = 0i32.to_ne_bytes().to_vec();
        ack.extend_from_slice(&[0; 16]);
        let m = header(NLMSG_ERROR, NLM_F_CAPPED, &ack);
        assert_eq!(
            Messages::new(&m).next().unwrap().unwrap().reply().unwrap(),
            Reply::Ack
        );
        let mut err = (-3i32).to_ne_bytes().to_vec();
        err.extend_from_slice(&[0; 16]);
        let m = header(NLMSG_ERROR, 0, &err);
        assert_eq!(
            Messages::new(&m).next().unwrap().unwrap().reply().unwrap(),
            Reply::Error {
                errno: 3,
                ext_ack: None
            }
        );
    }

    #[test]
    fn an_error_code_without_a_negation_is_an_unknown_error() {
        let mut err = i32::MIN.to_ne_bytes().to_vec();
        err.extend_from_slice(&[0; 16]);
        let m = header(NLMSG_ERROR, 0, &err);
        let reply = Messages::new(&m).next().unwrap().unwrap().reply().unwrap();
        assert_eq!(
            reply,
            Reply::Error {
                errno: i32::MIN,
                ext_ack: None
            }
        );
        let text = std::io::Error::from_raw_os_error(i32::MIN).to_string();
        assert!(text.starts_with("Unknown error -2147483648"), "{text}");
    }

    #[test]
    fn truncated_buffer_is_malformed() {
        let buf = [40u8, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut it = Messages::new(&buf);
        assert!(matches!(it.next(), Some(Err(Error::Malformed(_)))));
    }
}
