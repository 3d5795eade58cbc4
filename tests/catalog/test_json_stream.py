"""importers/json_stream.py reads what json.loads reads, item by item, and fails where it fails
(the same message, line and column), whatever the cut between two chunks."""
from __future__ import annotations

import json
import random

import pytest

from directory.catalog.importers import ImportFailed
from directory.catalog.importers import json_stream


def _loads(path):
    try:
        return "ok", json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        return "error", (f"{path.name}: is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                         "is the file complete?")


def _streamed(path, key):
    stream = json_stream.JsonList(path, key)
    try:
        items = list(stream)
    except ImportFailed as exc:
        return "error", str(exc)
    if stream.shape == "list":
        return "ok", items
    if stream.shape == "object-list":
        return "ok", {**stream.document, key: items}
    return "ok", stream.document if stream.shape == "object" else "other"


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_the_same_values_and_errors_as_json_loads(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(json_stream, "CHUNK", chunk)
    rng = random.Random(chunk)
    docs = [{"id": i, "name": "caf\u00e9 " * rng.randint(0, 9), "n": rng.random() * 1e6, "l": [1, {"a": None}],
             "t": True, "s": "a \\\"quoted\\\" \\u00e9"} for i in range(60)]
    texts = [json.dumps(docs), json.dumps(docs, indent=2), json.dumps({"page": 1, "rows": docs, "after": 12345}, indent=1),
             json.dumps({"page": 1, "x": docs[:3]}), json.dumps({"rows": 5}), "  [ ]  ", "{}", "[1, 2, 3.5e10]",
             "\ufeff[1]"]
    path = tmp_path / "f.json"
    for text in texts:
        for cut in [len(text)] + [rng.randint(0, len(text)) for _ in range(25)]:
            for mutate in (False, True):
                broken = text[:cut]
                if mutate and broken:
                    k = rng.randrange(len(broken))
                    broken = broken[:k] + rng.choice([",", "}", "]", "x", '"', ":"]) + broken[k + 1:]
                path.write_text(broken, encoding="utf-8")
                expected = _loads(path)
                if expected[0] == "ok" and not isinstance(expected[1], (list, dict)):
                    continue  # a bare number or string: not a file of items (the importers refuse it)
                assert _streamed(path, "rows") == expected, broken[-60:]


def test_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"name": "caf\u00e9"}]'.encode("latin-1"))
    with pytest.raises(ImportFailed, match="latin1.json: is not UTF-8 text"):
        list(json_stream.JsonList(path, "rows"))
