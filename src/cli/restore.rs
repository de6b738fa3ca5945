//! Restore lines (`-R`): one line of standard input becomes the words of one invocation,
//! split on blanks as the reference splits them, and is parsed like a command line.
//!
//! [`RestoreLines`] does that for a restore loop, keeping one argv allocation for all
//! lines: restore reads tens of thousands of them. Lines in the two shapes `ipvsadm -S -n`
//! writes for most rules take a fast path ([`canonical_line`]) that reads the words straight
//! from the line's bytes and hands them to the general parser's option handling and last
//! stage; everything else goes the general way. This module depends on the general parser,
//! never the other way round.

use linux_ipvs::Timeouts;

use super::catalogue::{Command, Opt};
use super::collect::{Collected, Later};
use super::tokenize::Event;
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
        match canonical_line(line, names) {
            Some(canonical) => Some(canonical.finish()),
            None => self.parse_general(prog, line, names),
        }
    }

    /// The fast path alone: `None` for a line it leaves to the general way. For the
    /// robustness checks, which compare it with [`RestoreLines::parse_general`].
    #[doc(hidden)]
    pub fn fast_path(line: &[u8], names: &dyn Names) -> Option<Result<Action, CliError>> {
        canonical_line(line, names).map(|c| c.finish())
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

/// Restore's fast path, for the two line shapes `ipvsadm -S -n` writes for most rules:
/// `-A -t|-u ADDR:PORT -s SCHED` and `-a -t|-u ADDR:PORT -r ADDR:PORT -m|-g -w WEIGHT`
/// (the words of a line, without the program name). It skips popt's tokenizer and hands the
/// options straight to the same per-option handling as the general parser, as it reads
/// them; [`Canonical::finish`] then runs the same last stage. Anything else gives `None`
/// and is left to the general parser, which also words the errors of the earlier stages:
/// another shape, a value popt could treat specially (one starting with `-`, or holding the
/// `!#:+` of its argument expansion), or a value that does not parse.
fn parse_canonical<'v>(words: &mut LineWords<'v>, names: &dyn Names) -> Option<Canonical<'v>> {
    let add_service = match words.word()? {
        b"-A" => true,
        b"-a" => false,
        _ => return None,
    };
    let service = match words.word()? {
        b"-t" => Opt::TcpService,
        b"-u" => Opt::UdpService,
        _ => return None,
    };
    // The service comes first, so no value needs to look at later options.
    let later = &Later { events: &[] };
    // Each branch names its command, so that the inlined shared code is specialised to it.
    let canonical = if add_service {
        let mut c = Collected::new(Command::AddService);
        take_option(words, None, &mut c, service, later, names)?;
        take_option(words, Some(b"-s"), &mut c, Opt::Scheduler, later, names)?;
        Canonical::AddService(c)
    } else {
        let mut c = Collected::new(Command::AddServer);
        take_option(words, None, &mut c, service, later, names)?;
        take_option(words, Some(b"-r"), &mut c, Opt::RealServer, later, names)?;
        let forward = match words.word()? {
            b"-m" => Opt::Masquerading,
            b"-g" => Opt::Gatewaying,
            _ => return None,
        };
        c.option(forward, None, b"", later, names).ok()?;
        take_option(words, Some(b"-w"), &mut c, Opt::Weight, later, names)?;
        Canonical::AddServer(c)
    };
    words.end().then_some(canonical)
}

/// For [`parse_canonical`]: the word `flag` (when given; without one, the option's own word
/// has been read already), then a value, handed to the shared option handling as `opt`'s.
/// `None` when the line has something else there, or the value is refused.
#[inline(always)]
fn take_option<'v>(
    words: &mut LineWords<'v>,
    flag: Option<&[u8]>,
    c: &mut Collected<'v>,
    opt: Opt,
    later: &Later<'_>,
    names: &dyn Names,
) -> Option<()> {
    if let Some(flag) = flag {
        (words.word()? == flag).then_some(())?;
    }
    let value = Some(words.value()?);
    c.option(opt, value, b"", later, names).ok()
}

/// A line in one of the shapes of [`parse_canonical`], its options taken.
enum Canonical<'v> {
    /// `-A -t|-u ADDR:PORT -s SCHED`.
    AddService(Collected<'v>),
    /// `-a -t|-u ADDR:PORT -r ADDR:PORT -m|-g -w WEIGHT`.
    AddServer(Collected<'v>),
}

impl Canonical<'_> {
    /// The last stage, as the general parser runs it after the same options (there are no
    /// positional words): its answer, error or not.
    #[inline(always)]
    fn finish(&self) -> Result<Action, CliError> {
        match self {
            Canonical::AddService(c) => c.finish(Command::AddService, Timeouts::default()),
            Canonical::AddServer(c) => c.finish(Command::AddServer, Timeouts::default()),
        }
    }
}

