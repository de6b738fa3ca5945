//! The namespace-wide part of the desired state: protocol timeouts (`--set`) and the
//! connection-synchronisation daemons (`--start-daemon`, `--stop-daemon`).
//!
//! A rules file manages each of them only when it names it, so that a file of services
//! alone keeps meaning "these services": any `--set` line makes the timeouts it names
//! (non-zero values, later lines over earlier ones, as `ipvsadm -R` replays them) part of
//! the desired state; any `--start-daemon` or `--stop-daemon` line makes the set of daemons
//! exactly the started ones (a daemon the file does not start is stopped; `--stop-daemon`
//! alone says "no such daemon"). The plan from the kernel's state ([`Current`]) to the
//! file's ([`Wanted`]) is a [`StatePlan`] of the same changes `ipvsadm -R` would send, in
//! two parts: first one `--set` with the timeouts that differ and each daemon that must
//! go stopped, and last each daemon that must come started (new parameters: stopped,
//! then started again). The table's changes go between the two: the kernel refuses a
//! real server of the other address family while a sync daemon runs, and refuses to
//! start a daemon while such real servers exist, so a daemon's stop may be what lets the
//! table's changes add them, and the table's changes (a drain's removals included) may be
//! what lets a daemon start. A file
//! that leaves a daemon's optional parameter unset wants the kernel's default there
//! (group 224.0.0.81, port 8848, TTL 1; the message length the kernel derives from the
//! interface's MTU is accepted whatever it is).

use std::net::{IpAddr, Ipv4Addr};

use linux_ipvs::{Change, Daemon, DaemonState, Timeouts};

/// The kernel's multicast group when a daemon is started without one.
const DEFAULT_GROUP: IpAddr = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 81));
/// The kernel's multicast port when a daemon is started without one.
const DEFAULT_PORT: u16 = 8848;
/// The kernel's multicast TTL when a daemon is started without one.
const DEFAULT_TTL: u8 = 1;

/// The timeouts and daemons the kernel has now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Current {
    /// The protocol timeouts.
    pub timeouts: Timeouts,
    /// The running daemons.
    pub daemons: Vec<Daemon>,
}

/// What a daemon line of the file says about one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `--start-daemon`: this daemon runs, with these parameters.
    Run(Daemon),
    /// `--stop-daemon`: no daemon of this role.
    Stopped,
}

/// The timeouts and daemons a rules file wants; `None` where the file does not name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The timeouts of the `--set` lines (0: not named), if any.
    pub timeouts: Option<Timeouts>,
    /// Master and backup, as the daemon lines say (the line number each came from).
    pub master: Option<(usize, Role)>,
    /// See `master`.
    pub backup: Option<(usize, Role)>,
}

/// The changes from the kernel's timeouts and daemons to a file's, in the two places they
/// go around the table's changes (see the module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatePlan {
    /// The timeouts and the daemons' stops: sent before the table's changes.
    pub first: Vec<Change>,
    /// The daemons' starts: sent after the table's changes, once nothing is left draining.
    pub last: Vec<Change>,
}

impl StatePlan {
    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty() && self.last.is_empty()
    }

    /// Every change, in the order they are sent (the table's go between `first` and `last`).
    pub fn iter(&self) -> impl Iterator<Item = &Change> {
        self.first.iter().chain(&self.last)
    }
}

/// Why a state line cannot join the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict(pub String);

impl Wanted {
    /// Whether the file names timeouts or daemons at all.
    pub fn is_named(&self) -> bool {
        self.timeouts.is_some() || self.manages_daemons()
    }

    /// Whether the daemons are part of the desired state.
    pub fn manages_daemons(&self) -> bool {
        self.master.is_some() || self.backup.is_some()
    }

    /// The state that `now` is: every timeout and exactly its daemons (for an undo).
    pub fn exactly(now: &Current) -> Wanted {
        let mut w = Wanted {
            timeouts: Some(now.timeouts),
            master: Some((0, Role::Stopped)),
            backup: Some((0, Role::Stopped)),
        };
        for d in &now.daemons {
            *w.slot(d.state) = Some((0, Role::Run(d.clone())));
        }
        w
    }

