//! The client against a scripted stand-in for the kernel: it answers each request it is
//! sent with messages built by the test, so sequence-number matching, batching and dump
//! restarts are checked without a kernel.

use std::ops::ControlFlow;

use super::exchange::for_each_nest;
use super::*;
use crate::codec::{Style, dest, service};
use crate::index::ServiceIndex;
use crate::model::{Dest, Name, Protocol, Service, ServiceKey};
use crate::netlink::attr::AttrWriter;
use crate::netlink::msg::{
    Messages, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR,
};

const FAMILY: u16 = 0x20;

/// The kernel's answer to one request: the reply datagrams.
type Script = Box<dyn FnMut(&Req) -> Vec<Vec<u8>>>;

/// Replies, per request received, from a script; records every request.
struct Scripted {
    script: Script,
    requests: Vec<Req>,
    sent_datagrams: usize,
    /// The index of each datagram's last request.
    ends: Vec<usize>,
    queue: std::collections::VecDeque<Vec<u8>>,
    current: Vec<u8>,
    /// What `reply_room` says.
    room: usize,
    /// Like a kernel whose receive buffer ran over: when a request with this sequence
    /// number arrives, it and the rest of its datagram get no reply, and the next
    /// receive fails with `ENOBUFS` (once).
    overflow_at: Option<u32>,
    overflowed: bool,
    discards: usize,
    /// Datagrams queued and handed out so far, and where the datagrams of the last
    /// dump end: like the kernel, a dump asked for while an earlier one still has
    /// datagrams to hand out is refused with `EBUSY`.
    queued_total: usize,
    delivered: usize,
    dump_end: usize,
}

#[derive(Debug, Clone)]
struct Req {
    seq: u32,
    cmd: u8,
    flags: u16,
    /// The attributes, after the generic-netlink header.
    attrs: Vec<u8>,
}

impl Transport for Scripted {
    fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
        self.sent_datagrams += 1;
        for m in Messages::new(msgs) {
            let m = m?;
            let req = Req {
                seq: m.seq,
                cmd: m.payload[0],
                flags: m.flags,
                attrs: m.payload[4..].to_vec(),
            };
            let is_dump = req.flags & NLM_F_DUMP != 0;
            let replies = if is_dump && self.delivered < self.dump_end {
                vec![ack(req.seq, nix::libc::EBUSY)]
            } else {
                (self.script)(&req)
            };
            self.overflowed |= Some(req.seq) == self.overflow_at;
            self.requests.push(req);
            if self.overflowed {
                continue;
            }
            // One datagram per reply message, like the kernel's ACKs.
            self.queued_total += replies.len();
            if is_dump {
                self.dump_end = self.queued_total;
            }
            self.queue.extend(replies);
        }
        self.ends.push(self.requests.len() - 1);
        Ok(())
    }
    fn recv(&mut self) -> Result<&[u8], Error> {
        if std::mem::take(&mut self.overflowed) {
            self.overflow_at = None;
            return Err(Error::Io(std::io::Error::from_raw_os_error(
                nix::libc::ENOBUFS,
            )));
        }
        self.current = self
            .queue
            .pop_front()
            .expect("client waits for a reply that never comes");
        self.delivered += 1;
        Ok(&self.current)
    }
    fn reply_room(&self) -> usize {
        self.room
    }
    fn discard_waiting(&mut self) {
        self.discards += 1;
        self.queue.clear();
        self.delivered = self.queued_total;
    }
}

fn msg(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    crate::netlink::msg::message(&mut m, kind, flags, seq, payload);
    m
}

fn ack(seq: u32, errno: i32) -> Vec<u8> {
    let mut p = (-errno).to_ne_bytes().to_vec();
    p.extend_from_slice(&[0; 16]);
    msg(NLMSG_ERROR, 0, seq, &p)
}

