# bash completion for ipvsadm-exporter (written by hand: its few options are clap's).
# SPDX-License-Identifier: MIT OR Apache-2.0
_ipvsadm_exporter() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
    --netns)
        local names
        names=$(ls /run/netns 2>/dev/null)
        mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
        compopt -o filenames 2>/dev/null
        [ ${#COMPREPLY[@]} -gt 0 ] || mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --listen) return ;;
    esac
    mapfile -t COMPREPLY < <(compgen -W "--listen --netns --all-netns --help --version" -- "$cur")
}
complete -F _ipvsadm_exporter ipvsadm-exporter
