//! Netlink attributes (TLVs): writing them, nested ones included, and walking them.
//!
//! Layout: a 4-byte header (`nla_len` u16 counting header and payload, `nla_type` u16 whose
//! top two bits are the nested and byte-order flags), then the payload, then padding to a
//! multiple of four bytes. Integers are in host order unless the attribute says otherwise.

use crate::error::Error;

/// `NLA_F_NESTED`: the payload is itself a list of attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// `NLA_F_NET_BYTEORDER`: the payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
const NLA_HDRLEN: usize = 4;

/// Rounds a length up to netlink's 4-byte alignment.
pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Appends attributes to a message buffer.
///
/// An attribute's length field has 16 bits: one longer than 65,535 bytes (header included)
/// cannot be framed. It is still written, with a length that is wrong, and
/// [`AttrWriter::too_long`] reports it: whoever writes a message must check that before
/// the bytes go anywhere ([`super::msg::push_genl_request`] does).
#[derive(Debug)]
pub struct AttrWriter<'a> {
    buf: &'a mut Vec<u8>,
    /// The length of the first attribute that did not fit its length field.
    too_long: Option<usize>,
}

/// Where a nested attribute started, to be closed with [`AttrWriter::end_nested`].
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Nest(usize);

impl<'a> AttrWriter<'a> {
    /// Writes attributes at the end of `buf`.
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        AttrWriter {
            buf,
            too_long: None,
        }
    }

    /// The length of the first attribute written that is too long for netlink, if any: the
    /// bytes written are then not a valid list of attributes.
    pub fn too_long(&self) -> Option<usize> {
        self.too_long
    }

    /// An attribute with a raw payload.
    pub fn bytes(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        self.header(kind, payload.len());
        self.buf.extend_from_slice(payload);
        self.pad();
        self
    }
    /// An attribute with a fixed-size payload of at most 16 bytes, appended with one copy
    /// (the common case, and the hot one when a restore encodes tens of thousands of
    /// changes).
    #[inline]
    pub fn fixed<const N: usize>(&mut self, kind: u16, payload: [u8; N]) -> &mut Self {
        const { assert!(N <= 16) };
        if N <= 4 {
            // The common u8/u16/u32 case: eight bytes, built in a register.
            self.packed::<{ NLA_HDRLEN + 4 }>(kind, &payload, N)
        } else {
            self.packed::<{ NLA_HDRLEN + 16 }>(kind, &payload, N)
        }
    }
    /// A u8 attribute.
    pub fn u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.fixed(kind, [v])
    }
    /// A host-order u16 attribute.
    pub fn u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.fixed(kind, v.to_ne_bytes())
    }
    /// A network-order u16 attribute (ports).
    pub fn be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.fixed(kind, v.to_be_bytes())
    }
    /// A host-order u32 attribute.
    pub fn u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.fixed(kind, v.to_ne_bytes())
    }
    /// A host-order u64 attribute.
    pub fn u64(&mut self, kind: u16, v: u64) -> &mut Self {
        self.fixed(kind, v.to_ne_bytes())
    }
    /// A NUL-terminated string attribute.
    pub fn str(&mut self, kind: u16, s: &str) -> &mut Self {
        self.cstr(kind, s.as_bytes())
    }
    /// A NUL-terminated string attribute of bytes (which must not hold a NUL).
    pub fn cstr(&mut self, kind: u16, s: &[u8]) -> &mut Self {
        const SHORT: usize = 15;
        if s.len() <= SHORT {
            // Scheduler and engine names: the zeroed room after the text is the NUL.
            return self.packed::<{ NLA_HDRLEN + SHORT + 1 }>(kind, s, s.len() + 1);
        }
        self.header(kind, s.len() + 1);
        self.buf.extend_from_slice(s);
        self.buf.push(0);
        self.pad();
        self
    }
    /// Opens a nested attribute (flagged `NLA_F_NESTED`, as libnl does).
    pub fn begin_nested(&mut self, kind: u16) -> Nest {
        self.begin_plain_nest(kind | NLA_F_NESTED)
    }
    /// Opens a nested attribute without the `NLA_F_NESTED` flag, as the kernel writes them.
    pub fn begin_plain_nest(&mut self, kind: u16) -> Nest {
        let at = self.buf.len();
        let [k0, k1] = kind.to_ne_bytes();
        // The length (0 for now) is fixed by `end_nested`.
        self.buf.extend_from_slice(&[0, 0, k0, k1]);
        Nest(at)
    }
    /// Closes a nested attribute, fixing its length.
    pub fn end_nested(&mut self, nest: Nest) -> &mut Self {
        let len = self.buf.len() - nest.0;
        self.check_len(len);
        self.buf[nest.0..nest.0 + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        self
    }

    /// Notes an attribute of `len` bytes that its length field cannot hold.
    #[inline]
    fn check_len(&mut self, len: usize) {
        if len > usize::from(u16::MAX) && self.too_long.is_none() {
            self.too_long = Some(len);
        }
    }
    /// An attribute of `len` payload bytes (`bytes`, then zeros) assembled in an `M`-byte
    /// array (header included) and appended with its padding in one copy.
    #[inline(always)]
    fn packed<const M: usize>(&mut self, kind: u16, bytes: &[u8], len: usize) -> &mut Self {
        let mut a = [0u8; M];
        a[..2].copy_from_slice(&((NLA_HDRLEN + len) as u16).to_ne_bytes());
        a[2..4].copy_from_slice(&kind.to_ne_bytes());
        a[NLA_HDRLEN..NLA_HDRLEN + bytes.len()].copy_from_slice(bytes);
        self.buf.extend_from_slice(&a[..align(NLA_HDRLEN + len)]);
        self
    }
    /// The header of an attribute whose payload of `payload_len` bytes follows, with room
    /// reserved for the payload and its padding.
    fn header(&mut self, kind: u16, payload_len: usize) {
        let len = NLA_HDRLEN + payload_len;
        self.check_len(len);
        self.buf.reserve(align(len));
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
    }
    fn pad(&mut self) {
        let pad = align(self.buf.len()) - self.buf.len();
        self.buf.extend_from_slice(&[0; 3][..pad]);
    }
}

