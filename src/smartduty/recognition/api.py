"""API of the recognition app."""

from ninja import Router

router = Router(tags=["recognition"])
