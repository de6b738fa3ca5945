//! Golden tests of the formatters: listings and saves as the reference prints them for
//! sample tables (adapted where deviations D2/D3/D5 of the README change the reference's
//! output: numeric order, unsigned fwmarks, round-tripping save lines), plus edge cases of
//! every listing mode. Expected texts mark line ends with `$`.

use std::net::IpAddr;

use super::*;
use crate::names::StaticNames;
use linux_ipvs::{
    Daemon, DaemonState, Dest, Family, Forward, Info, Protocol, Service, ServiceKey, Stats,
    Timeouts, TunnelType,
};

/// Expected text: drop one leading newline, and the `$` end-of-line markers.
fn gold(s: &str) -> String {
    s.strip_prefix('\n').unwrap_or(s).replace("$\n", "\n")
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn svc(p: Protocol, a: &str, port: u16, sched: &str) -> Service {
    let mut s = Service::new(ServiceKey::Addr {
        protocol: p,
        addr: ip(a),
        port,
    });
    s.scheduler = linux_ipvs::Name::truncated(sched.as_bytes());
    s
}

fn fwm(family: Family, mark: u32) -> Service {
    Service::new(ServiceKey::Fwmark { family, mark })
}

fn dest(a: &str, port: u16, fwd: Forward, weight: i32) -> Dest {
    let mut d = Dest::new(ip(a), port);
    d.forward = fwd;
    d.weight = weight;
    d
}

fn snap(services: Vec<(Service, Vec<Dest>)>) -> Snapshot {
    Snapshot {
        info: Info::new(0x0001_0201, 4096),
        services,
    }
}

fn fmt(numeric: bool, mode: ListMode) -> ListFormat {
    ListFormat {
        numeric,
        mode,
        ..ListFormat::default()
    }
}

fn list(s: &Snapshot, f: ListFormat, names: &StaticNames) -> String {
    let mut o = Vec::new();
    write_list(&mut o, s, &f, names);
    text(o)
}

fn save(s: &Snapshot, numeric: bool, names: &StaticNames) -> String {
    let mut o = Vec::new();
    write_save(&mut o, s, numeric, names);
    text(o)
}

fn names_a2() -> StaticNames {
    StaticNames {
        hosts: vec![
            (ip("10.0.0.1"), "vip1.example.com".into()),
            (ip("192.168.2.2"), "rs2.example.com".into()),
            (
                ip("192.168.2.3"),
                "averyveryveryverylonghostname-number-three.example.com".into(),
            ),
            (ip("2001:db8::2"), "rs6.example.com".into()),
            (ip("127.0.0.1"), "localhost".into()),
        ],
        services: vec![
            (80, "tcp".into(), "http".into()),
            (8080, "tcp".into(), "http-alt".into()),
            (8081, "tcp".into(), "tproxy".into()),
        ],
    }
}

/// The A.1 table, in a scrambled kernel order.
fn table_a1() -> Snapshot {
    use Forward::*;
    let dests = vec![
        dest("127.0.0.1", 8000, Masq, 1),
        dest("2001:db8::4", 80, Tunnel, 1),
        dest("2001:db8::2", 80, Tunnel, 1),
        dest("10.0.0.1", 80, Route, 1),
        dest("8.8.8.8", 80, Masq, 1),
        dest("200.1.1.2", 80, Masq, 1),
        dest("192.168.3.1", 80, Masq, 1),
        dest("192.168.2.21", 0, Masq, 1),
        dest("192.168.2.20", 0, Masq, 1),
        dest("192.168.2.16", 80, Masq, 1),
        dest("192.168.2.13", 80, Masq, 1),
        dest("192.168.2.9", 80, Masq, 2_147_483_647),
        dest("192.168.2.8", 80, Masq, 65536),
        dest("192.168.2.7", 80, Masq, 65535),
        dest("192.168.2.6", 80, Masq, 0),
        dest("192.168.2.5", 80, Tunnel, 1),
        dest("192.168.2.4", 80, Route, 1),
        dest("192.168.2.3", 8080, Masq, 3),
        dest("192.168.2.2", 8081, Masq, 1),
        dest("192.168.2.2", 80, Route, 1),
    ];
    snap(vec![(svc(Protocol::Tcp, "10.0.0.1", 80, "rr"), dests)])
}

#[test]
fn a1_numeric_listing_sorted_numerically() {
    let got = list(&table_a1(), fmt(true, ListMode::Default), &names_a2());
    assert_eq!(
        got,
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 rr$
  -> 8.8.8.8:80                   Masq    1      0          0         $
  -> 10.0.0.1:80                  Route   1      0          0         $
  -> 127.0.0.1:8000               Masq    1      0          0         $
  -> 192.168.2.2:80               Route   1      0          0         $
  -> 192.168.2.2:8081             Masq    1      0          0         $
  -> 192.168.2.3:8080             Masq    3      0          0         $
  -> 192.168.2.4:80               Route   1      0          0         $
  -> 192.168.2.5:80               Tunnel  1      0          0         $
  -> 192.168.2.6:80               Masq    0      0          0         $
  -> 192.168.2.7:80               Masq    65535  0          0         $
  -> 192.168.2.8:80               Masq    65536  0          0         $
  -> 192.168.2.9:80               Masq    2147483647 0          0         $
  -> 192.168.2.13:80              Masq    1      0          0         $
  -> 192.168.2.16:80              Masq    1      0          0         $
  -> 192.168.2.20:0               Masq    1      0          0         $
  -> 192.168.2.21:0               Masq    1      0          0         $
  -> 192.168.3.1:80               Masq    1      0          0         $
  -> 200.1.1.2:80                 Masq    1      0          0         $
  -> [2001:db8::2]:80             Tunnel  1      0          0         $
  -> [2001:db8::4]:80             Tunnel  1      0          0         $
"
        )
    );
}

#[test]
fn a1_nosort_keeps_kernel_order() {
    let f = ListFormat {
        nosort: true,
        ..fmt(true, ListMode::Default)
    };
    let got = list(&table_a1(), f, &names_a2());
    let lines: Vec<&str> = got.lines().skip(4).take(3).collect();
    assert_eq!(
        lines,
        [
            "  -> 127.0.0.1:8000               Masq    1      0          0         ",
            "  -> [2001:db8::4]:80             Tunnel  1      0          0         ",
            "  -> [2001:db8::2]:80             Tunnel  1      0          0         ",
        ]
    );
}

