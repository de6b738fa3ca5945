//! The first stage of the command line: a tokenizer with the semantics of the popt library
//! as ipvsadm uses it. Short option clusters, attached and `=` values, long options with `=`
//! or a separate value, one optional-value option (`-p`), `--` ending option processing, and
//! positional words collected aside. It only splits the command line, with the option names
//! and argument kinds of the catalogue; it does not validate values. Words are bytes, as
//! popt sees them: a letter of a short-option cluster is a byte.

use std::borrow::Cow;

use super::catalogue::{ArgKind, OPTIONS, Opt, OptDef};

/// The row of [`OPTIONS`] for each ASCII short letter, or `NO_ROW`: the tokenizer looks up
/// every short letter of every line.
const SHORT_ROWS: [u8; 128] = {
    let mut rows = [NO_ROW; 128];
    let mut i = 0;
    while i < OPTIONS.len() {
        let shorts = OPTIONS[i].shorts.as_bytes();
        let mut k = 0;
        while k < shorts.len() {
            let c = shorts[k];
            assert!(c.is_ascii() && i < NO_ROW as usize && rows[c as usize] == NO_ROW);
            rows[c as usize] = i as u8;
            k += 1;
        }
        i += 1;
    }
    rows
};

/// No row in [`SHORT_ROWS`].
const NO_ROW: u8 = u8::MAX;

fn by_short(c: u8) -> Option<&'static OptDef> {
    match SHORT_ROWS.get(usize::from(c)) {
        Some(&row) if row != NO_ROW => Some(&OPTIONS[usize::from(row)]),
        _ => None,
    }
}

fn by_long(name: &[u8]) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|s| s.long.as_bytes() == name)
}

/// A popt-level error (printed as `TOKEN: TEXT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoptError {
    /// `unknown option`
    BadOption,
    /// `missing argument`
    NoArg,
    /// `option does not take an argument`
    UnwantedArg,
}

impl PoptError {
    /// popt's text for the error.
    pub fn text(self) -> &'static str {
        match self {
            PoptError::BadOption => "unknown option",
            PoptError::NoArg => "missing argument",
            PoptError::UnwantedArg => "option does not take an argument",
        }
    }
}

/// One thing the tokenizer found. Words are borrowed from the command line; a value is
/// only owned when a `!#:+` expansion rewrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// An option with its value (if it takes one and got one).
    Opt {
        /// Which option.
        opt: Opt,
        /// Its value.
        value: Option<Cow<'a, [u8]>>,
        /// The last command-line word consumed (what popt reports as the bad option).
        token: &'a [u8],
    },
    /// A popt error; option processing stops here.
    Error {
        /// What went wrong.
        error: PoptError,
        /// The last command-line word consumed.
        token: &'a [u8],
    },
}

/// The result of tokenizing a command line: the option events in order (ending at the
/// first error, if any) and the positional words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens<'a> {
    /// Options in command-line order; an [`Event::Error`] can only be last.
    pub events: Vec<Event<'a>>,
    /// Positional words in order.
    pub positionals: Vec<&'a [u8]>,
}

/// Splits `argv` (without the program name) the way popt would. Like popt, it honours
/// `POSIXLY_CORRECT` / `POSIX_ME_HARDER` in the environment (set at all, even empty).
/// The events are stored in `events` (emptied first), so that a caller tokenizing many
/// lines can reuse one allocation.
pub fn tokenize_into<'a>(args: &[&'a [u8]], events: Vec<Event<'a>>) -> Tokens<'a> {
    // Read once per process: restore tokenizes every line.
    static POSIX: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let posix = *POSIX.get_or_init(|| {
        std::env::var_os("POSIXLY_CORRECT").is_some()
            || std::env::var_os("POSIX_ME_HARDER").is_some()
    });
    tokenize_with_into(args, posix, events)
}

/// [`tokenize_into`] with popt's POSIXMEHARDER mode given explicitly, in a new vector.
#[cfg(test)]
pub fn tokenize_with<'a>(args: &[&'a [u8]], posix: bool) -> Tokens<'a> {
    tokenize_with_into(args, posix, Vec::new())
}

