//! The lock of `ipvsadm-restore --apply`: one applier at a time per network namespace, for
//! the whole read-plan-apply cycle (a reload from systemd, an Ansible run and an operator
//! can meet on one director; two plans made from the same read and applied together would
//! leave a mix of both files). As `iptables -w` waits for the xtables lock, an apply waits
//! for the lock a bounded time ([`DEFAULT_WAIT`], or `--wait SECONDS`), then gives up naming
//! the holder's PID. The lock is an exclusive `flock(2)` on
//! `/run/ipvsadm-apply.NETNS.lock` (NETNS: the inode of the namespace, the number `ip netns
//! identify` and `ls -L /proc/PID/ns/net` show), which the kernel releases when the holder
//! exits, however it exits; the holder writes its PID into the file.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// How long an apply waits for the lock without `--wait`.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How often a waiting apply tries the lock again.
const RETRY: Duration = Duration::from_millis(50);

/// The lock, held until dropped.
#[derive(Debug)]
pub struct Held {
    _lock: Flock<File>,
}

/// Why the lock was not taken.
#[derive(Debug)]
pub enum Refused {
    /// Another apply held it for the whole wait.
    Busy {
        /// The lock file.
        path: PathBuf,
        /// The holder, as it wrote itself into the file (none if it had not yet).
        pid: Option<u32>,
    },
    /// The lock file could not be made or locked.
    Io {
        /// The lock file (or the namespace file when that could not be read).
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// The lock file of the calling thread's network namespace.
pub fn path() -> Result<PathBuf, Refused> {
    let ns = PathBuf::from("/proc/thread-self/ns/net");
    match std::fs::metadata(&ns) {
        Ok(m) => Ok(PathBuf::from(format!(
            "/run/ipvsadm-apply.{}.lock",
            m.ino()
        ))),
        Err(error) => Err(Refused::Io { path: ns, error }),
    }
}

/// Takes the lock of this network namespace, waiting at most `wait` for another holder.
pub fn take(wait: Duration) -> Result<Held, Refused> {
    let path = path()?;
    let io = |error| Refused::Io {
        path: path.clone(),
        error,
    };
    let deadline = Instant::now() + wait;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut lock) => {
                lock.set_len(0).map_err(io)?;
                lock.rewind().map_err(io)?;
                writeln!(lock, "{}", std::process::id()).map_err(io)?;
                return Ok(Held { _lock: lock });
            }
            Err((f, Errno::EWOULDBLOCK)) => file = f,
            Err((_, errno)) => return Err(io(errno.into())),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Refused::Busy {
                pid: holder(&mut file),
                path,
            });
        }
        std::thread::sleep(RETRY.min(deadline - now));
    }
}

/// The PID the holder wrote into the lock file.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
