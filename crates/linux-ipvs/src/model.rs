//! The typed IPVS model: virtual services, real servers (destinations), counters, daemons.
//!
//! These are plain values, independent of the wire format. A service is keyed either by
//! protocol, address and port, or by firewall mark and address family, never both
//! ([`ServiceKey`]). The codec modules beside this one turn them into netlink attributes and
//! back; the command-line front end builds them; the formatters print them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::consts;

/// Address family of a service or destination (`AF_INET` or `AF_INET6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4 (`AF_INET`, 2).
    Inet,
    /// IPv6 (`AF_INET6`, 10).
    Inet6,
}

impl Family {
    /// The kernel's numeric value.
    pub fn raw(self) -> u16 {
        match self {
            Family::Inet => consts::AF_INET,
            Family::Inet6 => consts::AF_INET6,
        }
    }
    /// From the kernel's numeric value.
    pub fn from_raw(v: u16) -> Option<Family> {
        match v {
            consts::AF_INET => Some(Family::Inet),
            consts::AF_INET6 => Some(Family::Inet6),
            _ => None,
        }
    }
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }
    /// The unspecified address of this family.
    pub fn unspecified(self) -> IpAddr {
        match self {
            Family::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }
}

/// Transport protocol of a non-fwmark service (`IPPROTO_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// SCTP (132).
    Sctp,
    /// Any other protocol number the kernel reports.
    Other(u16),
}

impl Protocol {
    /// The kernel's numeric value.
    pub fn raw(self) -> u16 {
        match self {
            Protocol::Tcp => consts::IPPROTO_TCP,
            Protocol::Udp => consts::IPPROTO_UDP,
            Protocol::Sctp => consts::IPPROTO_SCTP,
            Protocol::Other(v) => v,
        }
    }
    /// From the kernel's numeric value.
    pub fn from_raw(v: u16) -> Protocol {
        match v {
            consts::IPPROTO_TCP => Protocol::Tcp,
            consts::IPPROTO_UDP => Protocol::Udp,
            consts::IPPROTO_SCTP => Protocol::Sctp,
            other => Protocol::Other(other),
        }
    }
    /// The protocol's name as `/etc/protocols` and `/etc/services` spell it (`tcp`, `udp`,
    /// `sctp`); `None` for other protocols.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Protocol::Tcp => Some("tcp"),
            Protocol::Udp => Some("udp"),
            Protocol::Sctp => Some("sctp"),
            Protocol::Other(_) => None,
        }
    }
}

/// What identifies a virtual service. (Its order, address services before fwmark ones,
/// is only a total order for sets and maps; listings have their own.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    /// A protocol, address and port (`-t`, `-u`, `--sctp-service`). Port 0 means any port.
    Addr {
        /// Transport protocol.
        protocol: Protocol,
        /// Virtual address; its family is the service's family.
        addr: IpAddr,
        /// Virtual port (host order here; network order on the wire).
        port: u16,
    },
    /// A firewall mark (`-f`) within one address family.
    Fwmark {
        /// Address family of the marked packets.
        family: Family,
        /// The mark, 1..=u32::MAX.
        mark: u32,
    },
}

impl ServiceKey {
    /// The service's address family.
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(addr),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }
    /// The virtual port (0 for fwmark services).
    pub fn port(&self) -> u16 {
        match self {
            ServiceKey::Addr { port, .. } => *port,
            ServiceKey::Fwmark { .. } => 0,
        }
    }
    /// The protocol, if this is not a fwmark service.
    pub fn protocol(&self) -> Option<Protocol> {
        match self {
            ServiceKey::Addr { protocol, .. } => Some(*protocol),
            ServiceKey::Fwmark { .. } => None,
        }
    }
    /// The fwmark, if this is a fwmark service.
    pub fn fwmark(&self) -> Option<u32> {
        match self {
            ServiceKey::Fwmark { mark, .. } => Some(*mark),
            ServiceKey::Addr { .. } => None,
        }
    }
}

/// Packet and byte counters and rates, as the kernel reports them (`IPVS_STATS_ATTR_*`).
/// Build one from [`Stats::default`] and set the counters (the kernel may grow more).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Incoming packets.
    pub inpkts: u64,
    /// Outgoing packets.
    pub outpkts: u64,
    /// Incoming bytes.
    pub inbytes: u64,
    /// Outgoing bytes.
    pub outbytes: u64,
    /// Connections per second.
    pub cps: u64,
    /// Incoming packets per second.
    pub inpps: u64,
    /// Outgoing packets per second.
    pub outpps: u64,
    /// Incoming bytes per second.
    pub inbps: u64,
    /// Outgoing bytes per second.
    pub outbps: u64,
}

