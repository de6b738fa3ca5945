//! The `-R` line tokenizer (spec 9.1): one line of standard input becomes the words of one
//! invocation. The caller prepends the program name and skips lines without words.
//!
//! [`RestoreLines`] does that for a restore loop and parses the line, keeping one argv
//! allocation for all lines: restore reads tens of thousands of them.

use std::borrow::Cow;

use super::popt::Event;
use super::{Action, CliError, parse_canonical, parse_words_into};
use crate::names::Names;

/// The longest token the reference keeps in one piece; longer ones are cut.
const MAX_TOKEN: usize = 4096;

/// Splits one restore line into argv words: delimiters are space, TAB, CR and LF; tokens
/// longer than 4096 bytes are split into pieces of 4096 bytes (at a character boundary, so
/// a piece can be a little shorter when a multi-byte character straddles the cut); every
/// piece equal to `ipvsadm` is dropped. `#` has no special meaning here.
pub fn restore_words(line: &str) -> Vec<&str> {
    let mut words = Vec::with_capacity(16);
    push_restore_words(line, &mut words);
    words
}

/// The blank-separated words of a line, before any cutting or dropping.
struct RawWords<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> RawWords<'a> {
    fn new(line: &'a str) -> RawWords<'a> {
        RawWords { line, at: 0 }
    }
}

impl<'a> Iterator for RawWords<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.line.as_bytes();
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
        // The delimiters are ASCII, so `start..i` lies on character boundaries.
        Some(&self.line[start..i])
    }
}

