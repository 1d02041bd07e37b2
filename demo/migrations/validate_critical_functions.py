#!/usr/bin/env python3
"""The runbook's critical-function check, `python migrations/validate_critical_functions.py`, run
from demo/ exactly as the runbook writes it (and as its read-only declaration matches): it runs
demo/checks/critical_functions.py, whose exit codes it keeps.
"""

import os
import runpy
import sys

CHECKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "checks")

sys.path.insert(0, CHECKS)
runpy.run_path(os.path.join(CHECKS, "critical_functions.py"), run_name="__main__")
