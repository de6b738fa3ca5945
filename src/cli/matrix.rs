//! The legality tables as data: which options each command requires, allows, forbids or
//! allows only one of (spec section 5), and the same for the tunnel types (spec 8.1). One
//! checker walks a table in option-index order, so the first violation found is the one
//! the reference reports.

/// Option slots, in the order of the option-name table (index = error precedence).
pub const OPT_NAMES: [&str; 34] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
];

/// Index of each option slot in [`OPT_NAMES`].
#[allow(missing_docs)]
pub mod slot {
    pub const NUMERIC: usize = 0;
    pub const CONNECTION: usize = 1;
    pub const SERVICE: usize = 2;
    pub const SCHEDULER: usize = 3;
    pub const PERSISTENT: usize = 4;
    pub const NETMASK: usize = 5;
    pub const REAL_SERVER: usize = 6;
    pub const FORWARD: usize = 7;
    pub const WEIGHT: usize = 8;
    pub const U_THRESHOLD: usize = 9;
    pub const L_THRESHOLD: usize = 10;
    pub const MCAST_IFN: usize = 11;
    pub const TIMEOUT: usize = 12;
    pub const DAEMON: usize = 13;
    pub const STATS: usize = 14;
    pub const RATE: usize = 15;
    pub const THRESHOLDS: usize = 16;
    pub const PERSISTENT_CONN: usize = 17;
    pub const NOSORT: usize = 18;
    pub const SYNCID: usize = 19;
    pub const EXACT: usize = 20;
    pub const OPS: usize = 21;
    pub const PE: usize = 22;
    pub const SCHED_FLAGS: usize = 23;
    pub const MCAST_GROUP: usize = 24;
    pub const MCAST_PORT: usize = 25;
    pub const MCAST_TTL: usize = 26;
    pub const SYNC_MAXLEN: usize = 27;
    pub const TUN_INFO: usize = 28;
    pub const TUN_TYPE: usize = 29;
    pub const TUN_PORT: usize = 30;
    pub const TUN_NOCSUM: usize = 31;
    pub const TUN_CSUM: usize = 32;
    pub const TUN_REMCSUM: usize = 33;
}

/// Commands, in the column order of [`COMMAND_MATRIX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    AddService,
    EditService,
    DeleteService,
    Flush,
    List,
    AddServer,
    DeleteServer,
    EditServer,
    Set,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

impl Command {
    /// The column of this command in the matrix.
    fn column(self) -> usize {
        self as usize
    }
    /// The name used in messages.
    pub fn name(self) -> &'static str {
        COMMAND_NAMES[self.column()]
    }
}

/// Command names used in messages, in column order.
pub const COMMAND_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// Command × option legality. One row per option slot; one character per command, columns
/// `-A -E -D -C -L -a -d -e --set --start --stop -R -S -Z`.
/// `+` required, `.` optional, `1` at most one of the `1` options, `x` illegal.
pub const COMMAND_MATRIX: [&str; 34] = [
    //A E D C L a d e T S P R V Z
    "xxxx.xxxxxxx.x", // numeric
    "xxxx1xxxxxxxxx", // connection
    "+++x1+++xxxxx.", // service-address
    "..xxxxxxxxxxxx", // scheduler
    "..xxxxxxxxxxxx", // persistent
    "..xxxxxxxxxxxx", // netmask
    "xxxxx+++xxxxxx", // real-server
    "xxxxx.x.xxxxxx", // forwarding-method
    "xxxxx.x.xxxxxx", // weight
    "xxxxx.x.xxxxxx", // u-threshold
    "xxxxx.x.xxxxxx", // l-threshold
    "xxxxxxxxx.xxxx", // mcast-interface
    "xxxx1xxxxxxxxx", // timeout
    "xxxx1xxxxxxxxx", // daemon
    "xxxx.xxxxxxxxx", // stats
    "xxxx.xxxxxxxxx", // rate
    "xxxx.xxxxxxxxx", // thresholds
    "xxxx.xxxxxxxxx", // persistent-conn
    "xxxx.xxxxxxxxx", // nosort
    "xxxx.xxxx..xxx", // syncid
    "xxxx.xxxxxxxxx", // exact
    "..xxxxxxxxxxxx", // ops
    "..xxxxxxxxxxxx", // pe
    "..xxxxxxxxxxxx", // sched-flags
    "xxxxxxxxx.xxxx", // mcast-group
    "xxxxxxxxx.xxxx", // mcast-port
    "xxxxxxxxx.xxxx", // mcast-ttl
    "xxxxxxxxx.xxxx", // sync-maxlen
    "xxxx.xxxxxxxxx", // tun-info
    "xxxxx.x.xxxxxx", // tun-type
    "xxxxx.x.xxxxxx", // tun-port
    "xxxxx.x.xxxxxx", // tun-nocsum
    "xxxxx.x.xxxxxx", // tun-csum
    "xxxxx.x.xxxxxx", // tun-remcsum
];

