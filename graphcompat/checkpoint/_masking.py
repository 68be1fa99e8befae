"""Passwords out of store URLs and connection strings: the one place that masks them.

Every store URL or conninfo graphcompat prints, logs or stores for people
to read goes through :func:`mask_password` (``BaseCheckpointSaver.display_url``,
the Postgres saver's error messages, ``saver_from_url``'s refusals, the
command line). It imports nothing of graphcompat, so any module can use it.
"""

from __future__ import annotations

import re

__all__ = ["mask_password", "strip_password"]

#: ``scheme://user:password@host``; the password runs to the first ``@``
#: (it may contain ``/``, ``:`` or ``?``), so an unescaped ``/`` cannot leak it.
_PASSWORD_IN_URL = re.compile(r"(//[^:/@]*:)([^@]*)(@)")
#: libpq keyword conninfo (``host=db password=secret``, quoted or not), and
#: ``password=`` in a URL's query string.
_PASSWORD_IN_KV = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_password(conninfo: str) -> str:
    """``conninfo`` (a store URL, a libpq conninfo, an error message) with any password replaced by ``***``.

    ``postgresql://app:s3cret@db:5432/x`` becomes ``postgresql://app:***@db:5432/x``
    and ``host=db user=app password=s3cret`` becomes ``host=db user=app password=***``.
    """
    masked = _PASSWORD_IN_URL.sub(r"\1***\3", conninfo)
    return _PASSWORD_IN_KV.sub(r"\1***", masked)


#: ``password=...`` as a query parameter of a URL, with the ``&`` or ``?`` before it.
_PASSWORD_PARAM = re.compile(r"([?&])password=[^&]*&?", re.IGNORECASE)


def strip_password(url: str) -> str:
    """``url`` with its password removed, for a URL that must be kept or sent where people
    can read it (a Temporal Schedule): ``postgresql://app:s3cret@db/x`` becomes
    ``postgresql://app@db/x``. Whoever opens it supplies the password from its own
    environment (``activities.cleanup``; libpq's ``PGPASSWORD`` or ``~/.pgpass``)."""
    stripped = _PASSWORD_IN_URL.sub(lambda m: "//" if m.group(1) == "//:" else m.group(1)[:-1] + "@", url)
    stripped = _PASSWORD_PARAM.sub(lambda m: m.group(1), stripped)
    return stripped.rstrip("?&")
