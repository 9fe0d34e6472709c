#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The other end of the examples that need one (tests/suite_examples.sh). Every wait is bounded.

  example_peer.py udp HOST:PORT COUNT
      sends COUNT datagrams (1 byte .. 65507 bytes, the largest UDP payload) to an echo server
      and checks that each comes back unchanged; prints "udp: N echoed" and exits 0.
  example_peer.py greet HOST:PORT
      connects to the tutorial's server (docs/tutorial.md), expects "Hello world!\\n", sends a
      line and closes.
  example_peer.py listenfd [--fd N | --wrong-pid] SERVER ARGS...
      binds 127.0.0.1:0, starts SERVER with the listener as fd 3 and LISTEN_FDS=1, LISTEN_PID=its
      pid (as systemd does; --fd N: as fd N with no environment; --wrong-pid: LISTEN_PID of
      another process), connects, expects "Hello world!\\n", sends a line, closes, and prints
      the server's exit status and output.
"""

import os
import socket
import subprocess
import sys
import time

TIMEOUT = 5.0


def udp(target, count):
    host, port = target.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    sizes = [1, 2, 100, 1400, 9000, 65507]
    for i in range(count):
        size = sizes[i % len(sizes)]
        payload = (b"%d:" % i + bytes(range(256)) * (size // 256 + 1))[:size]
        for attempt in range(3):  # UDP may drop a datagram even on loopback: resend
            s.sendto(payload, (host, int(port)))
            try:
                data, _ = s.recvfrom(65536)
                break
            except socket.timeout:
                if attempt == 2:
                    sys.exit(f"udp: datagram {i} ({size} bytes) not echoed within {TIMEOUT} s")
        if data != payload:
            sys.exit(f"udp: datagram {i}: {len(data)} bytes came back, not the {size} sent")
    print(f"udp: {count} echoed")


def listenfd(args):
    fd, wrong_pid = 3, False
    while args and args[0].startswith("--"):
        if args[0] == "--fd":
            fd, args = int(args[1]), args[2:]
        elif args[0] == "--wrong-pid":
            wrong_pid, args = True, args[1:]
        else:
            sys.exit(f"listenfd: unknown option {args[0]}")
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    addr = lst.getsockname()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the listener as fd `fd`, stdout+stderr into the pipe
        try:
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            os.dup2(lst.fileno(), fd)
            os.set_inheritable(fd, True)
            env = dict(os.environ)
            if fd == 3:
                env["LISTEN_FDS"] = "1"
                env["LISTEN_PID"] = str(os.getppid() if wrong_pid else os.getpid())
                argv = args
            else:
                env.pop("LISTEN_FDS", None)
                argv = args + ["--fd", str(fd)]
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(out_w)
    lst.close()
    status = None
    try:
        if not wrong_pid:
            c = socket.create_connection(addr, timeout=TIMEOUT)
            greeting = b""
            while not greeting.endswith(b"\n"):
                chunk = c.recv(100)
                if not chunk:
                    break
                greeting += chunk
            if greeting != b"Hello world!\n":
                print(f"listenfd: greeting {greeting!r}, not b'Hello world!\\n'")
            c.sendall(b"ping from the test\n")
            time.sleep(0.2)  # let the server read it before the FIN, as a person would
            c.close()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
                break
            time.sleep(0.05)
    finally:
        if status is None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            print("listenfd: the server did not exit within 5 s (killed)")
    output = b""
    while True:
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        output += chunk
    sys.stdout.write(output.decode(errors="replace"))
    print(f"listenfd: server exit status {status}")


def greet(target):
    host, port = target.rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    greeting = b""
    while not greeting.endswith(b"\n"):
        chunk = c.recv(100)
        if not chunk:
            break
        greeting += chunk
    if greeting != b"Hello world!\n":
        sys.exit(f"greet: greeting {greeting!r}, not b'Hello world!\\n'")
    c.sendall(b"ping from the test\n")
    time.sleep(0.2)
    c.close()
    print("greet: greeted, sent a line, closed")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "greet":
        greet(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "udp":
        udp(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "listenfd":
        listenfd(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
