//! Robustness checks for the fuzz targets (the repository's `fuzz/` folder) and the bounded
//! property tests: not part of the API. Built with the `fuzzing` feature (and for this
//! crate's own tests); hidden from the documentation.
//!
//! Each check takes what a fuzzer hands it and panics only when a property fails:
//! - [`decode`]: arbitrary bytes through the message framing, the attribute walker and every
//!   decoder (service, real server, daemon, counters, timeouts, info). Nothing panics, and
//!   whatever decodes encodes again (in both the request and the reply style) to bytes that
//!   decode to the same value.
//! - [`client`]: a [`Client`] over a hostile [`Transport`] that hands out scripted datagrams
//!   (wrong sequence numbers, truncated messages, bogus lengths, endless or interrupted
//!   dumps, errors with odd codes) whatever was asked. Nothing panics, every call returns
//!   once the script is used up, and a batch that succeeds has one outcome per change.

use std::cell::Cell;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use arbitrary::{Arbitrary, Unstructured};
use nix::libc;

use crate::client::{Change, Client, Transport};
use crate::codec::{Style, config, daemon, dest, service, stats};
use crate::consts::*;
use crate::error::Error;
use crate::model::{
    Daemon, DaemonState, Dest, Family, Name, Protocol, Service, ServiceKey, Timeouts,
};
use crate::netlink::Expect;
use crate::netlink::attr::{AttrWriter, Attrs};
use crate::netlink::msg::{
    Messages, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR,
    Reply, push_genl_request,
};

/// The decoders against arbitrary bytes: `data` is read as a received buffer of netlink
/// messages, and also as a list of attributes. See the module documentation.
pub fn decode(data: &[u8]) {
    for m in Messages::new(data) {
        let Ok(m) = m else { break };
        let Ok(reply) = m.reply() else { continue };
        if let Reply::Data { cmd, attrs, .. } = reply {
            message_round_trip(m.kind, m.flags, m.seq, cmd, m.payload[1], attrs);
            objects_round_trip(attrs);
        }
    }
    objects_round_trip(data);
}

/// The attributes of `buf` as (type, payload) pairs, or `None` when one is malformed.
fn attr_list(buf: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    Attrs::new(buf)
        .map(|a| a.ok().map(|a| (a.kind, a.payload)))
        .collect()
}

/// A generic-netlink data message written again from what was read of it reads the same.
fn message_round_trip(kind: u16, flags: u16, seq: u32, cmd: u8, version: u8, attrs: &[u8]) {
    let Some(list) = attr_list(attrs) else { return };
    let mut buf = Vec::new();
    let len = push_genl_request(&mut buf, kind, flags, seq, cmd, version, |w| {
        for (k, p) in &list {
            w.bytes(*k, p);
        }
    });
    assert_eq!(
        len.ok(),
        Some(buf.len()),
        "attributes that were read fit again"
    );
    let mut again = Messages::new(&buf);
    let m = again.next().expect("one message").expect("well framed");
    assert!(again.next().is_none(), "one message only");
    assert_eq!((m.kind, m.flags, m.seq), (kind, flags, seq));
    match m.reply().expect("a data message") {
        Reply::Data {
            cmd: c, attrs: a, ..
        } => {
            assert_eq!(c, cmd);
            assert_eq!(attr_list(a).as_deref(), Some(&list[..]));
        }
        other => panic!("data message read back as {other:?}"),
    }
}

/// Every decoder on `attrs` as a whole and on each attribute's payload (the nests).
fn objects_round_trip(attrs: &[u8]) {
    if let Some(list) = attr_list(attrs) {
        let mut again = Vec::new();
        let mut w = AttrWriter::new(&mut again);
        for (k, p) in &list {
            w.bytes(*k, p);
        }
        assert_eq!(w.too_long(), None, "attributes that were read fit again");
        assert_eq!(attr_list(&again).as_deref(), Some(&list[..]));
    }
    objects_in(attrs);
    for a in Attrs::new(attrs) {
        let Ok(a) = a else { break };
        objects_in(a.payload);
    }
}

