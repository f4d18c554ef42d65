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


class _AnsweringScreen(pyte.Screen):
    """A pyte screen that answers the terminal's queries (cursor position, device attributes)
    like a real terminal does, so that programs which ask do not wait for a reply."""

    reply_fd = None

    def write_process_input(self, data):
        if self.reply_fd is not None:
            try:
                os.write(self.reply_fd, data.encode())
            except OSError:
                pass


class PtyProgram:
    def __init__(self, argv, cols=200, rows=50, env=None):
        self.cols, self.rows = cols, rows
        self.screen = _AnsweringScreen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes_out = 0
        self.started = time.monotonic()
        self.exit_status = None
        pid, fd = pty.fork()
        if pid == 0:
            try:
                # Size the terminal before exec so the program never sees 0x0 or 80x24.
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                e = dict(os.environ)
                e["TERM"] = "xterm-256color"
                e.update(env or {})
                e = {k: v for k, v in e.items() if v is not None}  # None: unset
                os.execvpe(argv[0], argv, e)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.screen.reply_fd = fd
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

    def lines(self):
        return list(self.screen.display)

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

    def alive(self):
        """True while the program runs (reaps it when it has exited)."""
        if self.exit_status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.exit_status = status
            return False
        return True

    def _signal_group(self, sig):
        # pty.fork() makes the child a session (and process group) leader: signal the group so
        # that helpers it spawned (e.g. `kubectl version`) go too. Only our own child's group.
        for target in (-self.pid, self.pid):
            try:
                os.kill(target, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def stop(self):
        """SIGTERM, then SIGKILL after 5 s; always reaps the child and closes the pty."""
        try:
            if not self.alive():
                return
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                self.pump(0.05)
                if not self.alive():
                    return
            self._signal_group(signal.SIGKILL)
            _, self.exit_status = os.waitpid(self.pid, 0)
        finally:
            try:
                os.close(self.fd)
            except OSError:
                pass