#[test]
fn a2_listing_with_names() {
    let got = list(&table_a1(), fmt(false, ListMode::Default), &names_a2());
    assert_eq!(
        got,
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  vip1.example.com:http rr$
  -> 8.8.8.8:http                 Masq    1      0          0         $
  -> vip1.example.com:http        Route   1      0          0         $
  -> localhost:8000               Masq    1      0          0         $
  -> rs2.example.com:http         Route   1      0          0         $
  -> rs2.example.com:tproxy       Masq    1      0          0         $
  -> averyveryveryverylonghostnam Masq    3      0          0         $
  -> 192.168.2.4:http             Route   1      0          0         $
  -> 192.168.2.5:http             Tunnel  1      0          0         $
  -> 192.168.2.6:http             Masq    0      0          0         $
  -> 192.168.2.7:http             Masq    65535  0          0         $
  -> 192.168.2.8:http             Masq    65536  0          0         $
  -> 192.168.2.9:http             Masq    2147483647 0          0         $
  -> 192.168.2.13:http            Masq    1      0          0         $
  -> 192.168.2.16:http            Masq    1      0          0         $
  -> 192.168.2.20:0               Masq    1      0          0         $
  -> 192.168.2.21:0               Masq    1      0          0         $
  -> 192.168.3.1:http             Masq    1      0          0         $
  -> 200.1.1.2:http               Masq    1      0          0         $
  -> [rs6.example.com]:http       Tunnel  1      0          0         $
  -> [2001:db8::4]:http           Tunnel  1      0          0         $
"
        )
    );
}

#[test]
fn a3_save_with_names() {
    let got = save(&table_a1(), false, &names_a2());
    assert_eq!(
        got,
        gold(
            r"
-A -t vip1.example.com:http -s rr$
-a -t vip1.example.com:http -r 8.8.8.8:http -m -w 1$
-a -t vip1.example.com:http -r vip1.example.com:http -g -w 1$
-a -t vip1.example.com:http -r localhost:8000 -m -w 1$
-a -t vip1.example.com:http -r rs2.example.com:http -g -w 1$
-a -t vip1.example.com:http -r rs2.example.com:tproxy -m -w 1$
-a -t vip1.example.com:http -r averyveryveryverylonghostname-number-three.example.com:http -m -w 3$
-a -t vip1.example.com:http -r 192.168.2.4:http -g -w 1$
-a -t vip1.example.com:http -r 192.168.2.5:http -i -w 1 --tun-type ipip$
-a -t vip1.example.com:http -r 192.168.2.6:http -m -w 0$
-a -t vip1.example.com:http -r 192.168.2.7:http -m -w 65535$
-a -t vip1.example.com:http -r 192.168.2.8:http -m -w 65536$
-a -t vip1.example.com:http -r 192.168.2.9:http -m -w 2147483647$
-a -t vip1.example.com:http -r 192.168.2.13:http -m -w 1$
-a -t vip1.example.com:http -r 192.168.2.16:http -m -w 1$
-a -t vip1.example.com:http -r 192.168.2.20:0 -m -w 1$
-a -t vip1.example.com:http -r 192.168.2.21:0 -m -w 1$
-a -t vip1.example.com:http -r 192.168.3.1:http -m -w 1$
-a -t vip1.example.com:http -r 200.1.1.2:http -m -w 1$
-a -t vip1.example.com:http -r [rs6.example.com]:http -i -w 1 --tun-type ipip$
-a -t vip1.example.com:http -r [2001:db8::4]:http -i -w 1 --tun-type ipip$
"
        )
    );
    // Numeric save of the same table.
    let got = save(&table_a1(), true, &names_a2());
    assert!(got.starts_with("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 8.8.8.8:80 -m -w 1\n"));
    assert!(got.contains("\n-a -t 10.0.0.1:80 -r 192.168.2.3:8080 -m -w 3\n"));
}

/// The A.4 table (IPv6 rows overflowing the columns).
fn table_a4() -> Snapshot {
    use Forward::*;
    let tun = |a: &str, t: TunnelType, port: u16, flags: u16| {
        let mut d = dest(a, 80, Tunnel, 1);
        d.tun_type = t;
        d.tun_port = port;
        d.tun_flags = linux_ipvs::TunnelFlags::from_bits_retain(flags);
        d
    };
    let big = "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe";
    snap(vec![
        (
            svc(Protocol::Udp, big, 65535, "rr"),
            vec![dest(big, 65535, Masq, 1)],
        ),
        (
            svc(Protocol::Tcp, "2001:db8:1::1", 80, "rr"),
            vec![
                dest("2001:db9::5", 80, Masq, 1),
                dest("2001:db8::2", 8080, Masq, 1),
                dest(big, 65535, Masq, 12345),
                dest("::1", 80, Masq, 1),
                dest("192.168.2.2", 80, Tunnel, 1),
            ],
        ),
        (
            svc(Protocol::Sctp, "10.0.0.2", 65534, "wlc"),
            vec![dest("192.168.2.2", 65534, Masq, 1)],
        ),
        (
            svc(Protocol::Tcp, "10.0.0.2", 65535, "wlc"),
            vec![dest("192.168.2.2", 65535, Masq, 1)],
        ),
        (
            svc(Protocol::Tcp, "10.0.0.1", 80, "rr"),
            vec![
                tun("192.168.2.18", TunnelType::Gre, 0, 1),
                tun("192.168.2.16", TunnelType::Gre, 0, 1),
                tun("192.168.2.15", TunnelType::Gre, 0, 0),
                tun("192.168.2.13", TunnelType::Gue, 6080, 0),
                tun("192.168.2.12", TunnelType::Gue, 6080, 2),
                tun("192.168.2.11", TunnelType::Gue, 6080, 1),
                tun("192.168.2.10", TunnelType::Gue, 6080, 0),
            ],
        ),
    ])
}

