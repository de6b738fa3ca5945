//! Where `ipvsadm-restore --apply` and `--test` read their rules: FILE or standard input,
//! and the one message for a source that cannot be read (`PROG: cannot read NAME: REASON`).
//! A read error is never the end of the rules: a directory, an I/O error or a pipe that
//! fails would otherwise read as an empty rule set, and `--apply` would remove everything.

use std::io::BufRead;
use std::path::Path;

use super::super::Streams;
use super::super::errors;

/// The rules' reader and the name messages give it.
pub struct Source<'a> {
    /// The rules.
    pub reader: Box<dyn BufRead + 'a>,
    /// `FILE` as given, or `standard input`.
    pub name: String,
}

/// Opens `file`, or takes `stdin` without one. On failure reports it (see [`unreadable`])
/// and returns `None`.
pub fn open<'a>(
    prog: &str,
    file: Option<&Path>,
    stdin: &'a mut dyn BufRead,
    io: &mut Streams<'_>,
) -> Option<Source<'a>> {
    let Some(path) = file else {
        return Some(Source {
            reader: Box::new(stdin),
            name: "standard input".to_string(),
        });
    };
    let name = path.display().to_string();
    match std::fs::File::open(path) {
        Ok(f) => Some(Source {
            reader: Box::new(std::io::BufReader::with_capacity(64 * 1024, f)),
            name,
        }),
        Err(e) => {
            unreadable(prog, &name, &e, io);
            None
        }
    }
}

/// `PROG: cannot read NAME: REASON`, the reason in the C library's words.
pub fn unreadable(prog: &str, name: &str, e: &std::io::Error, io: &mut Streams<'_>) {
    let reason = match e.raw_os_error() {
        Some(errno) => errors::strerror(errno),
        None => e.to_string(),
    };
    io.error_line(format!("{prog}: cannot read {name}: {reason}"));
}
