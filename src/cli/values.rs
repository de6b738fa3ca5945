//! Parsers for option values, with the leniencies of the C library functions ipvsadm relies
//! on: `strtol`-style integers, `inet_aton` addresses, `atoi` prefixes, service addresses
//! with optional IPv6 brackets and service-name ports. Values are bytes, as the C tool reads
//! them: nothing here needs them to be UTF-8.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::names::Names;
use linux_ipvs::{Family, Protocol};

/// C `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `s` without its leading C blanks.
fn trim_c_space(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| !is_c_space(c)).unwrap_or(s.len());
    &s[start..]
}

/// A sign, then the rest: `(negative, rest)`.
fn sign(t: &[u8]) -> (bool, &[u8]) {
    match t.first() {
        Some(b'+') => (false, &t[1..]),
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    }
}

/// The integer rule: C `strtol` base 10 with leading blanks and a sign, at least one
/// digit, nothing after the digits, and the value within a C `long`.
pub fn parse_long(s: &[u8]) -> Option<i64> {
    // The common case: plain digits, too few to overflow.
    let b = s;
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0, |v, &d| v * 10 + i64::from(d - b'0')));
    }
    parse_long_general(s)
}

/// [`parse_long`] for any text.
fn parse_long_general(s: &[u8]) -> Option<i64> {
    let (neg, digits) = sign(trim_c_space(s));
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i128 = 0;
    for &b in digits {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// The integer rule with a range check.
pub fn parse_range(s: &[u8], min: i64, max: i64) -> Option<i64> {
    parse_long(s).filter(|v| (min..=max).contains(v))
}

/// C `atoi`: leading blanks, a sign, then as many digits as there are (0 without any).
/// Out-of-range values follow glibc (`strtol` saturates, then the conversion to `int` wraps).
pub fn atoi(s: &[u8]) -> i32 {
    let (neg, rest) = sign(trim_c_space(s));
    let mut v: i128 = 0;
    for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
        v = (v * 10 + i128::from(b - b'0')).min(i128::from(i64::MAX) + 1);
    }
    let v = if neg { -v } else { v };
    let long = v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    long as i32
}

/// C `strtoul` with base 0 on a string that starts with a digit: returns the value and the
/// number of bytes used, or `None` on overflow of 32 bits.
fn strtoul0(s: &[u8]) -> Option<(u64, usize)> {
    let (radix, start) = if s.len() >= 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') {
        if s.len() > 2 && s[2].is_ascii_hexdigit() {
            (16, 2)
        } else {
            // "0x" without hex digits: strtoul reads the "0" only.
            return Some((0, 1));
        }
    } else if s[0] == b'0' {
        (8, 0)
    } else {
        (10, 0)
    };
    let mut v: u64 = 0;
    let mut i = start;
    while i < s.len() {
        let d = match (s[i] as char).to_digit(radix) {
            Some(d) => d,
            None => break,
        };
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        if v > u64::from(u32::MAX) {
            return None;
        }
        i += 1;
    }
    Some((v, i))
}

/// glibc `inet_aton`: one to four numbers (decimal, `0x` hex or `0` octal) separated by dots,
/// the last one filling the remaining bytes; anything after a blank is ignored.
pub fn inet_aton(s: &[u8]) -> Option<Ipv4Addr> {
    let b = s;
    let mut parts = [0u64; 3];
    let mut nparts = 0usize;
    let mut i = 0usize;
    let val;
    loop {
        if i >= b.len() || !b[i].is_ascii_digit() {
            return None;
        }
        let (v, used) = strtoul0(&b[i..])?;
        i += used;
        if i < b.len() && b[i] == b'.' {
            if nparts >= 3 || v > 0xff {
                return None;
            }
            parts[nparts] = v;
            nparts += 1;
            i += 1;
        } else {
            val = v;
            break;
        }
    }
    if i < b.len() && !is_c_space(b[i]) {
        return None;
    }
    let limit: u64 = match nparts {
        0 => 0xffff_ffff,
        1 => 0x00ff_ffff,
        2 => 0xffff,
        _ => 0xff,
    };
    if val > limit {
        return None;
    }
    let mut addr = val;
    for (k, p) in parts[..nparts].iter().enumerate() {
        addr |= p << (24 - 8 * k);
    }
    Some(Ipv4Addr::from(addr as u32))
}