/// Decodes `payload` as each kind of object; each one that decodes must survive encoding.
fn objects_in(payload: &[u8]) {
    let n = payload.len();
    if let Ok(s) = service::decode(payload) {
        for style in [Style::Reply, Style::Request] {
            let mut want = s.clone();
            if style == Style::Request {
                want.stats = None;
            }
            if let Some(again) =
                reencoded(IPVS_CMD_ATTR_SERVICE, n, |w| service::encode(w, &s, style))
            {
                assert_eq!(
                    service::decode(&again).as_ref().ok(),
                    Some(&want),
                    "{style:?}"
                );
            }
        }
    }
    for family in [Family::Inet, Family::Inet6] {
        if let Ok(d) = dest::decode(payload, family) {
            for style in [Style::Reply, Style::Request] {
                let mut want = d.clone();
                if style == Style::Request {
                    (want.active_conns, want.inact_conns, want.persist_conns) = (0, 0, 0);
                    want.stats = None;
                }
                if let Some(again) =
                    reencoded(IPVS_CMD_ATTR_DEST, n, |w| dest::encode(w, &d, style))
                {
                    let got = dest::decode(&again, family);
                    assert_eq!(got.as_ref().ok(), Some(&want), "{style:?}");
                }
            }
        }
    }
    if let Ok(d) = daemon::decode(payload) {
        for style in [Style::Reply, Style::Request] {
            if let Some(again) =
                reencoded(IPVS_CMD_ATTR_DAEMON, n, |w| daemon::encode(w, &d, style))
            {
                assert_eq!(daemon::decode(&again).as_ref().ok(), Some(&d), "{style:?}");
            }
        }
    }
    if let Ok(s) = stats::decode(payload) {
        let again = reencoded(IPVS_SVC_ATTR_STATS64, n, |w| {
            stats::encode(w, IPVS_SVC_ATTR_STATS64, &s, true)
        });
        assert_eq!(again.map(|a| stats::decode(&a).ok()), Some(Some(s)));
    }
    if let Ok(t) = config::decode_timeouts(payload) {
        let mut again = Vec::new();
        config::encode_timeouts(&mut AttrWriter::new(&mut again), &t);
        assert_eq!(config::decode_timeouts(&again).ok(), Some(t));
    }
    if let Ok(i) = config::decode_info(payload) {
        let mut again = Vec::new();
        config::encode_info(&mut AttrWriter::new(&mut again), &i);
        assert_eq!(config::decode_info(&again).ok(), Some(i));
    }
}

/// What `encode` writes, which must be exactly one attribute of type `kind` and nothing
/// else: its payload. `None` when the encoder reports an attribute too long for netlink:
/// only a value read from a buffer near or past 64 KiB can be that big (its unknown
/// attributes are kept whole, and the encoder adds at most a few hundred bytes of settings).
fn reencoded(
    kind: u16,
    input_len: usize,
    encode: impl FnOnce(&mut AttrWriter<'_>),
) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = AttrWriter::new(&mut buf);
    encode(&mut w);
    if let Some(len) = w.too_long() {
        assert!(
            input_len + 512 > usize::from(u16::MAX),
            "an attribute of {len} bytes from a value read from {input_len} bytes"
        );
        return None;
    }
    let list = attr_list(&buf).expect("the encoder's attributes are well framed");
    assert_eq!(list.len(), 1, "one attribute");
    assert_eq!(list[0].0, kind);
    Some(list[0].1.to_vec())
}

/// The family id the hostile transport's data messages carry.
const FAMILY: u16 = 0x20;

/// A run of the client over a hostile transport: what it is asked, and what it is answered.
#[derive(Debug, Clone, Arbitrary)]
pub struct ClientCase {
    /// [`Transport::reply_room`] (255: no limit).
    pub room: u8,
    /// The send (counting from 0) that fails, if any.
    pub failing_send: Option<u8>,
    /// The calls made, in order.
    pub ops: Vec<Op>,
    /// What the transport hands out, one datagram per receive, whatever was sent.
    pub script: Vec<Datagram>,
}

/// One client call.
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// [`Client::apply`].
    Apply(ChangeSpec),
    /// [`Client::apply_batch`].
    ApplyBatch(Vec<ChangeSpec>),
    /// [`Client::queue`].
    Queue(ChangeSpec),
    /// [`Client::send_queued`].
    SendQueued,
    /// [`Client::outcomes`].
    Outcomes,
    /// [`Client::info`].
    Info,
    /// [`Client::services`].
    Services,
    /// [`Client::service`] of the TCP service on this port.
    Service(u16),
    /// [`Client::dests`] of the TCP service on this port.
    Dests(u16),
    /// [`Client::timeouts`].
    Timeouts,
    /// [`Client::daemons`].
    Daemons,
    /// [`Client::snapshot`].
    Snapshot,
}

