"""Shared test configuration.

Tests are split like Chalice's own: ``unit`` (no I/O), ``functional`` (moto
in-process, the real Chalice packager/deployer), ``integration`` (real servers
on 127.0.0.1: moto server, cognito-local).  Each area keeps its own fixtures in
its own ``conftest.py``.
"""

from __future__ import annotations

import os

# Tests never talk to real AWS: dummy credentials and a fixed region for every
# boto3 client created without explicit settings.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
