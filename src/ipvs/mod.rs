//! IPVS over generic netlink: kernel constants, the typed model, the codec for each kernel
//! object (encode and decode side by side), and the client that owns the socket.

pub mod consts;
pub mod model;

pub use model::*;
