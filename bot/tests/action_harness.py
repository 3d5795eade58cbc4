"""Run one action on a tracker built from a JSON fixture, the way the action server would."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "trackers"
_domain = None


def domain() -> dict:
    global _domain
    if _domain is None:
        _domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
    return _domain


def _action(name: str):
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    return executor.actions[name]


def build_tracker(spec: dict) -> Tracker:
    """Slots start at the domain's initial values, then the fixture's slots on top."""
    slots = {name: s.get("initial_value") for name, s in domain()["slots"].items()}
    slots.update(spec.get("slots", {}))
    latest = spec.get("latest_message", {})
    latest.setdefault("intent", {"name": None, "confidence": 1.0})
    latest.setdefault("entities", [])
    events = spec.get("events") or [{"event": "user", "text": latest.get("text"), "parse_data": latest}]
    return Tracker.from_dict({"sender_id": spec.get("sender_id", "pseudo-test-0001"), "slots": slots,
                              "latest_message": latest, "events": events,
                              "active_loop": spec.get("active_loop", {}),
                              "latest_action_name": spec.get("latest_action_name", "action_listen")})


def run_action(name: str, spec: dict) -> tuple[list[dict], list[str]]:
    """(events, texts) the action returns for this tracker spec."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(_action(name)(dispatcher, build_tracker(spec), domain()))
    # round-trip through JSON, as the action server's answer does
    return json.loads(json.dumps(events)), [m.get("text") for m in dispatcher.messages]


def load_fixtures() -> list[tuple[str, dict]]:
    return [(p.stem, json.loads(p.read_text())) for p in sorted(FIXTURES.glob("*.json"))]
