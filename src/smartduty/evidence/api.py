"""API of the evidence app."""

from ninja import Router

router = Router(tags=["evidence"])
