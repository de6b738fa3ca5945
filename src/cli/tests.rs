//! Tests of the whole parser: argv in, action or exact error text and exit status out.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::names::StaticNames;
use crate::output::{Json, ListMode};
use linux_ipvs::flags as consts;
use linux_ipvs::{
    Daemon, DaemonState, Dest, Family, Forward, Name, Protocol, Service, Timeouts, TunnelType,
};

pub(super) fn names() -> StaticNames {
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    StaticNames {
        hosts: vec![
            (v4(192, 0, 2, 10), "vip.example.com".into()),
            (v4(198, 51, 100, 2), "rs.example.com".into()),
            (v4(127, 0, 0, 1), "localhost".into()),
        ],
        services: vec![
            (80, "tcp".into(), "http".into()),
            (80, "udp".into(), "http".into()),
            (53, "udp".into(), "domain".into()),
            (5060, "sctp".into(), "sip".into()),
        ],
    }
}

fn argv(args: &[&str]) -> Vec<String> {
    std::iter::once("ipvsadm")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect()
}

fn run_v(args: &[&str]) -> Result<Action, CliError> {
    parse(&argv(args), &names()).map(|p| p.action)
}

/// Runs a command line given as blank-separated words.
fn run(line: &str) -> Result<Action, CliError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    run_v(&words)
}

fn ok(line: &str) -> Action {
    match run(line) {
        Ok(a) => a,
        Err(e) => panic!("{line:?} failed: {e}"),
    }
}

/// The exit status and stderr text of a failing command line.
fn err_v(args: &[&str]) -> (i32, String) {
    match run_v(args) {
        Ok(a) => panic!("{args:?} succeeded: {a:?}"),
        Err(e) => (e.status(), e.to_string()),
    }
}

fn err(line: &str) -> (i32, String) {
    let words: Vec<&str> = line.split_whitespace().collect();
    err_v(&words)
}

/// Asserts a validation error (exit 2) with this message (newline added).
fn fails(line: &str, msg: &str) {
    assert_eq!(err(line), (2, format!("{msg}\n")), "{line}");
}

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const TRY: &str = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";

fn add_service(line: &str) -> Service {
    match ok(line) {
        Action::Change(Change::AddService(s)) => s,
        a => panic!("{a:?}"),
    }
}

fn add_dest(line: &str) -> (ServiceKey, Dest) {
    match ok(line) {
        Action::Change(Change::AddDest(s, d)) => (s, d),
        a => panic!("{a:?}"),
    }
}

fn list(line: &str) -> ListRequest {
    match ok(line) {
        Action::List(r) => r,
        a => panic!("{a:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The first option.

#[test]
fn no_arguments_lists() {
    assert_eq!(
        run_v(&[]),
        Ok(Action::List(ListRequest {
            what: ListWhat::All,
            format: ListFormat::default()
        }))
    );
}

#[test]
fn help_and_version() {
    let h = ok("-h -n --bogus");
    assert_eq!(h, Action::Help(help_text(b"ipvsadm")));
    assert!(matches!(ok("--help"), Action::Help(_)));
    let prog = vec!["/usr/sbin/ipvsadm".to_string(), "-h".to_string()];
    match parse(&prog, &names()).map(|p| p.action) {
        Ok(Action::Help(t)) => assert!(
            String::from_utf8(t)
                .unwrap()
                .contains("  /usr/sbin/ipvsadm -L [virtual-service]")
        ),
        r => panic!("{r:?}"),
    }
    assert_eq!(ok("-v extra"), Action::Version(format!("{VERSION_LINE}\n")));
    assert_eq!(
        ok("--version"),
        Action::Version(format!("{VERSION_LINE}\n"))
    );
}

#[test]
fn first_option_must_be_a_command() {
    for args in [
        &["-n"][..],
        &["foo"],
        &["--"],
        &["--", "-L"],
        &["--clear=1"],
        &["--start-daemon"],
        &["--tcp"],
        &["-q"],
        &[""],
        &["-"],
        &["-t", "192.0.2.1:80", "-A"],
        &["-6"],
        &["--sort", "-L"],
        &["#", "comment"],
    ] {
        let e = run_v(args).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Usage, "{args:?}");
        assert_eq!(e.status(), 255);
        assert_eq!(e.message, TRY.as_bytes());
    }
    let prog = vec!["/usr/sbin/ipvsadm".to_string(), "-x".to_string()];
    assert_eq!(
        parse(&prog, &names()).unwrap_err().message,
        b"Try `/usr/sbin/ipvsadm -h' or '/usr/sbin/ipvsadm --help' for more information.\n"
    );
    // A positional word before the command is a leftover, as in popt.
    fails("foo -L", "unexpected argument foo");
}

#[test]
fn second_command_is_invalid() {
    fails("-L -A", "invalid option `-A'");
    fails("-L -h", "invalid option `-h'");
    fails("-L -v", "invalid option `-v'");
    fails("-C -Lh", "invalid option `-Lh'");
    fails("-L -l", "invalid option `-l'");
    fails("-LA", "invalid option `-LA'");
    // popt reports the last word consumed: the daemon state.
    fails("-L --start-daemon master", "invalid option `master'");
    fails("-L --set", "invalid option `--set'");
}

// ---------------------------------------------------------------------------------------
// popt semantics.

#[test]
fn popt_errors_after_the_command() {
    let popt = |line: &str, msg: &str| {
        let e = run(line).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Popt, "{line}");
        assert_eq!((e.status(), e.to_string().as_str()), (255, msg), "{line}");
    };
    popt("-L --foo", "--foo: unknown option\n");
    popt("-L --tcp 192.0.2.1:80", "--tcp: unknown option\n");
    popt("-Lq", "-Lq: unknown option\n");
    popt("-A -t 192.0.2.1:80 -s", "-s: missing argument\n");
    popt(
        "-L --numeric=foo",
        "--numeric=foo: option does not take an argument\n",
    );
    popt("-L -n=3", "-n=3: option does not take an argument\n");
    popt(
        "-L --stats=1",
        "--stats=1: option does not take an argument\n",
    );
    popt("-A -t 192.0.2.1:80 -p -1", "-1: unknown option\n");
    popt("--set -1 2 3", "-1: unknown option\n");
    popt("-A -t 192.0.2.1:80 -b", "-b: missing argument\n");
    // Values before the popt error are still validated first.
    fails(
        "-A -t bad --foo",
        "illegal virtual server address[:port] specified",
    );
}

#[test]
fn clusters_and_attached_values() {
    assert!(list("-Ln").format.numeric);
    let r = list("-Lnc");
    assert_eq!(r.what, ListWhat::Connections);
    assert!(r.format.numeric);
    assert_eq!(
        add_service("-At192.0.2.1:80").key,
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: v4("192.0.2.1"),
            port: 80
        }
    );
    assert_eq!(add_service("-At 192.0.2.1:80 -srr").scheduler, "rr");
    assert_eq!(add_service("-At 192.0.2.1:80 -s=rr").scheduler, "rr");
    assert_eq!(
        add_service("--add-service --tcp-service=192.0.2.1:80 --scheduler=sh").scheduler,
        "sh"
    );
    fails(
        "-Ats 192.0.2.1:86 rr",
        "illegal virtual server address[:port] specified",
    );
    // `-list` is -l -i -s t.
    fails(
        "-list",
        "Illegal 'scheduler' option with the 'list' command",
    );
    assert!(matches!(ok("-Sn"), Action::Save { numeric: true, .. }));
    assert!(matches!(ok("-S"), Action::Save { numeric: false, .. }));
}

