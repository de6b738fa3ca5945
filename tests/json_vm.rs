//! Every text listing and its JSON carry the same facts, read field by field: the texts and
//! documents that tests/json/run.sh collects from the real commands on the real kernel (a
//! rich table with traffic, in the VM), in the directory `IPVSADM_JSON_VM` names. The texts
//! are `-Ln --exact` in every display mode, one service, the connections, the timeouts, the
//! daemons, and a listing with names; each is compared with the JSON of the same moment.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn dir() -> Option<PathBuf> {
    std::env::var_os("IPVSADM_JSON_VM").map(PathBuf::from)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&read(dir, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A listing's lines: the services, each with its real servers' lines (the words of each).
fn entries(text: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut out: Vec<(Vec<String>, Vec<Vec<String>>)> = Vec::new();
    for line in text.lines() {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        match words.first().map(String::as_str) {
            Some("->") if line.starts_with("  -> ") && words[1] != "RemoteAddress:Port" => {
                out.last_mut()
                    .expect("a service first")
                    .1
                    .push(words[1..].to_vec());
            }
            Some("TCP" | "UDP" | "SCTP" | "FWM") => out.push((words, Vec::new())),
            _ => {}
        }
    }
    out
}

/// `addr:port` as listings write it (IPv6 in brackets), from a JSON object.
fn endpoint(o: &Value) -> String {
    let a = o["address"].as_str().unwrap();
    let p = &o["port"];
    if a.contains(':') {
        format!("[{a}]:{p}")
    } else {
        format!("{a}:{p}")
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A real server's counter as the text shows it: the reference reads the kernel's 64-bit
/// real-server counters with a 32-bit accessor (the byte counters whole).
fn low32(v: &Value) -> u64 {
    u(v) & 0xffff_ffff
}

/// The service line's words after the endpoint (or after `FWM N [IPv6]`) in the modes that
/// show the scheduler, as the JSON says they must be.
fn expected_settings(s: &Value) -> Vec<String> {
    let mut w = vec![s["scheduler"].as_str().unwrap().to_string()];
    let sched_flags: Vec<&str> = s["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .filter(|f| !matches!(*f, "persistent" | "ops" | "hashed"))
        // The listing leaves out a flag that has no name for the scheduler.
        .filter(|f| !(matches!(s["scheduler"].as_str(), Some("sh" | "mh")) && *f == "flag-3"))
        .collect();
    if !sched_flags.is_empty() {
        w.push(format!("({})", sched_flags.join(",")));
    }
    let flags: Vec<&str> = s["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    if flags.contains(&"persistent") {
        w.push("persistent".into());
        w.push(s["timeout"].to_string());
        let full = match &s["netmask"] {
            Value::String(m) => m == "255.255.255.255",
            n => n == 128,
        };
        if !full {
            w.push("mask".into());
            w.push(match &s["netmask"] {
                Value::String(m) => m.clone(),
                n => n.to_string(),
            });
        }
        if let Some(pe) = s["pe"].as_str() {
            w.push("pe".into());
            w.push(pe.into());
        }
    }
    if flags.contains(&"ops") {
        w.push("ops".into());
    }
    w
}

/// The service line's identifying words as the JSON says they must be: `PROT addr:port` or
/// `FWM mark [IPv6]`.
fn expected_identity(s: &Value) -> Vec<String> {
    match s["fwmark"].as_u64() {
        Some(mark) => {
            let mut w = vec!["FWM".to_string(), mark.to_string()];
            if s["family"] == "inet6" {
                w.push("IPv6".into());
            }
            w
        }
        None => vec![s["protocol"].as_str().unwrap().to_uppercase(), endpoint(s)],
    }
}

fn tun_info(d: &Value) -> String {
    if d["forward"] != "tunnel" {
        return "n/a".into();
    }
    let flags: Vec<&str> = d["tun_flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let csum = if flags.contains(&"remcsum") {
        "r+c"
    } else if flags.contains(&"csum") {
        "+c"
    } else {
        "-c"
    };
    match d["tun_type"].as_str().unwrap() {
        "gue" => format!("gue:{}:{csum}", d["tun_port"]),
        "gre" => format!("gre:{csum}"),
        t => t.to_string(),
    }
}

fn forward_label(d: &Value) -> String {
    let f = d["forward"].as_str().unwrap();
    let mut c = f.chars();
    c.next().unwrap().to_uppercase().chain(c).collect()
}

/// One listing mode's text against the JSON: services in the same order, every field the
/// mode shows.
fn compare_mode(mode: &str, text: &str, doc: &Value) -> usize {
    let services = doc.as_array().unwrap();
    let listed = entries(text);
    assert_eq!(listed.len(), services.len(), "{mode}: number of services");
    let mut fields = 0;
    for ((line, dests), s) in listed.iter().zip(services) {
        let id = expected_identity(s);
        assert_eq!(&line[..id.len()], &id[..], "{mode}: service identity");
        let rest = &line[id.len()..];
        let st = &s["stats"];
        let rt = &s["rates"];
        match mode {
            "stats" => {
                let want = [
                    &st["conns"],
                    &st["inpkts"],
                    &st["outpkts"],
                    &st["inbytes"],
                    &st["outbytes"],
                ];
                let want: Vec<String> = want.iter().map(|v| u(v).to_string()).collect();
                assert_eq!(rest, &want[..], "{mode}: {id:?}");
            }
            "rate" => {
                let want = [
                    &rt["cps"],
                    &rt["inpps"],
                    &rt["outpps"],
                    &rt["inbps"],
                    &rt["outbps"],
                ];
                let want: Vec<String> = want.iter().map(|v| u(v).to_string()).collect();
                assert_eq!(rest, &want[..], "{mode}: {id:?}");
            }
            _ => assert_eq!(rest, &expected_settings(s)[..], "{mode}: {id:?}"),
        }
        fields += line.len();
        let jd = s["real_servers"].as_array().unwrap();
        assert_eq!(dests.len(), jd.len(), "{mode}: {id:?}: real servers");
        for (words, d) in dests.iter().zip(jd) {
            assert_eq!(words[0], endpoint(d), "{mode}: {id:?}");
            let (dst, drt) = (&d["stats"], &d["rates"]);
            let want: Vec<String> = match mode {
                "plain" => vec![
                    forward_label(d),
                    d["weight"].to_string(),
                    d["active_conns"].to_string(),
                    d["inactive_conns"].to_string(),
                ],
                "stats" => vec![
                    low32(&dst["conns"]).to_string(),
                    low32(&dst["inpkts"]).to_string(),
                    low32(&dst["outpkts"]).to_string(),
                    u(&dst["inbytes"]).to_string(),
                    u(&dst["outbytes"]).to_string(),
                ],
                "rate" => [
                    &drt["cps"],
                    &drt["inpps"],
                    &drt["outpps"],
                    &drt["inbps"],
                    &drt["outbps"],
                ]
                .iter()
                .map(|v| low32(v).to_string())
                .collect(),
                "thresholds" => vec![
                    d["u_threshold"].to_string(),
                    d["l_threshold"].to_string(),
                    d["active_conns"].to_string(),
                    d["inactive_conns"].to_string(),
                ],
                "persistent-conn" => vec![
                    d["weight"].to_string(),
                    d["persistent_conns"].to_string(),
                    d["active_conns"].to_string(),
                    d["inactive_conns"].to_string(),
                ],
                "tun-info" => vec![
                    forward_label(d),
                    tun_info(d),
                    d["weight"].to_string(),
                    d["active_conns"].to_string(),
                    d["inactive_conns"].to_string(),
                ],
                m => panic!("mode {m}"),
            };
            assert_eq!(&words[1..], &want[..], "{mode}: {id:?} -> {}", words[0]);
            fields += words.len();
        }
    }
    fields
}

#[test]
fn text_and_json_carry_the_same_facts() {
    let Some(dir) = dir() else {
        eprintln!("IPVSADM_JSON_VM not set (tests/json/run.sh sets it): nothing to compare");
        return;
    };
    let doc = json(&dir, "list.json");
    // The table has traffic: the 64 KiB download is in the counters.
    let total: u64 = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|s| u(&s["stats"]["outbytes"]))
        .sum();
    assert!(
        total > 65_536,
        "the traffic is in the counters ({total} bytes out)"
    );
    let mut fields = 0;
    for mode in [
        "plain",
        "stats",
        "rate",
        "thresholds",
        "persistent-conn",
        "tun-info",
    ] {
        fields += compare_mode(mode, &read(&dir, &format!("list-{mode}.txt")), &doc);
    }
    // One service.
    fields += compare_mode(
        "plain",
        &read(&dir, "service.txt"),
        &json(&dir, "service.json"),
    );
    // With names: the service's endpoint is the host and service names where there are any.
    let named = json(&dir, "names.json");
    let listed = entries(&read(&dir, "names.txt"));
    for ((line, _), s) in listed.iter().zip(named.as_array().unwrap()) {
        if s["fwmark"].is_u64() {
            continue;
        }
        let host = s["host"].as_str().map_or_else(
            || s["address"].as_str().unwrap().to_string(),
            str::to_string,
        );
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let port = s["service"]
            .as_str()
            .map_or_else(|| s["port"].to_string(), str::to_string);
        let want = format!("{host}:{port}");
        // Listings cut IPv4 service names to 33 bytes with the protocol.
        assert!(want.starts_with(&line[1]), "{want} vs {}", line[1]);
        fields += 1;
    }
    assert!(
        named
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["host"] == "vip1.example.com"),
        "a name was looked up"
    );
    eprintln!("{fields} fields compared");
}

#[test]
fn small_listings_carry_the_same_facts() {
    let Some(dir) = dir() else {
        return;
    };
    // Timeouts.
    let t = read(&dir, "timeouts.txt");
    let j = json(&dir, "timeouts.json");
    let want = format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        j[0]["tcp"], j[0]["tcp_fin"], j[0]["udp"]
    );
    assert_eq!(t, want);
    // Daemons: state, interface and syncid of each, in order.
    let t = read(&dir, "daemons.txt");
    let j = json(&dir, "daemons.json");
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), j.as_array().unwrap().len());
    assert!(!lines.is_empty(), "a daemon runs");
    for (line, d) in lines.iter().zip(j.as_array().unwrap()) {
        let head = format!(
            "{} sync daemon (mcast={}, syncid={}",
            d["state"].as_str().unwrap(),
            d["mcast_interface"].as_str().unwrap(),
            d["syncid"]
        );
        assert!(line.starts_with(&head), "{line} vs {head}");
        if let Some(m) = d["sync_maxlen"].as_u64() {
            assert!(line.contains(&format!(", maxlen={m}")), "{line}");
        }
    }
    // Connections: the text was read between two JSON documents with the same entries, so
    // each entry's countdown in the text lies between the two documents' (it only falls).
    let t = read(&dir, "conns.txt");
    let j = json(&dir, "conns.json");
    let after = json(&dir, "conns-after.json");
    let rows: Vec<Vec<&str>> = t
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let conns = j.as_array().unwrap();
    let conns_after = after.as_array().unwrap();
    assert_eq!(rows.len(), conns.len());
    assert_eq!(conns_after.len(), conns.len());
    assert!(!rows.is_empty(), "the traffic left connections");
    for ((row, c), c_after) in rows.iter().zip(conns).zip(conns_after) {
        assert_eq!(row[0], c["protocol"].as_str().unwrap().to_uppercase());
        assert_eq!(row[2], c["state"].as_str().unwrap());
        assert_eq!(row[3], endpoint(&c["client"]));
        assert_eq!(row[4], endpoint(&c["virtual_service"]));
        assert_eq!(row[5], endpoint(&c["destination"]));
        let (m, s) = row[1].split_once(':').unwrap();
        let text_expires = m.parse::<u64>().unwrap() * 60 + s.parse::<u64>().unwrap();
        let (before, after) = (u(&c["expires"]), u(&c_after["expires"]));
        assert!(
            after <= text_expires && text_expires <= before,
            "{row:?}: the text's {text_expires} s, the JSON's {before} s before it and {after} s after it"
        );
        for key in [
            "protocol",
            "state",
            "client",
            "virtual_service",
            "destination",
        ] {
            assert_eq!(c[key], c_after[key], "{key}");
        }
    }
}