/// A change, in few bytes (what is encoded is the decoders' business, not this check's).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum ChangeSpec {
    /// Add the TCP service on this port.
    AddService(u16),
    /// Delete the TCP service on this port.
    DeleteService(u16),
    /// Add a real server (port) to the TCP service on a port.
    AddDest(u16, u16),
    /// Zero one service's counters, or all.
    Zero(Option<u16>),
    /// Delete every service.
    Flush,
    /// Set the timeouts.
    SetTimeouts(u32, u32, u32),
    /// Start a master (or backup) daemon with this sync id.
    StartDaemon(bool, u32),
}

impl ChangeSpec {
    fn change(self) -> Change {
        let svc = |port| {
            Service::new(ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                port,
            })
        };
        match self {
            ChangeSpec::AddService(p) => Change::AddService(svc(p)),
            ChangeSpec::DeleteService(p) => Change::DeleteService(svc(p).key),
            ChangeSpec::AddDest(p, r) => Change::AddDest(
                svc(p).key,
                Dest::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)), r),
            ),
            ChangeSpec::Zero(p) => Change::Zero(p.map(|p| svc(p).key)),
            ChangeSpec::Flush => Change::Flush,
            ChangeSpec::SetTimeouts(tcp, tcp_fin, udp) => {
                Change::SetTimeouts(Timeouts { tcp, tcp_fin, udp })
            }
            ChangeSpec::StartDaemon(master, id) => Change::StartDaemon(Daemon::new(
                if master {
                    DaemonState::Master
                } else {
                    DaemonState::Backup
                },
                Name::truncated(b"eth0"),
                id,
            )),
        }
    }
}

/// Which sequence number a scripted message carries.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Seq {
    /// The first request of the last datagram sent, plus this (a batch's later changes).
    Sent(u8),
    /// The first request of the last datagram sent, minus one minus this (a stale reply).
    Stale(u8),
    /// This one.
    Fixed(u32),
}

/// One scripted datagram: its messages back to back, perhaps damaged, perhaps handed out
/// again and again (flat, so that no input nests deeper than this).
#[derive(Debug, Clone, Arbitrary)]
pub struct Datagram {
    /// The messages.
    pub messages: Vec<Msg>,
    /// What is wrong with it, if anything.
    pub damage: Option<Damage>,
    /// Handed out this many times more (an endless dump).
    pub repeat: Option<u8>,
}

/// How a scripted datagram is damaged.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Damage {
    /// Cut short to this many bytes (modulo its length).
    Truncated(u16),
    /// The length field of this message (modulo their number) replaced.
    BadLength(u8, u32),
}

/// One message of a scripted datagram.
#[derive(Debug, Clone, Arbitrary)]
pub enum Msg {
    /// What the kernel would answer to the requests of the last datagram sent: an ACK for
    /// each change, one object and then the end for each read.
    Answer,
    /// An `NLMSG_ERROR`: an ACK for 0, else the negated code (any `i32`, `i32::MIN` too).
    Ack(Seq, i32),
    /// An error with extended-ACK attributes: the flags (capped or not, TLVs or not), the
    /// original length it claims, and the attribute bytes.
    ExtAck(Seq, i32, u16, u32, Vec<u8>),
    /// `NLMSG_DONE`, interrupted or not.
    Done(Seq, bool),
    /// A service, as a dump part (interrupted or not).
    Service(Seq, bool, u16, u32),
    /// A real server of an IPv4 or IPv6 service.
    Dest(Seq, bool, bool, u16, i32),
    /// A daemon.
    Daemon(Seq, bool, u32),
    /// Version information (version, table size; either may be left out).
    Info(Seq, Option<u32>, Option<u32>),
    /// Timeouts.
    Timeouts(Seq, u32, u32, u32),
    /// Any message type, flags and payload.
    Message(Seq, u16, u16, Vec<u8>),
    /// Bytes as they are.
    Raw(Vec<u8>),
}

