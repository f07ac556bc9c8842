"""Real-browser tests of the Dagster UI that `cx-assets dev` serves (`make test-ui`).

Kept out of `cx_assets_tests/` so `make test` does not collect them: they need Debian's
Chromium and Playwright, which `make test-ui` installs.
"""
