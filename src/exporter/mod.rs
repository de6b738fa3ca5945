//! The parts of `ipvsadm-exporter` that are more than plumbing, kept in the library so
//! that they have unit tests: scrapes that share one read of the kernel.

pub mod listen;
pub mod own;
pub mod shared;
pub mod webconfig;