impl Datagram {
    /// A datagram of these messages, whole, handed out once.
    pub fn of(messages: Vec<Msg>) -> Datagram {
        Datagram {
            messages,
            damage: None,
            repeat: None,
        }
    }

    /// The datagram's bytes, given the requests of the last datagram sent.
    fn bytes(&self, requests: &[Request], out: &mut Vec<u8>) {
        let mut starts = Vec::with_capacity(self.messages.len());
        for m in &self.messages {
            starts.push(out.len());
            m.bytes(requests, out);
        }
        match self.damage {
            Some(Damage::Truncated(cut)) if !out.is_empty() => {
                out.truncate(usize::from(cut) % out.len());
            }
            Some(Damage::BadLength(which, len)) => {
                let at = starts.get(usize::from(which) % starts.len().max(1));
                if let Some(&at) = at
                    && out.len() >= at + 4
                {
                    out[at..at + 4].copy_from_slice(&len.to_ne_bytes());
                }
            }
            _ => {}
        }
    }
}

impl Msg {
    /// The message's bytes, given the requests of the last datagram sent.
    fn bytes(&self, requests: &[Request], out: &mut Vec<u8>) {
        let sent = requests.first().map_or(0, |r| r.seq);
        let seq = |s: &Seq| match *s {
            Seq::Sent(d) => sent.wrapping_add(u32::from(d)),
            Seq::Stale(d) => sent.wrapping_sub(1 + u32::from(d)),
            Seq::Fixed(v) => v,
        };
        let intr = |i: bool| if i { NLM_F_DUMP_INTR } else { 0 };
        match self {
            Msg::Answer => {
                for r in requests {
                    answer(r, out);
                }
            }
            Msg::Ack(s, code) => error_message(out, seq(s), *code, 0, 16, &[]),
            Msg::ExtAck(s, code, flags, orig_len, tlvs) => {
                let flags = flags & (NLM_F_CAPPED | NLM_F_ACK_TLVS);
                error_message(out, seq(s), *code, flags, *orig_len, tlvs)
            }
            Msg::Done(s, i) => message(out, NLMSG_DONE, intr(*i), seq(s), &[0; 4]),
            Msg::Service(s, i, port, mark) => data(out, seq(s), intr(*i), |w| {
                let key = if *mark == 0 {
                    tcp(*port)
                } else {
                    ServiceKey::Fwmark {
                        family: Family::Inet,
                        mark: *mark,
                    }
                };
                service::encode(w, &Service::new(key), Style::Reply)
            }),
            Msg::Dest(s, i, v6, port, weight) => data(out, seq(s), intr(*i), |w| {
                let addr = if *v6 {
                    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2))
                } else {
                    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2))
                };
                let mut d = Dest::new(addr, *port);
                d.weight = *weight;
                dest::encode(w, &d, Style::Reply)
            }),
            Msg::Daemon(s, master, id) => data(out, seq(s), 0, |w| {
                let state = if *master {
                    DaemonState::Master
                } else {
                    DaemonState::Backup
                };
                daemon::encode(
                    w,
                    &Daemon::new(state, Name::truncated(b"eth0"), *id),
                    Style::Reply,
                )
            }),
            Msg::Info(s, version, size) => data(out, seq(s), 0, |w| {
                if let Some(v) = version {
                    w.u32(IPVS_INFO_ATTR_VERSION, *v);
                }
                if let Some(v) = size {
                    w.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, *v);
                }
            }),
            Msg::Timeouts(s, tcp, tcp_fin, udp) => data(out, seq(s), 0, |w| {
                let t = Timeouts {
                    tcp: *tcp,
                    tcp_fin: *tcp_fin,
                    udp: *udp,
                };
                config::encode_timeouts(w, &t)
            }),
            Msg::Message(s, kind, flags, payload) => message(out, *kind, *flags, seq(s), payload),
            Msg::Raw(bytes) => out.extend_from_slice(bytes),
        }
    }
}

/// A request the client sent: its sequence number, command and flags.
#[derive(Debug, Clone, Copy)]
struct Request {
    seq: u32,
    cmd: u8,
    flags: u16,
}

