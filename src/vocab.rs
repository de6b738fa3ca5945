//! ipvsadm's vocabulary: the words and labels for protocols, forwarding methods, tunnel
//! types and checksum modes, scheduler flags, persistence netmasks, daemon states, and the
//! known schedulers, in both directions where the command line reads what the output
//! writes. Listings, the save format, the parser, the help and the completions all take
//! their words from here, so each word is spelled once.

use std::fmt;

use linux_ipvs::flags::{
    IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3, IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
    IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};
use linux_ipvs::{DaemonState, Family, Forward, Protocol, Service, TunnelType};

/// A word the command line takes, with a few words on what it means (for completions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// The word.
    pub word: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

const fn word(word: &'static str, meaning: &'static str) -> Word {
    Word { word, meaning }
}

/// The lists of words an option's value is one of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// [`SCHEDULERS`].
    Schedulers,
    /// [`PERSISTENCE_ENGINES`].
    Engines,
    /// [`TUNNEL_TYPES`].
    TunnelTypes,
    /// [`DAEMON_STATES`].
    DaemonStates,
}

impl Words {
    /// What the words name (for completions: "scheduler", ...).
    pub fn what(self) -> &'static str {
        match self {
            Words::Schedulers => "scheduler",
            Words::Engines => "persistence engine",
            Words::TunnelTypes => "tunnel type",
            Words::DaemonStates => "daemon state",
        }
    }

    /// The words, in the order help and completions show them.
    pub fn list(self) -> Vec<Word> {
        match self {
            Words::Schedulers => SCHEDULERS.to_vec(),
            Words::Engines => PERSISTENCE_ENGINES.to_vec(),
            Words::TunnelTypes => TUNNEL_TYPES.iter().map(|t| t.1).collect(),
            Words::DaemonStates => DAEMON_STATES.iter().map(|d| d.1).collect(),
        }
    }
}

/// The schedulers of the kernel's IPVS (the kernel takes any name; these are the ones it
/// ships).
pub const SCHEDULERS: &[Word] = &[
    word("rr", "round robin"),
    word("wrr", "weighted round robin"),
    word("lc", "least connection"),
    word("wlc", "weighted least connection (the default)"),
    word("lblc", "locality-based least connection"),
    word("lblcr", "locality-based least connection with replication"),
    word("dh", "destination hashing"),
    word("sh", "source hashing"),
    word("sed", "shortest expected delay"),
    word("nq", "never queue"),
    word("fo", "weighted failover"),
    word("ovf", "weighted overflow"),
    word("mh", "maglev hashing"),
];

/// The persistence engines the kernel ships.
pub const PERSISTENCE_ENGINES: &[Word] = &[word("sip", "SIP Call-ID persistence")];

/// Sync daemon states and their words.
pub const DAEMON_STATES: [(DaemonState, Word); 2] = [
    (DaemonState::Master, word("master", "send connection state")),
    (
        DaemonState::Backup,
        word("backup", "receive connection state"),
    ),
];

/// The word of a daemon state (`master`, `backup`).
pub fn daemon_state_word(state: DaemonState) -> &'static str {
    match state {
        DaemonState::Master => DAEMON_STATES[0].1.word,
        DaemonState::Backup => DAEMON_STATES[1].1.word,
    }
}

/// The daemon state a word names.
pub fn parse_daemon_state(s: &[u8]) -> Option<DaemonState> {
    DAEMON_STATES
        .iter()
        .find(|(_, w)| w.word.as_bytes() == s)
        .map(|(state, _)| *state)
}

/// Tunnel types and their words, in the column order of the tunnel legality table.
pub const TUNNEL_TYPES: [(TunnelType, Word); 3] = [
    (TunnelType::Ipip, word("ipip", "IP in IP (the default)")),
    (TunnelType::Gue, word("gue", "generic UDP encapsulation")),
    (TunnelType::Gre, word("gre", "GRE")),
];

/// The word of a tunnel type, if it has one.
pub fn tunnel_type_word(t: TunnelType) -> Option<&'static str> {
    TUNNEL_TYPES
        .iter()
        .find(|(v, _)| *v == t)
        .map(|(_, w)| w.word)
}

/// The tunnel type a word names.
pub fn parse_tunnel_type(s: &[u8]) -> Option<TunnelType> {
    TUNNEL_TYPES
        .iter()
        .find(|(_, w)| w.word.as_bytes() == s)
        .map(|(t, _)| *t)
}

/// The column of a tunnel type in the tunnel legality table (an unknown type counts as
/// ipip, the default).
pub fn tunnel_type_column(t: TunnelType) -> usize {
    TUNNEL_TYPES.iter().position(|(v, _)| *v == t).unwrap_or(0)
}

/// A tunnel's checksum mode: its flag bits, how listings show it and the option that sets
/// it (which save writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    /// `IP_VS_TUNNEL_ENCAP_FLAG_*`.
    pub flags: u16,
    /// The listing's word (`-c`, `+c`, `r+c`).
    pub label: &'static str,
    /// The option (`--tun-nocsum`, ...).
    pub option: &'static str,
}

