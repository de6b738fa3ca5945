//! The `-h` help text, made from the catalogue (our own wording of the same commands and
//! options, deviation D8 in the README), and the `-v` version line, which starts with
//! `ipvsadm v1.31` so that version checks in scripts keep working, then names this
//! implementation.

use super::catalogue::{OPTIONS, OptDef, Role, Section, Value};

/// The version line printed by `-v` (without the trailing newline).
pub const VERSION_LINE: &str = concat!(
    "ipvsadm v1.31 2019/12/24 (ipvsadm-rs ",
    env!("CARGO_PKG_VERSION"),
    ", generic netlink)"
);

/// Where the descriptions start.
const COLUMN: usize = 36;

/// The sections of the help, in order: heading, and a note after the section's lines.
const SECTIONS: [(Section, &str, &str); 4] = [
    (
        Section::Command,
        "Commands (give exactly one, as the first option):",
        "",
    ),
    (
        Section::Service,
        "virtual-service is one of:",
        "an IPv6 address is written in brackets when a port follows: [2001:db8::1]:80",
    ),
    (Section::Option, "Options:", ""),
    (Section::Daemon, "Daemon options:", ""),
];

/// How an option is written in the help: `-L, -l, --list`, then its value's name.
fn spelling(d: &OptDef) -> String {
    let mut s: Vec<String> = d.shorts.chars().map(|c| format!("-{c}")).collect();
    s.push(format!("--{}", d.long));
    let mut out = s.join(", ");
    if d.shorts.is_empty() {
        // Long-only options line up with the long names of the others.
        out.insert_str(0, "    ");
    }
    if !d.value_name.is_empty() {
        out.push(' ');
        out.push_str(d.value_name);
    }
    out
}

/// The help text for a program name (as invoked: bytes), ending in a newline.
pub fn help_text(prog: &[u8]) -> Vec<u8> {
    let text = help_with("\u{0}");
    // The program name stands where the placeholder is.
    let mut out = Vec::with_capacity(text.len() + 16 * prog.len());
    for (i, piece) in text.split('\u{0}').enumerate() {
        if i > 0 {
            out.extend_from_slice(prog);
        }
        out.extend_from_slice(piece.as_bytes());
    }
    out
}

/// The help text with `prog` for the program name.
fn help_with(prog: &str) -> String {
    let mut s = String::new();
    s.push_str(VERSION_LINE);
    s.push_str("\nUsage:\n");
    for d in OPTIONS {
        match d.role {
            Role::Command(_) => {
                let short = d.shorts.chars().next();
                let name = match short {
                    Some(c) => format!("-{c}"),
                    None => format!("--{}", d.long),
                };
                s.push_str(&format!("  {prog} {name}"));
                if !d.usage.is_empty() {
                    s.push(' ');
                    s.push_str(d.usage);
                }
                s.push('\n');
            }
            Role::Info => s.push_str(&format!("  {prog} -{}\n", d.shorts)),
            _ => {}
        }
    }
    for (section, heading, note) in SECTIONS {
        s.push('\n');
        s.push_str(heading);
        s.push('\n');
        for d in OPTIONS.iter().filter(|d| d.section == section) {
            let left = format!("  {}", spelling(d));
            s.push_str(&left);
            if left.len() + 2 > COLUMN {
                s.push('\n');
                s.push_str(&" ".repeat(COLUMN));
            } else {
                s.push_str(&" ".repeat(COLUMN - left.len()));
            }
            s.push_str(d.help);
            // The words a value is one of, unless the value's name shows them already.
            if let Value::Words(words) = d.value
                && !d.value_name.contains('|')
            {
                let list: Vec<&str> = words.list().iter().map(|w| w.word).collect();
                let text = format!("one of {}", list.join("|"));
                let line = s.len() - s.rfind('\n').map_or(0, |i| i + 1);
                if line + 2 + text.len() > 100 {
                    s.push_str(",\n");
                    s.push_str(&" ".repeat(COLUMN));
                } else {
                    s.push_str(", ");
                }
                s.push_str(&text);
            }
            s.push('\n');
        }
        if !note.is_empty() {
            s.push_str(&format!("  ({note})\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_line() {
        assert!(VERSION_LINE.starts_with("ipvsadm v1.31 2019/12/24 (ipvsadm-rs "));
    }

    #[test]
    fn help_uses_prog_and_names_every_option() {
        let h = String::from_utf8(help_text(b"/usr/sbin/ipvsadm")).unwrap();
        assert!(h.starts_with(VERSION_LINE));
        assert!(h.contains("\n  /usr/sbin/ipvsadm -C\n"));
        assert!(h.contains("\n  /usr/sbin/ipvsadm --set tcp tcpfin udp\n"));
        assert!(h.contains("\n  /usr/sbin/ipvsadm -h\n"));
        assert!(h.ends_with("(1..255)\n"));
        for o in super::super::option_spellings() {
            assert!(h.contains(&o), "{o}");
        }
        for line in help_with("ipvsadm").lines() {
            assert!(line.len() <= 100, "{line}");
        }
        assert!(h.contains("wrr|"), "the schedulers are listed");
    }
}
