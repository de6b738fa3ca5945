//! All or nothing: when the kernel refuses a change of `--apply` (a scheduler or persistence
//! engine it does not have, no memory, a limit), the changes already made are undone, so
//! that the table is the one read before. The undo is planned like any apply, from a fresh
//! read of the table to the one read first ([`linux_ipvs::plan`], removals immediate): it
//! removes what was added (which puts the order of the listing back too), edits back what
//! was edited, gives a draining real server its weight back, and adds back what was removed.
//! A second read checks the result; a table that still differs is reported loudly, change
//! by change, as the restore lines that would still be needed. When the rules file named
//! timeouts or sync daemons, they are put back the same way: the timeouts as they were
//! read, exactly the daemons that ran, with the parameters the kernel reported.

use linux_ipvs::{Change, Dest, Removal, Service, plan};

use super::scope::Scope;
use super::state::{Current, StatePlan, Wanted};
use super::{Kernel, read_error, report_failure};
use crate::exec::Streams;
use crate::names::Names;
use crate::output;
use crate::status;

/// What the first round read: what an undo brings back.
#[derive(Debug)]
pub struct Before<'a> {
    /// The in-scope part of the table.
    pub table: &'a [(Service, Vec<Dest>)],
    /// The timeouts and daemons, when the rules file named them (else they were not touched).
    pub state: Option<&'a Current>,
}

/// Brings the in-scope part of the kernel's table (and the timeouts and daemons, if they
/// were read) back to `before` after `refused` changes were refused. Returns the exit status: [`status::APPLY_UNDONE`] when the table is back as
/// it was, else [`status::APPLY_DIFFERS`].
pub fn undo(
    prog: &str,
    kernel: &mut dyn Kernel,
    before: &Before<'_>,
    refused: usize,
    scope: &Scope,
    io: &mut Streams<'_>,
    names: &dyn Names,
) -> i32 {
    io.error_line(format!(
        "{prog}: the kernel refused {refused} change(s); undoing the changes made"
    ));
    let Some(back) = plan_back(prog, kernel, before, scope, io) else {
        return status::APPLY_DIFFERS;
    };
    if !back.is_empty() {
        match kernel.apply(&back) {
            Ok(outcomes) => {
                for (c, o) in back.iter().zip(outcomes) {
                    if let Err(e) = o {
                        report_failure(&format!("{prog}: undo"), c, &e, io, names);
                    }
                }
            }
            Err(e) => io.error_line(format!("{prog}: undo: {e}")),
        }
    }
    // A fresh read checks the undo.
    let Some(left) = plan_back(prog, kernel, before, scope, io) else {
        return status::APPLY_DIFFERS;
    };
    if left.is_empty() {
        io.error_line(format!(
            "{prog}: undone: the table is as it was read; nothing was changed"
        ));
        return status::APPLY_UNDONE;
    }
    let mut lines = Vec::new();
    output::write_plan(&mut lines, &left, names);
    io.error_line(format!(
        "{prog}: UNDO FAILED: the table is neither as it was nor as the rules say; these {} change(s) would bring it back as it was:",
        left.len()
    ));
    io.err_bytes(&lines);
    status::APPLY_DIFFERS
}

/// The changes from the table as it is now (its in-scope part, and the timeouts and
/// daemons if they were read) back to `before`; `None`, reported loudly, when they cannot
/// be read.
fn plan_back(
    prog: &str,
    kernel: &mut dyn Kernel,
    before: &Before<'_>,
    scope: &Scope,
    io: &mut Streams<'_>,
) -> Option<Vec<Change>> {
    let mut state = StatePlan::default();
    if let Some(was) = before.state {
        match kernel.state() {
            Ok(now) => state = Wanted::exactly(was).plan(&now),
            Err(e) => {
                io.error_line(format!(
                    "{prog}: cannot read the timeouts and sync daemons: {e}"
                ));
                io.error_line(format!(
                    "{prog}: UNDO NOT CHECKED: the timeouts and daemons could not be read; they may hold some of the changes"
                ));
                return None;
            }
        }
    }
    let mut now = match kernel.read() {
        Ok(r) => r.entries,
        Err(e) => {
            io.error_line(format!("{prog}: {}", read_error(&e)));
            io.error_line(format!(
                "{prog}: UNDO NOT CHECKED: the table could not be read; it may hold some of the changes"
            ));
            return None;
        }
    };
    now.retain(|(s, _)| scope.covers(&s.key));
    // The daemons' stops before the table's changes, their starts after (see `state`).
    let mut changes = state.first;
    changes.extend(plan(&now, before.table, Removal::Immediate).changes);
    changes.extend(state.last);
    Some(changes)
}