#[test]
fn persistent_optional_value() {
    let s = add_service("-A -t 192.0.2.1:80 -p");
    assert_eq!(
        (s.flags.bits(), s.timeout),
        (consts::IP_VS_SVC_F_PERSISTENT, 360)
    );
    assert_eq!(add_service("-A -t 192.0.2.1:80 -p 50").timeout, 50);
    assert_eq!(add_service("-A -t 192.0.2.1:80 -p=50").timeout, 50);
    assert_eq!(add_service("-A -t 192.0.2.1:80 -p50").timeout, 50);
    assert_eq!(
        add_service("-A -t 192.0.2.1:80 -p 2678400").timeout,
        2678400
    );
    assert_eq!(add_service("-A -p -t 192.0.2.1:80").timeout, 360);
    assert_eq!(
        err_v(&["-A", "-t", "192.0.2.1:80", "--persistent="]),
        (2, "invalid timeout value `' specified\n".into())
    );
    fails(
        "-A -t 192.0.2.1:80 -p 0",
        "invalid timeout value `0' specified",
    );
    fails(
        "-A -t 192.0.2.1:80 -p 2678401",
        "invalid timeout value `2678401' specified",
    );
    fails(
        "-A -t 192.0.2.1:80 -p 5x",
        "invalid timeout value `5x' specified",
    );
}

#[test]
fn double_dash() {
    assert_eq!(ok("-C --"), Action::Change(Change::Flush));
    fails("-C -- x", "unexpected argument x");
    fails("-C -- -n", "unexpected argument -n");
    assert_eq!(ok("-C"), Action::Change(Change::Flush));
}

#[test]
fn duplicates() {
    fails("-L -n -n", "multiple 'numeric' options specified");
    fails("-Lnn", "multiple 'numeric' options specified");
    fails(
        "-a -t 192.0.2.1:80 -r 198.51.100.2 -m -g",
        "multiple 'forwarding-method' options specified",
    );
    fails(
        "-a -t 192.0.2.1:80 -r 198.51.100.2 -i -i",
        "multiple 'forwarding-method' options specified",
    );
    fails(
        "-A -t 192.0.2.1:80 -u 192.0.2.1:80",
        "multiple 'service-address' options specified",
    );
    fails(
        "-A -f 1 --sctp-service 192.0.2.1:80",
        "multiple 'service-address' options specified",
    );
    fails(
        "-A -t 192.0.2.1:80 -f 1",
        "multiple 'service-address' options specified",
    );
    // The duplicate check precedes the validation of the second value.
    fails(
        "-D -t 192.0.2.1:80 -w 1 -w x",
        "multiple 'weight' options specified",
    );
    fails(
        "-A -t 192.0.2.1:80 -p 5 -p",
        "multiple 'persistent' options specified",
    );
    // -6 and --sort may repeat.
    assert!(matches!(
        ok("-A -f 1 -6 -6 --sort --sort"),
        Action::Change(Change::AddService(_))
    ));
    assert!(matches!(ok("-C --sort"), Action::Change(Change::Flush)));
}

// ---------------------------------------------------------------------------------------
// The legality matrix.

/// Every option, spelled with a valid value, with the name of its slot.
const EVERY_OPTION: &[(&str, &str)] = &[
    ("-n", "numeric"),
    ("-c", "connection"),
    ("-t 192.0.2.1:80", "service-address"),
    ("-u 192.0.2.1:80", "service-address"),
    ("--sctp-service 192.0.2.1:80", "service-address"),
    ("-f 1", "service-address"),
    ("-s rr", "scheduler"),
    ("-p 10", "persistent"),
    ("-M 255.255.255.0", "netmask"),
    ("-r 198.51.100.2", "real-server"),
    ("-g", "forwarding-method"),
    ("-i", "forwarding-method"),
    ("-m", "forwarding-method"),
    ("-w 2", "weight"),
    ("-x 2", "u-threshold"),
    ("-y 2", "l-threshold"),
    ("--mcast-interface eth1", "mcast-interface"),
    ("--timeout", "timeout"),
    ("--daemon", "daemon"),
    ("--stats", "stats"),
    ("--rate", "rate"),
    ("--thresholds", "thresholds"),
    ("--persistent-conn", "persistent-conn"),
    ("--nosort", "nosort"),
    ("--syncid 3", "syncid"),
    ("-X", "exact"),
    ("--exact", "exact"),
    ("-o", "ops"),
    ("--pe sip", "pe"),
    ("-b flag-1", "sched-flags"),
    ("--mcast-group 239.1.1.1", "mcast-group"),
    ("--mcast-port 9000", "mcast-port"),
    ("--mcast-ttl 2", "mcast-ttl"),
    ("--sync-maxlen 1000", "sync-maxlen"),
    ("--tun-info", "tun-info"),
    ("--tun-type gue", "tun-type"),
    ("--tun-port 5555", "tun-port"),
    ("--tun-nocsum", "tun-nocsum"),
    ("--tun-csum", "tun-csum"),
    ("--tun-remcsum", "tun-remcsum"),
];

