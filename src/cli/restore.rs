//! Restore lines (`-R`): one line of standard input becomes the words of one invocation,
//! split on blanks as the reference splits them, and is parsed like a command line.
//!
//! [`RestoreLines`] does that for a restore loop, keeping one argv allocation for all
//! lines: restore reads tens of thousands of them. Valid lines in the two shapes
//! `ipvsadm -S -n` writes for most rules take a fast path ([`canonical_line`]) that reads the
//! words straight from the line's bytes and builds the change the general parser would;
//! everything else, errors included, goes the general way. The tests compare the two ways on
//! generated lines. This module depends on the general parser, never the other way round.

use std::net::IpAddr;

use linux_ipvs::flags::IP_VS_SCHEDNAME_MAXLEN;
use linux_ipvs::{Change, Dest, Forward, Name, Protocol, Service, ServiceKey};

use super::tokenize::Event;
use super::values::{self, Endpoint};
use super::{Action, CliError, parse_words_into};
use crate::names::Names;

/// The longest token the reference keeps in one piece; longer ones are cut.
const MAX_TOKEN: usize = 4096;

/// Splits one restore line into argv words, as the reference reads them: delimiters are
/// space, TAB, CR and LF; a token longer than 4096 bytes is split into pieces of 4096 bytes;
/// each piece ends at its first NUL byte (the reference's words are C strings); every piece
/// equal to `ipvsadm` is dropped. `#` has no special meaning here.
pub fn restore_words(line: &[u8]) -> Vec<&[u8]> {
    let mut words = Vec::with_capacity(16);
    push_restore_words(line, &mut words);
    words
}

/// The blank-separated words of a line, before any cutting or dropping.
struct RawWords<'a> {
    line: &'a [u8],
    at: usize,
}

impl<'a> RawWords<'a> {
    fn new(line: &'a [u8]) -> RawWords<'a> {
        RawWords { line, at: 0 }
    }
}

impl<'a> Iterator for RawWords<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let bytes = self.line;
        let mut i = self.at;
        while i < bytes.len() && is_delimiter(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            self.at = i;
            return None;
        }
        let start = i;
        while i < bytes.len() && !is_delimiter(bytes[i]) {
            i += 1;
        }
        self.at = i;
        Some(&bytes[start..i])
    }
}

/// [`restore_words`], appending to `words`.
fn push_restore_words<'a>(line: &'a [u8], words: &mut Vec<&'a [u8]>) {
    for word in RawWords::new(line) {
        for piece in word.chunks(MAX_TOKEN) {
            let piece = match piece.iter().position(|&b| b == 0) {
                Some(nul) => &piece[..nul],
                None => piece,
            };
            if piece != b"ipvsadm" {
                words.push(piece);
            }
        }
    }
}

