//! Network namespaces: IPVS state is per namespace, and a netlink socket belongs to the
//! namespace of the thread that opened it, for as long as it lives. So a client for another
//! namespace is opened by a thread that has joined it ([`crate::Client::open_in`], which
//! leaves the caller's thread where it was), and a program that wants everything it does to
//! happen in another namespace, as `ip -n` does, moves its own thread ([`join`]).

use std::fs::File;
use std::path::{Path, PathBuf};

use nix::sched::{CloneFlags, setns};

use crate::error::Error;

/// The file of a namespace given by name or path: a name without `/` is one of `ip netns`
/// (`/run/netns/NAME`); anything else is a path (`/proc/PID/ns/net`, a bind mount).
pub fn path_of(name_or_path: &Path) -> PathBuf {
    let text = name_or_path.as_os_str().as_encoded_bytes();
    if text.contains(&b'/') {
        name_or_path.to_path_buf()
    } else {
        Path::new("/run/netns").join(name_or_path)
    }
}

/// Opens a namespace's file.
pub(crate) fn open(path: &Path) -> Result<File, Error> {
    File::open(path).map_err(|source| Error::Netns {
        path: path.to_path_buf(),
        joining: false,
        source,
    })
}

/// Moves the calling thread into a namespace (given by name or path, see [`path_of`]), for
/// good: sockets it opens afterwards, and files under `/proc/net` it reads, are that
/// namespace's. Needs `CAP_SYS_ADMIN`. On failure nothing has changed.
///
/// ```no_run
/// linux_ipvs::netns::join("blue".as_ref())?;
/// let services = linux_ipvs::Client::open()?.services()?; // blue's services
/// # Ok::<(), linux_ipvs::Error>(())
/// ```
pub fn join(name_or_path: &Path) -> Result<(), Error> {
    let path = path_of(name_or_path);
    let file = open(&path)?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| Error::Netns {
        path,
        joining: true,
        source: std::io::Error::from(e),
    })
}
