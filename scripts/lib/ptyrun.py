"""Run a terminal program under a pseudo-terminal of a given size, as a user's terminal would.

Counts the bytes the program writes to the terminal, keeps an emulated screen (pyte) so that
what is on screen can be asserted, and reads CPU time and RSS of the process from /proc.
Used by scripts/bench and scripts/screenshots.
"""

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time

import pyte

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class PtyProgram:
    def __init__(self, argv, cols=200, rows=50, env=None):
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes_out = 0
        self.started = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            e = dict(os.environ)
            e.update(env or {})
            e.setdefault("TERM", "xterm-256color")
            os.execvpe(argv[0], argv, e)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(pid, signal.SIGWINCH)

    def pump(self, seconds):
        """Read output for `seconds` (feeding the emulated screen)."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.bytes_out += len(data)
                self.stream.feed(data)

    def settle(self, quiet=0.3, limit=3.0):
        """Pump until the program has written nothing for `quiet` seconds (a whole frame)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            before = self.bytes_out
            self.pump(quiet)
            if self.bytes_out == before:
                return

    def text(self):
        return "\n".join(self.screen.display)

    def wait_for(self, pred, timeout):
        """Pump until pred(screen text) holds; returns seconds waited or None on timeout."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if pred(self.text()):
                return time.monotonic() - start
            self.pump(0.01)
        return None

    def send(self, data):
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def cpu_seconds(self):
        """user+sys CPU of the process (and its reaped children) in seconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[11..14] = utime stime cutime cstime (after the state field at index 0)
        return sum(int(x) for x in fields[11:15]) / CLK_TCK

    def rss_mb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def hwm_mb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.pump(0.05)
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
