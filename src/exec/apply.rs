//! `ipvsadm-restore --apply`: converge the kernel's table on a rules file without a flush.
//!
//! The whole file is read first, into the table it describes ([`read_rules`]: its lines
//! replayed on an empty table in memory, with the kernel's checks), so that a bad line
//! anywhere changes nothing. Then, in rounds: a read of the kernel's table that is not torn
//! by concurrent changes ([`Client::consistent_snapshot`]), the plan from it to the file's
//! table ([`linux_ipvs::plan`]: edits in place, adds and removes only what differs), and the
//! plan's changes in batches. Without `--drain` one round does it. With `--drain SECONDS`,
//! unwanted real servers first get weight 0 and the rounds go on (a fresh read every half
//! second) until their connections are gone and they, then their services if unwanted, are
//! removed, or until SECONDS have passed, when what is left is removed at once. `--dry-run`
//! prints the first round's plan in the restore syntax and changes nothing.
//!
//! A file that names timeouts (`--set`) or sync daemons (`--start-daemon`,
//! `--stop-daemon`) makes them part of the desired state too ([`state`]): the first round
//! reads them and sends their changes ahead of the table's, an undo puts them back, and a
//! `--scope` refuses them (they are the whole namespace's, not a scope's).
//!
//! Exit statuses follow `diff`: [`status::APPLY_SAME`], [`status::APPLY_DIFFERS`],
//! [`status::APPLY_TROUBLE`].

use std::collections::HashSet;
use std::io::BufRead;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use linux_ipvs::{
    Change, ChangeKind, Client, ConsistentSnapshot, Error, PlanCounts, Removal, ServiceKey, Table,
    Transport, plan,
};

use super::errors::{self, Context};

pub mod lock;
pub mod scope;
pub mod source;
pub mod state;
mod undo;

use super::{Input, Session, Streams, line_problem};
use crate::cli::{Action, RestoreLines, try_line};
use crate::names::{Names, SystemNames};
use crate::output;
use crate::status;
use scope::Scope;
use state::{Current, Wanted};

/// How many reads of the kernel's table a round may take before it gives up because the
/// table keeps changing (a table too large for one datagram is read until two reads in a
/// row agree, and each real-server list the same way).
pub const READ_TRIES: usize = 10;

/// How often a drain reads the connection counts again.
pub const DRAIN_POLL: Duration = Duration::from_millis(500);

/// What `--apply` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyOptions {
    /// `--dry-run`: print the plan, change nothing.
    pub dry_run: bool,
    /// `--drain SECONDS`: drain unwanted real servers for at most this long.
    pub drain: Option<Duration>,
    /// `--json`: the rules are a table as `ipvsadm -S --json` writes it.
    pub json: bool,
    /// `--allow-empty`: rules without any service are meant (they remove every service).
    pub allow_empty: bool,
    /// `--scope`: the services it may touch (the whole table without one).
    pub scope: Scope,
    /// `--wait SECONDS`: how long to wait for another apply's lock ([`lock`]).
    pub wait: Duration,
    /// `--check`: read and check the rules as an apply would, then stop (no IPVS, no root).
    pub check: bool,
    /// `--netns`: the network namespace to work in (a name of `ip netns`, or a path),
    /// joined once the rules have been read and found good, so that bad rules are
    /// reported as such (status 2) even where the namespace cannot be joined.
    pub netns: Option<Vec<u8>>,
}

/// What the rounds need of the kernel: a consistent read and a batch of changes. The
/// client is one; tests use a table in memory.
pub trait Kernel {
    /// The whole table, from a read that is not torn (see [`READ_TRIES`]).
    fn read(&mut self) -> Result<ConsistentSnapshot, Error>;
    /// Applies the changes in order; one outcome each.
    fn apply(&mut self, changes: &[Change]) -> Result<Vec<Result<(), Error>>, Error>;
    /// The protocol timeouts and the running sync daemons.
    fn state(&mut self) -> Result<Current, Error>;
}

