"""anvil, a real local EVM node (npm @foundry-rs/anvil), started for the ledger tests.

The binary is installed under .tools/ by scripts/install-anvil, which the tests run
themselves when it is missing, so a plain pytest run in a fresh clone works.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install-anvil"
# anvil's first dev account: a well-known key that only ever holds test ether.
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def anvil_binary() -> Path:
    """The installed anvil, installing it from npm first when it is missing."""
    candidates = sorted((ROOT / ".tools" / "node_modules" / "@foundry-rs").glob("*/bin/anvil"))
    if candidates:
        return candidates[0]
    out = subprocess.run(
        ["bash", str(INSTALL)], check=True, capture_output=True, text=True, timeout=300
    )
    return Path(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AnvilNode:
    """One anvil process on 127.0.0.1, keeping its chain in `state` across restarts."""

    state: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AnvilNode:
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [
                str(anvil_binary()),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--state",
                str(self.state),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._answers():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with {self.process.returncode}")
            time.sleep(0.1)
        raise RuntimeError("anvil did not start within 30 s")

    def stop(self) -> None:
        """Stops anvil politely, so it writes its --state file."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _answers(self) -> bool:
        request = urllib.request.Request(
            self.url,
            data=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False