impl Stats {
    /// Counters without rates (all zero): connections, packets in and out, bytes in and
    /// out.
    pub fn new(conns: u64, inpkts: u64, outpkts: u64, inbytes: u64, outbytes: u64) -> Stats {
        Stats {
            conns,
            inpkts,
            outpkts,
            inbytes,
            outbytes,
            ..Stats::default()
        }
    }
    /// The same counters with these rates, per second: connections, packets in and out,
    /// bytes in and out.
    pub fn with_rates(self, cps: u64, inpps: u64, outpps: u64, inbps: u64, outbps: u64) -> Stats {
        Stats {
            cps,
            inpps,
            outpps,
            inbps,
            outbps,
            ..self
        }
    }
}

/// An attribute the codec did not recognise, kept as it came (type without flag bits, payload).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownAttr {
    /// Attribute type, with `NLA_F_NESTED`/`NLA_F_NET_BYTEORDER` masked off.
    pub kind: u16,
    /// Raw payload.
    pub payload: Vec<u8>,
}

impl UnknownAttr {
    /// An attribute of type `kind` with `payload`.
    pub fn new(kind: u16, payload: Vec<u8>) -> UnknownAttr {
        UnknownAttr { kind, payload }
    }
}

/// A name the kernel keeps in a 16-byte buffer: a scheduler, a persistence engine, a network
/// interface. It is bytes, at most [`Name::MAX`] of them (the buffer ends with a NUL). The
/// kernel's schedulers and engines have ASCII names, but nothing requires UTF-8 (an
/// interface can be named with any bytes but `/`, `:` and blanks), so a name is kept as the
/// bytes it is; [`fmt::Display`] shows other bytes as U+FFFD. It is `Copy`: no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    len: u8,
    bytes: [u8; Name::MAX],
}

impl Name {
    /// The longest name the kernel keeps, in bytes.
    pub const MAX: usize = 15;

    /// The empty name (no scheduler, as in requests that name a service only by its key).
    pub const EMPTY: Name = Name {
        len: 0,
        bytes: [0; Name::MAX],
    };

    /// The name `bytes`, if the kernel can keep it whole: at most [`Name::MAX`] bytes,
    /// without NUL. ([`Name::truncated`] cuts a longer one, as ipvsadm does.)
    ///
    /// ```
    /// use linux_ipvs::Name;
    ///
    /// assert_eq!(Name::new(b"wrr").unwrap(), "wrr");
    /// assert!(Name::new(b"a-sixteen-bytes!").is_err());
    /// ```
    pub fn new(bytes: &[u8]) -> Result<Name, InvalidName> {
        if bytes.len() > Name::MAX || bytes.contains(&0) {
            return Err(InvalidName { len: bytes.len() });
        }
        Ok(Name::truncated(bytes))
    }

    /// The name made of the first [`Name::MAX`] bytes of `bytes`, up to the first NUL: what
    /// the kernel's buffer keeps of it (and what ipvsadm copies into it).
    pub fn truncated(bytes: &[u8]) -> Name {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let len = end.min(Name::MAX);
        let mut name = Name::EMPTY;
        name.bytes[..len].copy_from_slice(&bytes[..len]);
        name.len = len as u8;
        name
    }

    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The name as text, when it is UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// Whether the name is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::EMPTY
    }
}

/// A name the kernel cannot keep: longer than [`Name::MAX`] bytes, or with a NUL inside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("name of {len} bytes: the kernel keeps names of at most 15 bytes, without NUL")]
pub struct InvalidName {
    /// The name's length in bytes.
    pub len: usize,
}

impl TryFrom<&[u8]> for Name {
    type Error = InvalidName;
    /// [`Name::new`].
    fn try_from(b: &[u8]) -> Result<Name, InvalidName> {
        Name::new(b)
    }
}

impl TryFrom<&str> for Name {
    type Error = InvalidName;
    /// [`Name::new`].
    fn try_from(s: &str) -> Result<Name, InvalidName> {
        Name::new(s.as_bytes())
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*String::from_utf8_lossy(self.as_bytes()), f)
    }
}