/// An IPv4 host: `inet_aton`, else a name lookup.
pub fn host_v4(s: &[u8], names: &dyn Names) -> Option<Ipv4Addr> {
    inet_aton(s).or_else(|| names.host_v4(s))
}

/// A parsed service or real-server address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The address (its family is the endpoint's family).
    pub addr: IpAddr,
    /// The port, if one was given (and not lost to the bracketed-IPv4 quirk).
    pub port: Option<u16>,
}

/// Parses `host[:port]`, `[v6]:port`, or a bare IPv6 address. `proto` is the
/// protocol used for service-name ports; without one, names do not resolve.
#[inline]
pub fn parse_endpoint(s: &[u8], proto: Option<Protocol>, names: &dyn Names) -> Option<Endpoint> {
    match plain_v4_endpoint(s) {
        Some(ep) => Some(ep),
        None => parse_endpoint_general(s, proto, names),
    }
}

/// The common case of [`parse_endpoint`], or `None` to take the general way: four decimal
/// bytes without leading zeros (`inet_aton` reads those as octal), then nothing or a colon
/// and a decimal port of one to five digits up to 65535. The general way gives the same
/// result for such text, without a name lookup.
#[inline]
fn plain_v4_endpoint(s: &[u8]) -> Option<Endpoint> {
    plain_v4_prefix(s).and_then(|(ep, len)| (len == s.len()).then_some(ep))
}

/// [`plain_v4_endpoint`] of the text `s` starts with, and the length of that text: it ends
/// before the first byte that cannot continue it (or with `s`). Restore's fast path reads
/// words this way, straight from the line. `None` when `s` does not start with a plain
/// address, or its port is cut short (a colon without digits) or out of range.
#[inline]
pub(super) fn plain_v4_prefix(s: &[u8]) -> Option<(Endpoint, usize)> {
    let mut addr = 0u32;
    let mut i = 0;
    for k in 0..4 {
        // One to three digits, no leading zero (octal for inet_aton), at most 255.
        let (v, len) = leading_digits(s, i, 3);
        if len == 0 || v > 255 || (len > 1 && s[i] == b'0') {
            return None;
        }
        addr = addr << 8 | v;
        i += len;
        if k < 3 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    let mut port = None;
    if s.get(i) == Some(&b':') {
        // One to five digits (leading zeros allowed, as strtol reads them), to 65535.
        let (v, len) = leading_digits(s, i + 1, 5);
        if len == 0 || v > 65535 {
            return None;
        }
        port = Some(v as u16);
        i += 1 + len;
    }
    let ep = Endpoint {
        addr: IpAddr::V4(Ipv4Addr::from(addr)),
        port,
    };
    Some((ep, i))
}

/// The value of the decimal digits of `s` from `at`, and how many there are, reading at
/// most `max` of them (a further digit is left for the caller to reject).
#[inline]
fn leading_digits(s: &[u8], at: usize, max: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut len = 0;
    while len < max {
        match s.get(at + len) {
            Some(&b) if b.is_ascii_digit() => v = v * 10 + u32::from(b - b'0'),
            _ => break,
        }
        len += 1;
    }
    (v, len)
}

/// [`parse_endpoint`] for any text.
#[inline(never)]
fn parse_endpoint_general(
    s: &[u8],
    proto: Option<Protocol>,
    names: &dyn Names,
) -> Option<Endpoint> {
    if s.is_empty() || s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (host, bracket_port) = if let Some(inner) = s.strip_prefix(b"[") {
        let close = inner.iter().position(|&b| b == b']')?;
        let port = inner[close + 1..].strip_prefix(b":")?;
        (&inner[..close], Some(port))
    } else {
        (s, None)
    };
    // An IPv6 address has at least two colons; skip the attempt for `a.b.c.d:port`.
    let maybe_v6 = host.iter().filter(|&&b| b == b':').nth(1).is_some();
    let v6 = || std::str::from_utf8(host).ok()?.parse::<Ipv6Addr>().ok();
    let (addr, port_text) = if let Some(v6) = maybe_v6.then(v6).flatten() {
        (IpAddr::V6(v6), bracket_port)
    } else {
        // The IPv4 path: the port (if any) follows the last colon of the host text; a port
        // after brackets is ignored.
        let (h, p) = match host.iter().rposition(|&b| b == b':') {
            Some(i) => (&host[..i], Some(&host[i + 1..])),
            None => (host, None),
        };
        (IpAddr::V4(host_v4(h, names)?), p)
    };
    let port = match port_text {
        None => None,
        Some(p) => Some(parse_port(p, proto, names)?),
    };
    Some(Endpoint { addr, port })
}

/// A port number, else a service name for the protocol.
fn parse_port(p: &[u8], proto: Option<Protocol>, names: &dyn Names) -> Option<u16> {
    if let Some(v) = parse_range(p, 0, 65535) {
        return Some(v as u16);
    }
    names.port(p, proto?.name()?)
}

/// A fwmark: the integer rule, 1..=4294967295.
pub fn parse_fwmark(s: &[u8]) -> Option<u32> {
    parse_range(s, 1, u32::MAX.into()).map(|v| v as u32)
}

/// An IPv4 persistence mask (anything `inet_aton` accepts or an IPv4 host name), as the
/// kernel's u32 (the four bytes read natively).
pub fn parse_netmask_v4(s: &[u8], names: &dyn Names) -> Option<u32> {
    host_v4(s, names).map(|a| u32::from_ne_bytes(a.octets()))
}

/// An IPv6 persistence prefix length: `atoi`, 1..=128.
pub fn parse_netmask_v6(s: &[u8]) -> Option<u32> {
    let v = atoi(s);
    (1..=128).contains(&v).then_some(v as u32)
}

/// A netmask for a family.
pub fn parse_netmask(s: &[u8], family: Family, names: &dyn Names) -> Result<u32, &'static str> {
    match family {
        Family::Inet => {
            parse_netmask_v4(s, names).ok_or("illegal virtual server persistent mask specified")
        }
        Family::Inet6 => parse_netmask_v6(s).ok_or("illegal ipv6 netmask specified"),
    }
}

