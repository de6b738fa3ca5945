//! A small reconcile loop, as a controller would write one, unit-tested against the
//! stand-in kernel of the `test-util` feature: no root, no IPVS.

use linux_ipvs::fake::FakeKernel;
use linux_ipvs::{
    Client, Dest, Error, Name, Protocol, Removal, Service, ServiceKey, Transport, plan,
};

/// One round of the loop: read the table (never a torn read), plan, apply; returns how many
/// changes it made.
fn reconcile<T: Transport>(
    ipvs: &mut Client<T>,
    desired: &[(Service, Vec<Dest>)],
) -> Result<usize, Error> {
    let current = ipvs.consistent_snapshot(5, false)?.entries;
    let todo = plan(&current, desired, Removal::Immediate);
    for outcome in todo.apply(ipvs)? {
        outcome?;
    }
    Ok(todo.changes.len())
}

fn service(port: u16, scheduler: &str, servers: &[&str]) -> (Service, Vec<Dest>) {
    let mut s = Service::new(ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: "192.0.2.1".parse().unwrap(),
        port,
    });
    s.scheduler = Name::new(scheduler.as_bytes()).unwrap();
    let dests = servers
        .iter()
        .map(|a| Dest::new(a.parse().unwrap(), port))
        .collect();
    (s, dests)
}

#[test]
fn the_loop_converges_and_then_holds_still() {
    // The kernel holds a stale service and an outdated one.
    let mut ipvs = FakeKernel::client(vec![
        service(80, "wlc", &["198.51.100.1"]),
        service(8080, "rr", &["198.51.100.9"]),
    ]);
    let desired = vec![
        service(80, "rr", &["198.51.100.1", "198.51.100.2"]),
        service(443, "sh", &["198.51.100.3"]),
    ];
    assert!(reconcile(&mut ipvs, &desired).unwrap() > 0);
    let held = ipvs.transport().table.entries().to_vec();
    assert_eq!(held.len(), 2);
    for (want, dests) in &desired {
        let (got, got_dests) = held.iter().find(|(s, _)| s.key == want.key).unwrap();
        assert_eq!(got.scheduler, want.scheduler);
        let mut got_addrs: Vec<_> = got_dests.iter().map(|d| d.addr).collect();
        let mut want_addrs: Vec<_> = dests.iter().map(|d| d.addr).collect();
        got_addrs.sort();
        want_addrs.sort();
        assert_eq!(got_addrs, want_addrs);
    }
    // A second round finds nothing to do.
    assert_eq!(reconcile(&mut ipvs, &desired).unwrap(), 0);
    // Someone deletes a service behind the controller's back: the next round puts it back.
    let gone = desired[1].0.key;
    ipvs.transport_mut()
        .table
        .apply(&linux_ipvs::Change::DeleteService(gone))
        .unwrap();
    assert_eq!(reconcile(&mut ipvs, &desired).unwrap(), 2);
    assert_eq!(reconcile(&mut ipvs, &desired).unwrap(), 0);
}
