"""``chalice_cognito.testing`` stays a runtime-half module: LocalCognito is resolved lazily."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import chalice_cognito.testing as testing
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('moto', 'boto3', 'botocore', 'click'))
print(','.join(loaded) or '-')
print(testing.LocalCognito.__module__)
print(','.join(sorted(m for m in ('moto', 'boto3') if m in sys.modules)))
"""


def test_importing_testing_loads_neither_moto_nor_boto3() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "-"  # nothing deploy-time after the plain import
    assert out[1] == "chalice_cognito.local.cognito_flows.local_cognito"
    assert out[2] == "boto3,moto"  # ...until LocalCognito is asked for


def test_unknown_attribute_still_raises() -> None:
    import chalice_cognito.testing as testing

    try:
        testing.NoSuchThing  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:  # pragma: no cover
        raise AssertionError("AttributeError expected")
