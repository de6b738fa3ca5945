//! `ipvsadm-restore`: replaces the IPVS table with the rules on standard input (the
//! format `ipvsadm-save` writes). Like the classic wrapper it clears the table first, then
//! restores line by line as `ipvsadm -R` does (`#` lines are comments). `--noflush` adds
//! to the current table instead, and `--test` only checks the input: it changes nothing and
//! reports every line that would fail, with its line number.
//!
//! `--apply` never flushes: it reads the whole rules file (standard input or FILE), then
//! changes only what differs between the kernel's table and the file, in place where it can
//! (`--dry-run` prints those changes as restore lines instead; `--drain SECONDS` lets the
//! connections of removed real servers finish first). Its exit statuses follow `diff`.
#![no_main]

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Load the IPVS table from standard input.
#[derive(Parser, Debug)]
#[command(name = "ipvsadm-restore", version = ipvsadm::cli::VERSION_LINE)]
struct Args {
    /// Keep the current table and add the input's rules to it.
    #[arg(long, conflicts_with_all = ["test", "apply"])]
    noflush: bool,
    /// Only check the input: report each bad line with its number, change nothing.
    #[arg(long, conflicts_with = "apply")]
    test: bool,
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
    /// With --apply: read the rules from FILE instead of standard input.
    #[arg(value_name = "FILE", requires = "apply")]
    file: Option<PathBuf>,
}

ipvsadm::entry_point!(run);

fn run() -> i32 {
    let args = Args::parse();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let s = if args.apply {
        let mut file;
        let source: &mut dyn BufRead = match &args.file {
            None => &mut input,
            Some(path) => match std::fs::File::open(path) {
                Ok(f) => {
                    file = io::BufReader::with_capacity(64 * 1024, f);
                    &mut file
                }
                Err(e) => {
                    let _ = writeln!(err, "ipvsadm-restore: cannot open {}: {e}", path.display());
                    return ipvsadm::status::APPLY_TROUBLE;
                }
            },
        };
        let opts = ipvsadm::exec::apply::ApplyOptions {
            dry_run: args.dry_run,
            drain: args.drain.map(|s| Duration::from_secs(s.into())),
        };
        ipvsadm::exec::apply::apply(
            "ipvsadm-restore",
            source,
            &mut ipvsadm::exec::Streams {
                out: &mut out,
                err: &mut err,
            },
            &opts,
        )
    } else if args.test {
        ipvsadm::exec::check_restore("ipvsadm", &mut input, &mut err)
    } else {
        ipvsadm::exec::restore(
            "ipvsadm",
            &mut input,
            &mut ipvsadm::exec::Streams {
                out: &mut out,
                err: &mut err,
            },
            args.noflush,
        )
    };
    let _ = out.flush();
    s
}
