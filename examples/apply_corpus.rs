//! The corpus of `tests/apply/run.sh`: pairs of rules files (the table before, the table
//! wanted) for `ipvsadm-restore --apply`, in the save format (`ipvsadm -Sn`), generated
//! from a seed. Every field the save format carries varies: schedulers and their flags,
//! persistence with its timeout and netmask, the SIP persistence engine, one-packet
//! scheduling, TCP, UDP and SCTP services of both families and fwmark services of both,
//! real servers with each forwarding method, weights (0 included), thresholds, tunnel types,
//! ports and checksum settings, and real servers of the other family behind tunnels. Most
//! wanted tables are the first one edited (settings changed, services and real servers
//! added, removed, or moved to another port); some are unrelated, the same, or empty.
//!
//! About a fifth of the wanted files also name timeouts (`--set`) and sync daemons
//! (`--start-daemon` on the namespace's `d0`, master, backup or both, some with their own
//! port, TTL or group), which `--apply` converges on too. About a sixth of the other pairs
//! are scoped: `DIR/NNN.scope` holds the `--scope` terms that cover every generated
//! service, and the VM adds the services of `DIR/foreign.rules`, outside them, to the
//! current table: they must come out of the apply byte-identical.
//!
//! Every file is checked with the parser `--apply` uses (a file it refuses is generated
//! again), so the VM only meets files that are valid rules.
//!
//! Usage: `apply_corpus DIR [PAIRS [SEED]]` writes `DIR/NNN.cur`, `DIR/NNN.des`, some
//! `DIR/NNN.scope` and `DIR/foreign.rules` (default 240 pairs).

use std::net::IpAddr;

use ipvsadm::names::StaticNames;
use ipvsadm::output::{Snapshot, write_save};
use linux_ipvs::flags::{
    IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
    IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};
use linux_ipvs::{
    Dest, Family, Forward, Info, Netmask, Protocol, Service, ServiceFlags, ServiceKey, TunnelFlags,
    TunnelType,
};

/// A small xorshift generator: the corpus is the same for a seed on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

type Table = Vec<(Service, Vec<Dest>)>;

const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
];

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

fn v6(last: u16) -> IpAddr {
    IpAddr::from([0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, last])
}

fn service_key(r: &mut Rng) -> ServiceKey {
    let family = if r.chance(35) {
        Family::Inet6
    } else {
        Family::Inet
    };
    if r.chance(25) {
        return ServiceKey::Fwmark {
            family,
            mark: r.pick(&[1, 2, 7, 100, 4_000_000_000]),
        };
    }
    let addr = match family {
        Family::Inet => v4([192, 0, 2, 1 + r.below(4) as u8]),
        Family::Inet6 => IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1 + r.below(3) as u16]),
    };
    ServiceKey::Addr {
        protocol: r.pick(&[Protocol::Tcp, Protocol::Tcp, Protocol::Udp, Protocol::Sctp]),
        addr,
        port: r.pick(&[80, 443, 53, 8080]),
    }
}

/// New settings for a service (its key kept, port 0 only when persistent).
fn settings(r: &mut Rng, key: ServiceKey) -> Service {
    let sched = r.pick(SCHEDULERS);
    let mut s = Service::with_scheduler(key, linux_ipvs::Name::truncated(sched.as_bytes()));
    if matches!(sched, "sh" | "mh") {
        s.flags |= ServiceFlags::from_bits_retain(r.pick(&[
            0,
            IP_VS_SVC_F_SCHED1,
            IP_VS_SVC_F_SCHED2,
            IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2,
        ]));
    }
    let udp_or_mark = matches!(
        key,
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            ..
        } | ServiceKey::Fwmark { .. }
    );
    if r.chance(40) {
        s.flags |= ServiceFlags::PERSISTENT;
        s.timeout = r.pick(&[60, 300, 1800]);
        s.netmask = Netmask::from_raw(match key.family() {
            Family::Inet => u32::from_ne_bytes(r.pick(&[
                [255, 255, 255, 255],
                [255, 255, 255, 0],
                [255, 255, 0, 0],
            ])),
            Family::Inet6 => r.pick(&[128, 64, 48]),
        });
        if udp_or_mark && r.chance(30) {
            s.pe_name = Some(linux_ipvs::Name::truncated(b"sip"));
        }
    }
    if udp_or_mark && r.chance(50) {
        s.flags |= ServiceFlags::ONEPACKET;
    }
    s
}

