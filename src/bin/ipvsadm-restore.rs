//! `ipvsadm-restore`: replaces the IPVS table with the rules on standard input (the
//! format `ipvsadm-save` writes). Like the classic wrapper it clears the table first, then
//! restores line by line as `ipvsadm -R` does (`#` lines are comments). `--noflush` adds
//! to the current table instead, and `--test` only checks the input: it changes nothing and
//! reports every line that would fail, with its line number.
#![no_main]

use std::io::{self, Write};

use clap::Parser;

/// Load the IPVS table from standard input.
#[derive(Parser, Debug)]
#[command(name = "ipvsadm-restore", version = ipvsadm::cli::VERSION_LINE)]
struct Args {
    /// Keep the current table and add the input's rules to it.
    #[arg(long)]
    noflush: bool,
    /// Only check the input: report each bad line with its number, change nothing.
    #[arg(long)]
    test: bool,
}

ipvsadm::entry_point!(run);

fn run() -> i32 {
    let args = Args::parse();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stderr = io::stderr();
    let mut err = stderr.lock();
    if args.test {
        ipvsadm::exec::check_restore("ipvsadm", &mut input, &mut err)
    } else {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let s = ipvsadm::exec::restore(
            "ipvsadm",
            &mut input,
            &mut ipvsadm::exec::Streams {
                out: &mut out,
                err: &mut err,
            },
            args.noflush,
        );
        let _ = out.flush();
        s
    }
}
