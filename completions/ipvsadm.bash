# bash completion for ipvsadm, ipvsadm-save and ipvsadm-restore
# SPDX-License-Identifier: MIT OR Apache-2.0
# Generated from src/cli/catalogue.rs (make generate); do not edit.
# Works on its own (no bash-completion package needed) and with it.

_ipvsadm_commands='-A --add-service -E --edit-service -D --delete-service -C --clear -R
--restore -S --save -a --add-server -e --edit-server -d --delete-server -L
-l --list -Z --zero --set --start-daemon --stop-daemon -h --help -v
--version --metrics'

# The options each command accepts.
_ipvsadm_options_for() {
    case $1 in
    A) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 -s --scheduler -p --persistent -M --netmask --pe -b
        --sched-flags -o --ops --sort --netns" ;;
    E) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 -s --scheduler -p --persistent -M --netmask --pe -b
        --sched-flags -o --ops --sort --netns" ;;
    D) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 --sort --netns" ;;
    C) echo "--sort --netns" ;;
    L) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 -n --numeric -c --connection --timeout --daemon --stats
        --rate --thresholds --persistent-conn --tun-info -X --exact --nosort
        --sort --syncid -j --json --pretty --netns" ;;
    a) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 -r --real-server -g --gatewaying -i --ipip -m --masquerading
        -w --weight -x --u-threshold -y --l-threshold --tun-type --tun-port
        --tun-nocsum --tun-csum --tun-remcsum --sort --netns" ;;
    d) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 -r --real-server --sort --netns" ;;
    e) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 -r --real-server -g --gatewaying -i --ipip -m --masquerading
        -w --weight -x --u-threshold -y --l-threshold --tun-type --tun-port
        --tun-nocsum --tun-csum --tun-remcsum --sort --netns" ;;
    set) echo "--sort --netns" ;;
    start-daemon) echo "--sort --mcast-interface --syncid --sync-maxlen --mcast-group --mcast-port
        --mcast-ttl --netns" ;;
    stop-daemon) echo "--sort --syncid --netns" ;;
    R) echo "--sort --netns" ;;
    S) echo "-n --numeric --sort -j --json --pretty --netns" ;;
    Z) echo "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6
        --ipv6 --sort --netns" ;;
    metrics) echo "--rate --netns --openmetrics" ;;
    esac
}

# The command (A, E, L, set, ...) the first word gives.
_ipvsadm_command_of() {
    case $1 in
    --add-service | --add-service=*) echo A ;;
    --edit-service | --edit-service=*) echo E ;;
    --delete-service | --delete-service=*) echo D ;;
    --clear | --clear=*) echo C ;;
    --list | --list=*) echo L ;;
    --add-server | --add-server=*) echo a ;;
    --delete-server | --delete-server=*) echo d ;;
    --edit-server | --edit-server=*) echo e ;;
    --set | --set=*) echo set ;;
    --start-daemon | --start-daemon=*) echo start-daemon ;;
    --stop-daemon | --stop-daemon=*) echo stop-daemon ;;
    --restore | --restore=*) echo R ;;
    --save | --save=*) echo S ;;
    --zero | --zero=*) echo Z ;;
    --metrics | --metrics=*) echo metrics ;;
    --*) ;;
    -?*)
        case ${1:1:1} in
        A) echo A ;;
        E) echo E ;;
        D) echo D ;;
        C) echo C ;;
        L | l) echo L ;;
        a) echo a ;;
        d) echo d ;;
        e) echo e ;;
        R) echo R ;;
        S) echo S ;;
        Z) echo Z ;;
        esac
        ;;
    esac
}

# The scheduler named on the line (wlc when none is).
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

_ipvsadm() {
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
        --start-daemon) words='master backup' ;;
        --stop-daemon) words='master backup' ;;
        -t | --tcp-service) words=$(_ipvsadm_services -t) ;;
        -u | --udp-service) words=$(_ipvsadm_services -u) ;;
        --sctp-service) words=$(_ipvsadm_services --sctp-service) ;;
        -f | --fwmark-service) words=$(_ipvsadm_services -f) ;;
        -s | --scheduler) words='rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh' ;;
        --pe) words='sip' ;;
        -b | --sched-flags) 
            words='flag-1 flag-2 flag-3'
            case $(_ipvsadm_scheduler_of) in
            sh) words+=' sh-fallback sh-port' ;;
            mh) words+=' mh-fallback mh-port' ;;
            esac
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
            ;;
        -r | --real-server) 
            mapfile -t COMPREPLY < <(compgen -A hostname -- "$cur")
            ;;
        --tun-type) words='ipip gue gre' ;;
        --mcast-interface) 
            words=$(command ls /sys/class/net 2>/dev/null)
            ;;
        --netns) 
            words=$(command ls /run/netns 2>/dev/null)
            ;;
        -p | --persistent | -M | --netmask | -w | --weight | -x | \
        --u-threshold | -y | --l-threshold | --tun-port | --syncid | \
        --sync-maxlen | --mcast-group | --mcast-port | --mcast-ttl)
            return 0
            ;;
        *)
            if [[ $cmd == @(set) ]]; then
                return 0
            elif [[ -n $cmd && ( -z $cur || $cur == -* ) ]]; then
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
