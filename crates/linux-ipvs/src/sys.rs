//! The one place with `unsafe` in this crate: a borrowed handle to the netlink socket's
//! descriptor, for the socket-option calls that want one (neli's socket offers only the raw
//! number), the one socket option neither neli nor nix sets (`NETLINK_CAP_ACK`), and the
//! kernel's older read interface, `getsockopt(IPPROTO_IP, IP_VS_SO_GET_*)`, which fills a
//! caller's buffer of the caller's size.
//!
//! Audit note: [`socket_fd`] ties the handle's lifetime to a borrow of the socket that owns
//! the descriptor, so the handle cannot outlive the descriptor it names; [`set_cap_ack`]
//! passes the kernel a pointer to a local integer and its size, read during the call only.
//! [`get_ctl`] hands the kernel a pointer to a mutably borrowed byte slice and that slice's
//! exact length: the kernel writes at most that many bytes (it checks the length against
//! what the command needs and fails with `EINVAL` otherwise), and the bytes are read
//! afterwards through the slice, as plain bytes, so no value of any other type is made from
//! them here.

use std::os::fd::{AsRawFd, BorrowedFd};

/// The descriptor of an open netlink socket, borrowed for as long as the socket is.
pub(crate) fn socket_fd(sock: &neli::socket::NlSocket) -> BorrowedFd<'_> {
    // SAFETY: `sock` owns the descriptor and keeps it open until it is dropped; the handle
    // borrows `sock`, so it cannot be used after that.
    unsafe { BorrowedFd::borrow_raw(sock.as_raw_fd()) }
}

/// Turns on `NETLINK_CAP_ACK`: the kernel's error replies then carry the failed request's
/// header only, not the whole request, so an error never outgrows a receive slot.
pub(crate) fn set_cap_ack(fd: BorrowedFd<'_>) -> std::io::Result<()> {
    let on: nix::libc::c_int = 1;
    // SAFETY: the descriptor is open for the borrow's lifetime; `on` is a live c_int whose
    // size is passed with it, and the kernel only reads it during the call.
    let rc = unsafe {
        nix::libc::setsockopt(
            fd.as_raw_fd(),
            nix::libc::SOL_NETLINK,
            nix::libc::NETLINK_CAP_ACK,
            (&on as *const nix::libc::c_int).cast(),
            std::mem::size_of::<nix::libc::c_int>() as nix::libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `getsockopt(fd, IPPROTO_IP, cmd, buf, len(buf))`: the kernel reads its request from the
/// start of `buf` and writes its answer over it. The length the kernel may report back is
/// not needed by the IPVS read commands (they answer in the size asked for) and is dropped.
pub(crate) fn get_ctl(fd: BorrowedFd<'_>, cmd: i32, buf: &mut [u8]) -> std::io::Result<()> {
    let mut len = nix::libc::socklen_t::try_from(buf.len())
        .map_err(|_| std::io::Error::from_raw_os_error(nix::libc::EMSGSIZE))?;
    // SAFETY: `buf` is borrowed mutably for the whole call, so the kernel's writes cannot
    // alias anything else; `len` is its exact length, which bounds what the kernel writes;
    // `fd` is an open descriptor for as long as the borrow lasts.
    let rc = unsafe {
        nix::libc::getsockopt(
            fd.as_raw_fd(),
            nix::libc::IPPROTO_IP,
            cmd,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