#[test]
fn a4_ipv6_overflow_default() {
    let got = list(
        &table_a4(),
        fmt(true, ListMode::Default),
        &StaticNames::default(),
    );
    assert_eq!(
        got,
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 rr$
  -> 192.168.2.10:80              Tunnel  1      0          0         $
  -> 192.168.2.11:80              Tunnel  1      0          0         $
  -> 192.168.2.12:80              Tunnel  1      0          0         $
  -> 192.168.2.13:80              Tunnel  1      0          0         $
  -> 192.168.2.15:80              Tunnel  1      0          0         $
  -> 192.168.2.16:80              Tunnel  1      0          0         $
  -> 192.168.2.18:80              Tunnel  1      0          0         $
TCP  10.0.0.2:65535 wlc$
  -> 192.168.2.2:65535            Masq    1      0          0         $
SCTP 10.0.0.2:65534 wlc$
  -> 192.168.2.2:65534            Masq    1      0          0         $
TCP  [2001:db8:1::1]:80 rr$
  -> 192.168.2.2:80               Tunnel  1      0          0         $
  -> [::1]:80                     Masq    1      0          0         $
  -> [2001:db8::2]:8080           Masq    1      0          0         $
  -> [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 Masq    12345  0          0         $
  -> [2001:db9::5]:80             Masq    1      0          0         $
UDP  [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 rr$
  -> [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 Masq    1      0          0         $
"
        )
    );
}

#[test]
fn a4_ipv6_overflow_stats() {
    let got = list(
        &table_a4(),
        fmt(true, ListMode::Stats),
        &StaticNames::default(),
    );
    let tail: Vec<&str> = got.lines().skip(14).collect();
    assert_eq!(
        tail.join("\n") + "\n",
        gold(
            r"
  -> 192.168.2.2:65534                   0        0        0        0        0$
TCP  [2001:db8:1::1]:80                  0        0        0        0        0$
  -> 192.168.2.2:80                      0        0        0        0        0$
  -> [::1]:80                            0        0        0        0        0$
  -> [2001:db8::2]:8080                  0        0        0        0        0$
  -> [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535        0        0        0        0        0$
  -> [2001:db9::5]:80                    0        0        0        0        0$
UDP  [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535        0        0        0        0        0$
  -> [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535        0        0        0        0        0$
"
        )
    );
}

#[test]
fn a4_tun_info() {
    let got = list(
        &table_a4(),
        fmt(true, ListMode::TunInfo),
        &StaticNames::default(),
    );
    let head: Vec<&str> = got.lines().take(13).collect();
    assert_eq!(
        head.join("\n") + "\n",
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn$
TCP  10.0.0.1:80 rr$
  -> 192.168.2.10:80              Tunnel  gue:6080:-c   1      0          0         $
  -> 192.168.2.11:80              Tunnel  gue:6080:+c   1      0          0         $
  -> 192.168.2.12:80              Tunnel  gue:6080:r+c  1      0          0         $
  -> 192.168.2.13:80              Tunnel  gue:6080:-c   1      0          0         $
  -> 192.168.2.15:80              Tunnel  gre:-c        1      0          0         $
  -> 192.168.2.16:80              Tunnel  gre:+c        1      0          0         $
  -> 192.168.2.18:80              Tunnel  gre:+c        1      0          0         $
TCP  10.0.0.2:65535 wlc$
  -> 192.168.2.2:65535            Masq    n/a           1      0          0         $
"
        )
    );
    // Save of the tunnels.
    let s = save(&table_a4(), true, &StaticNames::default());
    let expect = gold(
        r"
-A -t 10.0.0.1:80 -s rr$
-a -t 10.0.0.1:80 -r 192.168.2.10:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum$
-a -t 10.0.0.1:80 -r 192.168.2.11:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum$
-a -t 10.0.0.1:80 -r 192.168.2.12:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum$
-a -t 10.0.0.1:80 -r 192.168.2.13:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum$
-a -t 10.0.0.1:80 -r 192.168.2.15:80 -i -w 1 --tun-type gre --tun-nocsum$
-a -t 10.0.0.1:80 -r 192.168.2.16:80 -i -w 1 --tun-type gre --tun-csum$
-a -t 10.0.0.1:80 -r 192.168.2.18:80 -i -w 1 --tun-type gre --tun-csum$
-A -t 10.0.0.2:65535 -s wlc$
-a -t 10.0.0.2:65535 -r 192.168.2.2:65535 -m -w 1$
-A --sctp-service 10.0.0.2:65534 -s wlc$
-a --sctp-service 10.0.0.2:65534 -r 192.168.2.2:65534 -m -w 1$
-A -t [2001:db8:1::1]:80 -s rr$
-a -t [2001:db8:1::1]:80 -r 192.168.2.2:80 -i -w 1 --tun-type ipip$
-a -t [2001:db8:1::1]:80 -r [::1]:80 -m -w 1$
-a -t [2001:db8:1::1]:80 -r [2001:db8::2]:8080 -m -w 1$
-a -t [2001:db8:1::1]:80 -r [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 -m -w 12345$
-a -t [2001:db8:1::1]:80 -r [2001:db9::5]:80 -m -w 1$
-A -u [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 -s rr$
-a -u [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 -r [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 -m -w 1$
",
    );
    assert_eq!(s, expect);
}

fn stats(v: [u64; 10]) -> Option<Stats> {
    Some(Stats::new(v[0], v[1], v[2], v[3], v[4]).with_rates(v[5], v[6], v[7], v[8], v[9]))
}

fn table_a5() -> Snapshot {
    let mut s1 = svc(Protocol::Tcp, "10.0.0.1", 80, "wlc");
    s1.stats = stats([2, 1276, 2925, 66513, 150_152_525, 0, 0, 0, 0, 0]);
    let mut d1 = dest("192.168.2.1", 8080, Forward::Masq, 1);
    d1.stats = s1.stats;
    let mut s2 = svc(Protocol::Tcp, "10.0.0.2", 80, "wlc");
    s2.stats = stats([
        2,
        486_521,
        486_241,
        1_118_918_891,
        25_284_797,
        0,
        3251,
        3251,
        7_206_547,
        169_046,
    ]);
    let mut d2 = dest("10.0.0.2", 80, Forward::Masq, 1);
    d2.stats = s2.stats;
    snap(vec![(s2, vec![d2]), (s1, vec![d1])])
}

#[test]
fn a5_stats_exact_rate() {
    let n = StaticNames::default();
    assert_eq!(
        list(&table_a5(), fmt(true, ListMode::Stats), &n),
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes$
  -> RemoteAddress:Port$
TCP  10.0.0.1:80                         2     1276     2925    66513  150152K$
  -> 192.168.2.1:8080                    2     1276     2925    66513  150152K$
TCP  10.0.0.2:80                         2   486521   486241    1118M 25284797$
  -> 10.0.0.2:80                         2   486521   486241    1118M 25284797$
"
        )
    );
    let exact = ListFormat {
        exact: true,
        ..fmt(true, ListMode::Stats)
    };
    assert_eq!(
        list(&table_a5(), exact, &n),
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes$
  -> RemoteAddress:Port$
TCP  10.0.0.1:80                         2     1276     2925    66513 150152525$
  -> 192.168.2.1:8080                    2     1276     2925    66513 150152525$
TCP  10.0.0.2:80                         2   486521   486241 1118918891 25284797$
  -> 10.0.0.2:80                         2   486521   486241 1118918891 25284797$
"
        )
    );
    assert_eq!(
        list(&table_a5(), fmt(true, ListMode::Rate), &n),
        gold(
            r"
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS$
  -> RemoteAddress:Port$
TCP  10.0.0.1:80                         0        0        0        0        0$
  -> 192.168.2.1:8080                    0        0        0        0        0$
TCP  10.0.0.2:80                         0     3251     3251  7206547   169046$
  -> 10.0.0.2:80                         0     3251     3251  7206547   169046$
"
        )
    );
}

#[test]
fn big_counters_and_rates() {
    let n = StaticNames::default();
    let mut s = svc(Protocol::Tcp, "10.0.0.1", 80, "wlc");
    let big = [
        100_000_000,
        999_999_999,
        1_000_000_000,
        99_999_999_999,
        100_000_000_000_000,
        4_294_967_296 + 5,
        123_456_789,
        99_999_999,
        100_000_000_000,
        u64::MAX,
    ];
    s.stats = stats(big);
    let mut d = dest("192.168.2.1", 80, Forward::Masq, 1);
    d.stats = stats(big);
    let t = snap(vec![(s, vec![d])]);
    let got = list(&t, fmt(true, ListMode::Stats), &n);
    let lines: Vec<&str> = got.lines().skip(3).collect();
    assert_eq!(
        lines,
        [
            // Service counters are 64-bit.
            "TCP  10.0.0.1:80                   100000K  999999K    1000M   99999M     100T",
            // Real servers: conns/packets read as 32-bit (low bits), bytes whole.
            "  -> 192.168.2.1:80                100000K  999999K    1000M   99999M     100T",
        ]
    );
    let got = list(&t, fmt(true, ListMode::Rate), &n);
    let lines: Vec<&str> = got.lines().skip(3).collect();
    assert_eq!(
        lines,
        [
            "TCP  10.0.0.1:80                     4294M  123456K 99999999     100G18446744T",
            // cps 2^32+5 -> 5 (low 32 bits) and the packet rates are never scaled; the byte
            // rates keep their low 32 bits too (1215752192, 4294967295) and are scaled.
            "  -> 192.168.2.1:80                      5 123456789 99999999    1215M    4294M",
        ]
    );
    let exact = ListFormat {
        exact: true,
        ..fmt(true, ListMode::Rate)
    };
    let got = list(&t, exact, &n);
    let lines: Vec<&str> = got.lines().skip(3).collect();
    assert_eq!(
        lines,
        [
            "TCP  10.0.0.1:80                  4294967301 123456789 99999999 100000000000 18446744073709551615",
            "  -> 192.168.2.1:80                      5 123456789 99999999 1215752192 4294967295",
        ]
    );
    // Dest 64-bit conns past 2^32 show their low 32 bits.
    let mut d = dest("192.168.2.1", 80, Forward::Masq, 1);
    d.stats = stats([(1 << 32) + 7, 1 << 33, 3, 1 << 40, 0, 0, 0, 0, 0, 0]);
    let t = snap(vec![(svc(Protocol::Tcp, "10.0.0.1", 80, "wlc"), vec![d])]);
    let exact = ListFormat {
        exact: true,
        ..fmt(true, ListMode::Stats)
    };
    let got = list(&t, exact, &n);
    assert!(
        got.ends_with(
            "  -> 192.168.2.1:80                      7        0        3 1099511627776        0\n"
        ),
        "{got}"
    );
}

#[test]
fn title_lines_of_every_mode() {
    let n = StaticNames::default();
    let t = snap(vec![]);
    let cases = [
        (
            ListMode::Default,
            "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
        ),
        (
            ListMode::TunInfo,
            "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n",
        ),
        (
            ListMode::Stats,
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n",
        ),
        (
            ListMode::Rate,
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n",
        ),
        (
            ListMode::Thresholds,
            "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n",
        ),
        (
            ListMode::PersistentConn,
            "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n",
        ),
    ];
    for (mode, title) in cases {
        let got = list(&t, fmt(false, mode), &n);
        assert_eq!(
            got,
            format!("IP Virtual Server version 1.2.1 (size=4096)\n{title}")
        );
        // Single-service listing: no version line.
        let mut o = Vec::new();
        let s = svc(Protocol::Tcp, "10.0.0.1", 80, "wlc");
        write_service(&mut o, &s, &[], &fmt(true, mode), &n);
        assert!(text(o).starts_with(title));
    }
}

#[test]
fn thresholds_and_persistent_conn_lines() {
    let n = StaticNames::default();
    let mut d = dest("192.168.2.1", 80, Forward::Route, 7);
    d.u_threshold = 100;
    d.l_threshold = 50;
    d.active_conns = 3;
    d.inact_conns = 4_000_000_000;
    d.persist_conns = 12;
    let mut s = svc(Protocol::Tcp, "10.0.0.1", 80, "wlc");
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x01 | 0x02);
    s.timeout = 300;
    let t = snap(vec![(s, vec![d])]);
    let got = list(&t, fmt(true, ListMode::Thresholds), &n);
    assert!(got.ends_with(&gold(
        r"
TCP  10.0.0.1:80 wlc persistent 300$
  -> 192.168.2.1:80               100        50         3          4000000000$
"
    )));
    let got = list(&t, fmt(true, ListMode::PersistentConn), &n);
    assert!(got.ends_with(&gold(
        r"
TCP  10.0.0.1:80 wlc persistent 300$
  -> 192.168.2.1:80               7         12          3          4000000000$
"
    )));
}

#[test]
fn single_service_listing() {
    let n = names_a2();
    let s = svc(Protocol::Tcp, "10.0.0.1", 80, "rr");
    let dests = vec![
        dest("192.168.2.4", 80, Forward::Route, 1),
        dest("192.168.2.2", 80, Forward::Route, 2),
    ];
    let mut o = Vec::new();
    write_service(&mut o, &s, &dests, &fmt(false, ListMode::Default), &n);
    assert_eq!(
        text(o),
        gold(
            r"
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  vip1.example.com:http rr$
  -> rs2.example.com:http         Route   2      0          0         $
  -> 192.168.2.4:http             Route   1      0          0         $
"
        )
    );
    let mut o = Vec::new();
    let f = ListFormat {
        nosort: true,
        ..fmt(true, ListMode::Default)
    };
    write_service(&mut o, &s, &dests, &f, &n);
    assert!(text(o).ends_with(&gold(
        r"
TCP  10.0.0.1:80 rr$
  -> 192.168.2.4:80               Route   1      0          0         $
  -> 192.168.2.2:80               Route   2      0          0         $
"
    )));
}

#[test]
fn long_names_truncation() {
    let long4 = "a-very-long-virtual-service-name.example.com";
    let long6 = "a-very-long-ipv6-server-name.example.com";
    let n = StaticNames {
        hosts: vec![
            (ip("10.0.0.9"), long4.into()),
            (ip("192.168.2.9"), long4.into()),
            (ip("2001:db8::9"), long6.into()),
        ],
        services: vec![(80, "tcp".into(), "http".into())],
    };
    let t = snap(vec![
        (
            svc(Protocol::Tcp, "10.0.0.9", 80, "wlc"),
            vec![
                dest("192.168.2.9", 80, Forward::Masq, 1),
                dest("2001:db8::9", 80, Forward::Masq, 1),
            ],
        ),
        (svc(Protocol::Tcp, "2001:db8::9", 80, "wlc"), vec![]),
    ]);
    let got = list(&t, fmt(false, ListMode::Default), &n);
    assert_eq!(
        got.lines().skip(3).collect::<Vec<_>>(),
        [
            "TCP  a-very-long-virtual-service- wlc",
            "  -> a-very-long-virtual-service- Masq    1      0          0         ",
            "  -> [a-very-long-ipv6-server-name.example.com]:http Masq    1      0          0         ",
            "TCP  [a-very-long-ipv6-server-name.example.com]:http wlc",
        ]
    );
    let got = list(&t, fmt(false, ListMode::Stats), &n);
    assert_eq!(
        got.lines().nth(3).unwrap(),
        "TCP  a-very-long-virtual-service-        0        0        0        0        0"
    );
    // Save never cuts (except at 59 bytes).
    let got = save(&t, false, &n);
    assert!(got.starts_with(
        "-A -t a-very-long-virtual-service-name.example.com:http -s wlc\n-a -t a-very-long-virtual-service-name.example.com:http -r a-very-long-virtual-service-name.example.com:http -m -w 1\n"
    ));
}

#[test]
fn unknown_protocol_and_forward() {
    let n = StaticNames::default();
    let t = snap(vec![(
        svc(Protocol::Other(99), "10.0.0.1", 80, "wlc"),
        vec![
            dest("192.168.2.1", 80, Forward::Other(5), -1),
            dest("192.168.2.2", 80, Forward::Local, 1),
        ],
    )]);
    let got = list(&t, fmt(true, ListMode::Default), &n);
    assert_eq!(
        got.lines().skip(3).collect::<Vec<_>>(),
        [
            "?    10.0.0.1:80 wlc",
            "  -> 192.168.2.1:80               (null)  -1     0          0         ",
            "  -> 192.168.2.2:80               Local   1      0          0         ",
        ]
    );
    assert_eq!(
        save(&t, true, &n),
        gold(
            r"
-A --xxx-service 10.0.0.1:80 -s wlc$
-a --xxx-service 10.0.0.1:80 -r 192.168.2.1:80 (null) -w -1$
-a --xxx-service 10.0.0.1:80 -r 192.168.2.2:80 -g -w 1$
"
        )
    );
}

/// The A.7 services (flags, persistence, pe, ops, fwmark).
fn table_a7() -> Snapshot {
    let t = |port: u16, sched: &str, flags: u32, timeout: u32| {
        let mut s = svc(Protocol::Tcp, "10.0.0.2", port, sched);
        s.flags = linux_ipvs::ServiceFlags::from_bits_retain(flags | 0x02);
        s.timeout = timeout;
        s
    };
    let mask4 = |b: [u8; 4]| u32::from_ne_bytes(b);
    let mut v = Vec::new();
    v.push(fwm(Family::Inet, 4_294_967_295));
    let mut s = svc(Protocol::Tcp, "10.0.0.1", 0, "wlc");
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
    s.timeout = 360;
    v.push(s);
    for (port, m) in [(94, [255, 255, 255, 0]), (95, [0, 0, 0, 24]), (98, [0; 4])] {
        let mut s = svc(Protocol::Tcp, "10.0.0.1", port, "wlc");
        s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
        s.timeout = if port == 98 { 360 } else { 60 };
        s.netmask = linux_ipvs::Netmask::from_raw(mask4(m));
        v.push(s);
    }
    v.push(t(80, "sh", 0x10, 0));
    v.push(t(81, "sh", 0x10, 0));
    v.push(t(83, "mh", 0x18, 0));
    v.push(t(84, "rr", 0x38, 0));
    v.push(t(85, "sh", 0x20, 0));
    v.push(t(87, "rr", 0, 0));
    v.push(t(89, "rr", 0x18, 0));
    v.push(t(90, "mh", 0x11, 30));
    let mut s = t(91, "wlc", 0x01, 360);
    s.pe_name = Some(linux_ipvs::Name::truncated(b"sip"));
    v.push(s);
    let mut s = t(92, "wlc", 0, 0);
    s.pe_name = Some(linux_ipvs::Name::truncated(b"sip"));
    v.push(s);
    v.push(t(95, "dh", 0, 0));
    v.push(t(98, "nq", 0, 0));
    v.push(t(101, "none", 0, 0));
    let mut s = svc(Protocol::Udp, "10.0.0.1", 53, "wlc");
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x04);
    v.push(s);
    let mut s = svc(Protocol::Udp, "10.0.0.2", 5060, "wlc");
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x05);
    s.timeout = 10;
    s.pe_name = Some(linux_ipvs::Name::truncated(b"sip"));
    v.push(s);
    v.push(svc(Protocol::Sctp, "10.0.0.1", 100, "wlc"));
    v.push(svc(Protocol::Tcp, "::ffff:10.0.0.5", 80, "wlc"));
    for (port, m) in [(82, 64), (86, 48)] {
        let mut s = svc(Protocol::Tcp, "2001:db8:1::1", port, "wlc");
        s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
        s.timeout = 360;
        s.netmask = linux_ipvs::Netmask::from_raw(m);
        v.push(s);
    }
    v.push(fwm(Family::Inet, 2));
    v.push(fwm(Family::Inet6, 2));
    let mut s = fwm(Family::Inet6, 3);
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
    s.timeout = 360;
    s.netmask = linux_ipvs::Netmask::from_raw(64);
    v.push(s);
    let mut s = fwm(Family::Inet6, 4);
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
    s.timeout = 360;
    v.push(s);
    let mut s = fwm(Family::Inet, 5);
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
    s.timeout = 360;
    s.netmask = linux_ipvs::Netmask::from_raw(mask4([0, 0, 0, 64]));
    v.push(s);
    let mut s = fwm(Family::Inet, 10);
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x04);
    v.push(s);
    v.reverse();
    snap(v.into_iter().map(|s| (s, Vec::new())).collect())
}

#[test]
fn a7_flags_listing() {
    let got = list(
        &table_a7(),
        fmt(true, ListMode::Default),
        &StaticNames::default(),
    );
    let body: Vec<&str> = got.lines().skip(3).collect();
    assert_eq!(
        body.join("\n") + "\n",
        gold(
            r"
TCP  10.0.0.1:0 wlc persistent 360$
TCP  10.0.0.1:94 wlc persistent 60 mask 255.255.255.0$
TCP  10.0.0.1:95 wlc persistent 60 mask 0.0.0.24$
TCP  10.0.0.1:98 wlc persistent 360 mask 0.0.0.0$
TCP  10.0.0.2:80 sh (sh-port)$
TCP  10.0.0.2:81 sh (sh-port)$
TCP  10.0.0.2:83 mh (mh-fallback,mh-port)$
TCP  10.0.0.2:84 rr (flag-1,flag-2,flag-3)$
TCP  10.0.0.2:85 sh ()$
TCP  10.0.0.2:87 rr$
TCP  10.0.0.2:89 rr (flag-1,flag-2)$
TCP  10.0.0.2:90 mh (mh-port) persistent 30$
TCP  10.0.0.2:91 wlc persistent 360 pe sip$
TCP  10.0.0.2:92 wlc$
TCP  10.0.0.2:95 dh$
TCP  10.0.0.2:98 nq$
TCP  10.0.0.2:101 none$
UDP  10.0.0.1:53 wlc ops$
UDP  10.0.0.2:5060 wlc persistent 10 pe sip ops$
SCTP 10.0.0.1:100 wlc$
TCP  [::ffff:10.0.0.5]:80 wlc$
TCP  [2001:db8:1::1]:82 wlc persistent 360 mask 64$
TCP  [2001:db8:1::1]:86 wlc persistent 360 mask 48$
FWM  2 wlc$
FWM  2 IPv6 wlc$
FWM  3 IPv6 wlc persistent 360 mask 64$
FWM  4 IPv6 wlc persistent 360$
FWM  5 wlc persistent 360 mask 0.0.0.64$
FWM  10 wlc ops$
FWM  4294967295 wlc$
"
        )
    );
}

#[test]
fn a7_flags_save_round_trips() {
    let got = save(&table_a7(), true, &StaticNames::default());
    assert_eq!(
        got,
        gold(
            r"
-A -t 10.0.0.1:0 -s wlc -p 360$
-A -t 10.0.0.1:94 -s wlc -p 60 -M 255.255.255.0$
-A -t 10.0.0.1:95 -s wlc -p 60 -M 0.0.0.24$
-A -t 10.0.0.1:98 -s wlc -p 360 -M 0.0.0.0$
-A -t 10.0.0.2:80 -s sh -b sh-port$
-A -t 10.0.0.2:81 -s sh -b sh-port$
-A -t 10.0.0.2:83 -s mh -b mh-fallback,mh-port$
-A -t 10.0.0.2:84 -s rr -b flag-1,flag-2,flag-3$
-A -t 10.0.0.2:85 -s sh -b flag-3$
-A -t 10.0.0.2:87 -s rr$
-A -t 10.0.0.2:89 -s rr -b flag-1,flag-2$
-A -t 10.0.0.2:90 -s mh -p 30 -b mh-port$
-A -t 10.0.0.2:91 -s wlc -p 360 --pe sip$
-A -t 10.0.0.2:92 -s wlc --pe sip$
-A -t 10.0.0.2:95 -s dh$
-A -t 10.0.0.2:98 -s nq$
-A -t 10.0.0.2:101 -s none$
-A -u 10.0.0.1:53 -s wlc -o$
-A -u 10.0.0.2:5060 -s wlc -p 10 --pe sip -o$
-A --sctp-service 10.0.0.1:100 -s wlc$
-A -t [::ffff:10.0.0.5]:80 -s wlc$
-A -t [2001:db8:1::1]:82 -s wlc -p 360 -M 64$
-A -t [2001:db8:1::1]:86 -s wlc -p 360 -M 48$
-A -f 2 -s wlc$
-A -f 2 -6 -s wlc$
-A -f 3 -6 -s wlc -p 360 -M 64$
-A -f 4 -6 -s wlc -p 360$
-A -f 5 -s wlc -p 360 -M 0.0.0.64$
-A -f 10 -s wlc -o$
-A -f 4294967295 -s wlc$
"
        )
    );
}

#[test]
fn save_sched_flags_never_empty() {
    let n = StaticNames::default();
    let mk = |sched: &str, flags: u32| {
        let mut s = svc(Protocol::Tcp, "10.0.0.2", 80, sched);
        s.flags = linux_ipvs::ServiceFlags::from_bits_retain(flags);
        snap(vec![(s, vec![])])
    };
    assert_eq!(
        save(&mk("sh", 0x30), true, &n),
        "-A -t 10.0.0.2:80 -s sh -b sh-port,flag-3\n"
    );
    assert_eq!(
        save(&mk("mh", 0x38), true, &n),
        "-A -t 10.0.0.2:80 -s mh -b mh-fallback,mh-port,flag-3\n"
    );
    assert_eq!(
        save(&mk("mh", 0x20), true, &n),
        "-A -t 10.0.0.2:80 -s mh -b flag-3\n"
    );
    assert_eq!(
        save(&mk("sh", 0x08), true, &n),
        "-A -t 10.0.0.2:80 -s sh -b sh-fallback\n"
    );
    assert_eq!(
        save(&mk("wrr", 0x20), true, &n),
        "-A -t 10.0.0.2:80 -s wrr -b flag-3\n"
    );
    // The listing keeps the reference's display.
    let got = list(&mk("sh", 0x30), fmt(true, ListMode::Default), &n);
    assert!(got.ends_with("TCP  10.0.0.2:80 sh (sh-port)\n"));
}

#[test]
fn save_fwmark_thresholds_and_tunnels() {
    let n = StaticNames::default();
    let mut d1 = dest("2001:db8::3", 0, Forward::Masq, 1);
    d1.u_threshold = 100;
    d1.l_threshold = 10;
    let mut d2 = dest("192.168.2.3", 0, Forward::Tunnel, 5);
    d2.tun_type = TunnelType::Gue;
    d2.tun_port = 5555;
    d2.tun_flags = linux_ipvs::TunnelFlags::from_bits_retain(1);
    d2.u_threshold = 7;
    let mut d3 = dest("192.168.2.4", 0, Forward::Tunnel, 5);
    d3.tun_type = TunnelType::Other(9);
    let mut s = fwm(Family::Inet6, 5);
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(1);
    s.timeout = 360;
    s.netmask = linux_ipvs::Netmask::from_raw(64);
    let t = snap(vec![(s, vec![d1, d3, d2])]);
    assert_eq!(
        save(&t, false, &n),
        gold(
            r"
-A -f 5 -6 -s wlc -p 360 -M 64$
-a -f 5 -6 -r 192.168.2.3:0 -i -w 5 --tun-type gue --tun-port 5555 --tun-csum -x 7$
-a -f 5 -6 -r 192.168.2.4:0 -i -w 5$
-a -f 5 -6 -r [2001:db8::3]:0 -m -w 1 -x 100 -y 10$
"
        )
    );
    // fwmark services never look up port names; tun-info of an unknown type.
    let n2 = StaticNames {
        hosts: vec![],
        services: vec![(0, "tcp".into(), "zero".into())],
    };
    let got = list(&t, fmt(false, ListMode::TunInfo), &n2);
    assert_eq!(
        got.lines().skip(3).collect::<Vec<_>>(),
        [
            "FWM  5 IPv6 wlc persistent 360 mask 64",
            "  -> 192.168.2.3:0                Tunnel  gue:5555:+c   5      0          0         ",
            "  -> 192.168.2.4:0                Tunnel  n/a           5      0          0         ",
            "  -> [2001:db8::3]:0              Masq    n/a           1      0          0         ",
        ]
    );
}

#[test]
fn save_pe_sctp_names() {
    let n = StaticNames {
        hosts: vec![(ip("10.0.0.1"), "vip1.example.com".into())],
        services: vec![(5060, "sctp".into(), "sip".into())],
    };
    let mut s = svc(Protocol::Sctp, "10.0.0.1", 5060, "rr");
    s.pe_name = Some(linux_ipvs::Name::truncated(b"sip"));
    s.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x04);
    let t = snap(vec![(s, vec![dest("10.0.0.1", 5060, Forward::Route, 1)])]);
    assert_eq!(
        save(&t, false, &n),
        "-A --sctp-service vip1.example.com:sip -s rr --pe sip -o\n-a --sctp-service vip1.example.com:sip -r vip1.example.com:sip -g -w 1\n"
    );
    let got = list(&t, fmt(false, ListMode::Default), &n);
    assert!(got.contains("\nSCTP vip1.example.com:sip rr ops\n"));
}

const A6_PROC: &str = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP 0A000002 8016 0A000002 0050 0A000002 0050 ESTABLISHED    7198
UDP 0A000002 E4F6 0A000002 13C4 C0A80201 13C4 UDP             298
TCP 2001:0db8:0001:0000:0000:0000:0000:0001 BD32 2001:0db8:0001:0000:0000:0000:0000:0001 0050 2001:0db8:0000:0000:0000:0000:0000:0001 1F90 TIME_WAIT       118
TCP 2001:0db8:0001:0000:0000:0000:0000:0001 0000 2001:0db8:0001:0000:0000:0000:0000:0001 0051 2001:0db8:0000:0000:0000:0000:0000:0001 1F90 ASSURED          28
UDP 0A000002 0000 0A000002 13C4 C0A80201 13C4 NONE             58 sip abc123@host
TCP 2001:0db8:0001:0000:0000:0000:0000:0001 AF0E 2001:0db8:0001:0000:0000:0000:0000:0001 0051 2001:0db8:0000:0000:0000:0000:0000:0001 1F90 TIME_WAIT       118
UDP 0A000001 E211 0A000001 0036 C0A80201 0036 UDP             298
";

fn conns(proc_text: &str, numeric: bool, pc: bool, n: &StaticNames) -> String {
    let mut o = Vec::new();
    let f = ListFormat {
        numeric,
        persistent_conn: pc,
        ..ListFormat::default()
    };
    write_connections(&mut o, proc_text.as_bytes(), &f, n).unwrap();
    text(o)
}

fn names_a6() -> StaticNames {
    StaticNames {
        hosts: vec![
            (ip("2001:db8:1::1"), "vip6.example.com".into()),
            (ip("10.0.0.1"), "vip1.example.com".into()),
            (ip("192.168.2.1"), "rs1.example.com".into()),
        ],
        services: vec![
            (80, "tcp".into(), "http".into()),
            (8080, "tcp".into(), "http-alt".into()),
            (5060, "udp".into(), "sip".into()),
        ],
    }
}

#[test]
fn a6_connections() {
    let n = names_a6();
    assert_eq!(
        conns(A6_PROC, true, false, &n),
        gold(
            r"
IPVS connection entries$
pro expire state       source             virtual            destination$
TCP 119:58 ESTABLISHED 10.0.0.2:32790     10.0.0.2:80        10.0.0.2:80$
UDP 04:58  UDP         10.0.0.2:58614     10.0.0.2:5060      192.168.2.1:5060$
TCP 01:58  TIME_WAIT   [2001:db8:1::1]:48434 [2001:db8:1::1]:80 [2001:db8::1]:8080$
TCP 00:28  ASSURED     [2001:db8:1::1]:0  [2001:db8:1::1]:81 [2001:db8::1]:8080$
UDP 00:58  NONE        10.0.0.2:0         10.0.0.2:5060      192.168.2.1:5060$
TCP 01:58  TIME_WAIT   [2001:db8:1::1]:44814 [2001:db8:1::1]:81 [2001:db8::1]:8080$
UDP 04:58  UDP         10.0.0.1:57873     10.0.0.1:54        192.168.2.1:54$
"
        )
    );
    assert_eq!(
        conns(A6_PROC, false, false, &n),
        gold(
            r"
IPVS connection entries$
pro expire state       source             virtual            destination$
TCP 119:58 ESTABLISHED 10.0.0.2:32790     10.0.0.2:http      10.0.0.2:http$
UDP 04:58  UDP         10.0.0.2:58614     10.0.0.2:sip       rs1.example.com:sip$
TCP 01:58  TIME_WAIT   [vip6.example.com]:48434 [vip6.example.com]:http [2001:db8::1]:http-alt$
TCP 00:28  ASSURED     [vip6.example.com]:0 [vip6.example.com]:81 [2001:db8::1]:http-alt$
UDP 00:58  NONE        10.0.0.2:0         10.0.0.2:sip       rs1.example.com:sip$
TCP 01:58  TIME_WAIT   [vip6.example.com]:44814 [vip6.example.com]:81 [2001:db8::1]:http-alt$
UDP 04:58  UDP         vip1.example.com:57873 vip1.example.com:54 rs1.example.com:54$
"
        )
    );
    assert_eq!(
        conns(A6_PROC, true, true, &n),
        gold(
            r"
IPVS connection entries$
pro expire state       source             virtual            destination        pe name          pe_data$
TCP 119:58 ESTABLISHED 10.0.0.2:32790     10.0.0.2:80        10.0.0.2:80$
UDP 04:58  UDP         10.0.0.2:58614     10.0.0.2:5060      192.168.2.1:5060$
TCP 01:58  TIME_WAIT   [2001:db8:1::1]:48434 [2001:db8:1::1]:80 [2001:db8::1]:8080$
TCP 00:28  ASSURED     [2001:db8:1::1]:0  [2001:db8:1::1]:81 [2001:db8::1]:8080$
UDP 00:58  NONE        10.0.0.2:0         10.0.0.2:5060      192.168.2.1:5060 sip                abc123@host$
TCP 01:58  TIME_WAIT   [2001:db8:1::1]:44814 [2001:db8:1::1]:81 [2001:db8::1]:8080$
UDP 04:58  UDP         10.0.0.1:57873     10.0.0.1:54        192.168.2.1:54$
"
        )
    );
}

#[test]
fn connection_edge_cases() {
    let n = StaticNames::default();
    let mut o = Vec::new();
    assert_eq!(
        write_connections(&mut o, b"", &ListFormat::default(), &n),
        Err(ConnError::Empty)
    );
    assert!(o.is_empty());
    // Header only.
    assert_eq!(
        conns("Pro FromIP\n", true, false, &n),
        "IPVS connection entries\npro expire state       source             virtual            destination\n"
    );
    let proc_text = "hdr
SCTP 0A000002 0050 0A000002 0050 0A000002 0050 ESTABLISHED 0
XYZ 0A000002 0050 0A000002 0050 0A000002 0050 X 6000000

TCP short line
TCP 0A000002 8016 0A000002 0050 2001:0db8:0000:0000:0000:0000:0000:0001 0050 NONE 59 sip
TCP 10.0.0.9 0001 10.0.0.8 0002 0A000007 0003 NONE 61";
    assert_eq!(
        conns(proc_text, true, true, &n),
        gold(
            r"
IPVS connection entries$
pro expire state       source             virtual            destination        pe name          pe_data$
SCTP 00:00  ESTABLISHED 10.0.0.2:80        10.0.0.2:80        10.0.0.2:80$
XYZ 100000:00 X           10.0.0.2:80        10.0.0.2:80        10.0.0.2:80$
TCP 00:59  NONE        10.0.0.2:32790     10.0.0.2:80        [2001:db8::1]:80$
TCP 01:01  NONE        10.0.0.9:1         10.0.0.8:2         10.0.0.7:3$
"
        )
    );
    // The 59-byte endpoint limit and no column truncation in connection lines.
    let n = StaticNames {
        hosts: vec![(ip("10.0.0.2"), "h".repeat(64))],
        services: vec![],
    };
    let got = conns(
        "hdr\nTCP 0A000002 0050 0A000003 0050 0A000003 0050 NONE 5\n",
        false,
        false,
        &n,
    );
    assert_eq!(
        got.lines().nth(2).unwrap(),
        format!(
            "TCP 00:05  NONE        {} 10.0.0.3:80        10.0.0.3:80",
            "h".repeat(59)
        )
    );
}

#[test]
fn a8_daemons_and_timeouts() {
    let mut master = Daemon::new(DaemonState::Master, linux_ipvs::Name::truncated(b"v0"), 0);
    master.sync_maxlen = Some(1472);
    master.mcast_group = Some(ip("224.0.0.81"));
    master.mcast_port = Some(8848);
    master.mcast_ttl = Some(1);
    let mut backup = Daemon::new(DaemonState::Backup, linux_ipvs::Name::truncated(b"v0"), 5);
    backup.sync_maxlen = Some(1024);
    backup.mcast_group = Some(ip("239.1.1.1"));
    backup.mcast_port = Some(9000);
    backup.mcast_ttl = Some(5);
    let mut o = Vec::new();
    write_daemons(&mut o, &[backup.clone(), master]);
    assert_eq!(
        text(o),
        gold(
            r"
master sync daemon (mcast=v0, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)$
backup sync daemon (mcast=v0, syncid=5, maxlen=1024, group=239.1.1.1, port=9000, ttl=5)$
"
        )
    );
    backup.mcast_group = Some(ip("ff02::1234"));
    backup.mcast_ttl = Some(0);
    backup.sync_maxlen = None;
    let mut o = Vec::new();
    write_daemons(
        &mut o,
        &[
            backup,
            Daemon::new(DaemonState::Master, linux_ipvs::Name::truncated(b"eth0"), 1),
        ],
    );
    assert_eq!(
        text(o),
        "master sync daemon (mcast=eth0, syncid=1)\nbackup sync daemon (mcast=v0, syncid=5, group=ff02::1234, port=9000)\n"
    );
    let mut o = Vec::new();
    write_daemons(&mut o, &[]);
    assert!(o.is_empty());

    let mut o = Vec::new();
    write_timeouts(&mut o, &Timeouts::new(900, 120, 300));
    assert_eq!(text(o), "Timeout (tcp tcpfin udp): 900 120 300\n");
}

#[test]
fn sort_snapshot_in_place_matches_listing() {
    let mut t = table_a1();
    sort_snapshot(&mut t);
    let f = ListFormat {
        nosort: true,
        ..fmt(true, ListMode::Default)
    };
    assert_eq!(
        list(&t, f, &names_a2()),
        list(&table_a1(), fmt(true, ListMode::Default), &names_a2())
    );
}

#[test]
fn empty_table_and_version() {
    let mut t = snap(vec![]);
    t.info = Info::new(0x0001_0203, 1 << 20);
    assert_eq!(
        list(&t, fmt(true, ListMode::Default), &StaticNames::default()),
        "IP Virtual Server version 1.2.3 (size=1048576)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
    );
    assert_eq!(save(&t, true, &StaticNames::default()), "");
}

#[test]
fn large_listing_is_fast_enough() {
    // 10,000 services x 4 servers, numeric: a smoke test of the no-per-field-allocation path.
    let mut services = Vec::new();
    for i in 0..10_000u32 {
        let a = std::net::Ipv4Addr::from(0x0a00_0000 + i);
        let s = svc(Protocol::Tcp, &a.to_string(), 80, "wlc");
        let d = (0..4u32)
            .map(|j| {
                let ra = std::net::Ipv4Addr::from(0xc0a8_0000 + i * 4 + j);
                Dest::new(IpAddr::V4(ra), 80)
            })
            .collect();
        services.push((s, d));
    }
    services.reverse();
    let t = snap(services);
    let mut o = Vec::with_capacity(4 << 20);
    write_list(
        &mut o,
        &t,
        &fmt(true, ListMode::Default),
        &StaticNames::default(),
    );
    assert_eq!(o.iter().filter(|&&b| b == b'\n').count(), 3 + 50_000);
    assert!(
        text(o)
            .lines()
            .nth(3)
            .unwrap()
            .starts_with("TCP  10.0.0.0:80 wlc")
    );
}

#[test]
fn json_written_a_service_at_a_time_is_the_whole_document() {
    let names = names_a2();
    for table in [
        snap(Vec::new()),
        table_a1(),
        table_a4(),
        table_a5(),
        table_a7(),
    ] {
        for style in [Json::Compact, Json::Pretty] {
            for nosort in [false, true] {
                let f = ListFormat {
                    json: style,
                    nosort,
                    ..fmt(false, ListMode::Default)
                };
                let mut whole = Vec::new();
                json::write_table(&mut whole, &table, &f, &names);
                let mut streamed = Vec::new();
                let mut stream = json::JsonStream::new(&f, &names);
                for i in super::sort::service_order(&table.services, nosort) {
                    let (svc, dests) = &table.services[i];
                    stream.service(&mut streamed, svc, dests);
                }
                stream.finish(&mut streamed);
                assert_eq!(text(streamed), text(whole), "{style:?}, nosort {nosort}");
            }
        }
    }
}

/// The compact JSON written by hand is, byte for byte, what serde_json writes of the serde
/// views (which define the document), for every kind of field: fwmark and address
/// services of both families, names looked up or not (with characters JSON escapes),
/// scheduler flags, engines, unknown protocols, methods, tunnel types and flag bits,
/// negative weights, counters past 32 bits, IPv6 addresses whose text glibc writes
/// differently.
#[test]
fn compact_json_is_what_serde_writes_of_the_views() {
    let mut odd = svc(Protocol::Other(99), "::10.0.0.1", 7, "we\"ird\\");
    odd.scheduler = linux_ipvs::Name::truncated(b"s\xffh\n");
    odd.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x3f);
    odd.pe_name = Some(linux_ipvs::Name::truncated(b"sip\"x"));
    odd.stats = stats([u64::MAX, 1 << 40, 3, 4, 5, 6, 7, 8, 9, 10]);
    let mut weird = dest("::ffff:192.0.2.9", 65535, Forward::Other(9), -7);
    weird.tun_type = TunnelType::Other(42);
    weird.tun_flags = linux_ipvs::TunnelFlags::from_bits_retain(0xffff);
    weird.tun_port = 6080;
    weird.u_threshold = u32::MAX;
    weird.l_threshold = 1;
    weird.active_conns = u32::MAX;
    weird.inact_conns = 2;
    weird.persist_conns = 3;
    weird.stats = stats([1, 2, 3, 4, u64::MAX, 6, 7, 8, 9, 10]);
    let odd_table = snap(vec![
        (odd, vec![weird, dest("2001:db8::1", 80, Forward::Local, 0)]),
        (
            svc(Protocol::Udp, "192.0.2.1", 53, "rr"),
            vec![dest("198.51.100.2", 53, Forward::Route, 1)],
        ),
    ]);
    let mut quoting = names_a2();
    quoting
        .hosts
        .insert(0, (ip("192.0.2.1"), "a\"b\\c\u{1}\u{e9}".into()));
    quoting
        .services
        .insert(0, (53, "udp".into(), "dom\"ain\t".into()));
    for table in [table_a1(), table_a4(), table_a5(), table_a7(), odd_table] {
        for names in [names_a2(), quoting.clone()] {
            for numeric in [false, true] {
                for (svc, dests) in &table.services {
                    let order: Vec<usize> = (0..dests.len()).collect();
                    let view = json::service_view(svc, dests, &order, numeric, &names);
                    let mut ours = Vec::new();
                    super::compact::service(&mut ours, svc, dests, &order, numeric, &names);
                    assert_eq!(
                        text(ours),
                        serde_json::to_string(&view).unwrap(),
                        "{svc:?}, numeric {numeric}"
                    );
                }
            }
        }
    }
}
