"""The PostgreSQL store, for several `os1 serve` processes sharing one database (``pip install os1[postgres]``)."""

from os1.storage.postgres.store import PostgresStore, open_store

__all__ = ["PostgresStore", "open_store"]