impl<T: Transport> Kernel for Client<T> {
    fn read(&mut self) -> Result<ConsistentSnapshot, Error> {
        // No counters: a plan needs settings and connection counts only.
        self.consistent_snapshot(READ_TRIES, false)
    }
    fn apply(&mut self, changes: &[Change]) -> Result<Vec<Result<(), Error>>, Error> {
        self.apply_batch(changes)
    }
    fn state(&mut self) -> Result<Current, Error> {
        Ok(Current {
            timeouts: self.timeouts()?,
            daemons: self.daemons()?,
        })
    }
}

/// What a rules file describes: the service table, and the timeouts and daemons it names.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// The services and their real servers.
    pub table: Table,
    /// The timeouts and sync daemons, where the file names them.
    pub state: Wanted,
}

/// `ipvsadm-restore --apply [--dry-run] [--drain SECONDS] [--json] [FILE]`: reads the rules
/// from `file` (standard input, `input`, without one), then converges the kernel's table on
/// them. `prog` names the program in messages. Returns the exit status, for the process to
/// end with: the table the rules describe is not freed ([`converge`] is the part to call
/// more than once in a process).
pub fn apply(
    prog: &str,
    file: Option<&Path>,
    input: &mut dyn BufRead,
    io: &mut Streams<'_>,
    opts: &ApplyOptions,
) -> i32 {
    let names = SystemNames;
    let Some(mut src) = source::open(prog, file, input, io) else {
        return status::APPLY_TROUBLE;
    };
    let desired = if opts.json {
        read_json_rules(&mut src.reader, &opts.scope, io).map(|table| Desired {
            table,
            state: Wanted::default(),
        })
    } else {
        read_rules(b"ipvsadm", &mut src.reader, &opts.scope, &names, io)
    };
    let desired = match desired {
        Ok(t) => t,
        Err(Refusal::Unreadable(e)) => {
            source::unreadable(prog, &src.name, &e, io);
            io.error_line(format!("{prog}: nothing was changed"));
            return status::APPLY_TROUBLE;
        }
        Err(Refusal::Bad) => {
            io.error_line(format!(
                "{prog}: the rules have errors; nothing was changed"
            ));
            return status::APPLY_TROUBLE;
        }
    };
    if desired.table.entries().is_empty() && !opts.allow_empty {
        io.error_line(format!(
            "{prog}: {} holds no service: applying it would remove every service; nothing was changed (--allow-empty if that is meant; ipvsadm -C clears the table)",
            src.name
        ));
        return status::APPLY_TROUBLE;
    }
    if opts.check {
        let dests: usize = desired.table.entries().iter().map(|(_, ds)| ds.len()).sum();
        let state = desired
            .state
            .describe()
            .map_or(String::new(), |s| format!(", {s}"));
        io.error_line(format!(
            "{prog}: {}: {} service(s), {dests} real server(s){state}: --apply accepts these rules",
            src.name,
            desired.table.entries().len()
        ));
        return status::APPLY_SAME;
    }
    if let Some(netns) = &opts.netns
        && crate::exec::join_netns(netns, io).is_err()
    {
        return status::APPLY_UNREACHABLE;
    }
    // Held until the end: the read, the plan and the changes are one step.
    let _held = match lock::take(opts.wait) {
        Ok(h) => h,
        Err(lock::Refused::Busy { path, pid }) => {
            let who = pid.map_or("another --apply".to_string(), |p| {
                format!("another --apply (PID {p})")
            });
            io.error_line(format!(
                "{prog}: {who} holds the lock of this network namespace ({}); gave up after {} s, nothing was changed (--wait SECONDS waits longer)",
                path.display(),
                opts.wait.as_secs()
            ));
            return status::APPLY_BUSY;
        }
        Err(lock::Refused::Io { path, error }) => {
            source::unreadable(prog, &path.display().to_string(), &error, io);
            io.error_line(format!(
                "{prog}: cannot take the lock of this network namespace; nothing was changed"
            ));
            return status::APPLY_UNREACHABLE;
        }
    };
    let mut session = Session::new(prog.as_bytes());
    let status = match session.client(io) {
        Ok(client) => converge(prog, client, &desired, opts, DRAIN_POLL, io, &names),
        Err(_) => status::APPLY_UNREACHABLE,
    };
    // The command ends here and its process with it: the file's table (an allocation per
    // service) is left to the exit instead of being freed piece by piece, 1.5% of a no-op
    // apply of 10,000 services.
    std::mem::forget(desired);
    status
}

