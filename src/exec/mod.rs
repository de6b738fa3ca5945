//! Runs an ipvsadm command line: parse it, open the kernel connection only when the command
//! needs one, carry out the action, and turn every outcome into the reference's text and exit
//! status. Output goes to the writers it is given; nothing here exits the process.
//!
//! `ipvsadm-restore --apply` converges the table on a rules file without a flush
//! ([`apply`]).
//!
//! Restore (`-R`) reads its lines, parses each, and sends consecutive changes to the kernel in
//! batches, mapping each ACK back to its line so messages and statuses are those of
//! one-request-per-line, in the same order.

pub mod apply;
pub mod errors;
pub mod metrics;

use std::io::{BufRead, Write};

use std::ops::ControlFlow;

use linux_ipvs::{Change, ChangeKind, Client, Dest, Info, Service, ServiceIndex};

use crate::cli::{self, Action, ErrorKind, ListRequest, ListWhat};
use crate::names::SystemNames;
use crate::output::{self, Json, ListFormat, ListMode};
use crate::status;
use apply::scope::Scope;
use errors::Context;

/// Where `-L -c` reads the connection table.
pub const PROC_CONN: &str = "/proc/net/ip_vs_conn";

/// How many times `-S` reads the service table before it gives up on a table that keeps
/// changing (D12).
pub const SAVE_READS: usize = 10;

/// How much output a listing gathers before it writes it out.
const OUTPUT_CHUNK: usize = 32 * 1024;

/// What an action asks of the caller afterwards.
enum Flow {
    /// Carry on (in restore: with the next line); the status of this step.
    Next(i32),
    /// Stop now with this status (restore stops too).
    Stop(i32),
}

/// The process's output streams, and the first write to them that failed.
pub struct Streams<'a> {
    /// Standard output.
    out: &'a mut dyn Write,
    /// Standard error.
    err: &'a mut dyn Write,
    /// The first failed write (standard output's or standard error's).
    failure: Option<std::io::Error>,
}

impl<'a> Streams<'a> {
    /// Streams over two writers.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Streams<'a> {
        Streams {
            out,
            err,
            failure: None,
        }
    }

    fn record(&mut self, written: std::io::Result<()>) {
        if let Err(e) = written {
            self.failure.get_or_insert(e);
        }
    }

    /// Writes to standard output; a failure is remembered for [`Streams::finish`].
    fn out_bytes(&mut self, bytes: &[u8]) {
        let written = self.out.write_all(bytes);
        self.record(written);
    }

    /// Writes to standard error; a failure is remembered for [`Streams::finish`].
    fn err_bytes(&mut self, bytes: &[u8]) {
        let written = self.err.write_all(bytes);
        self.record(written);
    }

    /// Writes a message and a newline to standard error.
    pub fn error_line(&mut self, msg: impl AsRef<[u8]>) {
        self.err_bytes(&[msg.as_ref(), b"\n"].concat());
    }

    /// `ipvsadm-save`'s usage note (our own words), for an option it does not know.
    pub fn usage_note(&mut self, prog: &[u8]) {
        self.error_line(
            [
                &b"usage: "[..],
                prog,
                b" [-n] [--json [--pretty]] [--netns NAME] [--scope TERM]...",
            ]
            .concat(),
        );
        self.error_line(
            "  Writes the IPVS table to standard output, in the form ipvsadm-restore reads;",
        );
        self.error_line("  -n writes addresses and ports as numbers, --json as JSON,");
        self.error_line(
            "  --netns NAME the table of that network namespace, --scope TERM only the",
        );
        self.error_line("  services of that ipvsadm-restore --apply --scope term.");
    }

    /// Flushes standard output and gives the exit status of a command that would end with
    /// `status`: when a write failed, here or before, the failure is reported on standard
    /// error as `PROG: write error: REASON` and the status is 1 unless it is already an
    /// error (deviation D10 in the README: the reference ignores write errors).
    pub fn finish(&mut self, prog: &[u8], status: i32) -> i32 {
        let flushed = self.out.flush();
        self.record(flushed);
        let Some(e) = self.failure.take() else {
            return status;
        };
        let reason = match e.raw_os_error() {
            Some(errno) => errors::strerror(errno),
            None => e.to_string(),
        };
        let _ = self
            .err
            .write_all(&[prog, b": write error: ", reason.as_bytes(), b"\n"].concat());
        let _ = self.err.flush();
        if status == status::OK {
            status::WRITE_FAILED
        } else {
            status
        }
    }
}

