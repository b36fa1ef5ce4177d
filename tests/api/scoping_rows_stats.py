"""Scoping-matrix rows of the stats app (the command centre's read models and the outbox view).

None of these operations takes a row id in its path; each is checked against district A's rows
by a test of its own in `tests/api/test_stats_api.py` (`test_intruder_*`).
"""

UNSCOPED = {
    "stats-get_parking_dashboard": "aggregates; test_intruder_dashboard_counts_nothing_of_a",
    "stats-export_parking_xlsx": "aggregates; test_intruder_export_counts_nothing_of_a",
    "stats-get_my_day": "the caller's own unit and reports",
    "outbox-list_console_messages": "scoped by report; test_intruder_sees_no_sms_of_a",
    "outbox-list_report_deliveries": "report id in the query; test_intruder_sees_no_sms_of_a",
    "stats-get_case_stats": (
        "aggregates; test_case_stats_api.test_kpi_table_is_scoped_to_the_caller"
    ),
    "stats-export_case_stats_xlsx": (
        "aggregates; test_case_stats_api.test_kpi_table_is_scoped_to_the_caller"
    ),
    "stats-list_case_reports": "district B only; test_case_stats_api.test_daily_report_downloads",
    "stats-get_case_report_pdf": (
        "A's report is a 404 for B; test_case_stats_api.test_daily_report_downloads"
    ),
    "stats-get_case_report_xlsx": (
        "A's report is a 404 for B; test_case_stats_api.test_daily_report_downloads"
    ),
}
