"""How chalice-cognito runs Chalice's own deployer, through its public seams only.

Chalice's ``Deployer`` receives every collaborator through its constructor and
drives them through public methods: ``build_stage.execute``,
``sweeper.execute``, ``executor.execute``, ``recorder.record_results``.  The
plugin hands it wrapped collaborators instead of changing its body:

* :class:`HoldBackSweeper` -- plans Chalice's deletions exactly as the stock
  sweeper does (it *is* the stock sweeper), then moves them out of the plan
  into :attr:`HoldBackSweeper.held_back`: a pool must never point at a
  function that a rename deleted before the wiring re-pointed it.
* :class:`WiringExecutor` -- the stock executor, running: the main plan
  (create/update) -> the checks and the wiring (``--smoke`` on the built zip
  first, so a failing handler is never wired; then one UpdateUserPool that
  points every declared trigger at its current function and detaches vanished
  slots) -> the held-back deletions.  A failure after the main plan is kept
  for :class:`RaisingRecorder`, so the record is written first.
* :class:`RaisingRecorder` -- the stock recorder; after writing
  ``.chalice/deployed/<stage>.json`` it re-raises the executor's failure.  On
  a failure the record keeps the resources due for deletion, so the next
  ``deploy`` or ``delete`` still knows them.
* :class:`GoneIsDoneClient` -- the stock ``TypedAWSClient`` whose deletions
  treat a resource that is already gone as deleted (a kill between a
  DeleteFunction and the record, or a function deleted out of band, must not
  wedge every later deploy and delete), and which notes the ARNs of the
  functions it creates (a function created moments ago has no resource
  policy, so the wiring may skip its GetPolicy read).
* :class:`PackageRecordingStage` -- the build stage of :mod:`.packaging`,
  noting which zips it built (``--smoke`` runs them).

The only private Chalice name the deploy half uses lives in
:mod:`.chalice_seam` (with its fingerprint test).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from botocore.exceptions import ClientError
from botocore.session import Session
from chalice.awsclient import ResourceDoesNotExistError, TypedAWSClient
from chalice.config import Config, DeployedResources
from chalice.deploy import models
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.deploy.deployer import BaseDeployStep, BuildStage, Deployer, ResultsRecorder
from chalice.deploy.executor import Executor
from chalice.deploy.planner import PlanStage, RemoteState
from chalice.deploy.swagger import TemplatedSwaggerGenerator
from chalice.deploy.sweeper import ResourceSweeper
from chalice.utils import UI, OSUtils

from chalice_cognito.deploy.chalice_seam import DECORATOR_NAME, cognito_analyzer
from chalice_cognito.deploy.packaging import create_build_stage

__all__ = [
    "DECORATOR_NAME",
    "CognitoDeployer",
    "GoneIsDoneClient",
    "HoldBackSweeper",
    "PackageRecordingStage",
    "PostDeployHook",
    "RaisingRecorder",
    "WiringExecutor",
    "cognito_analyzer",
    "create_cognito_deployer",
    "package_files",
]

#: Called after the main plan with (config, deployed_values): the smoke check, the wiring.
PostDeployHook = Callable[[Config, Dict[str, Any]], Any]


# -- the AWS client ---------------------------------------------------------------

#: Prefixes of the ``TypedAWSClient`` methods that remove something (every call
#: Chalice's sweeper plans is one of them).
DELETION_PREFIXES = ("delete_", "remove_", "disconnect_", "unsubscribe_")

#: Error codes that mean "there is no such resource" (Lambda/Logs, IAM, API Gateway, S3).
GONE_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchEntity", "NotFoundException", "NotFound", "NoSuchBucket"}
)


def already_gone(error: BaseException) -> bool:
    """Whether a deletion failed only because what it deletes does not exist."""
    if isinstance(error, ResourceDoesNotExistError):
        return True
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in GONE_CODES
    return False


def _gone_is_done(method: Callable[..., Any]) -> Callable[..., Any]:
    def delete(self: TypedAWSClient, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (ResourceDoesNotExistError, ClientError) as error:
            if already_gone(error):
                return None
            raise

    delete.__name__ = method.__name__
    delete.__qualname__ = f"GoneIsDoneClient.{method.__name__}"
    delete.__doc__ = method.__doc__
    return delete


class GoneIsDoneClient(TypedAWSClient):
    """Chalice's AWS client: a deletion of what is already gone succeeds; creations are noted.

    Every public deletion method (:data:`DELETION_PREFIXES`) is wrapped.
    """

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(session, **kwargs)
        #: ARNs returned by ``create_function`` (Chalice creates a function only
        #: when none of that name exists; an updated one is not listed)
        self.created_function_arns: List[str] = []

    def create_function(self, *args: Any, **kwargs: Any) -> str:
        arn = str(super().create_function(*args, **kwargs))
        self.created_function_arns.append(arn)
        return arn


def _wrap_deletions() -> Tuple[str, ...]:
    wrapped = []
    for name, method in sorted(vars(TypedAWSClient).items()):
        if name.startswith(DELETION_PREFIXES) and callable(method):
            setattr(GoneIsDoneClient, name, _gone_is_done(method))
            wrapped.append(name)
    return tuple(wrapped)


#: The deletion methods of ``TypedAWSClient`` that treat "already gone" as done.
TOLERANT_DELETIONS = _wrap_deletions()


# -- build stage, sweeper, executor, recorder --------------------------------------------


def package_files(resources: Sequence[Any]) -> List[str]:
    """Zip files of the built deployment packages: layers first, the function zip last."""
    layers: List[str] = []
    functions: List[str] = []
    for resource in resources:
        if isinstance(resource, models.LambdaLayer):
            target = layers
        elif isinstance(resource, models.LambdaFunction):
            target = functions
        else:
            continue
        filename = getattr(resource.deployment_package, "filename", None)
        if isinstance(filename, str) and filename not in layers + functions:
            target.append(filename)
    return layers + functions


class PackageRecordingStage(BuildStage):
    """A build stage that runs another one and notes the zips it built."""

    def __init__(self, stage: BuildStage) -> None:
        super().__init__(steps=[])
        self.stage = stage
        #: the deployment zip(s) of the last build (function zip last)
        self.packages: List[str] = []

    def execute(self, config: Config, resources: List[models.Model]) -> None:
        self.stage.execute(config, resources)
        self.packages = package_files(resources)


class HoldBackSweeper(ResourceSweeper):
    """Chalice's sweeper, whose deletions are moved out of the plan into :attr:`held_back`.

    The stock sweeper appends (or, for API mappings, prepends) its deletion
    instructions to the plan; whatever it added is taken out again, in order,
    with its messages.
    """

    def __init__(self) -> None:
        super().__init__()
        self.held_back = models.Plan()

    def execute(self, plan: models.Plan, config: Config) -> None:
        before = list(plan.instructions)
        ours = {id(instruction) for instruction in before}
        super().execute(plan, config)
        added = [i for i in plan.instructions if id(i) not in ours]
        self.held_back = models.Plan(
            instructions=added,
            messages={id(i): plan.messages.pop(id(i)) for i in added if id(i) in plan.messages},
        )
        plan.instructions[:] = before


class WiringExecutor(Executor):
    """Chalice's executor: ``checks`` -> main plan -> ``steps`` -> the held-back deletions.

    ``checks`` (the zip-only smoke check) run before any AWS write, with
    ``(config, {"resources": []})``; a failure there propagates and nothing
    changes.  ``steps`` (the emulator's smoke check, the wiring) run with
    ``(config, deployed values)`` once every function of the app exists.  A failure there or in
    the deletions is kept in :attr:`failure` (re-raised by
    :class:`RaisingRecorder` once the record is written), and the records of
    the previous deploy that the new one does not have (the resources due for
    deletion) are kept in :attr:`resource_values`.  A failure of the main plan
    propagates as in stock Chalice (nothing is recorded).
    """

    def __init__(
        self,
        client: TypedAWSClient,
        ui: UI,
        config: Config,
        sweeper: HoldBackSweeper,
        steps: Sequence[PostDeployHook] = (),
        checks: Sequence[PostDeployHook] = (),
    ) -> None:
        super().__init__(client, ui)
        self.config = config
        self.sweeper = sweeper
        self.steps = tuple(steps)
        self.checks = tuple(checks)
        #: what each step returned, in order
        self.results: List[Any] = []
        self.failure: Optional[BaseException] = None
        self.previous: Optional[DeployedResources] = config.deployed_resources(config.chalice_stage)

    def execute(self, plan: models.Plan) -> None:
        self.results = []
        self.failure = None
        for check in self.checks:
            check(self.config, {"resources": []})
        super().execute(plan)
        try:
            deployed: Dict[str, Any] = {"resources": self.resource_values}
            for step in self.steps:
                self.results.append(step(self.config, deployed))
            super().execute(self.sweeper.held_back)
        except BaseException as error:  # Ctrl-C included: the record is written first
            self.failure = error
            self.resource_values.extend(self._previous_records_kept())

    def _previous_records_kept(self) -> List[Dict[str, Any]]:
        if self.previous is None:
            return []
        names = {r.get("name") for r in self.resource_values}
        return [
            self.previous.resource_values(name)
            for name in self.previous.resource_names()
            if name not in names
        ]


class RaisingRecorder(ResultsRecorder):
    """Chalice's recorder; re-raises the executor's failure after writing the record."""

    def __init__(self, osutils: OSUtils, executor: WiringExecutor) -> None:
        super().__init__(osutils)
        self.executor = executor

    def record_results(self, results: Any, chalice_stage_name: str, project_dir: str) -> None:
        super().record_results(results, chalice_stage_name, project_dir)
        if self.executor.failure is not None:
            raise self.executor.failure


# -- the deployer -------------------------------------------------------------------


class CognitoDeployer:
    """Chalice's ``Deployer`` built with the collaborators above.

    Order: validate -> build -> plan -> create/update functions -> smoke check
    (``--smoke``: the pool still points at the previous functions) -> the
    wiring -> delete what left the app -> record the deployed state.  A failed
    check or wiring deletes nothing, records the resources due for deletion
    too, and propagates.
    """

    def __init__(
        self,
        deployer: Deployer,
        client: GoneIsDoneClient,
        build_stage: PackageRecordingStage,
        executor: WiringExecutor,
        wiring_step: Optional[int],
    ) -> None:
        self.deployer = deployer
        self.client = client
        self.build_stage = build_stage
        self.executor = executor
        self._wiring_step = wiring_step

    def deploy(self, config: Config, chalice_stage_name: str) -> Dict[str, Any]:
        """Chalice's ``Deployer.deploy``: the deployed values it recorded."""
        self.client.created_function_arns.clear()
        values: Dict[str, Any] = self.deployer.deploy(config, chalice_stage_name)
        return values

    @property
    def deployment_packages(self) -> List[str]:
        """The deployment zip(s) the last deploy built (function zip last)."""
        return list(self.build_stage.packages)

    @property
    def created_function_arns(self) -> Tuple[str, ...]:
        """ARNs of the functions the last deploy created (not the updated ones)."""
        return tuple(self.client.created_function_arns)

    @property
    def post_deploy_result(self) -> Any:
        """What the wiring step returned on the last deploy (None if it did not run)."""
        if self._wiring_step is None or len(self.executor.results) <= self._wiring_step:
            return None
        return self.executor.results[self._wiring_step]


def create_cognito_deployer(
    session: Session,
    config: Config,
    ui: UI,
    post_deploy: Optional[PostDeployHook] = None,
    extra_steps: Sequence[BaseDeployStep] = (),
    application_builder: Optional[ApplicationGraphBuilder] = None,
    smoke: Optional[PostDeployHook] = None,
    checks: Sequence[PostDeployHook] = (),
) -> CognitoDeployer:
    """Chalice's ``Deployer`` with the plugin's collaborators.

    ``checks`` run after the build, before any AWS write; ``smoke`` after the
    functions are created/updated and before ``post_deploy`` (the wiring).
    A failure of any stops the deploy before anything is wired or deleted.
    """
    client = GoneIsDoneClient(session)
    osutils = OSUtils()
    steps = [s for s in (smoke, post_deploy) if s is not None]
    sweeper = HoldBackSweeper()
    executor = WiringExecutor(client, ui, config, sweeper, steps, checks)
    build_stage = PackageRecordingStage(
        create_build_stage(
            osutils, UI(), TemplatedSwaggerGenerator(), config, extra_steps=extra_steps
        )
    )
    deployer = Deployer(
        # chalice-cognito's builder gives trigger functions with grants their own
        # roles (chalice_cognito.deploy.grants.TriggerRolesGraphBuilder)
        application_builder=application_builder or ApplicationGraphBuilder(),
        deps_builder=DependencyBuilder(),
        build_stage=build_stage,
        plan_stage=PlanStage(
            osutils=osutils,
            remote_state=RemoteState(client, config.deployed_resources(config.chalice_stage)),
        ),
        sweeper=sweeper,
        executor=executor,
        recorder=RaisingRecorder(osutils, executor),
    )
    wiring_step = None if post_deploy is None else len(steps) - 1
    return CognitoDeployer(deployer, client, build_stage, executor, wiring_step)
