# fish completion for ipvsadm-exporter (written by hand from its clap options).
# SPDX-License-Identifier: MIT OR Apache-2.0
complete -c ipvsadm-exporter -f
complete -c ipvsadm-exporter -l web.listen-address -x -d 'where to serve (host:port or :port)'
complete -c ipvsadm-exporter -l listen -x -d 'where to serve (host:port or :port)'
complete -c ipvsadm-exporter -l web.telemetry-path -x -d 'the path of the metrics'
complete -c ipvsadm-exporter -l web.config.file -r -F -d 'TLS and basic authentication (exporter-toolkit YAML)'
complete -c ipvsadm-exporter -l web.max-requests -x -d 'scrapes in flight at most'
complete -c ipvsadm-exporter -l web.write-timeout -x -d 'seconds a client may take nothing'
complete -c ipvsadm-exporter -l netns -r -a '(ls /run/netns 2>/dev/null)' -d 'watch this network namespace'
complete -c ipvsadm-exporter -l all-netns -d 'watch every namespace under /run/netns'
complete -c ipvsadm-exporter -l rates -d "show the kernel's per-second estimates too"
complete -c ipvsadm-exporter -l no-servers -d 'show no series per real server'
complete -c ipvsadm-exporter -s h -l help -d 'show the options'
complete -c ipvsadm-exporter -s V -l version -d 'show the version'