/// A service of a dump, with `port * 10` connections so far.
fn service_msg(seq: u32, flags: u16, port: u16) -> Vec<u8> {
    let mut svc = Service::new(ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: "192.0.2.1".parse().unwrap(),
        port,
    });
    svc.stats = Some(crate::model::Stats {
        conns: u64::from(port) * 10,
        ..Default::default()
    });
    let mut p = vec![IPVS_CMD_NEW_SERVICE, 1, 0, 0];
    service::encode(&mut AttrWriter::new(&mut p), &svc, Style::Reply);
    msg(FAMILY, flags, seq, &p)
}

fn client(script: impl FnMut(&Req) -> Vec<Vec<u8>> + 'static) -> Client<Scripted> {
    Client::with_transport(
        Scripted {
            script: Box::new(script),
            requests: Vec::new(),
            sent_datagrams: 0,
            ends: Vec::new(),
            queue: Default::default(),
            current: Vec::new(),
            room: usize::MAX,
            overflow_at: None,
            overflowed: false,
            discards: 0,
            queued_total: 0,
            delivered: 0,
            dump_end: 0,
        },
        FAMILY,
    )
}

fn add(port: u16) -> Change {
    Change::AddService(Service::new(ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: "192.0.2.1".parse().unwrap(),
        port,
    }))
}

/// Answers changes as the kernel does: an error for each one `errno` fails (ACK asked
/// for or not), an ACK for a successful one that asked for it, nothing else.
fn kernel(errno: impl Fn(u32) -> i32 + 'static) -> impl FnMut(&Req) -> Vec<Vec<u8>> {
    move |r| match errno(r.seq) {
        0 if r.flags & NLM_F_ACK != 0 => vec![ack(r.seq, 0)],
        0 => Vec::new(),
        e => vec![ack(r.seq, e)],
    }
}

/// The index of each datagram's last request, from the record of requests.
fn acked(c: &Client<Scripted>) -> Vec<usize> {
    let r = &c.sock.requests;
    (0..r.len())
        .filter(|&i| r[i].flags & NLM_F_ACK != 0)
        .collect()
}

#[test]
fn only_the_last_change_of_a_datagram_asks_for_an_ack() {
    let mut c = client(kernel(|_| 0));
    let changes: Vec<Change> = (0..2000).map(add).collect();
    let results = c.apply_batch(&changes).unwrap();
    assert_eq!(results.len(), 2000);
    assert!(results.iter().all(Result::is_ok));
    assert!(
        c.sock.sent_datagrams > 1,
        "2000 changes exceed one datagram"
    );
    assert_eq!(c.sock.ends.len(), c.sock.sent_datagrams);
    assert_eq!(
        acked(&c),
        c.sock.ends,
        "one ACK per datagram, on its last change"
    );
    let first = c.sock.requests[0].seq;
    for (i, r) in c.sock.requests.iter().enumerate() {
        assert_eq!(
            r.seq,
            first.wrapping_add(i as u32),
            "sequence numbers run on"
        );
    }
}

#[test]
fn each_error_maps_to_its_change_by_sequence_number() {
    // The kernel fails the changes whose sequence number is a multiple of 3, and their
    // errors reach us in reverse order (all before the last change's ACK, as the kernel
    // answers a datagram's messages in order).
    let mut held: Vec<Vec<u8>> = Vec::new();
    let mut c = client(move |r| {
        if r.seq % 3 == 0 {
            held.push(ack(r.seq, libc_eexist()));
        }
        if r.flags & NLM_F_ACK == 0 {
            return Vec::new();
        }
        let mut replies: Vec<Vec<u8>> = held.drain(..).rev().collect();
        if r.seq % 3 != 0 {
            replies.push(ack(r.seq, 0));
        }
        replies
    });
    let changes: Vec<Change> = (80..87).map(add).collect();
    let results = c.apply_batch(&changes).unwrap();
    assert_eq!(
        c.sock.sent_datagrams, 1,
        "seven small changes go in one datagram"
    );
    assert_eq!(acked(&c), [6]);
    let failed: Vec<bool> = c.sock.requests.iter().map(|r| r.seq % 3 == 0).collect();
    assert!(failed.contains(&true) && failed.contains(&false));
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_err(), failed[i], "change {i}");
        if let Err(e) = r {
            assert_eq!(e.errno(), libc_eexist());
        }
    }
}

