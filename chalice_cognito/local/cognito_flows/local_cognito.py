"""``LocalCognito``: a Chalice app's user pool on the embedded AWS, triggers firing for real.

::

    with LocalCognito(project_dir=".", stage="local") as cognito:
        idp = cognito.client("cognito-idp")
        idp.sign_up(ClientId=cognito.client_id, Username="ann", Password="...", ...)
        cognito.invocations   # every trigger call, in order
        cognito.messages      # what Cognito itself sent (codes, invitations)

Start-up does what ``chalice-cognito deploy --stage <stage> --local`` does:
the embedded moto server, the app deployed by Chalice's own packager and
deployer, the pool created (``AutoVerifiedAttributes: ["email"]``, as the
console's default) with a KMS key when custom senders need one, the triggers
wired.  It then adds an app client without secret (USER_PASSWORD_AUTH,
ADMIN_USER_PASSWORD_AUTH, CUSTOM_AUTH, REFRESH_TOKEN_AUTH) and the HTTP front
(:mod:`.front`) whose cognito-idp flows fire the wired triggers, each run
from the deployment zip in its own warm interpreter (:mod:`.runner`).

Unlike ``deploy --local``, the process environment is only pointed at the
emulator while deploying: afterwards, clients from :meth:`LocalCognito.client`
(or ``endpoint_url`` with dummy credentials) reach it.

Deploy-time module: chalice, boto3, moto.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

from chalice_cognito.local.cognito_flows.triggers import (
    COGNITO_TRIGGER_TIMEOUT,
    Invocation,
    Message,
    Recorder,
    TriggerCaller,
)

#: Triggers whose sources need what a local pool cannot have; reported at start.
NOT_EMULATED = {
    "InboundFederation": "InboundFederation_ExternalProvider needs an external identity provider "
    "(federated sign-in through the hosted UI)",
    "PreSignUp": "PreSignUp_ExternalProvider needs an external identity provider",
    "PreTokenGeneration": "TokenGeneration_ClientCredentials (V3_0) needs the OAuth2 token "
    "endpoint; TokenGeneration_HostedAuth and _AuthenticateDevice need the hosted UI and devices",
    "CustomMessage": "CustomMessage_Authentication needs SMS/email MFA",
    "CustomEmailSender": "CustomEmailSender_Authentication and _AccountTakeOverNotification need "
    "MFA and threat protection",
    "CustomSMSSender": "CustomSMSSender_Authentication needs SMS MFA",
}

logger = logging.getLogger("chalice_cognito.local.cognito")

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")

#: The auth flows of the app client LocalCognito creates.
CLIENT_AUTH_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


class LocalCognitoError(RuntimeError):
    """The local Cognito could not start (one line: what and how to fix it)."""


class LocalCognito:
    """A Chalice stage's user pool on the embedded AWS, firing its wired triggers.

    One at a time per process: moto's state is process-wide, and each
    LocalCognito starts and stops on a clean one.

    ``trigger_timeout``: Cognito's 5 seconds (lower it in tests of slow
    handlers).  ``prewarm``: start every function's interpreter at start-up
    so no API call pays a cold start (False: the first call of each function
    is cold, as after a deploy).  ``on_event``: called with each
    :class:`Invocation` and :class:`Message` as it happens (the console).
    ``deploy_output``: where the deploy's own report goes (default: kept in
    :attr:`deploy_log`).
    """

    def __init__(
        self,
        project_dir: str = ".",
        stage: str = "local",
        *,
        trigger_timeout: float = COGNITO_TRIGGER_TIMEOUT,
        prewarm: bool = True,
        on_event: Optional[Callable[[Any], None]] = None,
        on_log: Optional[Callable[[str, str], None]] = None,
        port: int = 0,
    ) -> None:
        self.project_dir = os.path.abspath(project_dir)
        self.stage = stage
        self.trigger_timeout = trigger_timeout
        self.prewarm = prewarm
        self.port = port
        self._on_log = on_log
        self.recorder = Recorder()
        if on_event is not None:
            self.recorder.listeners.append(on_event)
        self.region = "us-east-1"
        self.user_pool_id = ""
        self.client_id = ""
        self.endpoint_url = ""
        self.moto_url = ""
        self.kms_key_arn: Optional[str] = None
        self.function_arns: Dict[str, str] = {}
        self.lambda_config: Dict[str, Any] = {}
        #: one line per trigger that cannot fire here, and why
        self.not_emulated: List[str] = []
        self.deploy_log = ""
        self._aws: Any = None
        self._runner: Any = None
        self._front: Any = None
        self._flows: Any = None

    # -- what tests read ----------------------------------------------------------

    @property
    def invocations(self) -> List[Invocation]:
        """Every trigger call so far, in order."""
        with self.recorder.lock:
            return list(self.recorder.invocations)

    @property
    def messages(self) -> List[Message]:
        """Every message Cognito itself sent so far (no custom sender for its channel)."""
        with self.recorder.lock:
            return list(self.recorder.messages)

    def clear(self) -> None:
        """Forget the invocations and messages recorded so far."""
        with self.recorder.lock:
            self.recorder.invocations.clear()
            self.recorder.messages.clear()

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` bound to the emulator (dummy credentials)."""
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region
        ).client(service, endpoint_url=self.endpoint_url)

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a custom sender's ``request.code`` with the pool's KMS key (as a sender does)."""
        import base64

        import aws_encryption_sdk

        client = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=aws_encryption_sdk.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
        )
        provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
            key_ids=[self.kms_key_arn], botocore_session=self._botocore_session()
        )
        plaintext, _ = client.decrypt(source=base64.b64decode(ciphertext), key_provider=provider)
        return bytes(plaintext).decode("utf-8")

    def last_code(self, username: str) -> Optional[str]:
        """The code of the last message sent to ``username`` (messages or a sender's invocation)."""
        for item in reversed(self.invocations):
            request = item.event.get("request") or {}
            if (
                item.trigger in ("CustomEmailSender", "CustomSMSSender")
                and item.event.get("userName") == username
                and request.get("code")
            ):
                return self.decrypt(str(request["code"]))
        for message in reversed(self.messages):
            if message.username == username:
                return message.code
        return None

    # -- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> LocalCognito:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCognito:
        from chalice_cognito.local.cognito_flows import moto_seam
        from chalice_cognito.local.cognito_flows.context import Flows
        from chalice_cognito.local.cognito_flows.front import FrontServer
        from chalice_cognito.local.cognito_flows.runner import FunctionRunner
        from chalice_cognito.local.emulator import EmbeddedAWS

        try:
            moto_seam.reset_all()
            self._aws = EmbeddedAWS()
            self.moto_url = self._aws.start()
            self._deploy()
            caller_holder: Dict[str, Any] = {}
            self._flows = Flows(
                self.region,
                self.moto_url,
                caller=None,  # type: ignore[arg-type]
                recorder=self.recorder,
                encrypt=self._encrypt,
            )
            self._front = FrontServer(self._flows, self.port)
            self.endpoint_url = self._front.url
            self._runner = FunctionRunner(
                self.region,
                {
                    "AWS_ENDPOINT_URL": self.endpoint_url,
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_REGION": self.region,
                    "AWS_DEFAULT_REGION": self.region,
                    "AWS_CONFIG_FILE": os.devnull,
                    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                },
                on_log=self._on_log,
            )
            self._flows.caller = TriggerCaller(self._runner, self.recorder, self.trigger_timeout)
            del caller_holder
            self._front.start()
            for line in self.not_emulated:
                # Never skipped silently: a wired trigger whose sources cannot fire here.
                logger.warning("LocalCognito: not emulated: %s", line)
            if self.prewarm:
                self._runner.warm(sorted(set(self.function_arns_in_pool())))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the front, the functions' interpreters and the embedded AWS."""
        front, self._front = self._front, None
        if front is not None:
            front.shutdown()
            front.server_close()
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.close()
        aws, self._aws = self._aws, None
        if aws is not None:
            aws.stop()
            from chalice_cognito.local.cognito_flows import moto_seam

            moto_seam.reset_all()
            from chalice_cognito.deploy.stage import forget_ephemeral

            forget_ephemeral(self.project_dir, self.stage)

    def reload(self) -> None:
        """Redeploy the app into the running emulator: same pool, client and users.

        Chalice updates the functions in place; each function's interpreter is
        replaced at its next invocation (its code changed), which is cold.
        """
        if self._aws is None:
            raise LocalCognitoError("LocalCognito is not running.")
        self._deploy()
        if self.prewarm and self._runner is not None:
            self._runner.warm(sorted(set(self.function_arns_in_pool())))

    def function_arns_in_pool(self) -> List[str]:
        """The function ARNs the pool's LambdaConfig points at."""
        arns = []
        for value in self.lambda_config.values():
            if isinstance(value, dict):
                value = value.get("LambdaArn")
            if isinstance(value, str) and ":function:" in value:
                arns.append(value)
        return arns

    # -- deploy --------------------------------------------------------------------

    def _deploy(self) -> None:
        import click

        from chalice_cognito import cli as cognito_cli
        from chalice_cognito.deploy.config import CognitoConfig, load_cognito_config
        from chalice_cognito.deploy.stage import (
            aliases_needing_kms,
            emulated_pools,
            forget_ephemeral,
            is_local,
            stage_records,
        )
        from chalice_cognito.local.emulator import (
            DEFAULT_REGION,
            create_kms_key,
            ensure_groups,
        )

        factory = cognito_cli.CognitoCLIFactory(self.project_dir, False, environ=os.environ)
        try:
            cognito = load_cognito_config(self.project_dir, self.stage)
        except Exception as error:
            raise LocalCognitoError(f"Cannot read the stage {self.stage!r}: {error}") from None
        if not is_local(cognito, None) and stage_records(self.project_dir, self.stage):
            raise LocalCognitoError(
                f"Stage {self.stage!r} has records of a deploy to AWS; LocalCognito would replace "
                'them. Use a stage of its own: "stages": {"local": {"cognito": {"local": true}}}.'
            )
        app_name = str(factory.load_project_config().get("app_name") or "app")
        region, pools = emulated_pools(cognito, app_name, self.stage, DEFAULT_REGION)
        self.region = region
        self._aws.region = region
        first = not self.user_pool_id
        if first:
            # Records of an emulator that is gone; a reload keeps this one's (an update).
            forget_ephemeral(self.project_dir, self.stage)
        _forget_project_modules()
        output = io.StringIO()
        saved_cwd = os.getcwd()
        with self._aws.activated() as endpoint, contextlib.redirect_stdout(output):
            os.environ.setdefault(
                "PIP_CACHE_DIR", str(Path(self.project_dir) / ".chalice" / "local" / "pip-cache")
            )
            try:
                os.chdir(self.project_dir)
                session = factory.create_botocore_session()
                app = factory.create_config_obj(chalice_stage_name=self.stage).chalice_app
                needs_key = aliases_needing_kms(app, CognitoConfig(stage=self.stage, pools=pools))
                idp = session.create_client(
                    "cognito-idp", region_name=region, endpoint_url=endpoint
                )
                for alias, settings in list(pools.items()):
                    assert settings.user_pool_name is not None
                    pool_id = _ensure_pool(idp, settings.user_pool_name)
                    if settings.local_groups:
                        ensure_groups(session, endpoint, region, pool_id, settings.local_groups)
                    if alias in needs_key and not settings.kms_key_arn:
                        key = self.kms_key_arn or create_kms_key(
                            session,
                            endpoint,
                            region,
                            f"custom senders of {settings.user_pool_name}",
                        )
                        pools[alias] = dataclasses.replace(settings, kms_key_arn=key)
                # the stage's other settings (alias, trigger_roles...) stay as configured
                cognito = dataclasses.replace(cognito, pools=pools)
                ctx = click.Context(
                    cognito_cli.cli,
                    obj={"project_dir": self.project_dir, "debug": False, "factory": factory},
                )
                with ctx:
                    cognito_cli._deploy(
                        ctx, None, None, self.stage, None, cognito, False, False, emulator=endpoint
                    )
            except click.ClickException as error:
                raise LocalCognitoError(
                    f"Deploying the stage {self.stage!r} to the embedded AWS failed: "
                    f"{error.format_message()}"
                ) from None
            finally:
                os.chdir(saved_cwd)
        self.deploy_log = output.getvalue()
        default = next((s for s in pools.values() if s.default), next(iter(pools.values())))
        assert default.user_pool_name is not None
        idp = self._raw_client("cognito-idp")
        self.user_pool_id = _ensure_pool(idp, default.user_pool_name)
        described = idp.describe_user_pool(UserPoolId=self.user_pool_id)["UserPool"]
        self.lambda_config = dict(described.get("LambdaConfig") or {})
        self.kms_key_arn = self.lambda_config.get("KMSKeyID") or default.kms_key_arn
        if not self.client_id:
            self.client_id = str(
                idp.create_user_pool_client(
                    UserPoolId=self.user_pool_id,
                    ClientName=f"{app_name}-{self.stage}-local",
                    GenerateSecret=False,
                    ExplicitAuthFlows=CLIENT_AUTH_FLOWS,
                )["UserPoolClient"]["ClientId"]
            )
        self._verify_sender_addresses()
        self.not_emulated = [
            f"{trigger}: {why}"
            for trigger, why in NOT_EMULATED.items()
            if trigger in self.lambda_config
            or (
                trigger == "PreTokenGeneration" and "PreTokenGenerationConfig" in self.lambda_config
            )
        ]

    def _verify_sender_addresses(self) -> None:
        """Verify, in the emulator's SES, the addresses the functions' environment names.

        SES only sends from verified identities; ``deploy --smoke`` does the same.
        """
        from chalice_cognito.local.cognito_flows import moto_seam

        addresses = set()
        for arn in self.function_arns_in_pool():
            fn = moto_seam.function(self.region, arn)
            for value in (fn.environment_vars or {}).values() if fn is not None else ():
                if _EMAIL.match(str(value)):
                    addresses.add(str(value))
        ses = self._raw_client("ses")
        for address in sorted(addresses):
            ses.verify_email_identity(EmailAddress=address)

    def _raw_client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region
        ).client(service, endpoint_url=self.moto_url)

    def _botocore_session(self) -> Any:
        """A botocore session whose clients reach the embedded AWS (for the Encryption SDK)."""
        import botocore.session

        endpoint = self.moto_url

        class _EmulatorSession(botocore.session.Session):  # type: ignore[misc]
            def create_client(self, *args: Any, **kwargs: Any) -> Any:
                if kwargs.get("endpoint_url") is None:
                    kwargs["endpoint_url"] = endpoint
                return super().create_client(*args, **kwargs)

        session = _EmulatorSession()
        session.set_credentials("testing", "testing")
        session.set_config_variable("region", self.region)
        return session

    _encrypt_lock = threading.Lock()

    def _encrypt(self, key_arn: str, pool_id: str, plaintext: str) -> str:
        from chalice_cognito.local.emulator import encrypt_like_cognito

        return encrypt_like_cognito(
            self._botocore_session(), self.moto_url, key_arn, pool_id, plaintext
        )