/// The word delimiters: space, TAB, CR and LF.
fn is_delimiter(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Parses restore lines one at a time, reusing one argv allocation for all of them.
#[derive(Debug, Default)]
pub struct RestoreLines {
    /// The argv storage between lines (always empty there).
    argv: Vec<&'static [u8]>,
    /// The tokenizer's event storage between lines (always empty there).
    events: Vec<Event<'static>>,
    /// The fast path's last virtual service address.
    vips: VipCache,
}

impl RestoreLines {
    /// A parser with no storage yet.
    pub fn new() -> RestoreLines {
        RestoreLines::default()
    }

    /// Parses one line of restore input (its bytes as read, newline included or not) as the
    /// command line `prog` followed by the line's words ([`restore_words`]). Returns `None`
    /// for a line to skip: one without words, or whose first word starts with `#`.
    ///
    /// Kept out of line: the answer is then written straight into the caller's slot, where
    /// inlined into a loop it was built aside and copied.
    #[inline(never)]
    pub fn parse(
        &mut self,
        prog: &[u8],
        line: &[u8],
        names: &dyn Names,
    ) -> Option<Result<Action, CliError>> {
        // Each arm's answer is written where the caller wants it: an action is some 400
        // bytes, and copying it would cost about as much as the rest of the fast path.
        match canonical_line(line, &mut self.vips) {
            Some(canonical) => Some(Ok(Action::Change(canonical.change()))),
            None => self.parse_general(prog, line, names),
        }
    }

    /// The fast path alone: `None` for a line it leaves to the general way. For the
    /// robustness checks, which compare it with [`RestoreLines::parse_general`].
    #[doc(hidden)]
    pub fn fast_path(&mut self, line: &[u8]) -> Option<Result<Action, CliError>> {
        canonical_line(line, &mut self.vips).map(|c| Ok(Action::Change(c.change())))
    }

    /// [`RestoreLines::parse`] without the fast path (kept out of line, so that the fast
    /// path's code stays small).
    #[doc(hidden)]
    #[inline(never)]
    pub fn parse_general(
        &mut self,
        prog: &[u8],
        line: &[u8],
        names: &dyn Names,
    ) -> Option<Result<Action, CliError>> {
        let mut argv = recycle(std::mem::take(&mut self.argv));
        argv.push(prog);
        push_restore_words(line, &mut argv);
        let result = match argv.get(1) {
            None => None,
            Some(first) if first.starts_with(b"#") => None,
            Some(_) => {
                let mut events = recycle(std::mem::take(&mut self.events));
                let result = parse_words_into(&argv, names, &mut events);
                self.events = recycle(events);
                // The namespace is the whole restore's: the command line's.
                Some(result.and_then(|p| match p.netns {
                    None => Ok(p.action),
                    Some(_) => Err(CliError::invalid(
                        "--netns goes on the command line, not in restore input",
                    )),
                }))
            }
        };
        self.argv = recycle(argv);
        result
    }
}

/// Restore's fast path, for lines exactly as `ipvsadm -S -n` writes most rules:
/// `-A -t|-u ADDR:PORT -s SCHED` and `-a -t|-u ADDR:PORT -r ADDR[:PORT] -m|-g -w WEIGHT`,
/// words separated by single spaces, then a newline or the end of the input, with plain IPv4
/// addresses (see [`values::plain_v4_prefix`]). It answers only a line that is a valid rule
/// as it stands, with the change the general parser would build for it: the service, or
/// the real server with the port, forwarding method and weight the last stage gives it, the
/// other settings at their defaults. Anything else gives `None` and is left to the general
/// parser, which also words every error: other blanks, another shape, a value popt could
/// treat specially (one starting with `-`, or holding the `!#:+` of its argument expansion),
/// a value that does not parse or is refused (a service port of 0 without persistence).
///
/// The words are matched byte by byte in the line. Every word but the scheduler is a fixed
/// word, an address or digits, so a byte the general tokenizer would see differently (a
/// TAB, a NUL, a `!`) makes it fail to match; the scheduler, the rest of the line, is
/// checked for such bytes itself.
fn canonical_line(line: &[u8], vips: &mut VipCache) -> Option<Canonical> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let [b'-', command, b' ', b'-', service, b' ', rest @ ..] = line else {
        return None;
    };
    let protocol = match service {
        b't' => Protocol::Tcp,
        b'u' => Protocol::Udp,
        _ => return None,
    };
    let (vip, rest) = vips.endpoint(rest)?;
    let key = ServiceKey::Addr {
        protocol,
        addr: vip.addr,
        port: vip.port.unwrap_or(0),
    };
    match (command, rest) {
        (b'A', [b' ', b'-', b's', b' ', scheduler @ ..]) => {
            // Without persistence, a port of 0 is refused (the general way says so).
            if key.port() == 0 || !plain_value(scheduler) {
                return None;
            }
            let scheduler = values::truncate(scheduler, IP_VS_SCHEDNAME_MAXLEN - 1);
            Some(Canonical::AddService(key, Name::truncated(scheduler)))
        }
        (b'a', [b' ', b'-', b'r', b' ', rest @ ..]) => {
            let (real, len) = values::plain_v4_prefix(rest)?;
            // Direct routing keeps the virtual port; masquerading takes the real server's own.
            let (forward, port, weight) = match rest.get(len..)? {
                [b' ', b'-', b'm', b' ', b'-', b'w', b' ', weight @ ..] => {
                    (Forward::Masq, real.port.unwrap_or(key.port()), weight)
                }
                [b' ', b'-', b'g', b' ', b'-', b'w', b' ', weight @ ..] => {
                    (Forward::Route, key.port(), weight)
                }
                _ => return None,
            };
            Some(Canonical::AddDest {
                key,
                addr: real.addr,
                port,
                forward,
                weight: plain_weight(weight)?,
            })
        }
        _ => None,
    }
}

