# %preun of ipvsadm-rs ($1: 0 on removal, 1 on upgrade). On removal the unit is disabled
# but not stopped: stopping it would clear the IPVS table. The exporter and the textfile
# timer, which only read the table, are stopped.
if [ "$1" -eq 0 ] && command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload disable ipvsadm.service ipvsadm-exporter.service ipvsadm-metrics.timer >/dev/null 2>&1 || :
	if [ -d /run/systemd/system ]; then
		systemctl stop ipvsadm-exporter.service ipvsadm-metrics.timer >/dev/null 2>&1 || :
	fi
fi
