//! The bounded property runs of the two checks (part of `cargo test`), and a replay of the
//! fuzz corpora kept in the repository (`fuzz/corpus/decode`, `fuzz/corpus/client`), which
//! hold the inputs that found each bug.
//!
//! The runs are reproducible: a fixed seed unless `PROPTEST_RNG_SEED` gives another, and a
//! fixed number of cases. Longer, coverage-guided runs of the same checks are the fuzz
//! targets' job (`fuzz/run.sh`).

use std::cell::Cell;
use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use super::*;
use crate::model::{Forward, Name, Stats, TunnelType, UnknownAttr};

/// A runner for `cases` cases: fixed seed (unless `PROPTEST_RNG_SEED` is set), no
/// regression files (the corpora are the regressions).
fn runner(cases: u32) -> TestRunner {
    let mut config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(0x1905_2026);
    }
    TestRunner::new(config)
}

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
    ]
}

fn stats() -> impl Strategy<Value = Stats> {
    any::<[u64; 10]>().prop_map(|v| Stats {
        conns: v[0],
        inpkts: v[1],
        outpkts: v[2],
        inbytes: v[3],
        outbytes: v[4],
        cps: v[5],
        inpps: v[6],
        outpps: v[7],
        inbps: v[8],
        outbps: v[9],
    })
}

/// Attributes of types the decoder does not know (from `first` on).
fn unknown(first: u16) -> impl Strategy<Value = Vec<UnknownAttr>> {
    vec(
        (first..0x3fff, vec(any::<u8>(), 0..24))
            .prop_map(|(kind, payload)| UnknownAttr { kind, payload }),
        0..3,
    )
}

/// Names as they come: any bytes but NUL, cut to what the kernel keeps.
fn name() -> impl Strategy<Value = Name> {
    vec(1u8..=255, 0..24).prop_map(|b| Name::truncated(&b))
}

fn service() -> impl Strategy<Value = Service> {
    let key = prop_oneof![
        (any::<u16>(), addr(), any::<u16>()).prop_map(|(p, addr, port)| ServiceKey::Addr {
            protocol: Protocol::from_raw(p),
            addr,
            port,
        }),
        (any::<bool>(), any::<u32>()).prop_map(|(v6, mark)| ServiceKey::Fwmark {
            family: if v6 { Family::Inet6 } else { Family::Inet },
            mark,
        }),
    ];
    let settings = (any::<u32>(), any::<u32>(), any::<u32>());
    let pe = proptest::option::of(vec(1u8..=255, 1..24).prop_map(|b| Name::truncated(&b)));
    (
        key,
        name(),
        pe,
        settings,
        proptest::option::of(stats()),
        unknown(13),
    )
        .prop_map(
            |(key, scheduler, pe_name, (flags, timeout, netmask), stats, unknown)| Service {
                key,
                scheduler,
                pe_name,
                flags: crate::model::ServiceFlags::from_bits_retain(flags),
                timeout,
                netmask: crate::model::Netmask::from_raw(netmask),
                stats,
                unknown,
            },
        )
}

fn dest() -> impl Strategy<Value = Dest> {
    let numbers = (0u32..8, any::<i32>(), any::<[u32; 5]>());
    let tunnel = (any::<u8>(), any::<u16>(), any::<u16>());
    let counters = proptest::option::of(stats());
    (addr(), any::<u16>(), numbers, tunnel, counters, unknown(16)).prop_map(
        |(addr, port, (fwd, weight, n), (tun, tun_port, tun_flags), stats, unknown)| Dest {
            addr,
            port,
            forward: Forward::from_raw(fwd),
            weight,
            u_threshold: n[0],
            l_threshold: n[1],
            tun_type: TunnelType::from_raw(tun),
            tun_port,
            tun_flags: crate::model::TunnelFlags::from_bits_retain(tun_flags),
            active_conns: n[2],
            inact_conns: n[3],
            persist_conns: n[4],
            stats,
            unknown,
        },
    )
}

fn daemon() -> impl Strategy<Value = Daemon> {
    let optional = (
        proptest::option::of(any::<u16>()),
        proptest::option::of(addr()),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
    );
    (any::<bool>(), name(), any::<u32>(), optional, unknown(9)).prop_map(
        |(master, ifn, syncid, (maxlen, group, port, ttl), unknown)| Daemon {
            state: if master {
                DaemonState::Master
            } else {
                DaemonState::Backup
            },
            mcast_ifn: ifn,
            syncid,
            sync_maxlen: maxlen,
            mcast_group: group,
            mcast_port: port,
            mcast_ttl: ttl,
            unknown,
        },
    )
}

/// One object as the kernel would send it, in a data message.
#[derive(Debug, Clone)]
enum Object {
    Service(Service),
    Dest(Service, Dest),
    Daemon(Daemon),
    Timeouts(Timeouts),
}

