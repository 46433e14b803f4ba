"""The deployer's record of the functions a deploy created, from Chalice's real planner and executor.

The wiring skips the GetPolicy read of exactly these functions, so the record
must list created functions and never updated ones (an updated function may
carry a policy, ours included).  The record is kept by the AWS client the
executor calls (``GoneIsDoneClient.create_function``).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.session
from chalice.config import DeployedResources
from chalice.deploy import models
from chalice.deploy.executor import Executor
from chalice.deploy.planner import PlanStage, RemoteState
from chalice.utils import UI, OSUtils

from chalice_cognito.deploy.chalice_hooks import GoneIsDoneClient

from .conftest import REGION, create_function, make_zip


def lambda_model(name: str, role_arn: str, package: Path) -> models.LambdaFunction:
    return models.LambdaFunction(
        resource_name=name,
        function_name=f"shop-dev-{name}",
        deployment_package=models.DeploymentPackage(filename=str(package)),
        environment_variables={},
        xray=False,
        runtime="python3.12",
        handler="app.handler",
        tags={},
        timeout=60,
        memory_size=128,
        role=models.PreCreatedIAMRole(role_arn=role_arn),
        security_group_ids=[],
        subnet_ids=[],
        reserved_concurrency=None,  # type: ignore[arg-type]  # Chalice's own default
        layers=[],
    )


def test_only_functions_the_deploy_created_are_listed(aws: None, tmp_path: Path) -> None:
    existing = create_function("shop-dev-existing")  # deployed earlier: Chalice updates it
    role_arn = boto3.client("iam", region_name=REGION).get_role(RoleName="wiring-test-role")[
        "Role"
    ]["Arn"]
    package = tmp_path / "deployment.zip"
    package.write_bytes(make_zip())
    session = botocore.session.get_session()
    session.set_config_variable("region", REGION)
    client = GoneIsDoneClient(session)
    resources = [
        lambda_model("existing", role_arn, package),
        lambda_model("created", role_arn, package),
    ]
    plan = PlanStage(RemoteState(client, DeployedResources.empty()), OSUtils()).execute(resources)
    executor = Executor(client, UI())
    executor.execute(plan)

    created = tuple(client.created_function_arns)

    new_arn = boto3.client("lambda", region_name=REGION).get_function(
        FunctionName="shop-dev-created"
    )["Configuration"]["FunctionArn"]
    assert created == (new_arn,)
    assert existing not in created
