"""Loopback fakes of vendors' APIs (real sockets, real request signing) for contract tests."""
