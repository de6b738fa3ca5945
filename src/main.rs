//! The `ipvsadm` command: a thin shell over the library. It gathers argv, runs the command
//! with the standard streams, and owns the process's exit status. The process starts as a C
//! program does (see [`ipvsadm::entry_point!`]).
#![no_main]

ipvsadm::entry_point!(run);

fn run() -> i32 {
    // The arguments as the process got them: bytes, not necessarily UTF-8.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    ipvsadm::exec::run_std(&argv)
}