    fn slot(&mut self, state: DaemonState) -> &mut Option<(usize, Role)> {
        match state {
            DaemonState::Master => &mut self.master,
            DaemonState::Backup => &mut self.backup,
        }
    }

    /// Takes in the change of line `line` if it is a state change (returns whether it
    /// was). A role named twice is a conflict (`ipvsadm -R` fails on the second start, and
    /// a start beside a stop of one role says two things).
    pub fn take(&mut self, line: usize, change: &Change) -> Result<bool, Conflict> {
        let (state, role) = match change {
            Change::SetTimeouts(t) => {
                let w = self.timeouts.get_or_insert_with(Timeouts::default);
                for (mine, new) in [
                    (&mut w.tcp, t.tcp),
                    (&mut w.tcp_fin, t.tcp_fin),
                    (&mut w.udp, t.udp),
                ] {
                    if new != 0 {
                        *mine = new;
                    }
                }
                return Ok(true);
            }
            Change::StartDaemon(d) => (d.state, Role::Run(d.clone())),
            Change::StopDaemon(d) => (d.state, Role::Stopped),
            _ => return Ok(false),
        };
        let slot = self.slot(state);
        if let Some((first, _)) = slot {
            return Err(Conflict(format!(
                "the {} sync daemon is named twice (first on line {first})",
                role_name(state)
            )));
        }
        *slot = Some((line, role));
        Ok(true)
    }

    /// The changes from `now` to this state: the timeouts and the daemons' stops first, their
    /// starts last.
    pub fn plan(&self, now: &Current) -> StatePlan {
        let mut changes = Vec::new();
        if let Some(want) = self.timeouts {
            let pick = |w: u32, n: u32| if w != 0 && w != n { w } else { 0 };
            let t = Timeouts::new(
                pick(want.tcp, now.timeouts.tcp),
                pick(want.tcp_fin, now.timeouts.tcp_fin),
                pick(want.udp, now.timeouts.udp),
            );
            if t != Timeouts::default() {
                changes.push(Change::SetTimeouts(t));
            }
        }
        if !self.manages_daemons() {
            return StatePlan {
                first: changes,
                last: Vec::new(),
            };
        }
        let mut starts = Vec::new();
        for (state, want) in [
            (DaemonState::Master, &self.master),
            (DaemonState::Backup, &self.backup),
        ] {
            let running = now.daemons.iter().find(|d| d.state == state);
            let want = match want {
                Some((_, Role::Run(d))) => Some(d),
                _ => None,
            };
            match (running, want) {
                (Some(r), Some(w)) if same(r, w) => {}
                (r, w) => {
                    if let Some(r) = r {
                        changes.push(Change::StopDaemon(r.clone()));
                    }
                    if let Some(w) = w {
                        starts.push(Change::StartDaemon(w.clone()));
                    }
                }
            }
        }
        StatePlan {
            first: changes,
            last: starts,
        }
    }

