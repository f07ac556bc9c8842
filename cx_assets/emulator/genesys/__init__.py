"""The Genesys Cloud side of the emulator, one subpackage per flow."""
