//! `ipvsadm-save [-n] [--json [--pretty]] [--netns NAME] [--scope TERM]...`: writes the IPVS
//! table to standard output in the form `ipvsadm-restore` reads, exactly as `ipvsadm -S` does
//! (with the same options). Like the classic wrapper script it replaces, any other argument
//! starting with `-` gets a usage note (in our words) and exit status 1, and other arguments
//! are ignored. `--scope TERM` (ours, repeatable, the terms of `ipvsadm-restore --apply
//! --scope`) writes only the services of those terms, so that a director shared with
//! keepalived or kube-proxy saves only its own services; a term that does not parse is an
//! error (status 2, nothing written).
#![no_main]

ipvsadm::entry_point!(run);

fn run() -> i32 {
    use ipvsadm::exec::arg_bytes;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let argv0 = args.first().map_or(&b"ipvsadm-save"[..], |a| arg_bytes(a));
    let prog = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    // `ipvsadm -S` with the options given that it knows.
    let mut argv: Vec<&[u8]> = vec![b"ipvsadm", b"-S"];
    let mut wrong = false;
    let mut terms = Vec::new();
    let mut bad_term = None;
    let mut words = args.iter().skip(1).map(|a| arg_bytes(a));
    while let Some(a) = words.next() {
        let term = match a {
            b"--scope" => Some(words.next()),
            _ => a.strip_prefix(b"--scope=").map(Some),
        };
        if let Some(term) = term {
            match term.map(|t| std::str::from_utf8(t).map(str::parse)) {
                Some(Ok(Ok(t))) => terms.push(t),
                Some(Ok(Err(e))) => bad_term = bad_term.or(Some(e)),
                Some(Err(_)) => bad_term = bad_term.or(Some("it is not UTF-8".to_owned())),
                None => wrong = true,
            }
            continue;
        }
        match a {
            b"-n" | b"--json" | b"--pretty" => argv.push(a),
            b"--netns" => match words.next() {
                Some(name) => argv.extend([a, name]),
                None => wrong = true,
            },
            _ if a.starts_with(b"--netns=") => argv.push(a),
            _ if a.starts_with(b"-") => wrong = true,
            // Other words are ignored, as the classic wrapper ignores them.
            _ => {}
        }
    }
    // Messages name `ipvsadm`, as the classic wrapper's `ipvsadm -S` does; a write error
    // names this program.
    ipvsadm::exec::with_std_streams(argv0, |stdin, io| {
        if wrong {
            io.usage_note(prog);
            return ipvsadm::status::READ_FAILED;
        }
        if let Some(e) = bad_term {
            io.error_line([prog, b": --scope: ", e.as_bytes()].concat());
            return ipvsadm::status::INVALID;
        }
        let scope = ipvsadm::exec::apply::scope::Scope::new(terms);
        ipvsadm::exec::run_saving(&argv, scope, stdin, io)
    })
}