/// The fast path of [`RestoreLines::parse`]: a line in one of the shapes of
/// [`parse_canonical`], read word by word with [`LineWords`]. Such a line has the same words
/// for the general tokenizer, so [`Canonical::finish`] gives the general way's answer;
/// `None` leaves the line to the general way.
fn canonical_line<'v>(line: &'v [u8], names: &dyn Names) -> Option<Canonical<'v>> {
    parse_canonical(&mut LineWords::new(line)?, names)
}

/// The words of a short line for the fast path. The line's bytes are read once, eight at a
/// time, into a mask of its delimiters (see [`delimiter_mask`]); the words are then found in
/// the mask without reading the line again. A line the fast path leaves has no `LineWords`:
/// one longer than 63 bytes or shorter than 8 (a final newline not counted), or with a byte
/// below `"` other than the four delimiters, such as the `!` of popt's argument expansion or
/// a NUL. The words are then the general tokenizer's: none is long enough to be cut or holds
/// a NUL, and the caller refuses the word `ipvsadm` (which the tokenizer drops) where it
/// takes any word ([`LineWords::value`]).
struct LineWords<'a> {
    line: &'a [u8],
    /// Bit `i` is set when byte `i` is a delimiter or lies beyond the end of the line.
    delimiters: u64,
    /// Where the next word is looked for.
    at: u32,
}

impl<'a> LineWords<'a> {
    /// The words of `line`, or `None` for a line the fast path leaves.
    fn new(line: &'a [u8]) -> Option<LineWords<'a>> {
        Some(LineWords {
            line,
            delimiters: delimiter_mask(line)?,
            at: 0,
        })
    }

    /// The next word as bytes (for comparing with option names), `None` at the end.
    #[inline]
    fn word(&mut self) -> Option<&'a [u8]> {
        let (start, end) = self.next_span()?;
        self.line.get(start..end)
    }

    /// The next word as a value popt takes as it is (one that does not start with `-`),
    /// and that the general tokenizer keeps (not `ipvsadm`); else `None`.
    #[inline]
    fn value(&mut self) -> Option<&'a [u8]> {
        let (start, end) = self.next_span()?;
        let word = self.line.get(start..end)?;
        (!word.starts_with(b"-") && word != b"ipvsadm").then_some(word)
    }

    /// Whether no word is left.
    fn end(&self) -> bool {
        !self.delimiters >> self.at == 0
    }

    /// The byte range of the next word.
    #[inline]
    fn next_span(&mut self) -> Option<(usize, usize)> {
        let rest = !self.delimiters >> self.at;
        if rest == 0 {
            return None;
        }
        let start = self.at + rest.trailing_zeros();
        // Bit 63 is beyond the line, so the word ends within the mask.
        let len = (self.delimiters >> start).trailing_zeros();
        self.at = start + len;
        Some((start as usize, (start + len) as usize))
    }
}

/// The delimiter mask of [`LineWords`] for a line of 8 to 63 bytes (not counting a final
/// newline), or `None`. Each group of eight bytes gives the bytes below `"` (delimiters, `!`
/// and other control bytes) and the spaces by arithmetic on a `u64`; only when there is a
/// byte below `"` other than a space (a TAB, say) is the line looked at byte by byte.
fn delimiter_mask(line: &[u8]) -> Option<u64> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    // The newline that ends most lines is a delimiter like the end of the line.
    let bytes = line.strip_suffix(b"\n").unwrap_or(line);
    let len = bytes.len();
    if !(8..64).contains(&len) {
        return None;
    }
    let (mut low, mut others) = (0u64, 0u64);
    let mut i = 0;
    while i < len {
        // The last group overlaps the one before instead of reading past the end.
        let at = i.min(len - 8);
        let x = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        // A byte below 0x22 (as ASCII: `| HIGH` keeps the subtraction within each byte).
        let below = !(x | HIGH).wrapping_sub(ONES * 0x22) & !x & HIGH;
        // A space: its byte of `y` is zero.
        let y = x ^ (ONES * 0x20);
        let space = !(((y & LOW7) + LOW7) | y) & HIGH;
        low |= byte_bits(below) << at;
        others |= below & !space;
        i = at + 8;
    }
    if others != 0 && !bytes.iter().all(|&b| b >= b'"' || is_delimiter(b)) {
        return None;
    }
    Some(low | (!0 << len))
}