/// [`tokenize_into`] with popt's POSIXMEHARDER mode given explicitly: when `posix` is
/// true, every word after the first positional word is positional too.
fn tokenize_with_into<'a>(
    args: &[&'a [u8]],
    posix: bool,
    mut events: Vec<Event<'a>>,
) -> Tokens<'a> {
    events.clear();
    let mut t = Tokens {
        events,
        positionals: Vec::new(),
    };
    let mut next = 0usize;
    let mut rest_positional = false;
    // Words consumed by a `!#:+` expansion (see [`expand_next_arg`]); the scan skips them.
    // Allocated only when a `!#:+` occurs at all.
    let mut deleted = if args.iter().any(|a| has_mark(a)) {
        // Only then can a value hold the mark; `deleted` doubles as that flag below.
        vec![false; args.len()]
    } else {
        Vec::new()
    };
    while next < args.len() {
        if deleted.get(next) == Some(&true) {
            next += 1;
            continue;
        }
        let word = args[next];
        next += 1;
        if rest_positional || !word.starts_with(b"-") || word == b"-" {
            t.positionals.push(word);
            rest_positional |= posix;
            continue;
        }
        if word == b"--" {
            rest_positional = true;
            continue;
        }
        if let Some(long) = word.strip_prefix(b"--") {
            let (name, attached) = match long.iter().position(|&b| b == b'=') {
                Some(i) => (&long[..i], Some(&long[i + 1..])),
                None => (long, None),
            };
            let Some(spec) = by_long(name) else {
                return t.fail(PoptError::BadOption, word);
            };
            let value = match (spec.arg, attached) {
                (ArgKind::None, Some(_)) => return t.fail(PoptError::UnwantedArg, word),
                (ArgKind::None, None) => None,
                (_, Some(v)) => Some(expand_next_arg(v, args, next, &mut deleted)),
                (kind, None) => match take_next(args, &mut next, kind) {
                    Ok(v) => v.map(|v| expand_next_arg(v, args, next, &mut deleted)),
                    Err(()) => return t.fail(PoptError::NoArg, word),
                },
            };
            t.events.push(Event::Opt {
                opt: spec.opt,
                value,
                token: args[next - 1],
            });
            continue;
        }
        // A cluster of short options.
        let cluster = &word[1..];
        let mut pos = 0usize;
        while pos < cluster.len() {
            let c = cluster[pos];
            pos += 1;
            let Some(spec) = by_short(c) else {
                return t.fail(PoptError::BadOption, word);
            };
            let rest = &cluster[pos..];
            let value = match spec.arg {
                ArgKind::None => {
                    if rest.starts_with(b"=") {
                        return t.fail(PoptError::UnwantedArg, word);
                    }
                    None
                }
                _ if !rest.is_empty() => {
                    // The rest of the cluster is the value.
                    pos = cluster.len();
                    let v = rest.strip_prefix(b"=").unwrap_or(rest);
                    Some(expand_next_arg(v, args, next, &mut deleted))
                }
                kind => match take_next(args, &mut next, kind) {
                    Ok(v) => v.map(|v| expand_next_arg(v, args, next, &mut deleted)),
                    Err(()) => return t.fail(PoptError::NoArg, word),
                },
            };
            t.events.push(Event::Opt {
                opt: spec.opt,
                value,
                token: args[next - 1],
            });
        }
    }
    t
}

/// popt's `expandNextArg`: every `!#:+` in an option value is replaced by the next word
/// (from `next` on) that does not start with `-` and was not taken by an earlier expansion;
/// that word is then skipped by the scan (but a value taken from the next word still takes
/// it). Several `!#:+` in one value all get the same word. Without such a word the text
/// stays as it is. (The reference loops forever when words remain but none qualifies, e.g.
/// `-s '!#:+' -n`; we keep the text instead.)
#[inline]
fn expand_next_arg<'a>(
    value: &'a [u8],
    args: &[&'a [u8]],
    next: usize,
    deleted: &mut [bool],
) -> Cow<'a, [u8]> {
    // No word held the mark (`deleted` is empty), or this value does not.
    if deleted.is_empty() || !has_mark(value) {
        return Cow::Borrowed(value);
    }
    expand_marks(value, args, next, deleted)
}

/// popt's argument-expansion mark.
const MARK: &[u8] = b"!#:+";

/// Where `MARK` first stands in `s`.
fn find_mark(s: &[u8]) -> Option<usize> {
    s.windows(MARK.len()).position(|w| w == MARK)
}

/// The expansion of [`expand_next_arg`], for a value that holds the mark.
fn expand_marks<'a>(
    value: &'a [u8],
    args: &[&'a [u8]],
    next: usize,
    deleted: &mut [bool],
) -> Cow<'a, [u8]> {
    let mut found: Option<usize> = None;
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = find_mark(rest) {
        out.extend_from_slice(&rest[..at]);
        if found.is_none() {
            found = (next..args.len()).find(|&i| !deleted[i] && !args[i].starts_with(b"-"));
            if let Some(i) = found {
                deleted[i] = true;
            }
        }
        match found {
            Some(i) => out.extend_from_slice(args[i]),
            None => out.extend_from_slice(MARK),
        }
        rest = &rest[at + MARK.len()..];
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// Whether a word holds popt's `!#:+` (a cheap byte scan first: it rarely has a `!`).
fn has_mark(s: &[u8]) -> bool {
    s.contains(&b'!') && find_mark(s).is_some()
}

/// Takes the value of an option from the next word. `Err` means a required value is missing.
fn take_next<'a>(
    args: &[&'a [u8]],
    next: &mut usize,
    kind: ArgKind,
) -> Result<Option<&'a [u8]>, ()> {
    match args.get(*next) {
        None if kind == ArgKind::Optional => Ok(None),
        None => Err(()),
        Some(w) if kind == ArgKind::Optional && w.starts_with(b"-") => Ok(None),
        Some(w) => {
            *next += 1;
            Ok(Some(*w))
        }
    }
}

