//! The bounded property runs of the command line's robustness checks (also the fuzz targets
//! `argv` and `restore_line` in `fuzz/`), and a replay of the fuzz corpora kept in the
//! repository (`fuzz/corpus/argv`, `fuzz/corpus/restore_line`), which hold the inputs that
//! found each bug.
//!
//! The runs are reproducible: a fixed seed unless `PROPTEST_RNG_SEED` gives another, and a
//! fixed number of cases. Longer, coverage-guided runs are the fuzz targets' job
//! (`fuzz/run.sh`).

use std::cell::Cell;
use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use crate::cli::{Action, Parsed, option_spellings};
use crate::fuzzing;

/// A runner for `cases` cases: fixed seed (unless `PROPTEST_RNG_SEED` is set), no
/// regression files (the corpora are the regressions).
fn runner(cases: u32) -> TestRunner {
    let mut config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(0x1905_2026);
    }
    TestRunner::new(config)
}

/// Values the options take, good and bad, and words popt treats specially.
const VALUES: &[&str] = &[
    "192.0.2.10:80",
    "192.0.2.10",
    "198.51.100.2:8080",
    "[2001:db8::1]:80",
    "[2001:db8::1]",
    "2001:db8::1",
    "vip.example.com:http",
    "rs.example.com",
    "0.0.0.0:0",
    "256.1.1.1:80",
    "192.0.2.1:65536",
    "0",
    "1",
    "-1",
    "7",
    "65535",
    "2147483647",
    "4294967295",
    "4294967296",
    "0x10",
    "010",
    "+5",
    "rr",
    "wlc",
    "sh",
    "mh",
    "sh-fallback,sh-port",
    "flag-1,flag-2,flag-3",
    ",",
    "ipip",
    "gue",
    "gre",
    "csum",
    "remcsum",
    "255.255.255.0",
    "128",
    "eth0",
    "master",
    "backup",
    "sip",
    "tcp",
    "900",
    "!#:+",
    "a!#:+",
    "--",
    "-",
    "=",
    "",
    "#",
    "ipvsadm",
];

/// One argv word: an option, a value, an option glued to its value, a cluster of short
/// options, or any bytes but NUL.
fn word() -> impl Strategy<Value = Vec<u8>> {
    let spellings = option_spellings();
    let value = proptest::sample::select(VALUES).prop_map(|v| v.as_bytes().to_vec());
    let option = proptest::sample::select(spellings.clone()).prop_map(String::into_bytes);
    let glued = (
        proptest::sample::select(spellings),
        proptest::sample::select(VALUES),
    )
        .prop_map(|(o, v)| {
            let sep = if o.starts_with("--") { "=" } else { "" };
            format!("{o}{sep}{v}").into_bytes()
        });
    let cluster = "-[AEDCRSaedLlZnc6hvVtufrsmgiwxypMb]{1,4}".prop_map(String::into_bytes);
    let bytes = vec(1u8..=255, 0..12);
    prop_oneof![5 => option, 5 => value, 1 => glued, 1 => cluster, 1 => bytes]
}

/// Command lines after a program name: up to a dozen words of any kind, or a command with a
/// service and a few more words.
fn command_line() -> impl Strategy<Value = Vec<u8>> {
    let prog = proptest::sample::select(vec!["ipvsadm", "/sbin/ipvsadm", "ipvsadm-save", ""]);
    let any_words = vec(word(), 0..12);
    let commands = vec!["-A", "-E", "-D", "-a", "-e", "-d", "-Z", "-L", "-l", "-S"];
    let services = vec!["-t", "-u", "-f", "--sctp-service", "--tcp-service"];
    let shaped = (
        proptest::sample::select(commands),
        proptest::sample::select(services),
        proptest::sample::select(&VALUES[..12]),
        vec(word(), 0..4),
    )
        .prop_map(|(c, s, v, more)| {
            let mut words = vec![c.as_bytes().to_vec(), s.as_bytes().to_vec()];
            words.push(v.as_bytes().to_vec());
            words.extend(more);
            words
        });
    (prog, prop_oneof![1 => any_words, 2 => shaped]).prop_map(|(prog, words)| {
        let mut data = prog.as_bytes().to_vec();
        for w in words {
            data.push(0);
            data.extend(w);
        }
        data
    })
}

/// Generated command lines parse without a panic, the same way twice; enough of them are
/// actions for the check to mean something.
#[test]
fn command_lines_parse_the_same_every_time() {
    let (changes, errors) = (Cell::new(0), Cell::new(0));
    runner(6000)
        .run(&command_line(), |data| {
            match fuzzing::argv(&data) {
                Ok(Parsed {
                    action: Action::Change(_),
                    ..
                }) => changes.set(changes.get() + 1),
                Ok(_) => {}
                Err(_) => errors.set(errors.get() + 1),
            }
            Ok(())
        })
        .unwrap();
    assert!(changes.get() > 100, "{} changes", changes.get());
    assert!(errors.get() > 3000, "{} errors", errors.get());
}