#[test]
fn every_option_is_illegal_with_flush_and_restore() {
    for (opt, name) in EVERY_OPTION {
        fails(
            &format!("-C {opt}"),
            &format!("Illegal '{name}' option with the 'flush' command"),
        );
        fails(
            &format!("-R {opt}"),
            &format!("Illegal '{name}' option with the 'restore' command"),
        );
    }
}

/// Checks each option against one command: allowed ones parse, others give the exact error.
fn check_column(cmd: &str, base: &str, allowed: &[&str]) {
    for (opt, name) in EVERY_OPTION {
        let line = format!("{cmd} {base} {opt}");
        // Options of the base line itself would be duplicates.
        if base.contains(opt.split(' ').next().unwrap())
            || (*name == "service-address" && base.contains("-t "))
            || (*name == "real-server" && base.contains("-r "))
        {
            continue;
        }
        let r = run(&line);
        if allowed.contains(name) {
            if let Err(e) = &r {
                assert!(!e.message.starts_with(b"Illegal"), "{line}: {e}");
            }
        } else {
            let cmd_name = match r {
                Err(e) => e.to_string(),
                Ok(a) => panic!("{line} succeeded: {a:?}"),
            };
            assert!(
                cmd_name.starts_with(&format!("Illegal '{name}' option with the '")),
                "{line}: {cmd_name}"
            );
        }
    }
}

#[test]
fn matrix_columns() {
    let svc_opts = [
        "scheduler",
        "persistent",
        "netmask",
        "ops",
        "pe",
        "sched-flags",
    ];
    check_column("-A", "-t 192.0.2.1:80", &svc_opts);
    check_column("-E", "-t 192.0.2.1:80", &svc_opts);
    check_column("-D", "-t 192.0.2.1:80", &[]);
    let dest_opts = [
        "forwarding-method",
        "weight",
        "u-threshold",
        "l-threshold",
        "tun-type",
        "tun-port",
        "tun-nocsum",
        "tun-csum",
        "tun-remcsum",
    ];
    check_column("-a", "-t 192.0.2.1:80 -r 198.51.100.2", &dest_opts);
    check_column("-e", "-t 192.0.2.1:80 -r 198.51.100.2", &dest_opts);
    check_column("-d", "-t 192.0.2.1:80 -r 198.51.100.2", &[]);
    check_column(
        "-L",
        "",
        &[
            "numeric",
            "connection",
            "service-address",
            "timeout",
            "daemon",
            "stats",
            "rate",
            "thresholds",
            "persistent-conn",
            "nosort",
            "syncid",
            "exact",
            "tun-info",
        ],
    );
    check_column("-S", "", &["numeric"]);
    check_column("-Z", "", &["service-address"]);
    check_column("--set 1 2 3", "", &[]);
    check_column(
        "--start-daemon master",
        "",
        &[
            "mcast-interface",
            "syncid",
            "mcast-group",
            "mcast-port",
            "mcast-ttl",
            "sync-maxlen",
        ],
    );
    check_column("--stop-daemon master", "", &["syncid"]);
}

#[test]
fn matrix_messages_and_precedence() {
    fails(
        "-A",
        "You need to supply the 'service-address' option for the 'add-service' command",
    );
    fails(
        "-E -s rr",
        "You need to supply the 'service-address' option for the 'edit-service' command",
    );
    fails(
        "-D",
        "You need to supply the 'service-address' option for the 'delete-service' command",
    );
    fails(
        "-a -r 192.0.2.4",
        "You need to supply the 'service-address' option for the 'add-server' command",
    );
    fails(
        "-a -t 192.0.2.1:80",
        "You need to supply the 'real-server' option for the 'add-server' command",
    );
    fails(
        "-e -t 192.0.2.1:80 -w 3",
        "You need to supply the 'real-server' option for the 'edit-server' command",
    );
    fails(
        "-d -t 192.0.2.1:80",
        "You need to supply the 'real-server' option for the 'delete-server' command",
    );
    fails("-C -n", "Illegal 'numeric' option with the 'flush' command");
    fails(
        "--set 1 2 3 -n",
        "Illegal 'numeric' option with the 'set' command",
    );
    fails(
        "-L -b flag-1",
        "Illegal 'sched-flags' option with the 'list' command",
    );
    fails("-Z -n", "Illegal 'numeric' option with the 'zero' command");
    fails(
        "--stop-daemon master --mcast-interface eth1",
        "Illegal 'mcast-interface' option with the 'stop-daemon' command",
    );
    // A lower index wins: numeric (0) before service-address (2).
    fails(
        "-C -t 192.0.2.1:80 -n",
        "Illegal 'numeric' option with the 'flush' command",
    );
    // Required-and-missing at index 2 precedes illegal at index 3.
    fails(
        "-D -s rr",
        "You need to supply the 'service-address' option for the 'delete-service' command",
    );
    fails(
        "-L -c -t 192.0.2.1:80",
        "The option 'service-address' conflicts with the 'connection' option in the 'list' command",
    );
    fails(
        "-L --timeout --daemon",
        "The option 'daemon' conflicts with the 'timeout' option in the 'list' command",
    );
    fails(
        "-L --daemon -c",
        "The option 'daemon' conflicts with the 'connection' option in the 'list' command",
    );
    fails(
        "-L -t 192.0.2.1:80 --timeout",
        "The option 'timeout' conflicts with the 'service-address' option in the 'list' command",
    );
}

