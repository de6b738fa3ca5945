//! The messages ipvsadm prints for kernel errors: a few are specific to the command that
//! failed, then come generic texts for common errno values, then the C library's own text.

use nix::libc;

use crate::netlink::Error;

/// Which command a kernel error belongs to, for the command-specific messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `-A`.
    AddService,
    /// `-E`.
    EditService,
    /// `-D`.
    DeleteService,
    /// `-Z`.
    Zero,
    /// `-a`.
    AddDest,
    /// `-e`.
    EditDest,
    /// `-d`.
    DeleteDest,
    /// `--start-daemon`.
    StartDaemon,
    /// `--stop-daemon`.
    StopDaemon,
    /// Listings (`-L`).
    List,
    /// Anything else (`-C`, `--set`, start-up).
    Other,
}

/// The message for an errno raised by `op`.
pub fn message(op: Op, errno: i32) -> String {
    use Op::*;
    let specific = match (errno, op) {
        (libc::EEXIST, AddService) => Some("Service already exists"),
        (libc::EEXIST, AddDest) => Some("Destination already exists"),
        (libc::EEXIST, StartDaemon) => Some("Daemon has already run"),
        (libc::ENOENT, AddService | EditService) => {
            Some("Scheduler or persistence engine not found")
        }
        (libc::ENOENT, EditDest | DeleteDest) => Some("No such destination"),
        (libc::ESRCH, EditService | DeleteService | Zero | List) => Some("No such service"),
        (libc::ESRCH, AddDest | EditDest | DeleteDest) => Some("Service not defined"),
        (libc::ESRCH, StopDaemon) => Some("No daemon is running"),
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
pub fn for_error(op: Op, e: &Error) -> String {
    message(op, e.errno())
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

    #[test]
    fn specific_then_generic_then_strerror() {
        assert_eq!(
            message(Op::AddService, libc::EEXIST),
            "Service already exists"
        );
        assert_eq!(message(Op::EditDest, libc::ESRCH), "Service not defined");
        assert_eq!(
            message(Op::DeleteService, libc::ENOENT),
            "No such file or directory"
        );
        assert_eq!(
            message(Op::AddDest, libc::EINVAL),
            "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        );
        assert_eq!(
            message(Op::AddDest, libc::ERANGE),
            "Numerical result out of range"
        );
        assert_eq!(message(Op::StartDaemon, libc::ENODEV), "No such device");
    }
}
