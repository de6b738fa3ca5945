# %post of ipvsadm-rs ($1: 1 on install, 2 or more on upgrade). The IPVS table is never
# touched: ipvsadm.service is not started, restarted or reloaded (its start clears the
# table before restoring /etc/sysconfig/ipvsadm, its stop clears it). On the first install
# the unit follows the distribution's preset, as RHEL's own ipvsadm package does.
# The exporter's own unprivileged user (its unit runs as it, with CAP_NET_ADMIN only).
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers ipvsadm-exporter.conf >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -eq 1 ] && command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload preset ipvsadm.service >/dev/null 2>&1 || :
fi
