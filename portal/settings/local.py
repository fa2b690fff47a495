"""Local development and the demo (`make run`): DEBUG off, as in production.

Django's debug page shows settings and code to whoever triggers an error, so the demo
serves the portal's own error pages; set DJANGO_DEBUG=1 for a private debugging session.
"""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Static files straight from the apps' static/ folders through WhiteNoise, which works with
# DEBUG off: no collectstatic step, so no copy in staticfiles/ goes stale when a file is
# edited between runs. `tests/test_deploy.py` checks that every file a template names exists,
# the failure that the production manifest storage would otherwise reveal only there.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
