//! `--apply` on the host: rules files read into tables, and the rounds against a kernel kept
//! in memory (a [`Table`] whose real servers lose a connection at every read).

use std::collections::HashMap;

use super::*;
use crate::names::StaticNames;

fn rules(text: &str) -> (Option<Table>, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let t = read_rules(
        b"ipvsadm",
        &mut text.as_bytes(),
        &Scope::default(),
        &StaticNames::default(),
        &mut Streams::new(&mut out, &mut err),
    );
    (t.ok(), String::from_utf8(err).unwrap())
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
    /// The weight and connections of each real server when it was removed.
    removed_with: Vec<(i32, u32)>,
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
            removed_with: Vec::new(),
        }
    }
}

impl Kernel for MemKernel {
    fn read(&mut self) -> Result<ConsistentSnapshot, Error> {
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
                self.table.apply(c)
            })
            .collect())
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
        &table(desired),
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
};
const APPLY: ApplyOptions = ApplyOptions {
    dry_run: false,
    drain: None,
    json: false,
    allow_empty: false,
    scope: Scope::new(Vec::new()),
    wait: Duration::ZERO,
    check: false,
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
         line 4: not a rule of the service table (--apply takes -A, -E, -D, -a, -e, -d and -C)\n\
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
