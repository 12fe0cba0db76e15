"""invoice-tui: invoice management for people who live in a terminal."""

__version__ = "0.1.0"


def _import_peewee_without_postgres_drivers() -> None:
    """Import peewee (before any module of the package does) without letting it import psycopg2.

    peewee imports psycopg2 (and psycopg 3) at its own import whenever they are installed, and
    psycopg2 loads libpq and OpenSSL: some 30 ms of every start, which a SQLite workspace never
    uses (issue 16, cold start). ``invoice_tui.db.postgres_driver()`` hands peewee the driver
    when a PostgreSQL workspace is opened. A process that imported psycopg2 first keeps peewee's
    own behaviour."""
    import sys

    if "peewee" in sys.modules or "psycopg2" in sys.modules:
        return
    blocked = [name for name in ("psycopg2", "psycopg2cffi", "psycopg") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # "import name" raises ImportError
    try:
        import peewee  # noqa: F401
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


_import_peewee_without_postgres_drivers()
