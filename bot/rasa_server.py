"""`rasa` as `make bot-run-rasa` starts it, without CPU that Rasa 3.6 spends for nothing per message.

    python -m bot.rasa_server run --model ... (the same arguments as the `rasa` command)

Found with py-spy on the SMS benchmark conversation (figures in bench/RESULTS.md "## SMS gateway"):

- Every custom action's answer is checked with `jsonschema.validate(result, schema)`, which first
  validates the constant schema itself against the draft 2020-12 metaschema: about two thirds of
  the Rasa process's CPU. Here the schema is checked once and its validator reused: the same validator
  class, the same `best_match` error, the same message added to it.
- Every NLU parse and every action prediction runs the model graph through `dask.get`, dask's
  threaded scheduler used synchronously (task ordering and bookkeeping each time: about 10 %).
  Here `dask.core.get` evaluates the same graph in topological order: the same tasks, the same
  results.

The service's tracker store (bot/tracker_store.py, named in the endpoints file directory/service.py
writes) is Rasa's SQLTrackerStore with a per-process cache checked against the store on each message.

Nothing else changes: NLU, predictions, actions and events are Rasa's own. bot/tests/test_rasa_server.py
checks both against Rasa's originals. Pinned to rasa==3.6.21 (bot/requirements.txt): re-check the
replaced methods when upgrading.
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

_applied = False


def _cached_action_result_validation() -> Callable:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, where jsonschema.validate does it on every call
    validator = cls(schema)

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
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


def replacements() -> List[Tuple[type, str, Callable]]:
    """(class, method name, replacement) for each change."""
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.runner.dask import DaskGraphRunner
    return [(RemoteAction, "_validate_action_result", _cached_action_result_validation()),
            (DaskGraphRunner, "run", _graph_run_without_scheduler())]


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
