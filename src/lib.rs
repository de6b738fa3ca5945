//! Programs IPVS (the Linux Virtual Server) over generic netlink.