/// Tunnel type names used in messages, in column order of [`TUNNEL_MATRIX`].
pub const TUNNEL_NAMES: [&str; 3] = ["ipip", "gue", "gre"];

/// Tunnel type × tunnel option legality: rows `(slot, columns ipip gue gre)`.
pub const TUNNEL_MATRIX: [(usize, &str); 4] = [
    (slot::TUN_PORT, "x+x"),
    (slot::TUN_NOCSUM, "x11"),
    (slot::TUN_CSUM, "x11"),
    (slot::TUN_REMCSUM, "x1x"),
];

/// Checks a set of given option slots against one column of a table. `rows` yields
/// `(slot, row)` pairs in precedence order; `what` completes the messages (`'add-service'
/// command`, `'gue' tunnel type`). Out of line: it only runs for a line with an error.
#[inline(never)]
fn check<'a>(
    rows: impl Iterator<Item = (usize, &'a str)>,
    column: usize,
    given: u64,
    what: (&str, &str),
) -> Result<(), String> {
    // `what` is (name, kind): formatted only when there is something to report.
    let what = Lazy(what);
    let mut first_exclusive: Option<usize> = None;
    for (slot, row) in rows {
        let rule = row.as_bytes()[column];
        let name = OPT_NAMES[slot];
        if given & (1 << slot) == 0 {
            if rule == b'+' {
                return Err(format!(
                    "You need to supply the '{name}' option for the {what}"
                ));
            }
            continue;
        }
        match rule {
            b'x' => return Err(format!("Illegal '{name}' option with the {what}")),
            b'1' => match first_exclusive {
                None => first_exclusive = Some(slot),
                Some(first) => {
                    return Err(format!(
                        "The option '{name}' conflicts with the '{}' option in the {what}",
                        OPT_NAMES[first]
                    ));
                }
            },
            _ => {}
        }
    }
    Ok(())
}

/// Displays as `'NAME' KIND` (`'add-service' command`) without building a string first:
/// the checks run for every restore line, and the text is only needed for an error.
struct Lazy<'a>((&'a str, &'a str));

impl std::fmt::Display for Lazy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' {}", self.0.0, self.0.1)
    }
}

/// A command's column of the table as bit masks over option slots.
#[derive(Clone, Copy)]
struct Masks {
    required: u64,
    illegal: u64,
    exclusive: u64,
}

/// The masks of a column of a table given as `(slot, row)` pairs, derived from the table
/// (so the table stays the one source) when the program is compiled.
const fn masks(rows: &[(usize, &str)], column: usize) -> Masks {
    let mut m = Masks {
        required: 0,
        illegal: 0,
        exclusive: 0,
    };
    let mut i = 0;
    while i < rows.len() {
        let (slot, row) = rows[i];
        let bit = 1u64 << slot;
        match row.as_bytes()[column] {
            b'+' => m.required |= bit,
            b'x' => m.illegal |= bit,
            b'1' => m.exclusive |= bit,
            _ => {}
        }
        i += 1;
    }
    m
}

/// [`COMMAND_MATRIX`] as `(slot, row)` pairs.
const COMMAND_ROWS: [(usize, &str); COMMAND_MATRIX.len()] = {
    let mut rows = [(0, ""); COMMAND_MATRIX.len()];
    let mut slot = 0;
    while slot < rows.len() {
        rows[slot] = (slot, COMMAND_MATRIX[slot]);
        slot += 1;
    }
    rows
};

/// The masks of every column of [`COMMAND_MATRIX`].
const COMMAND_MASKS: [Masks; COMMAND_NAMES.len()] = {
    let none = Masks {
        required: 0,
        illegal: 0,
        exclusive: 0,
    };
    let mut all = [none; COMMAND_NAMES.len()];
    let mut column = 0;
    while column < all.len() {
        all[column] = masks(&COMMAND_ROWS, column);
        column += 1;
    }
    all
};

/// The masks of every column of [`TUNNEL_MATRIX`].
const TUNNEL_MASKS: [Masks; TUNNEL_NAMES.len()] = [
    masks(&TUNNEL_MATRIX, 0),
    masks(&TUNNEL_MATRIX, 1),
    masks(&TUNNEL_MATRIX, 2),
];

impl Masks {
    /// Whether `given` satisfies the column: most command lines do, and then the table
    /// walk that names the first violation is not needed.
    fn allow(self, given: u64) -> bool {
        given & self.required == self.required
            && given & self.illegal == 0
            && (given & self.exclusive).count_ones() <= 1
    }
}

/// Checks the given option slots (a bit per slot) against a command's column. Inlined, so
/// that for a known command the masks are constants.
#[inline]
pub fn check_command(cmd: Command, given: u64) -> Result<(), String> {
    if COMMAND_MASKS[cmd.column()].allow(given) {
        return Ok(());
    }
    check(
        COMMAND_MATRIX.iter().copied().enumerate(),
        cmd.column(),
        given,
        (cmd.name(), "command"),
    )
}

