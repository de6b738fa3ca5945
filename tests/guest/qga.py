#!/usr/bin/env python3
"""Drives the Debian guest through QEMU's guest agent (qemu-guest-agent in the guest).

    qga.py SOCKET wait-boot [--timeout S] [--not BOOT-ID]
        Waits (bounded) until the agent answers and the guest's boot id differs from
        BOOT-ID (a reboot has happened), then prints the boot id.
    qga.py SOCKET exec [--timeout S] SCRIPT
        Runs SCRIPT with bash -e in the guest (SCRIPT "-": read it from stdin), prints its
        stdout and stderr, exits with its status (124 when it outlived S seconds).
    qga.py SOCKET put LOCAL REMOTE
        Copies a host file into the guest.

The protocol is the agent's JSON one: guest-sync-delimited first (it discards whatever a
previous client left behind), then guest-exec and guest-exec-status, guest-file-*.
"""

import argparse
import base64
import json
import os
import random
import socket
import sys
import time

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class AgentError(Exception):
    pass


class Agent:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.dec = json.JSONDecoder()

    def close(self):
        self.sock.close()

    def _recv(self, deadline):
        """Appends what the agent sent next to the buffer, waiting until the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise AgentError("no answer from the agent")
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AgentError("the agent's channel closed")
        self.buf += chunk

    def _read_json(self, deadline):
        while True:
            text = self.buf.lstrip()
            if text:
                try:
                    obj, end = self.dec.raw_decode(text.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    obj = None
                if obj is not None:
                    self.buf = text[len(text.decode("utf-8")[:end].encode("utf-8")) :]
                    return obj
            self._recv(deadline)

    def sync(self, timeout):
        ident = random.randrange(1, 2**31)
        self.sock.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited", "arguments": {"id": ident}}).encode())
        deadline = time.monotonic() + timeout
        while True:
            # Everything before the agent's 0xff is a stale answer.
            pos = self.buf.find(b"\xff")
            if pos >= 0:
                self.buf = self.buf[pos + 1 :]
                obj = self._read_json(deadline)
                if obj.get("return") == ident:
                    return
                continue
            self._recv(deadline)

    def call(self, command, arguments=None, timeout=60):
        msg = {"execute": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        obj = self._read_json(time.monotonic() + timeout)
        if "error" in obj:
            raise AgentError(f"{command}: {obj['error'].get('desc', obj['error'])}")
        return obj.get("return")

    def run(self, argv, timeout, stdin=None):
        """Runs argv in the guest; returns (status, stdout bytes, stderr bytes)."""
        args = {
            "path": "/usr/bin/timeout",
            "arg": ["-k", "5", str(timeout)] + argv,
            "env": ["PATH=" + PATH, "LC_ALL=C.UTF-8", "HOME=/root", "SYSTEMD_PAGER=", "TERM=dumb"],
            "capture-output": True,
        }
        if stdin is not None:
            args["input-data"] = base64.b64encode(stdin).decode()
        pid = self.call("guest-exec", args)["pid"]
        deadline = time.monotonic() + timeout + 30
        pause = 0.05
        while True:
            st = self.call("guest-exec-status", {"pid": pid})
            if st.get("exited"):
                out = base64.b64decode(st.get("out-data", ""))
                err = base64.b64decode(st.get("err-data", ""))
                code = st.get("exitcode")
                if code is None:
                    code = 128 + st.get("signal", 0)
                return code, out, err
            if time.monotonic() > deadline:
                raise AgentError(f"guest command still running after {timeout + 30} s")
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def connect(path, timeout):
    agent = Agent(path, timeout)
    try:
        agent.sync(timeout)
    except Exception:
        agent.close()
        raise
    return agent


def wait_boot(path, timeout, not_id):
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            agent = connect(path, 5)
            try:
                code, out, _ = agent.run(["cat", "/proc/sys/kernel/random/boot_id"], 10)
            finally:
                agent.close()
            boot = out.decode().strip()
            if code == 0 and boot and boot != not_id:
                print(boot)
                return 0
            last = f"boot id still {boot}"
        except (OSError, AgentError) as e:
            last = str(e)
        # The agent is not up yet (or the old boot still answers): try again shortly.
        time.sleep(1)
    print(f"qga.py: the guest did not come up within {timeout} s ({last})", file=sys.stderr)
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait-boot")
    w.add_argument("--timeout", type=float, default=600)
    w.add_argument("--not", dest="not_id", default="")
    e = sub.add_parser("exec")
    e.add_argument("--timeout", type=int, default=300)
    e.add_argument("script")
    p = sub.add_parser("put")
    p.add_argument("local")
    p.add_argument("remote")
    a = ap.parse_args()

    if a.cmd == "wait-boot":
        return wait_boot(a.socket, a.timeout, a.not_id)
    agent = connect(a.socket, 30)
    try:
        if a.cmd == "exec":
            script = sys.stdin.read() if a.script == "-" else a.script
            code, out, err = agent.run(["/bin/bash", "-e", "-c", script], a.timeout)
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
            sys.stderr.buffer.write(err)
            return code
        if a.cmd == "put":
            handle = agent.call("guest-file-open", {"path": a.remote, "mode": "w"})
            with open(a.local, "rb") as f:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    agent.call("guest-file-write", {"handle": handle, "buf-b64": base64.b64encode(chunk).decode()})
            agent.call("guest-file-close", {"handle": handle})
            mode = os.stat(a.local).st_mode & 0o777
            code, _, err = agent.run(["chmod", oct(mode)[2:], a.remote], 30)
            if code != 0:
                sys.stderr.buffer.write(err)
            return code
    finally:
        agent.close()
    return 2


if __name__ == "__main__":
    sys.exit(main())
