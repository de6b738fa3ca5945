//! The one place with `unsafe` in the commands: the C library's name-service lookups and the
//! commands' C entry point ([`entry_point!`](crate::entry_point)).
//!
//! ipvsadm resolves host and service names through NSS (`/etc/hosts`, `/etc/services`, DNS,
//! whatever `/etc/nsswitch.conf` says), with the classic `gethostbyname`, `gethostbyaddr`,
//! `getservbyname` and `getservbyport` calls. Their results (canonical names, IPv4-only
//! forward lookups, first address wins) are part of the output contract, so we call the same
//! functions. Each call copies what it needs out of libc's static buffers before returning;
//! the program is single-threaded where it calls them.
//!
//! Audit notes: every pointer handed to libc is a live, NUL-terminated `CString` or a local
//! buffer of the stated length; every pointer libc returns is checked for NULL before it is
//! read, and only read up to its NUL terminator or documented length. The entry point is
//! exported under the unmangled name `main`, which only a binary with `#![no_main]` may do:
//! two definitions would fail to link, never run.

use nix::libc;

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::net::{IpAddr, Ipv4Addr};

#[repr(C)]
struct HostEnt {
    h_name: *mut c_char,
    h_aliases: *mut *mut c_char,
    h_addrtype: c_int,
    h_length: c_int,
    h_addr_list: *mut *mut c_char,
}

unsafe extern "C" {
    fn gethostbyname(name: *const c_char) -> *mut HostEnt;
    fn gethostbyaddr(addr: *const c_void, len: libc::socklen_t, kind: c_int) -> *mut HostEnt;
}

/// Forward lookup of an IPv4 host name, as `gethostbyname` does it: first address only.
pub fn host_by_name_v4(name: &[u8]) -> Option<Ipv4Addr> {
    let cname = CString::new(name).ok()?;
    // SAFETY: cname is a valid C string; the result is checked for NULL and read at once.
    unsafe {
        let he = gethostbyname(cname.as_ptr());
        if he.is_null() || (*he).h_addrtype != libc::AF_INET || (*he).h_length != 4 {
            return None;
        }
        let list = (*he).h_addr_list;
        if list.is_null() || (*list).is_null() {
            return None;
        }
        let bytes = std::slice::from_raw_parts(*list as *const u8, 4);
        Some(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    }
}

/// Reverse lookup: the canonical name `gethostbyaddr` gives for an address.
pub fn host_by_addr(addr: &IpAddr) -> Option<Vec<u8>> {
    let (buf, kind): (Vec<u8>, c_int) = match addr {
        IpAddr::V4(a) => (a.octets().to_vec(), libc::AF_INET),
        IpAddr::V6(a) => (a.octets().to_vec(), libc::AF_INET6),
    };
    // SAFETY: buf lives across the call and has the length passed; result checked for NULL.
    unsafe {
        let he = gethostbyaddr(
            buf.as_ptr() as *const c_void,
            buf.len() as libc::socklen_t,
            kind,
        );
        if he.is_null() || (*he).h_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*he).h_name).to_bytes().to_vec())
    }
}

/// `getservbyname(name, proto)`: the port (host order) of a named service.
pub fn service_by_name(name: &[u8], proto: &str) -> Option<u16> {
    let cname = CString::new(name).ok()?;
    let cproto = CString::new(proto).ok()?;
    // SAFETY: both C strings live across the call; result checked for NULL and read at once.
    unsafe {
        let se = libc::getservbyname(cname.as_ptr(), cproto.as_ptr());
        if se.is_null() {
            return None;
        }
        Some(u16::from_be((*se).s_port as u16))
    }
}

/// `getservbyport(port, proto)`: the name of the service on a port (host order).
pub fn service_by_port(port: u16, proto: &str) -> Option<Vec<u8>> {
    let cproto = CString::new(proto).ok()?;
    // SAFETY: cproto lives across the call; result checked for NULL, name read to its NUL.
    unsafe {
        let se = libc::getservbyport(c_int::from(port.to_be()), cproto.as_ptr());
        if se.is_null() || (*se).s_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*se).s_name).to_bytes().to_vec())
    }
}

/// Defines the C `main` of a command: the process starts like a C program's, without
/// Rust's runtime set-up, whose work (reading `/proc/self/maps`, an alternate signal stack,
/// ignoring `SIGPIPE`) is most of a short command's start-up time under emulation and would
/// change behaviour. `SIGPIPE` keeps its inherited disposition, as in the C ipvsadm: a reader
/// that goes away ends the command the same way. Standard streams that were closed are
/// reopened on `/dev/null` first ([`std_fds_open`]), as Rust's runtime would, so a netlink
/// socket can never become standard output.
///
/// Use it in a binary crate marked `#![no_main]`, with a function returning the exit status:
/// `ipvsadm::entry_point!(run);` where `fn run() -> i32`. Arguments come from
/// [`std::env::args_os`], which glibc provides without Rust's runtime.
#[macro_export]
macro_rules! entry_point {
    ($run:path) => {
        /// The C entry point (see `ipvsadm::entry_point!`).
        #[unsafe(no_mangle)]
        extern "C" fn main() -> ::std::ffi::c_int {
            $crate::__std_fds_open();
            $run()
        }
    };
}

/// Opens `/dev/null` on each of the descriptors 0, 1 and 2 that is closed, lowest first, so
/// the three standard streams always refer to something.
pub fn std_fds_open() {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    use std::os::fd::IntoRawFd;
    for fd in 0..3 {
        if fcntl(fd, FcntlArg::F_GETFD) == Err(nix::errno::Errno::EBADF) {
            // The lowest free descriptor is `fd` itself; keep it open for the process's life.
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
            {
                Ok(f) => {
                    // Standard streams are inherited by children (modprobe): no close-on-exec.
                    let _ = fcntl(f.into_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty()));
                }
                Err(_) => return,
            }
        }
    }
}
