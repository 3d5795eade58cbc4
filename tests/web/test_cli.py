import json


def test_fresh_database_commands(tmp_path, monkeypatch):
    """Each command works on a fresh DATABASE_URL: it brings the schema up first."""
    from directory import db
    from web import create_app
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    runner = app.test_cli_runner()
    out = runner.invoke(args=["directory", "stats"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["services"] == 0
    out = runner.invoke(args=["directory", "seed-demo"])
    assert out.exit_code == 0 and "29 services" in out.output
    out = runner.invoke(args=["directory", "seed-demo", "--if-empty"])
    assert "skipped" in out.output
    out = runner.invoke(args=["directory", "seed-demo"])  # re-seeding updates, never duplicates
    stats = json.loads(runner.invoke(args=["directory", "stats"]).output)
    assert stats["services"] == 29 and stats["organizations"] == 26 and stats["search_entries"] == 29
    out = runner.invoke(args=["directory", "migrate"])
    from alembic.script import ScriptDirectory
    heads = ScriptDirectory.from_config(db.alembic_config()).get_heads()
    assert len(heads) == 1  # one head: parallel branches are merged
    assert out.exit_code == 0 and f"Schema is at revision {heads[0]}" in out.output
    db.engine().dispose()
