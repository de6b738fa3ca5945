"""One TCP connection through IPVS, kept open: hold.py ADDRESS PORT FIFO OUT.

Each line written to FIFO is sent; its echo is appended to OUT. OUT gets "connected"
first, and "broken: REASON" when the connection fails (then the program exits 1).
"""

import socket
import sys

addr, port, fifo, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = open(out_path, "a", buffering=1)
try:
    sock = socket.create_connection((addr, port), timeout=60)
    out.write("connected\n")
    reader = sock.makefile("rb")
    while True:
        with open(fifo, "rb") as f:
            for line in f:
                sock.sendall(line)
                echo = reader.readline()
                if echo != line:
                    raise OSError(f"echo {echo!r} for {line!r}")
                out.write(echo.decode())
except OSError as e:
    out.write(f"broken: {e}\n")
    sys.exit(1)