#[test]
fn values_are_checked_before_the_matrix() {
    fails("-D -t 192.0.2.1:80 -w abc", "illegal weight specified");
    fails(
        "-L -M foo",
        "illegal virtual server persistent mask specified",
    );
    fails("-L -b sh-port", "incompatible scheduler flag `sh-port'");
    fails("-C -f 0", "invalid fwmark value `0' specified");
    // unexpected argument comes before -b and the matrix.
    fails("-L -b bogus x", "unexpected argument x");
    fails("-L -b bogus", "invalid scheduler flag `bogus'");
}

#[test]
fn list_only_conflicts() {
    for line in [
        "-L -c --stats",
        "-L -c --rate",
        "-L -c --thresholds",
        "-L --timeout --stats",
        "-L --daemon --rate",
        "-L --timeout --persistent-conn",
        "-L --daemon --persistent-conn",
    ] {
        fails(line, "options conflicts in the list command");
    }
    for line in [
        "-L -c --persistent-conn",
        "-L -c --exact",
        "-L -c --nosort",
        "-L -c --tun-info",
        "-L --timeout --tun-info",
        "-L --timeout -n",
        "-L --syncid 5",
    ] {
        assert!(matches!(ok(line), Action::List(_)), "{line}");
    }
}

// ---------------------------------------------------------------------------------------
// Values.

#[test]
fn service_addresses() {
    let key = |line: &str| add_service(line).key;
    assert_eq!(
        key("-A -t [2001:db8::1]:80"),
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 80
        }
    );
    assert_eq!(add_service("-A -t [2001:db8::1]:80").netmask.raw(), 128);
    assert_eq!(
        key("-A -u vip.example.com:http"),
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: v4("192.0.2.10"),
            port: 80
        }
    );
    assert_eq!(
        key("-A --sctp-service 192.0.2.1:sip"),
        ServiceKey::Addr {
            protocol: Protocol::Sctp,
            addr: v4("192.0.2.1"),
            port: 5060
        }
    );
    // Bracketed IPv4 loses its port.
    fails(
        "-A -t [192.0.2.2]:105",
        "Zero port specified for non-persistent service",
    );
    assert_eq!(key("-A -t [192.0.2.2]:105 -p").port(), 0);
    // inet_aton leniency.
    assert_eq!(
        key("-A -t 10.0.0:80"),
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: v4("10.0.0.0"),
            port: 80
        }
    );
    assert_eq!(key("-A -t 0x0a000002:80").port(), 80);
    assert_eq!(
        key("-A -t 167772162:103"),
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: v4("10.0.0.2"),
            port: 103
        }
    );
    match run_v(&["-A", "-t", "10.0.0.1 junk", "-p"]) {
        Ok(Action::Change(Change::AddService(s))) => assert_eq!(
            s.key,
            ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: v4("10.0.0.1"),
                port: 0
            }
        ),
        r => panic!("{r:?}"),
    }
    for bad in [
        "80",
        "167772162",
        "[::1]",
        "[::1]x80",
        "192.0.2.1:",
        "192.0.2.1:-1",
        "192.0.2.1:65536",
        "192.0.2.1:0x66",
        "192.0.2.1:nosuchsvc",
        "192.0.2.1:domain",
    ] {
        fails(
            &format!("-A -t {bad}"),
            "illegal virtual server address[:port] specified",
        );
    }
    assert_eq!(
        err_v(&["-A", "-t", ""]),
        (
            2,
            "illegal virtual server address[:port] specified\n".into()
        )
    );
    // A required value is taken even when it looks like an option.
    fails(
        "-A -t -x",
        "illegal virtual server address[:port] specified",
    );
}

#[test]
fn fwmark_values() {
    assert_eq!(
        add_service("-A -f 4294967295").key,
        ServiceKey::Fwmark {
            family: Family::Inet,
            mark: u32::MAX
        }
    );
    for bad in ["0", "-1", "-0", "0x10", "12abc", "4294967296"] {
        fails(
            &format!("-A -f {bad}"),
            &format!("invalid fwmark value `{bad}' specified"),
        );
    }
}

#[test]
fn ipv6_flag() {
    let s = add_service("-A -f 5 -6");
    assert_eq!(
        s.key,
        ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 5
        }
    );
    assert_eq!(s.netmask.raw(), 128);
    assert_eq!(
        err("-A -t 192.0.2.1:80 -6"),
        (2, "-6 used before -f\n\n".into())
    );
    assert_eq!(err("-L -6"), (2, "-6 used before -f\n\n".into()));
    // As the reference: -6 before -f is an error, even when -f follows.
    assert_eq!(err("-A -6 -f 5"), (2, "-6 used before -f\n\n".into()));
}

#[test]
fn netmasks_follow_the_final_family() {
    let ne = |b: [u8; 4]| u32::from_ne_bytes(b);
    assert_eq!(
        add_service("-A -t 192.0.2.1:80").netmask.raw(),
        ne([255; 4])
    );
    assert_eq!(
        add_service("-A -t 192.0.2.1:80 -p -M 255.255.255.0")
            .netmask
            .raw(),
        ne([255, 255, 255, 0])
    );
    assert_eq!(
        add_service("-A -f 5 -p -M 64").netmask.raw(),
        ne([0, 0, 0, 64])
    );
    assert_eq!(
        add_service("-A -f 5 -p -M localhost").netmask.raw(),
        ne([127, 0, 0, 1])
    );
    // Contract D6: the mask is read with the family the service ends up with.
    assert_eq!(add_service("-A -f 4 -p -M 64 -6").netmask.raw(), 64);
    assert_eq!(add_service("-A -M 64 -f 4 -6 -p").netmask.raw(), 64);
    assert_eq!(
        add_service("-A -M 64 -t [2001:db8::1]:80 -p").netmask.raw(),
        64
    );
    assert_eq!(
        add_service("-A -t [2001:db8::1]:80 -p -M 48abc")
            .netmask
            .raw(),
        48
    );
    assert_eq!(
        add_service("-A -M 0xffffff00 -t 192.0.2.1:80")
            .netmask
            .raw(),
        ne([255, 255, 255, 0])
    );
    fails(
        "-A -t [2001:db8::1]:80 -p -M 255.255.255.0",
        "illegal ipv6 netmask specified",
    );
    fails(
        "-A -M 0 -t [2001:db8::1]:80 -p",
        "illegal ipv6 netmask specified",
    );
    fails("-A -M 129 -f 1 -6", "illegal ipv6 netmask specified");
    fails(
        "-A -t 192.0.2.1:80 -M nosuchhost",
        "illegal virtual server persistent mask specified",
    );
    // The mask error is reported where -M stands, before a later bad value.
    fails(
        "-A -M foo -t 192.0.2.1:80 -w x",
        "illegal virtual server persistent mask specified",
    );
    fails("-A -t 192.0.2.1:80 -w x -M foo", "illegal weight specified");
}

