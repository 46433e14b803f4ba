"""Helpers shared by several test areas (importable: ``pythonpath = ["."]`` in pyproject).

Conftests are not importable under ``--import-mode=importlib``; what more than
one area needs lives here instead and each area's conftest imports it.
"""