/// Gathers the top bit of each byte of `m` (all other bits clear) into the low eight bits,
/// byte `k` to bit `k`.
fn byte_bits(m: u64) -> u64 {
    (m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
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

    /// The delimiter mask against a byte-by-byte reading, on generated lines of every length
    /// around the limits, with every kind of byte below `"`, and bytes above ASCII.
    #[test]
    fn delimiter_mask_agrees_with_the_bytes() {
        let plain: [&[u8]; 10] = [
            b" ",
            b" ",
            b"\t",
            b"\r",
            b"\n",
            b"\"",
            b"a",
            b"1",
            b"-",
            "é".as_bytes(),
        ];
        let odd: [&[u8]; 4] = [b"!", b"\x0b", b"\0", b"\x1f"];
        let mut rng = super::super::rng::XorShift::new(0x2545_f491_4f6c_dd1d);
        let mut masks = 0;
        for round in 0..50_000 {
            let mut line = Vec::new();
            let len = round % 70;
            while line.len() < len {
                if rng.below(100) == 0 {
                    line.extend_from_slice(odd[rng.below(odd.len())]);
                } else {
                    line.extend_from_slice(plain[rng.below(plain.len())]);
                }
            }
            let bytes = line.strip_suffix(b"\n").unwrap_or(&line);
            let expected = if !(8..64).contains(&bytes.len())
                || bytes.iter().any(|&b| b < b'"' && !is_delimiter(b))
            {
                None
            } else {
                Some((0..64).fold(0u64, |m, i| match bytes.get(i) {
                    Some(&b) if !is_delimiter(b) => m,
                    _ => m | 1 << i,
                }))
            };
            assert_eq!(delimiter_mask(&line), expected, "{line:?}");
            masks += usize::from(expected.is_some());
        }
        assert!(masks > 1_000, "{masks}");
        // Lines without a space, whose odd bytes only the arithmetic finds; a CR and the
        // final newline.
        assert_eq!(delimiter_mask(b"-A\t-t\t1.2.3.4:80\t-s\tw!c"), None);
        assert_eq!(delimiter_mask(b"-C\x0b-n-n-n-n"), None);
        assert_eq!(delimiter_mask(b"-C\t-n-n-n-n\r\n"), Some(!0 << 11 | 1 << 2));
    }

    /// The byte-level fast path against the general way, on generated lines: other
    /// delimiters and runs of them, words the tokenizer drops or cuts, bytes that are not
    /// printable ASCII, `!`, comments. Whatever the fast path answers, the general way
    /// answers the same; and it does answer the benchmark's lines.
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
        ];
        let delims = [" ", " ", " ", "\t", "  ", "\r", "\n", " \t "];
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
            if next(3) == 0 {
                line.push_str(delims[next(delims.len())]);
            }
            for w in &words {
                line.push_str(w);
                line.push_str(delims[next(delims.len())]);
            }
            if let Some(fast) = canonical_line(line.as_bytes(), &names) {
                answered += 1;
                assert_eq!(
                    general.parse_general(b"ipvsadm", line.as_bytes(), &names),
                    Some(fast.finish()),
                    "{line:?}"
                );
            }
        }
        assert!(answered > 5_000, "{answered}");
        for line in [
            "-A -t 198.18.0.1:80 -s wlc\n",
            "-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1\n",
        ] {
            let fast = canonical_line(line.as_bytes(), &names).map(|c| c.finish());
            assert!(matches!(fast, Some(Ok(_))), "{line}");
        }
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
            if let Some(fast) = canonical_line(line.as_bytes(), &names) {
                answered += 1;
                let mut full: Vec<&[u8]> = vec![b"ipvsadm"];
                full.extend(w.iter().map(|w| w.as_bytes()));
                assert_eq!(
                    super::super::parse_words(&full, &names).map(|p| p.action),
                    fast.finish(),
                    "{w:?}"
                );
            }
        }
        // The fast path must actually be taken for a good share of lines, and for the
        // benchmark's and the save format's lines.
        assert!(answered * 20 > lines, "{answered} of {lines}");
        for line in [
            "-A -t 198.18.0.1:80 -s wlc",
            "-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1",
            "-a -u 192.0.2.10:53 -r 198.51.100.2:53 -g -w 0",
        ] {
            assert!(
                matches!(
                    canonical_line(line.as_bytes(), &names).map(|c| c.finish()),
                    Some(Ok(_))
                ),
                "{line}"
            );
        }
    }
}