/// Words of restore lines: the two shapes' own words, others, and words the tokenizer drops,
/// cuts or treats specially, and bytes that are not UTF-8 or not printable.
const PIECES: &[&[u8]] = &[
    b"-a",
    b"-A",
    b"-t",
    b"-u",
    b"-f",
    b"-r",
    b"-m",
    b"-g",
    b"-i",
    b"-w",
    b"-s",
    b"-n",
    b"-x",
    b"-p",
    b"--tcp-service",
    b"198.18.0.1:80",
    b"203.0.113.1:8080",
    b"192.0.2.10:http",
    b"vip.example.com:80",
    b"192.0.2.1:0",
    b"192.0.2.1:65536",
    b"[2001:db8::1]:80",
    b"1.2.3:80",
    b"0",
    b"1",
    b"-1",
    b"2147483648",
    b"0x10",
    b"wlc",
    b"rr",
    b"ipvsadm",
    b"#",
    b"#-C",
    b"\xc3\xa9",
    b"\xff",
    b"w!x",
    b"!#:+",
    b"\0",
    b"\x0b",
    b"99999999999999999999999999999999999999999999999999999999999999999999999",
];

/// A restore line: one of the two fast-path shapes with a word changed, added or dropped
/// now and then, joined by assorted blanks (mostly single spaces, as a save writes them:
/// the fast path takes no others), now and then after a leading blank, with or without its
/// newline.
fn restore_line() -> impl Strategy<Value = Vec<u8>> {
    let shape = prop_oneof![
        Just(vec![&b"-A"[..], b"-t", b"198.18.0.1:80", b"-s", b"wlc"]),
        Just(vec![
            &b"-a"[..],
            b"-u",
            b"198.18.0.1:80",
            b"-r",
            b"203.0.113.1:8080",
            b"-g",
            b"-w",
            b"1"
        ]),
    ];
    let piece = proptest::sample::select(PIECES);
    let edit = (0u8..5, any::<usize>(), piece);
    let delim = prop_oneof![
        24 => Just(&b" "[..]),
        1 => Just(&b"\t"[..]),
        1 => Just(&b"  "[..]),
        1 => Just(&b"\r"[..]),
        1 => Just(&b" \t "[..]),
    ];
    let delims = vec(delim, 10);
    (shape, edit, delims, 0u8..8, any::<bool>()).prop_map(
        |(mut words, (op, at, piece), delims, lead, newline)| {
            match op {
                0 => {
                    let i = at % words.len();
                    words[i] = piece;
                }
                1 => words.insert(at % (words.len() + 1), piece),
                2 => {
                    words.remove(at % words.len());
                }
                _ => {}
            }
            let mut line = Vec::new();
            if lead == 0 {
                line.extend_from_slice(delims[9]);
            }
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    line.extend_from_slice(delims[i % 9]);
                }
                line.extend_from_slice(w);
            }
            if newline {
                line.push(b'\n');
            }
            line
        },
    )
}

/// Restore input of a few lines: the fast path and the general way agree on every line,
/// and the fast path answers enough of them for the check to mean something.
#[test]
fn restore_fast_path_agrees_with_the_general_way() {
    let (lines, fast, actions) = (Cell::new(0), Cell::new(0), Cell::new(0));
    runner(4000)
        .run(&vec(restore_line(), 1..5), |input| {
            let run = fuzzing::restore_lines(&input.concat());
            lines.set(lines.get() + run.lines);
            fast.set(fast.get() + run.fast);
            actions.set(actions.get() + run.fast_actions);
            Ok(())
        })
        .unwrap();
    assert!(
        fast.get() * 15 > lines.get(),
        "{} of {}",
        fast.get(),
        lines.get()
    );
    assert!(
        actions.get() * 15 > lines.get(),
        "{} of {}",
        actions.get(),
        lines.get()
    );
}

/// Any bytes as restore input.
#[test]
fn restore_input_of_any_bytes() {
    runner(2000)
        .run(&vec(any::<u8>(), 0..200), |input| {
            fuzzing::restore_lines(&input);
            Ok(())
        })
        .unwrap();
}

/// Every file of a corpus kept in the repository.
fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: empty", dir.display());
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn the_argv_corpus_replays() {
    for data in corpus("argv") {
        let _ = fuzzing::argv(&data);
    }
}

#[test]
fn the_restore_line_corpus_replays() {
    for data in corpus("restore_line") {
        fuzzing::restore_lines(&data);
    }
}