/// Whether a word is one the general tokenizer keeps as it is and popt takes as a value: one
/// to 64 bytes (far from the 4,096 at which a word is cut), none of them a blank, a NUL or
/// another byte below `"` (such as the `!` of popt's argument expansion), not starting with
/// `-`, and not the dropped `ipvsadm`.
fn plain_value(word: &[u8]) -> bool {
    (1..=64).contains(&word.len())
        && word.iter().all(|&b| b >= b'"')
        && word[0] != b'-'
        && word != b"ipvsadm"
}

/// A weight of one to ten decimal digits within 0..=i32::MAX, as a save writes any weight
/// the kernel keeps (`strtol` reads leading zeros as decimal ones), or `None` for the general
/// way.
fn plain_weight(word: &[u8]) -> Option<i32> {
    if !(1..=10).contains(&word.len()) || !word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = word.iter().fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
    i32::try_from(v).ok()
}

/// A line the fast path answers, as the values that differ from line to line.
enum Canonical {
    /// `-A`: the service and its scheduler.
    AddService(ServiceKey, Name),
    /// `-a`: the real server of a service.
    AddDest {
        key: ServiceKey,
        addr: IpAddr,
        port: u16,
        forward: Forward,
        weight: i32,
    },
}

impl Canonical {
    /// The change, with the settings the line does not name at their defaults. Inlined, so
    /// that the change (some 200 bytes) is built where the caller keeps it.
    #[inline(always)]
    fn change(self) -> Change {
        match self {
            Canonical::AddService(key, scheduler) => {
                Change::AddService(Service::with_scheduler(key, scheduler))
            }
            Canonical::AddDest {
                key,
                addr,
                port,
                forward,
                weight,
            } => {
                let mut dest = Dest::new(addr, port);
                dest.forward = forward;
                dest.weight = weight;
                Change::AddDest(key, dest)
            }
        }
    }
}

/// The virtual service address of the fast path's last line, as text and parsed: a rules
/// file names a service on its `-A` line and again on each of its `-a` lines, so most
/// lines find their address here without parsing it again.
#[derive(Debug, Default)]
struct VipCache {
    /// The address's text, followed by a space.
    text: Vec<u8>,
    endpoint: Option<Endpoint>,
}

impl VipCache {
    /// The plain address `rest` starts with, followed by a space ([`values::plain_v4_prefix`]),
    /// and what follows it (the space included); from the cache when `rest` starts with the
    /// same text.
    #[inline]
    fn endpoint<'a>(&mut self, rest: &'a [u8]) -> Option<(Endpoint, &'a [u8])> {
        if let Some(ep) = self.endpoint
            && rest.starts_with(&self.text)
        {
            return Some((ep, &rest[self.text.len() - 1..]));
        }
        let (ep, len) = values::plain_v4_prefix(rest)?;
        let after = &rest[len..];
        after.starts_with(b" ").then_some(())?;
        self.text.clear();
        self.text.extend_from_slice(&rest[..=len]);
        self.endpoint = Some(ep);
        Some((ep, after))
    }
}