/// The three checksum modes.
pub const CHECKSUMS: [Checksum; 3] = [
    Checksum {
        flags: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
        label: "-c",
        option: "--tun-nocsum",
    },
    Checksum {
        flags: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
        label: "+c",
        option: "--tun-csum",
    },
    Checksum {
        flags: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
        label: "r+c",
        option: "--tun-remcsum",
    },
];

/// The checksum mode of tunnel flags. The reference indexes its table with the raw value;
/// for values it cannot create (3 and up) remote checksum wins over checksum over none,
/// instead of reading past the table.
pub fn checksum(flags: u16) -> Checksum {
    if flags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM != 0 {
        CHECKSUMS[2]
    } else if flags & IP_VS_TUNNEL_ENCAP_FLAG_CSUM != 0 {
        CHECKSUMS[1]
    } else {
        CHECKSUMS[0]
    }
}

/// The protocol column of listings (`TCP`, `UDP`, `SCTP`, anything else `?`).
pub fn protocol_label(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
        Protocol::Other(_) => "?",
    }
}

/// The protocol a listing's label names (the connection table's column).
pub fn parse_protocol_label(s: &[u8]) -> Option<Protocol> {
    match s {
        b"TCP" => Some(Protocol::Tcp),
        b"UDP" => Some(Protocol::Udp),
        b"SCTP" => Some(Protocol::Sctp),
        _ => None,
    }
}

/// The option naming a service of this protocol (`-t`, `-u`, `--sctp-service`; the
/// reference's placeholder for others).
pub fn protocol_option(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "-t",
        Protocol::Udp => "-u",
        Protocol::Sctp => "--sctp-service",
        Protocol::Other(_) => "--xxx-service",
    }
}

/// The forwarding-method column of listings (`Masq`, `Local`, `Tunnel`, `Route`; an
/// unknown method prints as glibc prints a null string).
pub fn forward_label(f: Forward) -> &'static str {
    match f {
        Forward::Masq => "Masq",
        Forward::Local => "Local",
        Forward::Tunnel => "Tunnel",
        Forward::Route => "Route",
        Forward::Other(_) => "(null)",
    }
}

/// The forwarding methods' words in JSON.
pub const FORWARD_WORDS: [(Forward, &str); 4] = [
    (Forward::Masq, "masq"),
    (Forward::Local, "local"),
    (Forward::Tunnel, "tunnel"),
    (Forward::Route, "route"),
];

/// The word of a forwarding method in JSON, if it has one.
pub fn forward_word(f: Forward) -> Option<&'static str> {
    FORWARD_WORDS.iter().find(|(v, _)| *v == f).map(|(_, w)| *w)
}

/// The forwarding method a JSON word names.
pub fn parse_forward_word(s: &str) -> Option<Forward> {
    FORWARD_WORDS.iter().find(|(_, w)| *w == s).map(|(f, _)| *f)
}

/// The tunnel flag bits' words in JSON (no bit: no checksum).
pub const TUNNEL_FLAG_WORDS: [(u16, &str); 2] = [
    (IP_VS_TUNNEL_ENCAP_FLAG_CSUM, "csum"),
    (IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM, "remcsum"),
];

/// The option that selects a forwarding method, as save writes it (local is written as
/// direct routing, which is what the kernel makes of it).
pub fn forward_option(f: Forward) -> &'static str {
    match f {
        Forward::Masq => "-m",
        Forward::Tunnel => "-i",
        Forward::Local | Forward::Route => "-g",
        Forward::Other(_) => "(null)",
    }
}

/// The three scheduler flag bits.
pub const SCHED_FLAG_BITS: [u32; 3] = [IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3];

/// All three scheduler flag bits.
pub const SCHED_FLAGS: u32 = IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;

/// The generic names of the scheduler flags, which every scheduler accepts.
pub const GENERIC_SCHED_FLAGS: [&str; 3] = ["flag-1", "flag-2", "flag-3"];

/// Schedulers whose first two flags have names of their own.
pub const NAMED_SCHED_FLAGS: [(&str, [&str; 2]); 2] = [
    ("sh", ["sh-fallback", "sh-port"]),
    ("mh", ["mh-fallback", "mh-port"]),
];

/// The names of the three flag bits as listings show them for a scheduler: its own names
/// for `sh` and `mh` (whose third bit has none), else the generic ones.
fn sched_flag_names_for(sched: &[u8]) -> [Option<&'static str>; 3] {
    match NAMED_SCHED_FLAGS
        .iter()
        .find(|(s, _)| s.as_bytes() == sched)
    {
        Some((_, [a, b])) => [Some(a), Some(b), None],
        None => GENERIC_SCHED_FLAGS.map(Some),
    }
}

/// Appends the comma-separated names of the scheduler flags set in `flags`, as the listing
/// shows them. With `complete` (save, so that the list always restores to the same bits) a
/// bit that has no name for this scheduler is written under its generic `flag-N` name
/// instead of being left out.
pub fn write_sched_flags(out: &mut Vec<u8>, sched: &[u8], flags: u32, complete: bool) {
    let named = sched_flag_names_for(sched);
    let mut first = true;
    for i in 0..3 {
        if flags & SCHED_FLAG_BITS[i] == 0 {
            continue;
        }
        let name = match (named[i], complete) {
            (Some(n), _) => n,
            (None, true) => GENERIC_SCHED_FLAGS[i],
            (None, false) => continue,
        };
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(name.as_bytes());
    }
}

