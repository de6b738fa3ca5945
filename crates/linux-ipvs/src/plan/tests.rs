//! The planner: hand-made cases for each rule, then generated pairs of tables (applying
//! `plan(A, B)` to `A` gives `B`, in memory and through the client against the stand-in
//! kernel; `plan(B, B)` is empty; drains end where an immediate removal would).

use std::collections::BTreeMap;
use std::net::IpAddr;

use proptest::prelude::*;

use super::*;
use crate::client::ChangeKind;
use crate::consts::{
    IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2,
};
use crate::fake::{FakeKernel, tcp};
use crate::model::{Family, Forward, Netmask, Protocol, ServiceFlags, TunnelFlags, TunnelType};
use crate::table::Table;

type Entries = Vec<(Service, Vec<Dest>)>;

fn rs(last: u8, weight: i32) -> Dest {
    let mut d = Dest::new(IpAddr::from([198, 51, 100, last]), 80);
    d.forward = Forward::Masq;
    d.weight = weight;
    d
}

fn kinds(p: &Plan) -> Vec<ChangeKind> {
    p.changes.iter().map(Change::kind).collect()
}

#[test]
fn a_table_that_matches_needs_nothing() {
    let t = vec![(tcp(80), vec![rs(1, 1), rs(2, 3)]), (tcp(443), vec![])];
    let p = plan(&t, &t, Removal::Immediate);
    assert!(p.is_empty());
    assert_eq!(p.counts, PlanCounts::default());
    assert!(plan(&[], &[], Removal::Drain).is_empty());
}

#[test]
fn what_the_kernel_adds_to_a_read_is_no_difference() {
    let want = vec![(tcp(80), vec![rs(1, 1)])];
    let mut svc = tcp(80);
    svc.flags |= ServiceFlags::HASHED;
    svc.pe_name = Some(crate::model::Name::EMPTY);
    let mut d = rs(1, 1);
    d.active_conns = 4;
    d.inact_conns = 2;
    d.persist_conns = 1;
    let have = vec![(svc, vec![d])];
    assert!(plan(&have, &want, Removal::Immediate).is_empty());
}

#[test]
fn changes_come_in_order_adds_dests_edits_then_removals() {
    let mut edited = tcp(80);
    edited.scheduler = crate::model::Name::truncated(b"rr");
    let have = vec![
        (tcp(80), vec![rs(1, 1), rs(2, 1)]),
        (tcp(8080), vec![rs(9, 1)]),
    ];
    let want = vec![
        (edited.clone(), vec![rs(1, 5), rs(3, 1)]),
        (tcp(443), vec![rs(4, 1)]),
    ];
    let p = plan(&have, &want, Removal::Immediate);
    use ChangeKind::*;
    assert_eq!(
        kinds(&p),
        [
            AddService,    // :443
            EditDest,      // .1 weight 5
            AddDest,       // .3
            AddDest,       // :443 .4
            EditService,   // :80 rr, its real servers kept
            DeleteDest,    // .2
            DeleteService  // :8080, with .9
        ],
        "{:#?}",
        p.changes
    );
    assert_eq!(
        p.counts,
        PlanCounts {
            added: 3,
            edited: 2,
            removed: 2,
            drains_started: 0
        }
    );
    assert!(p.draining.is_empty());
}

#[test]
fn an_identity_that_changes_is_an_add_and_a_removal() {
    let mut moved = rs(1, 1);
    moved.port = 8080;
    let have = vec![(tcp(80), vec![rs(1, 1)])];
    let want = vec![(tcp(80), vec![moved.clone()])];
    let p = plan(&have, &want, Removal::Immediate);
    assert_eq!(
        p.changes,
        [
            Change::AddDest(tcp(80).key, moved),
            Change::DeleteDest(tcp(80).key, rs(1, 1).key())
        ]
    );
}

#[test]
fn a_drain_starts_with_weight_zero_and_ends_when_the_connections_have() {
    let want = vec![(tcp(80), vec![rs(1, 1)])];
    // .2 still has weight: it gets weight 0 and waits.
    let have = vec![(tcp(80), vec![rs(1, 1), rs(2, 4)])];
    let p = plan(&have, &want, Removal::Drain);
    assert_eq!(p.changes, [Change::EditDest(tcp(80).key, rs(2, 0))]);
    assert_eq!(p.counts.drains_started, 1);
    assert_eq!(p.counts.edited, 0);
    assert_eq!(p.draining.len(), 1);
    // At weight 0 with connections: nothing to do yet, still draining.
    let mut busy = rs(2, 0);
    busy.inact_conns = 1;
    let have = vec![(tcp(80), vec![rs(1, 1), busy])];
    let p = plan(&have, &want, Removal::Drain);
    assert!(p.changes.is_empty());
    assert_eq!(p.draining.len(), 1);
    assert!(!p.is_empty());
    // Idle at weight 0: removed.
    let have = vec![(tcp(80), vec![rs(1, 1), rs(2, 0)])];
    let p = plan(&have, &want, Removal::Drain);
    assert_eq!(p.changes, [Change::DeleteDest(tcp(80).key, rs(2, 0).key())]);
    assert!(p.draining.is_empty());
}

