"""`os1 serve`: many people at once over HTTP and WebSocket. The top layer beside the CLI: it parses,
authenticates and calls the engine; it has no conversation logic of its own."""

from os1.server.app import check_bind, create_app

__all__ = ["check_bind", "create_app"]
