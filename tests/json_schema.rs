//! Every JSON document we make validates against the published schema
//! (`docs/ipvsadm.schema.json`), checked with the `jsonschema` crate: documents the
//! formatters make from sample tables here, and, when `IPVSADM_JSON_SAMPLES` names a
//! directory, every `*.json` file in it (the VM suite collects there what the real commands
//! printed against the real kernel). Mutated documents must fail, so the check can fail.

use std::net::IpAddr;
use std::path::Path;

use ipvsadm::names::StaticNames;
use ipvsadm::output::json;
use ipvsadm::output::{Json, ListFormat, Snapshot};
use linux_ipvs::{
    Daemon, DaemonState, Dest, Family, Forward, Info, Name, Netmask, Protocol, Service,
    ServiceFlags, ServiceKey, Stats, Timeouts, TunnelFlags, TunnelType,
};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ipvsadm.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema")
}

/// The schema's complaints about a document, or none.
fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn stats(base: u64) -> Stats {
    Stats::new(base, base * 10, base * 9, base * 1000, u64::MAX - base).with_rates(1, 2, 3, 4, 5)
}

/// A table with every kind of service and real server.
fn sample() -> Snapshot {
    let mut services = Vec::new();
    let mut tcp = Service::new(ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: ip("192.0.2.1"),
        port: 80,
    });
    tcp.scheduler = Name::truncated(b"sh");
    tcp.flags = ServiceFlags::PERSISTENT | ServiceFlags::HASHED | ServiceFlags::SCHED_SH_PORT;
    tcp.timeout = 300;
    tcp.netmask = Netmask::prefix(Family::Inet, 24).unwrap();
    tcp.pe_name = Some(Name::truncated(b"sip"));
    tcp.stats = Some(stats(7));
    let mut masq = Dest::new(ip("198.51.100.1"), 8080);
    masq.forward = Forward::Masq;
    masq.weight = 3;
    masq.u_threshold = 100;
    masq.l_threshold = 10;
    masq.active_conns = 2;
    masq.stats = Some(stats(1 << 40));
    let mut gue = Dest::new(ip("198.51.100.2"), 80);
    gue.forward = Forward::Tunnel;
    gue.tun_type = TunnelType::Gue;
    gue.tun_port = 6080;
    gue.tun_flags = TunnelFlags::REMCSUM;
    services.push((tcp, vec![masq, gue]));
    let mut udp6 = Service::new(ServiceKey::Addr {
        protocol: Protocol::Udp,
        addr: ip("2001:db8::1"),
        port: 53,
    });
    udp6.flags = ServiceFlags::ONEPACKET;
    udp6.netmask = Netmask::prefix(Family::Inet6, 64).unwrap();
    let mut gre = Dest::new(ip("2001:db8::2"), 53);
    gre.forward = Forward::Tunnel;
    gre.tun_type = TunnelType::Gre;
    gre.tun_flags = TunnelFlags::CSUM;
    services.push((udp6, vec![gre]));
    let sctp = Service::new(ServiceKey::Addr {
        protocol: Protocol::Sctp,
        addr: ip("192.0.2.2"),
        port: 0,
    });
    services.push((sctp, vec![Dest::new(ip("198.51.100.3"), 0)]));
    let fwm6 = Service::new(ServiceKey::Fwmark {
        family: Family::Inet6,
        mark: u32::MAX,
    });
    services.push((fwm6, Vec::new()));
    Snapshot {
        info: Info::new(0x0001_0201, 4096),
        services,
    }
}

fn names() -> StaticNames {
    StaticNames {
        hosts: vec![(ip("192.0.2.1"), "vip.example.com".into())],
        services: vec![(80, "tcp".into(), "http".into())],
    }
}

/// Every kind of document, compact and pretty, with and without names.
fn documents() -> Vec<(String, Vec<u8>)> {
    let snap = sample();
    let names = names();
    let mut docs = Vec::new();
    for json in [Json::Compact, Json::Pretty] {
        for numeric in [false, true] {
            let fmt = ListFormat {
                numeric,
                json,
                ..ListFormat::default()
            };
            let mut out = Vec::new();
            json::write_table(&mut out, &snap, &fmt, &names);
            docs.push((format!("table {json:?} numeric={numeric}"), out));
            let (svc, dests) = &snap.services[0];
            let mut out = Vec::new();
            json::write_service(&mut out, svc, dests, &fmt, &names);
            docs.push((format!("one service {json:?}"), out));
            let proc_text = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n\
                TCP C0000201 BD32 C0000201 0050 C6336401 1F90 ESTABLISHED 899\n\
                UDP 2001:0db8:0000:0000:0000:0000:0000:0009 8A31 2001:0db8:0000:0000:0000:0000:0000:0001 0035 2001:0db8:0000:0000:0000:0000:0000:0002 0035 UDP 250 sip 3132\n";
            let mut out = Vec::new();
            json::write_connections(&mut out, proc_text.as_bytes(), &fmt, &names).unwrap();
            docs.push((format!("connections {json:?}"), out));
        }
        let mut out = Vec::new();
        json::write_timeouts(&mut out, &Timeouts::new(900, 120, 300), json);
        docs.push(("timeouts".into(), out));
        let mut master = Daemon::new(DaemonState::Master, Name::truncated(b"eth0"), 7);
        master.mcast_group = Some(ip("239.1.1.1"));
        master.sync_maxlen = Some(1472);
        let backup = Daemon::new(DaemonState::Backup, Name::truncated(b"eth1"), 7);
        let mut out = Vec::new();
        json::write_daemons(&mut out, &[backup, master], json);
        docs.push(("daemons".into(), out));
    }
    docs
}

