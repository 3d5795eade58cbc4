"""The one registry of tables: importing every table module puts its tables on `Base.metadata`.

Table modules import only `directory.base` (and, for a relationship, the tables they point at),
so importing a table never loads the search engine or the texting code. `db.configure`,
Alembic's env.py and the tests call `import_all_models()` before they need the whole schema.
"""
from __future__ import annotations

from sqlalchemy import MetaData


def import_all_models() -> MetaData:
    from directory.base import Base
    from directory.catalog import models as _catalog  # noqa: F401
    from directory.people import models as _people  # noqa: F401
    from directory.referrals import models as _referrals  # noqa: F401
    from directory.referrals import clients as _clients  # noqa: F401
    from directory.staff import models as _staff  # noqa: F401
    from directory.texting import models as _texting  # noqa: F401
    return Base.metadata
