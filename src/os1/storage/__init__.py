"""Storage behind small repository interfaces (``os1.storage.base``); SQLite is the embedded default."""