#[test]
fn every_document_validates() {
    let v = validator();
    let docs = documents();
    assert!(docs.len() >= 14);
    for (what, bytes) in &docs {
        assert!(bytes.ends_with(b"\n"), "{what}: a final newline");
        let doc: Value = serde_json::from_slice(bytes).expect(what);
        assert!(doc.is_array(), "{what}: an array");
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{what}");
    }
}

/// Each mutation of a valid document must be refused: the validator really checks.
#[test]
fn mutated_documents_fail() {
    let v = validator();
    let mut out = Vec::new();
    let fmt = ListFormat {
        json: Json::Compact,
        ..ListFormat::default()
    };
    json::write_table(&mut out, &sample(), &fmt, &names());
    let good: Value = serde_json::from_slice(&out).unwrap();
    assert!(errors(&v, &good).is_empty());
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "a field removed",
            Box::new(|d| {
                d[0].as_object_mut().unwrap().remove("scheduler");
            }),
        ),
        (
            "an unknown field",
            Box::new(|d| d[0]["color"] = "red".into()),
        ),
        (
            "a negative counter",
            Box::new(|d| d[0]["stats"]["conns"] = (-1).into()),
        ),
        (
            "a counter as text",
            Box::new(|d| d[0]["stats"]["inbytes"] = "1K".into()),
        ),
        (
            "a bad address",
            Box::new(|d| d[0]["address"] = "192.0.2.300".into()),
        ),
        (
            "an unknown flag",
            Box::new(|d| d[0]["flags"][0] = "sticky".into()),
        ),
        (
            "a fwmark and an address",
            Box::new(|d| d[0]["fwmark"] = 5.into()),
        ),
        (
            "a port out of range",
            Box::new(|d| d[0]["real_servers"][0]["port"] = 65536.into()),
        ),
        ("no array", Box::new(|d| *d = d[0].clone())),
    ];
    for (what, mutate) in mutations {
        let mut doc = good.clone();
        mutate(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "{what} passed the schema");
    }
}

/// A table written as JSON reads back to the same settings.
#[test]
fn a_table_reads_back() {
    let snap = sample();
    for numeric in [false, true] {
        let fmt = ListFormat {
            numeric,
            json: Json::Pretty,
            ..ListFormat::default()
        };
        let mut out = Vec::new();
        json::write_table(&mut out, &snap, &fmt, &names());
        let table = json::read_table(&out).expect("reads back");
        assert_eq!(table.len(), snap.services.len());
        // The document is in listing order; compare by key.
        for (svc, dests) in &table {
            let (orig, orig_dests) = snap
                .services
                .iter()
                .find(|(s, _)| s.key == svc.key)
                .expect("the same services");
            assert_eq!(svc.scheduler, orig.scheduler);
            // The kernel sets `hashed` itself: it is not read back.
            assert_eq!(
                svc.flags,
                orig.flags - ServiceFlags::HASHED,
                "{:?}",
                svc.key
            );
            assert_eq!(
                (svc.timeout, svc.netmask, svc.pe_name),
                (orig.timeout, orig.netmask, orig.pe_name)
            );
            assert_eq!(dests.len(), orig_dests.len());
            for d in dests {
                let o = orig_dests.iter().find(|o| o.addr == d.addr).unwrap();
                assert_eq!(
                    (d.port, d.forward, d.weight, d.u_threshold, d.l_threshold),
                    (o.port, o.forward, o.weight, o.u_threshold, o.l_threshold)
                );
                assert_eq!(
                    (d.tun_type, d.tun_port, d.tun_flags),
                    (o.tun_type, o.tun_port, o.tun_flags)
                );
            }
        }
    }
    assert!(json::read_table(b"[{\"family\": \"inet\"}]").is_err());
    assert!(json::read_table(b"not json").is_err());
}

/// A scheduler or persistence-engine name longer than the kernel keeps is refused, not cut.
#[test]
fn a_name_too_long_for_the_kernel_is_refused() {
    let fmt = ListFormat {
        numeric: true,
        json: Json::Compact,
        ..ListFormat::default()
    };
    let mut out = Vec::new();
    json::write_table(&mut out, &sample(), &fmt, &names());
    let doc = String::from_utf8(out).unwrap();
    // The pe is checked on its own: the scheduler cut short would fail for its flags.
    for field in ["\"scheduler\":\"sh\"", "\"pe\":\"sip\""] {
        assert!(doc.contains(field), "{field} in {doc}");
        let long = field.replace(":\"", ":\"a-name-of-sixteen");
        let err = json::read_table(doc.replace(field, &long).as_bytes()).unwrap_err();
        assert!(
            err.contains("a-name-of-sixteen") && err.contains("at most 15 bytes"),
            "{err}"
        );
    }
}

/// What the commands printed in the VM, when the suite collected it.
#[test]
fn collected_documents_validate() {
    let Some(dir) = std::env::var_os("IPVSADM_JSON_SAMPLES") else {
        eprintln!("IPVSADM_JSON_SAMPLES not set: no collected documents");
        return;
    };
    let v = validator();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the samples directory") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let doc: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{}", path.display());
        n += 1;
    }
    assert!(n > 0, "no documents in {dir:?}");
    eprintln!("{n} collected documents validate");
}