#[test]
fn scheduler_and_service_fields() {
    let s = add_service("-A -t 192.0.2.1:80");
    assert_eq!(s.scheduler, "wlc");
    assert_eq!((s.flags.bits(), s.timeout, s.pe_name), (0, 0, None));
    match run_v(&["-A", "-t", "192.0.2.1:80", "-s", ""]) {
        Ok(Action::Change(Change::AddService(s))) => assert_eq!(s.scheduler, "wlc"),
        r => panic!("{r:?}"),
    }
    assert_eq!(
        add_service("-A -t 192.0.2.1:80 -s abcdefghijklmnopqrst").scheduler,
        "abcdefghijklmno"
    );
    let s = add_service("-A -u 192.0.2.1:53 -s sh -p 20 --pe sip -o -b sh-fallback,sh-port");
    assert_eq!(s.scheduler, "sh");
    assert_eq!(s.pe_name, Some(Name::truncated(b"sip")));
    assert_eq!(s.flags.bits(), 0x01 | 0x04 | 0x08 | 0x10);
    assert_eq!(s.timeout, 20);
    match run_v(&["-A", "-t", "192.0.2.1:80", "--pe", ""]) {
        Ok(Action::Change(Change::AddService(s))) => assert_eq!(s.pe_name, None),
        r => panic!("{r:?}"),
    }
    match ok("-E -t 192.0.2.1:80 -s mh -b mh-port,flag-3") {
        Action::Change(Change::EditService(s)) => {
            assert_eq!(s.scheduler, "mh");
            assert_eq!(s.flags.bits(), 0x30);
        }
        a => panic!("{a:?}"),
    }
    // -b with an empty list is ignored.
    match run_v(&["-A", "-t", "192.0.2.1:80", "-b", ""]) {
        Ok(Action::Change(Change::AddService(s))) => assert_eq!(s.flags.bits(), 0),
        r => panic!("{r:?}"),
    }
    fails(
        "-E -t 192.0.2.1:80 -b sh-port",
        "incompatible scheduler flag `sh-port'",
    );
    fails(
        "-A -t 192.0.2.1:80 -s SH -b sh-port",
        "incompatible scheduler flag `sh-port'",
    );
    fails(
        "-A -t 192.0.2.1:80 -b flag-1,nope",
        "invalid scheduler flag `nope'",
    );
    // Contract D7: a list of only commas is diagnosed, not a crash.
    fails("-A -t 192.0.2.1:80 -b ,", "invalid scheduler flag `,'");
    // Non -A/-E commands carry no scheduler.
    match ok("-D -t 192.0.2.1:80") {
        Action::Change(Change::DeleteService(k)) => assert_eq!(k.port(), 80),
        a => panic!("{a:?}"),
    }
}

#[test]
fn add_edit_service_checks() {
    fails(
        "-A -t 192.0.2.1",
        "Zero port specified for non-persistent service",
    );
    fails(
        "-E -u 192.0.2.1:0",
        "Zero port specified for non-persistent service",
    );
    assert_eq!(add_service("-A -t 192.0.2.1 -p").key.port(), 0);
    assert_eq!(add_service("-A -f 1").key.port(), 0);
    fails(
        "-A -t 192.0.2.1:80 -o",
        "One-Packet Scheduling is only for UDP virtual services",
    );
    fails(
        "-A --sctp-service 192.0.2.1:80 -o",
        "One-Packet Scheduling is only for UDP virtual services",
    );
    // Zero port is checked first.
    fails(
        "-A -t 192.0.2.1 -o",
        "Zero port specified for non-persistent service",
    );
    assert_eq!(add_service("-A -u 192.0.2.1:53 -o").flags.bits(), 0x04);
    assert_eq!(add_service("-A -f 7 -o").flags.bits(), 0x04);
}

