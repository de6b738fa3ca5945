//! The messages ipvsadm prints for kernel errors: a few are specific to what failed (the
//! kind of change, or a listing), then come generic texts for common errno values, then the
//! C library's own text.

use nix::libc;

use linux_ipvs::{ChangeKind, Error};

/// What a kernel error belongs to, for the specific messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A change of this kind.
    Change(ChangeKind),
    /// A listing (`-L`, `-S`).
    List,
    /// Anything else (opening the connection).
    Other,
}

/// The message for an errno raised in a context.
pub fn message(context: Context, errno: i32) -> String {
    use ChangeKind::*;
    use Context::{Change, List};
    let specific = match (errno, context) {
        (libc::EEXIST, Change(AddService)) => Some("Service already exists"),
        (libc::EEXIST, Change(AddDest)) => Some("Destination already exists"),
        (libc::EEXIST, Change(StartDaemon)) => Some("Daemon has already run"),
        (libc::ENOENT, Change(AddService | EditService)) => {
            Some("Scheduler or persistence engine not found")
        }
        (libc::ENOENT, Change(EditDest | DeleteDest)) => Some("No such destination"),
        (libc::ESRCH, Change(EditService | DeleteService | Zero) | List) => Some("No such service"),
        (libc::ESRCH, Change(AddDest | EditDest | DeleteDest)) => Some("Service not defined"),
        (libc::ESRCH, Change(StopDaemon)) => Some("No daemon is running"),
        _ => None,
    };
    if let Some(m) = specific {
        return m.to_string();
    }
    let generic = match errno {
        libc::EPERM => Some("Permission denied (you must be root)"),
        libc::EINVAL => {
            Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
        }
        libc::ENOPROTOOPT => Some("Protocol not available"),
        libc::ENOMEM => Some("Memory allocation problem"),
        libc::EOPNOTSUPP => Some("Operation not supported with IPv6"),
        libc::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
        libc::EMSGSIZE => Some("Module is wrong version"),
        _ => None,
    };
    match generic {
        Some(m) => m.to_string(),
        None => strerror(errno),
    }
}

/// The message for a failed request.
pub fn for_error(context: Context, e: &Error) -> String {
    message(context, e.errno())
}

/// The message of a save that found the service table (or a service's real servers) torn
/// by concurrent changes on every read (D12).
pub fn torn(reads: usize) -> String {
    format!("{}: save stopped", kept_changing(reads))
}

/// The message of a whole-table read (metrics) that found the table torn by concurrent
/// changes on every read.
pub fn kept_changing(reads: usize) -> String {
    format!("The service table changed while it was being read, {reads} times in a row")
}

/// The C library's text for an errno.
pub fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: ChangeKind) -> Context {
        Context::Change(kind)
    }

    #[test]
    fn specific_then_generic_then_strerror() {
        assert_eq!(
            message(change(ChangeKind::AddService), libc::EEXIST),
            "Service already exists"
        );
        assert_eq!(
            message(change(ChangeKind::EditDest), libc::ESRCH),
            "Service not defined"
        );
        assert_eq!(
            message(change(ChangeKind::DeleteService), libc::ENOENT),
            "No such file or directory"
        );
        assert_eq!(
            message(change(ChangeKind::AddDest), libc::EINVAL),
            "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        );
        assert_eq!(
            message(change(ChangeKind::AddDest), libc::ERANGE),
            "Numerical result out of range"
        );
        assert_eq!(
            message(change(ChangeKind::StartDaemon), libc::ENODEV),
            "No such device"
        );
        assert_eq!(message(Context::List, libc::ESRCH), "No such service");
        assert_eq!(
            message(change(ChangeKind::Flush), libc::ESRCH),
            "No such process"
        );
        // A code no errno table knows (the kernel's i32::MIN, passed on as it is).
        assert_eq!(
            message(change(ChangeKind::Flush), i32::MIN),
            "Unknown error -2147483648"
        );
    }
}