/// Empties a vector and returns it as a vector of another element type. For element types
/// of the same layout (here: the same type with other lifetimes) the standard library
/// collects in place, so the allocation is kept; otherwise this merely allocates again.
fn recycle<T, U>(v: Vec<T>) -> Vec<U> {
    v.into_iter().filter_map(|_| None).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of a line, as text (for the tests whose lines are text).
    fn words(line: &str) -> Vec<&str> {
        restore_words(line.as_bytes())
            .into_iter()
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn splits_on_blanks() {
        assert_eq!(
            words("  -A\t-t 192.0.2.1:80   -s rr\r\n"),
            vec!["-A", "-t", "192.0.2.1:80", "-s", "rr"]
        );
        assert!(words(" \t\r\n").is_empty());
        assert!(words("").is_empty());
    }

    #[test]
    fn drops_ipvsadm_everywhere() {
        assert_eq!(
            words("ipvsadm -a ipvsadm -t x ipvsadm -r y"),
            vec!["-a", "-t", "x", "-r", "y"]
        );
        assert_eq!(words("/sbin/ipvsadm -C"), vec!["/sbin/ipvsadm", "-C"]);
        assert_eq!(words("IPVSADM"), vec!["IPVSADM"]);
    }

    #[test]
    fn hash_is_ordinary() {
        assert_eq!(words("# comment"), vec!["#", "comment"]);
        assert_eq!(words("-s rr#x"), vec!["-s", "rr#x"]);
    }

    /// The reference's words are C strings: a word ends at its first NUL byte (the rest of
    /// the word is lost, the next word is not touched), and `ipvsadm` is dropped after that.
    #[test]
    fn words_end_at_a_nul() {
        assert_eq!(
            restore_words(b"-A -t 192.0.2.1:80\0x -s rr"),
            vec![&b"-A"[..], b"-t", b"192.0.2.1:80", b"-s", b"rr"]
        );
        assert_eq!(restore_words(b"-A\0\n"), vec![&b"-A"[..]]);
        assert_eq!(restore_words(b"\0abc -C"), vec![&b""[..], b"-C"]);
        assert_eq!(restore_words(b"ipvsadm\0junk -C"), vec![&b"-C"[..]]);
        // Bytes that are not UTF-8 stay as they are.
        assert_eq!(restore_words(b"-b \xff\xfe"), vec![&b"-b"[..], b"\xff\xfe"]);
    }

    #[test]
    fn restore_lines_parse_as_the_words_would() {
        let names = crate::names::StaticNames::default();
        let mut lines = RestoreLines::new();
        let inputs: [&[u8]; 14] = [
            b"-A -t 198.18.0.1:80 -s wlc\n",
            b"-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1\n",
            b"\n",
            b"   \t\r\n",
            b"",
            b"# a comment\n",
            b"#-C\n",
            b"ipvsadm -A -t 10.0.0.1:80\n",
            b"-A -t 198.18.0.1:80 -s \xffrr\n",
            b"-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1 bogus\n",
            b"-s rr -A -t 10.0.0.1:80\n",
            b"-A -t 10.0.0.1:80 -s '!#:+' -p x\n",
            b"-A -t 198.18.0.1:80\0x -s wlc\n",
            b"-A\0 -t 198.18.0.1:80 -s wlc\n",
        ];
        // Twice, so that the second round reuses the storage of the first.
        for _ in 0..2 {
            for input in inputs {
                let words = restore_words(input);
                let expected = if words.is_empty() || words[0].starts_with(b"#") {
                    None
                } else {
                    let mut argv: Vec<&[u8]> = vec![b"prog"];
                    argv.extend(words);
                    Some(super::super::parse_words(&argv, &names).map(|p| p.action))
                };
                assert_eq!(lines.parse(b"prog", input, &names), expected, "{input:?}");
            }
        }
        // The storage is kept between lines.
        assert!(lines.argv.capacity() > 0 && lines.events.capacity() > 0);
        // NUL ends a word: these two add the service, as the reference does.
        for input in [
            &b"-A -t 198.18.0.1:80\0x -s wlc\n"[..],
            b"-A\0 -t 198.18.0.1:80 -s wlc",
        ] {
            assert!(
                matches!(
                    lines.parse(b"prog", input, &names),
                    Some(Ok(Action::Change(_)))
                ),
                "{input:?}"
            );
        }
    }

    #[test]
    fn long_tokens_are_cut_at_byte_4096() {
        let long = "a".repeat(4096 * 2 + 5);
        let line = format!("-s {long} -n");
        let w = words(&line);
        assert_eq!(w.len(), 5);
        assert_eq!(w[1].len(), 4096);
        assert_eq!(w[2].len(), 4096);
        assert_eq!(w[3], "aaaaa");
        assert_eq!(w[4], "-n");
        let exact = "b".repeat(4096);
        assert_eq!(words(&exact), vec![exact.clone()]);
        // The cut is at byte 4,096 even inside a character, as the reference cuts it: 'a' then
        // 2,048 two-byte characters (4,097 bytes) give 4,096 bytes and the last byte alone.
        let straddling = format!("a{}", "é".repeat(2048));
        let w = restore_words(straddling.as_bytes());
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].len(), 4096);
        assert_eq!(w[1], &"é".as_bytes()[1..]);
    }

    /// The byte-level fast path against the general way, on generated lines: other
    /// delimiters and runs of them, words the tokenizer drops or cuts, bytes that are not
    /// printable ASCII, `!`, NUL and other control bytes, comments, other line ends.
    /// Whatever the fast path answers, the general way answers the same (with the fast
    /// path's memory of the last address kept from line to line); and it does answer the
    /// benchmark's lines.
    #[test]
    fn canonical_lines_agree_with_the_general_way() {
        let names = crate::names::StaticNames::default();
        let long = "9".repeat(70);
        let pieces: Vec<&str> = vec![
            "-a",
            "-A",
            "-t",
            "-u",
            "198.18.0.1:80",
            "203.0.113.1:8080",
            "-r",
            "-m",
            "-g",
            "-w",
            "1",
            "-s",
            "wlc",
            "ipvsadm",
            "é",
            "w!x",
            "#",
            "-n",
            "0",
            &long,
            "1.2.3.4:0",
            "198.18.0.1:80\0",
            "w\x0bc",
            "\x1f",
            "rr\0x",
            "198.18.0.2:80",
            "198.18.0.1:8",
            "198.18.0.1",
        ];
        // Mostly single spaces and newlines, as a save writes them: the fast path takes
        // nothing else.
        let delims = ["\t", "  ", "\r", "\n", " \t ", "\0", "\x0b"];
        let ends = ["", "\r\n", " \n", "\t", "\n\n"];
        let mut rng = super::super::rng::XorShift::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n);
        let shapes: [&[&str]; 2] = [
            &["-A", "-t", "198.18.0.1:80", "-s", "wlc"],
            &[
                "-a",
                "-t",
                "198.18.0.1:80",
                "-r",
                "203.0.113.1:8080",
                "-m",
                "-w",
                "1",
            ],
        ];
        let mut general = RestoreLines::new();
        let mut vips = VipCache::default();
        let mut answered = 0;
        for round in 0..20_000 {
            let mut words: Vec<&str> = shapes[round % 2].to_vec();
            // Change a word, add one or drop one now and then.
            match next(4) {
                0 => {
                    let i = next(words.len());
                    words[i] = pieces[next(pieces.len())];
                }
                1 => words.insert(next(words.len() + 1), pieces[next(pieces.len())]),
                2 => {
                    words.remove(next(words.len()));
                }
                _ => {}
            }
            let mut line = String::new();
            if next(10) == 0 {
                line.push_str(delims[next(delims.len())]);
            }
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    line.push_str(match next(10) {
                        0 => delims[next(delims.len())],
                        _ => " ",
                    });
                }
                line.push_str(w);
            }
            line.push_str(match next(2) {
                0 => ends[next(ends.len())],
                _ => "\n",
            });
            if let Some(fast) = canonical_line(line.as_bytes(), &mut vips) {
                answered += 1;
                assert_eq!(
                    general.parse_general(b"ipvsadm", line.as_bytes(), &names),
                    Some(Ok(Action::Change(fast.change()))),
                    "{line:?}"
                );
            }
        }
        assert!(answered > 1_000, "{answered}");
        for line in [
            "-A -t 198.18.0.1:80 -s wlc\n",
            "-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1\n",
        ] {
            assert!(
                canonical_line(line.as_bytes(), &mut vips).is_some(),
                "{line}"
            );
        }
    }

    /// Lines written exactly as a save writes them, with values drawn around every edge the
    /// fast path checks (ports of 0 and 65536, leading zeros, addresses with and without a
    /// port, octets past 255, weights of nine and ten digits, long and odd scheduler
    /// names): the fast path answers every one that the general parser accepts, with the
    /// same action, and none that it refuses. Lines follow one another as in a file, so the
    /// remembered virtual address is used and replaced.
    #[test]
    fn save_format_lines_take_the_fast_path_exactly_when_valid() {
        let names = crate::names::StaticNames::default();
        // The extremes first, each on its own.
        for line in [
            "-A -t 0.0.0.0:80 -s rr",
            "-A -u 255.255.255.255:65535 -s wlc\n",
            "-a -t 0.0.0.0:80 -r 0.0.0.0:80 -m -w 1",
            "-a -t 0.0.0.0:80 -r 0.0.0.0 -g -w 0",
            "-a -u 255.255.255.255:65535 -r 255.255.255.255 -m -w 2147483647\n",
            "-a -u 10.0.0.1:1 -r 10.0.0.2:65535 -g -w 0000000001",
        ] {
            let expected = RestoreLines::new().parse_general(b"ipvsadm", line.as_bytes(), &names);
            let got = RestoreLines::new().fast_path(line.as_bytes());
            assert!(matches!(expected, Some(Ok(_))), "{line:?}: {expected:?}");
            assert_eq!(got, expected, "{line:?}");
        }
        let mut rng = super::super::rng::XorShift::new(0x6a09_e667_f3bc_c908);
        let mut next = |n: usize| rng.below(n);
        let octet = |r: usize| match r % 12 {
            0 => "0".to_string(),
            1 => "255".to_string(),
            2 => "256".to_string(),
            3 => "007".to_string(),
            _ => (r % 254 + 1).to_string(),
        };
        let port = |r: usize| match r % 10 {
            0 => String::new(),
            1 => ":0".to_string(),
            2 => ":65535".to_string(),
            3 => ":65536".to_string(),
            4 => ":00080".to_string(),
            5 => ":".to_string(),
            _ => format!(":{}", r % 65_535 + 1),
        };
        let weights = [
            "0",
            "1",
            "00",
            "010",
            "999999999",
            "2147483647",
            "1000000000",
            "7",
        ];
        let schedulers = [
            "wlc",
            "rr",
            "sh",
            "a-scheduler-name-longer-than-fifteen",
            "ipvsadm",
            "w!c",
            "é",
        ];
        let mut general = RestoreLines::new();
        let mut fast = RestoreLines::new();
        let (mut answered, mut valid) = (0, 0);
        let mut vip = String::from("198.18.0.1:80");
        for round in 0..30_000 {
            if round % 5 == 0 {
                vip = format!(
                    "{}.{}.{}.{}{}",
                    octet(next(1_000)),
                    octet(next(1_000)),
                    octet(next(1_000)),
                    octet(next(1_000)),
                    port(next(1_000))
                );
            }
            let proto = ["-t", "-u"][next(2)];
            let mut line = if round % 5 == 0 {
                format!("-A {proto} {vip} -s {}", schedulers[next(schedulers.len())])
            } else {
                format!(
                    "-a {proto} {vip} -r {}.{}.{}.{}{} {} -w {}",
                    octet(next(1_000)),
                    octet(next(1_000)),
                    octet(next(1_000)),
                    octet(next(1_000)),
                    port(next(1_000)),
                    ["-m", "-g"][next(2)],
                    weights[next(weights.len())]
                )
            };
            if next(2) == 0 {
                line.push('\n');
            }
            let expected = general.parse_general(b"ipvsadm", line.as_bytes(), &names);
            let got = fast.fast_path(line.as_bytes());
            if let Some(got) = got {
                answered += 1;
                assert_eq!(Some(got), expected, "{line:?}");
            } else {
                // Left to the general way: only what it refuses, or what a save never
                // writes: a scheduler the fast path does not take as a plain word, an octet
                // or a port with leading zeros (which the general way may accept).
                let plain = ["ipvsadm", "!", "é", ".007", " 007", ":000"]
                    .iter()
                    .all(|odd| !line.contains(odd));
                assert!(
                    !(plain && matches!(expected, Some(Ok(_)))),
                    "a valid save line left to the general way: {line:?}"
                );
            }
            valid += usize::from(matches!(expected, Some(Ok(_))));
        }
        assert!(
            answered > 4_000 && valid > 8_000,
            "{answered} answered, {valid} valid"
        );
    }

    /// Restore's fast path against the general parser: on generated lines around the two
    /// shapes it handles (edge values, other shapes, values popt treats specially), every
    /// line it answers must get the very same action from the general parser.
    #[test]
    fn canonical_fast_path_agrees_with_the_parser() {
        let names = super::super::tests::names();
        let cmds = ["-A", "-a", "-E", "-e", "-d"];
        let svcs = ["-t", "-u", "-f", "--tcp-service", "-r"];
        let eps = [
            "198.18.0.1:80",
            "192.0.2.10:http",
            "vip.example.com:80",
            "192.0.2.1:0",
            "192.0.2.1:65535",
            "192.0.2.1:65536",
            "192.0.2.1",
            "192.0.2.1:",
            "010.0.0.1:80",
            "0x7f.1:80",
            "1.2.3:80",
            "256.1.1.1:80",
            "0.0.0.0:1",
            "255.255.255.255:8080",
            "[2001:db8::1]:80",
            "192.0.2.1:080",
            "192.0.2.1:-1",
            "-192.0.2.1:80",
            "x!#:+",
            "192.0.2.1:80x",
        ];
        let scheds = [
            "rr",
            "wlc",
            "sh",
            "averyveryverylongschedulername",
            "-m",
            "a!#:+",
            "é",
        ];
        let fwds = ["-m", "-g", "-i", "-x", "--masquerading"];
        let weights = [
            "0",
            "1",
            "-1",
            "65535",
            "2147483647",
            "2147483648",
            "0x10",
            "010",
            "+5",
            "w",
        ];
        let mut rng = super::super::rng::XorShift::new(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.below(n);
        // Half of the time one of the first `good` entries (the shapes' own values), else any.
        let mut pick = |list: &[&'static str], good: usize| {
            if next(2) == 0 {
                list[next(good)]
            } else {
                list[next(list.len())]
            }
        };
        let mut vips = VipCache::default();
        let (mut answered, mut lines) = (0, 0);
        for _ in 0..40_000 {
            let mut w: Vec<&str> = vec![pick(&cmds, 2), pick(&svcs, 2), pick(&eps, 6)];
            if pick(&["-s", "-r"], 2) == "-s" {
                w.extend(["-s", pick(&scheds, 4)]);
            } else {
                w.extend(["-r", pick(&eps, 6), pick(&fwds, 2)]);
                w.extend(["-w", pick(&weights, 5)]);
            }
            // Now and then a word more, one fewer, or two swapped.
            match pick(&["", "", "", "", "", "", "", "", "-n", "pop", "swap"], 8) {
                "-n" => w.push("-n"),
                "pop" => {
                    w.pop();
                }
                "swap" => {
                    let n = w.len() as u64;
                    w.swap((lines as u64 % n) as usize, (lines as u64 / 7 % n) as usize);
                }
                _ => {}
            }
            lines += 1;
            let line = w.join(" ");
            if let Some(fast) = canonical_line(line.as_bytes(), &mut vips) {
                answered += 1;
                let mut full: Vec<&[u8]> = vec![b"ipvsadm"];
                full.extend(w.iter().map(|w| w.as_bytes()));
                assert_eq!(
                    super::super::parse_words(&full, &names).map(|p| p.action),
                    Ok(Action::Change(fast.change())),
                    "{w:?}"
                );
            }
        }
        // The fast path must actually be taken for a good share of lines (it takes valid
        // rules with plain IPv4 addresses only), and for the benchmark's and the save
        // format's lines.
        assert!(answered * 40 > lines, "{answered} of {lines}");
        for line in [
            "-A -t 198.18.0.1:80 -s wlc",
            "-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1",
            "-a -u 192.0.2.10:53 -r 198.51.100.2:53 -g -w 0",
        ] {
            assert!(
                canonical_line(line.as_bytes(), &mut vips).is_some(),
                "{line}"
            );
        }
    }
}