/// Why the rules give no table.
#[derive(Debug)]
pub enum Refusal {
    /// Reading them failed (and nothing may be taken from a part of them).
    Unreadable(std::io::Error),
    /// Some of them are wrong; each was reported.
    Bad,
}

/// Reads the rules as a JSON table (`ipvsadm -S --json`) into the table it describes, its
/// services and real servers added in order with the kernel's checks. Reports what is
/// wrong (`service N: ...`).
pub fn read_json_rules(
    input: &mut dyn BufRead,
    scope: &Scope,
    io: &mut Streams<'_>,
) -> Result<Table, Refusal> {
    let mut text = Vec::new();
    input.read_to_end(&mut text).map_err(Refusal::Unreadable)?;
    let entries = match output::json::read_table(&text) {
        Ok(t) => t,
        Err(e) => {
            io.error_line(format!("invalid JSON input: {e}"));
            return Err(Refusal::Bad);
        }
    };
    let mut table = Table::new();
    let mut bad = false;
    for (i, (svc, dests)) in entries.into_iter().enumerate() {
        if !scope.covers(&svc.key) {
            io.error_line(format!("service {}: {OUTSIDE}", i + 1));
            bad = true;
            continue;
        }
        let mut changes = vec![Change::AddService(svc.clone())];
        changes.extend(dests.into_iter().map(|d| Change::AddDest(svc.key, d)));
        for c in &changes {
            if let Err(e) = table.apply(c) {
                let what = errors::for_error(Context::Change(c.kind()), &e);
                io.error_line(format!("service {}: {what}", i + 1));
                bad = true;
            }
        }
    }
    if bad { Err(Refusal::Bad) } else { Ok(table) }
}

/// Reads a rules file (restore lines; comments and blank lines skipped) into the table it
/// describes: each line's change replayed on an empty table with the kernel's checks, and
/// the timeouts and sync daemons it names ([`Wanted`]).
/// Writes `line N: message` to standard error for every line that is not a valid rule
/// (parse errors, a service defined twice, a real server for a service not defined
/// yet, a daemon named twice, commands other than `-A -E -D -a -e -d -C --set
/// --start-daemon --stop-daemon`, timeouts or daemons in a scoped apply), and then refuses.
/// A read error refuses too, whatever was read before it. `prog` is the program name the
/// parser's messages use.
pub fn read_rules(
    prog: &[u8],
    input: &mut dyn BufRead,
    scope: &Scope,
    names: &dyn Names,
    io: &mut Streams<'_>,
) -> Result<Desired, Refusal> {
    let mut table = Table::new();
    let mut state = Wanted::default();
    let mut lines = RestoreLines::new();
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut bad = 0usize;
    let mut input = Input::new(input);
    while input.line(&mut line, &mut || {}) {
        number += 1;
        let problem = match lines.parse(prog, &line, names) {
            None => continue,
            Some(Err(e)) => e.message.trim_ascii_end().to_vec(),
            Some(Ok(Action::Restore)) => try_line(prog),
            Some(Ok(Action::Change(c)))
                if is_table_change(c.kind()) && !change_key(&c).is_none_or(|k| scope.covers(k)) =>
            {
                OUTSIDE.as_bytes().to_vec()
            }
            Some(Ok(Action::Change(c))) if is_table_change(c.kind()) => {
                let kind = c.kind();
                match table.apply_owned(c) {
                    Ok(()) => continue,
                    Err(e) => errors::for_error(Context::Change(kind), &e).into_bytes(),
                }
            }
            Some(Ok(Action::Change(c))) if is_state_change(c.kind()) && !scope.is_whole() => {
                SCOPED_STATE.as_bytes().to_vec()
            }
            Some(Ok(Action::Change(c))) if is_state_change(c.kind()) => {
                match state.take(number, &c) {
                    Ok(_) => continue,
                    Err(state::Conflict(why)) => why.into_bytes(),
                }
            }
            Some(Ok(_)) => b"not a rule of the desired state (--apply takes -A, -E, -D, -a, -e, -d, -C, --set, --start-daemon and --stop-daemon)"
                .to_vec(),
        };
        bad += 1;
        line_problem(io, number, &problem);
    }
    if let Some(e) = input.take_error() {
        return Err(Refusal::Unreadable(e));
    }
    if bad == 0 {
        Ok(Desired { table, state })
    } else {
        Err(Refusal::Bad)
    }
}

