//! The one place with `unsafe`: the C library's name-service lookups.
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
//! read, and only read up to its NUL terminator or documented length.

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
pub fn host_by_name_v4(name: &str) -> Option<Ipv4Addr> {
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
pub fn host_by_addr(addr: &IpAddr) -> Option<String> {
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
        Some(CStr::from_ptr((*he).h_name).to_string_lossy().into_owned())
    }
}

/// `getservbyname(name, proto)`: the port (host order) of a named service.
pub fn service_by_name(name: &str, proto: &str) -> Option<u16> {
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
pub fn service_by_port(port: u16, proto: &str) -> Option<String> {
    let cproto = CString::new(proto).ok()?;
    // SAFETY: cproto lives across the call; result checked for NULL, name read to its NUL.
    unsafe {
        let se = libc::getservbyport(c_int::from(port.to_be()), cproto.as_ptr());
        if se.is_null() || (*se).s_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*se).s_name).to_string_lossy().into_owned())
    }
}
