"""The other side of the wire: independent Genesys Cloud and NICE CXone emulators.

Serves what docs/api-contract.md describes, both vendors and both API modes on one port (the
tutorial and platform paths do not collide). Laid out by vendor and flow: `genesys/<flow>/`
(conversations, datatables, privacy, rules) each hold a flow's routes (`tutorial.py`, and
`platform.py` for the real Platform API v2 where it exists, each exporting an `Api`) and state;
`cxone/` is CXone under `/cxone` plus the data-lake webhook receiver. What every flow shares sits
at this level: the app and its context, OAuth tokens and permissions, rate limits, fault
switches, middleware, presigned `/files/…` downloads, page-number listings (`paging.py`),
value checks (`values.py`) and the `X-Genesys-Signature` HMAC (`signing.py`). No flow package
imports another's.

Imports nothing from the rest of cx_assets (if client and emulator shared models, a contract bug
would cancel out); only the CLI, benchmarks and tests import it.
"""

from cx_assets.emulator.admin_client import EmulatorAdmin
from cx_assets.emulator.app import create_app
from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.faults import Fault, parse_fault_spec
from cx_assets.emulator.server import EmulatorProcess, EmulatorServer, free_port

__all__ = [
    "EmulatorAdmin",
    "EmulatorConfig",
    "EmulatorProcess",
    "EmulatorServer",
    "Fault",
    "create_app",
    "free_port",
    "parse_fault_spec",
]
