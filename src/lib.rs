//! Programs IPVS (the Linux Virtual Server) over generic netlink, and implements the
//! `ipvsadm` command line on top of it.
//!
//! Layers, bottom up: [`netlink`] (generic netlink bytes and the socket), [`ipvs`] (the
//! typed model, its codec and the client that owns the socket), [`cli`] (argv to a typed
//! action, as the C tool's popt parser does it), [`output`] (pure formatters), and [`exec`]
//! (runs an action and maps outcomes to the reference's messages and exit statuses). The
//! library never prints to the terminal or exits: the `ipvsadm` binary owns that.
//!
//! ```no_run
//! use ipvsadm::ipvs::{Change, Client, Dest, Forward, Protocol, Service, ServiceKey};
//!
//! let mut ipvs = Client::open()?; // one socket, the IPVS family resolved once
//! let mut svc = Service::new(ServiceKey::Addr {
//!     protocol: Protocol::Tcp,
//!     addr: "192.0.2.10".parse()?,
//!     port: 80,
//! });
//! svc.scheduler = "rr".into();
//! let mut rs = Dest::new("198.51.100.2".parse()?, 80);
//! rs.forward = Forward::Masq;
//! // Many changes per datagram, one outcome per change, in order.
//! let results = ipvs.apply_batch(&[Change::AddService(svc.clone()), Change::AddDest(svc, rs)])?;
//! assert!(results.iter().all(Result::is_ok));
//! for (svc, dests) in ipvs.snapshot()? {
//!     println!("{:?} {} with {} real servers", svc.key, svc.scheduler, dests.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cli;
pub mod exec;
pub mod ipvs;
pub mod names;
pub mod netlink;
pub mod output;
mod sys;

// For `entry_point!`, which expands in the commands' crates.
#[doc(hidden)]
pub use sys::std_fds_open as __std_fds_open;
