"""The end of every import: the search entries and cards of what it touched, then the summary."""
from __future__ import annotations



from directory.catalog.importers.loader import Loader
from directory.catalog.importers.errors import Report
from directory.catalog.importers.runtime import progress_bar


def finish(loader: Loader, progress: bool = False) -> Report:
    """Flush what is left and rebuild the search entries of every touched service."""
    from directory.catalog import index
    from directory.catalog.importers import pipeline
    loader.flush()
    loader.restore_indexes(progress)  # the search entries are read through them
    report = loader.report
    ids = list(dict.fromkeys(report.service_ids))
    report.service_ids = ids
    written = 0
    bulk = len(ids) >= index.BULK_RTREE_MIN
    triggers = index.suspend_rtree_triggers(loader.session) if bulk else []
    entry_indexes = index.suspend_entry_indexes(loader.session) if bulk else []
    with progress_bar(progress, total=len(ids), desc="search index", unit="services") as bar:
        if bulk and pipeline.available(loader):
            written = pipeline.reindex(loader.session, ids, bar.update)  # cards made in a second process
        else:
            for i in range(0, len(ids), 5000):
                chunk = ids[i:i + 5000]
                written += index.reindex_services(loader.session, chunk)
                bar.update(len(chunk))
    index.restore_entry_indexes(loader.session, entry_indexes)
    if triggers:
        with progress_bar(progress, total=1, desc="search R*Tree", unit="tree") as bar:
            index.rebuild_rtree(loader.session, triggers)
            bar.update(1)
    report.search_entries = written
    return report
