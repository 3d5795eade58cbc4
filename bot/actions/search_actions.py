"""Actions that search the directory and act on the answer: search, MORE, a number, yes/no,
MENU and RESET. Each reads the slots, calls flow, and turns the Reply into messages and events."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from . import flow, parsing
from .directory_api import DirectoryClient
from .messages import sms_text, t

_client = None


def client() -> DirectoryClient:
    """One client (and connection pool) per process, made on first use, not at import."""
    global _client
    if _client is None:
        _client = DirectoryClient()
    return _client


def state(tracker: Tracker) -> flow.State:
    return flow.State.from_slots(tracker.slots)


def send(dispatcher: CollectingDispatcher, reply: flow.Reply, before: flow.State) -> List[Dict[Text, Any]]:
    for text in reply.texts:
        dispatcher.utter_message(text=sms_text(text))
    events = []
    for name, value in reply.slots.items():
        if getattr(before, name, object()) != value:
            events.append(SlotSet(name, value))
    return events


class ActionSearch(Action):
    def name(self) -> Text:
        return "action_search"

    async def run(self, dispatcher, tracker, domain):
        s = state(tracker)
        reply = await asyncio.to_thread(flow.search, s, client())
        return send(dispatcher, reply, s)


class ActionMore(Action):
    def name(self) -> Text:
        return "action_more"

    async def run(self, dispatcher, tracker, domain):
        s = state(tracker)
        reply = await asyncio.to_thread(flow.more, s, client())
        return send(dispatcher, reply, s)


class ActionChoose(Action):
    def name(self) -> Text:
        return "action_choose"

    async def run(self, dispatcher, tracker, domain):
        s = state(tracker)
        number = parsing.parse_number(tracker.latest_message.get("text") or "")
        reply = await asyncio.to_thread(flow.choose, s, client(), number)
        return send(dispatcher, reply, s)


class ActionYesNo(Action):
    def name(self) -> Text:
        return "action_yes_no"

    async def run(self, dispatcher, tracker, domain):
        s = state(tracker)
        yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        reply = await asyncio.to_thread(flow.yes_no, s, client(), yes, tracker.sender_id)
        return send(dispatcher, reply, s)


class ActionMenu(Action):
    def name(self) -> Text:
        return "action_menu"

    async def run(self, dispatcher, tracker, domain):
        s = state(tracker)
        dispatcher.utter_message(text=t("menu", s.lang))
        return [SlotSet("awaiting", "menu")]


class ActionReset(Action):
    def name(self) -> Text:
        return "action_reset"

    async def run(self, dispatcher, tracker, domain):
        lang = state(tracker).lang
        dispatcher.utter_message(text=t("reset", lang))
        return [AllSlotsReset(), SlotSet("lang", lang)]