fn with_port(key: ServiceKey, r: &mut Rng, persistent: bool) -> ServiceKey {
    match key {
        ServiceKey::Addr { protocol, addr, .. } => {
            let mut ports = vec![80, 443, 53, 8080];
            if persistent {
                ports.push(0);
            }
            ServiceKey::Addr {
                protocol,
                addr,
                port: r.pick(&ports),
            }
        }
        k => k,
    }
}

fn dest_addr(r: &mut Rng, family: Family) -> IpAddr {
    match family {
        Family::Inet => {
            if r.chance(70) {
                v4([198, 51, 100, 1 + r.below(6) as u8])
            } else {
                v4([203, 0, 113, 1 + r.below(4) as u8])
            }
        }
        Family::Inet6 => v6(1 + r.below(5) as u16),
    }
}

/// A real server for `svc`: its address, then settings that the parser and the kernel
/// accept for that service (see [`fit`]).
fn dest(r: &mut Rng, svc: &Service) -> Dest {
    let forward = r.pick(&[Forward::Masq, Forward::Route, Forward::Tunnel]);
    let family = if forward == Forward::Tunnel && r.chance(25) {
        match svc.key.family() {
            Family::Inet => Family::Inet6,
            Family::Inet6 => Family::Inet,
        }
    } else {
        svc.key.family()
    };
    let mut d = Dest::new(dest_addr(r, family), r.pick(&[80, 8080, 443, 0]));
    d.forward = forward;
    edit_dest(r, &mut d);
    fit(&mut d, svc);
    d
}

/// New settings for a real server (address and port kept).
fn edit_dest(r: &mut Rng, d: &mut Dest) {
    if r.chance(30) && d.family() == Family::of(&d.addr) {
        d.forward = r.pick(&[Forward::Masq, Forward::Route, Forward::Tunnel]);
    }
    d.weight = r.pick(&[0, 1, 1, 2, 3, 5, 100]);
    (d.u_threshold, d.l_threshold) = r.pick(&[(0, 0), (0, 0), (100, 0), (100, 50), (7, 7)]);
    let flags;
    (d.tun_type, d.tun_port, flags) = match r.below(5) {
        0 => (TunnelType::Gue, 6080, 0),
        1 => (TunnelType::Gue, 5555, IP_VS_TUNNEL_ENCAP_FLAG_CSUM),
        2 => (TunnelType::Gue, 6080, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM),
        3 => (
            TunnelType::Gre,
            0,
            r.pick(&[0, IP_VS_TUNNEL_ENCAP_FLAG_CSUM]),
        ),
        _ => (TunnelType::Ipip, 0, 0),
    };
    d.tun_flags = TunnelFlags::from_bits_retain(flags);
}

/// Makes a real server what the parser would make of it for `svc`: tunnel settings only
/// with tunnelling, the virtual port for direct routing and tunnelling of a non-fwmark
/// service, a port of its own otherwise (not 0 for a non-fwmark service), its family the
/// service's unless tunnelling.
fn fit(d: &mut Dest, svc: &Service) {
    if d.family() != svc.key.family() {
        d.forward = Forward::Tunnel;
    }
    if d.forward != Forward::Tunnel {
        (d.tun_type, d.tun_port, d.tun_flags) = (TunnelType::Ipip, 0, TunnelFlags::NOCSUM);
    }
    match svc.key {
        ServiceKey::Addr { port, .. } if d.forward != Forward::Masq => d.port = port,
        ServiceKey::Addr { port, .. } if d.port == 0 => d.port = if port == 0 { 80 } else { port },
        _ => {}
    }
}