/// A virtual service and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Service {
    /// What identifies it.
    pub key: ServiceKey,
    /// Scheduler name (`rr`, `wlc`, ...).
    pub scheduler: Name,
    /// Persistence engine name (`sip`), if any.
    pub pe_name: Option<Name>,
    /// Flags (`IP_VS_SVC_F_*`); already masked by the kernel's flag mask on decode.
    pub flags: ServiceFlags,
    /// Persistence timeout in seconds (meaningful with [`consts::IP_VS_SVC_F_PERSISTENT`]).
    pub timeout: u32,
    /// Persistence netmask: a mask for IPv4, a prefix length for IPv6.
    pub netmask: Netmask,
    /// Counters (64-bit when the kernel offers them), replies only.
    pub stats: Option<Stats>,
    /// Attributes this version does not know.
    pub unknown: Vec<UnknownAttr>,
}

impl Service {
    /// A service with ipvsadm's defaults: `wlc`, no persistence, the family's full netmask.
    pub fn new(key: ServiceKey) -> Service {
        Service::with_scheduler(key, Name::truncated(b"wlc"))
    }
    /// [`Service::new`] with another scheduler (empty: none, as in requests that name
    /// a service only by its key).
    pub fn with_scheduler(key: ServiceKey, scheduler: Name) -> Service {
        Service {
            key,
            scheduler,
            pe_name: None,
            flags: ServiceFlags::empty(),
            timeout: 0,
            netmask: full_netmask(key.family()),
            stats: None,
            unknown: Vec::new(),
        }
    }
    /// Whether the persistent flag is set.
    pub fn is_persistent(&self) -> bool {
        self.flags.contains(ServiceFlags::PERSISTENT)
    }
}

/// The netmask a service of this family has by default (/32 or /128): [`Netmask::full`].
pub fn full_netmask(family: Family) -> Netmask {
    Netmask::full(family)
}

bitflags::bitflags! {
    /// A virtual service's flags: the kernel's `IP_VS_SVC_F_*`, under their kernel names less
    /// the prefix. Bits this version does not name are kept as they are.
    ///
    /// ```
    /// use linux_ipvs::ServiceFlags;
    ///
    /// let f = ServiceFlags::PERSISTENT | ServiceFlags::SCHED_SH_PORT;
    /// assert_eq!(f.bits(), 0x11);
    /// assert!(f.contains(ServiceFlags::SCHED2));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct ServiceFlags: u32 {
        /// `IP_VS_SVC_F_PERSISTENT`: a client keeps its real server (`-p`).
        const PERSISTENT = consts::IP_VS_SVC_F_PERSISTENT;
        /// `IP_VS_SVC_F_HASHED`: set by the kernel on the services of its table.
        const HASHED = consts::IP_VS_SVC_F_HASHED;
        /// `IP_VS_SVC_F_ONEPACKET`: one-packet scheduling (`-o`, UDP).
        const ONEPACKET = consts::IP_VS_SVC_F_ONEPACKET;
        /// `IP_VS_SVC_F_SCHED1`: the scheduler's first flag.
        const SCHED1 = consts::IP_VS_SVC_F_SCHED1;
        /// `IP_VS_SVC_F_SCHED2`: the scheduler's second flag.
        const SCHED2 = consts::IP_VS_SVC_F_SCHED2;
        /// `IP_VS_SVC_F_SCHED3`: the scheduler's third flag.
        const SCHED3 = consts::IP_VS_SVC_F_SCHED3;
        /// `IP_VS_SVC_F_SCHED_SH_FALLBACK`: `sh` falls back to another server (`SCHED1`).
        const SCHED_SH_FALLBACK = consts::IP_VS_SVC_F_SCHED_SH_FALLBACK;
        /// `IP_VS_SVC_F_SCHED_SH_PORT`: `sh` hashes the port too (`SCHED2`).
        const SCHED_SH_PORT = consts::IP_VS_SVC_F_SCHED_SH_PORT;
        /// `IP_VS_SVC_F_SCHED_MH_FALLBACK`: `mh` falls back to another server (`SCHED1`).
        const SCHED_MH_FALLBACK = consts::IP_VS_SVC_F_SCHED_MH_FALLBACK;
        /// `IP_VS_SVC_F_SCHED_MH_PORT`: `mh` hashes the port too (`SCHED2`).
        const SCHED_MH_PORT = consts::IP_VS_SVC_F_SCHED_MH_PORT;
        // Bits of newer kernels are kept.
        const _ = !0;
    }
}