/// Runs a command's work with the process's own standard streams (standard output
/// buffered) and returns its exit status, after the final flush and the report of any
/// write error ([`Streams::finish`]). `prog` is the program name for that report.
pub fn with_std_streams(
    prog: &[u8],
    work: impl FnOnce(&mut dyn BufRead, &mut Streams<'_>) -> i32,
) -> i32 {
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let mut io = Streams::new(&mut out, &mut err);
    let status = work(&mut stdin, &mut io);
    io.finish(prog, status)
}

/// The bytes of a process argument, as the C tool sees them.
pub fn arg_bytes(arg: &std::ffi::OsStr) -> &[u8] {
    std::os::unix::ffi::OsStrExt::as_bytes(arg)
}

/// Runs one invocation with the process's own standard streams and returns its exit
/// status: the whole of a command's `main`. The arguments are taken as bytes.
pub fn run_std(argv: &[std::ffi::OsString]) -> i32 {
    let words: Vec<&[u8]> = argv.iter().map(|a| arg_bytes(a)).collect();
    let prog = words.first().copied().unwrap_or(b"ipvsadm");
    with_std_streams(prog, |stdin, io| run(&words, stdin, io))
}

/// Runs one invocation and returns its exit status.
pub fn run(argv: &[&[u8]], stdin: &mut dyn BufRead, io: &mut Streams<'_>) -> i32 {
    run_saving(argv, Scope::default(), stdin, io)
}

/// [`run`], where a save (`-S`) writes only the services of `scope`: `ipvsadm-save
/// --scope`, for a director whose table holds other tools' services too (keepalived's,
/// kube-proxy's), so that the file it writes is one `ipvsadm-restore --apply --scope`
/// takes.
pub fn run_saving(
    argv: &[&[u8]],
    scope: Scope,
    stdin: &mut dyn BufRead,
    io: &mut Streams<'_>,
) -> i32 {
    let mut session = Session::new(argv.first().copied().unwrap_or(b"ipvsadm"));
    session.save_scope = scope;
    // No arguments at all is a plain listing: the parser answers that itself.
    let parsed = match cli::parse(argv, &session.names) {
        Ok(p) => p,
        Err(e) => {
            io.err_bytes(&e.message);
            return e.status();
        }
    };
    let action = parsed.action;
    if let Some(netns) = &parsed.netns
        && !matches!(action, Action::Help(_) | Action::Version(_))
        && let Err(s) = join_netns(netns, io)
    {
        return s;
    }
    match action {
        Action::Restore => session.restore(stdin, io),
        other => match session.execute(other, io) {
            Flow::Next(s) | Flow::Stop(s) => s,
        },
    }
}

/// `ipvsadm-restore`: clears the table (unless `noflush`) and restores standard input, as
/// `ipvsadm -R` does. `prog` names the program in messages.
pub fn restore(prog: &[u8], stdin: &mut dyn BufRead, io: &mut Streams<'_>, noflush: bool) -> i32 {
    Session::new(prog).restore_from(stdin, io, !noflush)
}

/// `ipvsadm-restore --numbered` (the boot path): clears the table (unless `noflush`), then
/// restores line by line, each change on its own, and reports every line that fails, in
/// the parser's or the kernel's words, as `line N: message`; unlike `-R` it never stops
/// early (it loads what loads). Returns 0 when every line went in, else 2.
pub fn restore_numbered(
    prog: &[u8],
    stdin: &mut dyn BufRead,
    io: &mut Streams<'_>,
    noflush: bool,
) -> i32 {
    let mut session = Session::new(prog);
    if let Err(s) = session.client(io) {
        return s;
    }
    let mut bad = 0usize;
    if !noflush && session.change_alone(&Change::Flush).is_err() {
        io.error_line("the table could not be cleared");
        return status::INVALID;
    }
    let mut line = Vec::new();
    let mut lines = cli::RestoreLines::new();
    let mut number = 0usize;
    let mut input = Input::new(stdin);
    while input.line(&mut line, &mut || {}) {
        number += 1;
        let problem = match lines.parse(prog, &line, &session.names) {
            None => continue,
            Some(Err(e)) => Some(e.message.trim_ascii_end().to_vec()),
            Some(Ok(Action::Restore)) => Some(cli::try_line(prog)),
            Some(Ok(Action::Change(c))) => session
                .change_alone(&c)
                .err()
                .map(|e| errors::for_error(Context::Change(c.kind()), &e).into_bytes()),
            Some(Ok(other)) => {
                let mut quiet_out = Vec::new();
                let mut said = Vec::new();
                let flow = session.execute(other, &mut Streams::new(&mut quiet_out, &mut said));
                io.out_bytes(&quiet_out);
                match flow {
                    Flow::Next(0) | Flow::Stop(0) => None,
                    _ => Some(said.trim_ascii_end().to_vec()),
                }
            }
        };
        if let Some(p) = problem {
            bad += 1;
            line_problem(io, number, &p);
        }
    }
    if let Some(e) = input.take_error() {
        io.error_line(format!("cannot read the input: {e}"));
        bad += 1;
    }
    if bad == 0 {
        status::OK
    } else {
        io.error_line(format!("{bad} line(s) failed"));
        status::INVALID
    }
}

/// `ipvsadm-restore --json`: reads a table as `-S --json` writes it from standard input,
/// clears the table (unless `noflush`), then adds its services and real servers. The whole
/// document is read and checked before the first change; a document that does not parse
/// changes nothing (status 2). Kernel errors are reported per change, as a restore does, and
/// the status is that of the first failure.
pub fn restore_json(
    prog: &[u8],
    stdin: &mut dyn BufRead,
    io: &mut Streams<'_>,
    noflush: bool,
) -> i32 {
    let mut text = Vec::new();
    if let Err(e) = stdin.read_to_end(&mut text) {
        io.error_line(format!("cannot read the input: {e}"));
        return status::INVALID;
    }
    let table = match output::json::read_table(&text) {
        Ok(t) => t,
        Err(e) => {
            io.error_line(format!("invalid JSON input: {e}"));
            return status::INVALID;
        }
    };
    let mut changes = Vec::new();
    if !noflush {
        changes.push(Change::Flush);
    }
    for (svc, dests) in table {
        // A real server's request names its service by the key alone, as `-a` does.
        let key = svc.key;
        changes.push(Change::AddService(svc));
        changes.extend(dests.into_iter().map(|d| Change::AddDest(key, d)));
    }
    let mut session = Session::new(prog);
    if let Err(s) = session.client(io) {
        return s;
    }
    let mut ops = Vec::new();
    let mut status = status::OK;
    for change in &changes {
        let queued = session.queue(change, &mut ops, io);
        first_failure(&mut status, queued);
    }
    let sent = session.send_queued(&mut ops, io);
    first_failure(&mut status, sent);
    status
}

/// `ipvsadm-restore --test`: parses every line as restore would, touches nothing, and
/// writes one `line N: message` for each line that would fail before reaching the kernel.
/// Returns 0 when every line is valid, else 2; or the error that stopped the reading of
/// the input (the caller reports it: a check of half a file means nothing).
pub fn check_restore(
    prog: &[u8],
    stdin: &mut dyn BufRead,
    io: &mut Streams<'_>,
) -> Result<i32, std::io::Error> {
    let names = SystemNames;
    let mut bad = 0usize;
    let mut line = Vec::new();
    let mut lines = cli::RestoreLines::new();
    let mut number = 0usize;
    let mut input = Input::new(stdin);
    // Nothing is queued, so nothing needs sending before a read.
    while input.line(&mut line, &mut || {}) {
        number += 1;
        let problem = match lines.parse(prog, &line, &names) {
            None => continue,
            Some(Ok(Action::Restore)) => Some(cli::try_line(prog)),
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(e.message.trim_ascii_end().to_vec()),
        };
        if let Some(p) = problem {
            bad += 1;
            line_problem(io, number, &p);
        }
    }
    if let Some(e) = input.take_error() {
        return Err(e);
    }
    Ok(if bad == 0 {
        status::OK
    } else {
        status::INVALID
    })
}

/// Writes what is wrong with input line `number`: `line N: ...`, the message's further
/// lines indented under the first.
fn line_problem(io: &mut Streams<'_>, number: usize, problem: &[u8]) {
    for (i, l) in problem.split(|&b| b == b'\n').enumerate() {
        let head = if i == 0 {
            format!("line {number}: ")
        } else {
            format!("line {number}:   ")
        };
        io.error_line([head.as_bytes(), l].concat());
    }
}

struct Session {
    client: Option<Client>,
    /// What `GET_INFO` said when the connection was opened.
    info: Option<Info>,
    names: SystemNames,
    prog: Vec<u8>,
    /// The services a save writes (`ipvsadm-save --scope`; `-S` writes them all).
    save_scope: Scope,
}

impl Session {
    fn new(prog: &[u8]) -> Session {
        Session {
            client: None,
            info: None,
            names: SystemNames,
            prog: prog.to_vec(),
            save_scope: Scope::default(),
        }
    }

    /// The kernel connection, opened on first use. On failure, prints the reference's
    /// two-line message and returns the exit status.
    fn client(&mut self, io: &mut Streams<'_>) -> Result<&mut Client, i32> {
        if self.client.is_none() {
            match open_client() {
                Ok((c, info)) => {
                    self.client = Some(c);
                    self.info = Some(info);
                }
                Err(e) => {
                    io.error_line(format!(
                        "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?",
                        errors::for_error(Context::Other, &e)
                    ));
                    return Err(status::INVALID);
                }
            }
        }
        Ok(self.client.as_mut().expect("client was just opened"))
    }

    fn execute(&mut self, action: Action, io: &mut Streams<'_>) -> Flow {
        let change = match action {
            Action::Change(c) => c,
            Action::Help(text) => {
                io.out_bytes(&text);
                return Flow::Stop(status::OK);
            }
            Action::Version(text) => {
                io.out_bytes(text.as_bytes());
                return Flow::Stop(status::OK);
            }
            Action::List(req) => return self.list(&req, io),
            Action::Save { numeric, json } => return self.save(numeric, json, io),
            Action::Metrics { openmetrics, rates } => {
                return self.metrics(openmetrics.into(), rates, io);
            }
            Action::Restore => {
                // Only a nested -R gets here (inside a restore): a usage error there.
                io.error_line(cli::try_line(&self.prog));
                return Flow::Stop(status::FAILED);
            }
        };
        let client = match self.client(io) {
            Ok(c) => c,
            Err(status) => return Flow::Stop(status),
        };
        match client.apply(&change) {
            Ok(()) => Flow::Next(status::OK),
            Err(e) => {
                io.error_line(errors::for_error(Context::Change(change.kind()), &e));
                Flow::Next(status::FAILED)
            }
        }
    }

    fn list(&mut self, req: &ListRequest, io: &mut Streams<'_>) -> Flow {
        let mut buf = Vec::with_capacity(4096);
        if let ListWhat::Connections = req.what {
            // The kernel is still opened first, as the reference does at start-up.
            if let Err(s) = self.client(io) {
                return Flow::Stop(s);
            }
            let text = match std::fs::read(PROC_CONN) {
                Ok(t) => t,
                Err(_) => {
                    io.error_line(format!("cannot open file {PROC_CONN}"));
                    return Flow::Stop(status::READ_FAILED);
                }
            };
            let written = if req.format.json == Json::Off {
                output::write_connections(&mut buf, &text, &req.format, &self.names)
            } else {
                output::json::write_connections(&mut buf, &text, &req.format, &self.names)
            };
            if written.is_err() {
                io.error_line(format!("unexpected input from {PROC_CONN}"));
                return Flow::Stop(status::READ_FAILED);
            }
            return write_out(io, &buf);
        }
        let names = self.names;
        if let Err(s) = self.client(io) {
            return Flow::Stop(s);
        }
        let info = self.info.expect("set when the client opened");
        let client = self.client.as_mut().expect("opened above");
        let fmt = &req.format;
        let json = fmt.json;
        if let ListWhat::All = req.what {
            // Read as it comes, as the reference does (no second read: D12 is save's), and
            // written a service at a time. The services' counters, when shown, come from
            // the service dump, as the reference takes them (no request more per service).
            // JSON has every field, counters included, whatever the mode; counters come
            // through netlink alone (the socket options cut them to 32 bits), so only a
            // listing without them reads the real servers with the index.
            let counters =
                json != Json::Off || matches!(fmt.mode, ListMode::Stats | ListMode::Rate);
            let index = if counters {
                client.service_index_with_counters()
            } else {
                client.service_index()
            };
            let fetched = index.and_then(|mut index| {
                if !fmt.nosort {
                    index.sort_by_key(output::service_key);
                }
                if json != Json::Off {
                    let mut stream = output::json::JsonStream::new(fmt, &names);
                    write_table(client, &index, true, &mut buf, io, |out, svc, dests| {
                        stream.service(out, svc, dests)
                    })?;
                    stream.finish(&mut buf);
                    return Ok(());
                }
                let mut stream = output::ListStream::new(fmt, &names);
                stream.head(&mut buf, &info);
                write_table(client, &index, counters, &mut buf, io, |out, svc, dests| {
                    stream.service(out, svc, dests)
                })
            });
            return finish_table(fetched, &buf, io);
        }
        let result: Result<(), linux_ipvs::Error> = (|| {
            match &req.what {
                ListWhat::All => unreachable!("handled above"),
                ListWhat::Service(key) => {
                    let svc = client.service(key)?;
                    let dests = client.dests(&svc.key)?;
                    if json == Json::Off {
                        output::write_service(&mut buf, &svc, &dests, fmt, &names);
                    } else {
                        output::json::write_service(&mut buf, &svc, &dests, fmt, &names);
                    }
                }
                ListWhat::Timeouts => {
                    let t = client.timeouts()?;
                    if json == Json::Off {
                        output::write_timeouts(&mut buf, &t);
                    } else {
                        output::json::write_timeouts(&mut buf, &t, json);
                    }
                }
                ListWhat::Daemons => {
                    let d = client.daemons()?;
                    if json == Json::Off {
                        output::write_daemons(&mut buf, &d);
                    } else {
                        output::json::write_daemons(&mut buf, &d, json);
                    }
                }
                ListWhat::Connections => unreachable!("handled above"),
            }
            Ok(())
        })();
        match result {
            Ok(()) => write_out(io, &buf),
            Err(e) => {
                if !matches!(req.what, ListWhat::Timeouts) {
                    io.error_line(errors::for_error(Context::List, &e));
                }
                Flow::Stop(status::READ_FAILED)
            }
        }
    }

    fn save(&mut self, numeric: bool, json: Json, io: &mut Streams<'_>) -> Flow {
        let names = self.names;
        if let Err(s) = self.client(io) {
            return Flow::Stop(s);
        }
        let client = self.client.as_mut().expect("opened above");
        // D12: never a table that a concurrent change tore; nothing is written before the
        // services' keys are known to be whole (and the walk checks each real-server list).
        let mut buf = Vec::with_capacity(OUTPUT_CHUNK + 4096);
        // The JSON shows the counters: the services' come with the checked service dump,
        // and the real servers' through netlink alone (the socket options cut them to 32
        // bits); the plain save reads the real servers with the index.
        let index = if json == Json::Off {
            client.consistent_service_index(SAVE_READS)
        } else {
            client.consistent_service_index_with_counters(SAVE_READS)
        };
        let scope = &self.save_scope;
        let fetched = index.and_then(|mut index| {
            if !scope.is_whole() {
                index.retain(|key| scope.covers(key));
            }
            index.sort_by_key(output::service_key);
            if json == Json::Off {
                let mut stream = output::SaveStream::new(numeric, &names);
                write_table(client, &index, false, &mut buf, io, |out, svc, dests| {
                    stream.service(out, svc, dests)
                })?;
            } else {
                // Every field, counters included, from the same checked read.
                let fmt = ListFormat {
                    numeric,
                    json,
                    ..ListFormat::default()
                };
                let mut stream = output::json::JsonStream::new(&fmt, &names);
                write_table(client, &index, true, &mut buf, io, |out, svc, dests| {
                    stream.service(out, svc, dests)
                })?;
                stream.finish(&mut buf);
            }
            Ok(())
        });
        finish_table(fetched, &buf, io)
    }

    /// `-R`: one command per line of standard input.
    fn restore(&mut self, stdin: &mut dyn BufRead, io: &mut Streams<'_>) -> i32 {
        self.restore_from(stdin, io, false)
    }

    /// Restore; with `flush_first`, the table is cleared first (in the same batch).
    ///
    /// Each change is queued on the client as soon as its line is parsed and goes out with
    /// the next full datagram; `ops` keeps the kind of every change still waiting for its
    /// outcome, oldest first, so that each failure is worded for its own line. Before
    /// anything else is printed or done (a bad line, a listing), the queue is sent and its
    /// failures reported, so messages keep the order of the lines.
    fn restore_from(
        &mut self,
        stdin: &mut dyn BufRead,
        io: &mut Streams<'_>,
        flush_first: bool,
    ) -> i32 {
        if let Err(s) = self.client(io) {
            return s;
        }
        let mut ops = Vec::new();
        // D4: 0 only when every line succeeded, else the status of the first failure.
        let mut status = status::OK;
        if flush_first {
            let queued = self.queue(&Change::Flush, &mut ops, io);
            first_failure(&mut status, queued);
        }
        let mut line = Vec::new();
        let mut lines = cli::RestoreLines::new();
        let mut input = Input::new(stdin);
        loop {
            // What came before is applied (and its failures printed) before restore waits
            // for more input, as when each line is a request of its own: a producer that
            // writes a line and waits sees it take effect.
            let more = input.line(&mut line, &mut || {
                let sent = self.send_queued(&mut ops, io);
                first_failure(&mut status, sent);
            });
            if !more {
                break;
            }
            let action = match lines.parse(&self.prog, &line, &self.names) {
                None => continue,
                Some(Ok(a)) => a,
                Some(Err(e)) => {
                    let sent = self.send_queued(&mut ops, io);
                    first_failure(&mut status, sent);
                    io.err_bytes(&e.message);
                    match e.kind {
                        ErrorKind::Popt => {
                            first_failure(&mut status, e.status());
                            continue;
                        }
                        ErrorKind::Usage | ErrorKind::Invalid => {
                            first_failure(&mut status, e.status());
                            return status;
                        }
                    }
                }
            };
            if let Action::Change(change) = &action {
                let queued = self.queue(change, &mut ops, io);
                first_failure(&mut status, queued);
                continue;
            }
            let sent = self.send_queued(&mut ops, io);
            first_failure(&mut status, sent);
            match self.execute(action, io) {
                Flow::Next(s) => first_failure(&mut status, s),
                Flow::Stop(s) => {
                    first_failure(&mut status, s);
                    return status;
                }
            }
        }
        let sent = self.send_queued(&mut ops, io);
        first_failure(&mut status, sent);
        status
    }

    /// Sends one change on its own and waits for its outcome.
    fn change_alone(&mut self, change: &Change) -> Result<(), linux_ipvs::Error> {
        let client = self.client.as_mut().expect("the client is open");
        client
            .apply_batch(std::slice::from_ref(change))?
            .pop()
            .unwrap_or(Ok(()))
    }

    /// Queues one restore change (its kind in `ops`); when that fills and sends a datagram,
    /// prints the failures among its outcomes. Returns the status of the first failure
    /// reported (0 if none).
    fn queue(&mut self, change: &Change, ops: &mut Vec<ChangeKind>, io: &mut Streams<'_>) -> i32 {
        let client = match self.client(io) {
            Ok(c) => c,
            Err(s) => return s,
        };
        let sent = client.queue(change);
        if let Err(e @ linux_ipvs::Error::TooLong(_)) = &sent {
            // Refused before it was queued; the changes queued before it are unaffected.
            io.error_line(errors::for_error(Context::Change(change.kind()), e));
            return status::FAILED;
        }
        ops.push(change.kind());
        report(client, sent, ops, io)
    }

    /// Sends the queued restore changes and prints their failures in line order; returns
    /// the status of the first failure (0 if none).
    fn send_queued(&mut self, ops: &mut Vec<ChangeKind>, io: &mut Streams<'_>) -> i32 {
        if ops.is_empty() {
            return status::OK;
        }
        let client = match self.client(io) {
            Ok(c) => c,
            Err(s) => return s,
        };
        let sent = client.send_queued();
        report(client, sent, ops, io)
    }
}

/// Prints the failures among the outcomes the client has for the oldest of `ops` and
/// drops those; `sent` is how sending went (a socket failure loses the changes in flight).
fn report(
    client: &mut Client,
    sent: Result<(), linux_ipvs::Error>,
    ops: &mut Vec<ChangeKind>,
    io: &mut Streams<'_>,
) -> i32 {
    let mut status = status::OK;
    let mut answered = 0;
    for outcome in client.outcomes() {
        if let Err(e) = outcome {
            let context = ops
                .get(answered)
                .map_or(Context::Other, |k| Context::Change(*k));
            io.error_line(errors::for_error(context, &e));
            first_failure(&mut status, status::FAILED);
        }
        answered += 1;
    }
    ops.drain(..answered.min(ops.len()));
    if let Err(e) = sent {
        io.error_line(errors::for_error(Context::Other, &e));
        first_failure(&mut status, status::FAILED);
        ops.clear();
    }
    status
}

/// Restore's standard input, a line at a time, knowing when its reader has nothing left
/// buffered: the next read may then wait for the producer.
struct Input<'a> {
    src: &'a mut dyn BufRead,
    /// Everything the reader had buffered has been taken.
    drained: bool,
    /// The read error that ended the input early, if one did.
    error: Option<std::io::Error>,
}

