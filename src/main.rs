//! The `ipvsadm` command: a thin shell over the library. It gathers argv and the standard
//! streams, runs the command, and owns the process's exit status.

use std::io::{self, Write};

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let stdin = io::stdin();
    let mut stdin = stdin.lock();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let status = ipvsadm::exec::run(
        &argv,
        &mut stdin,
        &mut ipvsadm::exec::Streams {
            out: &mut out,
            err: &mut err,
        },
    );
    // A reader that went away (`ipvsadm -L | head`) is not a failure.
    let _ = out.flush();
    drop(out);
    std::process::exit(status);
}