fn object() -> impl Strategy<Value = Object> {
    prop_oneof![
        service().prop_map(Object::Service),
        (service(), dest()).prop_map(|(s, d)| Object::Dest(s, d)),
        daemon().prop_map(Object::Daemon),
        any::<[u32; 3]>().prop_map(|t| Object::Timeouts(Timeouts {
            tcp: t[0],
            tcp_fin: t[1],
            udp: t[2],
        })),
    ]
}

/// The object's reply message, and its attributes' offset in it.
fn reply_message(o: &Object) -> Vec<u8> {
    let mut buf = Vec::new();
    data(&mut buf, 7, 0, |w| match o {
        Object::Service(s) => service::encode(w, s, Style::Reply),
        Object::Dest(s, d) => {
            service::encode_key_only(w, &s.key);
            dest::encode(w, d, Style::Reply);
        }
        Object::Daemon(d) => daemon::encode(w, d, Style::Reply),
        Object::Timeouts(t) => config::encode_timeouts(w, t),
    });
    buf
}

/// How a message is damaged: bytes overwritten (position, value), then cut short, then
/// bytes inserted.
#[derive(Debug, Clone)]
struct Mangling {
    writes: Vec<(usize, u8)>,
    cut: Option<usize>,
    insert: Option<(usize, Vec<u8>)>,
}

fn mangling() -> impl Strategy<Value = Mangling> {
    let writes = vec((any::<usize>(), any::<u8>()), 0..4);
    let cut = proptest::option::weighted(0.2, any::<usize>());
    let insert = proptest::option::weighted(0.2, (any::<usize>(), vec(any::<u8>(), 1..12)));
    (writes, cut, insert).prop_map(|(writes, cut, insert)| Mangling {
        writes,
        cut,
        insert,
    })
}

impl Mangling {
    fn apply(&self, bytes: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        for &(at, v) in &self.writes {
            let at = at % bytes.len();
            bytes[at] = v;
        }
        if let Some(cut) = self.cut {
            bytes.truncate(cut % bytes.len());
        }
        if let Some((at, extra)) = &self.insert {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, extra.iter().copied());
        }
    }
}

/// Every generated object decodes from its reply message to itself; then the message, damaged
/// a few bytes at a time, goes through [`decode`].
#[test]
fn decoders_survive_damaged_replies() {
    let intact = Cell::new(0);
    runner(3000)
        .run(&(vec(object(), 1..3), mangling()), |(objects, damage)| {
            let mut buf = Vec::new();
            for o in &objects {
                let m = reply_message(o);
                check_object(o, &m);
                buf.extend(m);
            }
            decode(&buf);
            intact.set(intact.get() + 1);
            damage.apply(&mut buf);
            decode(&buf);
            Ok(())
        })
        .unwrap();
    assert_eq!(intact.get(), 3000);
}

/// The object decodes from its own message as the client would decode it.
fn check_object(o: &Object, message: &[u8]) {
    let m = Messages::new(message).next().unwrap().unwrap();
    let Reply::Data { attrs, .. } = m.reply().unwrap() else {
        panic!("not a data message")
    };
    let nests: Vec<&[u8]> = Attrs::new(attrs).map(|a| a.unwrap().payload).collect();
    match o {
        Object::Service(s) => assert_eq!(&service::decode(nests[0]).unwrap(), s),
        Object::Dest(s, d) => {
            assert_eq!(&dest::decode(nests[1], s.key.family()).unwrap(), d)
        }
        Object::Daemon(d) => assert_eq!(&daemon::decode(nests[0]).unwrap(), d),
        Object::Timeouts(t) => assert_eq!(&config::decode_timeouts(attrs).unwrap(), t),
    }
}

/// Bytes with no structure at all.
#[test]
fn decoders_survive_arbitrary_bytes() {
    runner(3000)
        .run(&vec(any::<u8>(), 0..600), |bytes| {
            decode(&bytes);
            Ok(())
        })
        .unwrap();
}

fn seq() -> impl Strategy<Value = Seq> {
    prop_oneof![
        8 => (0u8..4).prop_map(Seq::Sent),
        1 => any::<u8>().prop_map(Seq::Stale),
        1 => any::<u32>().prop_map(Seq::Fixed),
    ]
}

/// Mostly 0 (an ACK), else any code.
fn code() -> impl Strategy<Value = i32> {
    prop_oneof![6 => Just(0), 1 => Just(i32::MIN), 3 => any::<i32>()]
}

