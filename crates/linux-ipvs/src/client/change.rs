//! The changes a client can make to the kernel's IPVS state, as values ([`Change`]), what
//! each one does without its values ([`ChangeKind`]), and how each is written as a request
//! (its generic-netlink command and attributes).

use crate::codec::{Style, config, daemon, dest, service};
use crate::consts::*;
use crate::model::{Daemon, Dest, DestKey, Name, Service, ServiceKey, Timeouts};
use crate::netlink::attr::AttrWriter;

/// One change to the kernel's IPVS state. More kinds may come with the kernel's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Add a virtual service (`-A`).
    AddService(Service),
    /// Replace a virtual service's settings (`-E`).
    EditService(Service),
    /// Delete a virtual service and its real servers (`-D`).
    DeleteService(ServiceKey),
    /// Add a real server to a service (`-a`).
    AddDest(ServiceKey, Dest),
    /// Replace a real server's settings (`-e`).
    EditDest(ServiceKey, Dest),
    /// Remove a real server (`-d`).
    DeleteDest(ServiceKey, DestKey),
    /// Zero the counters of one service, or of all (`-Z`).
    Zero(Option<ServiceKey>),
    /// Delete every service (`-C`).
    Flush,
    /// Set protocol timeouts (`--set`).
    SetTimeouts(Timeouts),
    /// Start a sync daemon (`--start-daemon`).
    StartDaemon(Daemon),
    /// Stop a sync daemon (`--stop-daemon`).
    StopDaemon(Daemon),
}

/// What a [`Change`] does, without its values: for wording a message about an outcome,
/// counting or logging changes that have already been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// [`Change::AddService`].
    AddService,
    /// [`Change::EditService`].
    EditService,
    /// [`Change::DeleteService`].
    DeleteService,
    /// [`Change::AddDest`].
    AddDest,
    /// [`Change::EditDest`].
    EditDest,
    /// [`Change::DeleteDest`].
    DeleteDest,
    /// [`Change::Zero`].
    Zero,
    /// [`Change::Flush`].
    Flush,
    /// [`Change::SetTimeouts`].
    SetTimeouts,
    /// [`Change::StartDaemon`].
    StartDaemon,
    /// [`Change::StopDaemon`].
    StopDaemon,
}

impl ChangeKind {
    /// The generic-netlink command that carries a change of this kind.
    pub(super) fn cmd(self) -> u8 {
        match self {
            ChangeKind::AddService => IPVS_CMD_NEW_SERVICE,
            ChangeKind::EditService => IPVS_CMD_SET_SERVICE,
            ChangeKind::DeleteService => IPVS_CMD_DEL_SERVICE,
            ChangeKind::AddDest => IPVS_CMD_NEW_DEST,
            ChangeKind::EditDest => IPVS_CMD_SET_DEST,
            ChangeKind::DeleteDest => IPVS_CMD_DEL_DEST,
            ChangeKind::Zero => IPVS_CMD_ZERO,
            ChangeKind::Flush => IPVS_CMD_FLUSH,
            ChangeKind::SetTimeouts => IPVS_CMD_SET_CONFIG,
            ChangeKind::StartDaemon => IPVS_CMD_NEW_DAEMON,
            ChangeKind::StopDaemon => IPVS_CMD_DEL_DAEMON,
        }
    }
}

impl Change {
    /// What this change does.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::AddService(_) => ChangeKind::AddService,
            Change::EditService(_) => ChangeKind::EditService,
            Change::DeleteService(_) => ChangeKind::DeleteService,
            Change::AddDest(..) => ChangeKind::AddDest,
            Change::EditDest(..) => ChangeKind::EditDest,
            Change::DeleteDest(..) => ChangeKind::DeleteDest,
            Change::Zero(_) => ChangeKind::Zero,
            Change::Flush => ChangeKind::Flush,
            Change::SetTimeouts(_) => ChangeKind::SetTimeouts,
            Change::StartDaemon(_) => ChangeKind::StartDaemon,
            Change::StopDaemon(_) => ChangeKind::StopDaemon,
        }
    }

    /// Writes the request's attributes.
    pub(crate) fn encode(&self, w: &mut AttrWriter<'_>) {
        match self {
            Change::AddService(s) | Change::EditService(s) => service::encode(w, s, Style::Request),
            // The kernel reads only the key of a service it does not add or edit, and of a
            // real server it removes; the rest is written with neutral values, as ipvsadm
            // writes it (so that our requests are ipvsadm's, byte for byte).
            Change::DeleteService(k) | Change::Zero(Some(k)) => {
                service::encode(w, &key_only(k), Style::Request)
            }
            Change::AddDest(k, d) | Change::EditDest(k, d) => {
                service::encode(w, &key_only(k), Style::Request);
                dest::encode(w, d, Style::Request);
            }
            Change::DeleteDest(k, d) => {
                service::encode(w, &key_only(k), Style::Request);
                dest::encode(w, &Dest::new(d.addr, d.port), Style::Request);
            }
            Change::Zero(None) | Change::Flush => {}
            Change::SetTimeouts(t) => config::encode_timeouts(w, t),
            Change::StartDaemon(d) | Change::StopDaemon(d) => daemon::encode(w, d, Style::Request),
        }
    }
}

/// A service named by its key alone: no scheduler, no flags, the family's full netmask.
fn key_only(key: &ServiceKey) -> Service {
    Service::with_scheduler(*key, Name::EMPTY)
}
