"""Helpers shared by the tests: plain functions and constants, one definition each.

Fixtures live in tests/conftest.py (and tests/e2e/conftest.py for the browser); what a test calls
directly lives here, in small modules by what they drive, so that a test that does not need
TensorFlow or Streamlit does not import them through a helper. pytest puts tests/ on sys.path
(`pythonpath` in pyproject.toml), so a test in any folder below it imports `helpers.<module>`.
"""