/// Adds real servers to `dests` (none twice).
fn add_dests(r: &mut Rng, svc: &Service, dests: &mut Vec<Dest>, n: usize) {
    for _ in 0..n {
        let d = dest(r, svc);
        if !dests.iter().any(|x| x.addr == d.addr && x.port == d.port) {
            dests.push(d);
        }
    }
}

fn add_service(r: &mut Rng, t: &mut Table) {
    let key = service_key(r);
    let mut s = settings(r, key);
    s.key = with_port(key, r, s.is_persistent());
    if t.iter().any(|(x, _)| x.key == s.key) {
        return;
    }
    let mut dests = Vec::new();
    let n = r.below(5);
    add_dests(r, &s, &mut dests, n);
    t.push((s, dests));
}

fn table(r: &mut Rng) -> Table {
    let mut t = Vec::new();
    for _ in 0..1 + r.below(6) {
        add_service(r, &mut t);
    }
    t
}

/// The wanted table: `cur` edited.
fn edited(r: &mut Rng, cur: &Table) -> Table {
    let mut t = Vec::new();
    for (svc, dests) in cur {
        if r.chance(15) {
            continue; // removed
        }
        let mut s = svc.clone();
        if r.chance(35) {
            s = settings(r, svc.key);
            if !s.is_persistent() && s.key.port() == 0 && s.key.fwmark().is_none() {
                s.flags |= ServiceFlags::PERSISTENT;
                s.timeout = 300;
            }
        }
        if r.chance(8) {
            // Moved to another port: another service.
            s.key = with_port(s.key, r, s.is_persistent());
            if t.iter()
                .chain(cur.iter())
                .any(|(x, _): &(Service, _)| x.key == s.key)
            {
                s.key = svc.key;
            }
        }
        let mut ds = Vec::new();
        for d in dests {
            if r.chance(15) {
                continue;
            }
            let mut d = d.clone();
            if r.chance(30) {
                edit_dest(r, &mut d);
            }
            if r.chance(5) {
                d.port = r.pick(&[80, 8080, 443]);
            }
            fit(&mut d, &s);
            if !ds
                .iter()
                .any(|x: &Dest| x.addr == d.addr && x.port == d.port)
            {
                ds.push(d);
            }
        }
        let n = if r.chance(30) { 1 + r.below(2) } else { 0 };
        add_dests(r, &s, &mut ds, n);
        t.push((s, ds));
    }
    if r.chance(40) {
        add_service(r, &mut t);
    }
    t
}

fn save(t: &Table, header: Option<&str>) -> Vec<u8> {
    let snap = Snapshot {
        info: Info::new(0x010201, 4096),
        services: t.clone(),
    };
    let mut out = Vec::new();
    if let Some(h) = header {
        out.extend_from_slice(h.as_bytes());
    }
    write_save(&mut out, &snap, true, &StaticNames::default());
    out
}

/// The `--scope` terms of a scoped pair: every service [`service_key`] makes, none of
/// [`FOREIGN`]'s.
const SCOPE: &str = "--scope addr=192.0.2.0/29 --scope addr=2001:db8::/64 --scope fwmark=1-100 --scope fwmark=4000000000\n";

/// Another owner's services (keepalived's, kube-proxy's), outside [`SCOPE`].
const FOREIGN: &str = "\
-A -t 203.0.113.10:443 -s wlc -p 300
-a -t 203.0.113.10:443 -r 198.51.100.20:443 -g -w 3
-A -u [2001:db8:ffff::10]:53 -s rr
-a -u [2001:db8:ffff::10]:53 -r [2001:db8:ffff::20]:53 -m -w 1
-A -f 500 -s rr
-a -f 500 -r 198.51.100.22:0 -g -w 1
";

