#!/usr/bin/env python3
"""Runs a command the way the AWS CLI runs credential_process, with a person
at a pseudo-terminal.

stdin is /dev/null, stdout and stderr are pipes, and the controlling terminal
is a pty whose other end this script holds: it answers prompts from a script
of (expect, send) steps and records everything written to the terminal.

Usage: pty_run.py SPEC_JSON
SPEC: {"argv": [...], "env": {...}, "cwd": "...", "timeout": 60,
       "steps": [{"expect": "Password: ", "send": "secret\\r"}, ...]}
A step may carry "signal" (a number) instead of, or besides, "send": when
its text appears, that signal is sent to the child (after "send", if any).
Prints one JSON object: {"code", "stdout", "stderr", "tty", "timed_out",
"unanswered", "termios"}. A negative code is the signal that ended the child.
"termios" is the terminal's mode once the child has exited, read on the pty's
slave side: {"echo": bool, "icanon": bool, "isig": bool}, or null if it could
not be read.
"""
import json
import os
import pty
import select
import signal
import sys
import termios
import time


def main():
    spec = json.loads(sys.argv[1])
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    # The child tells the name of the pty's slave side through this pipe, so
    # the terminal's mode can be read there after the child has exited.
    name_r, name_w = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        # Keep one descriptor of the pty slave open for the child's life, or
        # the master reports EIO before the program opens /dev/tty.
        keep = os.dup(0)
        os.set_inheritable(keep, True)
        try:
            os.write(name_w, os.ttyname(keep).encode())
        except OSError:
            pass
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in (out_r, err_r, out_w, err_w, devnull, name_r, name_w):
            os.close(fd)
        if spec.get("cwd"):
            os.chdir(spec["cwd"])
        os.execvpe(spec["argv"][0], spec["argv"], spec["env"])
    os.close(out_w)
    os.close(err_w)
    os.close(name_w)
    slave_name = b""
    while True:
        chunk = os.read(name_r, 4096)
        if not chunk:
            break
        slave_name += chunk
    os.close(name_r)
    bufs = {master: b"", out_r: b"", err_r: b""}
    open_fds = {master, out_r, err_r}
    steps = list(spec.get("steps", []))
    matched_upto = 0
    deadline = time.time() + spec.get("timeout", 60)
    timed_out = False
    status = None
    while open_fds:
        if time.time() > deadline:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select(list(open_fds), [], [], 0.05)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                open_fds.discard(fd)
                continue
            bufs[fd] += chunk
        while steps:
            expect = steps[0]["expect"].encode()
            at = bufs[master].find(expect, matched_upto)
            if at < 0:
                break
            matched_upto = at + len(expect)
            delay = steps[0].get("delay", 0)
            if delay:
                time.sleep(delay)
            send = steps[0].get("send", "")
            if send:
                os.write(master, send.encode())
            if steps[0].get("signal"):
                try:
                    os.kill(pid, steps[0]["signal"])
                except ProcessLookupError:
                    pass
            steps.pop(0)
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
    if status is None:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({
        "termios": terminal_mode(slave_name.decode(), master),
        "code": code,
        "stdout": bufs[out_r].decode("utf-8", "replace"),
        "stderr": bufs[err_r].decode("utf-8", "replace"),
        "tty": bufs[master].decode("utf-8", "replace"),
        "timed_out": timed_out,
        "unanswered": [s["expect"] for s in steps],
    }))


def terminal_mode(slave_name, master):
    """ECHO, ICANON and ISIG of the pty, read on the slave side (the master
    is still open, so the slave keeps its settings); the master as a
    fallback (on Linux it reports the slave's settings too)."""
    attrs = None
    if slave_name:
        try:
            fd = os.open(slave_name, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            try:
                attrs = termios.tcgetattr(fd)
            finally:
                os.close(fd)
        except (OSError, termios.error):
            attrs = None
    if attrs is None:
        try:
            attrs = termios.tcgetattr(master)
        except (OSError, termios.error):
            return None
    lflag = attrs[3]
    return {
        "echo": bool(lflag & termios.ECHO),
        "icanon": bool(lflag & termios.ICANON),
        "isig": bool(lflag & termios.ISIG),
    }


main()