/// What a rule outside the `--scope` is told.
const OUTSIDE: &str = "the service is outside the --scope";

/// What a timeouts or daemon line of a scoped apply is told.
const SCOPED_STATE: &str = "timeouts and sync daemons are the whole network namespace's, not a --scope's: a scoped --apply leaves them alone and refuses this line (beside keepalived, whose lvs_sync_daemon runs its own daemon, keep them out of the file)";

/// The service a change of the service table is about (none for a flush).
fn change_key(c: &Change) -> Option<&ServiceKey> {
    match c {
        Change::AddService(s) | Change::EditService(s) => Some(&s.key),
        Change::DeleteService(k)
        | Change::AddDest(k, _)
        | Change::EditDest(k, _)
        | Change::DeleteDest(k, _) => Some(k),
        _ => None,
    }
}

/// The changes a rules file for `--apply` may hold: those of the service table.
fn is_table_change(kind: ChangeKind) -> bool {
    use ChangeKind::*;
    matches!(
        kind,
        AddService | EditService | DeleteService | AddDest | EditDest | DeleteDest | Flush
    )
}

/// The changes of the timeouts and sync daemons a rules file may name.
fn is_state_change(kind: ChangeKind) -> bool {
    use ChangeKind::*;
    matches!(kind, SetTimeouts | StartDaemon | StopDaemon)
}

/// What the rounds did, for the summary.
#[derive(Debug, Default)]
struct Totals {
    counts: PlanCounts,
    /// Real servers that were draining at some point.
    drained: HashSet<(ServiceKey, IpAddr, u16)>,
    /// Removals made because the drain time was over.
    at_deadline: usize,
    /// The most reads one round needed.
    most_reads: usize,
}

