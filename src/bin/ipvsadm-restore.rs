//! `ipvsadm-restore`: replaces the IPVS table with the rules on standard input (the
//! format `ipvsadm-save` writes). Like the classic wrapper it clears the table first, then
//! restores line by line as `ipvsadm -R` does (`#` lines are comments). `--noflush` adds
//! to the current table instead, and `--test` only checks the input: it changes nothing and
//! reports every line that would fail, with its line number. `--json` reads the table as
//! `ipvsadm -S --json` writes it; `--netns` works in another network namespace.
//!
//! `--apply` never flushes: it reads the whole rules file (standard input or FILE), then
//! changes only what differs between the kernel's table and the file, in place where it can
//! (`--dry-run` prints those changes as restore lines instead; `--drain SECONDS` lets the
//! connections of removed real servers finish first). Its exit statuses follow `diff`.
#![no_main]

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Parser};

/// Load the IPVS table from standard input.
#[derive(Parser, Debug)]
#[command(name = "ipvsadm-restore", version = ipvsadm::cli::VERSION_LINE)]
#[command(group(ArgGroup::new("reads_file").args(["apply", "test"]).multiple(true)))]
struct Args {
    /// Keep the current table and add the input's rules to it.
    #[arg(long, conflicts_with = "apply")]
    noflush: bool,
    /// Only check the input: report each bad line with its number, change nothing.
    #[arg(long, conflicts_with_all = ["json", "apply"])]
    test: bool,
    /// The input is a table as `ipvsadm -S --json` writes it.
    #[arg(long)]
    json: bool,
    /// Work in this network namespace (a name of `ip netns`, or a path).
    #[arg(long, value_name = "NAME")]
    netns: Option<std::ffi::OsString>,
    /// Change only what differs between the table and the rules, without a flush (exit
    /// status 0 when the table matches the rules afterwards).
    #[arg(long)]
    apply: bool,
    /// With --apply: print the changes as restore lines and make none (exit status 0:
    /// nothing to do, 1: changes pending, 2: trouble).
    #[arg(long, requires = "apply")]
    dry_run: bool,
    /// With --apply: give real servers that are not in the rules weight 0 and remove them
    /// once their connections are gone, or after SECONDS.
    #[arg(long, value_name = "SECONDS", requires = "apply")]
    drain: Option<u32>,
    /// With --apply: touch only the services of this scope, a comma-separated list of
    /// addr=PREFIX, port=N[-M], proto=tcp|udp|sctp, or fwmark=N[-M] (repeat for more).
    #[arg(long, value_name = "TERM", requires = "apply")]
    scope: Vec<ipvsadm::exec::apply::scope::Term>,
    /// With --apply: wait at most SECONDS for another --apply in this network namespace to
    /// finish (default 30); then give up, naming it (status 5).
    #[arg(long, value_name = "SECONDS", requires = "apply")]
    wait: Option<u32>,
    /// With --apply: only check the rules as --apply reads them (every bad line with its
    /// number; scope and empty rules too) and change nothing; needs neither IPVS nor root.
    #[arg(long, requires = "apply", conflicts_with_all = ["dry_run", "drain", "netns"])]
    check: bool,
    /// Restore (without --apply): report each line that fails as `line N: message`, go on
    /// with the next one, and exit 2 when any failed.
    #[arg(long, conflicts_with_all = ["apply", "test", "json"])]
    numbered: bool,
    /// With --apply: accept rules that hold no service (they remove every service);
    /// without it such rules are refused (status 2).
    #[arg(long, requires = "apply")]
    allow_empty: bool,
    /// With --apply or --test: read the rules from FILE instead of standard input.
    #[arg(value_name = "FILE", requires = "reads_file")]
    file: Option<PathBuf>,
}

ipvsadm::entry_point!(run);

fn run() -> i32 {
    let args = Args::parse();
    let argv0 = std::env::args_os().next().unwrap_or_default();
    // Messages name `ipvsadm`, as the classic wrapper's `ipvsadm -R` does; a write error
    // names this program.
    ipvsadm::exec::with_std_streams(ipvsadm::exec::arg_bytes(&argv0), |input, io| {
        if args.test {
            return test(&args, input, io);
        }
        // --apply joins the namespace itself, once the rules have been read.
        if !args.apply
            && let Some(netns) = &args.netns
            && let Err(status) = ipvsadm::exec::join_netns(ipvsadm::exec::arg_bytes(netns), io)
        {
            return status;
        }
        if args.apply {
            let opts = ipvsadm::exec::apply::ApplyOptions {
                dry_run: args.dry_run,
                drain: args.drain.map(|s| Duration::from_secs(s.into())),
                json: args.json,
                allow_empty: args.allow_empty,
                scope: ipvsadm::exec::apply::scope::Scope::new(args.scope.clone()),
                wait: args
                    .wait
                    .map_or(ipvsadm::exec::apply::lock::DEFAULT_WAIT, |s| {
                        Duration::from_secs(s.into())
                    }),
                check: args.check,
                netns: args
                    .netns
                    .as_ref()
                    .map(|n| ipvsadm::exec::arg_bytes(n).to_vec()),
            };
            let file = args.file.as_deref();
            return ipvsadm::exec::apply::apply("ipvsadm-restore", file, input, io, &opts);
        }
        if args.numbered {
            return ipvsadm::exec::restore_numbered(b"ipvsadm", input, io, args.noflush);
        }
        if args.json {
            ipvsadm::exec::restore_json(b"ipvsadm", input, io, args.noflush)
        } else {
            ipvsadm::exec::restore(b"ipvsadm", input, io, args.noflush)
        }
    })
}

/// `--test [FILE]`: checks FILE, or standard input without one. With a FILE while standard
/// input is not a terminal (a pipe or a file, which could be taken for the rules), says
/// which it read.
fn test(args: &Args, input: &mut dyn std::io::BufRead, io: &mut ipvsadm::exec::Streams<'_>) -> i32 {
    use ipvsadm::exec::apply::source;
    const PROG: &str = "ipvsadm-restore";
    let Some(mut src) = source::open(PROG, args.file.as_deref(), input, io) else {
        return ipvsadm::status::INVALID;
    };
    let status = match ipvsadm::exec::check_restore(b"ipvsadm", &mut src.reader, io) {
        Ok(s) => s,
        Err(e) => {
            source::unreadable(PROG, &src.name, &e, io);
            return ipvsadm::status::INVALID;
        }
    };
    if args.file.is_some() && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        io.error_line(format!("{PROG}: checked {}, not standard input", src.name));
    }
    status
}
