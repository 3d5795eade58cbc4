"""A JSON file's big list read one item at a time, so memory does not grow with the file.

`JsonList(path, key)` iterates the items of the file's list: the top-level list, or the list under
`key` of a top-level object (FindTreatment's `{"page": 1, ..., "rows": [...]}`, HSDS's paged
`{"contents": [...]}`). A top-level object without such a list is not iterated: `document` then
holds it whole (an HSDS file of one document). The file is read in chunks and each item decoded
with the standard decoder (json.JSONDecoder.raw_decode), so what is accepted, and the errors, are
json.loads's: a cut-off or broken file raises ImportFailed naming the file, the line and the
column, as a whole-file json.loads would (the import then rolls back: nothing changes).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from directory.catalog.importers.errors import ImportFailed

CHUNK = 1 << 20  # characters read at a time
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_MARGIN = 16  # an error this close to the end of what was read may be the cut between two chunks


class JsonList:
    def __init__(self, path: Path, key: str | None = None):
        self.path, self.key = Path(path), key
        self.shape: str | None = None  # "list", "object-list" (the list under key) or "object"
        self.document: dict | None = None  # the top-level object, without the list under key
        self.position = 0  # characters read so far (for progress)

    @property
    def consumed(self) -> int:
        """Characters decoded so far (for a progress estimate)."""
        return self.position - len(getattr(self, "_buf", "")) + getattr(self, "_pos", 0)

    # ---- reading

    def __iter__(self):
        try:
            with open(self.path, encoding="utf-8-sig") as self._file:
                self._buf, self._pos, self._eof = "", 0, False
                self._lines, self._column = 0, 0  # newlines before the buffer, characters since the last one
                self._space()
                first = self._peek()
                if first == "[":
                    self.shape = "list"
                    yield from self._items()
                elif first == "{":
                    self.document = {}
                    yield from self._object()
                    self.shape = self.shape or "object"
                else:
                    self._value()  # the decoder's error, or a value that is not a list or an object
                    self.shape = "other"
                self._space()
                if self._peek() != "":
                    self._fail("Extra data")
        except UnicodeDecodeError:
            raise ImportFailed(self.path.name, "is not UTF-8 text") from None

    def _object(self):
        self._pos += 1  # {
        self._space()
        if self._peek() == "}":
            self._pos += 1
            return
        while True:
            self._space()
            if self._peek() != '"':
                self._fail("Expecting property name enclosed in double quotes")
            name = self._value()
            self._space()
            if self._peek() != ":":
                self._fail("Expecting ':' delimiter")
            self._pos += 1
            self._space()
            if name == self.key and self.shape is None and self._peek() == "[":
                self.shape = "object-list"
                yield from self._items()
            else:
                self.document[name] = self._value()
            self._space()
            c = self._peek()
            self._pos += 1
            if c == "}":
                return
            if c != ",":
                self._pos -= 1
                self._fail("Expecting ',' delimiter")

    def _items(self):
        self._pos += 1  # [
        self._space()
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._space()
            yield self._value()
            self._space()
            c = self._peek()
            self._pos += 1
            if c == "]":
                return
            if c != ",":
                self._pos -= 1
                self._fail("Expecting ',' delimiter")

    # ---- the buffer

    def _more(self) -> bool:
        """Read another chunk (dropping what was decoded); False at the end of the file."""
        if self._eof:
            return False
        chunk = self._file.read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self.position += len(chunk)
        done = self._buf[:self._pos]
        newlines = done.count("\n")
        if newlines:
            self._lines += newlines
            self._column = len(done) - done.rfind("\n") - 1
        else:
            self._column += len(done)
        self._buf, self._pos = self._buf[self._pos:] + chunk, 0
        return True

    def _peek(self) -> str:
        if self._pos >= len(self._buf):
            self._more()
        return self._buf[self._pos:self._pos + 1]

    def _space(self) -> None:
        while True:
            self._pos = _SPACE.match(self._buf, self._pos).end()
            if self._pos < len(self._buf) or not self._more():
                return

    def _value(self):
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                genuine = exc.pos < len(self._buf) - _MARGIN and not exc.msg.startswith("Unterminated string")
                if genuine or not self._more():
                    self._pos = exc.pos
                    self._fail(exc.msg)
                continue
            if end >= len(self._buf) and not self._eof and self._more():
                continue  # a number (or literal) may go on in the next chunk: decode it again
            self._pos = end
            return value

    def _fail(self, message: str):
        before = self._buf[:self._pos]
        newlines = before.count("\n")
        line = self._lines + newlines + 1
        column = (self._pos - before.rfind("\n") if newlines else self._column + self._pos + 1)
        raise ImportFailed(self.path.name, f"is not valid JSON ({message} at line {line}, column {column}); "
                                           "is the file complete?")