#[test]
fn a_real_server_the_file_names_with_weight_zero_is_not_draining() {
    let mut busy = rs(2, 0);
    busy.active_conns = 3;
    let have = vec![(tcp(80), vec![busy])];
    let want = vec![(tcp(80), vec![rs(2, 0)])];
    assert!(plan(&have, &want, Removal::Drain).is_empty());
}

#[test]
fn an_unwanted_service_waits_for_its_real_servers_when_draining() {
    let mut busy = rs(2, 0);
    busy.active_conns = 1;
    let have = vec![(tcp(80), vec![rs(1, 2), busy.clone(), rs(3, 0)])];
    let p = plan(&have, &[], Removal::Drain);
    assert_eq!(
        p.changes,
        [
            Change::EditDest(tcp(80).key, rs(1, 0)),
            Change::DeleteDest(tcp(80).key, rs(3, 0).key())
        ]
    );
    assert_eq!(p.draining.len(), 2);
    // Once every real server is idle at weight 0, the service goes in one change.
    let have = vec![(tcp(80), vec![rs(1, 0), rs(2, 0)])];
    let p = plan(&have, &[], Removal::Drain);
    assert_eq!(p.changes, [Change::DeleteService(tcp(80).key)]);
    // Without draining it goes at once.
    let have = vec![(tcp(80), vec![rs(1, 2), busy])];
    let p = plan(&have, &[], Removal::Immediate);
    assert_eq!(p.changes, [Change::DeleteService(tcp(80).key)]);
    assert_eq!(p.counts.removed, 1);
}

#[test]
fn long_real_server_lists_are_matched_by_address_and_port() {
    let many: Vec<Dest> = (1..=200).map(|i| rs(i, 1)).collect();
    let mut want = many.clone();
    want.reverse();
    want[7].weight = 9;
    let p = plan(
        &[(tcp(80), many)],
        &[(tcp(80), want.clone())],
        Removal::Immediate,
    );
    assert_eq!(p.changes, [Change::EditDest(tcp(80).key, want[7].clone())]);
}

#[test]
fn an_unwanted_real_server_is_found_in_lists_of_every_length() {
    // Lists of up to 64 are tracked by position, longer ones searched; a desired list that
    // names one server twice still leaves the one it does not name unwanted.
    for len in [1u8, 2, 16, 17, 63, 64, 65, 200] {
        let have: Vec<Dest> = (1..=len).map(|i| rs(i, 1)).collect();
        let p = plan(
            &[(tcp(80), have.clone())],
            &[(tcp(80), have.clone())],
            Removal::Immediate,
        );
        assert!(p.is_empty(), "{len} servers, all wanted");
        let mut want = have.clone();
        let gone = want.remove(usize::from(len / 2));
        if let Some(first) = want.first().cloned() {
            want.push(first);
        }
        let p = plan(&[(tcp(80), have)], &[(tcp(80), want)], Removal::Immediate);
        assert_eq!(
            p.changes,
            [Change::DeleteDest(tcp(80).key, gone.key())],
            "{len} servers, one unwanted"
        );
    }
}

// ---- generated tables ---------------------------------------------------------------------

/// The services a generated table may hold: few enough that two tables share many.
fn service_key() -> impl Strategy<Value = ServiceKey> {
    let addr = prop_oneof![
        Just(IpAddr::from([192, 0, 2, 1])),
        Just(IpAddr::from([192, 0, 2, 2])),
        Just("2001:db8::1".parse::<IpAddr>().unwrap()),
    ];
    let proto = prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Sctp)
    ];
    prop_oneof![
        (proto, addr, prop_oneof![Just(80u16), Just(443)]).prop_map(|(protocol, addr, port)| {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            }
        }),
        (any::<bool>(), 1u32..4).prop_map(|(v6, mark)| ServiceKey::Fwmark {
            family: if v6 { Family::Inet6 } else { Family::Inet },
            mark,
        }),
    ]
}

