//! `ipvsadm-restore`: replaces the IPVS table with the rules on standard input (the
//! format `ipvsadm-save` writes). Like the classic wrapper it clears the table first, then
//! restores line by line as `ipvsadm -R` does (`#` lines are comments). `--noflush` adds
//! to the current table instead, and `--test` only checks the input: it changes nothing and
//! reports every line that would fail, with its line number. `--json` reads the table as
//! `ipvsadm -S --json` writes it; `--netns` works in another network namespace.
#![no_main]

use clap::Parser;

/// Load the IPVS table from standard input.
#[derive(Parser, Debug)]
#[command(name = "ipvsadm-restore", version = ipvsadm::cli::VERSION_LINE)]
struct Args {
    /// Keep the current table and add the input's rules to it.
    #[arg(long)]
    noflush: bool,
    /// Only check the input: report each bad line with its number, change nothing.
    #[arg(long, conflicts_with = "json")]
    test: bool,
    /// The input is a table as `ipvsadm -S --json` writes it.
    #[arg(long)]
    json: bool,
    /// Work in this network namespace (a name of `ip netns`, or a path).
    #[arg(long, value_name = "NAME")]
    netns: Option<std::ffi::OsString>,
}

ipvsadm::entry_point!(run);

fn run() -> i32 {
    let args = Args::parse();
    let argv0 = std::env::args_os().next().unwrap_or_default();
    // Messages name `ipvsadm`, as the classic wrapper's `ipvsadm -R` does; a write error
    // names this program.
    ipvsadm::exec::with_std_streams(ipvsadm::exec::arg_bytes(&argv0), |input, io| {
        if args.test {
            return ipvsadm::exec::check_restore(b"ipvsadm", input, io);
        }
        if let Some(netns) = &args.netns
            && let Err(status) = ipvsadm::exec::join_netns(ipvsadm::exec::arg_bytes(netns), io)
        {
            return status;
        }
        if args.json {
            ipvsadm::exec::restore_json(b"ipvsadm", input, io, args.noflush)
        } else {
            ipvsadm::exec::restore(b"ipvsadm", input, io, args.noflush)
        }
    })
}
