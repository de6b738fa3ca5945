//! Low-level text helpers shared by every formatter: appending to a byte buffer without
//! per-field allocation, C-style padding (`%-Ns`, counted in bytes), the K/M/G/T number
//! rendering of `--stats`/`--rate`, glibc-compatible `inet_ntop` for IPv6, and endpoint
//! (`host:port`) rendering with optional name lookups and the reference's 59-byte limit.

use std::net::{IpAddr, Ipv6Addr};

use crate::names::Names;

/// `write!` into a `Vec<u8>`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = ::std::io::Write::write_fmt($out, format_args!($($arg)*));
    }};
}
pub(crate) use w;

/// Longest endpoint string the reference builds (`snprintf` into a 60-byte buffer).
pub(crate) const ENDPOINT_MAX: usize = 59;

/// Appends `s` then spaces up to `width` bytes (C `%-{width}s`; never truncates).
pub(crate) fn pad_right(out: &mut Vec<u8>, s: &[u8], width: usize) {
    out.extend_from_slice(s);
    pad(out, s.len(), width);
}

/// Appends the decimal digits of `v`, as `{}` would: listings print tens of thousands of
/// numbers, and the formatting machinery costs several times more per number.
/// (itoa, two digits at a time, is what serde_json and prometheus-client use too.)
pub(crate) fn num(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a signed number (`{}` of an `i64`).
pub(crate) fn inum(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    num(out, v.unsigned_abs());
}

/// C `%-{width}d`: the number, then spaces up to `width` bytes.
pub(crate) fn num_left(out: &mut Vec<u8>, v: i64, width: usize) {
    if let Ok(digit @ 0..=9) = u8::try_from(v)
        && width <= 16
    {
        // One digit, as most connection counts and weights of a listing are: the digit and
        // its padding in one append.
        let mut field = [b' '; 16];
        field[0] = b'0' + digit;
        out.extend_from_slice(&field[..width.max(1)]);
        return;
    }
    let start = out.len();
    inum(out, v);
    pad(out, out.len() - start, width);
}

/// C `%{width}lu`: spaces, then the number, filling at least `width` bytes.
pub(crate) fn num_right(out: &mut Vec<u8>, v: u64, width: usize) {
    let len = v.checked_ilog10().unwrap_or(0) as usize + 1;
    pad(out, len, width);
    num(out, v);
}

/// Appends spaces so that a field of `len` bytes fills `width`.
pub(crate) fn pad(out: &mut Vec<u8>, len: usize, width: usize) {
    if len < width {
        out.resize(out.len() + (width - len), b' ');
    }
}

/// A counter of `--stats`/`--rate`: a 9-column field,, scaled with K/M/G/T above 99,999,999
/// unless `exact`, in which case long numbers get one leading space and all their digits.
pub(crate) fn largenum(out: &mut Vec<u8>, v: u64, exact: bool) {
    if exact || v < 100_000_000 {
        // Up to 8 digits: `{:>9}`; longer (exact only): a space then the digits, which is
        // exactly what `{:>9}` gives for 9 digits and what ` {}` gives beyond.
        if v < 100_000_000 {
            num_right(out, v, 9);
        } else {
            w!(out, " {v}");
        }
        return;
    }
    if v < 1_000_000_000 {
        w!(out, "{:>8}K", v / 1_000);
    } else if v < 100_000_000_000 {
        w!(out, "{:>8}M", v / 1_000_000);
    } else if v < 100_000_000_000_000 {
        w!(out, "{:>8}G", v / 1_000_000_000);
    } else {
        w!(out, "{:>8}T", v / 1_000_000_000_000);
    }
}

/// Writes an IPv6 address the way glibc's `inet_ntop` does: lower-case hex, the first
/// longest run of two or more zero groups as `::`, and the embedded-IPv4 forms
/// `::a.b.c.d` (exactly six leading zero groups) and `::ffff:a.b.c.d` (mapped). Checked
/// against glibc 2.36.
pub(crate) fn ntop6(out: &mut Vec<u8>, a: &Ipv6Addr) {
    let words = a.segments();
    // Find the first longest run of zero words (length >= 2).
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let (mut cur_base, mut cur_len) = (usize::MAX, 0usize);
    for (i, &wd) in words.iter().enumerate() {
        if wd == 0 {
            if cur_base == usize::MAX {
                cur_base = i;
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if cur_base != usize::MAX {
            if best_base == usize::MAX || cur_len > best_len {
                best_base = cur_base;
                best_len = cur_len;
            }
            cur_base = usize::MAX;
        }
    }
    if cur_base != usize::MAX && (best_base == usize::MAX || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
    }
    if best_base != usize::MAX && best_len < 2 {
        best_base = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if best_base != usize::MAX && i >= best_base && i < best_base + best_len {
            if i == best_base {
                out.push(b':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            out.push(b':');
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            let o = a.octets();
            w!(out, "{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
            return;
        }
        w!(out, "{:x}", words[i]);
        i += 1;
    }
    if best_base != usize::MAX && best_base + best_len == 8 {
        out.push(b':');
    }
}

/// Writes an address numerically (IPv4 dotted quad, IPv6 as glibc prints it), no brackets.
pub(crate) fn ntop(out: &mut Vec<u8>, a: &IpAddr) {
    match a {
        IpAddr::V4(v4) => {
            let mut buf = [0; DOTTED_ROOM];
            let n = dotted(&mut buf, v4.octets());
            out.extend_from_slice(&buf[..n]);
        }
        IpAddr::V6(v6) => ntop6(out, v6),
    }
}

/// Room for the longest dotted address (15 bytes) and the last octet's whole table entry.
const DOTTED_ROOM: usize = 16;

/// Each octet's decimal digits followed by a dot, in four bytes (padded with zeros), and
/// how many digits there are.
const OCTETS: [([u8; 4], u8); 256] = {
    let mut t = [([0; 4], 0); 256];
    let mut o = 0;
    while o < 256 {
        let (h, te, u) = ((o / 100) as u8, (o / 10 % 10) as u8, (o % 10) as u8);
        t[o] = match o {
            0..=9 => ([b'0' + u, b'.', 0, 0], 1),
            10..=99 => ([b'0' + te, b'0' + u, b'.', 0], 2),
            _ => ([b'0' + h, b'0' + te, b'0' + u, b'.'], 3),
        };
        o += 1;
    }
    t
};

/// Writes an IPv4 address in dotted decimal at the start of `buf` and returns its length:
/// each octet's text copied from a table, the whole address appended once, because
/// listings write tens of thousands of addresses (four appends of a formatted number each
/// cost several times as much).
fn dotted(buf: &mut [u8; DOTTED_ROOM], octets: [u8; 4]) -> usize {
    let mut n = 0;
    for o in octets {
        let (text, digits) = OCTETS[usize::from(o)];
        buf[n..n + 4].copy_from_slice(&text);
        // The dot after the digits stays, but after the last octet.
        n += usize::from(digits) + 1;
    }
    n - 1
}

/// Appends an endpoint as the reference's `addrport_to_anyname` renders it: `host:port`,
/// IPv6 hosts in brackets; without `numeric` the host is the reverse-lookup name when there
/// is one and the port the service name for `proto` (`tcp`/`udp`/`sctp`; `None` = always a
/// number). The endpoint alone is cut to 59 bytes. Returns the endpoint's length.
pub(crate) fn endpoint(
    out: &mut Vec<u8>,
    addr: &IpAddr,
    port: u16,
    proto: Option<&str>,
    numeric: bool,
    names: &dyn Names,
) -> usize {
    let start = out.len();
    let v6 = addr.is_ipv6();
    if v6 {
        out.push(b'[');
    }
    let host = if numeric { None } else { names.host_name(addr) };
    match host {
        Some(h) => out.extend_from_slice(&h),
        None => ntop(out, addr),
    }
    if v6 {
        out.push(b']');
    }
    out.push(b':');
    let service = match (numeric, proto) {
        (false, Some(p)) => names.service_name(port, p),
        _ => None,
    };
    match service {
        Some(s) => out.extend_from_slice(&s),
        None => num(out, port.into()),
    }
    out.truncate(start + ENDPOINT_MAX.min(out.len() - start));
    out.len() - start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::StaticNames;

    fn n(v: u64, exact: bool) -> String {
        let mut o = Vec::new();
        largenum(&mut o, v, exact);
        String::from_utf8(o).unwrap()
    }

    /// The hand-written number writers against the formatting machinery they replace.
    #[test]
    fn numbers_as_format_writes_them() {
        let unsigned = [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            99_999_999,
            100_000_000,
            u64::MAX,
        ];
        for v in unsigned {
            let mut o = Vec::new();
            num(&mut o, v);
            assert_eq!(o, format!("{v}").into_bytes());
            for width in [0, 1, 6, 9, 10, 25] {
                let mut o = Vec::new();
                num_right(&mut o, v, width);
                assert_eq!(o, format!("{v:>width$}").into_bytes(), "{v} {width}");
            }
        }
        let signed = [
            0,
            -1,
            1,
            -9,
            10,
            i64::from(i32::MIN),
            i64::from(u32::MAX),
            i64::MIN,
        ];
        for v in signed {
            let mut o = Vec::new();
            inum(&mut o, v);
            assert_eq!(o, format!("{v}").into_bytes());
            for width in [0, 1, 6, 10, 11, 25] {
                let mut o = Vec::new();
                num_left(&mut o, v, width);
                assert_eq!(o, format!("{v:<width$}").into_bytes(), "{v} {width}");
            }
        }
        // One digit and the widths around the short field's room, after other text.
        for v in -1..=10 {
            for width in 0..=18 {
                let mut o = b"x".to_vec();
                num_left(&mut o, v, width);
                assert_eq!(o, format!("x{v:<width$}").into_bytes(), "{v} {width}");
            }
        }
        for a in ["0.0.0.0", "255.255.255.255", "10.0.20.3", "192.0.2.100"] {
            let mut o = Vec::new();
            ntop(&mut o, &a.parse().unwrap());
            assert_eq!(o, a.as_bytes());
        }
    }

    #[test]
    fn dotted_decimal_is_what_the_standard_library_writes() {
        // Every octet value in every position, and a walk through the whole space.
        let singles = (0..4).flat_map(|at| (0..=255u32).map(move |o| o << (8 * at)));
        let walk = (0..=u32::MAX).step_by(7_919_011);
        for a in singles.chain(walk).map(std::net::Ipv4Addr::from) {
            let mut o = b"x".to_vec();
            ntop(&mut o, &IpAddr::V4(a));
            assert_eq!(o, format!("x{a}").into_bytes());
        }
    }

    #[test]
    fn largenum_boundaries() {
        assert_eq!(n(0, false), "        0");
        assert_eq!(n(25_284_797, false), " 25284797");
        assert_eq!(n(99_999_999, false), " 99999999");
        assert_eq!(n(100_000_000, false), "  100000K");
        assert_eq!(n(150_152_525, false), "  150152K");
        assert_eq!(n(999_999_999, false), "  999999K");
        assert_eq!(n(1_000_000_000, false), "    1000M");
        assert_eq!(n(1_118_918_891, false), "    1118M");
        assert_eq!(n(99_999_999_999, false), "   99999M");
        assert_eq!(n(100_000_000_000, false), "     100G");
        assert_eq!(n(99_999_999_999_999, false), "   99999G");
        assert_eq!(n(100_000_000_000_000, false), "     100T");
        assert_eq!(n(u64::MAX, false), "18446744T");
    }

    #[test]
    fn largenum_exact() {
        assert_eq!(n(0, true), "        0");
        assert_eq!(n(99_999_999, true), " 99999999");
        assert_eq!(n(150_152_525, true), " 150152525");
        assert_eq!(n(1_118_918_891, true), " 1118918891");
        assert_eq!(n(u64::MAX, true), " 18446744073709551615");
    }

    fn s6(a: &str) -> String {
        let mut o = Vec::new();
        ntop6(&mut o, &a.parse().unwrap());
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn ipv6_like_glibc() {
        assert_eq!(s6("::"), "::");
        assert_eq!(s6("::1"), "::1");
        assert_eq!(s6("::2"), "::2");
        assert_eq!(s6("::ffff"), "::ffff");
        assert_eq!(s6("::ffff:0:0"), "::ffff:0.0.0.0");
        assert_eq!(s6("::1:0:0"), "::1:0:0");
        assert_eq!(s6("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(s6("::ffff:10.0.0.5"), "::ffff:10.0.0.5");
        assert_eq!(s6("2001:db8::2"), "2001:db8::2");
        assert_eq!(s6("2001:db8:1::1"), "2001:db8:1::1");
        assert_eq!(s6("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
        assert_eq!(s6("2001:0:0:1:0:0:1:1"), "2001::1:0:0:1:1");
        assert_eq!(s6("2001:db8:1:2:3:4:5:0"), "2001:db8:1:2:3:4:5:0");
        assert_eq!(s6("2001:db8::"), "2001:db8::");
        assert_eq!(s6("fe80::"), "fe80::");
        assert_eq!(
            s6("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"),
            "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"
        );
        assert_eq!(s6("ff02::1234"), "ff02::1234");
    }

    fn ep(a: &str, port: u16, proto: Option<&str>, numeric: bool, names: &StaticNames) -> String {
        let mut o = b"x".to_vec();
        let len = endpoint(&mut o, &a.parse().unwrap(), port, proto, numeric, names);
        assert_eq!(len, o.len() - 1);
        String::from_utf8(o[1..].to_vec()).unwrap()
    }

    #[test]
    fn endpoints() {
        let names = StaticNames {
            hosts: vec![
                ("10.0.0.1".parse().unwrap(), "vip1.example.com".into()),
                ("2001:db8::2".parse().unwrap(), "rs6.example.com".into()),
                (
                    "192.168.2.3".parse().unwrap(),
                    "averyveryveryverylonghostname-number-three.example.com".into(),
                ),
                ("10.9.9.9".parse().unwrap(), "x".repeat(70)),
            ],
            services: vec![(80, "tcp".into(), "http".into())],
        };
        assert_eq!(ep("10.0.0.1", 80, Some("tcp"), true, &names), "10.0.0.1:80");
        assert_eq!(
            ep("10.0.0.1", 80, Some("tcp"), false, &names),
            "vip1.example.com:http"
        );
        assert_eq!(
            ep("10.0.0.1", 80, Some("udp"), false, &names),
            "vip1.example.com:80"
        );
        assert_eq!(
            ep("10.0.0.1", 80, None, false, &names),
            "vip1.example.com:80"
        );
        assert_eq!(
            ep("2001:db8::2", 80, Some("tcp"), false, &names),
            "[rs6.example.com]:http"
        );
        assert_eq!(
            ep("2001:db8::4", 80, Some("tcp"), false, &names),
            "[2001:db8::4]:http"
        );
        assert_eq!(
            ep("2001:db8::4", 0, Some("tcp"), true, &names),
            "[2001:db8::4]:0"
        );
        assert_eq!(
            ep("192.168.2.3", 80, Some("tcp"), false, &names),
            "averyveryveryverylonghostname-number-three.example.com:http"
        );
        // 59-byte limit.
        let long = ep("10.9.9.9", 80, Some("tcp"), false, &names);
        assert_eq!(long, "x".repeat(59));
    }
}