#[test]
fn a_datagram_whose_last_change_fails_is_fully_accounted_for() {
    // The last change's error is its only answer (there is no ACK after it).
    let last = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let seen = last.clone();
    let mut c = client(move |r| {
        seen.set(r.seq);
        if r.flags & NLM_F_ACK != 0 {
            vec![ack(r.seq, libc_esrch())]
        } else {
            Vec::new()
        }
    });
    let results = c.apply_batch(&[add(1), add(2), add(3)]).unwrap();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert_eq!(results[2].as_ref().unwrap_err().errno(), libc_esrch());
    assert_eq!(c.sock.requests.last().unwrap().seq, last.get());
    // Every change failing: each gets its own error, none is lost or made up.
    let mut c = client(kernel(|_| libc_eexist()));
    let changes: Vec<Change> = (0..600).map(add).collect();
    let results = c.apply_batch(&changes).unwrap();
    assert_eq!(results.len(), 600);
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap_err().errno() == libc_eexist())
    );
}

#[test]
fn queued_changes_stream_out_a_full_datagram_at_a_time() {
    // The kernel refuses every change whose sequence number is a multiple of 5.
    let mut c = client(kernel(|seq| if seq % 5 == 0 { libc_eexist() } else { 0 }));
    let mut outcomes = Vec::new();
    let mut sent_before = Vec::new();
    for port in 0..2000 {
        c.queue(&add(port)).unwrap();
        let new: Vec<_> = c.outcomes().collect();
        if !new.is_empty() {
            // A whole datagram was answered: every change queued so far.
            sent_before.push(port);
            assert_eq!(outcomes.len() + new.len(), usize::from(port) + 1);
        }
        outcomes.extend(new);
    }
    assert!(sent_before.len() > 1, "2000 changes fill several datagrams");
    let datagrams = c.sock.sent_datagrams;
    c.send_queued().unwrap();
    c.send_queued().unwrap();
    assert_eq!(c.sock.sent_datagrams, datagrams + 1, "the rest goes once");
    outcomes.extend(c.outcomes());
    assert_eq!(outcomes.len(), 2000);
    for (r, req) in outcomes.iter().zip(&c.sock.requests) {
        assert_eq!(r.is_err(), req.seq % 5 == 0, "seq {}", req.seq);
    }
    assert_eq!(acked(&c), c.sock.ends);
}

#[test]
fn a_batch_sends_no_more_changes_than_the_replies_have_room_for() {
    // Room for an error reply for each change, in case every one fails.
    let mut c = client(kernel(|_| 0));
    c.sock.room = 3;
    let changes: Vec<Change> = (0..10).map(add).collect();
    let results = c.apply_batch(&changes).unwrap();
    assert_eq!(results.len(), 10);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(c.sock.sent_datagrams, 4, "3 + 3 + 3 + 1");
    assert_eq!(acked(&c), [2, 5, 8, 9]);
}

#[test]
fn lost_replies_fail_the_batch_and_the_next_one_starts_clean() {
    let mut c = client(kernel(|seq| if seq % 2 == 0 { libc_eexist() } else { 0 }));
    c.sock.room = 4;
    for port in 0..4 {
        c.queue(&add(port)).unwrap();
    }
    assert_eq!(c.outcomes().count(), 4);
    // The second datagram's replies are dropped from its third change on.
    let first = c.sock.requests.last().unwrap().seq;
    c.sock.overflow_at = Some(first + 3);
    let mut failed = None;
    for port in 4..8 {
        if let Err(e) = c.queue(&add(port)) {
            failed = Some(e);
        }
    }
    assert_eq!(failed.unwrap().errno(), nix::libc::ENOBUFS);
    assert_eq!(c.sock.discards, 1, "what was waiting is dropped");
    assert_eq!(c.outcomes().count(), 0, "no outcome is made up");
    // The next batch is answered in full.
    let results = c.apply_batch(&[add(8), add(9)]).unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    // A failed apply_batch leaves none of its outcomes behind: its first datagram
    // (four changes) is answered, its second is not.
    c.sock.overflow_at = Some(c.sock.requests.last().unwrap().seq + 6);
    let changes: Vec<Change> = (10..20).map(add).collect();
    assert!(c.apply_batch(&changes).is_err());
    assert_eq!(c.outcomes().count(), 0);
}

