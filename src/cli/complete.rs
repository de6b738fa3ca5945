//! The shell completions (bash, zsh, fish) and the packaging tests' option list, made from
//! the catalogue: the commands offered first, the options each command allows (its column
//! of the legality table), and what each option's value completes to. The committed files
//! under `completions/` and `tests/ship/options.txt` are this module's output; a test fails
//! when they differ, and `make generate` writes them again.

use std::fmt::Write;

use super::catalogue::{ArgKind, COMMANDS, Command, OPTIONS, OptDef, Role, Value};
use crate::vocab::{self, Words};

/// The line that opens every generated file (after a shell's own first line).
const GENERATED: &str = "Generated from src/cli/catalogue.rs (make generate); do not edit.";

/// The short name completions use for a command: its first short letter, else its long name.
fn key(cmd: Command) -> String {
    let d = command_def(cmd);
    match d.shorts.chars().next() {
        Some(c) => c.to_string(),
        None => d.long.to_string(),
    }
}

fn command_def(cmd: Command) -> &'static OptDef {
    OPTIONS
        .iter()
        .find(|d| d.role == Role::Command(cmd))
        .expect("every command has a row")
}

/// The rows offered as the first word: the commands, help and version.
fn firsts() -> impl Iterator<Item = &'static OptDef> {
    OPTIONS
        .iter()
        .filter(|d| matches!(d.role, Role::Command(_) | Role::Info))
}

/// Every spelling of an option: its short letters, then its long name.
fn spellings(d: &OptDef) -> Vec<String> {
    let mut s: Vec<String> = d.shorts.chars().map(|c| format!("-{c}")).collect();
    s.push(format!("--{}", d.long));
    s
}

/// Whether completion offers an option after a command.
fn offered(d: &OptDef, cmd: Command) -> bool {
    let rules = match d.role {
        Role::Checked(row) => row.commands,
        Role::Unchecked { offered } => offered,
        Role::Command(_) | Role::Info => return false,
    };
    rules.as_bytes()[cmd.column()] != b'x'
}

/// The options offered after a command, spelled out.
fn options_for(cmd: Command) -> Vec<String> {
    OPTIONS
        .iter()
        .filter(|d| offered(d, cmd))
        .flat_map(spellings)
        .collect()
}

/// The commands after which an option is offered.
fn commands_of(d: &OptDef) -> Vec<Command> {
    COMMANDS.into_iter().filter(|c| offered(d, *c)).collect()
}

/// The commands that take positional words (`--set tcp tcpfin udp`).
fn positional_commands() -> Vec<&'static OptDef> {
    OPTIONS
        .iter()
        .filter(|d| {
            matches!(d.role, Role::Command(_)) && d.arg == ArgKind::None && !d.value_name.is_empty()
        })
        .collect()
}

/// A word in shell single quotes.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Words joined by spaces, broken into lines of about 76 characters, continuation lines
/// indented by `indent` spaces.
fn wrapped(words: &[String], indent: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for w in words {
        if line > 0 && line + 1 + w.len() > 76 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = indent;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(w);
        line += w.len();
    }
    out
}

/// Shell case patterns: the words joined by ` | `, broken into lines of about 76
/// characters with a backslash, continuation lines indented by `indent` spaces.
fn alternatives(words: &[String], indent: usize) -> String {
    let mut out = String::new();
    let mut line = indent;
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            if line + 3 + w.len() > 74 {
                out.push_str(" | \\\n");
                out.push_str(&" ".repeat(indent));
                line = indent;
            } else {
                out.push_str(" | ");
                line += 3;
            }
        }
        out.push_str(w);
        line += w.len();
    }
    out
}

/// The generic scheduler flag names.
fn generic_flags() -> String {
    vocab::GENERIC_SCHED_FLAGS.join(" ")
}

/// The package's option list (`tests/ship/options.txt`): every spelling, one per line.
pub fn options_txt() -> String {
    let mut s = format!("# {GENERATED}\n# Every option spelling ipvsadm accepts.\n");
    for o in super::option_spellings() {
        s.push_str(&o);
        s.push('\n');
    }
    s
}