/// Checks the given tunnel option slots against a tunnel type's column (0 ipip, 1 gue, 2 gre).
#[inline]
pub fn check_tunnel(tun_type: usize, given: u64) -> Result<(), String> {
    // Only the tunnel slots count; the masks cover nothing else.
    if TUNNEL_MASKS[tun_type].allow(given) {
        return Ok(());
    }
    check(
        TUNNEL_MATRIX.iter().copied(),
        tun_type,
        given,
        (TUNNEL_NAMES[tun_type], "tunnel type"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(slots: &[usize]) -> u64 {
        slots.iter().fold(0, |b, s| b | (1 << s))
    }

    const ALL: [Command; 14] = [
        Command::AddService,
        Command::EditService,
        Command::DeleteService,
        Command::Flush,
        Command::List,
        Command::AddServer,
        Command::DeleteServer,
        Command::EditServer,
        Command::Set,
        Command::StartDaemon,
        Command::StopDaemon,
        Command::Restore,
        Command::Save,
        Command::Zero,
    ];

    #[test]
    fn mask_fast_path_agrees_with_the_table_walk() {
        // Many generated option sets, for every command.
        let mut rng = super::super::rng::XorShift::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let x = rng.next();
            let given = x & ((1u64 << COMMAND_MATRIX.len()) - 1);
            // Sparse sets too: most real command lines give few options.
            let given = if x & 1 == 0 {
                given & (given >> 3) & (given >> 7)
            } else {
                given
            };
            for (col, name) in COMMAND_NAMES.iter().enumerate() {
                let slow = check(
                    COMMAND_MATRIX.iter().copied().enumerate(),
                    col,
                    given,
                    (name, "command"),
                );
                let cmd = ALL[col];
                assert_eq!(cmd.column(), col);
                assert_eq!(check_command(cmd, given), slow, "{name} {given:#x}");
            }
            for (col, name) in TUNNEL_NAMES.iter().enumerate() {
                let slow = check(
                    TUNNEL_MATRIX.iter().copied(),
                    col,
                    given,
                    (name, "tunnel type"),
                );
                assert_eq!(check_tunnel(col, given), slow, "{name} {given:#x}");
            }
        }
        // Every subset of the tunnel slots (contiguous, from tun-type on), with and without
        // other options.
        assert_eq!(slot::TUN_REMCSUM, slot::TUN_TYPE + 4);
        for sub in 0..32u64 {
            let given = sub << slot::TUN_TYPE;
            for extra in [0, bits(&[slot::WEIGHT, slot::REAL_SERVER])] {
                for (col, name) in TUNNEL_NAMES.iter().enumerate() {
                    let g = given | extra;
                    let slow = check(TUNNEL_MATRIX.iter().copied(), col, g, (name, "tunnel type"));
                    assert_eq!(check_tunnel(col, g), slow, "{name} {g:#x}");
                }
            }
        }
    }

    #[test]
    fn table_shape() {
        for row in COMMAND_MATRIX {
            assert_eq!(row.len(), COMMAND_NAMES.len());
            assert!(row.bytes().all(|b| b"+.1x".contains(&b)));
        }
    }

    #[test]
    fn precedence() {
        assert_eq!(
            check_command(Command::AddServer, bits(&[slot::REAL_SERVER])),
            Err(
                "You need to supply the 'service-address' option for the 'add-server' command"
                    .into()
            )
        );
        assert_eq!(
            check_command(Command::Flush, bits(&[slot::NUMERIC, slot::SERVICE])),
            Err("Illegal 'numeric' option with the 'flush' command".into())
        );
        assert_eq!(
            check_command(Command::List, bits(&[slot::CONNECTION, slot::SERVICE])),
            Err(
                "The option 'service-address' conflicts with the 'connection' option in the 'list' command"
                    .into()
            )
        );
        assert_eq!(
            check_command(Command::List, bits(&[slot::TIMEOUT, slot::DAEMON])),
            Err(
                "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"
                    .into()
            )
        );
        assert_eq!(check_command(Command::Zero, 0), Ok(()));
        assert_eq!(check_tunnel(0, 0), Ok(()));
        assert_eq!(
            check_tunnel(1, 0),
            Err("You need to supply the 'tun-port' option for the 'gue' tunnel type".into())
        );
        assert_eq!(
            check_tunnel(1, bits(&[slot::TUN_PORT, slot::TUN_NOCSUM, slot::TUN_CSUM])),
            Err("The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type".into())
        );
        assert_eq!(
            check_tunnel(2, bits(&[slot::TUN_CSUM, slot::TUN_REMCSUM])),
            Err("Illegal 'tun-remcsum' option with the 'gre' tunnel type".into())
        );
        assert_eq!(
            check_tunnel(0, bits(&[slot::TUN_PORT])),
            Err("Illegal 'tun-port' option with the 'ipip' tunnel type".into())
        );
    }
}
