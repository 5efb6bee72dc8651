#!/usr/bin/env python3
"""One-way TCP transfer, the workload of the sweep example.

transfer.py recv PORT            accept one connection, read until EOF
transfer.py send HOST PORT SIZE  connect, send SIZE bytes, close
"""
import socket
import sys
import time

if sys.argv[1] == "recv":
    with socket.create_server(("", int(sys.argv[2]))) as server:
        connection, _ = server.accept()
        started = time.monotonic()
        total = 0
        while chunk := connection.recv(1 << 16):
            total += len(chunk)
        print(f"received {total} bytes in {time.monotonic() - started:.6f} s")
else:
    host, port, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with socket.create_connection((host, port)) as connection:
        connection.sendall(b"x" * size)
