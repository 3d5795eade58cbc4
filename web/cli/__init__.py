"""The Flask CLI (`flask --app web ...`): the directory (schema, imports, exports), users, SMS."""
from __future__ import annotations


def init_app(app) -> None:
    from web.cli import api_clients, directory, imports, sms, users
    imports.register(directory.directory_cli)
    app.cli.add_command(directory.directory_cli)
    users.register(app)
    sms.register(app)
    api_clients.register(app)
