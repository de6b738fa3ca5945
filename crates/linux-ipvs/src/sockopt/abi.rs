//! The kernel's structures of the `IP_VS_SO_GET_*` socket options
//! (`include/uapi/linux/ip_vs.h`), as `#[repr(C)]` mirrors, and the decoding of their bytes.
//!
//! The mirrors are never filled by the kernel directly: requests are written into byte
//! buffers and answers read out of them at the mirrors' field offsets
//! ([`std::mem::offset_of`]), so no unsafe conversion is needed; the mirrors only fix the
//! layout, and a test checks that layout against the header's sizes and offsets.

use std::mem::{offset_of, size_of};
use std::net::Ipv4Addr;

use crate::model::{Dest, Forward, Name};

/// `IP_VS_BASE_CTL`: the first IPVS socket option (`64 + 1024 + 64`).
const BASE_CTL: i32 = 64 + 1024 + 64;
/// `IP_VS_SO_GET_INFO`: version, connection table size, number of IPv4 services.
pub(crate) const SO_GET_INFO: i32 = BASE_CTL + 1;
/// `IP_VS_SO_GET_SERVICES`: the IPv4 services, in one call.
pub(crate) const SO_GET_SERVICES: i32 = BASE_CTL + 2;
/// `IP_VS_SO_GET_DESTS`: one IPv4 service's real servers of its own family.
pub(crate) const SO_GET_DESTS: i32 = BASE_CTL + 4;
/// `IP_VS_CONN_F_FWD_MASK`: the forwarding method in a real server's `conn_flags`.
const CONN_F_FWD_MASK: u32 = 0x7;

/// `struct ip_vs_stats_user`: counters cut to 32 bits, but the byte counts.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct StatsUser {
    conns: u32,
    inpkts: u32,
    outpkts: u32,
    inbytes: u64,
    outbytes: u64,
    cps: u32,
    inpps: u32,
    outpps: u32,
    inbps: u32,
    outbps: u32,
}

/// `struct ip_vs_getinfo`.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct GetInfo {
    version: u32,
    size: u32,
    num_services: u32,
}

/// `struct ip_vs_service_entry`.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct ServiceEntry {
    protocol: u16,
    /// `__be32`: the address's bytes in network order.
    addr: u32,
    /// `__be16`.
    port: u16,
    fwmark: u32,
    sched_name: [u8; 16],
    flags: u32,
    timeout: u32,
    /// `__be32`.
    netmask: u32,
    num_dests: u32,
    stats: StatsUser,
}

/// `struct ip_vs_get_services`: a count, then that many entries.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct GetServices {
    num_services: u32,
    entrytable: [ServiceEntry; 0],
}

/// `struct ip_vs_dest_entry`.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct DestEntry {
    /// `__be32`: the address's bytes in network order.
    addr: u32,
    /// `__be16`.
    port: u16,
    conn_flags: u32,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    activeconns: u32,
    inactconns: u32,
    persistconns: u32,
    stats: StatsUser,
}

/// `struct ip_vs_get_dests`: the service's key, a count, then that many entries.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct GetDests {
    protocol: u16,
    /// `__be32`: the address's bytes in network order.
    addr: u32,
    /// `__be16`.
    port: u16,
    fwmark: u32,
    num_dests: u32,
    entrytable: [DestEntry; 0],
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

fn bytes4(b: &[u8], at: usize) -> [u8; 4] {
    b[at..at + 4].try_into().expect("four bytes")
}

fn be16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// The request buffer of `IP_VS_SO_GET_INFO`.
pub(crate) fn info_request() -> Vec<u8> {
    vec![0; size_of::<GetInfo>()]
}

/// The number of IPv4 services in an `IP_VS_SO_GET_INFO` answer (the kernel counts no
/// other family's there).
pub(crate) fn info_services(b: &[u8]) -> u32 {
    u32_at(b, offset_of!(GetInfo, num_services))
}

/// The zeroed request buffer of `IP_VS_SO_GET_SERVICES` for room for `n` entries.
pub(crate) fn services_request(n: u32) -> Vec<u8> {
    let mut b = vec![0; size_of::<GetServices>() + n as usize * size_of::<ServiceEntry>()];
    b[..4].copy_from_slice(&n.to_ne_bytes());
    b
}

