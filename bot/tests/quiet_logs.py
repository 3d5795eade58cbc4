"""pytest plugin (loaded by bot/pytest.ini): no message text in the test logs (what a person texts is health information).

Rasa logs parsed message text through structlog at DEBUG ("processor.message.parse ...
parse_data_text=..."). Outside the `rasa` CLI nothing configures structlog, and its default
prints every level, so a failing test would dump held-out and crisis texts. Keep Rasa's
structlog and stdlib loggers at WARNING for the whole test session.
"""
from __future__ import annotations

import logging

import structlog


def pytest_configure(config):
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for name in ("rasa", "rasa_sdk", "sanic", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
