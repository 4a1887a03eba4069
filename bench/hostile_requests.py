"""What hostile requests do to `alytus serve` on loopback, as figures:

1. JSON nested 30,000 deep to every public and staff route: each answer, and whether the
   server still answers /healthz afterwards (it used to die of a segmentation fault).
2. A 50 MB body to POST /api/chat (declared, and streamed without a length): the answer,
   how many bytes went in before it, and the server's peak resident memory before and after.
3. /healthz latency (median, maximum) while 16 staff logins run at once (argon2 used to run
   on the event loop).
4. Members created by 1,000 cookie-less chat requests ("/start", "labas").

Run on demand:  .venv/bin/python bench/hostile_requests.py
Set ALYTUS_DATABASE_URL to measure on PostgreSQL (an empty database; serve migrates it).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MB = 1024 * 1024
DEEP = b"[" * 30_000 + b"]" * 30_000
ROUTES = [
    "/healthz",
    "/api/chat",
    "/api/chat/updates",
    "/webhooks/telegram",
    "/webhooks/messenger",
    "/passport/verify",
    "/join/x",
    "/admin/login",
    "/admin/api/members",
]
PASSWORD = "a long staff password for the bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def alytus(home: Path, *args: str, stdin: str | None = None) -> str:
    cli = Path(sys.executable).with_name("alytus")
    done = subprocess.run(
        [str(cli), *args], env=environment(home), input=stdin, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"alytus {' '.join(args)}: {done.stderr}")
    return done.stdout


def environment(home: Path, url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALYTUS_")}
    if os.environ.get("ALYTUS_DATABASE_URL"):
        env["ALYTUS_DATABASE_URL"] = os.environ["ALYTUS_DATABASE_URL"]
    env.update(
        ALYTUS_HOME=str(home),
        ALYTUS_PUBLIC_URL=url or "http://127.0.0.1",
        ALYTUS_TELEGRAM_TOKEN="123456:bench",
        ALYTUS_TELEGRAM_WEBHOOK_SECRET="bench-secret",
        ALYTUS_TELEGRAM_API_BASE="http://127.0.0.1:9",
        ALYTUS_MESSENGER_VERIFY_TOKEN="verify",
        ALYTUS_MESSENGER_APP_SECRET="secret",
        ALYTUS_MESSENGER_PAGE_TOKEN="page",
        ALYTUS_MESSENGER_API_BASE="http://127.0.0.1:9",
        # the address limit would refuse most of part 4; what is measured there is rows
        ALYTUS_CHAT_RATE_PER_ADDRESS_PER_MINUTE="100000",
    )
    return env


def start(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli = Path(sys.executable).with_name("alytus")
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-ledger"],
        env=environment(home, url),
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"alytus serve exited:\n{(home / 'serve.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    raise SystemExit("alytus serve did not start")


def alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def raw(url: str, head: str, body_chunks: list[bytes] | None = None) -> tuple[int | None, int]:
    """Send a request by hand; (status, body bytes sent before the answer came)."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    try:
        connection = socket.create_connection((host, int(port)), timeout=30)
    except OSError:
        return None, 0  # nothing listens: the server is down
    with connection:
        connection.sendall(head.encode("latin-1"))
        try:
            for chunk in body_chunks or []:
                connection.sendall(chunk)
                sent += len(chunk)
                connection.settimeout(0.005)
                try:
                    if connection.recv(1, socket.MSG_PEEK):
                        break
                except (TimeoutError, BlockingIOError):
                    pass
                connection.settimeout(30)
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.settimeout(30)
        try:
            first = connection.recv(4096).split(b"\r\n", 1)[0]
            return int(first.split()[1]), sent
        except (OSError, IndexError, ValueError):
            return None, sent


def deep_json(url: str) -> dict[str, object]:
    answers = {}
    for route in ROUTES:
        head = (
            f"POST {route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(DEEP)}\r\nConnection: close\r\n\r\n"
        )
        status, _ = raw(url, head, [DEEP])
        answers[route] = status
    return {"answers": answers, "server_alive_after": alive(url)}


def big_bodies(url: str, pid: int) -> dict[str, object]:
    before = peak_rss_mb(pid)
    declared, _ = raw(
        url,
        "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {50 * MB}\r\nConnection: close\r\n\r\n",
    )
    chunk = b"x" * (256 * 1024)
    framed = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (50 * MB // len(chunk))
    streamed, sent = raw(
        url,
        "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        framed,
    )
    return {
        "declared_50mb_status": declared,
        "streamed_50mb_status": streamed,
        "streamed_mb_sent_before_answer": round(sent / MB, 2),
        "peak_rss_mb_before": round(before, 1),
        "peak_rss_mb_after": round(peak_rss_mb(pid), 1),
        "server_alive_after": alive(url),
    }


def login(url: str, email: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(f"{url}/admin/login", timeout=30).read().decode()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    request = urllib.request.Request(f"{url}/admin/login", data=form.encode(), method="POST")
    try:
        return opener.open(request, timeout=60).status
    except urllib.error.HTTPError as error:
        return error.code


def logins_and_health(url: str, emails: list[str]) -> dict[str, object]:
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            alive(url)
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)

    prober = threading.Thread(target=probe)
    prober.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(emails)) as pool:
        statuses = list(pool.map(lambda email: login(url, email), emails))
    elapsed = time.perf_counter() - started
    stop.set()
    prober.join()
    return {
        "logins": len(emails),
        "login_statuses": sorted(set(statuses)),
        "logins_took_s": round(elapsed, 2),
        "healthz_probes": len(latencies),
        "healthz_median_ms": round(statistics.median(latencies), 1),
        "healthz_max_ms": round(max(latencies), 1),
    }


def cookieless(url: str, home: Path, count: int = 1000) -> dict[str, object]:
    before = len(json.loads(alytus(home, "members", "list", "--json")))
    statuses: dict[int, int] = {}

    def one(number: int) -> int:
        body = json.dumps({"text": "labas" if number % 2 else "/start"}).encode()
        request = urllib.request.Request(
            f"{url}/api/chat", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            return urllib.request.urlopen(request, timeout=60).status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(8) as pool:
        for status in pool.map(one, range(count)):
            statuses[status] = statuses.get(status, 0) + 1
    after = len(json.loads(alytus(home, "members", "list", "--json")))
    return {"requests": count, "statuses": statuses, "members_created": after - before}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="alytus-hostile-") as folder:
        home = Path(folder)
        alytus(home, "init")
        emails = [f"staff{n}@alytus.lt" for n in range(16)]
        for email in emails:
            alytus(home, "staff", "create", "--email", email, "--role", "editor",
                   "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
        figures: dict[str, dict[str, object]] = {}
        server = start(home)
        parts = {
            "deep_json": lambda process, url: deep_json(url),
            "big_bodies": lambda process, url: big_bodies(url, process.pid),
            "logins": lambda process, url: logins_and_health(url, emails),
            "cookieless_chat": lambda process, url: cookieless(url, home),
        }
        try:
            for name, part in parts.items():
                figures[name] = part(*server)
                if not alive(server[1]):  # it died: a fresh server for the next part
                    figures[name]["server_exit_code"] = server[0].wait(15)
                    server = start(home)
        finally:
            server[0].terminate()
            server[0].wait(15)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
