# %postun of ipvsadm-rs ($1: 0 on removal, 1 on upgrade). ipvsadm.service is never
# restarted (a restart clears and reloads the table, dropping connection state); a
# running exporter is restarted so that it runs the new binary.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || :
	if [ "$1" -ge 1 ]; then
		systemctl try-restart ipvsadm-exporter.service >/dev/null 2>&1 || :
	fi
fi
