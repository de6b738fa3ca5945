//! The one place with `unsafe` in this crate: a borrowed handle to the netlink socket's
//! descriptor, for the socket-option calls that want one (neli's socket offers only the raw
//! number).
//!
//! Audit note: [`socket_fd`] ties the handle's lifetime to a borrow of the socket that owns
//! the descriptor, so the handle cannot outlive the descriptor it names.

use std::os::fd::{AsRawFd, BorrowedFd};

/// The descriptor of an open netlink socket, borrowed for as long as the socket is.
pub(crate) fn socket_fd(sock: &neli::socket::NlSocket) -> BorrowedFd<'_> {
    // SAFETY: `sock` owns the descriptor and keeps it open until it is dropped; the handle
    // borrows `sock`, so it cannot be used after that.
    unsafe { BorrowedFd::borrow_raw(sock.as_raw_fd()) }
}
