//! Robustness checks of the command line, for the fuzz targets (the repository's `fuzz/`
//! folder) and the bounded property tests (its `tests` module): not part of the commands'
//! API. Each check takes the bytes a fuzzer hands it and panics only when a property fails:
//! - [`argv`]: bytes as a command line (words split at NUL bytes, as the kernel hands argv
//!   over; the first word is the program name). Parsing never panics and gives the same
//!   answer every time.
//! - [`restore_lines`]: bytes as restore input, one line at a time through one
//!   [`RestoreLines`]. For every line the fast path answers, the general way gives the same
//!   action or the same error; nothing panics.
//!
//! Both take bytes as they come: the parser reads bytes, not text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::cli::{self, CliError, Parsed, RestoreLines};
use crate::names::StaticNames;

/// The fixed name table the checks parse with (no lookups through the system's NSS, so the
/// answers do not depend on the machine).
pub fn names() -> StaticNames {
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    StaticNames {
        hosts: vec![
            (v4(192, 0, 2, 10), "vip.example.com".into()),
            (v4(198, 51, 100, 2), "rs.example.com".into()),
            (v4(127, 0, 0, 1), "localhost".into()),
            (
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                "v6.example.com".into(),
            ),
        ],
        services: vec![
            (80, "tcp".into(), "http".into()),
            (80, "udp".into(), "http".into()),
            (53, "udp".into(), "domain".into()),
            (5060, "sctp".into(), "sip".into()),
        ],
    }
}

/// Parses the command line in `data` (words split at NUL bytes, as the kernel hands argv
/// over; the first one is the program name) twice, through both entry points, and checks
/// that the answers agree; returns the answer.
pub fn argv(data: &[u8]) -> Result<Parsed, CliError> {
    let names = names();
    let words: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    let first = cli::parse(&words, &names);
    let again = cli::parse_words(&words, &names);
    assert_eq!(
        first, again,
        "the same command line parsed twice: {words:?}"
    );
    first
}

/// What [`restore_lines`] saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct RestoreRun {
    /// Lines read.
    pub lines: usize,
    /// Lines with words (not skipped as empty or comments).
    pub parsed: usize,
    /// Lines the fast path answered.
    pub fast: usize,
    /// Lines the fast path answered with an action (not an error).
    pub fast_actions: usize,
}

/// Parses the restore input in `data` line by line (each line with its newline), through
/// the fast path, the general way and the restore entry point, and checks that they agree.
pub fn restore_lines(data: &[u8]) -> RestoreRun {
    let names = names();
    let mut lines = RestoreLines::new();
    // The fast path alone, with its own memory of earlier lines.
    let mut fast_path = RestoreLines::new();
    let mut run = RestoreRun::default();
    for line in data.split_inclusive(|&b| b == b'\n') {
        run.lines += 1;
        let general = lines.parse_general(b"ipvsadm", line, &names);
        if let Some(fast) = fast_path.fast_path(line) {
            run.fast += 1;
            run.fast_actions += usize::from(fast.is_ok());
            assert_eq!(
                Some(&fast),
                general.as_ref(),
                "fast path and general way disagree on {:?}",
                String::from_utf8_lossy(line)
            );
        }
        let answer = lines.parse(b"ipvsadm", line, &names);
        assert_eq!(answer, general, "{:?}", String::from_utf8_lossy(line));
        run.parsed += usize::from(answer.is_some());
    }
    run
}

#[cfg(test)]
mod tests;
