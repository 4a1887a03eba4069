"""The engine as Rasa custom actions: what a Rasa server sends to its action server
(the documented action call: next_action, sender_id, tracker, domain, version) and what it
gets back. Rasa itself cannot be installed here (it needs Python < 3.11), so the calls are
made the way Rasa makes them: to the executor, and over HTTP to `alytus rasa-actions`."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bots.channels.rasa_actions import build_executor
from bots.engine import Engine


def action_call(action: str, sender: str, text: str) -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.21.0",
        "domain": {"intents": ["greet", "service_question"], "responses": {}, "actions": [action]},
        "tracker": {
            "sender_id": sender,
            "conversation_id": sender,
            "slots": {},
            "latest_message": {
                "text": text,
                "intent": {"name": "greet", "confidence": 0.97},
                "intent_ranking": [],
                "entities": [],
            },
            "latest_event_time": 1732406400.0,
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


def test_rasa_can_run_onboarding_through_the_engine(engine: Engine):
    executor = build_executor(engine)
    said = ["/start", "lt", "sutinku", "gyvenu uzsienyje", "Norvegijoje", "darbas", "taip"]
    for text in said:
        result = asyncio.run(executor.run(action_call("action_alytus_reply", "rasa-7", text)))
    last = result.responses[0]
    assert "pakvietimo kodas" in last["text"]
    assert {"title": "Mano profilis", "payload": "/profile"} in last["buttons"]


def test_the_invite_action_gives_the_members_link(engine: Engine):
    executor = build_executor(engine)
    for text in ["/start", "en", "yes", "resident", "sport"]:
        asyncio.run(executor.run(action_call("action_alytus_reply", "rasa-8", text)))
    result = asyncio.run(executor.run(action_call("action_alytus_invite", "rasa-8", "invite")))
    assert "?ref=" in result.responses[0]["text"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_action_server_answers_rasa_over_http(
    tmp_path: Path, live_database_url: str, nlu_parser: object, nlu_cache_dir: Path
):
    port = _free_port()
    env = {
        **os.environ,
        "ALYTUS_HOME": str(tmp_path / "home"),
        "ALYTUS_DATABASE_URL": live_database_url,
        "ALYTUS_NLU_DIR": str(nlu_cache_dir),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "admin", "rasa-actions", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        reply = httpx.post(
            f"{base}/webhook",
            json=action_call("action_alytus_reply", "http-1", "/start"),
            timeout=60,
        )
        assert reply.status_code == 200
        assert "Kokia kalba" in reply.json()["responses"][0]["text"]
        unknown = httpx.post(
            f"{base}/webhook", json=action_call("action_nobody_wrote", "http-1", "hi"), timeout=60
        )
        assert unknown.status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=15)