/// Parses the `-b` list for a scheduler; returns the flag bits, or the error message (with
/// the list's bytes as given). An empty list means no flags, empty items are skipped, and a
/// list of only commas is refused (the reference crashes on it). A scheduler's own names are
/// refused with another scheduler.
pub fn parse_sched_flags(list: &[u8], scheduler: &[u8]) -> Result<u32, Vec<u8>> {
    let message =
        |what: &str, item: &[u8]| [what.as_bytes(), b" scheduler flag `", item, b"'"].concat();
    if list.is_empty() {
        return Ok(0);
    }
    if list.iter().all(|&b| b == b',') {
        return Err(message("invalid", list));
    }
    let mut bits = 0u32;
    for item in list.split(|&b| b == b',').filter(|w| !w.is_empty()) {
        let generic = GENERIC_SCHED_FLAGS
            .iter()
            .position(|g| g.as_bytes() == item);
        let bit = match generic {
            Some(i) => SCHED_FLAG_BITS[i],
            None => {
                let (owner, i) = NAMED_SCHED_FLAGS
                    .iter()
                    .find_map(|(s, names)| {
                        Some((*s, names.iter().position(|n| n.as_bytes() == item)?))
                    })
                    .ok_or_else(|| message("invalid", item))?;
                if owner.as_bytes() != scheduler {
                    return Err(message("incompatible", item));
                }
                SCHED_FLAG_BITS[i]
            }
        };
        bits |= bit;
    }
    Ok(bits)
}

/// A service's persistence netmask as listings (` mask X`) and save (` -M X`) show it: a
/// dotted IPv4 mask or an IPv6 prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Netmask(pub Family, pub u32);

impl Netmask {
    /// The netmask of a service, or `None` when it is the family's full mask (not shown).
    pub fn of(svc: &Service) -> Option<Netmask> {
        let family = svc.key.family();
        (svc.netmask != linux_ipvs::full_netmask(family))
            .then_some(Netmask(family, svc.netmask.raw()))
    }
}

impl fmt::Display for Netmask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Family::Inet => fmt::Display::fmt(&std::net::Ipv4Addr::from(self.1.to_ne_bytes()), f),
            // The reference prints the kernel's u32 as a signed int.
            Family::Inet6 => fmt::Display::fmt(&(self.1 as i32), f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sched_flags_read_back_what_save_writes() {
        for sched in ["wlc", "sh", "mh", "rr"] {
            for bits in 0..8u32 {
                let flags = bits << 3;
                let mut out = Vec::new();
                write_sched_flags(&mut out, sched.as_bytes(), flags, true);
                let text = String::from_utf8(out).unwrap();
                assert_eq!(
                    parse_sched_flags(text.as_bytes(), sched.as_bytes()),
                    Ok(flags),
                    "{sched} {text}"
                );
            }
        }
    }

    #[test]
    fn sched_flags() {
        assert_eq!(parse_sched_flags(b"", b"wlc"), Ok(0));
        assert_eq!(parse_sched_flags(b"flag-1,,flag-3", b"rr"), Ok(0x28));
        assert_eq!(parse_sched_flags(b"sh-fallback,sh-port", b"sh"), Ok(0x18));
        assert_eq!(parse_sched_flags(b"mh-port", b"mh"), Ok(0x10));
        assert_eq!(
            parse_sched_flags(b"sh-port", b"wlc"),
            Err(b"incompatible scheduler flag `sh-port'".to_vec())
        );
        assert_eq!(
            parse_sched_flags(b"mh-fallback", b"sh"),
            Err(b"incompatible scheduler flag `mh-fallback'".to_vec())
        );
        assert_eq!(
            parse_sched_flags(b"flag-1,bogus", b"wlc"),
            Err(b"invalid scheduler flag `bogus'".to_vec())
        );
        assert_eq!(
            parse_sched_flags(b",", b"wlc"),
            Err(b"invalid scheduler flag `,'".to_vec())
        );
        assert_eq!(
            parse_sched_flags(b",,", b"wlc"),
            Err(b"invalid scheduler flag `,,'".to_vec())
        );
    }

    #[test]
    fn words_go_both_ways() {
        for (t, w) in TUNNEL_TYPES {
            assert_eq!(parse_tunnel_type(w.word.as_bytes()), Some(t));
            assert_eq!(tunnel_type_word(t), Some(w.word));
        }
        for (s, w) in DAEMON_STATES {
            assert_eq!(parse_daemon_state(w.word.as_bytes()), Some(s));
            assert_eq!(daemon_state_word(s), w.word);
        }
        for p in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            assert_eq!(parse_protocol_label(protocol_label(p).as_bytes()), Some(p));
        }
        for c in CHECKSUMS {
            assert_eq!(checksum(c.flags), c);
        }
        assert_eq!(checksum(3), CHECKSUMS[2]);
    }
}