#[test]
fn queued_changes_go_out_before_any_other_request() {
    let mut c = client(|r| vec![ack(r.seq, 0)]);
    for port in 0..3 {
        c.queue(&add(port)).unwrap();
    }
    assert_eq!(c.sock.sent_datagrams, 0, "three small changes wait");
    let key = ServiceKey::Fwmark {
        family: crate::model::Family::Inet,
        mark: 9,
    };
    assert!(c.dests(&key).unwrap().is_empty());
    let cmds: Vec<u8> = c.sock.requests.iter().map(|r| r.cmd).collect();
    assert_eq!(
        cmds,
        [
            IPVS_CMD_NEW_SERVICE,
            IPVS_CMD_NEW_SERVICE,
            IPVS_CMD_NEW_SERVICE,
            IPVS_CMD_GET_DEST
        ]
    );
    assert_eq!(c.sock.sent_datagrams, 2);
    assert_eq!(c.outcomes().filter(Result::is_ok).count(), 3);
}

/// Messages laid out back to back: one datagram.
fn datagram(msgs: &[Vec<u8>]) -> Vec<u8> {
    msgs.concat()
}

fn done(seq: u32) -> Vec<u8> {
    msg(NLMSG_DONE, NLM_F_MULTI, seq, &[0; 4])
}

/// A service dump answered, per read, with datagrams of services given by port; each
/// inner list is one datagram.
fn dumps(reads: Vec<Vec<Vec<u16>>>) -> Client<Scripted> {
    let mut reads = reads.into_iter();
    client(move |r| {
        assert_eq!(
            (r.cmd, r.flags & NLM_F_DUMP),
            (IPVS_CMD_GET_SERVICE, NLM_F_DUMP)
        );
        let parts = reads.next().expect("no more reads were scripted");
        let mut out: Vec<Vec<u8>> = parts
            .iter()
            .map(|ports| {
                let msgs: Vec<Vec<u8>> = ports
                    .iter()
                    .map(|&p| service_msg(r.seq, NLM_F_MULTI, p))
                    .collect();
                datagram(&msgs)
            })
            .collect();
        out.push(done(r.seq));
        out
    })
}

fn ports(index: &ServiceIndex) -> Vec<u16> {
    index.keys().map(|k| k.port()).collect()
}

#[test]
fn a_table_in_one_datagram_is_read_once() {
    let mut c = dumps(vec![vec![vec![3, 1, 2]]]);
    let index = c.consistent_service_index(5).unwrap();
    assert_eq!((ports(&index), index.reads()), (vec![3, 1, 2], 1));
    assert_eq!(c.sock.requests.len(), 1);
}

#[test]
fn a_table_in_several_datagrams_is_read_until_two_reads_agree() {
    // Read 1 missed service 2 (deleted before it, then added back); reads 2 and 3 agree.
    let mut c = dumps(vec![
        vec![vec![1], vec![3]],
        vec![vec![1, 2], vec![3]],
        vec![vec![1], vec![2, 3]],
    ]);
    let index = c.consistent_service_index(5).unwrap();
    assert_eq!((ports(&index), index.reads()), (vec![1, 2, 3], 3));
    // Two reads that agree but repeat a service are torn too.
    let mut c = dumps(vec![
        vec![vec![1, 2], vec![2, 3]],
        vec![vec![1, 2], vec![2, 3]],
        vec![vec![1, 2], vec![3]],
        vec![vec![1, 2], vec![3]],
    ]);
    let index = c.consistent_service_index(5).unwrap();
    assert_eq!((ports(&index), index.reads()), (vec![1, 2, 3], 4));
}