/// [`restore_words`], appending to `words`.
fn push_restore_words<'a>(line: &'a str, words: &mut Vec<&'a str>) {
    for word in RawWords::new(line) {
        if word.len() <= MAX_TOKEN {
            if word != "ipvsadm" {
                words.push(word);
            }
            continue;
        }
        let mut rest = word;
        while !rest.is_empty() {
            let mut end = rest.len().min(MAX_TOKEN);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let (piece, tail) = rest.split_at(end);
            if piece != "ipvsadm" {
                words.push(piece);
            }
            rest = tail;
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
    argv: Vec<&'static str>,
    /// The tokenizer's event storage between lines (always empty there).
    events: Vec<Event<'static>>,
}

impl RestoreLines {
    /// A parser with no storage yet.
    pub fn new() -> RestoreLines {
        RestoreLines::default()
    }

    /// Parses one line of restore input (its bytes as read, newline included or not) as the
    /// command line `prog` followed by the line's words. Invalid UTF-8 is replaced as by
    /// [`String::from_utf8_lossy`]. Returns `None` for a line to skip: one without words, or
    /// whose first word starts with `#`.
    pub fn parse(
        &mut self,
        prog: &str,
        line: &[u8],
        names: &dyn Names,
    ) -> Option<Result<Action, CliError>> {
        if let Some(action) = canonical_line(line, names) {
            return Some(Ok(action));
        }
        self.parse_general(prog, line, names)
    }

    /// [`RestoreLines::parse`] without the fast path.
    fn parse_general(
        &mut self,
        prog: &str,
        line: &[u8],
        names: &dyn Names,
    ) -> Option<Result<Action, CliError>> {
        // Valid UTF-8 is the rule; checking it is cheaper than the lossy scan.
        let text = match std::str::from_utf8(line) {
            Ok(t) => Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(line),
        };
        let mut argv = recycle(std::mem::take(&mut self.argv));
        argv.push(prog);
        push_restore_words(&text, &mut argv);
        let result = match argv.get(1) {
            None => None,
            Some(first) if first.starts_with('#') => None,
            Some(_) => {
                let mut events = recycle(std::mem::take(&mut self.events));
                let result = parse_words_into(&argv, names, &mut events);
                self.events = recycle(events);
                Some(result)
            }
        };
        self.argv = recycle(argv);
        result
    }
}

/// The fast path of [`RestoreLines::parse`] for a line in one of the shapes of
/// [`parse_canonical`], split without the general tokenizer's vector: valid UTF-8 (invalid
/// bytes would be replaced), at most eight words, none longer than 64 bytes (the tokenizer
/// cuts only beyond 4096) and none of them `ipvsadm` (which the tokenizer drops). Such a
/// line has the same words either way, so the answer is [`parse_canonical`]'s; `None`
/// leaves the line to the general way.
fn canonical_line(line: &[u8], names: &dyn Names) -> Option<Action> {
    const MAX_WORDS: usize = 8;
    const MAX_WORD: usize = 64;
    let text = std::str::from_utf8(line).ok()?;
    let mut words = [""; MAX_WORDS];
    let mut n = 0;
    for word in RawWords::new(text) {
        if n == MAX_WORDS || word.len() > MAX_WORD || word == "ipvsadm" {
            return None;
        }
        words[n] = word;
        n += 1;
    }
    parse_canonical(&words[..n], names)
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

    #[test]
    fn splits_on_blanks() {
        assert_eq!(
            restore_words("  -A\t-t 192.0.2.1:80   -s rr\r\n"),
            vec!["-A", "-t", "192.0.2.1:80", "-s", "rr"]
        );
        assert!(restore_words(" \t\r\n").is_empty());
        assert!(restore_words("").is_empty());
    }

    #[test]
    fn drops_ipvsadm_everywhere() {
        assert_eq!(
            restore_words("ipvsadm -a ipvsadm -t x ipvsadm -r y"),
            vec!["-a", "-t", "x", "-r", "y"]
        );
        assert_eq!(
            restore_words("/sbin/ipvsadm -C"),
            vec!["/sbin/ipvsadm", "-C"]
        );
        assert_eq!(restore_words("IPVSADM"), vec!["IPVSADM"]);
    }

    #[test]
    fn hash_is_ordinary() {
        assert_eq!(restore_words("# comment"), vec!["#", "comment"]);
        assert_eq!(restore_words("-s rr#x"), vec!["-s", "rr#x"]);
    }

    #[test]
    fn restore_lines_parse_as_the_words_would() {
        let names = crate::names::StaticNames::default();
        let mut lines = RestoreLines::new();
        let inputs: [&[u8]; 12] = [
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
        ];
        // Twice, so that the second round reuses the storage of the first.
        for _ in 0..2 {
            for input in inputs {
                let text = String::from_utf8_lossy(input);
                let words = restore_words(&text);
                let expected = if words.is_empty() || words[0].starts_with('#') {
                    None
                } else {
                    let mut argv = vec!["prog"];
                    argv.extend(words);
                    Some(super::super::parse_words(&argv, &names))
                };
                assert_eq!(lines.parse("prog", input, &names), expected, "{text:?}");
            }
        }
        // The storage is kept between lines.
        assert!(lines.argv.capacity() > 0 && lines.events.capacity() > 0);
    }

    #[test]
    fn long_tokens_are_cut() {
        let long = "a".repeat(4096 * 2 + 5);
        let line = format!("-s {long} -n");
        let w = restore_words(&line);
        assert_eq!(w.len(), 5);
        assert_eq!(w[1].len(), 4096);
        assert_eq!(w[2].len(), 4096);
        assert_eq!(w[3], "aaaaa");
        assert_eq!(w[4], "-n");
        let exact = "b".repeat(4096);
        assert_eq!(restore_words(&exact), vec![exact.clone()]);
        // A cut never splits a character: 'a' then 2,048 two-byte characters (4,097 bytes)
        // cut before the character that straddles byte 4,096.
        let straddling = format!("a{}", "é".repeat(2048));
        let w = restore_words(&straddling);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].len(), 4095);
        assert_eq!(w[1], "é");
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
                    general.parse_general("ipvsadm", line.as_bytes(), &names),
                    Some(Ok(fast)),
                    "{line:?}"
                );
            }
        }
        assert!(answered > 5_000, "{answered}");
        for line in [
            "-A -t 198.18.0.1:80 -s wlc\n",
            "-a -t 198.18.0.1:80 -r 203.0.113.1:8080 -m -w 1\n",
        ] {
            assert!(canonical_line(line.as_bytes(), &names).is_some(), "{line}");
        }
    }
}