/// Timeouts and sync daemons for a wanted file: a `--set` line (some values 0: kept), and
/// a master, a backup or both on `d0`, some with their own port, TTL or group.
fn state_lines(r: &mut Rng) -> String {
    let mut s = String::new();
    let t = |r: &mut Rng| r.pick(&[0u32, 0, 60, 120, 300, 900, 3600]);
    if r.chance(70) {
        s.push_str(&format!("--set {} {} {}\n", t(r), t(r), t(r)));
    }
    if s.is_empty() || r.chance(70) {
        let roles: &[&str] = r.pick(&[&["master"][..], &["backup"], &["master", "backup"]]);
        for role in roles {
            s.push_str(&format!(
                "--start-daemon {role} --mcast-interface d0 --syncid {}",
                r.below(4)
            ));
            if r.chance(30) {
                s.push_str(&format!(" --mcast-port {}", r.pick(&[8848, 8850, 9000])));
            }
            if r.chance(30) {
                s.push_str(&format!(" --mcast-ttl {}", r.pick(&[1, 2, 5])));
            }
            if r.chance(20) {
                s.push_str(" --mcast-group 239.1.1.1");
            }
            s.push('\n');
        }
    }
    s
}

/// Whether `--apply` accepts the file, and it describes `t`.
fn valid(text: &[u8], t: &Table) -> bool {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let parsed = ipvsadm::exec::apply::read_rules(
        b"ipvsadm",
        &mut &text[..],
        &ipvsadm::exec::apply::scope::Scope::default(),
        &StaticNames::default(),
        &mut ipvsadm::exec::Streams::new(&mut out, &mut err),
    );
    let want = linux_ipvs::Table::from_entries(t.clone());
    matches!((parsed, want), (Ok(p), Ok(w)) if p.table.same_as(&w))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: apply_corpus DIR [PAIRS [SEED]]");
    let pairs: usize = args.next().map_or(240, |a| a.parse().expect("PAIRS"));
    let seed: u64 = args
        .next()
        .map_or(0x1994_0b5e, |a| a.parse().expect("SEED"));
    std::fs::create_dir_all(&dir).expect("corpus directory");
    let mut r = Rng(seed | 1);
    let mut i = 0;
    let mut refused = 0;
    let (mut scopes, mut states) = (0, 0);
    while i < pairs {
        let cur = if r.chance(5) {
            Vec::new()
        } else {
            table(&mut r)
        };
        let des = match r.below(20) {
            0 => Vec::new(),
            1 => cur.clone(),
            2..=4 => table(&mut r),
            _ => edited(&mut r, &cur),
        };
        let header = format!("# pair {i}: the wanted table\n\n");
        let state = r.chance(20).then(|| state_lines(&mut r));
        let mut des = des;
        if state.as_ref().is_some_and(|s| s.contains("--start-daemon")) {
            // The kernel refuses real servers of the other family while a sync daemon
            // runs (its protocol cannot carry them).
            for (svc, dests) in &mut des {
                let family = svc.key.family();
                dests.retain(|d| Family::of(&d.addr) == family);
            }
        }
        let (c, mut d) = (save(&cur, None), save(&des, Some(&header)));
        if let Some(lines) = &state {
            d.extend_from_slice(lines.as_bytes());
        }
        let state = state.is_some();
        let scoped = !state && r.chance(17);
        if !valid(&c, &cur) || !valid(&d, &des) {
            refused += 1;
            continue;
        }
        std::fs::write(format!("{dir}/{i:03}.cur"), c).expect("write");
        std::fs::write(format!("{dir}/{i:03}.des"), d).expect("write");
        if scoped {
            std::fs::write(format!("{dir}/{i:03}.scope"), SCOPE).expect("write");
            scopes += 1;
        }
        states += usize::from(state);
        i += 1;
    }
    std::fs::write(format!("{dir}/foreign.rules"), FOREIGN).expect("write");
    eprintln!(
        "apply_corpus: {pairs} pairs in {dir} ({states} with timeouts or daemons, {scopes} scoped beside foreign services; {refused} generated tables refused by the parser and made again)"
    );
}
