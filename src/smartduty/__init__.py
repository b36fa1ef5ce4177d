"""smartduty (智慧勤务平台): joint street enforcement for 城管 and 交警."""

__version__ = "0.1.0"