#[test]
fn real_servers_and_order_independence() {
    let (k, d) = add_dest("-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 3 -x 10 -y 5");
    assert_eq!(k.port(), 80);
    assert_eq!(
        (d.addr, d.port, d.forward),
        (v4("198.51.100.2"), 8080, Forward::Masq)
    );
    assert_eq!((d.weight, d.u_threshold, d.l_threshold), (3, 10, 5));
    // Defaults: weight 1, Route, port forced to the virtual port.
    let (_, d) = add_dest("-a -t 192.0.2.1:80 -r 198.51.100.4:8080");
    assert_eq!((d.port, d.forward, d.weight), (80, Forward::Route, 1));
    let (_, d) = add_dest("-a -t 192.0.2.1:80 -r 198.51.100.4:8080 -g");
    assert_eq!(d.port, 80);
    let (_, d) = add_dest("-a -t 192.0.2.1:80 -r 198.51.100.4:8080 -i");
    assert_eq!((d.port, d.forward), (80, Forward::Tunnel));
    // Not for fwmark services.
    let (_, d) = add_dest("-a -f 1 -r 198.51.100.4:8080 -g");
    assert_eq!(d.port, 8080);
    let (_, d) = add_dest("-a -f 1 -r 198.51.100.4 -m");
    assert_eq!(d.port, 0);
    // No port: the virtual port; bracketed IPv4 loses its port.
    let (_, d) = add_dest("-a -t 192.0.2.1:80 -r 198.51.100.4 -m");
    assert_eq!(d.port, 80);
    let (_, d) = add_dest("-a -t 192.0.2.1:80 -r [198.51.100.11]:90 -m");
    assert_eq!((d.addr, d.port), (v4("198.51.100.11"), 80));
    fails(
        "-a -t 192.0.2.1:80 -r [2001:db8::2] -i",
        "illegal real server address[:port] specified",
    );
    // Contract D6: -r before -t means the same.
    let (_, d) = add_dest("-a -r 198.51.100.4 -t 192.0.2.1:80 -m");
    assert_eq!(d.port, 80);
    let (_, d) = add_dest("-a -r rs.example.com:http -m -t 192.0.2.1:81");
    assert_eq!((d.addr, d.port), (v4("198.51.100.2"), 80));
    let (_, d) = add_dest("-a -r 198.51.100.2:domain -m -u 192.0.2.1:53");
    assert_eq!(d.port, 53);
    fails(
        "-a -r 198.51.100.2:domain -m -t 192.0.2.1:53",
        "illegal real server address[:port] specified",
    );
    // Without any service, names cannot resolve.
    fails(
        "-a -r 198.51.100.2:http",
        "illegal real server address[:port] specified",
    );
    // fwmark services look names up as TCP.
    let (_, d) = add_dest("-a -f 2 -r 198.51.100.2:http -m");
    assert_eq!(d.port, 80);
    // -d: the given port or the virtual port, never forced.
    match ok("-d -t 192.0.2.1:80 -r 198.51.100.4:8080") {
        Action::Change(Change::DeleteDest(k, d)) => {
            assert_eq!((k.port(), d.port), (80, 8080));
        }
        a => panic!("{a:?}"),
    }
    match ok("-d -t 192.0.2.1:80 -r 198.51.100.4") {
        Action::Change(Change::DeleteDest(_, d)) => assert_eq!(d.port, 80),
        a => panic!("{a:?}"),
    }
    match ok("-e -t 192.0.2.1:80 -r 198.51.100.4:8080 -m") {
        Action::Change(Change::EditDest(_, d)) => {
            assert_eq!((d.port, d.forward), (8080, Forward::Masq))
        }
        a => panic!("{a:?}"),
    }
}

#[test]
fn dest_value_errors() {
    let base = "-a -t 192.0.2.1:80 -r 198.51.100.2";
    let (_, d) = add_dest(&format!("{base} -w 2147483647 -x 2147483647 -y 0"));
    assert_eq!((d.weight, d.u_threshold), (i32::MAX, i32::MAX as u32));
    assert_eq!(add_dest(&format!("{base} -w 010")).1.weight, 10);
    for w in ["2147483648", "-1", "abc", "0x10"] {
        fails(&format!("{base} -w {w}"), "illegal weight specified");
    }
    fails(
        &format!("{base} -x 2147483648"),
        "illegal u_threshold specified",
    );
    fails(&format!("{base} -y -1"), "illegal l_threshold specified");
    assert_eq!(
        err_v(&["-a", "-t", "192.0.2.1:80", "-r", "198.51.100.2", "-w", "5 "]),
        (2, "illegal weight specified\n".into())
    );
    match run_v(&[
        "-a",
        "-t",
        "192.0.2.1:80",
        "-r",
        "198.51.100.2",
        "-w",
        " +5",
    ]) {
        Ok(Action::Change(Change::AddDest(_, d))) => assert_eq!(d.weight, 5),
        r => panic!("{r:?}"),
    }
    fails(
        &format!("{base} -i --tun-type vxlan"),
        "illegal tunnel type specified",
    );
    fails(
        &format!("{base} -i --tun-port 0"),
        "illegal tunnel port specified",
    );
    fails(
        &format!("{base} -i --tun-port 65536"),
        "illegal tunnel port specified",
    );
    fails(
        "-a -t 192.0.2.1:80 -r nosuchhost",
        "illegal real server address[:port] specified",
    );
}

#[test]
fn add_edit_dest_checks() {
    let base = "-a -t 192.0.2.1:80 -r";
    fails(
        &format!("{base} [2001:db8::2]:80 -m"),
        "Different address family is allowed only for tunneling servers",
    );
    fails(
        &format!("{base} [2001:db8::2]:80"),
        "Different address family is allowed only for tunneling servers",
    );
    let (_, d) = add_dest(&format!("{base} [2001:db8::2]:80 -i"));
    assert_eq!(d.addr, "2001:db8::2".parse::<IpAddr>().unwrap());
    fails(
        &format!("{base} 198.51.100.2 -m --tun-type gue"),
        "Tunnel options conflict with forward method",
    );
    fails(
        &format!("{base} 198.51.100.2 --tun-csum"),
        "Tunnel options conflict with forward method",
    );
    // Different family is checked before tunnel options.
    fails(
        &format!("{base} [2001:db8::2]:80 -m --tun-csum"),
        "Different address family is allowed only for tunneling servers",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-type gue"),
        "You need to supply the 'tun-port' option for the 'gue' tunnel type",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-port 5"),
        "Illegal 'tun-port' option with the 'ipip' tunnel type",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-type ipip --tun-nocsum"),
        "Illegal 'tun-nocsum' option with the 'ipip' tunnel type",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-type gre --tun-port 5"),
        "Illegal 'tun-port' option with the 'gre' tunnel type",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-type gre --tun-csum --tun-remcsum"),
        "Illegal 'tun-remcsum' option with the 'gre' tunnel type",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-type gue --tun-port 1 --tun-nocsum --tun-csum"),
        "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type",
    );
    fails(
        &format!("{base} 198.51.100.2 -i --tun-type gue --tun-port 1 --tun-remcsum --tun-csum"),
        "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type",
    );
    let (_, d) = add_dest(&format!(
        "{base} 198.51.100.3 -i --tun-type gue --tun-port 5555 --tun-csum"
    ));
    assert_eq!(
        (d.tun_type, d.tun_port, d.tun_flags.bits()),
        (TunnelType::Gue, 5555, consts::IP_VS_TUNNEL_ENCAP_FLAG_CSUM)
    );
    let (_, d) = add_dest(&format!("{base} 198.51.100.3 -i --tun-type gre --tun-csum"));
    assert_eq!(
        (d.tun_type, d.tun_port, d.tun_flags.bits()),
        (TunnelType::Gre, 0, consts::IP_VS_TUNNEL_ENCAP_FLAG_CSUM)
    );
    fails(
        &format!("{base} 198.51.100.3 -i --tun-type gre --tun-remcsum"),
        "Illegal 'tun-remcsum' option with the 'gre' tunnel type",
    );
}