    /// How the file's state reads in a summary (`timeouts, 2 sync daemon(s)`), if it names any.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.timeouts.is_some() {
            parts.push("timeouts".to_string());
        }
        if self.manages_daemons() {
            let n = [&self.master, &self.backup]
                .iter()
                .filter(|r| matches!(r, Some((_, Role::Run(_)))))
                .count();
            parts.push(format!("{n} sync daemon(s)"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// `master` or `backup`.
pub fn role_name(state: DaemonState) -> &'static str {
    match state {
        DaemonState::Master => "master",
        DaemonState::Backup => "backup",
    }
}

/// Whether running daemon `r` is the one the file wants, `w`: the same interface and sync
/// id, and each optional parameter as the file sets it or, where it does not, the kernel's
/// default. A parameter the kernel does not report (an older kernel) is not compared.
fn same(r: &Daemon, w: &Daemon) -> bool {
    fn matches<T: PartialEq>(kernel: Option<T>, file: Option<T>, default: Option<T>) -> bool {
        match (kernel, file.or(default)) {
            (Some(k), Some(f)) => k == f,
            _ => true,
        }
    }
    r.mcast_ifn == w.mcast_ifn
        && r.syncid == w.syncid
        && matches(r.sync_maxlen, w.sync_maxlen, None)
        && matches(r.mcast_group, w.mcast_group, Some(DEFAULT_GROUP))
        && matches(r.mcast_port, w.mcast_port, Some(DEFAULT_PORT))
        && matches(r.mcast_ttl, w.mcast_ttl, Some(DEFAULT_TTL))
}

/// The kernel's state counts of a plan: timeouts set, daemons started, restarted, stopped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// A `--set` is in the plan.
    pub timeouts: bool,
    /// Daemons started that were not running.
    pub started: usize,
    /// Daemons stopped and started again with new parameters.
    pub restarted: usize,
    /// Daemons stopped.
    pub stopped: usize,
}

impl Counts {
    /// The counts of a state plan (see [`Wanted::plan`]).
    pub fn of(plan: &StatePlan) -> Counts {
        let mut c = Counts::default();
        let mut stops = Vec::new();
        for ch in plan.iter() {
            match ch {
                Change::SetTimeouts(_) => c.timeouts = true,
                Change::StopDaemon(d) => stops.push(d.state),
                Change::StartDaemon(d) if stops.contains(&d.state) => {
                    stops.retain(|s| *s != d.state);
                    c.restarted += 1;
                }
                Change::StartDaemon(_) => c.started += 1,
                _ => {}
            }
        }
        c.stopped = stops.len();
        c
    }

    /// `; timeouts set; sync daemons: 1 started, ...` for a summary (empty without any).
    /// `verbs` are the words for set, started, restarted and stopped.
    pub fn suffix(&self, verbs: [&str; 4]) -> String {
        let mut s = String::new();
        if self.timeouts {
            s.push_str(&format!("; timeouts {}", verbs[0]));
        }
        if self.started + self.restarted + self.stopped > 0 {
            s.push_str(&format!(
                "; sync daemons: {} {}, {} {}, {} {}",
                self.started, verbs[1], self.restarted, verbs[2], self.stopped, verbs[3]
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_ipvs::Name;

    fn daemon(state: DaemonState, ifn: &str, syncid: u32) -> Daemon {
        Daemon::new(state, Name::truncated(ifn.as_bytes()), syncid)
    }

    /// A daemon as a 6.1 kernel reports it: every parameter, defaults filled in.
    fn reported(state: DaemonState, ifn: &str, syncid: u32) -> Daemon {
        let mut d = daemon(state, ifn, syncid);
        d.sync_maxlen = Some(1472);
        d.mcast_group = Some(DEFAULT_GROUP);
        d.mcast_port = Some(DEFAULT_PORT);
        d.mcast_ttl = Some(DEFAULT_TTL);
        d
    }

    /// A plan's changes in the order they are sent.
    fn all(p: StatePlan) -> Vec<Change> {
        p.iter().cloned().collect()
    }

    fn wanted(changes: &[Change]) -> Result<Wanted, Conflict> {
        let mut w = Wanted::default();
        for (i, c) in changes.iter().enumerate() {
            assert!(w.take(i + 1, c)?);
        }
        Ok(w)
    }

    #[test]
    fn a_file_without_state_lines_plans_nothing() {
        let now = Current {
            timeouts: Timeouts::new(900, 120, 300),
            daemons: vec![reported(DaemonState::Master, "eth0", 1)],
        };
        let w = Wanted::default();
        assert!(!w.is_named());
        assert_eq!(all(w.plan(&now)), vec![]);
        assert_eq!(w.describe(), None);
    }

    #[test]
    fn timeouts_merge_and_only_differences_are_set() {
        let w = wanted(&[
            Change::SetTimeouts(Timeouts::new(600, 0, 0)),
            Change::SetTimeouts(Timeouts::new(0, 120, 200)),
        ])
        .unwrap();
        assert_eq!(w.timeouts, Some(Timeouts::new(600, 120, 200)));
        let now = Current {
            timeouts: Timeouts::new(900, 120, 300),
            daemons: vec![],
        };
        assert_eq!(
            all(w.plan(&now)),
            vec![Change::SetTimeouts(Timeouts::new(600, 0, 200))]
        );
        let now = Current {
            timeouts: Timeouts::new(600, 120, 200),
            ..now
        };
        assert_eq!(all(w.plan(&now)), vec![]);
        // Daemons are not the file's: a running one stays.
        let now = Current {
            daemons: vec![reported(DaemonState::Backup, "eth0", 3)],
            ..now
        };
        assert_eq!(all(w.plan(&now)), vec![]);
    }

    #[test]
    fn daemons_start_restart_and_stop_to_match() {
        let master = daemon(DaemonState::Master, "eth1", 7);
        let w = wanted(&[Change::StartDaemon(master.clone())]).unwrap();
        let backup = reported(DaemonState::Backup, "eth0", 3);
        let now = Current {
            timeouts: Timeouts::new(900, 120, 300),
            daemons: vec![backup.clone()],
        };
        // The unnamed backup stops, the master starts; stops come first.
        let p = w.plan(&now);
        assert_eq!(
            all(p.clone()),
            vec![
                Change::StopDaemon(backup.clone()),
                Change::StartDaemon(master.clone())
            ]
        );
        assert_eq!(
            Counts::of(&p),
            Counts {
                timeouts: false,
                started: 1,
                restarted: 0,
                stopped: 1
            }
        );
        // The kernel's defaults are what a file without the parameters wants.
        let now = Current {
            daemons: vec![reported(DaemonState::Master, "eth1", 7)],
            ..now
        };
        assert_eq!(all(w.plan(&now)), vec![]);
        // A parameter that differs from the default restarts it.
        let mut moved = reported(DaemonState::Master, "eth1", 7);
        moved.mcast_port = Some(9000);
        let now = Current {
            daemons: vec![moved.clone()],
            ..now
        };
        let p = w.plan(&now);
        assert_eq!(
            all(p.clone()),
            vec![Change::StopDaemon(moved), Change::StartDaemon(master)]
        );
        assert_eq!(Counts::of(&p).restarted, 1);
        // An older kernel reports only the three mandatory settings.
        let now = Current {
            daemons: vec![daemon(DaemonState::Master, "eth1", 7)],
            ..now
        };
        assert_eq!(all(w.plan(&now)), vec![]);
    }

    #[test]
    fn stop_lines_alone_stop_every_daemon() {
        let w = wanted(&[Change::StopDaemon(daemon(DaemonState::Master, "", 0))]).unwrap();
        assert!(w.manages_daemons());
        let running = vec![
            reported(DaemonState::Master, "eth0", 1),
            reported(DaemonState::Backup, "eth0", 1),
        ];
        let now = Current {
            timeouts: Timeouts::default(),
            daemons: running.clone(),
        };
        assert_eq!(
            all(w.plan(&now)),
            running
                .into_iter()
                .map(Change::StopDaemon)
                .collect::<Vec<_>>()
        );
        assert_eq!(w.describe().as_deref(), Some("0 sync daemon(s)"));
    }

    #[test]
    fn a_role_named_twice_is_a_conflict() {
        let mut w = Wanted::default();
        let m = daemon(DaemonState::Master, "eth0", 1);
        w.take(3, &Change::StartDaemon(m.clone())).unwrap();
        let e = w.take(5, &Change::StopDaemon(m)).unwrap_err();
        assert_eq!(
            e.0,
            "the master sync daemon is named twice (first on line 3)"
        );
        assert!(!w.take(6, &Change::Flush).unwrap());
    }

    #[test]
    fn exactly_gives_back_what_was_read() {
        let now = Current {
            timeouts: Timeouts::new(900, 120, 300),
            daemons: vec![reported(DaemonState::Backup, "eth0", 3)],
        };
        let back = Wanted::exactly(&now);
        let later = Current {
            timeouts: Timeouts::new(600, 120, 300),
            daemons: vec![reported(DaemonState::Master, "eth1", 7)],
        };
        assert_eq!(
            all(back.plan(&later)),
            vec![
                Change::SetTimeouts(Timeouts::new(900, 0, 0)),
                Change::StopDaemon(later.daemons[0].clone()),
                Change::StartDaemon(now.daemons[0].clone()),
            ]
        );
        assert_eq!(all(back.plan(&now)), vec![]);
    }
}
