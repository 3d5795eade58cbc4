"""`rasa` as `make bot-run-rasa` starts it, without CPU that Rasa 3.6 spends for nothing per message.

    python -m bot.rasa_server run --model ... (the same arguments as the `rasa` command)

Found with py-spy on the SMS benchmark conversation (figures in bench/RESULTS.md "## SMS gateway"):

- Every custom action's answer is checked with `jsonschema.validate(result, schema)`, which first
  validates the constant schema itself against the draft 2020-12 metaschema: about two thirds of
  the Rasa process's CPU. Here the schema is checked once and its validator reused: the same validator
  class, the same `best_match` error, the same message added to it.
- Even so, each event was checked against all 23 branches of the schema's `oneOf` (one per event type,
  about a tenth of the main thread's CPU). The branches are told apart by the const of `event`, so
  an event is valid exactly when the branch of its own type is: an answer is first checked that way,
  and only one that fails goes through the full check, which gives Rasa's verdict and error.
- Every event read back (from the tracker store, from an action's answer) finds its class by walking
  all of Event's subclasses, about 60 of them, recursively (`Event.resolve_by_type`; about 6 %).
  Here the classes are indexed by type name once, in Rasa's own order (the first class with a
  name wins), and walked again only for a name not seen yet, which then gives Rasa's answer.
- Every NLU parse and every action prediction runs the model graph through `dask.get`, dask's
  threaded scheduler used synchronously (task ordering and bookkeeping each time: about 10 %).
  Here `dask.core.get` evaluates the same graph in topological order: the same tasks, the same
  results.

- Every call to the action server (two a message: the slot validation and the answer) opened a new
  aiohttp session and a new TCP connection, and wrote the tracker's JSON with the json module
  (together about 7 % of the process's CPU). Here each endpoint keeps one session per event loop, its
  connections kept alive for a shorter time than the action server keeps them (so the client, never
  the server, drops an idle one), and the JSON is written by orjson (the same document, except that a
  NaN or infinity, which the json module writes as non-standard `NaN`, becomes null; the json module
  for anything orjson refuses). A request is still sent once: a failure is Rasa's failure as before.
  The sessions are closed when the server stops.

The service's tracker store (bot/tracker_store.py, named in the endpoints file directory/service.py
writes) is Rasa's SQLTrackerStore with a per-process cache checked against the store on each message.

And at start-up (each restart of a killed server pays it): skops.io, with which the intent classifier
is loaded, builds its lists of trusted types at import by looking each numpy and scipy ufunc up in
every loaded module: 1.4 s of CPU before Rasa's ~6,000 modules are loaded, 5.8 s after. So it is
imported here, first.

Nothing else changes: NLU, predictions, actions and events are Rasa's own. bot/tests/test_rasa_server.py
checks each against Rasa's original. Pinned to rasa==3.6.21 (bot/requirements.txt): re-check the
replaced methods when upgrading.
"""
from __future__ import annotations

import skops.io  # noqa: F401  (first: see the docstring)

import contextlib
import copy
import json
import logging
import sys
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

import orjson

_applied = False


def _cached_action_result_validation() -> Callable:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, where jsonschema.validate does it on every call
    validator = cls(schema)
    quick_check = _events_checked_by_type(schema, cls)

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        if quick_check is not None and quick_check(result):
            return True
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    return _validate_action_result


