//! Our command line builds the very requests the reference sent. The captures are netlink
//! traffic of the reference ipvsadm recorded on the real kernel (nlmon in the test VM,
//! `tests/vm/capture.sh`), kept with the codec's own golden tests in
//! `crates/linux-ipvs/golden/`. For each capture of a change, the captured command line goes
//! through our parser, the change through a `linux_ipvs::Client` over a transport that
//! records what it is asked to send, and the request must equal the reference's byte for
//! byte after the netlink header (whose sequence number and port id differ by nature).

use std::fs;
use std::path::{Path, PathBuf};

use ipvsadm::cli::Action;
use linux_ipvs::{Client, Error, Transport};

/// Where the captures are.
fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/linux-ipvs/golden")
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A netlink message split from a datagram: type, flags, sequence number, payload.
struct Msg {
    kind: u16,
    seq: u32,
    payload: Vec<u8>,
}

/// The messages of one datagram (the framing only: 16-byte headers, 4-byte alignment).
fn messages(mut data: &[u8]) -> Vec<Msg> {
    let mut out = Vec::new();
    while data.len() >= 16 {
        let len = u32::from_ne_bytes(data[..4].try_into().unwrap()) as usize;
        assert!(len >= 16 && len <= data.len(), "bad netlink length {len}");
        out.push(Msg {
            kind: u16::from_ne_bytes(data[4..6].try_into().unwrap()),
            seq: u32::from_ne_bytes(data[8..12].try_into().unwrap()),
            payload: data[16..len].to_vec(),
        });
        data = &data[(len + 3) & !3..];
    }
    out
}

/// The IPVS requests of a capture (not the family lookup), as (command, attributes).
fn captured_requests(text: &str) -> Vec<(u8, Vec<u8>)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("> "))
        .flat_map(|h| messages(&hex(h)))
        .filter(|m| m.kind != 0x10)
        .map(|m| (m.payload[0], m.payload[4..].to_vec()))
        .collect()
}

/// Records every datagram it is asked to send and answers each message with an ACK.
#[derive(Default)]
struct Recorder {
    sent: Vec<Vec<u8>>,
    reply: Vec<u8>,
}

impl Transport for Recorder {
    fn send(&mut self, msgs: &[u8]) -> Result<(), Error> {
        self.sent.push(msgs.to_vec());
        self.reply.clear();
        for m in messages(msgs) {
            // NLMSG_ERROR with error 0: an ACK, the request's header echoed.
            self.reply.extend_from_slice(&36u32.to_ne_bytes());
            self.reply.extend_from_slice(&2u16.to_ne_bytes());
            self.reply.extend_from_slice(&0x100u16.to_ne_bytes());
            self.reply.extend_from_slice(&m.seq.to_ne_bytes());
            self.reply.extend_from_slice(&[0; 4]);
            self.reply.extend_from_slice(&[0; 20]);
        }
        Ok(())
    }
    fn recv(&mut self) -> Result<&[u8], Error> {
        Ok(&self.reply)
    }
}

#[test]
fn our_requests_equal_the_reference_requests() {
    let names = ipvsadm::names::StaticNames::default();
    let mut compared = 0;
    let mut files: Vec<PathBuf> = fs::read_dir(golden_dir())
        .expect("golden captures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "expected the captures, found {}",
        files.len()
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).expect("capture");
        let argv: Vec<String> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# Netlink traffic of: "))
            .expect("the first line names the command")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let Action::Change(change) = ipvsadm::cli::parse(&argv, &names).expect("parses").action
        else {
            continue;
        };
        // The reference's last request: the change (GET_INFO and the lookup come first).
        let (cmd, attrs) = captured_requests(&text)
            .pop()
            .unwrap_or_else(|| panic!("{name}: no request"));
        let mut client = Client::with_transport(Recorder::default(), 0x20);
        client.apply(&change).expect("acknowledged");
        let sent = client.into_transport().sent;
        assert_eq!(sent.len(), 1, "{name}: one datagram");
        let ours = messages(&sent[0]);
        assert_eq!(ours.len(), 1, "{name}: one request");
        assert_eq!(ours[0].payload[0], cmd, "{name}: command");
        assert_eq!(
            hexs(&ours[0].payload[4..]),
            hexs(&attrs),
            "{name}: our request differs"
        );
        compared += 1;
    }
    eprintln!("compared {compared} requests");
    assert!(compared >= 12, "only {compared} change captures");
}
