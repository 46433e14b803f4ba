"""The seams where chalice-cognito plugs into Chalice's own deployer and packager.

Chalice has no plugin system, but every ``Deployer`` collaborator is injected
and its build stage dispatches on model class names.  This module provides the
replacement collaborators the ``chalice-cognito`` command uses, each a thin
subclass of the stock one (pinned Chalice 1.34: these touch semi-private API
and are covered by tests against that version):

* :class:`DeferredDeletionSweeper` -- Chalice's sweeper deletes functions that
  disappeared from the app in the same run that creates their replacements, so
  a pool could point at a deleted function.  This sweeper plans the same
  deletions but holds them back.
* :class:`CognitoDeployer` -- runs the stock pipeline, then the pool wiring
  (attach new ARNs, detach vanished slots), and only then the held-back
  deletions: no gap, no dangling trigger.
* the build stage with the plugin's packagers (:mod:`.packaging`);
* :func:`cognito_analyzer` -- lets Chalice's policy autogeneration see boto3
  calls inside ``@app.cognito_trigger`` handlers.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from botocore.session import Session
from chalice import analyzer
from chalice.awsclient import TypedAWSClient
from chalice.config import Config
from chalice.deploy import models
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.deploy.deployer import (
    BaseDeployStep,
    Deployer,
    ResultsRecorder,
)
from chalice.deploy.executor import Executor
from chalice.deploy.planner import PlanStage, RemoteState
from chalice.deploy.swagger import TemplatedSwaggerGenerator
from chalice.deploy.sweeper import ResourceSweeper
from chalice.utils import UI, OSUtils

from chalice_cognito.deploy.packaging import create_build_stage

#: The decorator name Chalice's analyzer must treat like ``lambda_function``.
DECORATOR_NAME = "cognito_trigger"

#: Called after the stock deploy with (config, deployed_values); does the wiring.
PostDeployHook = Callable[[Config, Dict[str, Any]], Any]


# -- IAM ----------------------------------------------------------------------


@contextlib.contextmanager
def cognito_analyzer() -> Iterator[None]:
    """Make Chalice's policy autogeneration read ``@app.cognito_trigger`` bodies.

    ``AppViewTypeInfer._CHALICE_DECORATORS`` is a hard-coded class attribute;
    the name is added for the duration of a deploy/package and removed after,
    so importing chalice-cognito never changes stock ``chalice`` behaviour.
    """
    decorators = analyzer.AppViewTypeInfer._CHALICE_DECORATORS
    added = DECORATOR_NAME not in decorators
    if added:
        decorators.append(DECORATOR_NAME)
    try:
        yield
    finally:
        if added and DECORATOR_NAME in decorators:
            decorators.remove(DECORATOR_NAME)


# -- sweeper and deployer --------------------------------------------------------


class DeferredDeletionSweeper(ResourceSweeper):
    """Plans Chalice's deletions like the stock sweeper, but keeps them aside.

    After :meth:`execute`, the deployment plan holds no deletion; they are in
    :attr:`deferred` (a Plan the same executor runs later) and the deployed
    records of the resources they remove are in :attr:`deferred_records`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.deferred = models.Plan()
        self.deferred_records: List[Dict[str, Any]] = []

    def execute(self, plan: models.Plan, config: Config) -> None:
        self.deferred = models.Plan()
        self.deferred_records = []
        super().execute(plan, config)

    def _plan_deletion(self, remaining: List[str], deployed: Any) -> None:
        for name in remaining:
            if "api_mapping" in name:
                continue  # not a record of its own; recorded with its domain
            values = deployed.resource_values(name)
            if values not in self.deferred_records:
                self.deferred_records.append(values)
        super()._plan_deletion(remaining, deployed)

    def _update_plan(
        self, instructions: Any, message: Optional[str] = None, insert: bool = False
    ) -> None:
        target = self.deferred
        if insert:
            for instruction in instructions:
                target.instructions.insert(0, instruction)
            if message:
                target.messages[id(target.instructions[0])] = message
        else:
            target.instructions.extend(instructions)
            if message:
                target.messages[id(target.instructions[-1])] = message


