# bash completion for ipvsadm-exporter (written by hand from its clap options).
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
    --web.config.file)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --listen | --web.listen-address | --web.telemetry-path | --web.max-requests | --web.write-timeout) return ;;
    esac
    mapfile -t COMPREPLY < <(compgen -W "--web.listen-address --listen --web.telemetry-path --web.config.file --web.max-requests --web.write-timeout --netns --all-netns --rates --no-servers --help --version" -- "$cur")
}
complete -F _ipvsadm_exporter ipvsadm-exporter