#[test]
fn listing_requests() {
    assert_eq!(list("-L").what, ListWhat::All);
    assert_eq!(list("-l").what, ListWhat::All);
    assert_eq!(list("--list").what, ListWhat::All);
    assert_eq!(
        list("-L -t 192.0.2.1:80").what,
        ListWhat::Service(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: v4("192.0.2.1"),
            port: 80
        })
    );
    assert_eq!(
        list("-lnf 3").what,
        ListWhat::Service(ServiceKey::Fwmark {
            family: Family::Inet,
            mark: 3
        })
    );
    assert_eq!(list("-L --timeout").what, ListWhat::Timeouts);
    assert_eq!(list("-L --daemon").what, ListWhat::Daemons);
    assert_eq!(list("-L --stats --rate").format.mode, ListMode::Stats);
    assert_eq!(list("-L --rate --thresholds").format.mode, ListMode::Rate);
    assert_eq!(
        list("-L --tun-info --thresholds").format.mode,
        ListMode::Thresholds
    );
    assert_eq!(
        list("-L --tun-info --persistent-conn").format.mode,
        ListMode::PersistentConn
    );
    assert_eq!(list("-L --tun-info").format.mode, ListMode::TunInfo);
    let f = list("-L -X --nosort -n --sort").format;
    assert!(f.exact && f.nosort && f.numeric && !f.persistent_conn);
    let r = list("-L -c --persistent-conn");
    assert_eq!(r.what, ListWhat::Connections);
    assert!(r.format.persistent_conn);
}

#[test]
fn zero() {
    assert_eq!(ok("-Z"), Action::Change(Change::Zero(None)));
    assert_eq!(ok("-Z -t 0.0.0.0"), Action::Change(Change::Zero(None)));
    assert_eq!(ok("-Z -t [::]:0"), Action::Change(Change::Zero(None)));
    match ok("-Z -t 192.0.2.1:80") {
        Action::Change(Change::Zero(Some(k))) => assert_eq!(k.port(), 80),
        a => panic!("{a:?}"),
    }
    assert!(matches!(
        ok("-Z -f 1"),
        Action::Change(Change::Zero(Some(_)))
    ));
}

#[test]
fn set_timeouts() {
    assert_eq!(
        ok("--set 900 120 300"),
        Action::Change(Change::SetTimeouts(Timeouts::new(900, 120, 300)))
    );
    assert_eq!(
        ok("900 --set 0 2678400"),
        Action::Change(Change::SetTimeouts(Timeouts::new(900, 0, 2678400)))
    );
    fails("--set", "--set option requires 3 timeout values");
    fails("--set 1 2", "--set option requires 3 timeout values");
    fails("--set 1 2 3 4", "unexpected argument 4");
    fails("--set 1 x 3", "invalid timeout value `x' specified");
    fails(
        "--set 2678401 1 1",
        "invalid timeout value `2678401' specified",
    );
    fails("--set x 1 y", "invalid timeout value `x' specified");
}

#[test]
fn daemons() {
    assert_eq!(
        ok("--start-daemon master"),
        Action::Change(Change::StartDaemon(Daemon::new(
            DaemonState::Master,
            Name::truncated(b"eth0"),
            0
        )))
    );
    match run_v(&["--start-daemon", "backup", "--mcast-interface", ""]) {
        Ok(Action::Change(Change::StartDaemon(d))) => assert_eq!(d.mcast_ifn, "eth0"),
        r => panic!("{r:?}"),
    }
    let mut want = Daemon::new(DaemonState::Backup, Name::truncated(b"v0"), 5);
    want.sync_maxlen = Some(1000);
    want.mcast_group = Some(v4("239.1.1.1"));
    want.mcast_port = Some(9000);
    want.mcast_ttl = Some(5);
    assert_eq!(
        ok(
            "--start-daemon=backup --mcast-interface v0 --syncid 5 --sync-maxlen 1000 \
            --mcast-group 239.1.1.1 --mcast-port 9000 --mcast-ttl 5"
        ),
        Action::Change(Change::StartDaemon(want))
    );
    match ok("--start-daemon master --mcast-interface abcdefghijklmnopq --mcast-group ff02::1234") {
        Action::Change(Change::StartDaemon(d)) => {
            assert_eq!(d.mcast_ifn, "abcdefghijklmno");
            assert_eq!(d.mcast_group, Some("ff02::1234".parse().unwrap()));
        }
        a => panic!("{a:?}"),
    }
    assert_eq!(
        ok("--stop-daemon backup --syncid 7"),
        Action::Change(Change::StopDaemon(Daemon::new(
            DaemonState::Backup,
            Name::truncated(b""),
            0
        )))
    );
    fails(
        "--start-daemon Master",
        "illegal start-daemon parameter specified",
    );
    fails("--stop-daemon x", "illegal start_daemon specified");
    let sd = "--start-daemon master";
    fails(&format!("{sd} --syncid 256"), "illegal syncid specified");
    fails(
        &format!("{sd} --sync-maxlen 0"),
        "illegal sync-maxlen specified",
    );
    fails(
        &format!("{sd} --sync-maxlen 65508"),
        "illegal sync-maxlen specified",
    );
    fails(
        &format!("{sd} --mcast-port 0"),
        "illegal mcast-port specified",
    );
    fails(
        &format!("{sd} --mcast-port 65536"),
        "illegal mcast-port specified",
    );
    fails(
        &format!("{sd} --mcast-ttl 0"),
        "illegal mcast-ttl specified",
    );
    fails(
        &format!("{sd} --mcast-ttl 256"),
        "illegal mcast-ttl specified",
    );
    fails(
        &format!("{sd} --mcast-group 192.0.2.1"),
        "invalid IPv4 mcast-group `192.0.2.1'",
    );
    fails(
        &format!("{sd} --mcast-group 2001:db8::1"),
        "invalid IPv6 mcast-group `2001:db8::1'",
    );
}

