//! `--apply` on the host: rules files read into tables, and the rounds against a kernel kept
//! in memory (a [`Table`] whose real servers lose a connection at every read).

use std::collections::HashMap;

use super::*;
use crate::names::StaticNames;

fn read(text: &str, scope: &Scope) -> (Option<Desired>, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let t = read_rules(
        b"ipvsadm",
        &mut text.as_bytes(),
        scope,
        &StaticNames::default(),
        &mut Streams::new(&mut out, &mut err),
    );
    (t.ok(), String::from_utf8(err).unwrap())
}

fn rules(text: &str) -> (Option<Table>, String) {
    let (d, err) = read(text, &Scope::default());
    (d.map(|d| d.table), err)
}

fn desired(text: &str) -> Desired {
    let (d, err) = read(text, &Scope::default());
    d.unwrap_or_else(|| panic!("{err}"))
}

fn table(text: &str) -> Table {
    let (t, err) = rules(text);
    t.unwrap_or_else(|| panic!("{err}"))
}

/// A kernel in memory: the table, connection counts that drop by one at every read, and a
/// record of the changes it was sent.
struct MemKernel {
    table: Table,
    conns: HashMap<(IpAddr, u16), u32>,
    sent: Vec<Change>,
    /// Changes of this kind are refused (`EINVAL`)...
    refuse: Option<ChangeKind>,
    /// ... this many times.
    refusals_left: usize,
    /// Reads fail (the table keeps changing).
    churn: bool,
    /// Reads fail once this many have been made (a drain's later round cannot read).
    reads_left: Option<usize>,
    /// The weight and connections of each real server when it was removed.
    removed_with: Vec<(i32, u32)>,
    /// The timeouts and daemons.
    state: Current,
}

impl MemKernel {
    fn new(text: &str) -> MemKernel {
        MemKernel {
            table: table(text),
            conns: HashMap::new(),
            sent: Vec::new(),
            refuse: None,
            refusals_left: usize::MAX,
            churn: false,
            reads_left: None,
            removed_with: Vec::new(),
            state: Current {
                timeouts: linux_ipvs::Timeouts::new(900, 120, 300),
                daemons: Vec::new(),
            },
        }
    }
}

impl Kernel for MemKernel {
    fn read(&mut self) -> Result<ConsistentSnapshot, Error> {
        if let Some(n) = &mut self.reads_left {
            if *n == 0 {
                self.churn = true;
            }
            *n = n.saturating_sub(1);
        }
        if self.churn {
            return Err(Error::Torn { reads: READ_TRIES });
        }
        for n in self.conns.values_mut() {
            *n = n.saturating_sub(1);
        }
        let conns = &self.conns;
        let entries = self
            .table
            .entries()
            .iter()
            .map(|(s, ds)| {
                let ds = ds.iter().map(|d| {
                    let mut d = d.clone();
                    d.active_conns = conns.get(&(d.addr, d.port)).copied().unwrap_or(0);
                    d
                });
                (s.clone(), ds.collect())
            })
            .collect();
        Ok(ConsistentSnapshot { entries, tries: 1 })
    }

