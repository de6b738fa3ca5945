//! The small listings: protocol timeouts (`-L --timeout`) and the connection-synchronisation
//! daemons (`-L --daemon`).

use super::text::{ntop, w};
use crate::vocab;
use linux_ipvs::{Daemon, DaemonState, Timeouts};

/// `Timeout (tcp tcpfin udp): <tcp> <tcpfin> <udp>`, each printed as a signed int.
pub fn write_timeouts(out: &mut Vec<u8>, t: &Timeouts) {
    w!(
        out,
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp as i32,
        t.tcp_fin as i32,
        t.udp as i32
    );
}

/// One line per running daemon, masters first then backups (each group in the given order):
/// `<state> sync daemon (mcast=<ifn>, syncid=<id>[, maxlen=N][, group=A][, port=N][, ttl=N])`.
/// maxlen, port and ttl are shown when known and non-zero, the group whenever known.
pub fn write_daemons(out: &mut Vec<u8>, daemons: &[Daemon]) {
    for state in [DaemonState::Master, DaemonState::Backup] {
        for d in daemons.iter().filter(|d| d.state == state) {
            w!(
                out,
                "{} sync daemon (mcast={}, syncid={}",
                vocab::daemon_state_word(state),
                d.mcast_ifn,
                d.syncid as i32
            );
            if let Some(m) = d.sync_maxlen.filter(|&m| m != 0) {
                w!(out, ", maxlen={m}");
            }
            if let Some(g) = &d.mcast_group {
                out.extend_from_slice(b", group=");
                ntop(out, g);
            }
            if let Some(p) = d.mcast_port.filter(|&p| p != 0) {
                w!(out, ", port={p}");
            }
            if let Some(t) = d.mcast_ttl.filter(|&t| t != 0) {
                w!(out, ", ttl={t}");
            }
            out.extend_from_slice(b")\n");
        }
    }
}
