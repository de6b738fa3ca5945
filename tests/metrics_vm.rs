//! The metrics carry the kernel's exact numbers: the expositions that tests/metrics/run.sh
//! collects from the real commands on the real kernel (in the VM, with traffic through a
//! NAT service), in the directory `IPVSADM_METRICS_VM` names. Each of two moments (with
//! more traffic in between) has `-Ln --json`, `--metrics`, `-Ln --stats --exact` and an
//! exporter scrape taken while the table held still; every service and real server of the
//! JSON has its counters, rates, connection counts and weight in both expositions, the
//! text listing agrees (real servers' connection and packet counters in their low 32 bits,
//! as the text shows them), and the counters grew from the first moment to the second.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn dir() -> Option<PathBuf> {
    std::env::var_os("IPVSADM_METRICS_VM").map(PathBuf::from)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

type Labels = BTreeMap<String, String>;

/// The samples of a Prometheus text exposition: (name, labels) -> value.
fn samples(text: &str) -> BTreeMap<(String, Labels), String> {
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("a value");
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, parse_labels(rest.strip_suffix('}').expect("}"))),
            None => (series, Labels::new()),
        };
        let old = out.insert((name.to_string(), labels), value.to_string());
        assert!(old.is_none(), "{line} twice");
    }
    out
}

