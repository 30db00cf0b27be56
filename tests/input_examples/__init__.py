"""Per-module example tables for tests/test_input_contract.py (one file per emlib module)."""