/// Mostly what a kernel would send (to the request just sent), sometimes anything.
fn msg() -> impl Strategy<Value = Msg> {
    let rarely = || proptest::bool::weighted(0.1);
    let sometimes = || proptest::option::weighted(0.9, any::<u32>());
    prop_oneof![
        12 => Just(Msg::Answer),
        4 => (seq(), code()).prop_map(|(s, c)| Msg::Ack(s, c)),
        1 => (seq(), code(), any::<u16>(), any::<u32>(), vec(any::<u8>(), 0..32))
            .prop_map(|(s, c, f, l, t)| Msg::ExtAck(s, c, f, l, t)),
        3 => (seq(), rarely()).prop_map(|(s, i)| Msg::Done(s, i)),
        4 => (seq(), rarely(), any::<u16>(), prop_oneof![3 => Just(0), 1 => any::<u32>()])
            .prop_map(|(s, i, p, m)| Msg::Service(s, i, p, m)),
        2 => (seq(), rarely(), any::<bool>(), any::<u16>(), any::<i32>())
            .prop_map(|(s, i, v6, p, w)| Msg::Dest(s, i, v6, p, w)),
        1 => (seq(), any::<bool>(), any::<u32>()).prop_map(|(s, m, id)| Msg::Daemon(s, m, id)),
        1 => (seq(), sometimes(), sometimes()).prop_map(|(s, v, t)| Msg::Info(s, v, t)),
        1 => (seq(), any::<[u32; 3]>()).prop_map(|(s, t)| Msg::Timeouts(s, t[0], t[1], t[2])),
        1 => (seq(), any::<u16>(), any::<u16>(), vec(any::<u8>(), 0..40))
            .prop_map(|(s, k, f, p)| Msg::Message(s, k, f, p)),
        1 => vec(any::<u8>(), 0..64).prop_map(Msg::Raw),
    ]
}

/// A datagram of one message mostly, now and then several, damaged or repeated.
fn datagram() -> impl Strategy<Value = Datagram> {
    let damage = prop_oneof![
        any::<u16>().prop_map(Damage::Truncated),
        (any::<u8>(), any::<u32>()).prop_map(|(m, l)| Damage::BadLength(m, l)),
    ];
    let messages = prop_oneof![4 => vec(msg(), 1..2), 1 => vec(msg(), 2..5)];
    let damage = proptest::option::weighted(0.1, damage);
    let repeat = proptest::option::weighted(0.05, 0u8..60);
    (messages, damage, repeat).prop_map(|(messages, damage, repeat)| Datagram {
        messages,
        damage,
        repeat,
    })
}