/// The bash completion (`completions/ipvsadm.bash`).
pub fn bash() -> String {
    let mut s = String::new();
    s.push_str("# bash completion for ipvsadm, ipvsadm-save and ipvsadm-restore\n");
    s.push_str("# SPDX-License-Identifier: MIT OR Apache-2.0\n");
    let _ = writeln!(s, "# {GENERATED}");
    s.push_str("# Works on its own (no bash-completion package needed) and with it.\n\n");

    let firsts: Vec<String> = firsts().flat_map(spellings).collect();
    let _ = writeln!(s, "_ipvsadm_commands='{}'\n", wrapped(&firsts, 0));

    s.push_str("# The options each command accepts.\n_ipvsadm_options_for() {\n    case $1 in\n");
    for cmd in COMMANDS {
        let opts = options_for(cmd);
        let _ = writeln!(s, "    {}) echo \"{}\" ;;", key(cmd), wrapped(&opts, 8));
    }
    s.push_str("    esac\n}\n\n");

    s.push_str("# The command (A, E, L, set, ...) the first word gives.\n");
    s.push_str("_ipvsadm_command_of() {\n    case $1 in\n");
    for cmd in COMMANDS {
        let d = command_def(cmd);
        let _ = writeln!(s, "    --{0} | --{0}=*) echo {1} ;;", d.long, key(cmd));
    }
    s.push_str("    --*) ;;\n    -?*)\n        case ${1:1:1} in\n");
    for cmd in COMMANDS {
        let d = command_def(cmd);
        if !d.shorts.is_empty() {
            let letters: Vec<String> = d.shorts.chars().map(String::from).collect();
            let _ = writeln!(s, "        {}) echo {} ;;", letters.join(" | "), key(cmd));
        }
    }
    s.push_str("        esac\n        ;;\n    esac\n}\n\n");

    s.push_str(BASH_HELPERS);

    s.push_str(BASH_MAIN_START);
    let mut free = Vec::new();
    for d in OPTIONS {
        let pattern = spellings(d).join(" | ");
        let body = match d.value {
            Value::None => continue,
            Value::Free => {
                free.extend(spellings(d));
                continue;
            }
            Value::Words(w) => format!("words='{}' ;;", word_list(w)),
            Value::SchedFlags => bash_sched_flags(),
            Value::LiveService(kind) => format!("words=$(_ipvsadm_services {kind}) ;;"),
            Value::Host => "\n            mapfile -t COMPREPLY < <(compgen -A hostname -- \"$cur\")\n            ;;".to_string(),
            Value::Interface => "\n            words=$(command ls /sys/class/net 2>/dev/null)\n            ;;".to_string(),
            Value::Netns => "\n            words=$(command ls /run/netns 2>/dev/null)\n            ;;".to_string(),
        };
        let _ = writeln!(s, "        {pattern}) {body}");
    }
    let _ = writeln!(
        s,
        "        {})\n            return 0\n            ;;",
        alternatives(&free, 8)
    );
    let positional: Vec<String> = positional_commands()
        .iter()
        .map(|d| d.long.to_string())
        .collect();
    let _ = write!(
        s,
        "        *)\n            if [[ $cmd == @({}) ]]; then\n                return 0\n",
        positional.join("|")
    );
    s.push_str(BASH_MAIN_END);
    s
}

fn word_list(w: Words) -> String {
    w.list()
        .iter()
        .map(|w| w.word)
        .collect::<Vec<_>>()
        .join(" ")
}