bitflags::bitflags! {
    /// A real server's tunnel flags: the kernel's `IP_VS_TUNNEL_ENCAP_FLAG_*`, under their
    /// kernel names less the prefix. `IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM` is no bit at all:
    /// [`TunnelFlags::NOCSUM`], the empty set.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct TunnelFlags: u16 {
        /// `IP_VS_TUNNEL_ENCAP_FLAG_CSUM`: checksums in the tunnel header.
        const CSUM = consts::IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
        /// `IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM`: remote checksum offload.
        const REMCSUM = consts::IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM;
        // Bits of newer kernels are kept.
        const _ = !0;
    }
}

impl TunnelFlags {
    /// `IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM`: no checksum (no flag set).
    pub const NOCSUM: TunnelFlags = TunnelFlags::empty();
}

/// A persistence netmask: the part of a client's address that persistence goes by. The
/// kernel keeps it in one 32-bit field whose meaning depends on the service's family: for
/// IPv4 a mask (its four bytes in network order, any mask, as ipvsadm allows), for IPv6 a
/// prefix length.
///
/// ```
/// use linux_ipvs::{Family, Netmask};
///
/// let v4 = Netmask::prefix(Family::Inet, 24)?;
/// assert_eq!(v4, Netmask::ipv4("255.255.255.0".parse()?));
/// assert_eq!(v4.prefix_len(Family::Inet), Some(24));
/// let v6 = Netmask::prefix(Family::Inet6, 64)?;
/// assert_eq!((v6.raw(), v6.prefix_len(Family::Inet6)), (64, Some(64)));
/// assert!(Netmask::prefix(Family::Inet, 33).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Netmask(u32);

impl Netmask {
    /// The netmask as the kernel's field holds it.
    pub const fn from_raw(raw: u32) -> Netmask {
        Netmask(raw)
    }

    /// The kernel's field: for IPv4 the mask's bytes in network order (read natively), for
    /// IPv6 the prefix length.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// An IPv4 mask (any mask: ipvsadm does not require one of contiguous ones).
    pub fn ipv4(mask: Ipv4Addr) -> Netmask {
        Netmask(u32::from_ne_bytes(mask.octets()))
    }

    /// The netmask of a prefix of `len` bits: at most 32 for IPv4, 128 for IPv6.
    pub fn prefix(family: Family, len: u8) -> Result<Netmask, InvalidNetmask> {
        match family {
            Family::Inet if len <= 32 => {
                let bits = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                Ok(Netmask::ipv4(Ipv4Addr::from(bits)))
            }
            Family::Inet6 if len <= 128 => Ok(Netmask(u32::from(len))),
            _ => Err(InvalidNetmask { family, len }),
        }
    }

    /// The whole address (/32 or /128): what a service has unless told otherwise.
    pub fn full(family: Family) -> Netmask {
        match family {
            Family::Inet => Netmask::ipv4(Ipv4Addr::BROADCAST),
            Family::Inet6 => Netmask(128),
        }
    }

    /// The netmask as an IPv4 mask (meaningful for an IPv4 service).
    pub fn ipv4_mask(self) -> Ipv4Addr {
        Ipv4Addr::from(self.0.to_ne_bytes())
    }

    /// The prefix length, for a service of `family`: for IPv4, if the mask is contiguous
    /// ones; for IPv6, if at most 128.
    pub fn prefix_len(self, family: Family) -> Option<u8> {
        match family {
            Family::Inet => {
                let m = u32::from(self.ipv4_mask());
                let len = m.leading_ones();
                (m.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
            }
            Family::Inet6 => u8::try_from(self.0).ok().filter(|&l| l <= 128),
        }
    }
}

/// A prefix longer than the family's addresses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("prefix length {len} is too long for {family:?} addresses")]
pub struct InvalidNetmask {
    /// The family asked for.
    pub family: Family,
    /// The prefix length asked for.
    pub len: u8,
}

/// What identifies a real server within its service: its address and port (for
/// [`Change::DeleteDest`](crate::Change::DeleteDest)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DestKey {
    /// Address; its family may differ from the service's only for tunnelling.
    pub addr: IpAddr,
    /// Port (host order).
    pub port: u16,
}

/// How IPVS forwards packets to a real server (`IP_VS_CONN_F_FWD_MASK` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forward {
    /// NAT (`-m`), 0.
    Masq,
    /// Local node, 1 (no longer reported by current kernels).
    Local,
    /// IP tunnelling (`-i`), 2.
    Tunnel,
    /// Direct routing (`-g`), 3: ipvsadm's default.
    Route,
    /// A value this version does not know.
    Other(u32),
}