impl<'a> Tokens<'a> {
    fn fail(mut self, error: PoptError, token: &'a [u8]) -> Tokens<'a> {
        self.events.push(Event::Error { error, token });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_letter_table_agrees_with_the_catalogue() {
        for c in 0..=u8::MAX {
            let linear = OPTIONS.iter().find(|s| s.shorts.as_bytes().contains(&c));
            assert_eq!(
                by_short(c).map(|s| (s.opt, s.long)),
                linear.map(|s| (s.opt, s.long)),
                "{c:?}"
            );
        }
    }

    /// Words written as text, as the tokenizer takes them.
    fn bytes<'a>(args: &[&'a str]) -> Vec<&'a [u8]> {
        args.iter().map(|a| a.as_bytes()).collect()
    }

    fn toks<'a>(args: &[&'a str]) -> Tokens<'a> {
        tokenize_with(&bytes(args), false)
    }

    fn ev<'a>(opt: Opt, value: Option<&'a str>, token: &'a str) -> Event<'a> {
        Event::Opt {
            opt,
            value: value.map(|v| Cow::Borrowed(v.as_bytes())),
            token: token.as_bytes(),
        }
    }

    /// Positional words as text.
    fn texts<'a>(words: &[&'a [u8]]) -> Vec<&'a str> {
        words
            .iter()
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn clusters() {
        let t = toks(&["-Lnc"]);
        assert_eq!(
            t.events,
            vec![
                ev(Opt::List, None, "-Lnc"),
                ev(Opt::Numeric, None, "-Lnc"),
                ev(Opt::Connection, None, "-Lnc")
            ]
        );
        let t = toks(&["-At1.2.3.4:80"]);
        assert_eq!(
            t.events[1],
            ev(Opt::TcpService, Some("1.2.3.4:80"), "-At1.2.3.4:80")
        );
        let t = toks(&["-At", "1.2.3.4:80"]);
        assert_eq!(
            t.events[1],
            ev(Opt::TcpService, Some("1.2.3.4:80"), "1.2.3.4:80")
        );
        let t = toks(&["-Ats", "x", "rr"]);
        assert_eq!(t.events[1], ev(Opt::TcpService, Some("s"), "-Ats"));
        assert_eq!(texts(&t.positionals), vec!["x", "rr"]);
        // `-list` is -l -i -s t.
        let t = toks(&["-list"]);
        assert_eq!(t.events[2], ev(Opt::Scheduler, Some("t"), "-list"));
    }

    #[test]
    fn attached_and_equals() {
        assert_eq!(
            toks(&["-s=rr"]).events[0],
            ev(Opt::Scheduler, Some("rr"), "-s=rr")
        );
        assert_eq!(
            toks(&["-srr"]).events[0],
            ev(Opt::Scheduler, Some("rr"), "-srr")
        );
        assert_eq!(
            toks(&["--scheduler=rr"]).events[0],
            ev(Opt::Scheduler, Some("rr"), "--scheduler=rr")
        );
        assert_eq!(
            toks(&["--scheduler", "-x"]).events[0],
            ev(Opt::Scheduler, Some("-x"), "-x")
        );
        assert_eq!(
            toks(&["-p=50"]).events[0],
            ev(Opt::Persistent, Some("50"), "-p=50")
        );
    }

    #[test]
    fn optional_value() {
        assert_eq!(
            toks(&["-p", "50"]).events[0],
            ev(Opt::Persistent, Some("50"), "50")
        );
        assert_eq!(toks(&["-p"]).events[0], ev(Opt::Persistent, None, "-p"));
        let t = toks(&["-p", "-1"]);
        assert_eq!(t.events[0], ev(Opt::Persistent, None, "-p"));
        assert_eq!(
            t.events[1],
            Event::Error {
                error: PoptError::BadOption,
                token: b"-1"
            }
        );
        assert_eq!(
            toks(&["--persistent="]).events[0],
            ev(Opt::Persistent, Some(""), "--persistent=")
        );
        assert_eq!(
            toks(&["-p", ""]).events[0],
            ev(Opt::Persistent, Some(""), "")
        );
    }

    #[test]
    fn errors() {
        fn e<'a>(a: &[&'a str]) -> Event<'a> {
            toks(a).events.last().cloned().unwrap()
        }
        assert_eq!(
            e(&["--tcp"]),
            Event::Error {
                error: PoptError::BadOption,
                token: b"--tcp"
            }
        );
        assert_eq!(
            e(&["-L", "-s"]),
            Event::Error {
                error: PoptError::NoArg,
                token: b"-s"
            }
        );
        assert_eq!(
            e(&["-Ls"]),
            Event::Error {
                error: PoptError::NoArg,
                token: b"-Ls"
            }
        );
        assert_eq!(
            e(&["--numeric=foo"]),
            Event::Error {
                error: PoptError::UnwantedArg,
                token: b"--numeric=foo"
            }
        );
        assert_eq!(
            e(&["-n=3"]),
            Event::Error {
                error: PoptError::UnwantedArg,
                token: b"-n=3"
            }
        );
        // Processing stops at the first error.
        let t = toks(&["-L", "-q", "-n"]);
        assert_eq!(t.events.len(), 2);
    }

    #[test]
    fn posix_me_harder() {
        let v = ["-L", "extra", "--foo", "-n"];
        let t = tokenize_with(&bytes(&v), true);
        assert_eq!(t.events, vec![ev(Opt::List, None, "-L")]);
        assert_eq!(texts(&t.positionals), vec!["extra", "--foo", "-n"]);
        let t = tokenize_with(&bytes(&v), false);
        assert_eq!(texts(&t.positionals), vec!["extra"]);
        assert!(matches!(t.events.last(), Some(Event::Error { .. })));
    }

    #[test]
    fn next_arg_expansion() {
        let t = toks(&["-A", "-s", "!#:+", "rr"]);
        assert_eq!(t.events[1], ev(Opt::Scheduler, Some("rr"), "!#:+"));
        assert!(t.positionals.is_empty());
        let t = toks(&["-A", "--scheduler=!#:+x!#:+", "r", "y"]);
        assert_eq!(
            t.events[1],
            ev(Opt::Scheduler, Some("rxr"), "--scheduler=!#:+x!#:+")
        );
        assert_eq!(texts(&t.positionals), vec!["y"]);
        // Option words are passed over; a word after `--` can be taken.
        let t = toks(&["-A", "-s!#:+", "--", "wrr"]);
        assert_eq!(t.events[1], ev(Opt::Scheduler, Some("wrr"), "-s!#:+"));
        assert!(t.positionals.is_empty());
        // The consumed word can still be taken as the next option's value.
        let t = toks(&["-A", "-s", "!#:+", "-p", "30"]);
        assert_eq!(t.events[1], ev(Opt::Scheduler, Some("30"), "!#:+"));
        assert_eq!(t.events[2], ev(Opt::Persistent, Some("30"), "30"));
        // Nothing left: the text stays.
        let t = toks(&["-A", "-s", "!#:+"]);
        assert_eq!(t.events[1], ev(Opt::Scheduler, Some("!#:+"), "!#:+"));
    }

    #[test]
    fn double_dash_and_positionals() {
        let t = toks(&["-C", "--", "-x", "y"]);
        assert_eq!(t.events.len(), 1);
        assert_eq!(texts(&t.positionals), vec!["-x", "y"]);
        let t = toks(&["-", "", "-L"]);
        assert_eq!(texts(&t.positionals), vec!["-", ""]);
        assert_eq!(t.events, vec![ev(Opt::List, None, "-L")]);
        // A required value takes `--` verbatim.
        let t = toks(&["-s", "--"]);
        assert_eq!(t.events, vec![ev(Opt::Scheduler, Some("--"), "--")]);
    }

    #[test]
    fn words_are_bytes() {
        // A byte above ASCII in a cluster is an unknown option; in a value it stays as is.
        let t = tokenize_with(&[&b"-L\xff"[..]], false);
        assert_eq!(
            t.events[1],
            Event::Error {
                error: PoptError::BadOption,
                token: b"-L\xff"
            }
        );
        let t = tokenize_with(&[&b"-A"[..], b"-s\xff", b"--pe=\xfe"], false);
        assert_eq!(
            t.events[1],
            ev(Opt::Scheduler, None, "x").with_value(b"\xff", b"-s\xff")
        );
        assert_eq!(
            t.events[2],
            ev(Opt::Pe, None, "x").with_value(b"\xfe", b"--pe=\xfe")
        );
    }

    impl<'a> Event<'a> {
        /// The same option event with this value and token.
        fn with_value(self, value: &'a [u8], token: &'a [u8]) -> Event<'a> {
            match self {
                Event::Opt { opt, .. } => Event::Opt {
                    opt,
                    value: Some(Cow::Borrowed(value)),
                    token,
                },
                e => e,
            }
        }
    }
}
