"""The `smartduty` console script: Django's management commands under one name.

`smartduty migrate`, `smartduty run_worker`, and later `smartduty plates read ...`.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command with the production settings module by default."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartduty.settings")
    from django.core.management import execute_from_command_line  # noqa: PLC0415 - after env set

    args = list(sys.argv if argv is None else ["smartduty", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