impl Forward {
    /// The kernel's numeric value.
    pub fn raw(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::Local => 1,
            Forward::Tunnel => 2,
            Forward::Route => 3,
            Forward::Other(v) => v,
        }
    }
    /// From the kernel's numeric value (already masked with `IP_VS_CONN_F_FWD_MASK`).
    pub fn from_raw(v: u32) -> Forward {
        match v {
            0 => Forward::Masq,
            1 => Forward::Local,
            2 => Forward::Tunnel,
            3 => Forward::Route,
            o => Forward::Other(o),
        }
    }
}

/// Tunnel encapsulation of a tunnelling real server (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelType {
    /// IP-in-IP, 0 (the default).
    Ipip,
    /// Generic UDP encapsulation, 1.
    Gue,
    /// GRE, 2.
    Gre,
    /// A value this version does not know.
    Other(u8),
}

impl TunnelType {
    /// The kernel's numeric value.
    pub fn raw(self) -> u8 {
        match self {
            TunnelType::Ipip => 0,
            TunnelType::Gue => 1,
            TunnelType::Gre => 2,
            TunnelType::Other(v) => v,
        }
    }
    /// From the kernel's numeric value.
    pub fn from_raw(v: u8) -> TunnelType {
        match v {
            0 => TunnelType::Ipip,
            1 => TunnelType::Gue,
            2 => TunnelType::Gre,
            o => TunnelType::Other(o),
        }
    }
}

/// A real server (destination) of a virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dest {
    /// Address; its family may differ from the service's only for tunnelling.
    pub addr: IpAddr,
    /// Port (host order).
    pub port: u16,
    /// Forwarding method.
    pub forward: Forward,
    /// Scheduling weight (the kernel keeps it as a signed int).
    pub weight: i32,
    /// Upper connection threshold (0 = none).
    pub u_threshold: u32,
    /// Lower connection threshold (0 = none).
    pub l_threshold: u32,
    /// Tunnel type (sent always; reported by kernels that know it).
    pub tun_type: TunnelType,
    /// Tunnel port (GUE), host order.
    pub tun_port: u16,
    /// Tunnel flags (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
    pub tun_flags: TunnelFlags,
    /// Active connections, replies only.
    pub active_conns: u32,
    /// Inactive connections, replies only.
    pub inact_conns: u32,
    /// Persistent connections (templates), replies only.
    pub persist_conns: u32,
    /// Counters, replies only.
    pub stats: Option<Stats>,
    /// Attributes this version does not know.
    pub unknown: Vec<UnknownAttr>,
}

impl Dest {
    /// What identifies this real server within its service.
    pub fn key(&self) -> DestKey {
        DestKey {
            addr: self.addr,
            port: self.port,
        }
    }

    /// A real server with ipvsadm's defaults: direct routing, weight 1, no thresholds, ipip.
    pub fn new(addr: IpAddr, port: u16) -> Dest {
        Dest {
            addr,
            port,
            forward: Forward::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_flags: TunnelFlags::NOCSUM,
            active_conns: 0,
            inact_conns: 0,
            persist_conns: 0,
            stats: None,
            unknown: Vec::new(),
        }
    }
    /// The destination's address family.
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

/// Global IPVS information (`IPVS_CMD_GET_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Info {
    /// Version as `0x00MMmmpp`.
    pub version: u32,
    /// Connection hash table size.
    pub conn_tab_size: u32,
}

impl Info {
    /// Information as the kernel reports it (for a stand-in kernel, or a test).
    pub fn new(version: u32, conn_tab_size: u32) -> Info {
        Info {
            version,
            conn_tab_size,
        }
    }
    /// The version as (major, minor, patch).
    pub fn version(&self) -> (u8, u8, u8) {
        let [_, major, minor, patch] = self.version.to_be_bytes();
        (major, minor, patch)
    }
}

/// Protocol timeouts in seconds (`--set`, `-L --timeout`). 0 on set keeps the current value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Established TCP sessions.
    pub tcp: u32,
    /// TCP sessions after a FIN.
    pub tcp_fin: u32,
    /// UDP.
    pub udp: u32,
}

impl Timeouts {
    /// Timeouts in seconds for established TCP, TCP after a FIN, and UDP.
    pub fn new(tcp: u32, tcp_fin: u32, udp: u32) -> Timeouts {
        Timeouts { tcp, tcp_fin, udp }
    }
}

/// Role of a connection-synchronisation daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonState {
    /// Sends connection updates (1).
    Master,
    /// Receives them (2).
    Backup,
}