fn parse_labels(mut s: &str) -> Labels {
    let mut out = Labels::new();
    while !s.is_empty() {
        let (key, rest) = s.split_once("=\"").expect("key=\"");
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next().expect("closing quote") {
                (_, '\\') => value.push(chars.next().expect("escaped").1),
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        out.insert(key.to_string(), value);
        s = rest[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&rest[end + 1..]);
    }
    out
}

/// One exposition's view: values by (name, labels), for one namespace label (or none).
struct Expo {
    values: BTreeMap<(String, Labels), String>,
    netns: Option<&'static str>,
}

impl Expo {
    fn new(text: &str, netns: Option<&'static str>) -> Expo {
        Expo {
            values: samples(text),
            netns,
        }
    }

    fn get(&self, name: &str, ids: &Labels) -> u64 {
        let mut labels = ids.clone();
        if let Some(ns) = self.netns {
            labels.insert("netns".into(), ns.into());
        }
        let v = self
            .values
            .get(&(name.to_string(), labels.clone()))
            .unwrap_or_else(|| panic!("no {name}{labels:?}"));
        v.parse()
            .unwrap_or_else(|_| panic!("{name}{labels:?} = {v}"))
    }

    /// How many series of a family belong to this exposition's namespace.
    fn count(&self, name: &str) -> usize {
        self.values
            .keys()
            .filter(|(n, l)| n == name && l.get("netns").map(String::as_str) == self.netns)
            .count()
    }

    /// The series of this namespace, without the namespace label, `up` and the exporter's
    /// own metrics (`ipvsadm_exporter_*`, which `--metrics` has not).
    fn own(&self) -> BTreeMap<(String, Labels), String> {
        self.values
            .iter()
            .filter(|((n, l), _)| {
                n != "ipvs_up"
                    && !n.starts_with("ipvsadm_exporter_")
                    && l.get("netns").map(String::as_str) == self.netns
            })
            .map(|((n, l), v)| {
                let mut l = l.clone();
                l.remove("netns");
                ((n.clone(), l), v.clone())
            })
            .collect()
    }
}

fn service_ids(s: &Value) -> Labels {
    let mut l = Labels::new();
    l.insert("family".into(), s["family"].as_str().unwrap().into());
    if let Some(mark) = s["fwmark"].as_u64() {
        l.insert("fwmark".into(), mark.to_string());
    } else {
        l.insert("protocol".into(), s["protocol"].as_str().unwrap().into());
        l.insert("address".into(), s["address"].as_str().unwrap().into());
        l.insert("port".into(), s["port"].to_string());
    }
    l
}

fn server_ids(s: &Value, d: &Value) -> Labels {
    let mut l = service_ids(s);
    l.insert(
        "server_address".into(),
        d["address"].as_str().unwrap().into(),
    );
    l.insert("server_port".into(), d["port"].to_string());
    l
}

const COUNTERS: [(&str, &str); 5] = [
    ("conns", "connections_total"),
    ("inpkts", "incoming_packets_total"),
    ("outpkts", "outgoing_packets_total"),
    ("inbytes", "incoming_bytes_total"),
    ("outbytes", "outgoing_bytes_total"),
];

const RATES: [(&str, &str); 5] = [
    ("cps", "connections_per_second"),
    ("inpps", "incoming_packets_per_second"),
    ("outpps", "outgoing_packets_per_second"),
    ("inbps", "incoming_bytes_per_second"),
    ("outbps", "outgoing_bytes_per_second"),
];

/// The values of `fields` of a JSON object (`(json field, series name)` pairs) are those
/// of the series `PREFIX_NAME` with these labels; returns how many were compared.
fn same_values(
    e: &Expo,
    prefix: &str,
    ids: &Labels,
    obj: &Value,
    fields: &[(&str, &str)],
) -> usize {
    for (field, name) in fields {
        let want = obj[field]
            .as_u64()
            .unwrap_or_else(|| panic!("{field} in {obj}"));
        assert_eq!(
            e.get(&format!("{prefix}_{name}"), ids),
            want,
            "{ids:?} {field}"
        );
    }
    fields.len()
}

/// Every number of the JSON is in the exposition, under its series.
fn matches_json(e: &Expo, json: &Value) -> usize {
    let services = json.as_array().unwrap();
    let mut checked = 0;
    assert_eq!(e.count("ipvs_service_connections_total"), services.len());
    let servers: usize = services
        .iter()
        .map(|s| s["real_servers"].as_array().unwrap().len())
        .sum();
    assert_eq!(e.count("ipvs_server_connections_total"), servers);
    for s in services {
        let ids = service_ids(s);
        checked += same_values(e, "ipvs_service", &ids, &s["stats"], &COUNTERS);
        checked += same_values(e, "ipvs_service", &ids, &s["rates"], &RATES);
        for d in s["real_servers"].as_array().unwrap() {
            let ids = server_ids(s, d);
            checked += same_values(e, "ipvs_server", &ids, &d["stats"], &COUNTERS);
            checked += same_values(e, "ipvs_server", &ids, &d["rates"], &RATES);
            let others = [
                ("active_conns", "active_connections"),
                ("inactive_conns", "inactive_connections"),
                ("persistent_conns", "persistent_connections"),
                ("weight", "weight"),
            ];
            checked += same_values(e, "ipvs_server", &ids, d, &others);
        }
    }
    checked
}

/// The text listing's counters (`-Ln --stats --exact`) are the exposition's: services
/// whole, real servers' connections and packets in their low 32 bits.
fn matches_text(e: &Expo, json: &Value, text: &str) -> usize {
    let numbers = |line: &str| -> Vec<u64> {
        let words: Vec<&str> = line.split_whitespace().collect();
        words[words.len() - 5..]
            .iter()
            .map(|w| w.parse().unwrap())
            .collect()
    };
    let services: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("TCP ") || l.starts_with("UDP ") || l.starts_with("FWM "))
        .collect();
    let servers: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  -> ") && !l.contains("RemoteAddress"))
        .collect();
    let json = json.as_array().unwrap();
    assert_eq!(services.len(), json.len(), "{text}");
    let mut checked = 0;
    let mut server_lines = servers.iter();
    for (line, s) in services.iter().zip(json) {
        let ids = service_ids(s);
        for (v, (_, name)) in numbers(line).into_iter().zip(COUNTERS) {
            assert_eq!(v, e.get(&format!("ipvs_service_{name}"), &ids), "{line}");
            checked += 1;
        }
        for d in s["real_servers"].as_array().unwrap() {
            let line = server_lines.next().expect("a server line per real server");
            assert!(line.contains(d["address"].as_str().unwrap()), "{line} {d}");
            let ids = server_ids(s, d);
            for (i, (v, (_, name))) in numbers(line).into_iter().zip(COUNTERS).enumerate() {
                let m = e.get(&format!("ipvs_server_{name}"), &ids);
                let shown = if i < 3 { m & 0xffff_ffff } else { m };
                assert_eq!(v, shown, "{line}");
                checked += 1;
            }
        }
    }
    assert!(server_lines.next().is_none());
    checked
}

