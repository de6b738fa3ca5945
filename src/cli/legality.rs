//! The legality checks: which options each command requires, allows, forbids or allows only
//! one of, and the same for the tunnel options and tunnel types. The table is the
//! catalogue's ([`super::catalogue::TABLE`], one row per option name); one checker walks a
//! column row by row in rank order, so the first violation found is the one the reference
//! reports. For the common case of no violation, each column is also kept as bit masks,
//! derived from the table when the program is compiled.

use super::catalogue::{COMMANDS, Command, Row, TABLE};
use crate::vocab::TUNNEL_TYPES;

/// The bit of a row in a set of given options.
pub const fn bit(row: Row) -> u64 {
    1 << row.rank
}

/// Checks a set of given options (a bit per rank) against one column of a table. `rows`
/// yields `(row, column string)` pairs in rank order; `what` completes the messages
/// (`'add-service' command`, `'gue' tunnel type`). Out of line: it only runs for a line with
/// an error.
#[inline(never)]
fn check(
    rows: impl Iterator<Item = (Row, &'static str)>,
    column: usize,
    given: u64,
    what: (&str, &str),
) -> Result<(), String> {
    // `what` is (name, kind): formatted only when there is something to report.
    let what = Lazy(what);
    let mut first_exclusive: Option<&str> = None;
    for (row, rules) in rows {
        let rule = rules.as_bytes()[column];
        let name = row.name;
        if given & bit(row) == 0 {
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
                None => first_exclusive = Some(name),
                Some(first) => {
                    return Err(format!(
                        "The option '{name}' conflicts with the '{first}' option in the {what}"
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

/// A column of a table as bit masks over the rows' bits.
#[derive(Clone, Copy)]
struct Masks {
    required: u64,
    illegal: u64,
    exclusive: u64,
}

/// The masks of a column of the command table (`tunnels` false) or of the tunnel table.
const fn masks(column: usize, tunnels: bool) -> Masks {
    let mut m = Masks {
        required: 0,
        illegal: 0,
        exclusive: 0,
    };
    let mut i = 0;
    while i < TABLE.len() {
        let row = TABLE[i];
        let rules = if tunnels {
            match row.tunnels {
                Some(t) => t,
                None => {
                    i += 1;
                    continue;
                }
            }
        } else {
            row.commands
        };
        let b = bit(row);
        match rules.as_bytes()[column] {
            b'+' => m.required |= b,
            b'x' => m.illegal |= b,
            b'1' => m.exclusive |= b,
            _ => {}
        }
        i += 1;
    }
    m
}

/// The masks of every column of the command table.
const COMMAND_MASKS: [Masks; COMMANDS.len()] = {
    let none = Masks {
        required: 0,
        illegal: 0,
        exclusive: 0,
    };
    let mut all = [none; COMMANDS.len()];
    let mut column = 0;
    while column < all.len() {
        all[column] = masks(column, false);
        column += 1;
    }
    all
};

/// The masks of every column of the tunnel table.
const TUNNEL_MASKS: [Masks; TUNNEL_TYPES.len()] = [masks(0, true), masks(1, true), masks(2, true)];

/// The command table's rows with their command columns, in rank order.
fn command_rows() -> impl Iterator<Item = (Row, &'static str)> {
    TABLE.iter().map(|r| (*r, r.commands))
}

/// The tunnel table's rows with their tunnel columns, in rank order.
fn tunnel_rows() -> impl Iterator<Item = (Row, &'static str)> {
    TABLE.iter().filter_map(|r| Some((*r, r.tunnels?)))
}

impl Masks {
    /// Whether `given` satisfies the column: most command lines do, and then the table
    /// walk that names the first violation is not needed.
    fn allow(self, given: u64) -> bool {
        given & self.required == self.required
            && given & self.illegal == 0
            && (given & self.exclusive).count_ones() <= 1
    }
}

/// Checks the given options (a bit per rank) against a command's column. Inlined, so that
/// for a known command the masks are constants.
#[inline]
pub fn check_command(cmd: Command, given: u64) -> Result<(), String> {
    if COMMAND_MASKS[cmd.column()].allow(given) {
        return Ok(());
    }
    check(command_rows(), cmd.column(), given, (cmd.name(), "command"))
}

/// Checks the given options against a tunnel type's column (its place in
/// [`TUNNEL_TYPES`]). Only the tunnel options count.
#[inline]
pub fn check_tunnel(column: usize, given: u64) -> Result<(), String> {
    if TUNNEL_MASKS[column].allow(given) {
        return Ok(());
    }
    check(
        tunnel_rows(),
        column,
        given,
        (TUNNEL_TYPES[column].1.word, "tunnel type"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::{Opt, row_of};
    use super::*;

    fn bits(opts: &[Opt]) -> u64 {
        opts.iter().fold(0, |b, o| b | bit(row_of(*o).unwrap()))
    }

    #[test]
    fn mask_fast_path_agrees_with_the_table_walk() {
        // Many generated option sets, for every command.
        let mut rng = super::super::rng::XorShift::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let x = rng.next();
            let given = x & ((1u64 << TABLE.len()) - 1);
            // Sparse sets too: most real command lines give few options.
            let given = if x & 1 == 0 {
                given & (given >> 3) & (given >> 7)
            } else {
                given
            };
            for cmd in COMMANDS {
                let slow = check(command_rows(), cmd.column(), given, (cmd.name(), "command"));
                assert_eq!(check_command(cmd, given), slow, "{} {given:#x}", cmd.name());
            }
            for (col, (_, w)) in TUNNEL_TYPES.iter().enumerate() {
                let slow = check(tunnel_rows(), col, given, (w.word, "tunnel type"));
                assert_eq!(check_tunnel(col, given), slow, "{} {given:#x}", w.word);
            }
        }
        // Every subset of the tunnel options, with and without other options.
        let tunnel: Vec<u64> = tunnel_rows().map(|(r, _)| bit(r)).collect();
        assert_eq!(tunnel.len(), 4);
        for sub in 0..16usize {
            let given: u64 = (0..4)
                .filter(|i| sub & (1 << i) != 0)
                .map(|i| tunnel[i])
                .sum();
            for extra in [0, bits(&[Opt::Weight, Opt::RealServer, Opt::TunType])] {
                for (col, (_, w)) in TUNNEL_TYPES.iter().enumerate() {
                    let g = given | extra;
                    let slow = check(tunnel_rows(), col, g, (w.word, "tunnel type"));
                    assert_eq!(check_tunnel(col, g), slow, "{} {g:#x}", w.word);
                }
            }
        }
    }

    #[test]
    fn precedence() {
        assert_eq!(
            check_command(Command::AddServer, bits(&[Opt::RealServer])),
            Err(
                "You need to supply the 'service-address' option for the 'add-server' command"
                    .into()
            )
        );
        assert_eq!(
            check_command(Command::Flush, bits(&[Opt::Numeric, Opt::TcpService])),
            Err("Illegal 'numeric' option with the 'flush' command".into())
        );
        assert_eq!(
            check_command(Command::List, bits(&[Opt::Connection, Opt::FwmarkService])),
            Err(
                "The option 'service-address' conflicts with the 'connection' option in the 'list' command"
                    .into()
            )
        );
        assert_eq!(
            check_command(Command::List, bits(&[Opt::Timeout, Opt::Daemon])),
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
            check_tunnel(1, bits(&[Opt::TunPort, Opt::TunNocsum, Opt::TunCsum])),
            Err("The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type".into())
        );
        assert_eq!(
            check_tunnel(2, bits(&[Opt::TunCsum, Opt::TunRemcsum])),
            Err("Illegal 'tun-remcsum' option with the 'gre' tunnel type".into())
        );
        assert_eq!(
            check_tunnel(0, bits(&[Opt::TunPort])),
            Err("Illegal 'tun-port' option with the 'ipip' tunnel type".into())
        );
    }
}