/// A multicast group: IPv6 if the text has a colon, else a strict dotted quad. The error is
/// the message, with the value's bytes as given.
pub fn parse_mcast_group(s: &[u8]) -> Result<IpAddr, Vec<u8>> {
    let text = std::str::from_utf8(s).ok();
    if s.contains(&b':') {
        match text.and_then(|t| t.parse::<Ipv6Addr>().ok()) {
            Some(a) if a.is_multicast() => Ok(IpAddr::V6(a)),
            _ => Err([&b"invalid IPv6 mcast-group `"[..], s, b"'"].concat()),
        }
    } else {
        match text.and_then(|t| t.parse::<Ipv4Addr>().ok()) {
            Some(a) if a.is_multicast() => Ok(IpAddr::V4(a)),
            _ => Err([&b"invalid IPv4 mcast-group `"[..], s, b"'"].concat()),
        }
    }
}

/// At most the first `max` bytes of a value, as the C tool copies names into its fixed
/// buffers.
pub fn truncate(s: &[u8], max: usize) -> &[u8] {
    &s[..s.len().min(max)]
}

#[cfg(test)]
mod tests {
    use super::*;

    // The parsers take bytes; these tests write their inputs as text (a test of bytes that
    // are not UTF-8 is further down).
    fn parse_long(s: &str) -> Option<i64> {
        super::parse_long(s.as_bytes())
    }
    fn parse_long_general(s: &str) -> Option<i64> {
        super::parse_long_general(s.as_bytes())
    }
    fn parse_range(s: &str, min: i64, max: i64) -> Option<i64> {
        super::parse_range(s.as_bytes(), min, max)
    }
    fn atoi(s: &str) -> i32 {
        super::atoi(s.as_bytes())
    }
    fn inet_aton(s: &str) -> Option<Ipv4Addr> {
        super::inet_aton(s.as_bytes())
    }
    fn parse_endpoint(s: &str, proto: Option<Protocol>, names: &dyn Names) -> Option<Endpoint> {
        super::parse_endpoint(s.as_bytes(), proto, names)
    }
    fn parse_endpoint_general(
        s: &str,
        proto: Option<Protocol>,
        names: &dyn Names,
    ) -> Option<Endpoint> {
        super::parse_endpoint_general(s.as_bytes(), proto, names)
    }
    fn parse_fwmark(s: &str) -> Option<u32> {
        super::parse_fwmark(s.as_bytes())
    }
    fn parse_netmask(s: &str, family: Family, names: &dyn Names) -> Result<u32, &'static str> {
        super::parse_netmask(s.as_bytes(), family, names)
    }
    fn parse_mcast_group(s: &str) -> Result<IpAddr, String> {
        super::parse_mcast_group(s.as_bytes()).map_err(|e| String::from_utf8(e).unwrap())
    }

    #[test]
    fn bytes_that_are_not_utf8() {
        // Numbers and addresses with a byte above ASCII are refused, as by the C library.
        assert_eq!(super::parse_long(b"5\xff"), None);
        assert_eq!(super::inet_aton(b"192.0.2.1\xff"), None);
        assert_eq!(
            super::inet_aton(b"192.0.2.1 \xff"),
            Some(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(
            super::parse_endpoint(b"[2001:db8::\xff]:80", None, &names()),
            None
        );
        // The message quotes the value's bytes as they were.
        assert_eq!(
            super::parse_mcast_group(b"\xff"),
            Err(b"invalid IPv4 mcast-group `\xff'".to_vec())
        );
        assert_eq!(super::truncate(b"\xc3\xa9\xc3\xa9", 3), b"\xc3\xa9\xc3");
    }
    use crate::names::StaticNames;

    fn names() -> StaticNames {
        StaticNames {
            hosts: vec![
                (
                    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
                    "vip.example.com".into(),
                ),
                (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), "localhost".into()),
            ],
            services: vec![
                (80, "tcp".into(), "http".into()),
                (80, "udp".into(), "http".into()),
                (53, "udp".into(), "domain".into()),
                (5060, "sctp".into(), "sip".into()),
            ],
        }
    }

    #[test]
    fn integer_rule() {
        assert_eq!(parse_long(" 5"), Some(5));
        assert_eq!(parse_long("\t+7"), Some(7));
        assert_eq!(parse_long("010"), Some(10));
        assert_eq!(parse_long("-3"), Some(-3));
        assert_eq!(parse_long("5 "), None);
        assert_eq!(parse_long(""), None);
        assert_eq!(parse_long("+"), None);
        assert_eq!(parse_long("0x10"), None);
        assert_eq!(parse_long("abc"), None);
        assert_eq!(parse_long("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_long("99999999999999999999999"), None);
        assert_eq!(parse_range("65536", 0, 65535), None);
        assert_eq!(parse_range("65535", 0, 65535), Some(65535));
    }

    use super::super::rng::XorShift;

    /// A string of up to `max` pieces drawn from `alphabet`.
    fn text(rng: &mut XorShift, alphabet: &[&str], max: usize) -> String {
        let len = rng.below(max + 1);
        (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect()
    }

    #[test]
    fn integer_fast_path_agrees_with_the_general_rule() {
        let mut cases: Vec<String> = [
            "",
            "0",
            "00",
            "000000000000000000",
            "1",
            "65535",
            "65536",
            "0065535",
            "99999999999999999",
            "999999999999999999",
            "9999999999999999999",
            "123456789012345678",
            "1234567890123456789",
            "9223372036854775807",
            "9223372036854775808",
            "+5",
            "-5",
            " 5",
            "5 ",
            "5x",
            "x5",
            "٣",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rng = XorShift::new(0x2545_f491_4f6c_dd1d);
        let alphabet = ["0", "1", "5", "9", "+", "-", " ", "\t", "x", "é"];
        cases.extend((0..20_000).map(|_| text(&mut rng, &alphabet, 22)));
        for s in &cases {
            assert_eq!(parse_long(s), parse_long_general(s), "{s:?}");
        }
    }

    #[test]
    fn atoi_rule() {
        assert_eq!(atoi("48abc"), 48);
        assert_eq!(atoi("255.255.255.0"), 255);
        assert_eq!(atoi(" -5"), -5);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("99999999999999999999"), -1);
    }

    #[test]
    fn inet_aton_forms() {
        let a = |s| inet_aton(s);
        assert_eq!(a("192.0.2.1"), Some(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(a("10.0.0"), Some(Ipv4Addr::new(10, 0, 0, 0)));
        assert_eq!(a("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(a("0x0a000002"), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(a("167772162"), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(a("010.0.0.1"), Some(Ipv4Addr::new(8, 0, 0, 1)));
        assert_eq!(a("10.0.0.1 junk"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(a("24"), Some(Ipv4Addr::new(0, 0, 0, 24)));
        assert_eq!(a("0xffffff00"), Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(a("256.0.0.1"), None);
        assert_eq!(a("1.2.3.4.5"), None);
        assert_eq!(a("1.2.3.256"), None);
        assert_eq!(a("1.2.65536"), None);
        assert_eq!(a("08"), None);
        assert_eq!(a("0x"), None);
        assert_eq!(a("4294967296"), None);
        assert_eq!(a("1..2"), None);
        assert_eq!(a(""), None);
        assert_eq!(a("a.b"), None);
        assert_eq!(a("1.2.3.4x"), None);
    }

    #[test]
    fn endpoints() {
        let n = names();
        let tcp = Some(Protocol::Tcp);
        let p = |s: &str| parse_endpoint(s, tcp, &n);
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        assert_eq!(
            p("192.0.2.1:80"),
            Some(Endpoint {
                addr: v4(192, 0, 2, 1),
                port: Some(80)
            })
        );
        assert_eq!(p("192.0.2.1").unwrap().port, None);
        assert_eq!(p("vip.example.com:http").unwrap().addr, v4(192, 0, 2, 10));
        assert_eq!(p("VIP.example.com:http").unwrap().port, Some(80));
        assert_eq!(p("192.0.2.1: 93").unwrap().port, Some(93));
        assert_eq!(p("192.0.2.1:+101").unwrap().port, Some(101));
        for bad in [
            "80",
            "167772162",
            "",
            "192.0.2.1:",
            "192.0.2.1:-1",
            "192.0.2.1:65536",
            "192.0.2.1:0x66",
            "192.0.2.1:nosuchsvc",
            "[::1]",
            "[::1]x80",
            "[2001:db8::1",
            "nosuchhost:80",
            ":80",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
        // Service names depend on the protocol.
        assert_eq!(parse_endpoint("192.0.2.1:domain", tcp, &n), None);
        assert_eq!(
            parse_endpoint("192.0.2.1:domain", Some(Protocol::Udp), &n)
                .unwrap()
                .port,
            Some(53)
        );
        assert_eq!(parse_endpoint("192.0.2.1:http", None, &n), None);
        // IPv6.
        let e = p("[2001:db8::1]:80").unwrap();
        assert_eq!(e.addr, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(e.port, Some(80));
        let e = p("2001:db8:1::1:81").unwrap();
        assert_eq!(e.addr, "2001:db8:1::1:81".parse::<IpAddr>().unwrap());
        assert_eq!(e.port, None);
        assert_eq!(p("[::ffff:192.0.2.5]:80").unwrap().port, Some(80));
        assert!(p("[::]:0").is_some());
        // Bracketed IPv4 loses its port.
        assert_eq!(
            p("[192.0.2.2]:105"),
            Some(Endpoint {
                addr: v4(192, 0, 2, 2),
                port: None
            })
        );
        // inet_aton leniency.
        assert_eq!(p("10.0.0:80").unwrap().addr, v4(10, 0, 0, 0));
        assert_eq!(p("0x0a000002").unwrap().addr, v4(10, 0, 0, 2));
        assert_eq!(p("167772162:103").unwrap().port, Some(103));
        assert_eq!(p("10.0.0.1 junk").unwrap().addr, v4(10, 0, 0, 1));
        assert_eq!(p("0.0.0.0").unwrap().addr, v4(0, 0, 0, 0));
    }

    #[test]
    fn endpoint_fast_path_agrees_with_the_general_path() {
        // Names that a fast path must not shadow: a host and a service spelled like numbers.
        let n = StaticNames {
            hosts: vec![
                (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), "1.2.3.4.5".into()),
                (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)), "01.2.3.4".into()),
                (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12)), "host".into()),
            ],
            services: vec![
                (99, "tcp".into(), "65536".into()),
                (98, "tcp".into(), "123456".into()),
                (80, "tcp".into(), "http".into()),
            ],
        };
        let mut cases: Vec<String> = [
            "1.2.3.4",
            "1.2.3.4:80",
            "0.0.0.0",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "1.2.3.4:65536",
            "1.2.3.4:123456",
            "1.2.3.4:00080",
            "1.2.3.4:000080",
            "1.2.3.4:",
            "1.2.3.4::80",
            "1.2.3.4:8a",
            "1.2.3.4:+80",
            "1.2.3.4: 80",
            "1.2.3.4:-1",
            "1.2.3.4:http",
            "1.2.3.4 junk",
            "1.2.3.4x",
            "1.2.3.4.",
            "1.2.3.4.5",
            "1.2.3.4.5:80",
            "01.2.3.4",
            "1.02.3.4",
            "1.2.3.010:80",
            "0x7f.0.0.1",
            "0x7f.1",
            "1.2.3",
            "1.2.3:80",
            "1.2",
            "1",
            "16909060",
            "256.1.1.1",
            "1.256.1.1",
            "1.2.3.256",
            "1.2.3.255",
            "999.1.1.1",
            "1000.1.1.1",
            "1..2.3",
            ".1.2.3",
            "1.2.3.4\n",
            "[1.2.3.4]:80",
            "[::1]:80",
            "::1",
            "1:2::3:80",
            "host:80",
            "host",
            ":80",
            "",
            "٣.1.1.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
        let alphabet = [
            "0", "1", "2", "5", "9", "25", "255", "256", ".", ".", ".", ":", "x", "[", "]", " ",
        ];
        cases.extend((0..50_000).map(|_| text(&mut rng, &alphabet, 16)));
        // Dotted forms built from tricky parts: leading zeros, out-of-range bytes, ports
        // around the limits, missing parts, trailing garbage (plain parts are repeated so
        // that many cases are plain).
        let octets = [
            "0", "7", "10", "99", "100", "255", "0", "7", "10", "99", "100", "255", "00", "01",
            "08", "256", "300", "999", "1000", "0x1", "", " 1",
        ];
        let ports = [
            "", ":0", ":80", ":00080", ":65535", "", ":0", ":80", ":00080", ":65535", ":",
            ":000080", ":65536", ":99999", ":123456", ":8a", ":http", ": 1", ":+1", "::1",
        ];
        let tails = ["", "", "", "", "", " ", "x", ".", "\n"];
        let counts = [4, 4, 4, 4, 4, 1, 2, 3, 5];
        for _ in 0..50_000 {
            let parts = counts[rng.below(counts.len())];
            let mut pick = |list: &[&'static str]| list[rng.below(list.len())];
            let mut s = pick(&octets).to_string();
            for _ in 1..parts {
                s.push('.');
                s.push_str(pick(&octets));
            }
            s.push_str(pick(&ports));
            s.push_str(pick(&tails));
            cases.push(s);
        }
        let mut fast_hits = 0;
        for s in &cases {
            for proto in [Some(Protocol::Tcp), None] {
                let general = parse_endpoint_general(s, proto, &n);
                if let Some(fast) = plain_v4_endpoint(s.as_bytes()) {
                    assert_eq!(Some(fast), general, "{s:?}");
                    fast_hits += 1;
                }
                // The text a prefix is read from is a word of its own: followed by a space
                // (as restore's fast path reads it), it parses the same alone.
                let spaced = format!("{s} -m");
                for text in [s.as_bytes(), spaced.as_bytes()] {
                    if let Some((fast, len)) = plain_v4_prefix(text) {
                        let word = &text[..len];
                        assert_eq!(
                            Some(fast),
                            super::parse_endpoint_general(word, proto, &n),
                            "{s:?}"
                        );
                        assert_eq!(plain_v4_endpoint(word), Some(fast), "{s:?}");
                    }
                }
                assert_eq!(parse_endpoint(s, proto, &n), general, "{s:?}");
            }
        }
        assert!(
            fast_hits > 1000,
            "the generated cases reach the fast path ({fast_hits})"
        );
        // The fast path takes the common forms itself.
        for s in [
            "198.18.0.1:80",
            "203.0.113.1:8080",
            "0.0.0.0:0",
            "255.255.255.255:65535",
        ] {
            assert!(plain_v4_endpoint(s.as_bytes()).is_some(), "{s}");
        }
        // And leaves the others, looked up or read as octal, to the general path.
        assert_eq!(
            parse_endpoint("1.2.3.4:65536", Some(Protocol::Tcp), &n)
                .unwrap()
                .port,
            Some(99)
        );
        assert_eq!(
            parse_endpoint("01.2.3.4", None, &n).unwrap().addr,
            IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))
        );
        assert_eq!(
            parse_endpoint("1.2.3.010:80", None, &n).unwrap().addr,
            IpAddr::V4(Ipv4Addr::new(1, 2, 3, 8))
        );
        assert_eq!(
            parse_endpoint("1.2.3.4.5", None, &n).unwrap().addr,
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))
        );
    }

    #[test]
    fn netmasks() {
        let n = names();
        let m = |s| parse_netmask(s, Family::Inet, &n);
        assert_eq!(
            m("255.255.255.0"),
            Ok(u32::from_ne_bytes([255, 255, 255, 0]))
        );
        assert_eq!(m("24"), Ok(u32::from_ne_bytes([0, 0, 0, 24])));
        assert_eq!(m("localhost"), Ok(u32::from_ne_bytes([127, 0, 0, 1])));
        assert_eq!(
            m("foo"),
            Err("illegal virtual server persistent mask specified")
        );
        let m6 = |s| parse_netmask(s, Family::Inet6, &n);
        assert_eq!(m6("64"), Ok(64));
        assert_eq!(m6("48abc"), Ok(48));
        assert_eq!(m6("255.255.255.0"), Err("illegal ipv6 netmask specified"));
        assert_eq!(m6("0"), Err("illegal ipv6 netmask specified"));
        assert_eq!(m6("128"), Ok(128));
        assert_eq!(m6("129"), Err("illegal ipv6 netmask specified"));
    }

    #[test]
    fn fwmarks() {
        assert_eq!(parse_fwmark("1"), Some(1));
        assert_eq!(parse_fwmark(" +5"), Some(5));
        assert_eq!(parse_fwmark("4294967295"), Some(u32::MAX));
        for bad in ["0", "-1", "-0", "0x10", "12abc", "4294967296", ""] {
            assert_eq!(parse_fwmark(bad), None, "{bad}");
        }
    }

    #[test]
    fn mcast_groups() {
        assert_eq!(
            parse_mcast_group("239.1.1.1"),
            Ok("239.1.1.1".parse().unwrap())
        );
        assert_eq!(
            parse_mcast_group("ff02::1234"),
            Ok("ff02::1234".parse().unwrap())
        );
        assert_eq!(
            parse_mcast_group("192.0.2.1"),
            Err("invalid IPv4 mcast-group `192.0.2.1'".into())
        );
        assert_eq!(
            parse_mcast_group("239.1.1"),
            Err("invalid IPv4 mcast-group `239.1.1'".into())
        );
        assert_eq!(
            parse_mcast_group("2001:db8::1"),
            Err("invalid IPv6 mcast-group `2001:db8::1'".into())
        );
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate(b"abcdef", 3), b"abc");
        assert_eq!(truncate(b"ab", 3), b"ab");
        // Bytes, as the C tool copies them: a character can be cut.
        assert_eq!(truncate("aé".as_bytes(), 2), b"a\xc3");
    }
}