#[test]
fn a_table_that_keeps_changing_is_given_up_on() {
    let reads = (0..4).map(|i| vec![vec![1], vec![10 + i]]).collect();
    let mut c = dumps(reads);
    match c.consistent_service_index(4) {
        Err(Error::Torn { reads }) => assert_eq!(reads, 4),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.sock.requests.len(), 4);
    // A plain read takes the table as it comes, duplicates and all.
    let mut c = dumps(vec![vec![vec![1, 2], vec![2]]]);
    let index = c.service_index().unwrap();
    assert_eq!((ports(&index), index.reads()), (vec![1, 2, 2], 1));
}

fn dest_msg(seq: u32, last_byte: u8) -> Vec<u8> {
    let mut d = Dest::new(
        std::net::Ipv4Addr::new(198, 51, 100, last_byte).into(),
        8080,
    );
    d.stats = Some(crate::model::Stats {
        conns: 7,
        ..Default::default()
    });
    let mut p = vec![IPVS_CMD_NEW_DEST, 1, 0, 0];
    dest::encode(&mut AttrWriter::new(&mut p), &d, Style::Reply);
    msg(FAMILY, NLM_F_MULTI, seq, &p)
}

/// The port of the service a request names.
fn port_asked(r: &Req) -> u16 {
    let mut port = None;
    for_each_nest(&r.attrs, IPVS_CMD_ATTR_SERVICE, |p| {
        port = Some(service::decode_key_or_full(p)?.0.key.port());
        Ok(())
    })
    .unwrap();
    port.expect("the request names a service")
}

/// A kernel whose dump lists services on ports 3, 1 and 2, in two datagrams; the one
/// on port 2 is deleted right after the dump. Each other one has as many real servers
/// as its port, and `port * 100` connections so far.
fn table_kernel() -> Client<Scripted> {
    client(move |r| match (r.cmd, r.flags & NLM_F_DUMP != 0) {
        (IPVS_CMD_GET_SERVICE, true) => vec![
            datagram(&[service_msg(r.seq, NLM_F_MULTI, 3)]),
            datagram(&[
                service_msg(r.seq, NLM_F_MULTI, 1),
                service_msg(r.seq, NLM_F_MULTI, 2),
            ]),
            done(r.seq),
        ],
        (IPVS_CMD_GET_SERVICE, false) => {
            assert_eq!(r.flags & NLM_F_ACK, 0, "the reply is the answer");
            let port = port_asked(r);
            if port == 2 {
                return vec![ack(r.seq, libc_esrch())];
            }
            let mut svc = Service::new(ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: "192.0.2.1".parse().unwrap(),
                port,
            });
            svc.scheduler = Name::truncated(b"rr");
            svc.stats = Some(crate::model::Stats {
                conns: u64::from(port) * 100,
                ..Default::default()
            });
            let mut p = vec![IPVS_CMD_NEW_SERVICE, 1, 0, 0];
            service::encode(&mut AttrWriter::new(&mut p), &svc, Style::Reply);
            vec![msg(FAMILY, 0, r.seq, &p)]
        }
        (IPVS_CMD_GET_DEST, true) => {
            let port = port_asked(r);
            let n = if port == 2 { 0 } else { port as u8 };
            let dests: Vec<Vec<u8>> = (1..=n).map(|i| dest_msg(r.seq, i)).collect();
            vec![datagram(&dests), done(r.seq)]
        }
        other => panic!("unexpected request {other:?}"),
    })
}

type Seen = (u16, Name, Option<u64>, usize);

fn walk_all(c: &mut Client<Scripted>, index: &ServiceIndex, counters: bool) -> Vec<Seen> {
    let mut seen = Vec::new();
    let flow = c
        .walk(index, counters, |svc, dests| {
            let port = svc.key.port();
            assert!(dests.iter().all(|d| d.port == 8080));
            // Counters are read only when asked for.
            let conns = if counters { Some(7) } else { None };
            assert!(dests.iter().all(|d| d.stats.map(|s| s.conns) == conns));
            seen.push((port, svc.scheduler, svc.stats.map(|s| s.conns), dests.len()));
            ControlFlow::<()>::Continue(())
        })
        .unwrap();
    assert_eq!(flow, ControlFlow::Continue(()));
    seen
}