/// One attribute read from a buffer: its type (flag bits removed) and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Type with `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` masked off.
    pub kind: u16,
    /// Payload without header or padding.
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The payload as a u8.
    pub fn u8(&self) -> Result<u8, Error> {
        self.fixed::<1>().map(|b| b[0])
    }
    /// The payload as a host-order u16.
    pub fn u16(&self) -> Result<u16, Error> {
        self.fixed::<2>().map(u16::from_ne_bytes)
    }
    /// The payload as a network-order u16.
    pub fn be16(&self) -> Result<u16, Error> {
        self.fixed::<2>().map(u16::from_be_bytes)
    }
    /// The payload as a host-order u32.
    pub fn u32(&self) -> Result<u32, Error> {
        self.fixed::<4>().map(u32::from_ne_bytes)
    }
    /// The payload as a host-order u64.
    pub fn u64(&self) -> Result<u64, Error> {
        self.fixed::<8>().map(u64::from_ne_bytes)
    }
    /// The payload up to its first NUL, as bytes.
    pub fn cstr(&self) -> &'a [u8] {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        &self.payload[..end]
    }
    /// The payload as text, up to its first NUL (other bytes than UTF-8 replaced).
    pub fn string(&self) -> String {
        String::from_utf8_lossy(self.cstr()).into_owned()
    }
    fn fixed<const N: usize>(&self) -> Result<[u8; N], Error> {
        self.payload
            .get(..N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(Error::malformed("attribute payload too short"))
    }
}

