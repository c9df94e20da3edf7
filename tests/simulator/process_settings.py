"""Settings of the simulator servers that test_faults_across_processes starts as subprocesses.

The test suite's settings, with the control API on and nothing delivered behind the test's
back; the database comes from DATABASE_URL, which the test sets for each subprocess.
"""

from tests.settings import *  # noqa: F403
from tests.settings import DOKU_ALLO_SIMULATOR

DOKU_ALLO_SIMULATOR = {**DOKU_ALLO_SIMULATOR, "ENABLE_CONTROL_API": True,
                       "DELIVERY_MODE": "manual"}