    fn apply(&mut self, changes: &[Change]) -> Result<Vec<Result<(), Error>>, Error> {
        Ok(changes
            .iter()
            .map(|c| {
                self.sent.push(c.clone());
                if Some(c.kind()) == self.refuse && self.refusals_left > 0 {
                    self.refusals_left -= 1;
                    return Err(Error::Kernel {
                        errno: nix::libc::EINVAL,
                        ext_ack: None,
                    });
                }
                if let Change::DeleteDest(s, d) = c {
                    let (_, ds) = self.table.get(s).unwrap();
                    let now = ds.iter().find(|x| x.addr == d.addr && x.port == d.port);
                    let weight = now.map_or(-1, |x| x.weight);
                    let conns = self.conns.get(&(d.addr, d.port)).copied().unwrap_or(0);
                    self.removed_with.push((weight, conns));
                }
                let gone = |errno| {
                    Err(Error::Kernel {
                        errno,
                        ext_ack: None,
                    })
                };
                // The kernel's rule: no sync daemon beside a real server of the other
                // address family than its service's, in either order.
                let mixed = self
                    .table
                    .entries()
                    .iter()
                    .any(|(s, ds)| ds.iter().any(|d| d.family() != s.key.family()));
                let daemons = &mut self.state.daemons;
                match c {
                    Change::StartDaemon(_) if mixed => gone(nix::libc::EINVAL),
                    Change::AddDest(s, d) if !daemons.is_empty() && d.family() != s.family() => {
                        gone(nix::libc::EINVAL)
                    }
                    Change::SetTimeouts(t) => {
                        let now = &mut self.state.timeouts;
                        for (n, w) in [
                            (&mut now.tcp, t.tcp),
                            (&mut now.tcp_fin, t.tcp_fin),
                            (&mut now.udp, t.udp),
                        ] {
                            if w != 0 {
                                *n = w;
                            }
                        }
                        Ok(())
                    }
                    Change::StartDaemon(d) if daemons.iter().any(|x| x.state == d.state) => {
                        gone(nix::libc::EEXIST)
                    }
                    Change::StartDaemon(d) => {
                        daemons.push(d.clone());
                        Ok(())
                    }
                    Change::StopDaemon(d) if daemons.iter().all(|x| x.state != d.state) => {
                        gone(nix::libc::ESRCH)
                    }
                    Change::StopDaemon(d) => {
                        daemons.retain(|x| x.state != d.state);
                        Ok(())
                    }
                    c => self.table.apply(c),
                }
            })
            .collect())
    }

    fn state(&mut self) -> Result<Current, Error> {
        Ok(self.state.clone())
    }
}

struct Run {
    status: i32,
    out: String,
    err: String,
}

