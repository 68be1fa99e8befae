"""Open a saver from a URL, so another process (a worker, the CLI) finds the same store."""

from __future__ import annotations

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
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "memory":
        from .memory import InMemorySaver

        name = url.split("://", 1)[1].strip("/")
        return InMemorySaver._named(name) if name else InMemorySaver()
    if scheme == "sqlite":
        from .sqlite import SqliteSaver

        rest = url[len("sqlite://") :]
        if not rest.startswith("/") or len(rest) < 2:
            raise ConfigurationError(
                f"SQLite URL {url!r} has no path; write sqlite:///relative.db or sqlite:////absolute/path.db"
            )
        return SqliteSaver(rest[1:].split("?", 1)[0])
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresSaver

        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), None)
        other_params = [(k, v) for k, v in query if k != "schema"]
        conninfo = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(other_params)))
        return PostgresSaver(conninfo, schema=schema)
    if not scheme and url.lower().endswith(_SQLITE_SUFFIXES):
        from .sqlite import SqliteSaver

        return SqliteSaver(url)
    raise ConfigurationError(f"unsupported store URL {mask_password(url)!r}; use one of: {_ACCEPTED}")