/// One IPv4 service of an `IP_VS_SO_GET_SERVICES` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawService {
    pub protocol: u16,
    pub addr: Ipv4Addr,
    pub port: u16,
    pub fwmark: u32,
    pub scheduler: Name,
    pub flags: u32,
    pub timeout: u32,
    /// As the model keeps it: the mask's bytes, in network order, read natively.
    pub netmask: u32,
    pub num_dests: u32,
}

/// The entries the kernel wrote into a `GET_SERVICES` buffer, in its order. Entries it did
/// not write stay zero; a written one always names a scheduler (`none` when it has none).
pub(crate) fn services_answer(b: &[u8]) -> impl Iterator<Item = RawService> + '_ {
    let size = size_of::<ServiceEntry>();
    b[size_of::<GetServices>()..]
        .chunks_exact(size)
        .map(|e| RawService {
            protocol: u16::from_ne_bytes([e[0], e[1]]),
            addr: Ipv4Addr::from(bytes4(e, offset_of!(ServiceEntry, addr))),
            port: be16_at(e, offset_of!(ServiceEntry, port)),
            fwmark: u32_at(e, offset_of!(ServiceEntry, fwmark)),
            scheduler: Name::truncated(&e[offset_of!(ServiceEntry, sched_name)..][..16]),
            flags: u32_at(e, offset_of!(ServiceEntry, flags)),
            timeout: u32_at(e, offset_of!(ServiceEntry, timeout)),
            netmask: u32_at(e, offset_of!(ServiceEntry, netmask)),
            num_dests: u32_at(e, offset_of!(ServiceEntry, num_dests)),
        })
        .take_while(|s| !s.scheduler.is_empty())
}

/// Writes into `b` the zeroed request of `IP_VS_SO_GET_DESTS` for `svc`'s real servers,
/// with room for `n` entries (`b` is reused from one service to the next: no allocation
/// once it is large enough).
pub(crate) fn dests_request(b: &mut Vec<u8>, svc: &RawService, n: u32) {
    b.clear();
    b.resize(
        size_of::<GetDests>() + n as usize * size_of::<DestEntry>(),
        0,
    );
    b[..2].copy_from_slice(&svc.protocol.to_ne_bytes());
    let at = offset_of!(GetDests, addr);
    b[at..at + 4].copy_from_slice(&svc.addr.octets());
    let at = offset_of!(GetDests, port);
    b[at..at + 2].copy_from_slice(&svc.port.to_be_bytes());
    let at = offset_of!(GetDests, fwmark);
    b[at..at + 4].copy_from_slice(&svc.fwmark.to_ne_bytes());
    let at = offset_of!(GetDests, num_dests);
    b[at..at + 4].copy_from_slice(&n.to_ne_bytes());
}

/// One real server of an `IP_VS_SO_GET_DESTS` answer: an IPv4 real server without tunnel
/// settings or counters, 32 bytes, kept as it is until a walk hands it out as a [`Dest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawDest {
    pub addr: [u8; 4],
    pub port: u16,
    /// The forwarding method (`IP_VS_CONN_F_FWD_MASK` of `conn_flags`).
    pub forward: u8,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub active: u32,
    pub inact: u32,
    pub persist: u32,
}

impl RawDest {
    /// Whether it tunnels (its tunnel settings are then needed, which this interface lacks).
    pub(crate) fn tunnels(&self) -> bool {
        Forward::from_raw(self.forward.into()) == Forward::Tunnel
    }

    /// The real server, its tunnel settings at their defaults and without counters.
    pub(crate) fn to_dest(self) -> Dest {
        Dest {
            forward: Forward::from_raw(self.forward.into()),
            weight: self.weight,
            u_threshold: self.u_threshold,
            l_threshold: self.l_threshold,
            active_conns: self.active,
            inact_conns: self.inact,
            persist_conns: self.persist,
            ..Dest::new(Ipv4Addr::from(self.addr).into(), self.port)
        }
    }
}

