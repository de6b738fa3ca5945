//! The exit statuses of the commands, named. They are the reference's: scripts test them.

/// Success.
pub const OK: i32 = 0;
/// A listing or save could not be read or written (`-L`, `-S`, `-c`, `--timeout`), or
/// `ipvsadm-save` was called wrongly.
pub const READ_FAILED: i32 = 1;
/// Writing to standard output or standard error failed (a full disk, a closed pipe while
/// `SIGPIPE` is ignored): deviation D10, the reference exits 0 there.
pub const WRITE_FAILED: i32 = 1;
/// An invalid command line (a value or a combination of options the command refuses), or
/// the kernel's IPVS could not be reached at all.
pub const INVALID: i32 = 2;
/// A usage error that popt reports (an unknown option, a missing argument, a first option
/// that is not a command), or a change the kernel refused.
pub const FAILED: i32 = 255;

/// `ipvsadm-restore --apply` and `--dry-run` (0 to 2 as `diff`'s, then one status per cause
/// of failure, so that a caller can tell a mistake in the rules from a director it cannot
/// reach): the table matches the rules (`--dry-run`: nothing to do; `--apply`: every change
/// went through).
pub const APPLY_SAME: i32 = 0;
/// `--dry-run`: changes are pending. `--apply`: the table matches neither the rules nor
/// what it was (an undo that failed, or a table that could not be read again during a
/// drain).
pub const APPLY_DIFFERS: i32 = 1;
/// The rules have errors or cannot be read, or the command line is wrong: nothing was
/// changed.
pub const APPLY_TROUBLE: i32 = 2;
/// IPVS cannot be reached or is not permitted (no `ip_vs` module, no `CAP_NET_ADMIN`, no
/// such network namespace): nothing was changed.
pub const APPLY_UNREACHABLE: i32 = 3;
/// `--apply`: the kernel refused a change, and the changes made before it were undone: the
/// table is as it was read.
pub const APPLY_UNDONE: i32 = 4;
/// Another `--apply` holds this namespace's lock past the wait, or the table kept changing
/// while it was read: nothing was changed; trying again later may work.
pub const APPLY_BUSY: i32 = 5;
