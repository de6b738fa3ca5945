//! `ipvsadm-save [-n]`: writes the IPVS table to standard output in the form
//! `ipvsadm-restore` reads, exactly as `ipvsadm -S` does. Like the classic wrapper script it
//! replaces, any other argument starting with `-` gets a usage note (in our words) and exit
//! status 1, and other arguments are ignored.
#![no_main]

ipvsadm::entry_point!(run);

fn run() -> i32 {
    use ipvsadm::exec::arg_bytes;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let argv0 = args.first().map_or(&b"ipvsadm-save"[..], |a| arg_bytes(a));
    let prog = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    let mut numeric = false;
    let mut wrong = false;
    for a in args.iter().skip(1).map(|a| arg_bytes(a)) {
        if a == b"-n" {
            numeric = true;
        } else if a.starts_with(b"-") {
            wrong = true;
        }
    }
    let mut argv: Vec<&[u8]> = vec![b"ipvsadm", b"-S"];
    if numeric {
        argv.push(b"-n");
    }
    // Messages name `ipvsadm`, as the classic wrapper's `ipvsadm -S` does; a write error
    // names this program.
    ipvsadm::exec::with_std_streams(argv0, |stdin, io| {
        if wrong {
            io.usage_note(prog);
            return ipvsadm::status::READ_FAILED;
        }
        ipvsadm::exec::run(&argv, stdin, io)
    })
}
