"""Real server processes for the tests: a free port, waiting for them, stopping them."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, process, timeout=30):
    """The response of ``url`` once ``process`` answers it (fails if it exits)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            return urllib.request.urlopen(url, timeout=2)
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # still booting
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout}s")


def stop(process) -> None:
    """Terminate ``process``, killed if it does not exit within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def ini_on_port(tmp_path, port) -> str:
    """A copy of demo/memory.ini serving on ``port``."""
    with open(os.path.join(ROOT, "demo", "memory.ini")) as source:
        content = source.read().replace("port = 8888", f"port = {port}")
    path = tmp_path / "demo.ini"
    path.write_text(content)
    return str(path)
