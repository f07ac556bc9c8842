"""A small generator of export records shaped as docs/api-contract.md ("Records") describes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def conversation_record(
    interaction_id: str = "c-1",
    *,
    start: str = "2024-01-01T08:00:00.000Z",
    end: str = "2024-01-01T08:07:12.345Z",
    agents: tuple[str | None, ...] = ("agent-1",),
    **overrides: Any,
) -> dict[str, Any]:
    """One nested conversation record: a customer, an ACD leg and the given agents."""
    participants = [
        {
            "participantId": "p-cust",
            "purpose": "customer",
            "userId": None,
            "name": "Customer",
            "sessions": [
                {
                    "sessionId": "s-1",
                    "mediaType": "voice",
                    "metrics": [{"name": "tTalk", "value": 1234}],
                }
            ],
        },
        {
            "participantId": "p-acd",
            "purpose": "acd",
            "userId": None,
            "name": "Billing",
            "sessions": [],
        },
    ]
    participants += [
        {
            "participantId": f"p-agent-{i}",
            "purpose": "agent",
            "userId": user,
            "name": f"A{i}",
            "sessions": [{"sessionId": f"s-a{i}", "mediaType": "voice", "metrics": []}],
        }
        for i, user in enumerate(agents)
    ]
    record: dict[str, Any] = {
        "interactionId": interaction_id,
        "type": "inbound",
        "startTimestamp": start,
        "endTimestamp": end,
        "channel": {"type": "voice"},
        "queue": {"id": "q-1", "name": "Billing"},
        "wrapUp": {"code": "w-1", "name": "Resolved"},
        "durations": {"talkMs": 300000, "holdMs": 12000, "acwMs": 45000, "totalMs": 432345},
        "participants": participants,
    }
    record.update(overrides)
    return record


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[[str, list[Any]], Path]:
    """Write lines (dicts become JSON, strings are written verbatim) to raw/<name>."""

    def write(name: str, lines: list[Any]) -> Path:
        path = tmp_path / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def record() -> Callable[..., dict[str, Any]]:
    return conversation_record
