"""How many Telegram webhook updates a second `alytus serve` answers, and how fast TelegramPush
sends, all on loopback against the local Bot API (tests/fakes/telegram_api.py).

Run on demand:  .venv/bin/python bench/telegram_webhook.py [--seconds 20] [--connections 16]

The webhook load comes from `wrk` (Debian: apt-get install wrk) with a Lua script that gives
every request its own update_id (so none is a redelivery) from a pool of members sending
/help; without wrk, an httpx async loop does the same. Each answered update costs one
sendMessage to the fake, which runs in this process. Set ALYTUS_DATABASE_URL to measure on
PostgreSQL (an empty database; `alytus serve` migrates it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake lives in tests/

from bots.channels.telegram_push import TelegramPush
from bots.messages import Button, Reply
from community.settings import Settings
from tests.fakes.telegram_api import FakeTelegram, private_text_update

TOKEN = "123456789:AAF-bench-token"
SECRET = "bench-secret"
MEMBERS = 500

WRK_SCRIPT = """
-- thread_no is set per thread by setup(); a local here would hide it
counter = 0
threads = 0
function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end
function init(args)
  counter = %(first)d + thread_no * 100000000
end
request = function()
  counter = counter + 1
  local user = 100000 + (counter %% %(members)d)
  local body = string.format(
    '{"update_id":%%d,"message":{"message_id":%%d,"from":{"id":%%d,"is_bot":false,' ..
    '"first_name":"R","language_code":"lt"},"chat":{"id":%%d,"type":"private"},' ..
    '"date":1700000000,"text":"/help","entities":[{"offset":0,"length":5,' ..
    '"type":"bot_command"}]}}', counter, counter, user, user)
  return wrk.format("POST", "/webhooks/telegram", {
    ["Content-Type"] = "application/json",
    ["X-Telegram-Bot-Api-Secret-Token"] = "%(secret)s"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%f %%f %%f\\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    fake: FakeTelegram, home: Path, rate: float | None
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALYTUS_")}
    if os.environ.get("ALYTUS_DATABASE_URL"):
        env["ALYTUS_DATABASE_URL"] = os.environ["ALYTUS_DATABASE_URL"]
    env.update(
        ALYTUS_HOME=str(home),
        ALYTUS_PUBLIC_URL=url,
        ALYTUS_TELEGRAM_TOKEN=TOKEN,
        ALYTUS_TELEGRAM_WEBHOOK_SECRET=SECRET,
        ALYTUS_TELEGRAM_API_BASE=fake.base_url,
    )
    if rate is not None:
        env["ALYTUS_TELEGRAM_RATE_PER_SECOND"] = str(rate)
    cli = Path(sys.executable).with_name("alytus")
    log = (home / "serve.log").open("w")
    command = [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-ledger"]
    process = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
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


def warm_up(url: str) -> None:
    """Create the members first, so the load measures answering, not joining."""
    with httpx.Client(timeout=30) as client:
        for user in range(MEMBERS):
            update = private_text_update(100000 + user, "/help", update_id=10**9 + user)
            client.post(
                f"{url}/webhooks/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )


def with_wrk(url: str, seconds: int, connections: int, home: Path) -> dict:
    script = home / "telegram.lua"
    # update ids new to the database, also when several runs share one (PostgreSQL)
    first = int(time.time() * 1000) % 10**7 * 100
    script.write_text(WRK_SCRIPT % {"members": MEMBERS, "secret": SECRET, "first": first})
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    requests, bad_status, socket_errors, micros, p50, p95, p99 = line.split()[1:]
    return {
        "tool": "wrk",
        "requests": int(requests),
        "non_2xx": int(bad_status),
        "socket_errors": int(socket_errors),
        "per_second": int(requests) / (float(micros) / 1e6),
        "p50_ms": float(p50) / 1000,
        "p95_ms": float(p95) / 1000,
        "p99_ms": float(p99) / 1000,
    }


async def with_httpx(url: str, seconds: int, connections: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    first = 2 * 10**9 + int(time.time() * 1000) % 10**7 * 100
    counter = iter(range(first, first + 10**8))
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < deadline:
                update_id = next(counter)
                update = private_text_update(
                    100000 + update_id % MEMBERS, "/help", update_id=update_id
                )
                started = time.perf_counter()
                response = await client.post(
                    f"{url}/webhooks/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        begun = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - begun
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "tool": "httpx",
        "requests": len(latencies),
        "non_2xx": sum(n for code, n in statuses.items() if code != 200),
        "per_second": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p95_ms": quantiles[94] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


async def push_rate(fake: FakeTelegram, messages: int, concurrency: int) -> dict:
    """TelegramPush flat out to distinct chats (no pacing: the fake does not enforce limits)."""
    settings = Settings(
        telegram_token=TOKEN, telegram_api_base=fake.base_url, home=Path(tempfile.mkdtemp())
    )
    push = TelegramPush(settings)
    reply = Reply(text="Naujas renginys Alytuje", buttons=(Button("Dalyvausiu", "/rsvp 1 yes"),))
    queue = iter(range(messages))
    outcomes = []

    async def worker() -> None:
        for number in queue:
            outcomes.append(await push.push(str(500000 + number), reply))

    await push.push("499999", reply)  # warm the connection pool
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await push.close()
    return {
        "messages": messages,
        "delivered": sum(o.delivered for o in outcomes),
        "per_second": messages / elapsed,
        "concurrency": concurrency,
    }


def webhook_run(fake: FakeTelegram, args: argparse.Namespace, rate: float | None) -> dict:
    """One fresh `alytus serve` under load; rate None keeps Telegram's 30 replies/s pace."""
    home = Path(tempfile.mkdtemp(prefix="alytus-bench-tg-"))
    process, url = start_server(fake, home, rate)
    try:
        warm_up(url)
        before = len(fake.sent("sendMessage"))
        if shutil.which("wrk"):
            result = with_wrk(url, args.seconds, args.connections, home)
        else:
            result = asyncio.run(with_httpx(url, args.seconds, args.connections))
        result["sendMessage_calls"] = len(fake.sent("sendMessage")) - before
        result["connections"] = args.connections
        result["reply_pace"] = rate or Settings().telegram_rate_per_second
    finally:
        process.terminate()
        process.wait(15)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--push-messages", type=int, default=3000)
    args = parser.parse_args()

    fake = FakeTelegram.start(token=TOKEN)
    runs = {
        "paced_30_per_s": webhook_run(fake, args, None),
        "unpaced": webhook_run(fake, args, 100_000),  # the app's own capacity
    }
    push = asyncio.run(push_rate(fake, args.push_messages, 64))
    fake.stop()
    database = "postgresql" if os.environ.get("ALYTUS_DATABASE_URL") else "sqlite"
    report = {"cores": os.cpu_count(), "database": database, "webhook": runs, "push": push}
    print(json.dumps(report, indent=2))
    for name, run in runs.items():
        print(
            f"webhook {name} ({run['tool']}, {database}): {run['per_second']:.0f} updates/s, "
            f"p95 {run['p95_ms']:.1f} ms, {run['non_2xx']} non-2xx, "
            f"{run['sendMessage_calls']} replies for {run['requests']} updates"
        )
    print(f"push: {push['per_second']:.0f} messages/s ({push['delivered']}/{push['messages']})")


if __name__ == "__main__":
    main()