#[test]
fn a_walk_hands_one_service_at_a_time_with_its_real_servers() {
    let mut c = table_kernel();
    let mut index = c.service_index().unwrap();
    index.sort_by_key(|k| k.port());
    let dump_requests = c.sock.requests.len();
    let s = |n: &str| Name::truncated(n.as_bytes());
    assert_eq!(
        walk_all(&mut c, &index, false),
        [
            (1, s("wlc"), None, 1),
            (2, s("wlc"), None, 0),
            (3, s("wlc"), None, 3)
        ]
    );
    // One datagram, one request per service.
    let walked = &c.sock.requests[dump_requests..];
    assert_eq!(walked.len(), 3);
    assert!(walked.iter().all(|r| r.cmd == IPVS_CMD_GET_DEST));
    assert_eq!(c.sock.sent_datagrams, 1 + 3);
    // With counters, the service is read again with its real servers, in the same
    // datagram; the deleted one comes as the index has it.
    let mut c = table_kernel();
    let index = c.service_index().unwrap();
    assert_eq!(
        walk_all(&mut c, &index, true),
        [
            (3, s("rr"), Some(300), 3),
            (1, s("rr"), Some(100), 1),
            (2, s("wlc"), None, 0)
        ]
    );
    let cmds: Vec<u8> = c.sock.requests[1..].iter().map(|r| r.cmd).collect();
    assert_eq!(cmds, [IPVS_CMD_GET_SERVICE, IPVS_CMD_GET_DEST].repeat(3));
    assert_eq!(c.sock.sent_datagrams, 1 + 3);
}

#[test]
fn a_walk_of_an_index_with_counters_takes_the_services_counters_from_the_dump() {
    let s = |n: &str| Name::truncated(n.as_bytes());
    let mut c = table_kernel();
    let index = c.service_index_with_counters().unwrap();
    assert_eq!(
        walk_all(&mut c, &index, true),
        [
            (3, s("wlc"), Some(30), 3),
            (1, s("wlc"), Some(10), 1),
            (2, s("wlc"), Some(20), 0)
        ]
    );
    // No service is asked for again: one real-server dump per service.
    let cmds: Vec<u8> = c.sock.requests[1..].iter().map(|r| r.cmd).collect();
    assert_eq!(cmds, [IPVS_CMD_GET_DEST].repeat(3));
    assert_eq!(c.sock.sent_datagrams, 1 + 3);
}

/// A kernel with one service whose real-server dumps come, read after read, as the
/// given datagrams of servers (by last address byte).
fn servers_kernel(reads: Vec<Vec<Vec<u8>>>) -> Client<Scripted> {
    let mut reads = reads.into_iter();
    client(move |r| match r.cmd {
        IPVS_CMD_GET_SERVICE => {
            vec![datagram(&[service_msg(r.seq, NLM_F_MULTI, 1)]), done(r.seq)]
        }
        IPVS_CMD_GET_DEST => {
            let parts = reads.next().expect("no more reads were scripted");
            let mut out: Vec<Vec<u8>> = parts
                .iter()
                .map(|part| {
                    let msgs: Vec<Vec<u8>> = part.iter().map(|&b| dest_msg(r.seq, b)).collect();
                    datagram(&msgs)
                })
                .collect();
            out.push(done(r.seq));
            out
        }
        other => panic!("unexpected request {other}"),
    })
}

fn walked_servers(c: &mut Client<Scripted>, index: &ServiceIndex) -> Result<Vec<u8>, Error> {
    let mut seen = Vec::new();
    let _ = c.walk(index, false, |_, dests| {
        seen.extend(dests.iter().map(|d| match d.addr {
            std::net::IpAddr::V4(a) => a.octets()[3],
            std::net::IpAddr::V6(_) => 0,
        }));
        ControlFlow::<()>::Continue(())
    })?;
    Ok(seen)
}

