//! The library behind the `ipvsadm`, `ipvsadm-save` and `ipvsadm-restore` commands: the
//! ipvsadm 1.31 command line and output on top of [`linux_ipvs`], which programs IPVS.
//!
//! It is the commands' own code, shared by the three binaries, not an API for other
//! programs: a Rust program that wants to program IPVS uses `linux-ipvs` directly.
//! Layers: [`cli`] (argv to a typed action, as the C tool's popt parser reads it),
//! [`output`] (pure formatters from fetched tables to text), [`vocab`] (the words both use),
//! and [`exec`] (runs an action and maps outcomes to the reference's messages and exit
//! statuses). Nothing here exits the process: the binaries own that.

pub mod cli;
pub mod exec;
pub mod exporter;
#[doc(hidden)]
pub mod fuzzing;
pub mod names;
pub mod output;
pub mod status;
mod sys;
pub mod vocab;

// For `entry_point!`, which expands in the commands' crates.
#[doc(hidden)]
pub use sys::std_fds_open as __std_fds_open;