impl<'a> Input<'a> {
    fn new(src: &'a mut dyn BufRead) -> Input<'a> {
        Input {
            src,
            drained: true,
            error: None,
        }
    }

    /// Reads the next line into `line` (replacing its contents; the newline is kept, and a
    /// last line may lack one). Calls `before_read` first whenever the reader's buffer is
    /// used up, since the read that follows may wait. Returns false at the end of the input
    /// or on a read error (a line cut short by the error is dropped; the error is kept for
    /// [`Input::take_error`]; restore, as the reference, takes it as the end of its input).
    fn line(&mut self, line: &mut Vec<u8>, before_read: &mut dyn FnMut()) -> bool {
        line.clear();
        loop {
            if self.drained {
                before_read();
            }
            let available = match self.src.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    return false;
                }
            };
            if available.is_empty() {
                self.drained = true;
                return !line.is_empty();
            }
            let (taken, complete) = match find_newline(available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            line.extend_from_slice(&available[..taken]);
            self.drained = taken == available.len();
            self.src.consume(taken);
            if complete {
                return true;
            }
        }
    }
}

impl Input<'_> {
    /// The read error that ended the input, if one did.
    fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }
}

/// Where the first `\n` of `s` is, looking at eight bytes at a time (the classic test for a
/// zero byte, applied to the bytes XOR `\n`; its lowest hit is always a true one).
fn find_newline(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ NEWLINES;
        let hits = word.wrapping_sub(ONES) & !word & HIGHS;
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

fn first_failure(status: &mut i32, s: i32) {
    if *status == status::OK {
        *status = s;
    }
}

/// Walks the table of `index`, writing each service with `write` into `buf` and `buf` to
/// standard output whenever it holds [`OUTPUT_CHUNK`] bytes; the rest stays in `buf` for
/// [`finish_table`]. A failed write to standard output stops the walk
/// (the rest of `buf` is then dropped) and is recorded (see [`Streams::finish`]).
fn write_table(
    client: &mut Client,
    index: &ServiceIndex,
    counters: bool,
    buf: &mut Vec<u8>,
    io: &mut Streams<'_>,
    mut write: impl FnMut(&mut Vec<u8>, &Service, &[Dest]),
) -> Result<(), linux_ipvs::Error> {
    let walked = client.walk(index, counters, |svc, dests| {
        write(buf, svc, dests);
        if buf.len() >= OUTPUT_CHUNK {
            if let Err(e) = io.out.write_all(buf) {
                return ControlFlow::Break(e);
            }
            buf.clear();
        }
        ControlFlow::Continue(())
    })?;
    if let ControlFlow::Break(e) = walked {
        io.record(Err(e));
        buf.clear();
    }
    Ok(())
}

/// The end of a listing or save written by [`write_table`]: the `rest` of its output
/// written and flushed, or the message of a kernel error or of a table that kept changing
/// (D12, nothing more written); and the status.
fn finish_table(written: Result<(), linux_ipvs::Error>, rest: &[u8], io: &mut Streams<'_>) -> Flow {
    match written {
        Ok(()) => write_out(io, rest),
        Err(linux_ipvs::Error::Torn { reads }) => {
            io.error_line(errors::torn(reads));
            Flow::Stop(status::READ_FAILED)
        }
        Err(e) => {
            io.error_line(errors::for_error(Context::List, &e));
            Flow::Stop(status::READ_FAILED)
        }
    }
}

/// Writes a listing to standard output, flushed (a failure is reported at the end, see
/// [`Streams::finish`]).
fn write_out(io: &mut Streams<'_>, buf: &[u8]) -> Flow {
    io.out_bytes(buf);
    let flushed = io.out.flush();
    io.record(flushed);
    Flow::Next(status::OK)
}

/// Moves the process into the network namespace `--netns` names (a name of `ip netns`, or a
/// path), as `ip -n` does, before anything touches the kernel: the netlink socket and
/// `/proc/net/ip_vs_conn` are then that namespace's. On failure it says why, in iproute2's
/// words, and gives the exit status.
pub fn join_netns(netns: &[u8], io: &mut Streams<'_>) -> Result<(), i32> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::OsStr::from_bytes(netns);
    match linux_ipvs::netns::join(path.as_ref()) {
        Ok(()) => Ok(()),
        Err(linux_ipvs::Error::Netns {
            joining, source, ..
        }) => {
            let reason = match source.raw_os_error() {
                Some(errno) => errors::strerror(errno),
                None => source.to_string(),
            };
            let (before, after): (&[u8], &[u8]) = if joining {
                (b"setting the network namespace \"", b"\" failed: ")
            } else {
                (b"Cannot open network namespace \"", b"\": ")
            };
            io.error_line([before, netns, after, reason.as_bytes()].concat());
            Err(status::INVALID)
        }
        Err(e) => {
            io.error_line(e.to_string());
            Err(status::INVALID)
        }
    }
}

/// Opens the kernel connection; when IPVS is missing, asks modprobe for it once and retries.
fn open_client() -> Result<(Client, Info), linux_ipvs::Error> {
    fn attempt() -> Result<(Client, Info), linux_ipvs::Error> {
        let mut c = Client::open()?;
        let info = c.info()?;
        Ok((c, info))
    }
    match attempt() {
        Ok(c) => Ok(c),
        Err(first) => {
            let loaded = std::process::Command::new("/sbin/modprobe")
                .args(["--", "ip_vs"])
                .stdin(std::process::Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if loaded { attempt() } else { Err(first) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its chunks one `fill_buf` at a time, like a pipe whose
    /// producer writes now and then, and logs each read.
    struct Chunks {
        chunks: std::collections::VecDeque<&'static [u8]>,
        current: &'static [u8],
        log: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
    }

    impl std::io::Read for Chunks {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            unreachable!("restore reads through fill_buf")
        }
    }

    impl BufRead for Chunks {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            if self.current.is_empty() {
                self.current = self.chunks.pop_front().unwrap_or(b"");
                self.log.borrow_mut().push("read".into());
            }
            Ok(self.current)
        }
        fn consume(&mut self, n: usize) {
            self.current = &self.current[n..];
        }
    }

    #[test]
    fn newlines_are_found_where_a_plain_search_finds_them() {
        let mut rng = crate::cli::rng::XorShift::new(0x5eed_1e55);
        // Bytes near `\n` (and its neighbours 0x09, 0x0b, and 0x8a with the high bit) are
        // the ones a word-at-a-time test could confuse.
        let alphabet = [b'\n', b'a', 0x09, 0x0b, 0x8a, 0x00, 0xff, b' '];
        for _ in 0..20_000 {
            let len = rng.below(40);
            let s: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            assert_eq!(
                find_newline(&s),
                s.iter().position(|&b| b == b'\n'),
                "{s:?}"
            );
        }
    }

    #[test]
    fn restore_input_says_before_each_read_that_may_wait() {
        let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut src = Chunks {
            chunks: [&b"one\ntwo\nthr"[..], b"ee\n", b"four"]
                .into_iter()
                .collect(),
            current: b"",
            log: log.clone(),
        };
        let mut input = Input::new(&mut src);
        let mut line = Vec::new();
        let mut before = || log.borrow_mut().push("flush".into());
        while input.line(&mut line, &mut before) {
            log.borrow_mut()
                .push(String::from_utf8_lossy(&line).into_owned());
        }
        assert_eq!(
            *log.borrow(),
            [
                // The first chunk's whole lines; the cut third line needs a read, and
                // what came before goes out first.
                "flush", "read", "one\n", "two\n", "flush", "read", "three\n",
                // A last line without a newline ends at the end of the input.
                "flush", "read", "flush", "read", "four", "flush", "read"
            ]
        );
    }
}
