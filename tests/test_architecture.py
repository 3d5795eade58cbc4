"""The layout keeps its promises: no import cycle among the project's modules (imports inside
functions count), and the core imports neither the web app nor the bot. The layer contracts
themselves are import-linter's (.importlinter, `lint-imports` in `make test-fast`)."""
from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("directory", "web", "bot", cache_dir=None)


def cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph.modules:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above can fail: a two-module cycle built by hand is found."""
    g = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        g.add_module(name)
    g.add_import(importer="pkg.a", imported="pkg.b")
    g.add_import(importer="pkg.b", imported="pkg.a")
    g.add_import(importer="pkg.c", imported="pkg.a")
    assert cycles(g) == [["pkg.a", "pkg.b"]]


def test_the_core_imports_neither_web_nor_bot(graph):
    offending = [(m, imported) for m in graph.modules if m.split(".")[0] == "directory"
                 for imported in graph.find_modules_directly_imported_by(m) if imported.split(".")[0] in ("web", "bot")]
    assert offending == []
