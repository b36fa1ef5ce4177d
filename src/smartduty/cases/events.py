"""Signals the case core sends. Apps above it (Open311) connect receivers in their `ready()`,
so that the case core never imports them (STYLE §5: reacting upwards)."""

from django.dispatch import Signal

case_ended = Signal()
"""A case entered a final status (结案, 不予立案, 重复上报, 作废) for the first time; 评价 after
结案 does not send it again. Sent with `case` by `cases.services.transition` inside its
transaction and without a savepoint: what a receiver writes (a timer, an audit row) commits
with the status change, and a receiver that raises undoes the transition."""
