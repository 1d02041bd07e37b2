#!/usr/bin/env python3
"""The runbook's data validation, `python migrations/test_migrations.py --validate-data`, run from
demo/ exactly as the runbook writes it (and as its read-only declaration matches): it runs
demo/checks/validate_data.py, whose exit codes it keeps.
"""

import os
import runpy
import sys

CHECKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "checks")

if "--validate-data" not in sys.argv[1:]:
    print("usage: python migrations/test_migrations.py --validate-data [DATABASE_URL] [--json]", file=sys.stderr)
    sys.exit(2)
sys.path.insert(0, CHECKS)
sys.argv = [sys.argv[0]] + [a for a in sys.argv[1:] if a != "--validate-data"]
runpy.run_path(os.path.join(CHECKS, "validate_data.py"), run_name="__main__")
