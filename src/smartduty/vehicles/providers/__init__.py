"""Adapters of `vehicles.ports.OwnerLookup`."""