fn service() -> impl Strategy<Value = Service> {
    (
        service_key(),
        prop_oneof![Just("rr"), Just("wlc"), Just("sh"), Just("mh")],
        prop_oneof![Just(None), Just(Some("sip"))],
        prop::sample::subsequence(
            vec![
                IP_VS_SVC_F_PERSISTENT,
                IP_VS_SVC_F_ONEPACKET,
                IP_VS_SVC_F_SCHED1,
                IP_VS_SVC_F_SCHED2,
            ],
            0..=4,
        ),
        prop_oneof![Just(0u32), Just(300), Just(60)],
        prop_oneof![Just(None), Just(Some(24u32))],
    )
        .prop_map(|(key, sched, pe, flags, timeout, mask)| {
            let mut s =
                Service::with_scheduler(key, crate::model::Name::truncated(sched.as_bytes()));
            s.pe_name = pe.map(|p| crate::model::Name::truncated(p.as_bytes()));
            s.flags = ServiceFlags::from_bits_retain(flags.iter().fold(0, |a, f| a | f));
            s.timeout = timeout;
            if let Some(m) = mask {
                s.netmask = match key.family() {
                    Family::Inet => Netmask::prefix(Family::Inet, 24).unwrap(),
                    Family::Inet6 => Netmask::from_raw(64 + m),
                };
            }
            s
        })
}

fn dest() -> impl Strategy<Value = Dest> {
    (
        prop_oneof![
            Just(IpAddr::from([198, 51, 100, 1])),
            Just(IpAddr::from([198, 51, 100, 2])),
            Just(IpAddr::from([203, 0, 113, 3])),
            Just("2001:db8::5".parse::<IpAddr>().unwrap()),
        ],
        prop_oneof![Just(80u16), Just(8080)],
        prop_oneof![
            Just(Forward::Masq),
            Just(Forward::Route),
            Just(Forward::Tunnel)
        ],
        0i32..4,
        prop_oneof![Just((0u32, 0u32)), Just((10, 0)), Just((10, 5))],
        prop_oneof![
            Just((TunnelType::Ipip, 0u16, 0u16)),
            Just((TunnelType::Gue, 6080, 1)),
            Just((TunnelType::Gre, 0, 2)),
        ],
        (any::<u8>(), any::<u8>()),
    )
        .prop_map(
            |(addr, port, forward, weight, (u, l), (tt, tp, tf), (a, i))| {
                let mut d = Dest::new(addr, port);
                d.forward = forward;
                d.weight = weight;
                d.u_threshold = u;
                d.l_threshold = l;
                d.tun_type = tt;
                d.tun_port = tp;
                d.tun_flags = TunnelFlags::from_bits_retain(tf);
                // Connection counts, as a read of a busy kernel shows them.
                d.active_conns = u32::from(a % 3);
                d.inact_conns = u32::from(i % 2);
                d
            },
        )
}

/// A table: unique service keys, unique real servers within each service.
fn table() -> impl Strategy<Value = Entries> {
    prop::collection::vec((service(), prop::collection::vec(dest(), 0..5)), 0..10).prop_map(|raw| {
        let mut by_key = BTreeMap::new();
        for (svc, dests) in raw {
            let mut unique: Vec<Dest> = Vec::new();
            for d in dests {
                if find_dest(&unique, d.addr, d.port).is_none() {
                    unique.push(d);
                }
            }
            by_key
                .entry(format!("{:?}", svc.key))
                .or_insert((svc, unique));
        }
        by_key.into_values().collect()
    })
}

fn table_of(entries: &Entries) -> Table {
    Table::from_entries(entries.clone()).unwrap()
}

/// Applies every change to the table in memory; each must be accepted.
fn apply_all(t: &mut Table, p: &Plan) {
    for c in &p.changes {
        t.apply(c)
            .unwrap_or_else(|e| panic!("{c:?} refused: {e}\nplan: {p:#?}"));
    }
}

/// The connections of every real server close (what a drain waits for).
fn connections_close(t: &Table) -> Entries {
    t.entries()
        .iter()
        .map(|(s, ds)| {
            let ds = ds.iter().map(|d| Dest {
                active_conns: 0,
                inact_conns: 0,
                ..d.clone()
            });
            (s.clone(), ds.collect())
        })
        .collect()
}

