"""Open a saver from a URL, so another process (a worker, the CLI) finds the same store."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigurationError
from ._masking import mask_password
from .base import BaseCheckpointSaver

_ACCEPTED = (
    "memory:// (this process only), "
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "a file path ending in .db, .sqlite or .sqlite3, "
    "postgresql://user:password@host:5432/dbname[?schema=name]"
)
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
#: Database names ``SqliteSaver`` keeps in memory rather than in a file.
_SQLITE_IN_MEMORY = ("", ":memory:")


def saver_from_url(url: str) -> BaseCheckpointSaver:
    """The saver a store URL names.

    ``sqlite:///x.db`` is ``x.db`` relative to the working directory and
    ``sqlite:////abs/x.db`` the absolute path (SQLAlchemy's convention);
    ``memory://NAME`` is the live in-memory saver of that name in this process
    (a new empty one for a bare ``memory://``); a ``schema`` query parameter
    of a Postgres URL selects the Postgres schema.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"empty store URL {url!r}; use one of: {_ACCEPTED}")
    url = url.strip()
    scheme = _scheme(url)
    if scheme == "memory":
        from .memory import InMemorySaver

        name = url.split("://", 1)[1].strip("/")
        return InMemorySaver._named(name) if name else InMemorySaver()
    database = _sqlite_database(url)
    if database is not None:
        from .sqlite import SqliteSaver

        return SqliteSaver(database)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresSaver

        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), None)
        other_params = [(k, v) for k, v in query if k != "schema"]
        conninfo = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(other_params)))
        return PostgresSaver(conninfo, schema=schema)
    raise ConfigurationError(f"unsupported store URL {mask_password(url)!r}; use one of: {_ACCEPTED}")


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite store URL names, as ``saver_from_url`` opens it; None when there is none.

    ``sqlite:///rel.db`` gives ``rel.db`` (relative to the working directory),
    ``sqlite:////abs/x.db`` gives ``/abs/x.db``, a bare path ending in ``.db``,
    ``.sqlite`` or ``.sqlite3`` gives itself (``~`` not yet expanded). None for
    a URL of another kind and for SQLite's in-memory database
    (``sqlite:///:memory:``). A ``sqlite://`` URL without a path is refused
    with the same error ``saver_from_url`` gives.
    """
    database = _sqlite_database(url.strip())
    if database is None or database in _SQLITE_IN_MEMORY:
        return None
    return Path(database)


def _scheme(url: str) -> str:
    """``sqlite`` of ``SQLite:///x.db``; ``""`` when the URL has none (a bare path)."""
    return url.split("://", 1)[0].lower() if "://" in url else ""


def _sqlite_database(url: str) -> str | None:
    """What ``SqliteSaver`` opens for a (stripped) store URL, or None when it names no SQLite store.

    The path after ``sqlite:///`` (SQLAlchemy's convention: a fourth slash
    makes it absolute) without any query string, or a bare path with a
    SQLite suffix as it is; ``""`` and ``":memory:"`` are in-memory databases.
    """
    scheme = _scheme(url)
    if scheme == "sqlite":
        rest = url[len("sqlite://") :]
        if not rest.startswith("/") or len(rest) < 2:
            raise ConfigurationError(
                f"SQLite URL {url!r} has no path; write sqlite:///relative.db or sqlite:////absolute/path.db"
            )
        return rest[1:].split("?", 1)[0]
    if not scheme and url.lower().endswith(_SQLITE_SUFFIXES):
        return url
    return None
