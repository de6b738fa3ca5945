//! `ipvsadm-save [-n]`: writes the IPVS table to standard output in the form
//! `ipvsadm-restore` reads, exactly as `ipvsadm -S` does. Like the classic wrapper script it
//! replaces, any other argument starting with `-` gets a usage note and exit status 1, and
//! other arguments are ignored.

use std::io::{self, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prog = args
        .first()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("ipvsadm-save")
        .to_string();
    let mut numeric = false;
    for a in &args[1..] {
        if a == "-n" {
            numeric = true;
        } else if a.starts_with('-') {
            eprintln!("{prog}: Script to save the IPVS table to stdout.");
            eprintln!("   With the -n option, prints out the table in numeric format.");
            std::process::exit(1);
        }
    }
    let mut argv = vec!["ipvsadm".to_string(), "-S".to_string()];
    if numeric {
        argv.push("-n".to_string());
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let status = ipvsadm::exec::run(
        &argv,
        &mut io::empty(),
        &mut ipvsadm::exec::Streams {
            out: &mut out,
            err: &mut err,
        },
    );
    let _ = out.flush();
    drop(out);
    std::process::exit(status);
}
