"""``add_triggers`` with Chalice's own construct (``chalice.cdk.Chalice``).

The wiring is the same (the app is loaded from the construct's source_dir);
what differs is packaging: stock ``chalice package`` leaves the plugin's
runtime half out of the zip (the documented limitation) and its policy
autogeneration does not read ``@app.cognito_trigger`` bodies.
"""

from __future__ import annotations

import os
import zipfile

from .conftest import Synth


def test_the_stock_construct_gets_the_same_wiring(stock_synth: Synth) -> None:
    config = stock_synth.resources[stock_synth.pool_id]["Properties"]["LambdaConfig"]
    assert config["PreTokenGenerationConfig"] == {
        "LambdaArn": {"Fn::GetAtt": ["PreToken", "Arn"]},
        "LambdaVersion": "V2_0",
    }
    assert config["KMSKeyID"] == {"Fn::GetAtt": [stock_synth.key_id, "Arn"]}
    permissions = stock_synth.of_type("AWS::Lambda::Permission").values()
    assert len(list(permissions)) == 5
    assert all(p["Properties"]["SourceAccount"] == {"Ref": "AWS::AccountId"} for p in permissions)
    assert stock_synth.result.grants["email_sender"][0] == "DefaultRole"


def test_the_stock_zip_lacks_the_runtime_half(stock_synth: Synth) -> None:
    package_dir = stock_synth.construct._sam_package_dir
    with zipfile.ZipFile(os.path.join(package_dir, "deployment.zip")) as z:
        names = z.namelist()
    assert "app.py" in names
    assert not any(n.startswith("chalice_cognito/") for n in names)
