"""What `make run` prints before the supervisor starts the processes: the URLs and the demo logins."""
from __future__ import annotations

import os


def banner(env=os.environ) -> str:
    from directory.settings import rasa_ports
    port, actions = env.get("PORT", "5000"), env.get("ACTION_PORT", "5055")
    web = f"http://127.0.0.1:{port}"
    rasa = ", ".join(f"http://127.0.0.1:{p}" for p in rasa_ports(env))  # every instance (RASA_INSTANCES)
    lines = [
        "",
        "Signpost is starting (web, Rasa, action server, worker). Rasa takes a minute to load its model.",
        f"  Web app          {web}/search   (case managers; sign in at {web}/login)",
        f"  SMS simulator    {web}/dev/sms  (text the bot like a phone; development only)",
        f"  Health           {web}/healthz",
        f"  Rasa             {rasa}",
        f"  Action server    http://127.0.0.1:{actions}",
        "  SMS outbox       .venv/bin/flask --app web sms outbox"
        + ("" if env.get("TWILIO_ACCOUNT_SID") else "   (no TWILIO_ACCOUNT_SID: texts stay in the outbox)"),
    ]
    try:
        from web.cli.users import demo_logins
        logins = demo_logins()
    except ImportError:  # the staff pages are not in this checkout
        logins = []
    if logins:
        lines.append("  Demo logins (development only):")
        lines += [f"    {role:<13} {email:<32} {password}" for email, role, password in logins]
    lines += ["Press Ctrl-C to stop everything.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(banner())
