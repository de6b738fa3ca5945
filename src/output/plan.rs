//! A plan (`ipvsadm-restore --apply --dry-run`) as restore lines: each change of the
//! service table written in the syntax `ipvsadm -R` reads, addresses and ports as numbers,
//! so that a plan can be reviewed, kept and replayed. Adds and edits are the save format's
//! `-A`/`-a` lines with the edit command (`-E`/`-e`) in their place; removals name only what
//! they remove (`-D` with the service, `-d` with the real server too). Timeouts and sync
//! daemons are `--set`, `--start-daemon` (the parameters it was given, or the kernel
//! reported) and `--stop-daemon` lines.

use std::io::Write;

use linux_ipvs::{Change, DaemonState, Protocol, ServiceKey};

use super::save::{dest_line, selector, service_line};
use super::text::endpoint;
use crate::names::Names;

/// Appends the restore line of one change of the service table, the timeouts or the sync
/// daemons (what a plan holds). Zeroing writes nothing.
pub fn write_change(out: &mut Vec<u8>, change: &Change, names: &dyn Names) {
    let mut sel = Vec::with_capacity(80);
    let service = |sel: &mut Vec<u8>, k: &ServiceKey| selector(sel, k, true, names);
    let start = out.len();
    match change {
        Change::AddService(s) | Change::EditService(s) => {
            service(&mut sel, &s.key);
            service_line(out, s, &sel);
        }
        Change::AddDest(k, d) | Change::EditDest(k, d) => {
            service(&mut sel, k);
            let proto = k.protocol().and_then(Protocol::name);
            dest_line(out, d, &sel, proto, true, names);
        }
        Change::DeleteService(k) => {
            service(&mut sel, k);
            out.extend_from_slice(b"-D ");
            out.extend_from_slice(&sel);
            out.push(b'\n');
        }
        Change::DeleteDest(k, d) => {
            service(&mut sel, k);
            out.extend_from_slice(b"-d ");
            out.extend_from_slice(&sel);
            out.extend_from_slice(b" -r ");
            let proto = k.protocol().and_then(Protocol::name);
            endpoint(out, &d.addr, d.port, proto, true, names);
            out.push(b'\n');
        }
        Change::Flush => out.extend_from_slice(b"-C\n"),
        Change::SetTimeouts(t) => {
            let _ = writeln!(out, "--set {} {} {}", t.tcp, t.tcp_fin, t.udp);
        }
        Change::StartDaemon(d) => {
            out.extend_from_slice(b"--start-daemon ");
            out.extend_from_slice(role(d.state));
            out.extend_from_slice(b" --mcast-interface ");
            out.extend_from_slice(d.mcast_ifn.as_bytes());
            let _ = write!(out, " --syncid {}", d.syncid);
            if let Some(n) = d.sync_maxlen {
                let _ = write!(out, " --sync-maxlen {n}");
            }
            if let Some(g) = d.mcast_group {
                let _ = write!(out, " --mcast-group {g}");
            }
            if let Some(p) = d.mcast_port {
                let _ = write!(out, " --mcast-port {p}");
            }
            if let Some(t) = d.mcast_ttl {
                let _ = write!(out, " --mcast-ttl {t}");
            }
            out.push(b'\n');
        }
        Change::StopDaemon(d) => {
            out.extend_from_slice(b"--stop-daemon ");
            out.extend_from_slice(role(d.state));
            out.push(b'\n');
        }
        // Kinds a plan never holds.
        Change::Zero(_) => {}
        _ => {}
    }
    // The save format's lines start with the add command; an edit is the same line with the
    // edit command.
    if let Change::EditService(_) | Change::EditDest(..) = change {
        debug_assert!(out[start..].starts_with(b"-A ") || out[start..].starts_with(b"-a "));
        out[start + 1] = if matches!(change, Change::EditService(_)) {
            b'E'
        } else {
            b'e'
        };
    }
}

/// `master` or `backup`, as the daemon options spell them.
fn role(state: DaemonState) -> &'static [u8] {
    match state {
        DaemonState::Master => b"master",
        DaemonState::Backup => b"backup",
    }
}