def _events_checked_by_type(schema: Dict[Text, Any], cls: type) -> Optional[Callable[[Any], bool]]:
    """A check that accepts exactly the answers `schema` accepts, with each event checked against the
    one `oneOf` branch of its type. None when the branches are not each told apart by a distinct
    const of `event` (a later Rasa): then only the full check runs.

    Why it is the same: every branch requires `event` to equal its own const, so no two branches can
    both hold for an event; "exactly one branch holds" is then "the branch named by `event` holds"."""
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    branches = items.get("oneOf")
    if not branches or "event" not in items.get("required", ()):
        return None
    by_type: Dict[Text, Any] = {}
    for branch in branches:
        const = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(const, str) or const in by_type:
            return None
        by_type[const] = cls(branch)
    without_branches = copy.deepcopy(schema)
    del without_branches["properties"]["events"]["items"]["oneOf"]
    outer = cls(without_branches)

    def check(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        # The outer schema has checked that result is an object, events (if any) a list of objects
        # each with a string `event`.
        for event in result.get("events") or ():
            branch = by_type.get(event["event"])
            if branch is None or not branch.is_valid(event):
                return False
        return True

    return check


def _event_classes_indexed_by_type() -> Callable:
    import rasa.shared.utils.common as common
    from rasa.shared.core.events import Event

    rasas_own = Event.resolve_by_type
    by_type: Dict[Text, type] = {}

    def resolve_by_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
        found = by_type.get(type_name)
        if found is not None:
            return found
        # A name not indexed yet: classes imported since may carry it. Index again, in Rasa's order.
        by_type.clear()
        for cls in common.all_subclasses(Event):
            by_type.setdefault(cls.type_name, cls)
        found = by_type.get(type_name)
        return found if found is not None else rasas_own(type_name, default)

    return staticmethod(resolve_by_type)


def _graph_run_without_scheduler() -> Callable:
    import dask.core
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner import dask as rasa_dask

    logger = logging.getLogger(rasa_dask.__name__)

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        """DaskGraphRunner.run with dask.core.get in place of dask.get."""
        run_targets = targets if targets else self._graph_schema.target_names
        minimal_schema = self._graph_schema.minimal_graph_schema(run_targets)
        run_graph = self._build_dask_graph(minimal_schema)
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        if logger.isEnabledFor(logging.DEBUG):  # Rasa formats the inputs even when not logging them
            logger.debug(f"Running graph with inputs: {inputs}, targets: {targets} and {self._execution_context}.")
        try:
            return dict(dask.core.get(run_graph, run_targets))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    return run


# Seconds an idle connection to the action server is kept: less than the action server's own
# keep-alive (Sanic's KEEP_ALIVE_TIMEOUT, 5 s), so that it is always this side that closes one, and a
# request never goes out on a connection the server is closing at that moment.
ACTION_KEEPALIVE_S = 2.0
_KEPT = "_signpost_kept_session"  # an EndpointConfig's attribute: (event loop, aiohttp session)


def _json_dumps(value: Any) -> str:
    """orjson's JSON (a fifth of the json module's time on a tracker), the json module's for what
    orjson refuses (e.g. a dict with non-str keys, an int over 64 bits, a numpy float)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def _kept_alive_sessions() -> Callable:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    def session(self) -> contextlib.nullcontext:
        """EndpointConfig.session: the same headers, auth and timeout, one session per event loop.
        Rasa only uses it as `async with endpoint.session() as session`: the kept session is given
        in a null context, so the block's end leaves it open."""
        loop = asyncio.get_running_loop()
        kept = self.__dict__.get(_KEPT)
        if kept is None or kept[0] is not loop or kept[1].closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            kept = (loop, aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                # No cap on connections at once and no DNS cache: as Rasa's session a call (a new
                # connection still looks the name up, e.g. an action server moved on restart).
                connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_S, limit=0, use_dns_cache=False),
                json_serialize=_json_dumps))
            self.__dict__[_KEPT] = kept
        return contextlib.nullcontext(kept[1])

    return session


async def close_kept_sessions(*endpoints: Any) -> None:
    for endpoint in endpoints:
        kept = endpoint.__dict__.pop(_KEPT, None) if endpoint is not None else None
        if kept is not None and not kept[1].closed:
            await kept[1].close()


def _closing_kept_sessions_at_stop() -> Callable:
    """rasa.core.run.close_resources, which the server runs after it stops, closing the sessions too."""
    import rasa.core.run as rasa_run
    rasas_own = getattr(rasa_run.close_resources, "__wrapped__", rasa_run.close_resources)

    async def close_resources(app: Any, loop: Any) -> None:
        agent = getattr(app.ctx, "agent", None)
        if agent is not None:
            await close_kept_sessions(agent.action_endpoint, agent.model_server)
        await rasas_own(app, loop)

    close_resources.__wrapped__ = rasas_own
    return close_resources


def replacements() -> List[Tuple[Any, str, Callable]]:
    """(class or module, attribute name, replacement) for each change."""
    import rasa.core.run as rasa_run
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig
    return [(RemoteAction, "_validate_action_result", _cached_action_result_validation()),
            (Event, "resolve_by_type", _event_classes_indexed_by_type()),
            (DaskGraphRunner, "run", _graph_run_without_scheduler()),
            (EndpointConfig, "session", _kept_alive_sessions()),
            (rasa_run, "close_resources", _closing_kept_sessions_at_stop())]


def apply() -> None:
    global _applied
    if not _applied:
        for owner, name, replacement in replacements():
            setattr(owner, name, replacement)
        _applied = True


def main() -> None:
    apply()
    # The tracker store the service's endpoints file names (directory/service.py): imported here so that
    # a broken import stops the server, where Rasa would fall back to an in-memory store with a warning.
    import bot.tracker_store  # noqa: F401
    from rasa.__main__ import main as rasa_main
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