fn bash_sched_flags() -> String {
    let mut s = format!(
        "\n            words='{}'\n            case $(_ipvsadm_scheduler_of) in\n",
        generic_flags()
    );
    for (sched, names) in vocab::NAMED_SCHED_FLAGS {
        let _ = writeln!(s, "            {sched}) words+=' {}' ;;", names.join(" "));
    }
    s.push_str(
        r#"            esac
            # Complete the last item of a comma separated list.
            if [[ $cur == *,* ]]; then
                prefix+=${cur%,*},
                cur=${cur##*,}
                local f given=",${prefix#*=}" rest=''
                for f in $words; do
                    [[ $given == *",$f,"* ]] || rest+=" $f"
                done
                words=$rest
            fi
            ;;"#,
    );
    s
}

const BASH_HELPERS: &str = r#"# The scheduler named on the line (wlc when none is).
_ipvsadm_scheduler_of() {
    local i w sched=wlc
    for ((i = 1; i < ${#_ipvsadm_words[@]} - 1; i++)); do
        w=${_ipvsadm_words[i]}
        case $w in
        -s | --scheduler) sched=${_ipvsadm_words[i + 1]} ;;
        --scheduler=*) sched=${w#*=} ;;
        -s?*) sched=${w#-s}; sched=${sched#=} ;;
        esac
    done
    echo "${sched:-wlc}"
}

# The live virtual services of one kind, from "ipvsadm -Sn" (root only).
_ipvsadm_services() {
    [[ ${EUID:-$(id -u)} -eq 0 ]] || return 0
    ipvsadm -Sn 2>/dev/null | while read -r cmd kind addr _; do
        [[ $cmd == -A && $kind == "$1" ]] && printf '%s\n' "$addr"
    done
}

"#;

const BASH_MAIN_START: &str = r#"_ipvsadm() {
    local cword=${COMP_CWORD:-0} i w
    # Put back together the words that bash split at ':' and '=' (for
    # addresses, ports and --option=value); the word under the cursor is
    # the last one kept.
    _ipvsadm_words=()
    local glue=0
    for ((i = 0; i <= cword && i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w =~ ^[:=]+$ && ${#_ipvsadm_words[@]} -gt 1 ]]; then
            _ipvsadm_words[${#_ipvsadm_words[@]} - 1]+=$w
            glue=1
        elif ((glue)); then
            _ipvsadm_words[${#_ipvsadm_words[@]} - 1]+=$w
            glue=0
        else
            _ipvsadm_words+=("$w")
        fi
    done
    ((cword >= ${#COMP_WORDS[@]})) && ((glue == 0)) && _ipvsadm_words+=("")
    local n=${#_ipvsadm_words[@]}
    local cur=${_ipvsadm_words[n - 1]} prev=''
    ((n > 1)) && prev=${_ipvsadm_words[n - 2]}

    local prefix='' words=''
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        prefix=$prev=
        cur=${cur#*=}
    fi

    local cmd=''
    ((n > 2)) && cmd=$(_ipvsadm_command_of "${_ipvsadm_words[1]}")

    COMPREPLY=()
    if ((n == 2)); then
        words=$_ipvsadm_commands
    else
        case $prev in
"#;

const BASH_MAIN_END: &str = r#"            elif [[ -n $cmd && ( -z $cur || $cur == -* ) ]]; then
                words=$(_ipvsadm_options_for "$cmd")
            fi
            ;;
        esac
    fi

    if [[ -n $words ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    fi
    # Give back whole words, less what bash treats as already written
    # (the text up to its last word break ':' or '=').
    local whole=$prefix$cur breaks=${COMP_WORDBREAKS-:=} keep=''
    for ((i = 0; i < ${#whole}; i++)); do
        [[ ${whole:i:1} == [:=] && $breaks == *"${whole:i:1}"* ]] && keep=${whole:0:i+1}
    done
    for i in "${!COMPREPLY[@]}"; do
        w=$prefix${COMPREPLY[i]}
        COMPREPLY[i]=${w#"$keep"}
    done
    return 0
}

# The network namespaces of ip netns, after --netns.
_ipvsadm_netns_word() {
    [[ ${COMP_WORDS[COMP_CWORD - 1]} == --netns ]] || return 1
    mapfile -t COMPREPLY < <(compgen -W "$(command ls /run/netns 2>/dev/null)" -- "$1")
}

_ipvsadm_save() {
    COMPREPLY=()
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    _ipvsadm_netns_word "$cur" && return 0
    # --scope takes a term: nothing to offer.
    [[ $prev == --scope ]] && return 0
    [[ -z $cur || $cur == -* ]] &&
        mapfile -t COMPREPLY < <(compgen -W '-n --json --pretty --netns --scope' -- "$cur")
    return 0
}

_ipvsadm_restore() {
    # ipvsadm-restore reads the rules from standard input (with --apply or --test, or from a file);
    # its options:
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} w apply=
    COMPREPLY=()
    _ipvsadm_netns_word "$cur" && return 0
    # --drain and --wait take a number of seconds, --scope a term: nothing to offer.
    [[ $prev == --drain || $prev == --wait || $prev == --scope ]] && return 0
    for w in "${COMP_WORDS[@]}"; do [[ $w == --apply || $w == --test ]] && apply=1; done
    if [[ $cur == -* || ( -z $cur && -z $apply ) ]]; then
        mapfile -t COMPREPLY < <(compgen -W '--noflush --test --json --netns --apply --dry-run --drain --scope --wait --allow-empty --help --version' -- "$cur")
    elif [[ -n $apply ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
}

complete -F _ipvsadm ipvsadm
complete -F _ipvsadm_save ipvsadm-save
complete -F _ipvsadm_restore ipvsadm-restore
"#;

/// The zsh completion (`completions/_ipvsadm`).
pub fn zsh() -> String {
    let mut s = String::new();
    s.push_str("#compdef ipvsadm ipvsadm-save ipvsadm-restore\n");
    s.push_str("# zsh completion for ipvsadm, ipvsadm-save and ipvsadm-restore\n");
    s.push_str("# SPDX-License-Identifier: MIT OR Apache-2.0\n");
    let _ = writeln!(s, "# {GENERATED}\n");
    s.push_str(ZSH_START);

    s.push_str("local -A opt_desc\nopt_desc=(\n");
    for d in OPTIONS {
        for sp in spellings(d) {
            let _ = writeln!(s, "  {sp} {}", sq(d.help));
        }
    }
    s.push_str(")\n\nlocal -A cmd_opts\ncmd_opts=(\n");
    for cmd in COMMANDS {
        let _ = writeln!(s, "  {} {}", key(cmd), sq(&options_for(cmd).join(" ")));
    }
    s.push_str(")\n\nlocal -a list\nlocal o expl curcontext=$curcontext\n\n");

    s.push_str("if (( CURRENT == 2 )); then\n  for o in \\\n");
    let firsts: Vec<String> = firsts().flat_map(spellings).collect();
    let _ = writeln!(s, "    {}; do", wrapped(&firsts, 4).replace('\n', " \\\n"));
    s.push_str("    list+=(\"${o}:$opt_desc[$o]\")\n  done\n");
    s.push_str("  _describe -t commands 'ipvsadm command' list\n  return\nfi\n\n");

    s.push_str("# The command given first.\nlocal cmd=${words[2]%%=*}\ncase $cmd in\n");
    for cmd in COMMANDS {
        let _ = writeln!(s, "  --{}) cmd={} ;;", command_def(cmd).long, key(cmd));
    }
    s.push_str("  --*) cmd= ;;\n  -?*)\n    case ${cmd[2]} in\n");
    for cmd in COMMANDS {
        let d = command_def(cmd);
        if !d.shorts.is_empty() {
            let letters: Vec<String> = d.shorts.chars().map(String::from).collect();
            let _ = writeln!(s, "      {}) cmd={} ;;", letters.join(" | "), key(cmd));
        }
    }
    s.push_str("      *) cmd= ;;\n    esac\n    ;;\n  *) cmd= ;;\nesac\n\n");

    s.push_str("local prev=${words[CURRENT-1]}\nif [[ $PREFIX == --*=* ]]; then\n  prev=${PREFIX%%=*}\n  compset -P '*='\nfi\n\ncase $prev in\n");
    let mut free = Vec::new();
    for d in OPTIONS {
        let pattern = spellings(d).join(" | ");
        match d.value {
            Value::None => continue,
            Value::Free => {
                free.extend(spellings(d));
                continue;
            }
            Value::Words(w) => {
                let items: Vec<String> = w
                    .list()
                    .iter()
                    .map(|w| sq(&format!("{}:{}", w.word, w.meaning)))
                    .collect();
                let _ = writeln!(
                    s,
                    "  {pattern})\n    list=({})\n    _describe -t values {} list\n    return\n    ;;",
                    wrapped(&items, 6),
                    sq(w.what())
                );
            }
            Value::SchedFlags => {
                let _ = writeln!(s, "  {pattern})\n{}", zsh_sched_flags());
            }
            Value::LiveService(kind) => {
                let _ = writeln!(s, "  {pattern}) _ipvsadm_services {kind}; return ;;");
            }
            Value::Host => {
                let _ = writeln!(s, "  {pattern}) _hosts; return ;;");
            }
            Value::Interface => {
                let _ = writeln!(s, "  {pattern}) _net_interfaces; return ;;");
            }
            Value::Netns => {
                let _ = writeln!(
                    s,
                    "  {pattern})\n    _wanted netns expl 'network namespace' compadd - /run/netns/*(N:t)\n    return\n    ;;"
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "  {})\n    _message \"value for $prev\"\n    return\n    ;;\nesac\n",
        alternatives(&free, 2)
    );
    for d in positional_commands() {
        let _ = writeln!(
            s,
            "[[ $cmd == {} ]] && {{ _message {}; return 1 }}",
            d.long,
            sq(&format!("values: {}", d.value_name))
        );
    }
    s.push_str(
        r#"[[ -n $cmd && -n $cmd_opts[$cmd] ]] || return 1
for o in ${=cmd_opts[$cmd]}; do
  list+=("${o}:$opt_desc[$o]")
done
_describe -t options 'option' list
"#,
    );
    s
}

fn zsh_sched_flags() -> String {
    let mut s = String::from(
        r#"    local sched=wlc w i
    for (( i = 2; i < CURRENT - 1; i++ )); do
      w=${words[i]}
      case $w in
        -s | --scheduler) sched=${words[i+1]} ;;
        --scheduler=*) sched=${w#*=} ;;
        -s?*) sched=${${w#-s}#=} ;;
      esac
    done
"#,
    );
    let _ = writeln!(s, "    list=({})\n    case $sched in", generic_flags());
    for (sched, names) in vocab::NAMED_SCHED_FLAGS {
        let _ = writeln!(s, "      {sched}) list+=({}) ;;", names.join(" "));
    }
    s.push_str("    esac\n    _sequence -s , compadd - $list\n    return\n    ;;");
    s
}

const ZSH_START: &str = r#"# The live virtual services of one kind (-t, -u, --sctp-service, -f),
# read from "ipvsadm -Sn" when running as root.
_ipvsadm_services() {
  local kind=$1 line expl
  local -a svcs w
  (( EUID == 0 )) || { _message 'virtual service address'; return 1 }
  for line in ${(f)"$(_call_program services ipvsadm -Sn 2>/dev/null)"}; do
    w=(${=line})
    [[ $w[1] == -A && $w[2] == $kind ]] && svcs+=("$w[3]")
  done
  (( $#svcs )) || { _message 'virtual service address'; return 1 }
  _wanted services expl 'virtual service' compadd -Q -a svcs
}

case $service in
  ipvsadm-save)
    _arguments \
      '-n[print addresses and ports as numbers]' \
      '--json[write the table as JSON]' \
      '--pretty[with --json: indented]' \
      '--netns[the network namespace]:network namespace:_files -W /run/netns' \
      '*--scope[only the services of this term]:term (addr=PREFIX,port=N-M,proto=tcp or fwmark=N-M)'
    return
    ;;
  ipvsadm-restore)
    _arguments \
      '(--test --apply)--noflush[add to the current table instead of replacing it]' \
      '(--noflush --apply)--test[only check the input, change nothing]' \
      '--json[the input is JSON, as ipvsadm -S --json writes it]' \
      '--netns[the network namespace]:network namespace:_files -W /run/netns' \
      '(--noflush --test)--apply[change only what differs from the rules, without a flush]' \
      '--dry-run[with --apply: print the changes as restore lines, make none]' \
      '--drain[with --apply: drain removed real servers for at most SECONDS]:seconds' \
      '*--scope[with --apply: touch only the services of this term]:term (addr=PREFIX,port=N-M,proto=tcp or fwmark=N-M)' \
      '--wait[with --apply: wait at most SECONDS for another apply]:seconds' \
      '--allow-empty[with --apply: accept rules without any service]' \
      '::rules file (with --apply or --test):_files' \
      '(- *)'{-h,--help}'[print help]' \
      '(- *)'{-V,--version}'[print the version]'
    return
    ;;
esac

"#;

/// The fish completion (`completions/ipvsadm.fish`).
pub fn fish() -> String {
    let mut s = String::new();
    s.push_str("# fish completion for ipvsadm, ipvsadm-save and ipvsadm-restore\n");
    s.push_str("# SPDX-License-Identifier: MIT OR Apache-2.0\n");
    let _ = writeln!(s, "# {GENERATED}\n");
    s.push_str(FISH_NO_COMMAND);

    s.push_str("# True when the command given first is one of the arguments (A, E, a, L, ...).\n");
    s.push_str("function __fish_ipvsadm_command_is\n    set -l tokens (commandline -opc)\n");
    s.push_str("    test (count $tokens) -ge 2; or return 1\n");
    s.push_str("    set -l first (string replace -r '=.*' '' -- $tokens[2])\n    switch $first\n");
    for cmd in COMMANDS {
        let _ = writeln!(
            s,
            "        case --{}\n            set first {}",
            command_def(cmd).long,
            key(cmd)
        );
    }
    s.push_str("        case '--*'\n            return 1\n        case '-?*'\n");
    s.push_str("            switch (string sub -s 2 -l 1 -- $first)\n");
    for cmd in COMMANDS {
        let d = command_def(cmd);
        if !d.shorts.is_empty() {
            let letters: Vec<String> = d.shorts.chars().map(String::from).collect();
            let _ = writeln!(
                s,
                "                case {}\n                    set first {}",
                letters.join(" "),
                key(cmd)
            );
        }
    }
    s.push_str("                case '*'\n                    return 1\n            end\n");
    s.push_str(
        "        case '*'\n            return 1\n    end\n    contains -- $first $argv\nend\n\n",
    );

    s.push_str(FISH_SCHED_FLAGS_START);
    let _ = writeln!(s, "    set -l flags {}\n    switch $sched", generic_flags());
    for (sched, names) in vocab::NAMED_SCHED_FLAGS {
        let _ = writeln!(
            s,
            "        case {sched}\n            set -a flags {}",
            names.join(" ")
        );
    }
    s.push_str(FISH_SCHED_FLAGS_END);

    let valued: Vec<String> = OPTIONS
        .iter()
        .filter(|d| matches!(d.role, Role::Command(_)) && d.arg != ArgKind::None)
        .map(|d| format!("--{}", d.long))
        .collect();
    let _ = writeln!(
        s,
        "# True right after a command that takes a value ({}).\nfunction __fish_ipvsadm_command_value\n    set -l tokens (commandline -opc)\n    test (count $tokens) -eq 2; and contains -- $tokens[2] {}\nend\n",
        valued.join(", "),
        valued.join(" ")
    );
    s.push_str(FISH_SERVICES);

    s.push_str("set -l first '__fish_ipvsadm_no_command'\n\n# Commands (the first option).\ncomplete -c ipvsadm -f\n");
    for d in firsts() {
        let mut line = String::from("complete -c ipvsadm -n $first");
        line.push_str(&fish_names(d));
        if d.arg != ArgKind::None {
            line.push_str(" -x");
        }
        let _ = writeln!(line, " -d {}", sq(&capitalized(d.help)));
        s.push_str(&line);
        for c in d.shorts.chars().skip(1) {
            let _ = writeln!(
                s,
                "complete -c ipvsadm -n $first -s {c} -d {}",
                sq(&capitalized(d.help))
            );
        }
        if let Value::Words(w) = d.value {
            let _ = writeln!(
                s,
                "complete -c ipvsadm -n '__fish_ipvsadm_command_value; and contains -- (commandline -opc)[2] --{}' -x -a {}",
                d.long,
                fish_words(w)
            );
        }
    }
    s.push_str("\n# Options, after the commands that allow them.\n");
    for d in OPTIONS
        .iter()
        .filter(|d| matches!(d.role, Role::Checked(_) | Role::Unchecked { .. }))
    {
        let keys: Vec<String> = commands_of(d).into_iter().map(key).collect();
        let mut line = format!(
            "complete -c ipvsadm -n '__fish_ipvsadm_command_is {}'",
            keys.join(" ")
        );
        line.push_str(&fish_names(d));
        match d.value {
            Value::None => {}
            Value::Free if d.arg == ArgKind::Optional => {}
            Value::Free => line.push_str(" -x"),
            Value::Words(w) => {
                let _ = write!(line, " -x -a {}", fish_words(w));
            }
            Value::SchedFlags => line.push_str(" -x -a '(__fish_ipvsadm_sched_flags)'"),
            Value::LiveService(kind) => {
                let _ = write!(line, " -x -a '(__fish_ipvsadm_services {kind})'");
            }
            Value::Host => line.push_str(" -x -a '(__fish_print_hostnames)'"),
            Value::Interface => line.push_str(" -x -a '(__fish_print_interfaces)'"),
            Value::Netns => line.push_str(" -x -a '(command ls /run/netns 2>/dev/null)'"),
        }
        let _ = writeln!(line, " -d {}", sq(&capitalized(d.help)));
        s.push_str(&line);
    }
    s.push_str(FISH_END);
    s
}

/// ` -s X -l long` for fish.
fn fish_names(d: &OptDef) -> String {
    let mut s = String::new();
    for c in d.shorts.chars().take(1) {
        let _ = write!(s, " -s {c}");
    }
    let _ = write!(s, " -l {}", d.long);
    // A second short letter (`-l` for `-L`) gets a line of its own below.
    s
}

fn fish_words(w: Words) -> String {
    let items: Vec<String> = w
        .list()
        .iter()
        .map(|w| format!("{}\\t\"{}\"", w.word, w.meaning))
        .collect();
    sq(&items.join(" "))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const FISH_NO_COMMAND: &str = r#"# True while no command has been given yet (the first option must be one).
function __fish_ipvsadm_no_command
    set -l tokens (commandline -opc)
    test (count $tokens) -le 1
end

"#;

const FISH_SCHED_FLAGS_START: &str = r#"# Scheduler flags that fit the scheduler given with -s (wlc when none is).
function __fish_ipvsadm_sched_flags
    set -l tokens (commandline -opc)
    set -l sched wlc
    set -l n (count $tokens)
    for i in (seq 2 $n)
        switch $tokens[$i]
            case -s --scheduler
                if test $i -lt $n
                    set sched $tokens[(math $i + 1)]
                end
            case '--scheduler=*'
                set sched (string replace -- '--scheduler=' '' $tokens[$i])
            case '-s?*'
                set sched (string replace -r -- '^-s=?' '' $tokens[$i])
        end
    end
"#;

const FISH_SCHED_FLAGS_END: &str = r#"    end
    # Complete the last item of a comma separated list.
    set -l cur (commandline -ct)
    set -l head (string replace -r '[^,]*$' '' -- $cur)
    set -l given (string split , -- $head)
    for f in $flags
        contains -- $f $given; or echo $head$f
    end
end

"#;

const FISH_SERVICES: &str = r#"# Live virtual services of one kind from "ipvsadm -Sn" (root only).
function __fish_ipvsadm_services
    fish_is_root_user; or return
    ipvsadm -Sn 2>/dev/null | while read -l cmd kind addr rest
        if test "$cmd" = -A; and test "$kind" = "$argv[1]"
            echo $addr
        end
    end
end

"#;

const FISH_END: &str = r#"
# ipvsadm-save and ipvsadm-restore.
complete -c ipvsadm-save -f
complete -c ipvsadm-save -s n -d 'Print addresses and ports as numbers'
complete -c ipvsadm-save -l json -d 'Write the table as JSON'
complete -c ipvsadm-save -l pretty -d 'With --json: indented'
complete -c ipvsadm-save -l netns -x -a '(command ls /run/netns 2>/dev/null)' -d 'The network namespace'
complete -c ipvsadm-save -l scope -x -d 'Only the services of this term (as ipvsadm-restore --apply --scope)'
complete -c ipvsadm-restore -f
complete -c ipvsadm-restore -l noflush -d 'Add to the current table instead of replacing it'
complete -c ipvsadm-restore -l test -d 'Only check the input, change nothing'
complete -c ipvsadm-restore -l json -d 'The input is JSON, as ipvsadm -S --json writes it'
complete -c ipvsadm-restore -l netns -x -a '(command ls /run/netns 2>/dev/null)' -d 'The network namespace'
complete -c ipvsadm-restore -l apply -d 'Change only what differs from the rules, without a flush'
complete -c ipvsadm-restore -l dry-run -d 'With --apply: print the changes, make none'
complete -c ipvsadm-restore -l drain -x -d 'With --apply: drain removed real servers for at most SECONDS'
complete -c ipvsadm-restore -l scope -x -d 'With --apply: touch only the services of this term'
complete -c ipvsadm-restore -l wait -x -d 'With --apply: wait at most SECONDS for another apply'
complete -c ipvsadm-restore -l allow-empty -d 'With --apply: accept rules without any service'
complete -c ipvsadm-restore -n '__fish_contains_opt apply; or __fish_contains_opt test' -F
complete -c ipvsadm-restore -s h -l help -d 'Print help'
complete -c ipvsadm-restore -s V -l version -d 'Print the version'
"#;