impl DaemonState {
    /// The kernel's numeric value.
    pub fn raw(self) -> u32 {
        match self {
            DaemonState::Master => consts::IP_VS_STATE_MASTER,
            DaemonState::Backup => consts::IP_VS_STATE_BACKUP,
        }
    }
}

/// A connection-synchronisation daemon's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Daemon {
    /// Master or backup.
    pub state: DaemonState,
    /// Interface for the multicast traffic.
    pub mcast_ifn: Name,
    /// Sync id.
    pub syncid: u32,
    /// Maximum sync message length, if set.
    pub sync_maxlen: Option<u16>,
    /// Multicast group, if set.
    pub mcast_group: Option<IpAddr>,
    /// Multicast port, if set.
    pub mcast_port: Option<u16>,
    /// Multicast TTL, if set.
    pub mcast_ttl: Option<u8>,
    /// Attributes this version does not know.
    pub unknown: Vec<UnknownAttr>,
}

impl Daemon {
    /// A daemon with only the mandatory settings.
    pub fn new(state: DaemonState, mcast_ifn: Name, syncid: u32) -> Daemon {
        Daemon {
            state,
            mcast_ifn,
            syncid,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
            unknown: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks_are_prefixes_or_ipv4_masks_as_the_kernel_keeps_them() {
        let v4 = |len| Netmask::prefix(Family::Inet, len).unwrap();
        assert_eq!(v4(0).ipv4_mask(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(v4(32), Netmask::full(Family::Inet));
        assert_eq!(v4(24).raw(), u32::from_ne_bytes([255, 255, 255, 0]));
        for len in 0..=32 {
            assert_eq!(v4(len).prefix_len(Family::Inet), Some(len));
        }
        // ipvsadm takes any IPv4 mask (`-M 64` is 0.0.0.64): kept, but no prefix.
        let odd = Netmask::ipv4(Ipv4Addr::new(0, 0, 0, 64));
        assert_eq!(
            (odd.raw(), odd.prefix_len(Family::Inet)),
            (u32::from_ne_bytes([0, 0, 0, 64]), None)
        );
        assert_eq!(
            Netmask::prefix(Family::Inet6, 128).unwrap(),
            Netmask::full(Family::Inet6)
        );
        assert_eq!(Netmask::from_raw(200).prefix_len(Family::Inet6), None);
        assert_eq!(
            Netmask::prefix(Family::Inet6, 129),
            Err(InvalidNetmask {
                family: Family::Inet6,
                len: 129
            })
        );
        assert!(Netmask::prefix(Family::Inet, 33).is_err());
    }

    #[test]
    fn flags_keep_the_kernels_names_and_bits_they_do_not_name() {
        assert_eq!(
            ServiceFlags::PERSISTENT.bits(),
            consts::IP_VS_SVC_F_PERSISTENT
        );
        assert_eq!(ServiceFlags::SCHED_SH_PORT, ServiceFlags::SCHED2);
        let newer = ServiceFlags::from_bits_retain(0x8000_0001);
        assert!(newer.contains(ServiceFlags::PERSISTENT));
        assert_eq!(newer.bits(), 0x8000_0001);
        assert_eq!(
            TunnelFlags::NOCSUM.bits(),
            consts::IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM
        );
        assert_eq!(
            TunnelFlags::REMCSUM.bits(),
            consts::IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
        );
    }

    #[test]
    fn names_are_the_kernels_bytes() {
        assert_eq!(Name::truncated(b"wlc"), "wlc");
        assert!(Name::EMPTY.is_empty());
        // Cut to the kernel's 15 bytes, even inside a character; at a NUL.
        let long = Name::truncated("é".repeat(8).as_bytes());
        assert_eq!(long.as_bytes().len(), 15);
        assert_eq!(long.to_str(), None);
        assert_eq!(long.to_string(), format!("{}\u{fffd}", "é".repeat(7)));
        assert_eq!(Name::truncated(b"rr\0x"), "rr");
        assert_eq!(Name::truncated(b"\xff").as_bytes(), b"\xff");
        assert_eq!(format!("{:?}", Name::truncated(b"sh")), "\"sh\"");
        // Whole or not at all.
        assert_eq!(Name::try_from("rr"), Ok(Name::truncated(b"rr")));
        assert_eq!(Name::new(&[b'x'; 15]).map(|n| n.as_bytes().len()), Ok(15));
        assert_eq!(Name::new(&[b'x'; 16]), Err(InvalidName { len: 16 }));
        assert_eq!(Name::try_from("r\0r"), Err(InvalidName { len: 3 }));
    }
}
