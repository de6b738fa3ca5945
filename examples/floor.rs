//! The floor for restore benchmarks: the kernel's own cost of a rule set. Reads restore
//! lines from standard input, turns them into changes with our parser *before* the clock
//! starts, then sends them in batches over one socket and waits for every ACK. What this
//! prints is the time the kernel needs for the changes, with no per-line work left in user
//! space; `ipvsadm -R` can only approach it.
//!
//! Usage: `floor < rules` (prints `floor-seconds N changes M failed K`).

use std::io::{BufRead, stdin};
use std::time::Instant;

use ipvsadm::cli::{self, Action};
use ipvsadm::names::SystemNames;
use linux_ipvs::Client;

fn main() -> anyhow::Result<()> {
    let parse_start = Instant::now();
    let mut changes = Vec::new();
    for line in stdin().lock().split(b'\n') {
        let line = line?;
        let words = cli::restore_words(&line);
        if words.is_empty() {
            continue;
        }
        let mut argv: Vec<&[u8]> = vec![b"ipvsadm"];
        argv.extend(words);
        let change = match cli::parse_words(&argv, &SystemNames)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .action
        {
            Action::Change(c) => c,
            other => anyhow::bail!("not a change: {other:?}"),
        };
        changes.push(change);
    }
    eprintln!(
        "parse-seconds {:.3} for {} lines",
        parse_start.elapsed().as_secs_f64(),
        changes.len()
    );
    let mut client = Client::open()?;
    let start = Instant::now();
    let results = client.apply_batch(&changes)?;
    let secs = start.elapsed().as_secs_f64();
    let failed = results.iter().filter(|r| r.is_err()).count();
    println!(
        "floor-seconds {secs:.3} changes {} failed {failed}",
        changes.len()
    );
    Ok(())
}
