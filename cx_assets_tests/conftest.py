"""The suite's fixed calendar: partitions start on 2024-01-01 for every test.

The project's default first partition moves with the clock (90 days before today, see
`settings.start_date`), but the tests land fixed days (2024-03-05, a 2024-04 backfill, ...) so
their expectations do not change from one day to the next. `CX_START_DATE` is set here, before
any test module imports the Definitions (partitions are built at import) and inherited by every
subprocess a test starts (`cx-assets`, `dagster`, code servers), whatever the shell had. The
default itself is tested in a subprocess without it (`test_start_date.py`).
"""

import os

os.environ["CX_START_DATE"] = "2024-01-01"
