"""The SMS gateway (POST /sms/inbound, POST /sms/status) and, in development, the SMS simulator.

`init_app` reads the gateway's settings (directory.settings.Settings: Twilio, Rasa budget,
retention...) from the environment into app.config, points the job queue at them, and registers
the blueprints. The simulator exists only outside production.
"""
from __future__ import annotations

import logging
import os

from directory import bootstrap
from directory.people import phones
from directory.settings import Settings

log = logging.getLogger(__name__)


def settings_of(app) -> Settings:
    return app.extensions["sms_settings"]


def init_app(app) -> None:
    # The tracker store's default follows the app's own database (its config may name another).
    defaults = Settings.from_mapping({**os.environ, "DATABASE_URL": app.config["DATABASE_URL"]})
    for name, value in vars(defaults).items():
        app.config.setdefault(name, value)
    settings = Settings.from_mapping({k: (str(v) if v is not None else None) for k, v in app.config.items()
                                      if k in vars(defaults)})
    phones.check_keys()  # production without keys stops here, with the command that makes them
    if not settings.TWILIO_AUTH_TOKEN:
        log.warning("TWILIO_AUTH_TOKEN is not set: every SMS webhook will be refused (403). Set it to the "
                    "auth token of the Twilio account.")
    if settings.sends_via_twilio and not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
        log.warning("TWILIO_ACCOUNT_SID is set but neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID: "
                    "Twilio will refuse every text. Set one of them.")
    app.extensions["sms_settings"] = settings
    bootstrap.wire_texting(settings)

    from web.sms import gateway
    app.register_blueprint(gateway.bp)
    if settings.SIGNPOST_ENV != "production":
        from web.sms import simulator
        app.register_blueprint(simulator.bp)