/// Appends the restore lines of a list of changes, in order.
pub fn write_plan(out: &mut Vec<u8>, changes: &[Change], names: &dyn Names) {
    for c in changes {
        write_change(out, c, names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{self, Action};
    use crate::names::StaticNames;
    use linux_ipvs::flags::{IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED1};
    use linux_ipvs::{Dest, Family, Forward, Service, TunnelType};

    fn text(c: &Change) -> String {
        let mut out = Vec::new();
        write_change(&mut out, c, &StaticNames::default());
        String::from_utf8(out).unwrap()
    }

    /// The change the parser makes of a written line.
    fn parsed(line: &str) -> Change {
        let mut argv: Vec<&[u8]> = vec![b"ipvsadm"];
        argv.extend(cli::restore_words(line.as_bytes()));
        match cli::parse_words(&argv, &StaticNames::default()).map(|p| p.action) {
            Ok(Action::Change(c)) => c,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn services() -> Vec<Service> {
        let mut sh = Service::with_scheduler(
            ServiceKey::Addr {
                protocol: linux_ipvs::Protocol::Sctp,
                addr: "2001:db8::1".parse().unwrap(),
                port: 0,
            },
            linux_ipvs::Name::truncated(b"sh"),
        );
        sh.flags =
            linux_ipvs::ServiceFlags::from_bits_retain(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED1);
        sh.timeout = 60;
        sh.netmask = linux_ipvs::Netmask::from_raw(64);
        let mut fw = Service::new(ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 4_000_000_000,
        });
        fw.pe_name = Some(linux_ipvs::Name::truncated(b"sip"));
        fw.flags = linux_ipvs::ServiceFlags::PERSISTENT;
        fw.timeout = 300;
        fw.netmask = linux_ipvs::Netmask::from_raw(128);
        let tcp = Service::with_scheduler(
            ServiceKey::Addr {
                protocol: linux_ipvs::Protocol::Tcp,
                addr: "192.0.2.1".parse().unwrap(),
                port: 80,
            },
            linux_ipvs::Name::truncated(b"rr"),
        );
        vec![sh, fw, tcp]
    }

    #[test]
    fn every_line_parses_back_to_its_change() {
        let mut tunnel = Dest::new("2001:db8::9".parse().unwrap(), 0);
        tunnel.forward = Forward::Tunnel;
        tunnel.tun_type = TunnelType::Gue;
        tunnel.tun_port = 6080;
        tunnel.tun_flags = linux_ipvs::TunnelFlags::CSUM;
        tunnel.weight = 0;
        tunnel.u_threshold = 10;
        tunnel.l_threshold = 5;
        for svc in services() {
            let mut masq = Dest::new("198.51.100.2".parse().unwrap(), 8080);
            masq.forward = Forward::Masq;
            masq.weight = 3;
            if svc.key.family() == Family::Inet6 {
                masq.addr = "2001:db8::2".parse().unwrap();
            }
            let mut tun = tunnel.clone();
            tun.port = svc.key.port();
            for c in [
                Change::AddService(svc.clone()),
                Change::EditService(svc.clone()),
                Change::DeleteService(svc.key),
                Change::AddDest(svc.key, masq.clone()),
                Change::EditDest(svc.key, tun.clone()),
                Change::DeleteDest(svc.key, masq.key()),
            ] {
                let line = text(&c);
                assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
                let back = parsed(&line);
                assert_eq!(back.kind(), c.kind(), "{line}");
                match (&c, &back) {
                    (Change::AddService(a), Change::AddService(b))
                    | (Change::EditService(a), Change::EditService(b)) => {
                        assert_eq!(a, b, "{line}")
                    }
                    (Change::DeleteService(a), Change::DeleteService(b)) => {
                        assert_eq!(a, b, "{line}")
                    }
                    (Change::AddDest(s, d), Change::AddDest(t, e))
                    | (Change::EditDest(s, d), Change::EditDest(t, e)) => {
                        assert_eq!((s, d), (t, e), "{line}")
                    }
                    (Change::DeleteDest(s, d), Change::DeleteDest(t, e)) => {
                        assert_eq!((s, d), (t, e), "{line}")
                    }
                    _ => unreachable!(),
                }
            }
        }
    }

    #[test]
    fn timeouts_and_daemons_parse_back_to_their_change() {
        use linux_ipvs::{Daemon, Name, Timeouts};
        let plain = Daemon::new(DaemonState::Master, Name::truncated(b"eth1"), 7);
        let mut full = Daemon::new(DaemonState::Backup, Name::truncated(b"v0"), 5);
        full.sync_maxlen = Some(1024);
        full.mcast_group = Some("ff02::1234".parse().unwrap());
        full.mcast_port = Some(9000);
        full.mcast_ttl = Some(5);
        let set = Change::SetTimeouts(Timeouts::new(900, 0, 300));
        assert_eq!(text(&set), "--set 900 0 300\n");
        assert_eq!(parsed(&text(&set)), set);
        assert_eq!(
            text(&Change::StartDaemon(plain.clone())),
            "--start-daemon master --mcast-interface eth1 --syncid 7\n"
        );
        assert_eq!(
            text(&Change::StartDaemon(full.clone())),
            "--start-daemon backup --mcast-interface v0 --syncid 5 --sync-maxlen 1024 --mcast-group ff02::1234 --mcast-port 9000 --mcast-ttl 5\n"
        );
        for d in [plain, full] {
            let start = Change::StartDaemon(d.clone());
            assert_eq!(parsed(&text(&start)), start);
            let stop = text(&Change::StopDaemon(d.clone()));
            assert_eq!(
                parsed(&stop),
                Change::StopDaemon(Daemon::new(d.state, Name::EMPTY, 0))
            );
        }
    }

    #[test]
    fn a_plan_reads_like_a_rules_file() {
        let [_, _, tcp] = <[Service; 3]>::try_from(services()).unwrap();
        let mut d = Dest::new("198.51.100.2".parse().unwrap(), 80);
        d.forward = Forward::Masq;
        let mut out = Vec::new();
        write_plan(
            &mut out,
            &[
                Change::AddService(tcp.clone()),
                Change::AddDest(tcp.key, d.clone()),
                Change::EditDest(tcp.key, {
                    let mut drained = d.clone();
                    drained.weight = 0;
                    drained
                }),
                Change::DeleteDest(tcp.key, d.key()),
                Change::DeleteService(tcp.key),
            ],
            &StaticNames::default(),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-A -t 192.0.2.1:80 -s rr\n\
             -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1\n\
             -e -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 0\n\
             -d -t 192.0.2.1:80 -r 198.51.100.2:80\n\
             -D -t 192.0.2.1:80\n"
        );
    }
}