/// The changes keep their phases: adds of services, then real-server adds and edits, then
/// service edits, then drain edits (of real servers `want` does not have), real-server
/// removals and service removals.
fn phase(c: &Change, want: &Table) -> u8 {
    let wanted = |k: &ServiceKey, d: &Dest| {
        want.get(k)
            .is_some_and(|(_, ds)| find_dest(ds, d.addr, d.port).is_some())
    };
    match c {
        Change::AddService(_) => 0,
        Change::AddDest(..) => 1,
        Change::EditDest(s, d) if wanted(s, d) => 1,
        Change::EditService(_) => 2,
        Change::EditDest(..) => 3,
        Change::DeleteDest(..) => 4,
        Change::DeleteService(_) => 5,
        _ => 9,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applying_the_plan_gives_the_desired_table(a in table(), b in table()) {
        let p = plan(&a, &b, Removal::Immediate);
        let mut t = table_of(&a);
        apply_all(&mut t, &p);
        prop_assert!(t.same_as(&table_of(&b)), "plan {:#?}", p.changes);
        prop_assert!(plan(&b, &b, Removal::Immediate).is_empty());
        prop_assert!(plan(&b, &b, Removal::Drain).is_empty());
        // And nothing more is needed afterwards.
        prop_assert!(plan(t.entries(), &b, Removal::Immediate).is_empty());
        let want = table_of(&b);
        let phases: Vec<u8> = p.changes.iter().map(|c| phase(c, &want)).collect();
        prop_assert!(phases.windows(2).all(|w| w[0] <= w[1]), "order {:?}", phases);
        let c = p.counts;
        prop_assert_eq!(c.added + c.edited + c.removed + c.drains_started, p.changes.len());
    }

    #[test]
    fn a_plan_only_touches_what_differs(a in table(), b in table()) {
        let p = plan(&a, &b, Removal::Immediate);
        let have = table_of(&a);
        let want = table_of(&b);
        for c in &p.changes {
            match c {
                // An add only for what is missing, a removal only for what is unwanted.
                Change::AddService(s) => prop_assert!(have.get(&s.key).is_none()),
                Change::DeleteService(k) => prop_assert!(want.get(k).is_none()),
                Change::AddDest(k, d) => prop_assert!(have
                    .get(k)
                    .is_none_or(|(_, ds)| find_dest(ds, d.addr, d.port).is_none())),
                Change::DeleteDest(k, d) => {
                    prop_assert!(want.get(k).is_some());
                    prop_assert!(find_dest(&want.get(k).unwrap().1, d.addr, d.port).is_none());
                }
                // An edit only where both have it and the settings differ.
                Change::EditService(s) => {
                    let (h, _) = have.get(&s.key).unwrap();
                    prop_assert!(!same_service_settings(h, s));
                }
                Change::EditDest(k, d) => {
                    let (_, hd) = have.get(k).unwrap();
                    let j = find_dest(hd, d.addr, d.port).unwrap();
                    prop_assert!(!same_dest_settings(&hd[j], d));
                }
                other => prop_assert!(false, "unexpected change {:?}", other),
            }
        }
    }

    #[test]
    fn a_drain_ends_where_an_immediate_removal_does(a in table(), b in table()) {
        let mut t = table_of(&a);
        let mut rounds = 0;
        loop {
            let p = plan(t.entries(), &b, Removal::Drain);
            if p.is_empty() {
                break;
            }
            // Nothing with weight or connections is ever removed while draining.
            for c in &p.changes {
                if let Change::DeleteDest(s, d) = c {
                    let (_, ds) = t.get(s).unwrap();
                    let now = &ds[find_dest(ds, d.addr, d.port).unwrap()];
                    prop_assert!(now.weight == 0 && now.active_conns == 0 && now.inact_conns == 0);
                }
                if let Change::DeleteService(s) = c {
                    let (_, ds) = t.get(s).unwrap();
                    prop_assert!(ds.iter().all(|d| d.weight == 0 && d.active_conns + d.inact_conns == 0));
                }
            }
            apply_all(&mut t, &p);
            t = table_of(&connections_close(&t));
            rounds += 1;
            prop_assert!(rounds <= 3, "a drain takes at most three rounds");
        }
        prop_assert!(t.same_as(&table_of(&b)));
    }

    #[test]
    fn through_the_client_the_kernel_ends_with_the_desired_table(a in table(), b in table()) {
        let mut client = FakeKernel::client(a);
        let read = client.consistent_snapshot(2, false).unwrap();
        let p = plan(&read.entries, &b, Removal::Immediate);
        let outcomes = p.apply(&mut client).unwrap();
        prop_assert!(outcomes.iter().all(Result::is_ok), "{:?}", outcomes);
        let again = client.consistent_snapshot(2, false).unwrap();
        prop_assert!(plan(&again.entries, &b, Removal::Immediate).is_empty());
        let sent = client.into_transport().changes;
        prop_assert_eq!(sent, p.changes.len());
    }
}
