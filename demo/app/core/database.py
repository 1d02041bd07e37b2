"""The demo's stand-in for FinGood's `app.core.database`, so that the runbook's health command
runs from demo/ exactly as the runbook writes it (and matches its read-only declaration):

    python -c "from app.core.database import get_db_health; print(get_db_health())"

It reports what demo/checks/health.py measures, for DEMO_DATABASE_URL.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "checks"))

import health  # noqa: E402  (the path above first)


def get_db_health():
    return health.get_db_health([])
