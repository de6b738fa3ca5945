//! The binary on this host, whose kernel normally has no IPVS: deviation D1 (parse
//! before touching the kernel: help, version and usage errors work without IPVS and without
//! root) and the D7/D8 texts. When IPVS is missing, a command that needs the kernel fails
//! with the reference's two-line message and status 2.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsadm"))
        .args(args)
        .output()
        .expect("run ipvsadm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `ipvsadm-restore ARGS` with RULES on its standard input.
fn restore_with_input(args: &[&str], rules: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipvsadm-restore"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ipvsadm-restore");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rules.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn help_and_version_need_no_kernel() {
    let v = run(&["-v"]);
    assert_eq!(v.status.code(), Some(0));
    assert_eq!(
        text(&v.stdout),
        "ipvsadm v1.31 2019/12/24 (ipvsadm-rs 0.1.0, generic netlink)\n"
    );
    let h = run(&["--help", "-n"]);
    assert_eq!(h.status.code(), Some(0));
    let help = text(&h.stdout);
    assert!(help.starts_with("ipvsadm v1.31"));
    for opt in ipvsadm::cli::option_spellings() {
        assert!(help.contains(&opt), "help does not mention {opt}");
    }
    assert!(h.stderr.is_empty());
}

#[test]
fn usage_errors_need_no_kernel() {
    let o = run(&["-A"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "You need to supply the 'service-address' option for the 'add-service' command\n"
    );
    let o = run(&["-n"]);
    assert_eq!(o.status.code(), Some(255));
    let prog = env!("CARGO_BIN_EXE_ipvsadm");
    assert_eq!(
        text(&o.stderr),
        format!("Try `{prog} -h' or '{prog} --help' for more information.\n")
    );
    // D7: the reference dies with SIGSEGV here.
    let o = run(&["-A", "-t", "192.0.2.1:80", "-b", ","]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stderr), "invalid scheduler flag `,'\n");
}

#[test]
fn without_ipvs_the_kernel_commands_fail_like_the_reference() {
    if Path::new("/proc/net/ip_vs").exists() {
        eprintln!("this kernel has IPVS; nothing to check here");
        return;
    }
    let o = run(&["-L", "-n"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    // modprobe may add its own complaint first; ours are the last two lines.
    assert!(
        err.ends_with(
            "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
        ) || err.ends_with(
            "Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
        ),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

/// The process starts like a C program: a reader that went away ends `ipvsadm` with
/// `SIGPIPE`, as it ends the C ipvsadm (whose stdio writes at exit), instead of the write
/// error Rust's runtime would arrange by ignoring the signal.
#[test]
fn a_closed_pipe_ends_the_command_with_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    for bin in [
        env!("CARGO_BIN_EXE_ipvsadm"),
        env!("CARGO_BIN_EXE_ipvsadm-restore"),
    ] {
        let (reader, writer) = nix::unistd::pipe().expect("pipe");
        drop(reader);
        let status = Command::new(bin)
            .arg(if bin.ends_with("restore") {
                "--help"
            } else {
                "-h"
            })
            .stdout(writer)
            .status()
            .expect("run");
        assert_eq!(status.signal(), Some(13), "{bin}: {status:?}");
    }
}

/// Deviation D10: a failed write to standard output is reported and fails the command
/// (the reference exits 0 with nothing said). `/dev/full` refuses every write; the help and
/// the version need no kernel, so this runs on the host.
#[test]
fn a_failed_write_is_reported_with_a_non_zero_status() {
    for args in [&["-v"][..], &["-h"], &["--version", "extra"]] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let o = Command::new(env!("CARGO_BIN_EXE_ipvsadm"))
            .args(args)
            .stdout(full)
            .output()
            .expect("run ipvsadm");
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let prog = env!("CARGO_BIN_EXE_ipvsadm");
        assert_eq!(
            text(&o.stderr),
            format!("{prog}: write error: No space left on device\n"),
            "{args:?}"
        );
    }
}

/// Arguments that are not UTF-8 are taken as bytes and echoed as they were given (the
/// reference's C strings), never replaced.
#[test]
fn arguments_are_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let o = Command::new(env!("CARGO_BIN_EXE_ipvsadm"))
        .args([
            OsStr::new("-A"),
            OsStr::new("-t"),
            OsStr::new("192.0.2.1:80"),
            OsStr::new("-s"),
            OsStr::new("sh"),
            OsStr::new("-b"),
            OsStr::from_bytes(b"\xff"),
        ])
        .output()
        .expect("run ipvsadm");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(o.stderr, b"invalid scheduler flag `\xff'\n");
    let o = Command::new(env!("CARGO_BIN_EXE_ipvsadm-save"))
        .arg(OsStr::from_bytes(b"-\xff"))
        .output()
        .expect("run ipvsadm-save");
    assert_eq!(o.status.code(), Some(1), "a usage note, not a crash");
}

/// `ipvsadm-save --scope`: a term that does not parse is refused before IPVS is asked
/// (status 2, the term's problem named, nothing on standard output); `--scope` without a
/// term is a usage error (status 1).
#[test]
fn save_scope_terms_are_checked_first() {
    let save = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ipvsadm-save"))
            .args(args)
            .output()
            .expect("run ipvsadm-save")
    };
    let o = save(&["-n", "--scope", "addr=192.0.2.0/33"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "ipvsadm-save: --scope: addr=192.0.2.0/33: not an address or a prefix\n"
    );
    let o = save(&["--scope=proto=icmp"]);
    assert_eq!(o.status.code(), Some(2));
    let o = save(&["-n", "--scope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("usage: ipvsadm-save "));
}

/// `ipvsadm-restore --apply --check` needs no IPVS (this machine's kernel has none): it
/// reports every line that --apply would refuse, with its number, and accepts good rules.
#[test]
fn apply_check_runs_without_ipvs() {
    let run = restore_with_input;
    let o = run(
        &["--apply", "--check", "--scope", "addr=192.0.2.0/24"],
        "-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.1:80 -s rr\n-A -t 203.0.113.1:80 -s rr\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "line 2: Service already exists\n\
         line 3: the service is outside the --scope\n\
         ipvsadm-restore: the rules have errors; nothing was changed\n"
    );
    let o = run(&["--apply", "--check"], "-A -t 192.0.2.1:80 -s rr\n");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Bad rules are status 2 ("the rules have errors"), with every line named, also with a
/// `--netns` that cannot be joined: the rules are read before the namespace (status 3 is
/// for a director that cannot be reached, which says nothing of the rules).
#[test]
fn apply_reports_bad_rules_before_the_namespace() {
    let run = restore_with_input;
    let missing = "/nonexistent/netns-of-no-one";
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec!["--apply", "--netns", missing];
        args.extend_from_slice(extra);
        let o = run(
            &args,
            "-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.1:80 -s XX\n",
        );
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("line 2: "), "{args:?}: {err}");
        assert!(
            err.ends_with("the rules have errors; nothing was changed\n"),
            "{err}"
        );
        // Good rules and the same namespace: IPVS unreachable, status 3.
        let o = run(&args, "-A -t 192.0.2.1:80 -s rr\n");
        assert_eq!(
            o.status.code(),
            Some(3),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