/// The entries the kernel wrote into a `GET_DESTS` buffer, in its order. Entries it did not
/// write stay zero, and the list ends at the first `0.0.0.0` (were that ever a real
/// server's address, the list would be shorter than the service's count, which the caller
/// checks, and be read through netlink).
pub(crate) fn dests_answer(b: &[u8]) -> impl Iterator<Item = RawDest> + '_ {
    let size = size_of::<DestEntry>();
    b[size_of::<GetDests>()..]
        .chunks_exact(size)
        .take_while(|e| bytes4(e, offset_of!(DestEntry, addr)) != [0; 4])
        .map(|e| RawDest {
            addr: bytes4(e, offset_of!(DestEntry, addr)),
            port: be16_at(e, offset_of!(DestEntry, port)),
            forward: (u32_at(e, offset_of!(DestEntry, conn_flags)) & CONN_F_FWD_MASK) as u8,
            weight: u32_at(e, offset_of!(DestEntry, weight)) as i32,
            u_threshold: u32_at(e, offset_of!(DestEntry, u_threshold)),
            l_threshold: u32_at(e, offset_of!(DestEntry, l_threshold)),
            active: u32_at(e, offset_of!(DestEntry, activeconns)),
            inact: u32_at(e, offset_of!(DestEntry, inactconns)),
            persist: u32_at(e, offset_of!(DestEntry, persistconns)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes and offsets as `include/uapi/linux/ip_vs.h` lays them out on a 64-bit target
    /// (a `__u64` aligned to 8): worked out from the header by hand, field by field.
    #[test]
    fn the_mirrors_have_the_headers_layout() {
        assert_eq!(size_of::<StatsUser>(), 56);
        assert_eq!(offset_of!(StatsUser, outpkts), 8);
        assert_eq!(offset_of!(StatsUser, inbytes), 16);
        assert_eq!(offset_of!(StatsUser, outbytes), 24);
        assert_eq!(offset_of!(StatsUser, cps), 32);
        assert_eq!(offset_of!(StatsUser, outbps), 48);

        assert_eq!(size_of::<GetInfo>(), 12);
        assert_eq!(offset_of!(GetInfo, num_services), 8);

        assert_eq!(size_of::<ServiceEntry>(), 104);
        assert_eq!(offset_of!(ServiceEntry, addr), 4);
        assert_eq!(offset_of!(ServiceEntry, port), 8);
        assert_eq!(offset_of!(ServiceEntry, fwmark), 12);
        assert_eq!(offset_of!(ServiceEntry, sched_name), 16);
        assert_eq!(offset_of!(ServiceEntry, flags), 32);
        assert_eq!(offset_of!(ServiceEntry, timeout), 36);
        assert_eq!(offset_of!(ServiceEntry, netmask), 40);
        assert_eq!(offset_of!(ServiceEntry, num_dests), 44);
        assert_eq!(offset_of!(ServiceEntry, stats), 48);

        assert_eq!(size_of::<GetServices>(), 8);
        assert_eq!(offset_of!(GetServices, entrytable), 8);

        assert_eq!(size_of::<DestEntry>(), 96);
        assert_eq!(offset_of!(DestEntry, port), 4);
        assert_eq!(offset_of!(DestEntry, conn_flags), 8);
        assert_eq!(offset_of!(DestEntry, weight), 12);
        assert_eq!(offset_of!(DestEntry, u_threshold), 16);
        assert_eq!(offset_of!(DestEntry, l_threshold), 20);
        assert_eq!(offset_of!(DestEntry, activeconns), 24);
        assert_eq!(offset_of!(DestEntry, inactconns), 28);
        assert_eq!(offset_of!(DestEntry, persistconns), 32);
        assert_eq!(offset_of!(DestEntry, stats), 40);

        assert_eq!(size_of::<GetDests>(), 24);
        assert_eq!(offset_of!(GetDests, port), 8);
        assert_eq!(offset_of!(GetDests, fwmark), 12);
        assert_eq!(offset_of!(GetDests, num_dests), 16);
        assert_eq!(offset_of!(GetDests, entrytable), 24);

        assert_eq!(SO_GET_INFO, 1153);
        assert_eq!(SO_GET_SERVICES, 1154);
        assert_eq!(SO_GET_DESTS, 1156);
    }

    /// Every size and offset the mirrors use, as `(name, value)`, in the order the C
    /// program of [`the_mirrors_match_the_installed_header`] prints them.
    fn layout() -> Vec<(&'static str, usize)> {
        vec![
            ("stats_user", size_of::<StatsUser>()),
            ("stats_user.inbytes", offset_of!(StatsUser, inbytes)),
            ("stats_user.cps", offset_of!(StatsUser, cps)),
            ("getinfo", size_of::<GetInfo>()),
            ("getinfo.num_services", offset_of!(GetInfo, num_services)),
            ("service_entry", size_of::<ServiceEntry>()),
            ("service_entry.addr", offset_of!(ServiceEntry, addr)),
            ("service_entry.port", offset_of!(ServiceEntry, port)),
            ("service_entry.fwmark", offset_of!(ServiceEntry, fwmark)),
            (
                "service_entry.sched_name",
                offset_of!(ServiceEntry, sched_name),
            ),
            ("service_entry.flags", offset_of!(ServiceEntry, flags)),
            ("service_entry.timeout", offset_of!(ServiceEntry, timeout)),
            ("service_entry.netmask", offset_of!(ServiceEntry, netmask)),
            (
                "service_entry.num_dests",
                offset_of!(ServiceEntry, num_dests),
            ),
            ("service_entry.stats", offset_of!(ServiceEntry, stats)),
            ("get_services", size_of::<GetServices>()),
            (
                "get_services.entrytable",
                offset_of!(GetServices, entrytable),
            ),
            ("dest_entry", size_of::<DestEntry>()),
            ("dest_entry.port", offset_of!(DestEntry, port)),
            ("dest_entry.conn_flags", offset_of!(DestEntry, conn_flags)),
            ("dest_entry.weight", offset_of!(DestEntry, weight)),
            ("dest_entry.u_threshold", offset_of!(DestEntry, u_threshold)),
            ("dest_entry.l_threshold", offset_of!(DestEntry, l_threshold)),
            ("dest_entry.activeconns", offset_of!(DestEntry, activeconns)),
            ("dest_entry.inactconns", offset_of!(DestEntry, inactconns)),
            (
                "dest_entry.persistconns",
                offset_of!(DestEntry, persistconns),
            ),
            ("dest_entry.stats", offset_of!(DestEntry, stats)),
            ("get_dests", size_of::<GetDests>()),
            ("get_dests.addr", offset_of!(GetDests, addr)),
            ("get_dests.port", offset_of!(GetDests, port)),
            ("get_dests.fwmark", offset_of!(GetDests, fwmark)),
            ("get_dests.num_dests", offset_of!(GetDests, num_dests)),
            ("get_dests.entrytable", offset_of!(GetDests, entrytable)),
            ("SO_GET_INFO", SO_GET_INFO as usize),
            ("SO_GET_SERVICES", SO_GET_SERVICES as usize),
            ("SO_GET_DESTS", SO_GET_DESTS as usize),
            ("CONN_F_FWD_MASK", CONN_F_FWD_MASK as usize),
        ]
    }

    /// The C expression of each of [`layout`]'s names.
    fn c_expr(name: &str) -> String {
        let ty = |t: &str| format!("struct ip_vs_{t}");
        match name.split_once('.') {
            Some((t, field)) => format!("offsetof({}, {field})", ty(t)),
            None if name.starts_with("SO_") => format!("IP_VS_{name}"),
            None if name == "CONN_F_FWD_MASK" => "IP_VS_CONN_F_FWD_MASK".to_string(),
            None => format!("sizeof({})", ty(name)),
        }
    }

    /// The mirrors against `include/uapi/linux/ip_vs.h` itself: a C program built against
    /// the installed header (linux-libc-dev) prints every size and offset [`layout`] uses.
    /// Where there is no C compiler or no header, says so on standard error and checks
    /// nothing (the hand-worked figures of the test above still hold the layout), unless
    /// `IPVS_HEADER_CHECK=required` (tests/run-all.sh installs both and sets it); a program
    /// that does not build against a header that is there fails the test.
    #[test]
    fn the_mirrors_match_the_installed_header() {
        let header = std::path::Path::new("/usr/include/linux/ip_vs.h");
        let required = std::env::var_os("IPVS_HEADER_CHECK").is_some_and(|v| v == "required");
        if !header.exists() {
            assert!(
                !required,
                "no {} (linux-libc-dev), and it is required",
                header.display()
            );
            eprintln!("no {}: layout not compared with C", header.display());
            return;
        }
        let dir = std::env::temp_dir().join(format!("ipvs-abi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut c = String::from(
            "#include <stddef.h>\n#include <stdio.h>\n#include <netinet/in.h>\n\
             #include <linux/ip_vs.h>\nint main(void) {\n",
        );
        for (name, _) in layout() {
            c.push_str(&format!(
                "printf(\"%s %zu\\n\", \"{name}\", (size_t)({}));\n",
                c_expr(name)
            ));
        }
        c.push_str("return 0;\n}\n");
        std::fs::write(dir.join("layout.c"), c).unwrap();
        let built = std::process::Command::new("cc")
            .current_dir(&dir)
            .args(["-o", "layout", "layout.c"])
            .status();
        match built {
            Ok(s) if s.success() => {}
            Ok(s) => panic!("layout.c did not build against {} ({s})", header.display()),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                assert!(!required, "no C compiler, and the check is required: {e}");
                eprintln!("no C compiler ({e}): layout not compared with C");
                return;
            }
        }
        let out = std::process::Command::new(dir.join("layout"))
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let printed = String::from_utf8(out.stdout).unwrap();
        let want: Vec<String> = layout()
            .into_iter()
            .map(|(name, v)| format!("{name} {v}"))
            .collect();
        let got: Vec<&str> = printed.lines().collect();
        assert_eq!(got, want, "the header's layout, then the mirrors'");
    }

    #[test]
    fn answers_end_at_the_first_entry_the_kernel_did_not_write() {
        let mut b = services_request(3);
        let e = size_of::<GetServices>();
        b[e..e + 2].copy_from_slice(&6u16.to_ne_bytes());
        b[e + 4..e + 8].copy_from_slice(&[192, 0, 2, 1]);
        b[e + 8..e + 10].copy_from_slice(&80u16.to_be_bytes());
        b[e + 16..e + 18].copy_from_slice(b"rr");
        b[e + 40..e + 44].copy_from_slice(&[255; 4]);
        b[e + 44..e + 48].copy_from_slice(&2u32.to_ne_bytes());
        let got: Vec<RawService> = services_answer(&b).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].addr, Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(
            (got[0].port, got[0].scheduler, got[0].num_dests),
            (80, Name::truncated(b"rr"), 2)
        );
        assert_eq!(got[0].netmask, u32::MAX);

        let mut b = vec![7; 1000];
        dests_request(&mut b, &got[0], 2);
        assert_eq!(b.len(), size_of::<GetDests>() + 2 * size_of::<DestEntry>());
        assert_eq!(be16_at(&b, 8), 80);
        assert!(
            b[size_of::<GetDests>()..].iter().all(|&x| x == 0),
            "a reused buffer is zeroed"
        );
        let e = size_of::<GetDests>();
        b[e..e + 4].copy_from_slice(&[198, 51, 100, 2]);
        b[e + 4..e + 6].copy_from_slice(&8080u16.to_be_bytes());
        // A flag beside the forwarding method is not part of it.
        b[e + 8..e + 12].copy_from_slice(&(0x100u32 | 2).to_ne_bytes());
        b[e + 12..e + 16].copy_from_slice(&(-1i32).to_ne_bytes());
        let got: Vec<RawDest> = dests_answer(&b).collect();
        assert_eq!(got.len(), 1);
        assert!(got[0].tunnels());
        let d = got[0].to_dest();
        assert_eq!(
            (d.addr, d.port, d.forward, d.weight),
            ([198, 51, 100, 2].into(), 8080, Forward::Tunnel, -1)
        );
    }
}
