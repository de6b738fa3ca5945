//! The connection listing (`-L -c`, `-L -n -c`, `--persistent-conn`), rendered from the text
//! of `/proc/net/ip_vs_conn`.
//!
//! The reference reads the file with `fgets` into a 256-byte buffer: the first piece is the
//! file's header (dropped), every later piece is one entry, so a line longer than 255 bytes is
//! read as several pieces. We cut the text the same way. Each piece is split on whitespace
//! into protocol, client address, client port (hex), virtual address, virtual port (hex),
//! destination address, destination port (hex), state, expiry seconds (decimal), and an
//! optional persistence-engine name and data.
//!
//! Where the reference's behaviour is undefined we choose: a piece with fewer than the nine
//! mandatory fields, or whose port/expiry fields are not numbers, is skipped (the reference
//! prints stale stack contents); a blank piece is skipped (the reference exits silently with
//! status 1 there).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ListFormat;
use super::text::{endpoint, pad, pad_right, w};
use crate::names::Names;
use crate::vocab;
use linux_ipvs::Protocol;

/// Why the connection table could not be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnError {
    /// The file was empty (not even a header line): the caller prints
    /// `unexpected input from /proc/net/ip_vs_conn` and exits with status 1.
    Empty,
}

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnError::Empty => f.write_str("unexpected input from /proc/net/ip_vs_conn"),
        }
    }
}

impl std::error::Error for ConnError {}

/// Size of the reference's line buffer, including the terminating NUL.
const LINE_BUF: usize = 256;

/// Splits `text` the way repeated `fgets(buf, 256, f)` reads it.
fn pieces(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let max = rest.len().min(LINE_BUF - 1);
        let end = rest[..max]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(max, |p| p + 1);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

/// `strtoul(s, NULL, 16)` truncated to 32 bits, as the reference reads hex IPv4 addresses.
fn strtoul_hex32(s: &[u8]) -> u32 {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    if i + 1 < s.len()
        && s[i] == b'0'
        && (s[i + 1] | 0x20) == b'x'
        && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&c| char::from(c).to_digit(16)) {
        match v.checked_mul(16).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if overflow {
        v = u64::MAX;
    } else if neg {
        v = v.wrapping_neg();
    }
    v as u32
}

/// A `%hX` field: hex digits (optional `0x`), truncated to 16 bits; `None` if not a number.
fn hex_u16(tok: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(tok).ok()?;
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(u64::from_str_radix(s, 16).map_or(u16::MAX, |v| v as u16))
}

/// A `%d` field stored into an unsigned int.
fn dec_u32(tok: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(tok).ok()?;
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<i64>().map_or(u32::MAX, |v| v as u32))
}

fn parse_v6(tok: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(tok).ok()?.parse().ok()
}

fn parse_v4(tok: &[u8]) -> Option<Ipv4Addr> {
    std::str::from_utf8(tok).ok()?.parse().ok()
}

/// An IPv4 address as the proc file writes it (8 hex digits) or dotted.
fn v4_any(tok: &[u8]) -> Ipv4Addr {
    parse_v4(tok).unwrap_or_else(|| Ipv4Addr::from(strtoul_hex32(tok)))
}

/// One entry of the connection table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conn<'a> {
    /// The protocol as the file writes it (`TCP`, `UDP`, `SCTP`, ...).
    pub label: &'a [u8],
    /// The protocol's name for service-name lookups, if it is one we know.
    pub proto: Option<&'static str>,
    pub client: (IpAddr, u16),
    pub virt: (IpAddr, u16),
    pub dest: (IpAddr, u16),
    pub state: &'a [u8],
    /// Seconds until it expires.
    pub expires: u32,
    /// The persistence engine's name and data, if the entry has them.
    pub pe: Option<(&'a [u8], &'a [u8])>,
}

/// Reads one entry, or `None` when the piece does not hold the nine mandatory fields.
fn parse_entry(piece: &[u8]) -> Option<Conn<'_>> {
    let mut it = piece
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty());
    let label = it.next()?;
    let c_s = it.next()?;
    let cport = hex_u16(it.next()?)?;
    let v_s = it.next()?;
    let vport = hex_u16(it.next()?)?;
    let d_s = it.next()?;
    let dport = hex_u16(it.next()?)?;
    let state = it.next()?;
    let expires = dec_u32(it.next()?)?;
    let pe = match (it.next(), it.next()) {
        (Some(n), Some(d)) => Some((n, d)),
        _ => None,
    };
    let proto = vocab::parse_protocol_label(label).and_then(Protocol::name);
    // Client and virtual addresses share the family of the client's; the destination's is
    // its own (tunnels may cross families).
    let (caddr, vaddr) = if let Some(c) = parse_v6(c_s) {
        let v = parse_v6(v_s).unwrap_or(Ipv6Addr::UNSPECIFIED);
        (IpAddr::V6(c), IpAddr::V6(v))
    } else {
        (IpAddr::V4(v4_any(c_s)), IpAddr::V4(v4_any(v_s)))
    };
    let daddr = match parse_v6(d_s) {
        Some(d) => IpAddr::V6(d),
        None => IpAddr::V4(v4_any(d_s)),
    };
    Some(Conn {
        label,
        proto,
        client: (caddr, cport),
        virt: (vaddr, vport),
        dest: (daddr, dport),
        state,
        expires,
        pe,
    })
}

