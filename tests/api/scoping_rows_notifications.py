"""Scoping-matrix rows of the notifications app."""

UNSCOPED = {
    "notifications-list_app_notifications": (
        "the caller's own inbox (officer and unit); test_other_unit_sees_none_of_them"
    ),
}
