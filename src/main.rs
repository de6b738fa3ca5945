//! The `ipvsadm` command: a thin shell over the library. It gathers argv, runs the command
//! with the standard streams, and owns the process's exit status.

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    std::process::exit(ipvsadm::exec::run_std(&argv));
}
