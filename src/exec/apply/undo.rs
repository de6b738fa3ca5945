//! All or nothing: when the kernel refuses a change of `--apply` (a scheduler or persistence
//! engine it does not have, no memory, a limit), the changes already made are undone, so
//! that the table is the one read before. The undo is planned like any apply, from a fresh
//! read of the table to the one read first ([`linux_ipvs::plan`], removals immediate): it
//! removes what was added (which puts the order of the listing back too), edits back what
//! was edited, gives a draining real server its weight back, and adds back what was removed.
//! A second read checks the result; a table that still differs is reported loudly, change
//! by change, as the restore lines that would still be needed.

use linux_ipvs::{Change, Dest, Removal, Service, plan};

use super::scope::Scope;
use super::{Kernel, read_error, report_failure};
use crate::exec::Streams;
use crate::names::Names;
use crate::output;
use crate::status;

/// Brings the in-scope part of the kernel's table back to `before` after `refused` changes
/// were refused. Returns the exit status: [`status::APPLY_UNDONE`] when the table is back as
/// it was, else [`status::APPLY_DIFFERS`].
pub fn undo(
    prog: &str,
    kernel: &mut dyn Kernel,
    before: &[(Service, Vec<Dest>)],
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

/// The changes from the table as it is now (its in-scope part) back to `before`; `None`,
/// reported loudly, when the table cannot be read.
fn plan_back(
    prog: &str,
    kernel: &mut dyn Kernel,
    before: &[(Service, Vec<Dest>)],
    scope: &Scope,
    io: &mut Streams<'_>,
) -> Option<Vec<Change>> {
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
    Some(plan(&now, before, Removal::Immediate).changes)
}