/// Appends the kernel's answer to one request.
fn answer(r: &Request, out: &mut Vec<u8>) {
    let (seq, v4) = (r.seq, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)));
    match r.cmd {
        IPVS_CMD_GET_SERVICE => data(out, seq, 0, |w| {
            service::encode(w, &Service::new(tcp(80)), Style::Reply)
        }),
        IPVS_CMD_GET_DEST => data(out, seq, 0, |w| {
            dest::encode(w, &Dest::new(v4, 80), Style::Reply)
        }),
        IPVS_CMD_GET_DAEMON => data(out, seq, 0, |w| {
            let d = Daemon::new(DaemonState::Master, Name::truncated(b"eth0"), 1);
            daemon::encode(w, &d, Style::Reply)
        }),
        IPVS_CMD_GET_INFO => data(out, seq, 0, |w| {
            config::encode_info(
                w,
                &crate::model::Info {
                    version: 0x010201,
                    conn_tab_size: 4096,
                },
            )
        }),
        IPVS_CMD_GET_CONFIG => data(out, seq, 0, |w| {
            config::encode_timeouts(w, &Timeouts::default())
        }),
        _ => {}
    }
    if r.flags & NLM_F_DUMP == NLM_F_DUMP {
        message(out, NLMSG_DONE, 0, seq, &[0; 4]);
    } else {
        error_message(out, seq, 0, 0, 16, &[]);
    }
}

pub(crate) use crate::netlink::msg::message;

/// Appends an `NLMSG_ERROR` with `code`, an original header claiming `orig_len` bytes, and
/// `tlvs` after it.
fn error_message(out: &mut Vec<u8>, seq: u32, code: i32, flags: u16, orig_len: u32, tlvs: &[u8]) {
    let mut p = code.wrapping_neg().to_ne_bytes().to_vec();
    p.extend_from_slice(&orig_len.to_ne_bytes());
    p.extend_from_slice(&[0; 12]);
    p.extend_from_slice(tlvs);
    message(out, NLMSG_ERROR, flags, seq, &p);
}

/// Appends an IPVS data message with the attributes `attrs` writes.
fn data(out: &mut Vec<u8>, seq: u32, flags: u16, attrs: impl FnOnce(&mut AttrWriter<'_>)) {
    push_genl_request(out, FAMILY, flags, seq, IPVS_CMD_NEW_SERVICE, 1, attrs)
        .expect("a scripted message fits");
}

/// The hostile transport: hands out the script's datagrams in order, whatever was sent, and
/// fails every receive once they are used up.
struct Hostile {
    script: VecDeque<Datagram>,
    /// What is left of a repeated datagram: the datagram and how many more times.
    repeating: Option<(Datagram, u8)>,
    room: usize,
    failing_send: Option<u8>,
    sends: usize,
    /// The requests of the last datagram sent.
    sent: Vec<Request>,
    current: Vec<u8>,
    /// Receives past the end of the script during the current call (set to 0 before each).
    reads_past_the_end: Rc<Cell<usize>>,
    /// Datagrams handed out.
    handed_out: usize,
}

impl Transport for Hostile {
    fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
        // What the client sends is well framed, with consecutive sequence numbers.
        let mut sent = Vec::new();
        for m in Messages::new(msgs) {
            let m = m.expect("the client sends well-framed messages");
            assert_eq!(m.kind, FAMILY);
            assert!(m.payload.len() >= 4, "a generic netlink header");
            sent.push(Request {
                seq: m.seq,
                cmd: m.payload[0],
                flags: m.flags,
            });
        }
        assert!(!sent.is_empty(), "an empty datagram was sent");
        for pair in sent.windows(2) {
            assert_eq!(
                pair[1].seq,
                pair[0].seq.wrapping_add(1),
                "sequence numbers run on"
            );
        }
        let fail = self.failing_send.map(usize::from) == Some(self.sends);
        self.sends += 1;
        if fail {
            return Err(Error::Io(std::io::Error::from_raw_os_error(libc::ENOBUFS)));
        }
        self.sent = sent;
        Ok(())
    }

    fn recv(&mut self) -> Result<&[u8], Error> {
        let next = match self.repeating.take() {
            Some((d, more)) => {
                if more > 1 {
                    self.repeating = Some((d.clone(), more - 1));
                }
                Some(d)
            }
            None => {
                let d = self.script.pop_front();
                if let Some(
                    d @ Datagram {
                        repeat: Some(more @ 1..),
                        ..
                    },
                ) = &d
                {
                    self.repeating = Some((d.clone(), *more));
                }
                d
            }
        };
        let Some(d) = next else {
            // A failed receive ends the call: a second one would be a client that keeps
            // reading a transport that keeps failing (forever, on a real one).
            let past = self.reads_past_the_end.get() + 1;
            assert!(
                past <= 1,
                "one call read {past} times past the end of the script"
            );
            self.reads_past_the_end.set(past);
            return Err(Error::Io(std::io::Error::from_raw_os_error(libc::EAGAIN)));
        };
        self.handed_out += 1;
        self.current.clear();
        d.bytes(&self.sent, &mut self.current);
        Ok(&self.current)
    }

    fn recv_many(
        &mut self,
        _expect: Expect,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let data = self.recv()?;
        each(data)
    }

    fn reply_room(&self) -> usize {
        self.room
    }
}