class CognitoDeployer(Deployer):
    """Chalice's deployer with the pool wiring between creation and deletion.

    Order: validate -> build -> plan -> create/update functions (stock executor)
    -> ``post_deploy`` (the wiring: one UpdateUserPool that points every declared
    trigger at its current function and detaches vanished slots) -> delete the
    functions and resources that left the app -> record the deployed state.

    If the wiring fails, nothing is deleted and the resources that were due for
    deletion stay in ``.chalice/deployed/<stage>.json``, so the next deploy (or
    ``chalice delete``) still knows about them; the error propagates.
    """

    def __init__(self, *args: Any, post_deploy: Optional[PostDeployHook] = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._post_deploy = post_deploy
        #: Whatever ``post_deploy`` returned on the last deploy (the wiring result).
        self.post_deploy_result: Any = None
        #: The deployment zip(s) built by the last deploy (function zip last).
        self.deployment_packages: List[str] = []
        #: ARNs of the functions the last deploy *created* (Chalice's
        #: ``create_function``; updated ones are not listed), set before
        #: ``post_deploy`` runs.  A function created moments ago has no resource
        #: policy, so the wiring may skip its GetPolicy read
        #: (``Wiring.plan(without_policy=...)``).
        self.created_function_arns: Tuple[str, ...] = ()

    def _deploy(self, config: Config, chalice_stage_name: str) -> Dict[str, Any]:
        # Everything alive now (imported modules, the app, botocore's service
        # models) outlives the deploy: kept out of the collector's full passes
        # during it, which otherwise rescan that heap each time (~60 ms of a
        # 1.3 s re-deploy); handed back afterwards, so nothing leaks.
        gc.freeze()
        try:
            return self._deploy_unfrozen(config, chalice_stage_name)
        finally:
            gc.unfreeze()

    def _deploy_unfrozen(self, config: Config, chalice_stage_name: str) -> Dict[str, Any]:
        self._validate_config(config)
        application = self._application_builder.build(config, chalice_stage_name)
        resources = self._deps_builder.build_dependencies(application)
        self._build_stage.execute(config, resources)
        resources = self._deps_builder.build_dependencies(application)
        self.deployment_packages = _package_files(resources)
        plan = self._plan_stage.execute(resources)
        self._sweeper.execute(plan, config)
        self.created_function_arns = ()
        self._executor.execute(plan)
        self.created_function_arns = created_function_arns(plan, self._executor)
        deployed_values: Dict[str, Any] = {
            "resources": self._executor.resource_values,
            "schema_version": "2.0",
            "backend": self.BACKEND_NAME,
        }
        deferred = getattr(self._sweeper, "deferred", None)
        try:
            if self._post_deploy is not None:
                self.post_deploy_result = self._post_deploy(config, deployed_values)
            if deferred is not None:
                self._executor.execute(deferred)
        except BaseException:
            kept = list(self._executor.resource_values)
            names = {r.get("name") for r in kept}
            kept.extend(
                r
                for r in getattr(self._sweeper, "deferred_records", [])
                if r.get("name") not in names
            )
            self._recorder.record_results(
                dict(deployed_values, resources=kept), chalice_stage_name, config.project_dir
            )
            raise
        self._recorder.record_results(deployed_values, chalice_stage_name, config.project_dir)
        return deployed_values


def created_function_arns(plan: models.Plan, executor: Any) -> Tuple[str, ...]:
    """ARNs of the Lambda functions an executed ``plan`` created (not updated).

    Chalice's planner emits ``create_function`` only for a function that does
    not exist remotely, and stores the call's result (the new ARN) in the
    executor's variable named by ``output_var``.
    """
    variables: Dict[str, Any] = getattr(executor, "variables", {})
    arns = []
    for instruction in plan.instructions:
        if (
            isinstance(instruction, models.APICall)
            and instruction.method_name == "create_function"
            and instruction.output_var
            and isinstance(variables.get(instruction.output_var), str)
        ):
            arns.append(str(variables[instruction.output_var]))
    return tuple(arns)


def _package_files(resources: Sequence[Any]) -> List[str]:
    """Zip files of the built deployment packages: layers first, the function zip last."""
    layers: List[str] = []
    functions: List[str] = []
    for resource in resources:
        if isinstance(resource, models.LambdaLayer):
            target = layers
            package = resource.deployment_package
        elif isinstance(resource, models.LambdaFunction):
            target = functions
            package = resource.deployment_package
        else:
            continue
        filename = getattr(package, "filename", None)
        if isinstance(filename, str) and filename not in layers + functions:
            target.append(filename)
    return layers + functions


def create_cognito_deployer(
    session: Session,
    config: Config,
    ui: UI,
    post_deploy: Optional[PostDeployHook] = None,
    extra_steps: Sequence[BaseDeployStep] = (),
) -> CognitoDeployer:
    """``chalice.deploy.deployer.create_default_deployer`` with the plugin's collaborators."""
    client = TypedAWSClient(session)
    osutils = OSUtils()
    return CognitoDeployer(
        application_builder=ApplicationGraphBuilder(),
        deps_builder=DependencyBuilder(),
        build_stage=create_build_stage(
            osutils, UI(), TemplatedSwaggerGenerator(), config, extra_steps=extra_steps
        ),
        plan_stage=PlanStage(
            osutils=osutils,
            remote_state=RemoteState(client, config.deployed_resources(config.chalice_stage)),
        ),
        sweeper=DeferredDeletionSweeper(),
        executor=Executor(client, ui),
        recorder=ResultsRecorder(osutils=osutils),
        post_deploy=post_deploy,
    )
