//! Programs IPVS, the Linux kernel's layer-4 load balancer (the Linux Virtual Server), over
//! generic netlink.
//!
//! A [`Client`] owns one netlink socket and the `IPVS` family id; it reads the kernel's
//! tables as plain values ([`Service`] keyed by a [`ServiceKey`], its real servers as
//! [`Dest`], counters as [`Stats`], sync daemons as [`Daemon`], [`Timeouts`], [`Info`]) and
//! changes them with [`Change`]s, one at a time or many per datagram with an outcome for
//! each. A whole table can be read a service at a time ([`Client::service_index`], then
//! [`Client::walk`]; without counters the index takes the IPv4 real servers in 32 bytes
//! each through the kernel's socket options, many times cheaper than a netlink dump per
//! service, and [`Client::set_one_call`] keeps memory from growing with them instead), and
//! read so that no concurrent change tears it ([`Client::consistent_service_index`]).
//! Nothing here prints, exits, parses a command line or looks up names: that is the
//! caller's business (the `ipvsadm` commands are one such caller).
//!
//! ```no_run
//! use linux_ipvs::{Change, Client, Dest, Forward, Name, Protocol, Service, ServiceKey};
//!
//! let mut ipvs = Client::open()?; // one socket, the IPVS family resolved once
//! let mut svc = Service::new(ServiceKey::Addr {
//!     protocol: Protocol::Tcp,
//!     addr: "192.0.2.10".parse()?,
//!     port: 80,
//! });
//! svc.scheduler = Name::new(b"rr")?; // an error if the kernel could not keep it whole
//! let mut rs = Dest::new("198.51.100.2".parse()?, 80);
//! rs.forward = Forward::Masq;
//! // Many changes per datagram, one outcome per change, in order.
//! let results = ipvs.apply_batch(&[Change::AddService(svc.clone()), Change::AddDest(svc.key, rs)])?;
//! assert!(results.iter().all(Result::is_ok));
//! for (svc, dests) in ipvs.snapshot()? {
//!     println!("{:?} {} with {} real servers", svc.key, svc.scheduler, dests.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To converge the kernel's table on a desired one without a flush, read it with
//! [`Client::consistent_snapshot`] (which never hands out a read torn by concurrent
//! changes), compute the changes with [`plan`] (pure: edits in place, adds and removes only
//! what differs, optionally drains) and run them with [`Plan::apply`]. [`Table`] replays
//! changes in memory with the kernel's checks, for building the desired table from a rules
//! file.
//!
//! Every call that talks to the kernel needs `CAP_NET_ADMIN` in the network namespace the
//! socket belongs to, and the `ip_vs` module loaded (this crate never loads modules).
//! Wire details (message framing, attribute codecs, kernel command numbers) are private;
//! [`Transport`] is the seam for running the client against something other than the
//! kernel, such as a scripted stand-in in tests.

#![warn(missing_docs)]

#[cfg(not(target_os = "linux"))]
compile_error!(
    "linux-ipvs programs the Linux kernel's IPVS over generic netlink: it builds for Linux targets only"
);

mod client;
mod codec;
mod consts;
mod error;
#[cfg(any(test, feature = "test-util"))]
pub mod fake;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod index;
mod model;
mod netlink;
pub mod netns;
mod plan;
mod sockopt;
mod sys;
mod table;

pub use client::{
    BATCH_BYTES, BatchError, Change, ChangeKind, Client, ConsistentSnapshot, Outcome, Transport,
};
pub use error::Error;
pub use index::ServiceIndex;
pub use model::{
    Daemon, DaemonState, Dest, DestKey, Family, Forward, Info, InvalidName, InvalidNetmask, Name,
    Netmask, Protocol, Service, ServiceFlags, ServiceKey, Stats, Timeouts, TunnelFlags, TunnelType,
    UnknownAttr, full_netmask,
};
pub use netlink::{DEFAULT_TIMEOUT, Expect, Socket};
pub use plan::{Draining, Plan, PlanCounts, Removal, plan};
pub use table::{DuplicateService, Table};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// A controller keeps a client in a task or behind a mutex, and passes errors between
/// threads: both must stay `Send` (and errors `Sync`). This fails to compile otherwise.
const _: () = {
    const fn send<T: Send>() {}
    const fn send_sync<T: Send + Sync>() {}
    send::<Client>();
    send::<Socket>();
    send_sync::<Error>();
};

/// The kernel's values for the model's flag fields and the sizes of its name buffers, under
/// their kernel names (`include/uapi/linux/ip_vs.h`).
pub mod flags {
    pub use crate::consts::{
        IP_VS_IFNAME_MAXLEN, IP_VS_PENAME_MAXLEN, IP_VS_SCHEDNAME_MAXLEN, IP_VS_SVC_F_HASHED,
        IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED_MH_FALLBACK,
        IP_VS_SVC_F_SCHED_MH_PORT, IP_VS_SVC_F_SCHED_SH_FALLBACK, IP_VS_SVC_F_SCHED_SH_PORT,
        IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3, IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
        IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
    };
}
