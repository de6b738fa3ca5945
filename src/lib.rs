//! Programs IPVS (the Linux Virtual Server) over generic netlink, and implements the
//! `ipvsadm` command line on top of it.
//!
//! Layers, bottom up: [`netlink`] (generic netlink bytes and the socket), [`ipvs`] (the
//! typed model, its codec and the client that owns the socket), [`cli`] (argv to a typed
//! action, as the C tool's popt parser does it), [`output`] (pure formatters), and [`exec`]
//! (runs an action and maps outcomes to the reference's messages and exit statuses). The
//! library never prints to the terminal or exits: the `ipvsadm` binary owns that.

pub mod cli;
pub mod exec;
pub mod ipvs;
pub mod names;
pub mod netlink;
pub mod output;
mod sys;