fn run(kernel: &mut MemKernel, desired: &str, opts: ApplyOptions) -> Run {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = converge(
        "ipvsadm-restore",
        kernel,
        &self::desired(desired),
        &opts,
        Duration::from_millis(1),
        &mut Streams::new(&mut out, &mut err),
        &StaticNames::default(),
    );
    Run {
        status,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

const DRY: ApplyOptions = ApplyOptions {
    dry_run: true,
    drain: None,
    json: false,
    allow_empty: false,
    scope: Scope::new(Vec::new()),
    wait: Duration::ZERO,
    check: false,
    netns: None,
};
const APPLY: ApplyOptions = ApplyOptions {
    dry_run: false,
    drain: None,
    json: false,
    allow_empty: false,
    scope: Scope::new(Vec::new()),
    wait: Duration::ZERO,
    check: false,
    netns: None,
};

const OLD: &str = "\
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1
-A -u 192.0.2.1:53 -s wlc
-a -u 192.0.2.1:53 -r 198.51.100.1:53 -m -w 1
";

const NEW: &str = "\
# the web service keeps .1 at a higher weight and loses .2
-A -t 192.0.2.1:80 -s rr

-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5
-A -f 7 -s sh -b sh-port
-a -f 7 -r 198.51.100.3:0 -g -w 1
";

#[test]
fn a_rules_file_becomes_the_table_it_describes() {
    let t = table(
        "# comment\n\n-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1 -m\n\
         -E -t 192.0.2.1:80 -s wlc\n-A -f 1\n-D -f 1\n",
    );
    assert_eq!(t.entries().len(), 1);
    let (svc, dests) = &t.entries()[0];
    assert_eq!(svc.scheduler, "wlc");
    assert_eq!(dests.len(), 1);
    assert_eq!(
        dests[0].port, 80,
        "the real server's port follows the service's"
    );
}

#[test]
fn every_bad_line_is_reported_and_no_table_is_made() {
    let (t, err) = rules(
        "-A -t 192.0.2.1:80 -s rr\n\
         -a -t 192.0.2.9:80 -r 198.51.100.1 -m\n\
         -A -t 192.0.2.1:80 -s rr\n\
         -Z\n\
         -A -t 192.0.2.2 -s rr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1 -m -x 1 -y 5\n\
         -R\n",
    );
    assert!(t.is_none());
    assert_eq!(
        err,
        "line 2: Service not defined\n\
         line 3: Service already exists\n\
         line 4: not a rule of the desired state (--apply takes -A, -E, -D, -a, -e, -d, -C, --set, --start-daemon and --stop-daemon)\n\
         line 5: Zero port specified for non-persistent service\n\
         line 6: Numerical result out of range\n\
         line 7: Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"
    );
}

#[test]
fn a_dry_run_prints_the_plan_as_restore_lines_and_changes_nothing() {
    let mut k = MemKernel::new(OLD);
    let r = run(&mut k, NEW, DRY);
    assert_eq!(r.status, status::APPLY_DIFFERS);
    assert_eq!(
        r.out,
        "-A -f 7 -s sh -b sh-port\n\
         -e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5\n\
         -a -f 7 -r 198.51.100.3:0 -g -w 1\n\
         -d -t 192.0.2.1:80 -r 198.51.100.2:80\n\
         -D -u 192.0.2.1:53\n"
    );
    assert_eq!(
        r.err,
        "ipvsadm-restore: no --scope: the plan covers the whole IPVS table\n\
         ipvsadm-restore: dry run: 2 to add, 1 to edit, 2 to remove, 0 draining\n"
    );
    assert!(k.sent.is_empty());
    // The plan replayed line by line gives the same table as the file.
    let mut replayed = k.table.clone();
    let mut lines = RestoreLines::new();
    for l in r.out.lines() {
        match lines.parse(b"ipvsadm", l.as_bytes(), &StaticNames::default()) {
            Some(Ok(Action::Change(c))) => replayed.apply(&c).unwrap(),
            other => panic!("{l}: {other:?}"),
        }
    }
    assert!(replayed.same_as(&table(NEW)));
}

#[test]
fn apply_converges_and_a_second_apply_sends_nothing() {
    let mut k = MemKernel::new(OLD);
    let r = run(&mut k, NEW, APPLY);
    assert_eq!(r.status, status::APPLY_SAME, "{}", r.err);
    assert!(k.table.same_as(&table(NEW)));
    assert_eq!(k.sent.len(), 5);
    assert_eq!(
        r.err,
        "ipvsadm-restore: 2 added, 1 edited, 2 removed, 0 drained\n"
    );
    let again = run(&mut k, NEW, APPLY);
    assert_eq!(again.status, status::APPLY_SAME);
    assert_eq!(k.sent.len(), 5, "nothing more was sent");
    let dry = run(&mut k, NEW, DRY);
    assert_eq!((dry.status, dry.out.as_str()), (status::APPLY_SAME, ""));
}

#[test]
fn a_drain_waits_for_the_connections_then_removes() {
    let mut k = MemKernel::new(OLD);
    // .2 has three connections: they close one per read.
    k.conns.insert(("198.51.100.2".parse().unwrap(), 80), 4);
    let opts = ApplyOptions {
        drain: Some(Duration::from_secs(60)),
        ..APPLY
    };
    let r = run(&mut k, NEW, opts);
    assert_eq!(r.status, status::APPLY_SAME, "{}", r.err);
    assert!(k.table.same_as(&table(NEW)));
    // Nothing was removed with weight or connections.
    assert!(
        k.removed_with.iter().all(|&(w, c)| w == 0 && c == 0),
        "{:?}",
        k.removed_with
    );
    // .2 went to weight 0 first, and was removed last.
    let first_edit = k
        .sent
        .iter()
        .position(|c| matches!(c, Change::EditDest(_, d) if d.weight == 0))
        .unwrap();
    let removal = k
        .sent
        .iter()
        .position(|c| matches!(c, Change::DeleteDest(..)))
        .unwrap();
    assert!(first_edit < removal);
    assert!(r.err.contains("draining 2 real server(s)"), "{}", r.err);
    assert!(
        r.err
            .ends_with("ipvsadm-restore: 2 added, 1 edited, 2 removed, 2 drained\n"),
        "{}",
        r.err
    );
}

#[test]
fn what_is_still_draining_when_the_time_is_over_is_removed() {
    let mut k = MemKernel::new(OLD);
    k.conns
        .insert(("198.51.100.2".parse().unwrap(), 80), 1_000_000);
    let opts = ApplyOptions {
        drain: Some(Duration::from_millis(30)),
        ..APPLY
    };
    let r = run(&mut k, NEW, opts);
    assert_eq!(r.status, status::APPLY_SAME, "{}", r.err);
    assert!(k.table.same_as(&table(NEW)));
    assert!(
        r.err.contains("removed when the drain time was over"),
        "{}",
        r.err
    );
}

#[test]
fn a_refused_change_is_reported_with_its_line_and_the_others_are_undone() {
    let mut k = MemKernel::new(OLD);
    k.refuse = Some(ChangeKind::AddDest);
    k.refusals_left = 1;
    let r = run(&mut k, NEW, APPLY);
    assert_eq!(r.status, status::APPLY_UNDONE, "{}", r.err);
    assert_eq!(
        r.err,
        "ipvsadm-restore: -a -f 7 -r 198.51.100.3:0 -g -w 1: Invalid operation.  \
         Possibly wrong module version, address not unicast, ...\n\
         ipvsadm-restore: the kernel refused 1 change(s); undoing the changes made\n\
         ipvsadm-restore: undone: the table is as it was read; nothing was changed\n"
    );
    assert!(k.table.same_as(&table(OLD)));
}

#[test]
fn an_undo_that_fails_says_what_is_left() {
    let mut k = MemKernel::new(OLD);
    k.refuse = Some(ChangeKind::AddDest);
    let r = run(&mut k, NEW, APPLY);
    assert_eq!(r.status, status::APPLY_DIFFERS);
    // The undo needs real servers added back, which this kernel refuses.
    assert!(
        r.err.ends_with(
            "ipvsadm-restore: UNDO FAILED: the table is neither as it was nor as the rules say; \
             these 2 change(s) would bring it back as it was:\n\
             -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1\n\
             -a -u 192.0.2.1:53 -r 198.51.100.1:53 -m -w 1\n"
        ),
        "{}",
        r.err
    );
}

#[test]
fn a_table_that_keeps_changing_is_not_acted_on() {
    let mut k = MemKernel::new(OLD);
    k.churn = true;
    let r = run(&mut k, NEW, APPLY);
    assert_eq!(r.status, status::APPLY_BUSY);
    assert!(k.sent.is_empty());
    assert_eq!(
        r.err,
        "ipvsadm-restore: the IPVS table kept changing while it was read (10 reads, none consistent)\n\
         ipvsadm-restore: nothing was changed\n"
    );
}

#[test]
fn json_rules_become_the_same_table_and_duplicates_are_refused() {
    let want = table(NEW);
    let snap = crate::output::Snapshot {
        info: linux_ipvs::Info::new(0x010201, 4096),
        services: want.entries().to_vec(),
    };
    let fmt = crate::output::ListFormat {
        numeric: true,
        json: crate::output::Json::Compact,
        ..Default::default()
    };
    let mut doc = Vec::new();
    crate::output::json::write_table(&mut doc, &snap, &fmt, &StaticNames::default());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let got = read_json_rules(
        &mut &doc[..],
        &Scope::default(),
        &mut Streams::new(&mut out, &mut err),
    );
    assert!(
        got.unwrap().same_as(&want),
        "{}",
        String::from_utf8_lossy(&err)
    );
    // The same service twice: refused, with its position.
    let mut twice = snap.clone();
    twice.services.push(twice.services[0].clone());
    let mut doc = Vec::new();
    crate::output::json::write_table(&mut doc, &twice, &fmt, &StaticNames::default());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert!(
        read_json_rules(
            &mut &doc[..],
            &Scope::default(),
            &mut Streams::new(&mut out, &mut err)
        )
        .is_err()
    );
    assert!(
        String::from_utf8_lossy(&err).contains(": Service already exists"),
        "{}",
        String::from_utf8_lossy(&err)
    );
}

/// A reader that gives some good lines, then fails.
struct FailingAfter(&'static [u8]);

impl std::io::Read for FailingAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::from_raw_os_error(5));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn a_read_error_refuses_the_rules_whatever_was_read_before() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut src = std::io::BufReader::new(FailingAfter(b"-A -t 192.0.2.1:80 -s rr\n"));
    let got = read_rules(
        b"ipvsadm",
        &mut src,
        &Scope::default(),
        &StaticNames::default(),
        &mut Streams::new(&mut out, &mut err),
    );
    assert!(matches!(got, Err(Refusal::Unreadable(e)) if e.raw_os_error() == Some(5)));
    let mut src = std::io::BufReader::new(FailingAfter(b"[]"));
    let got = read_json_rules(
        &mut src,
        &Scope::default(),
        &mut Streams::new(&mut out, &mut err),
    );
    assert!(matches!(got, Err(Refusal::Unreadable(_))));
}

#[test]
fn services_outside_the_scope_are_neither_planned_for_nor_shown() {
    let mut k = MemKernel::new(OLD);
    let opts = ApplyOptions {
        scope: Scope::new(vec!["addr=192.0.2.0/24,proto=tcp".parse().unwrap()]),
        ..DRY
    };
    let want = "-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5\n";
    let r = run(&mut k, want, opts);
    assert_eq!(r.status, status::APPLY_DIFFERS, "{}", r.err);
    // The UDP service of OLD is foreign: not removed, not shown.
    assert_eq!(
        r.out,
        "-e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5\n-d -t 192.0.2.1:80 -r 198.51.100.2:80\n"
    );
    assert_eq!(
        r.err,
        "ipvsadm-restore: dry run: 0 to add, 1 to edit, 1 to remove, 0 draining\n"
    );
}

/// OLD with timeouts and a master daemon on eth1, syncid 7.
const OLD_STATE: &str = "\
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1
-A -u 192.0.2.1:53 -s wlc
-a -u 192.0.2.1:53 -r 198.51.100.1:53 -m -w 1
--set 600 0 200
--start-daemon master --mcast-interface eth1 --syncid 7
";

fn with_backup(k: &mut MemKernel) -> linux_ipvs::Daemon {
    let backup = linux_ipvs::Daemon::new(
        linux_ipvs::DaemonState::Backup,
        linux_ipvs::Name::truncated(b"eth0"),
        3,
    );
    k.state.daemons.push(backup.clone());
    backup
}

#[test]
fn timeouts_and_daemons_converge_when_the_file_names_them() {
    let mut k = MemKernel::new(OLD);
    with_backup(&mut k);
    let r = run(&mut k, OLD_STATE, DRY);
    assert_eq!(r.status, status::APPLY_DIFFERS, "{}", r.err);
    assert_eq!(
        r.out,
        "--set 600 0 200\n--stop-daemon backup\n--start-daemon master --mcast-interface eth1 --syncid 7\n"
    );
    assert!(
        r.err.ends_with(
            "dry run: 0 to add, 0 to edit, 0 to remove, 0 draining; timeouts to set; sync daemons: 1 to start, 0 to restart, 1 to stop\n"
        ),
        "{}",
        r.err
    );
    assert_eq!(k.state.timeouts, linux_ipvs::Timeouts::new(900, 120, 300));
    let r = run(&mut k, OLD_STATE, APPLY);
    assert_eq!(r.status, status::APPLY_SAME, "{}", r.err);
    assert_eq!(
        r.err,
        "ipvsadm-restore: 0 added, 0 edited, 0 removed, 0 drained; timeouts set; sync daemons: 1 started, 0 restarted, 1 stopped\n"
    );
    assert_eq!(k.state.timeouts, linux_ipvs::Timeouts::new(600, 120, 200));
    assert_eq!(k.state.daemons.len(), 1);
    assert_eq!(k.state.daemons[0].syncid, 7);
    let r = run(&mut k, OLD_STATE, DRY);
    assert_eq!((r.status, r.out.as_str()), (status::APPLY_SAME, ""));
    // New parameters: stopped, then started again.
    let moved = OLD_STATE.replace("--syncid 7", "--syncid 8");
    let r = run(&mut k, &moved, DRY);
    assert_eq!(
        r.out,
        "--stop-daemon master\n--start-daemon master --mcast-interface eth1 --syncid 8\n"
    );
    assert!(
        r.err
            .contains("sync daemons: 0 to start, 1 to restart, 0 to stop")
    );
}

#[test]
fn a_file_without_state_lines_leaves_timeouts_and_daemons_alone() {
    let mut k = MemKernel::new(OLD);
    let backup = with_backup(&mut k);
    let r = run(&mut k, NEW, APPLY);
    assert_eq!(r.status, status::APPLY_SAME, "{}", r.err);
    assert!(!r.err.contains("daemon"), "{}", r.err);
    assert_eq!(k.state.timeouts, linux_ipvs::Timeouts::new(900, 120, 300));
    assert_eq!(k.state.daemons, vec![backup]);
    assert!(!k.sent.iter().any(|c| is_state_change(c.kind())));
}

#[test]
fn a_scoped_apply_refuses_state_lines() {
    let scope = Scope::new(vec!["addr=192.0.2.0/24".parse().unwrap()]);
    let (d, err) = read(OLD_STATE, &scope);
    assert!(d.is_none());
    assert_eq!(
        err,
        format!("line 6: {SCOPED_STATE}\nline 7: {SCOPED_STATE}\n")
    );
    let (d, err) = read(
        &format!("{OLD_STATE}--start-daemon master --mcast-interface eth0\n"),
        &Scope::default(),
    );
    assert!(d.is_none());
    assert_eq!(
        err,
        "line 8: the master sync daemon is named twice (first on line 7)\n"
    );
}

#[test]
fn an_undo_puts_timeouts_and_daemons_back() {
    let mut k = MemKernel::new(OLD);
    let backup = with_backup(&mut k);
    k.refuse = Some(ChangeKind::AddService);
    k.refusals_left = 1;
    let file = format!("{NEW}--set 600 0 200\n--start-daemon master --mcast-interface eth1\n");
    let r = run(&mut k, &file, APPLY);
    assert_eq!(r.status, status::APPLY_UNDONE, "{}", r.err);
    // The timeouts and the backup's stop were sent first, the master's start after the
    // table's changes; then all was put back.
    let first_table = k.sent.iter().position(|c| !is_state_change(c.kind()));
    let first_start = k
        .sent
        .iter()
        .position(|c| matches!(c, linux_ipvs::Change::StartDaemon(_)));
    assert_eq!(first_table, Some(2), "{:?}", k.sent);
    assert!(first_start > first_table, "{:?}", k.sent);
    assert_eq!(k.state.timeouts, linux_ipvs::Timeouts::new(900, 120, 300));
    assert_eq!(k.state.daemons, vec![backup]);
    assert!(k.table.same_as(&table(OLD)));
}

#[test]
fn a_drain_holds_the_daemons_starts_until_it_ends() {
    // The web service's IPv6 real server (behind a tunnel) goes, draining, and the file
    // starts a master daemon: the kernel refuses the start while that server is in the
    // table, even at weight 0.
    let old = format!("{OLD}-a -t 192.0.2.1:80 -r [2001:db8::9]:80 -i -w 1\n");
    let mut k = MemKernel::new(&old);
    k.conns.insert(("2001:db8::9".parse().unwrap(), 80), 3);
    let file = format!("{NEW}--start-daemon master --mcast-interface eth1 --syncid 7\n");
    let dry = run(&mut k, &file, DRY);
    assert!(
        dry.out
            .ends_with("--start-daemon master --mcast-interface eth1 --syncid 7\n"),
        "the start is the plan's last line: {}",
        dry.out
    );
    let opts = ApplyOptions {
        drain: Some(Duration::from_secs(60)),
        ..APPLY
    };
    let r = run(&mut k, &file, opts);
    assert_eq!(r.status, status::APPLY_SAME, "{}", r.err);
    assert!(r.err.contains("; the sync daemons start then"), "{}", r.err);
    let v6 = |c: &Change| matches!(c, Change::DeleteDest(_, d) if d.addr.is_ipv6());
    let removal = k.sent.iter().position(v6);
    let start = k
        .sent
        .iter()
        .position(|c| matches!(c, Change::StartDaemon(_)));
    assert!(removal < start, "{:?}", k.sent);
    assert_eq!(k.state.daemons.len(), 1);
    assert!(k.table.same_as(&table(NEW)));
    let again = run(&mut k, &file, DRY);
    assert_eq!((again.status, again.out.as_str()), (status::APPLY_SAME, ""));
}

#[test]
fn a_drain_that_cannot_read_again_says_the_starts_were_not_sent() {
    let old = format!("{OLD}-a -t 192.0.2.1:80 -r [2001:db8::9]:80 -i -w 1\n");
    let mut k = MemKernel::new(&old);
    k.conns.insert(("2001:db8::9".parse().unwrap(), 80), 3);
    // The first round's read works, the second's fails.
    k.reads_left = Some(1);
    let file = format!("{NEW}--start-daemon master --mcast-interface eth1 --syncid 7\n");
    let opts = ApplyOptions {
        drain: Some(Duration::from_secs(60)),
        ..APPLY
    };
    let r = run(&mut k, &file, opts);
    assert_eq!(r.status, status::APPLY_DIFFERS, "{}", r.err);
    assert!(
        r.err.contains(
            "not sent, as the table could not be read again: --start-daemon master --mcast-interface eth1 --syncid 7"
        ),
        "{}",
        r.err
    );
    assert!(k.state.daemons.is_empty());
    assert!(!k.sent.iter().any(|c| matches!(c, Change::StartDaemon(_))));
}