#: Modules of a Chalice project: Chalice imports ``app`` from the project directory.
_PROJECT_MODULES = ("app", "chalicelib")


def _forget_project_modules() -> None:
    """Drop an earlier project's ``app``/``chalicelib`` modules, so this project's are loaded.

    Chalice's loader imports the module ``app``; a second LocalCognito in the
    same process (another project, or a reload after an edit) would otherwise
    deploy the first one's code.
    """
    import importlib

    for name in list(sys.modules):
        if name.split(".", 1)[0] in _PROJECT_MODULES:
            del sys.modules[name]
    importlib.invalidate_caches()


def _ensure_pool(idp: Any, name: str) -> str:
    """The id of the pool called ``name``, created verifying email (the console's default)."""
    for pool in idp.list_user_pools(MaxResults=60).get("UserPools", []):
        if pool.get("Name") == name:
            return str(pool["Id"])
    created = idp.create_user_pool(PoolName=name, AutoVerifiedAttributes=["email"])
    return str(created["UserPool"]["Id"])


@contextlib.contextmanager
def local_cognito(
    project_dir: str = ".", stage: str = "local", **options: Any
) -> Iterator[LocalCognito]:
    """``with local_cognito(...) as cognito:`` (same as ``with LocalCognito(...)``)."""
    with LocalCognito(project_dir, stage, **options) as cognito:
        yield cognito