/// The rounds of `--apply` (see the module): read, plan, apply, until the table matches
/// `desired` (and, with a drain, nothing is left draining). `poll` is the pause between
/// drain rounds that changed nothing. Prints failed changes and the summary on standard
/// error, with `--dry-run` the plan on standard output. Returns the exit status.
pub fn converge(
    prog: &str,
    kernel: &mut dyn Kernel,
    desired: &Desired,
    opts: &ApplyOptions,
    poll: Duration,
    io: &mut Streams<'_>,
    names: &dyn Names,
) -> i32 {
    let deadline = opts.drain.map(|d| Instant::now() + d);
    let mut totals = Totals::default();
    let mut rounds = 0usize;
    let mut told_waiting = false;
    let mut told_templates = false;
    let mut failed = false;
    // The kernel refused a change: what was made is undone (all or nothing).
    let mut refused = 0usize;
    // The table as the first round read it (its in-scope part): what an undo brings back.
    let mut before = None;
    // The timeouts and daemons as they were read, when the file names them.
    let mut state_before = None;
    let mut state_counts = state::Counts::default();
    // The daemons' starts, once planned: sent in the round that leaves nothing draining.
    let mut starts = Vec::new();
    loop {
        // The timeouts and daemons: read and planned in the first round only (a drain's
        // later rounds wait for connections).
        let mut state_plan = state::StatePlan::default();
        if rounds == 0 && desired.state.is_named() {
            match kernel.state() {
                Ok(now) => {
                    state_plan = desired.state.plan(&now);
                    state_counts = state::Counts::of(&state_plan);
                    state_before = Some(now);
                }
                Err(e) => {
                    io.error_line(format!(
                        "{prog}: cannot read the timeouts and sync daemons: {}",
                        errors::for_error(Context::Other, &e)
                    ));
                    io.error_line(format!("{prog}: nothing was changed"));
                    return status::APPLY_UNREACHABLE;
                }
            }
        }
        let mut read = match kernel.read() {
            Ok(r) => r,
            Err(e) => {
                io.error_line(format!("{prog}: {}", read_error(&e)));
                if rounds == 0 {
                    io.error_line(format!("{prog}: nothing was changed"));
                    return match e {
                        Error::Torn { .. } => status::APPLY_BUSY,
                        _ => status::APPLY_UNREACHABLE,
                    };
                }
                failed = true;
                break;
            }
        };
        totals.most_reads = totals.most_reads.max(read.tries);
        // Services outside the scope are not ours: never planned for, never shown.
        read.entries.retain(|(s, _)| opts.scope.covers(&s.key));
        let draining = deadline.is_some_and(|d| Instant::now() < d);
        let removal = if draining {
            Removal::Drain
        } else {
            Removal::Immediate
        };
        let p = plan(&read.entries, desired.table.entries(), removal);
        if !told_templates {
            told_templates = warn_templates(prog, &read.entries, &p.draining, io);
        }
        if before.is_none() && !opts.dry_run {
            // Kept, not copied: nothing below needs this round's read.
            before = Some(std::mem::take(&mut read.entries));
        }
        if opts.dry_run {
            if opts.scope.is_whole() {
                io.error_line(format!(
                    "{prog}: no --scope: the plan covers the whole IPVS table"
                ));
            }
            let mut buf = Vec::new();
            output::write_plan(&mut buf, &state_plan.first, names);
            output::write_plan(&mut buf, &p.changes, names);
            output::write_plan(&mut buf, &state_plan.last, names);
            io.out_bytes(&buf);
            let c = p.counts;
            io.error_line(format!(
                "{prog}: dry run: {} to add, {} to edit, {} to remove, {} draining{}",
                c.added,
                c.edited,
                c.removed,
                p.draining.len(),
                state_counts.suffix(["to set", "to start", "to restart", "to stop"])
            ));
            tell_reads(prog, io, totals.most_reads);
            return if p.is_empty() && state_plan.is_empty() {
                status::APPLY_SAME
            } else {
                status::APPLY_DIFFERS
            };
        }
        if opts.drain.is_some() && !draining {
            totals.at_deadline += p.counts.removed;
        }
        // The timeouts and the daemons' stops first, the table's changes, then the daemons'
        // starts, in one batch (a refused change undoes the rest). The starts wait for the
        // round that leaves nothing draining: a draining real server of the other address
        // family is still in the table, and the kernel refuses to start a daemon beside it.
        starts.append(&mut state_plan.last);
        let mut changes = std::mem::take(&mut state_plan.first);
        changes.extend_from_slice(&p.changes);
        if p.draining.is_empty() {
            changes.append(&mut starts);
        }
        if !changes.is_empty() {
            match kernel.apply(&changes) {
                Ok(outcomes) => {
                    for (c, o) in changes.iter().zip(outcomes) {
                        match o {
                            Err(e) if !already_gone(c, &e) => {
                                refused += 1;
                                report_failure(prog, c, &e, io, names);
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) => {
                    io.error_line(format!("{prog}: {}", errors::for_error(Context::Other, &e)));
                    refused += 1;
                }
            }
        }
        add_counts(&mut totals.counts, p.counts);
        for d in &p.draining {
            totals.drained.insert((d.service, d.dest.addr, d.dest.port));
        }
        rounds += 1;
        if refused > 0 {
            let before = undo::Before {
                table: before.as_deref().unwrap_or_default(),
                state: state_before.as_ref(),
            };
            return undo::undo(prog, kernel, &before, refused, &opts.scope, io, names);
        }
        if failed || p.draining.is_empty() {
            break;
        }
        if !told_waiting {
            told_waiting = true;
            let secs = opts.drain.unwrap_or_default().as_secs();
            io.error_line(format!("{prog}: draining {} real server(s): removed when their connections are gone, or after {secs} s{}",
                p.draining.len(),
                if starts.is_empty() { "" } else { "; the sync daemons start then" }
            ));
        }
        if p.changes.is_empty() {
            // Nothing moved this round: wait for connections to close (not past the end).
            let left = deadline.map_or(poll, |d| d.saturating_duration_since(Instant::now()));
            std::thread::sleep(poll.min(left));
        }
    }
    let c = totals.counts;
    let mut summary = format!(
        "{prog}: {} added, {} edited, {} removed, {} drained",
        c.added,
        c.edited,
        c.removed,
        totals.drained.len()
    );
    if totals.at_deadline > 0 && !totals.drained.is_empty() {
        summary.push_str(&format!(
            " ({} removed when the drain time was over)",
            totals.at_deadline
        ));
    }
    summary.push_str(&state_counts.suffix(["set", "started", "restarted", "stopped"]));
    io.error_line(summary);
    if !starts.is_empty() {
        // The drain ended on a failed read: the daemons' starts were never sent.
        let mut lines = Vec::new();
        output::write_plan(&mut lines, &starts, names);
        io.error_line(format!(
            "{prog}: not sent, as the table could not be read again: {}",
            String::from_utf8_lossy(&lines)
                .trim_end()
                .replace('\n', "; ")
        ));
    }
    tell_reads(prog, io, totals.most_reads);
    if failed {
        status::APPLY_DIFFERS
    } else {
        status::APPLY_SAME
    }
}

/// Whether a refused removal only found its service or real server already gone (another
/// program removed it meanwhile): what the removal wanted, so no failure.
fn already_gone(c: &Change, e: &Error) -> bool {
    use nix::libc::{ENOENT, ESRCH};
    matches!(
        (c, e),
        (Change::DeleteService(_), Error::Kernel { errno: ESRCH, .. })
            | (
                Change::DeleteDest(..),
                Error::Kernel {
                    errno: ESRCH | ENOENT,
                    ..
                }
            )
            | (Change::StopDaemon(_), Error::Kernel { errno: ESRCH, .. })
    )
}

/// Where the kernel says whether it drops the persistence templates of a real server at
/// weight 0 (this network namespace's).
const EXPIRE_QUIESCENT_TEMPLATE: &str = "/proc/sys/net/ipv4/vs/expire_quiescent_template";

/// Warns when a real server of a persistent service drains while the kernel keeps the
/// templates of quiescent servers (`expire_quiescent_template` 0): their clients keep being
/// sent to it until the templates expire. Returns whether it warned.
fn warn_templates(
    prog: &str,
    read: &[(linux_ipvs::Service, Vec<linux_ipvs::Dest>)],
    draining: &[linux_ipvs::Draining],
    io: &mut Streams<'_>,
) -> bool {
    let persistent: HashSet<&ServiceKey> = read
        .iter()
        .filter(|(s, _)| s.is_persistent())
        .map(|(s, _)| &s.key)
        .collect();
    let n = draining
        .iter()
        .filter(|d| persistent.contains(&d.service))
        .count();
    if n == 0 {
        return false;
    }
    let kept = std::fs::read_to_string(EXPIRE_QUIESCENT_TEMPLATE).is_ok_and(|v| v.trim() == "0");
    if kept {
        io.error_line(format!(
            "{prog}: warning: net.ipv4.vs.expire_quiescent_template is 0: persistence templates keep sending their clients to the {n} draining real server(s) of persistent services until they expire (set it to 1 to move those clients at once)"
        ));
    }
    kept
}

fn add_counts(total: &mut PlanCounts, c: PlanCounts) {
    total.added += c.added;
    total.edited += c.edited;
    total.removed += c.removed;
    total.drains_started += c.drains_started;
}

/// Says how many reads it took when the table changed while it was read.
fn tell_reads(prog: &str, io: &mut Streams<'_>, reads: usize) {
    if reads > 1 {
        io.error_line(format!(
            "{prog}: the table changed while it was read; a consistent read took {reads} tries"
        ));
    }
}

fn read_error(e: &Error) -> String {
    match e {
        Error::Torn { reads } => format!(
            "the IPVS table kept changing while it was read ({reads} reads, none consistent)"
        ),
        e => format!(
            "cannot read the IPVS table: {}",
            errors::for_error(Context::List, e)
        ),
    }
}

/// `prog: CHANGE: message` for a change the kernel refused, the change as its restore line.
fn report_failure(prog: &str, change: &Change, e: &Error, io: &mut Streams<'_>, names: &dyn Names) {
    let mut line = Vec::new();
    output::write_change(&mut line, change, names);
    let line = String::from_utf8_lossy(&line);
    io.error_line(format!(
        "{prog}: {}: {}",
        line.trim_end(),
        errors::for_error(Context::Change(change.kind()), e)
    ));
}

#[cfg(test)]
mod tests;
