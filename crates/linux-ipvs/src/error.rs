//! The crate's error type: what can go wrong talking to the kernel's IPVS, from the socket
//! to the kernel's refusals, with the errno each stands for and the questions a caller
//! asks of it (`is_not_found`, `is_exists`). It reads like the system's own errors and
//! carries no command's wording.

use nix::libc;

use crate::client::BatchError;

/// What can go wrong talking to the kernel's IPVS. More kinds may come in later versions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket call failed.
    #[error(transparent)]
    Io(std::io::Error),
    /// The kernel answered with an error; it reads as the system's text for the errno
    /// (`File exists (os error 17)`), then the kernel's own message if it gave one.
    #[error("{}{}", std::io::Error::from_raw_os_error(*.errno), .ext_ack.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kernel {
        /// Positive errno value.
        errno: i32,
        /// The kernel's extended-ACK message, if it gave one.
        ext_ack: Option<String>,
    },
    /// A reply did not parse.
    #[error("malformed netlink message: {0}")]
    Malformed(&'static str),
    /// The generic-netlink family is not registered (module not loaded, or not built).
    #[error("generic netlink family {0} not found")]
    FamilyNotFound(String),
    /// Every read of a table was torn by concurrent changes (a service missing or repeated,
    /// or two reads in a row that disagreed), as many times as the caller allowed.
    #[error("the table changed during each of {reads} reads")]
    Torn {
        /// How many reads were made.
        reads: usize,
    },
    /// A network namespace could not be opened or joined.
    #[error("network namespace {}: cannot {}: {source}", .path.display(), if *.joining { "join it" } else { "open it" })]
    Netns {
        /// The namespace's file (`/run/netns/NAME`, `/proc/PID/ns/net`, ...).
        path: std::path::PathBuf,
        /// Whether it was joining that failed (else opening its file).
        joining: bool,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The kernel did not answer within the receive timeout
    /// ([`Client::set_timeout`](crate::Client::set_timeout)). What the request was
    /// answered with is unknown (a change may have been made).
    #[error("no reply from the kernel within the receive timeout")]
    Timeout,
    /// A request would hold an attribute longer than netlink's 16-bit length field allows
    /// (a name or an unknown attribute of the model too long, or too many in one nest): it
    /// was not sent.
    #[error("netlink attribute of {0} bytes is too long")]
    TooLong(usize),
    /// A failure of the socket cut a batch of changes short: the error, and what became of
    /// each change (applied, refused, unknown, not sent).
    #[error(transparent)]
    Batch(Box<BatchError>),
}

impl Error {
    /// Makes a [`Error::Malformed`] only when called: `value.ok_or_else(Error::malformed(
    /// "..."))`. An error made in advance (`ok_or(Error::Malformed(...))`) is dropped on
    /// every success, a call into its drop code for each attribute of every message of a
    /// dump: at 10,000 services x 4 the most frequent call of a read.
    pub(crate) fn malformed(what: &'static str) -> impl FnOnce() -> Error {
        move || Error::Malformed(what)
    }

    /// Whether the kernel refused because what the request names is not there: a service
    /// (`ESRCH`), a real server or a sync daemon (`ENOENT`).
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client, Family, ServiceKey};
    ///
    /// let gone = ServiceKey::Fwmark { family: Family::Inet, mark: 404 };
    /// match Client::open()?.apply(&Change::DeleteService(gone)) {
    ///     Err(e) if e.is_not_found() => {} // deleted already: nothing to do
    ///     other => other?,
    /// }
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Kernel { errno, .. } if *errno == libc::ESRCH || *errno == libc::ENOENT)
    }

    /// Whether the kernel refused because what the request adds is there already
    /// (`EEXIST`): a service, a real server, a sync daemon.
    pub fn is_exists(&self) -> bool {
        matches!(self, Error::Kernel { errno, .. } if *errno == libc::EEXIST)
    }

    /// The errno this error stands for: the kernel's or the socket's own; `EINVAL` for a
    /// reply that made no sense, `ENOPROTOOPT` for a kernel without IPVS, `EAGAIN` for a
    /// table that kept changing while it was read, `ETIMEDOUT` for a reply that did not
    /// come, `EMSGSIZE` for a request too long to send; for a batch cut short, its cause's.
    pub fn errno(&self) -> i32 {
        match self {
            Error::Kernel { errno, .. } => *errno,
            Error::Io(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
            Error::Malformed(_) => libc::EINVAL,
            Error::FamilyNotFound(_) => libc::ENOPROTOOPT,
            Error::Torn { .. } => libc::EAGAIN,
            Error::Netns { source, .. } => source.raw_os_error().unwrap_or(libc::EINVAL),
            Error::TooLong(_) => libc::EMSGSIZE,
            Error::Timeout => libc::ETIMEDOUT,
            Error::Batch(b) => b.error().errno(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_errors_read_like_the_systems_and_say_what_they_are() {
        let exists = Error::Kernel {
            errno: libc::EEXIST,
            ext_ack: None,
        };
        assert_eq!(exists.to_string(), "File exists (os error 17)");
        assert!(exists.is_exists() && !exists.is_not_found());
        let gone = Error::Kernel {
            errno: libc::ESRCH,
            ext_ack: Some("no such service".into()),
        };
        assert_eq!(
            gone.to_string(),
            "No such process (os error 3): no such service"
        );
        assert!(gone.is_not_found() && !gone.is_exists());
        let no_dest = Error::Kernel {
            errno: libc::ENOENT,
            ext_ack: None,
        };
        assert!(no_dest.is_not_found());
        let io = Error::Io(std::io::Error::from_raw_os_error(libc::EPERM));
        assert_eq!(io.to_string(), "Operation not permitted (os error 1)");
        assert!(!io.is_not_found() && !io.is_exists());
    }
}
