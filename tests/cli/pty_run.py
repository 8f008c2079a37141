#!/usr/bin/env python3
# Bare python3 (standard library only). Runs a command with its stderr on a pseudo-
# terminal and its stdout to a file, so the CLI sees isatty(2) true.
# Usage: pty_run.py STDOUT_FILE STDERR_FILE COMMAND ARGS...   Exit code: the command's.
import os
import subprocess
import sys


def main():
    out_path, err_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    master, slave = os.openpty()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=slave)
    os.close(slave)
    data = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO once the child side is closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    rc = proc.wait()
    with open(err_path, "wb") as f:
        f.write(bytes(data))
    sys.exit(rc)


if __name__ == "__main__":
    main()
