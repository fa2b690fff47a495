"""Local development and the demo (`make run`)."""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps (no collectstatic needed)
WHITENOISE_AUTOREFRESH = DEBUG
