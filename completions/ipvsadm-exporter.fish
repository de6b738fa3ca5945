# fish completion for ipvsadm-exporter (written by hand: its few options are clap's).
# SPDX-License-Identifier: MIT OR Apache-2.0
complete -c ipvsadm-exporter -f
complete -c ipvsadm-exporter -l listen -x -d 'address and port to serve on'
complete -c ipvsadm-exporter -l netns -r -a '(ls /run/netns 2>/dev/null)' -d 'watch this network namespace'
complete -c ipvsadm-exporter -l all-netns -d 'watch every namespace under /run/netns'
complete -c ipvsadm-exporter -s h -l help -d 'show the options'
complete -c ipvsadm-exporter -s V -l version -d 'show the version'