/// Iterates over the attributes in a buffer; a truncated attribute ends it with an error.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// Attributes laid out back to back in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { rest: buf }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([self.rest[0], self.rest[1]]) as usize;
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error::Malformed("attribute length out of bounds")));
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some(Ok(Attr { kind, payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back_with_padding_and_nesting() {
        let mut buf = Vec::new();
        let mut w = AttrWriter::new(&mut buf);
        w.u16(1, 2);
        let n = w.begin_nested(3);
        w.str(6, "rr").be16(4, 80);
        w.end_nested(n);
        assert_eq!(
            buf,
            [
                6, 0, 1, 0, 2, 0, 0, 0, // u16 padded
                20, 0, 3, 0x80, // nested header with NLA_F_NESTED
                7, 0, 6, 0, b'r', b'r', 0, 0, // string with NUL, padded
                6, 0, 4, 0, 0, 80, 0, 0, // port in network order
            ]
        );
        let attrs: Vec<_> = Attrs::new(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].u16().unwrap(), 2);
        assert_eq!(attrs[1].kind, 3);
        let inner: Vec<_> = Attrs::new(attrs[1].payload)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(inner[0].string(), "rr");
        assert_eq!(inner[1].be16().unwrap(), 80);
    }

    #[test]
    fn strings_and_fixed_payloads_of_every_size_are_laid_out_alike() {
        // Header, payload (a string with its NUL), zero padding to four bytes: written out
        // the long way, for every length either side of the short-string and small-payload
        // paths.
        fn expected(kind: u16, payload: &[u8]) -> Vec<u8> {
            let mut v = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
            v.extend_from_slice(&kind.to_ne_bytes());
            v.extend_from_slice(payload);
            v.resize(align(v.len()), 0);
            v
        }
        for len in 0..40 {
            let text: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..len].to_string();
            let mut buf = vec![0xee; 4];
            AttrWriter::new(&mut buf).str(7, &text);
            let mut with_nul = text.clone().into_bytes();
            with_nul.push(0);
            assert_eq!(buf[4..], expected(7, &with_nul)[..], "length {len}");
        }
        let mut buf = Vec::new();
        AttrWriter::new(&mut buf)
            .u8(1, 0xab)
            .u16(2, 0x1234)
            .be16(3, 0x1234)
            .u32(4, 0xdead_beef)
            .u64(5, u64::MAX - 1)
            .fixed(6, [9u8; 16])
            .fixed(7, [8u8; 3]);
        let mut want = expected(1, &[0xab]);
        want.extend(expected(2, &0x1234u16.to_ne_bytes()));
        want.extend(expected(3, &[0x12, 0x34]));
        want.extend(expected(4, &0xdead_beefu32.to_ne_bytes()));
        want.extend(expected(5, &(u64::MAX - 1).to_ne_bytes()));
        want.extend(expected(6, &[9; 16]));
        want.extend(expected(7, &[8; 3]));
        assert_eq!(buf, want);
    }

    #[test]
    fn attributes_too_long_for_their_length_field_are_reported() {
        let mut buf = Vec::new();
        let mut w = AttrWriter::new(&mut buf);
        w.str(1, &"a".repeat(65_530));
        assert_eq!(w.too_long(), None, "65,535 bytes with header and NUL fit");
        w.str(2, &"a".repeat(65_531));
        assert_eq!(w.too_long(), Some(65_536));
        let mut buf = Vec::new();
        let mut w = AttrWriter::new(&mut buf);
        let n = w.begin_nested(3);
        w.bytes(4, &[0; 40_000]).bytes(5, &[0; 40_000]);
        assert_eq!(w.too_long(), None);
        w.end_nested(n);
        assert_eq!(w.too_long(), Some(80_012));
    }

    #[test]
    fn truncated_attribute_is_an_error_not_a_panic() {
        let buf = [8u8, 0, 1, 0, 1, 2];
        let mut it = Attrs::new(&buf);
        assert!(matches!(it.next(), Some(Err(Error::Malformed(_)))));
        assert!(it.next().is_none());
        let short = Attr {
            kind: 1,
            payload: &[1],
        };
        assert!(short.u32().is_err());
    }
}
