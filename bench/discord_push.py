"""Messages a second through DiscordPush to the local fake Discord (tests/fakes/discord_api.py).

What the adapter itself costs (render, httpx, JSON), not Discord: the real ceiling is
Discord's 50 requests a second, which DiscordPush.rate (45/s) keeps under. The fake runs in
a thread of its own so its work is not counted in the client's event loop. Measured: new
recipients (open the DM, then post) and known ones (post only), one at a time and with
several sends in flight.

Run: .venv/bin/python bench/discord_push.py [--messages 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bots.channels.discord_push import DiscordPush  # noqa: E402
from bots.messages import Button, Reply  # noqa: E402
from community.settings import Settings  # noqa: E402
from tests.fakes.discord_api import FakeDiscord  # noqa: E402

REPLY = Reply(
    text="Alytaus meras kviečia jus į miesto šventę (birželio 1 d.). Ar dalyvausite?",
    buttons=(Button("Dalyvausiu", "/rsvp 7 yes"), Button("Negalėsiu", "/rsvp 7 no")),
)


def serve_fake() -> FakeDiscord:
    """The fake Discord on its own event loop in a daemon thread."""
    ready = threading.Event()
    holder: dict[str, FakeDiscord] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        fake = FakeDiscord()
        loop.run_until_complete(fake.start())
        holder["fake"] = fake
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return holder["fake"]


async def send_all(push: DiscordPush, recipients: list[str], concurrency: int) -> float:
    """Seconds to push REPLY to every recipient with `concurrency` sends in flight."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for recipient in recipients:
        queue.put_nowait(recipient)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while not queue.empty():
            outcome = await push.push(queue.get_nowait(), REPLY)
            failures += not outcome.delivered

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    assert failures == 0, f"{failures} pushes failed"
    return elapsed


async def main(messages: int, concurrency: int) -> None:
    fake = serve_fake()
    settings = Settings(
        home=Path(tempfile.mkdtemp()),
        discord_token=SecretStr("bench.token"),
        discord_api_base=fake.api_base,
    )
    push = DiscordPush(settings)
    print(f"DiscordPush -> fake Discord at {fake.api_base}, {messages} messages a run")
    print(f"{'run':<38} {'msg/s':>8} {'ms/msg':>8} {'requests':>9}")
    for label, in_flight, fresh in (
        ("new recipients, one at a time", 1, True),
        ("known recipients, one at a time", 1, False),
        (f"new recipients, {concurrency} in flight", concurrency, True),
        (f"known recipients, {concurrency} in flight", concurrency, False),
    ):
        if fresh:
            push.dm_channels.clear()
        recipients = [str(10**17 + n) for n in range(messages)]
        before = len(fake.calls)
        elapsed = await send_all(push, recipients, in_flight)
        requests = len(fake.calls) - before
        rate = messages / elapsed
        print(f"{label:<38} {rate:>8.0f} {1000 / rate:>8.2f} {requests:>9}")
    await push.aclose()
    print(f"Discord's own limit: 50 requests/s; DiscordPush.rate = {push.rate.per_second}/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.concurrency))
