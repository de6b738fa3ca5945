//! `ipvsadm-save [-n]`: writes the IPVS table to standard output in the form
//! `ipvsadm-restore` reads, exactly as `ipvsadm -S` does. Like the classic wrapper script it
//! replaces, any other argument starting with `-` gets a usage note (in our words) and exit
//! status 1, and other arguments are ignored.
#![no_main]

ipvsadm::entry_point!(run);

fn run() -> i32 {
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
            eprintln!("usage: {prog} [-n]");
            eprintln!(
                "  Writes the IPVS table to standard output, in the form ipvsadm-restore reads;"
            );
            eprintln!("  -n writes addresses and ports as numbers.");
            return ipvsadm::status::READ_FAILED;
        }
    }
    let mut argv = vec!["ipvsadm".to_string(), "-S".to_string()];
    if numeric {
        argv.push("-n".to_string());
    }
    ipvsadm::exec::run_std(&argv)
}
