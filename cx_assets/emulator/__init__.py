"""The other side of the wire: an independent Genesys Cloud emulator (see docs/api-contract.md).

Imports nothing from the rest of cx_assets; only the CLI and tests import it.
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
