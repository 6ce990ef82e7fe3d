"""The project's settings with one service app taken out of INSTALLED_APPS (``SC_WITHOUT_APP``),
for tests/core/test_registry.py: the system must run as if the app had never existed."""

import os

from servicecenter.settings import *  # noqa: F403

_without = os.environ["SC_WITHOUT_APP"]
INSTALLED_APPS = [a for a in INSTALLED_APPS if a != _without]  # noqa: F405
