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

/// `ipvsadm-restore --apply` and `--dry-run` (the `diff` convention): the table matches the
/// rules (`--dry-run`: nothing to do; `--apply`: every change went through).
pub const APPLY_SAME: i32 = 0;
/// `--dry-run`: changes are pending. `--apply`: a change failed, or the table could not be
/// read again during a drain, so the table may not match the rules.
pub const APPLY_DIFFERS: i32 = 1;
/// The rules have errors, IPVS cannot be reached, or the table kept changing while it was
/// read: nothing was changed.
pub const APPLY_TROUBLE: i32 = 2;
