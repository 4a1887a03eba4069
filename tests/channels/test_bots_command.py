"""`alytus bots` as an operator runs it: with a Telegram token it long-polls the Bot API and
answers. The Bot API here is the local server in tests/fakes/telegram_api.py, which speaks
the documented API and is fed a real private-message update payload."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes.telegram_api import FakeTelegram, private_text_update


def test_alytus_bots_polls_telegram_and_answers(
    tmp_path: Path, live_database_url: str, nlu_cache_dir: Path, nlu_parser: Any
):
    fake = FakeTelegram.start(token="123:TEST")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALYTUS_")}
    env.update(
        ALYTUS_HOME=str(tmp_path / "home"),
        ALYTUS_DATABASE_URL=live_database_url,
        ALYTUS_NLU_DIR=str(nlu_cache_dir),
        ALYTUS_TELEGRAM_TOKEN="123:TEST",
        ALYTUS_TELEGRAM_API_BASE=fake.base_url,
    )
    alytus = Path(sys.executable).with_name("alytus")
    process = subprocess.Popen(
        [str(alytus), "bots"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        fake.push_update(private_text_update(4711, "/start", language_code="en"))
        fake.wait_for("sendMessage", count=1, chat_id=4711, timeout=90)
        [reply] = fake.sent("sendMessage", chat_id=4711)
        assert "Alytus Connect" in reply.params["text"]
        assert "lang:lt" in str(reply.params.get("reply_markup"))
        assert {call.params.get("language_code") for call in fake.sent("setMyCommands")} >= {
            "lt",
            "en",
        }
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        fake.stop()
    assert process.returncode in (0, -15), output