/// The entries of the table's text, in file order (malformed ones left out), or
/// [`ConnError::Empty`] for an empty file.
pub(crate) fn entries(proc_text: &[u8]) -> Result<impl Iterator<Item = Conn<'_>>, ConnError> {
    let mut pieces = pieces(proc_text);
    // The first piece is the header.
    if pieces.next().is_none() {
        return Err(ConnError::Empty);
    }
    Ok(pieces.filter_map(parse_entry))
}

/// Appends one entry's line.
fn write_entry(out: &mut Vec<u8>, c: &Conn<'_>, fmt: &ListFormat, names: &dyn Names) {
    pad_right(out, c.label, 3);
    out.push(b' ');
    let start = out.len();
    w!(out, "{:02}:{:02}", c.expires / 60, c.expires % 60);
    pad(out, out.len() - start, 6);
    out.push(b' ');
    pad_right(out, c.state, 11);
    out.push(b' ');
    let n = endpoint(out, &c.client.0, c.client.1, c.proto, fmt.numeric, names);
    pad(out, n, 18);
    out.push(b' ');
    let n = endpoint(out, &c.virt.0, c.virt.1, c.proto, fmt.numeric, names);
    pad(out, n, 18);
    out.push(b' ');
    let n = endpoint(out, &c.dest.0, c.dest.1, c.proto, fmt.numeric, names);
    if let (true, Some((pe_name, pe_data))) = (fmt.persistent_conn, c.pe) {
        pad(out, n, 16);
        out.push(b' ');
        pad_right(out, pe_name, 18);
        out.push(b' ');
        out.extend_from_slice(pe_data);
    }
    out.push(b'\n');
}

/// The connection listing from the contents of `/proc/net/ip_vs_conn`: the two header lines
/// (`--persistent-conn`, i.e. `fmt.persistent_conn`, adds the pe columns), then one line per
/// entry in file order. Empty input writes nothing and returns [`ConnError::Empty`].
pub fn write_connections(
    out: &mut Vec<u8>,
    proc_text: &[u8],
    fmt: &ListFormat,
    names: &dyn Names,
) -> Result<(), ConnError> {
    let entries = entries(proc_text)?;
    out.extend_from_slice(b"IPVS connection entries\n");
    if fmt.persistent_conn {
        out.extend_from_slice(
            b"pro expire state       source             virtual            destination        pe name          pe_data\n",
        );
    } else {
        out.extend_from_slice(
            b"pro expire state       source             virtual            destination\n",
        );
    }
    for c in entries {
        write_entry(out, &c, fmt, names);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_like_fgets() {
        let long = format!("{}\nab\n", "x".repeat(300));
        let p: Vec<usize> = pieces(long.as_bytes()).map(<[u8]>::len).collect();
        assert_eq!(p, [255, 46, 3]);
        let p: Vec<&[u8]> = pieces(b"a\nb").collect();
        assert_eq!(p, [&b"a\n"[..], &b"b"[..]]);
        assert_eq!(pieces(b"").count(), 0);
    }

    #[test]
    fn number_fields() {
        assert_eq!(strtoul_hex32(b"0A000002"), 0x0a00_0002);
        assert_eq!(strtoul_hex32(b"0x10"), 0x10);
        assert_eq!(strtoul_hex32(b"zz"), 0);
        assert_eq!(strtoul_hex32(b"1FFFFFFFF"), 0xffff_ffff);
        assert_eq!(hex_u16(b"BD32"), Some(0xbd32));
        assert_eq!(hex_u16(b"12345"), Some(0x2345));
        assert_eq!(hex_u16(b"xyz"), None);
        assert_eq!(dec_u32(b"7198"), Some(7198));
        assert_eq!(dec_u32(b"-1"), Some(u32::MAX));
        assert_eq!(dec_u32(b"1x"), None);
    }
}
