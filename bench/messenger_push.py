"""Messages a second through MessengerPush to a local fake Send API (tests/fakes).

What our side costs per proactive Messenger message (building the body, one reused
httpx.AsyncClient, parsing the answer), one at a time and with several in flight; the
platform's own pace (MessengerPush.rate, 40/s) is far below both, so the sender is never the
bottleneck of a broadcast. Also checks that every message arrived once.

Run: .venv/bin/python bench/messenger_push.py [--messages 2000] [--concurrency 1 10 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bots.channels.messenger import MessengerPush  # noqa: E402
from bots.messages import Button, Reply  # noqa: E402
from community.settings import Settings  # noqa: E402
from tests.fakes.messenger_api import FakeMessenger  # noqa: E402

REPLY = Reply(
    text="Naujas renginys: Alytaus miesto šventė, rugsėjo 20 d. Ar ateisite?",
    buttons=(Button("Ateisiu", "/rsvp 1 yes"), Button("Negaliu", "/rsvp 1 no")),
)


async def run(push: MessengerPush, messages: int, concurrency: int) -> tuple[float, list[float]]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            outcome = await push.push(f"psid-{n}", REPLY)
            latencies.append(time.perf_counter() - started)
            assert outcome.delivered, outcome

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(messages)))
    return time.perf_counter() - started, latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 40])
    args = parser.parse_args()

    with FakeMessenger.start(page_token="bench-token") as fake:
        settings = Settings(
            messenger_page_token=SecretStr("bench-token"), messenger_api_base=fake.base_url
        )
        push = MessengerPush(settings)
        await run(push, 50, 10)  # warm up the connection pool
        print(f"MessengerPush -> fake Send API at {fake.base_url}, {args.messages} messages each")
        rate = push.rate
        print(f"platform pace: {rate.per_second:g}/s, {rate.per_chat_per_second:g}/s a chat")
        for concurrency in args.concurrency:
            fake.reset()
            seconds, latencies = await run(push, args.messages, concurrency)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p95 = latencies[int(len(latencies) * 0.95)] * 1000
            recipients = {call.recipient for call in fake.calls}
            assert len(fake.calls) == args.messages == len(recipients), "lost or doubled"
            print(
                f"in flight {concurrency:>3}: {args.messages / seconds:7.0f} messages/s "
                f"({seconds:.2f} s), p50 {p50:.1f} ms, p95 {p95:.1f} ms, each delivered once"
            )
        await push.aclose()


if __name__ == "__main__":
    asyncio.run(main())