#[test]
fn metrics_match_the_json_and_the_listing_and_grow() {
    let Some(dir) = dir() else {
        eprintln!("IPVSADM_METRICS_VM not set (tests/metrics/run.sh sets it): nothing to compare");
        return;
    };
    let nat = {
        let mut l = Labels::new();
        for (k, v) in [
            ("family", "inet"),
            ("protocol", "tcp"),
            ("address", "192.0.2.1"),
            ("port", "80"),
        ] {
            l.insert(k.into(), v.into());
        }
        l
    };
    let mut moments = Vec::new();
    for k in [1, 2] {
        let json: Value = serde_json::from_str(&read(&dir, &format!("json-{k}.json"))).unwrap();
        let metrics = Expo::new(&read(&dir, &format!("metrics-{k}.prom")), None);
        let scrape = Expo::new(&read(&dir, &format!("scrape-{k}.prom")), Some("mtd"));
        let text = read(&dir, &format!("stats-{k}.txt"));
        let a = matches_json(&metrics, &json);
        let b = matches_json(&scrape, &json);
        let c = matches_text(&metrics, &json, &text);
        assert_eq!(
            metrics.own(),
            scrape.own(),
            "the command and the scrape of the same moment"
        );
        assert_eq!(scrape.get("ipvs_up", &Labels::new()), 1);
        println!(
            "moment {k}: {a} numbers of the JSON in --metrics, {b} in the scrape, {c} of -Ln --stats --exact; the scrape's {} series of mtd are --metrics'",
            scrape.own().len()
        );
        // Real traffic went through the NAT service and both its servers.
        assert!(metrics.get("ipvs_service_connections_total", &nat) >= 8);
        moments.push((json, metrics));
    }
    let (json1, m1) = &moments[0];
    let (_, m2) = &moments[1];
    let nat_service = json1
        .as_array()
        .unwrap()
        .iter()
        .find(|s| service_ids(s) == nat)
        .expect("the NAT service");
    let mut grown = 0;
    for (_, name) in COUNTERS {
        let name = format!("ipvs_service_{name}");
        assert!(m2.get(&name, &nat) > m1.get(&name, &nat), "{name}");
        grown += 1;
        for d in nat_service["real_servers"].as_array().unwrap() {
            let ids = server_ids(nat_service, d);
            let name = name.replace("service", "server");
            assert!(m2.get(&name, &ids) > m1.get(&name, &ids), "{name} {ids:?}");
            grown += 1;
        }
    }
    for name in [
        "ipvs_connections_total",
        "ipvs_incoming_packets_total",
        "ipvs_incoming_bytes_total",
        "ipvs_outgoing_bytes_total",
    ] {
        assert!(
            m2.get(name, &Labels::new()) > m1.get(name, &Labels::new()),
            "{name}"
        );
        // The namespace's totals cover at least the NAT service.
        assert!(
            m2.get(name, &Labels::new()) >= m2.get(&name.replace("ipvs_", "ipvs_service_"), &nat),
            "{name}"
        );
        grown += 1;
    }
    println!(
        "{grown} counters grew with the traffic (the NAT service, its two servers, the totals)"
    );
}

#[test]
fn labels_parse_with_escapes() {
    let s = samples("# HELP x y\nx{a=\"1\",b=\"q\\\"\\\\\"} 5\ny 7\n");
    let mut l = Labels::new();
    l.insert("a".into(), "1".into());
    l.insert("b".into(), "q\"\\".into());
    assert_eq!(s[&("x".to_string(), l)], "5");
    assert_eq!(s[&("y".to_string(), Labels::new())], "7");
}
