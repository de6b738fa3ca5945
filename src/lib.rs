//! Programs IPVS (the Linux Virtual Server) over generic netlink, and implements the
//! `ipvsadm` command line on top of it.
//!
//! The library never prints to the terminal or exits: the `ipvsadm` binary owns that.

pub mod cli;
pub mod ipvs;
pub mod names;
pub mod netlink;
pub mod cli;
pub mod exec;
pub mod output;
mod sys;
