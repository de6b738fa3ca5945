//! Golden-byte tests of the codec: netlink traffic captured from the real kernel (nlmon in
//! the test VM, the repository's `tests/vm/capture.sh`) while the reference ipvsadm ran,
//! kept in this crate's `golden/` folder. Every captured IPVS message is decoded and encoded
//! again, and the bytes must come back identical: requests in ipvsadm's style, replies in the
//! kernel's. Each file also gets checks on decoded values.

use std::fs;
use std::net::IpAddr;
use std::path::Path;

use super::{Style, config, daemon, dest, service};
use crate::consts::*;
use crate::model::{Daemon, DaemonState, Dest, Family, Service, ServiceKey, TunnelType};
use crate::netlink::attr::{AttrWriter, Attrs};
use crate::netlink::msg::{Messages, Reply};

/// One captured message: `true` when it went to the kernel.
struct Captured {
    to_kernel: bool,
    bytes: Vec<u8>,
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn load(name: &str) -> Vec<Captured> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| {
            if let Some(h) = l.strip_prefix("> ") {
                Some(Captured {
                    to_kernel: true,
                    bytes: hex(h),
                })
            } else {
                l.strip_prefix("< ").map(|h| Captured {
                    to_kernel: false,
                    bytes: hex(h),
                })
            }
        })
        .collect()
}

/// What the codec made of one IPVS message.
#[derive(Default, Debug)]
struct Decoded {
    services: Vec<Service>,
    dests: Vec<Dest>,
    daemons: Vec<Daemon>,
    errno: Option<i32>,
    other: Vec<u8>,
}

/// Decodes an IPVS message's attributes and encodes them again; returns the re-encoding.
fn roundtrip(cmd: u8, attrs: &[u8], to_kernel: bool, out: &mut Decoded) -> Vec<u8> {
    let style = if to_kernel {
        Style::Request
    } else {
        Style::Reply
    };
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    if cmd == IPVS_CMD_SET_INFO && !to_kernel {
        let i = config::decode_info(attrs).expect("info");
        config::encode_info(&mut w, &i);
        out.other.push(cmd);
        return buf;
    }
    if cmd == IPVS_CMD_SET_CONFIG || cmd == IPVS_CMD_GET_CONFIG {
        if !attrs.is_empty() {
            let t = config::decode_timeouts(attrs).expect("timeouts");
            config::encode_timeouts(&mut w, &t);
        }
        return buf;
    }
    let mut family = Family::Inet;
    for a in Attrs::new(attrs) {
        let a = a.expect("attribute");
        match a.kind {
            IPVS_CMD_ATTR_SERVICE => {
                let s = service::decode_key_or_full(a.payload).expect("service");
                family = s.0.key.family();
                if s.1 {
                    service::encode(&mut w, &s.0, style);
                } else {
                    service::encode_key_only(&mut w, &s.0.key);
                }
                out.services.push(s.0);
            }
            IPVS_CMD_ATTR_DEST => {
                let d = dest::decode(a.payload, family).expect("dest");
                dest::encode(&mut w, &d, style);
                out.dests.push(d);
            }
            IPVS_CMD_ATTR_DAEMON => {
                let d = daemon::decode(a.payload).expect("daemon");
                daemon::encode(&mut w, &d, style);
                out.daemons.push(d);
            }
            other => panic!("unexpected top-level attribute {other} in command {cmd}"),
        }
    }
    buf
}

/// Checks every IPVS message of a capture in both directions and returns what was decoded.
fn check(name: &str) -> Decoded {
    let mut out = Decoded::default();
    let caps = load(name);
    assert!(!caps.is_empty(), "{name}: no messages");
    let mut ipvs_messages = 0;
    for c in &caps {
        for m in Messages::new(&c.bytes) {
            let m = m.expect("message");
            if m.kind == 0x10 {
                continue; // nlctrl: the family lookup
            }
            match m.reply().expect("reply") {
                Reply::Data { cmd, attrs, .. } => {
                    ipvs_messages += 1;
                    let again = roundtrip(cmd, attrs, c.to_kernel, &mut out);
                    assert_eq!(
                        hexs(&again),
                        hexs(attrs),
                        "{name}: command {cmd} ({}) did not round-trip",
                        if c.to_kernel { "request" } else { "reply" }
                    );
                }
                Reply::Error { errno, .. } => out.errno = Some(errno),
                _ => {}
            }
        }
    }
    assert!(ipvs_messages > 0, "{name}: no IPVS messages");
    out
}

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn every_capture_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut n = 0;
    for e in fs::read_dir(&dir).expect("golden") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "txt") {
            check(p.file_name().and_then(|f| f.to_str()).expect("name"));
            n += 1;
        }
    }
    assert!(n >= 8, "expected the captures in golden/, found {n}");
}

#[test]
fn decoded_values_of_kernel_replies() {
    // Start-up: GET_INFO answers version 1.2.1 and a 4096-entry table.
    let caps = load("startup-list-empty.txt");
    let info = caps
        .iter()
        .filter(|c| !c.to_kernel)
        .flat_map(|c| {
            Messages::new(&c.bytes)
                .map(|m| m.expect("msg"))
                .collect::<Vec<_>>()
        })
        .find_map(|m| match m.reply().expect("reply") {
            Reply::Data {
                cmd: IPVS_CMD_SET_INFO,
                attrs,
                ..
            } => Some(config::decode_info(attrs).expect("info")),
            _ => None,
        })
        .expect("info reply");
    assert_eq!(info.version, 0x0001_0201);
    assert_eq!(info.conn_tab_size, 4096);

    // A missing service is ESRCH.
    assert_eq!(
        check("delete-service-missing.txt").errno,
        Some(libc_esrch())
    );

    // The daemon listing reports the master started on lo with sync id 5.
    let d = check("list-daemon.txt");
    let master = d
        .daemons
        .iter()
        .find(|d| d.state == DaemonState::Master)
        .expect("master");
    assert_eq!(master.mcast_ifn, "lo");
    assert_eq!(master.syncid, 5);

    // The full listing decodes the tcp service with its persistence and the tunnel server.
    let l = check("list-numeric.txt");
    let svc = l
        .services
        .iter()
        .find(|s| matches!(s.key, ServiceKey::Addr { port: 80, .. }) && !s.scheduler.is_empty())
        .expect("tcp service in listing");
    assert!(svc.stats.is_some(), "kernel replies carry counters");
    let gue = l.dests.iter().find(|d| d.tun_type == TunnelType::Gue);
    if let Some(g) = gue {
        assert_eq!(g.tun_port, 6080);
        assert_eq!(g.addr, "198.51.100.3".parse::<IpAddr>().unwrap());
    }
}

fn libc_esrch() -> i32 {
    nix::libc::ESRCH
}