fn change() -> impl Strategy<Value = ChangeSpec> {
    prop_oneof![
        any::<u16>().prop_map(ChangeSpec::AddService),
        any::<u16>().prop_map(ChangeSpec::DeleteService),
        (any::<u16>(), any::<u16>()).prop_map(|(p, r)| ChangeSpec::AddDest(p, r)),
        proptest::option::of(any::<u16>()).prop_map(ChangeSpec::Zero),
        Just(ChangeSpec::Flush),
        any::<[u32; 3]>().prop_map(|t| ChangeSpec::SetTimeouts(t[0], t[1], t[2])),
        (any::<bool>(), any::<u32>()).prop_map(|(m, id)| ChangeSpec::StartDaemon(m, id)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        change().prop_map(Op::Apply),
        vec(change(), 0..5).prop_map(Op::ApplyBatch),
        change().prop_map(Op::Queue),
        Just(Op::SendQueued),
        Just(Op::Outcomes),
        Just(Op::Info),
        Just(Op::Services),
        any::<u16>().prop_map(Op::Service),
        any::<u16>().prop_map(Op::Dests),
        Just(Op::Timeouts),
        Just(Op::Daemons),
        Just(Op::Snapshot),
    ]
}

fn client_case() -> impl Strategy<Value = ClientCase> {
    let room = prop_oneof![3 => Just(u8::MAX), 1 => 0u8..4];
    let failing = proptest::option::weighted(0.1, 0u8..8);
    (room, failing, vec(op(), 1..8), vec(datagram(), 0..24)).prop_map(
        |(room, failing_send, ops, script)| ClientCase {
            room,
            failing_send,
            ops,
            script,
        },
    )
}

/// The client over hostile transports. Enough of the runs must get somewhere (a call that
/// succeeds with values) for the check to mean something.
#[test]
fn the_client_survives_hostile_transports() {
    let (with_values, datagrams) = (Cell::new(0), Cell::new(0));
    runner(3000)
        .run(&client_case(), |case| {
            let run = client(&case);
            with_values.set(with_values.get() + usize::from(run.values > 0));
            datagrams.set(datagrams.get() + run.datagrams);
            Ok(())
        })
        .unwrap();
    assert!(
        with_values.get() > 1000,
        "{} runs with values",
        with_values.get()
    );
    assert!(datagrams.get() > 20_000, "{} datagrams", datagrams.get());
}

/// The fuzz target's entry point on arbitrary bytes.
#[test]
fn the_client_survives_cases_made_from_bytes() {
    runner(1000)
        .run(&vec(any::<u8>(), 0..1500), |bytes| {
            client_bytes(&bytes);
            Ok(())
        })
        .unwrap();
}

/// The hostile transport answering like the kernel: every call succeeds. (The harness can
/// tell a working client from a broken one.)
#[test]
fn the_client_over_a_well_behaved_script() {
    let case = ClientCase {
        ops: vec![
            Op::ApplyBatch(vec![ChangeSpec::AddService(80), ChangeSpec::Flush]),
            Op::Queue(ChangeSpec::AddDest(80, 8080)),
            Op::Services,
            Op::Outcomes,
            Op::Info,
            Op::Timeouts,
        ],
        script: vec![
            Datagram::of(vec![
                Msg::Ack(Seq::Sent(1), 0),
                Msg::Ack(Seq::Sent(0), libc::EEXIST),
            ]),
            Datagram::of(vec![Msg::Ack(Seq::Sent(0), 0)]),
            Datagram::of(vec![Msg::Service(Seq::Sent(0), false, 80, 0)]),
            Datagram {
                repeat: Some(2),
                ..Datagram::of(vec![Msg::Service(Seq::Sent(0), false, 81, 0)])
            },
            Datagram::of(vec![Msg::Done(Seq::Sent(0), false)]),
            Datagram::of(vec![
                Msg::Info(Seq::Sent(0), Some(0x010201), Some(4096)),
                Msg::Ack(Seq::Sent(0), 0),
            ]),
            Datagram::of(vec![Msg::Timeouts(Seq::Sent(0), 900, 120, 300)]),
            Datagram::of(vec![Msg::Ack(Seq::Sent(0), 0)]),
        ],
        room: u8::MAX,
        failing_send: None,
    };
    let run = client(&case);
    assert_eq!(run.ok, 5, "{run:?}");
    assert_eq!(run.values, 3, "{run:?}");
    assert_eq!(run.outcomes, 3, "{run:?}");
    assert_eq!(run.datagrams, 10, "{run:?}");
}

/// The transport used up in the middle of a dump: the call fails, it does not wait.
#[test]
fn an_endless_dump_ends_with_the_script() {
    let case = ClientCase {
        ops: vec![Op::Snapshot, Op::Services],
        script: vec![Datagram {
            repeat: Some(200),
            ..Datagram::of(vec![Msg::Service(Seq::Sent(0), false, 80, 0)])
        }],
        room: 1,
        failing_send: None,
    };
    let run = client(&case);
    assert_eq!((run.ok, run.datagrams), (0, 201), "{run:?}");
}

/// Every file of a corpus kept in the repository.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: empty", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn the_decode_corpus_replays() {
    for (_, bytes) in corpus("decode") {
        decode(&bytes);
    }
}

#[test]
fn the_client_corpus_replays() {
    for (_, bytes) in corpus("client") {
        client_bytes(&bytes);
    }
}

/// Unknown attributes that fill a service past 64 KiB: read from a buffer longer than one
/// attribute holds, the service cannot be written as one again. The encoder used to write
/// its nest with the length cut to 16 bits, so that the tail read as further attributes;
/// now it refuses it (`fuzz/corpus/decode/bug-nest-length-wrapped` holds this input).
#[test]
fn a_service_too_big_for_one_nest_is_refused_not_misframed() {
    let data = too_big_service();
    decode(&data);
    let s = service::decode(&data).unwrap();
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    service::encode(&mut w, &s, Style::Request);
    // The nest: its header, the settings and the unknown attributes, 90,000 bytes of them.
    assert!(
        matches!(w.too_long(), Some(n) if n > 90_000),
        "{:?}",
        w.too_long()
    );
}

/// The service of [`a_service_too_big_for_one_nest_is_refused_not_misframed`]: family,
/// fwmark, and three unknown attributes of 29,996 bytes.
fn too_big_service() -> Vec<u8> {
    let mut data = Vec::new();
    let mut w = AttrWriter::new(&mut data);
    w.u16(IPVS_SVC_ATTR_AF, AF_INET)
        .u32(IPVS_SVC_ATTR_FWMARK, 1);
    for kind in [100, 101, 102] {
        w.bytes(kind, &[0x55; 29_996]);
    }
    data
}

/// The kept input is that service.
#[test]
fn the_kept_input_is_the_service_too_big_for_one_nest() {
    let kept = corpus("decode")
        .into_iter()
        .find(|(p, _)| p.ends_with("bug-nest-length-wrapped"))
        .expect("fuzz/corpus/decode/bug-nest-length-wrapped");
    assert_eq!(kept.1, too_big_service());
}