#[test]
fn a_consistent_walk_reads_a_list_in_several_datagrams_until_two_reads_agree() {
    // Read 1 repeats server 2 (a server added before the dump's position), read 2
    // misses server 3's neighbour 4, reads 3 and 4 agree.
    let reads = vec![
        vec![vec![1, 2], vec![2, 3]],
        vec![vec![1, 2], vec![3]],
        vec![vec![1, 2], vec![3, 4]],
        vec![vec![1, 2], vec![3, 4]],
    ];
    let mut c = servers_kernel(reads.clone());
    let index = c.consistent_service_index(5).unwrap();
    assert_eq!(walked_servers(&mut c, &index).unwrap(), [1, 2, 3, 4]);
    let dumps = c
        .sock
        .requests
        .iter()
        .filter(|r| r.cmd == IPVS_CMD_GET_DEST);
    assert_eq!(dumps.count(), 4);
    // A plain index takes each list as it comes.
    let mut c = servers_kernel(reads.clone());
    let index = c.service_index().unwrap();
    assert_eq!(walked_servers(&mut c, &index).unwrap(), [1, 2, 2, 3]);
    // A list in one datagram is read once, and one that keeps changing is given up on.
    let mut c = servers_kernel(vec![vec![vec![1, 2, 3]]]);
    let index = c.consistent_service_index(5).unwrap();
    assert_eq!(walked_servers(&mut c, &index).unwrap(), [1, 2, 3]);
    let mut c = servers_kernel((0..3).map(|i| vec![vec![1], vec![10 + i]]).collect());
    let index = c.consistent_service_index(3).unwrap();
    match walked_servers(&mut c, &index) {
        Err(Error::Torn { reads }) => assert_eq!(reads, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_walk_stops_when_told() {
    let mut c = table_kernel();
    let index = c.service_index().unwrap();
    let mut visits = 0;
    let flow = c
        .walk(&index, false, |svc, _| {
            visits += 1;
            if svc.key.port() == 1 {
                ControlFlow::Break(svc.key.port())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((flow, visits), (ControlFlow::Break(1), 2));
    assert_eq!(
        c.sock.requests.len(),
        1 + 2,
        "nothing is asked after the break"
    );
}

#[test]
fn an_interrupted_dump_starts_over() {
    let mut round = 0;
    let mut c = client(move |r| {
        assert_eq!(r.cmd, IPVS_CMD_GET_SERVICE);
        assert_eq!(r.flags & NLM_F_DUMP, NLM_F_DUMP);
        round += 1;
        if round == 1 {
            // A change raced the dump: the kernel flags it.
            vec![
                service_msg(r.seq, NLM_F_MULTI, 1),
                service_msg(r.seq, NLM_F_MULTI | NLM_F_DUMP_INTR, 2),
                msg(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, r.seq, &[0; 4]),
            ]
        } else {
            vec![
                service_msg(r.seq, NLM_F_MULTI, 10),
                service_msg(r.seq, NLM_F_MULTI, 11),
                service_msg(r.seq, NLM_F_MULTI, 12),
                msg(NLMSG_DONE, NLM_F_MULTI, r.seq, &[0; 4]),
            ]
        }
    });
    let ports: Vec<u16> = c.services().unwrap().iter().map(|s| s.key.port()).collect();
    assert_eq!(
        ports,
        vec![10, 11, 12],
        "only the consistent second dump counts"
    );
    assert_eq!(c.sock.requests.len(), 2);
}

/// A message cut short: its header claims more than the datagram holds.
fn cut(mut m: Vec<u8>) -> Vec<u8> {
    m.truncate(m.len() / 2);
    m
}

#[test]
fn a_dump_abandoned_half_way_is_read_out_so_the_next_one_is_answered() {
    let mut round = 0;
    let mut c = client(move |r| {
        round += 1;
        match (round, r.cmd) {
            // A datagram that does not decode in the middle of a service dump.
            (1, IPVS_CMD_GET_SERVICE) => vec![
                service_msg(r.seq, NLM_F_MULTI, 1),
                cut(service_msg(r.seq, NLM_F_MULTI, 2)),
                service_msg(r.seq, NLM_F_MULTI, 3),
                done(r.seq),
            ],
            // The same in the middle of a real-server dump.
            (2, IPVS_CMD_GET_DEST) => vec![
                dest_msg(r.seq, 1),
                cut(dest_msg(r.seq, 2)),
                dest_msg(r.seq, 3),
                done(r.seq),
            ],
            (3, IPVS_CMD_GET_DEST) => vec![dest_msg(r.seq, 7), done(r.seq)],
            (4, IPVS_CMD_GET_SERVICE) => vec![service_msg(r.seq, NLM_F_MULTI, 10), done(r.seq)],
            other => panic!("unexpected request {other:?}"),
        }
    });
    let key = ServiceKey::Fwmark {
        family: crate::model::Family::Inet,
        mark: 9,
    };
    assert!(c.services().is_err(), "the service dump does not decode");
    assert!(
        c.dests(&key).is_err(),
        "the real-server dump does not decode"
    );
    let last_byte = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(v4) => v4.octets()[3],
        std::net::IpAddr::V6(_) => 0,
    };
    let dests: Vec<u8> = c
        .dests(&key)
        .unwrap()
        .iter()
        .map(|d| last_byte(d.addr))
        .collect();
    assert_eq!(dests, vec![7]);
    let ports: Vec<u16> = c.services().unwrap().iter().map(|s| s.key.port()).collect();
    assert_eq!(ports, vec![10]);
}

#[test]
fn replies_to_other_requests_are_ignored_and_errors_surface() {
    let mut c = client(|r| {
        vec![
            ack(r.seq.wrapping_sub(7), 0), // a stale ACK of something earlier
            ack(r.seq, libc_esrch()),
        ]
    });
    let err = c.dests(&ServiceKey::Fwmark {
        family: crate::model::Family::Inet,
        mark: 9,
    });
    assert_eq!(err.unwrap_err().errno(), libc_esrch());
}

#[test]
fn a_change_too_long_to_encode_is_refused_before_anything_is_sent() {
    let mut c = client(|r| vec![ack(r.seq, 0)]);
    // An attribute longer than its length field holds, and a nest too big for its own.
    let unknown = |len| crate::model::UnknownAttr {
        kind: 99,
        payload: vec![0; len],
    };
    let Change::AddService(mut long_attr) = add(80) else {
        unreachable!()
    };
    long_attr.unknown = vec![unknown(70_000)];
    let Change::AddService(mut big_nest) = add(81) else {
        unreachable!()
    };
    big_nest.unknown = vec![unknown(30_000); 3];
    for svc in [long_attr, big_nest] {
        let batch = [add(1), Change::AddService(svc.clone()), add(2)];
        let err = c.apply_batch(&batch).unwrap_err();
        assert!(matches!(err, Error::TooLong(_)), "{err:?}");
        assert_eq!(err.errno(), nix::libc::EMSGSIZE);
        assert_eq!(c.sock.sent_datagrams, 0, "nothing of the batch is sent");
        // Queued on its own, it is refused and takes no sequence number; the changes
        // around it go out as usual.
        c.queue(&add(3)).unwrap();
        let err = c.queue(&Change::AddService(svc)).unwrap_err();
        assert!(matches!(err, Error::TooLong(_)), "{err:?}");
        c.queue(&add(4)).unwrap();
        c.send_queued().unwrap();
        assert_eq!(c.outcomes().filter(Result::is_ok).count(), 2);
        let seqs: Vec<u32> = c.sock.requests.iter().map(|r| r.seq).collect();
        assert_eq!(seqs.len(), 2);
        assert_eq!(seqs[1], seqs[0].wrapping_add(1));
        c.sock.requests.clear();
        c.sock.sent_datagrams = 0;
    }
}

fn libc_eexist() -> i32 {
    nix::libc::EEXIST
}
fn libc_esrch() -> i32 {
    nix::libc::ESRCH
}
