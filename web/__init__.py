"""Signpost's Flask app: the JSON API, the pages, the SMS gateway (application factory)."""
from __future__ import annotations

import logging
import os

from flask import Flask

from directory.settings import app_config


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(app_config(os.environ))
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations say enough through the CLI

    from web import database
    database.init_app(app)
    # The ZIP index takes ~0.2 s to read from its cache file (0.7 s to build): load it now (before
    # gunicorn forks, with --preload) rather than in the first person's request.
    from directory.catalog.geocode import ZIPS
    ZIPS.load()

    from web import api, cli, fhir, health, hsds_api  # noqa: F401  (hsds_api: its routes on api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(fhir.bp)
    app.register_blueprint(health.bp)
    from web import sms; sms.init_app(app)  # SMS gateway /sms/*, simulator /dev/sms (not in production)
    from web import pages; pages.init_app(app)  # pages, sign-in, CSRF, rate limits, CSP
    cli.init_app(app)
    _json_errors_under_api(app)
    return app


def _json_errors_under_api(app: Flask) -> None:
    """Unrouted /api/ paths (404, 405) answer in the API's JSON error envelope too; /fhir ones as OperationOutcome."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if request.path == "/fhir" or request.path.startswith("/fhir/"):
            from web.fhir import http_outcome
            return http_outcome(exc)
        if request.path.startswith("/api/"):
            from web.api import error_response, http_error_headers
            return error_response(exc.code or 400, (exc.name or "error").lower().replace(" ", "_"),
                                  exc.description or exc.name, http_error_headers(exc))
        return exc
