"""Settings of the e2e web server: production settings, static files straight from the finders.

The built SPAs are served exactly as in production (WhiteNoise, `/static/web/<app>/`), only
without a `collectstatic` step: WhiteNoise looks files up through the staticfiles finders.
"""

from smartduty.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