#[test]
fn unexpected_arguments() {
    fails("-C x", "unexpected argument x");
    fails("-C x y", "unexpected argument x");
    fails("-R extra", "unexpected argument extra");
    fails(
        "-A -t 192.0.2.1:80 -s rr # comment",
        "unexpected argument #",
    );
    fails("-L -", "unexpected argument -");
    assert_eq!(ok("-R"), Action::Restore);
}

#[test]
fn error_kinds_and_status() {
    let e = run("-L -q").unwrap_err();
    assert_eq!((e.kind, e.status()), (ErrorKind::Popt, 255));
    let e = run("-C x").unwrap_err();
    assert_eq!((e.kind, e.status()), (ErrorKind::Invalid, 2));
    let e = run("-x").unwrap_err();
    assert_eq!((e.kind, e.status()), (ErrorKind::Usage, 255));
    assert_eq!(e.to_string().as_bytes(), e.message);
    assert_eq!(
        CliError::usage(b"p").message,
        b"Try `p -h' or 'p --help' for more information.\n"
    );
}

#[test]
fn restore_lines_parse() {
    let mut words: Vec<&[u8]> = vec![b"ipvsadm"];
    words.extend(restore_words(b"ipvsadm -A -t 192.0.2.1:80 -s rr\r\n"));
    match parse(&words, &names()).map(|p| p.action) {
        Ok(Action::Change(Change::AddService(s))) => assert_eq!(s.scheduler, "rr"),
        r => panic!("{r:?}"),
    }
}

#[test]
fn never_panics_on_word_combinations() {
    // Contract D7: whatever the input, an action or an error, never a crash.
    let words = [
        "-A",
        "-a",
        "-e",
        "-d",
        "-L",
        "-Z",
        "-C",
        "-R",
        "-S",
        "--set",
        "--start-daemon",
        "--stop-daemon",
        "master",
        "-t",
        "-f",
        "-6",
        "-r",
        "-M",
        "-p",
        "-b",
        ",",
        "-s",
        "sh",
        "-i",
        "--tun-type",
        "gue",
        "--",
        "",
        "-",
        "192.0.2.1:80",
        "[2001:db8::1]:80",
        "1",
        "-c",
        "--stats",
        "é",
        "-é",
    ];
    let n = names();
    for a in words {
        for b in words {
            for c in words {
                let _ = parse(&argv(&["-a", a, b, c]), &n);
                let _ = parse(&argv(&[a, b, c]), &n);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Options beyond ipvsadm 1.31.

#[test]
fn json_and_pretty() {
    assert_eq!(list("-L --json").format.json, Json::Compact);
    assert_eq!(list("-Lnj").format.json, Json::Compact);
    assert_eq!(
        list("-L -j --pretty -t 192.0.2.1:80").format.json,
        Json::Pretty
    );
    assert_eq!(list("-Lc --json").format.json, Json::Compact);
    assert_eq!(list("-L --timeout --json").format.json, Json::Compact);
    assert_eq!(list("-L").format.json, Json::Off);
    assert!(matches!(
        ok("-S -n --json"),
        Action::Save {
            numeric: true,
            json: Json::Compact
        }
    ));
    fails("-L --pretty", "--pretty goes with --json");
    fails(
        "-A -t 192.0.2.1:80 --json",
        "Illegal 'json' option with the 'add-service' command",
    );
    fails("-L --json -j", "multiple 'json' options specified");
}

#[test]
fn netns() {
    let parsed = parse(&argv(&["-C", "--netns", "blue"]), &names()).unwrap();
    assert_eq!(parsed.netns.as_deref(), Some(&b"blue"[..]));
    assert_eq!(parsed.action, Action::Change(Change::Flush));
    let parsed = parse(&argv(&["-L", "--netns=/proc/1/ns/net", "-n"]), &names()).unwrap();
    assert_eq!(parsed.netns.as_deref(), Some(&b"/proc/1/ns/net"[..]));
    assert_eq!(parse(&argv(&["-L"]), &names()).unwrap().netns, None);
    // Before the command too, as `ip -n` takes it.
    let parsed = parse(&argv(&["--netns", "blue", "-Sn"]), &names()).unwrap();
    assert_eq!(parsed.netns.as_deref(), Some(&b"blue"[..]));
    assert!(matches!(parsed.action, Action::Save { numeric: true, .. }));
    fails(
        "--netns a -L --netns b",
        "multiple 'netns' options specified",
    );
    assert_eq!(err_v(&["--netns", "a"]).0, 255, "still a command first");
    fails(
        "-L --netns a --netns b",
        "multiple 'netns' options specified",
    );
    assert_eq!(
        err_v(&["-L", "--netns", ""]),
        (2, "illegal network namespace specified\n".into())
    );
    assert_eq!(
        err_v(&["-L", "--netns"]),
        (255, "--netns: missing argument\n".into())
    );
    // The namespace is the command line's: restore input may not name one.
    let mut lines = RestoreLines::new();
    let e = lines
        .parse(b"ipvsadm", b"-C --netns blue\n", &names())
        .unwrap()
        .unwrap_err();
    assert_eq!(
        e.message,
        b"--netns goes on the command line, not in restore input\n"
    );
}