/// What a run of [`client`] did, for the property tests to check they test something.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClientRun {
    /// Calls that returned `Ok`.
    pub ok: usize,
    /// Reads that returned at least one value.
    pub values: usize,
    /// Change outcomes handed back (by batches and by [`Client::outcomes`]).
    pub outcomes: usize,
    /// Datagrams the transport handed out.
    pub datagrams: usize,
}

/// [`client`] on a case made from arbitrary bytes (the fuzz target's entry point).
pub fn client_bytes(data: &[u8]) -> Option<ClientRun> {
    ClientCase::arbitrary_take_rest(Unstructured::new(data))
        .ok()
        .map(|case| client(&case))
}

/// The client over the hostile transport. See the module documentation.
pub fn client(case: &ClientCase) -> ClientRun {
    let past_the_end = Rc::new(Cell::new(0));
    let transport = Hostile {
        script: case.script.iter().cloned().collect(),
        repeating: None,
        room: if case.room == u8::MAX {
            usize::MAX
        } else {
            usize::from(case.room)
        },
        failing_send: case.failing_send,
        sends: 0,
        sent: Vec::new(),
        current: Vec::new(),
        reads_past_the_end: Rc::clone(&past_the_end),
        handed_out: 0,
    };
    let mut c = Client::with_transport(transport, FAMILY);
    let mut run = ClientRun::default();
    let mut queued = 0;
    let mut taken = 0;
    let count = |r: Result<usize, Error>, run: &mut ClientRun| {
        if let Ok(n) = r {
            run.ok += 1;
            run.values += usize::from(n > 0);
        }
    };
    for op in &case.ops {
        past_the_end.set(0);
        match op {
            Op::Apply(c1) => count(c.apply(&c1.change()).map(|()| 0), &mut run),
            Op::ApplyBatch(specs) => {
                let changes: Vec<Change> = specs.iter().map(|s| s.change()).collect();
                if let Ok(results) = c.apply_batch(&changes) {
                    assert_eq!(results.len(), changes.len(), "one outcome per change");
                    run.outcomes += results.len();
                    run.ok += 1;
                }
            }
            Op::Queue(spec) => {
                queued += 1;
                count(c.queue(&spec.change()).map(|()| 0), &mut run);
            }
            Op::SendQueued => count(c.send_queued().map(|()| 0), &mut run),
            Op::Outcomes => {
                let n = c.outcomes().count();
                taken += n;
                run.outcomes += n;
                assert!(
                    taken <= queued,
                    "{taken} outcomes for {queued} queued changes"
                );
            }
            Op::Info => count(c.info().map(|_| 1), &mut run),
            Op::Services => count(c.services().map(|v| v.len()), &mut run),
            Op::Service(port) => count(c.service(&tcp(*port)).map(|_| 1), &mut run),
            Op::Dests(port) => count(c.dests(&tcp(*port)).map(|v| v.len()), &mut run),
            Op::Timeouts => count(c.timeouts().map(|_| 1), &mut run),
            Op::Daemons => count(c.daemons().map(|v| v.len()), &mut run),
            Op::Snapshot => count(c.snapshot().map(|v| v.len()), &mut run),
        }
    }
    run.datagrams = c.into_transport().handed_out;
    run
}

fn tcp(port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        port,
    }
}

#[cfg(test)]
mod tests;
