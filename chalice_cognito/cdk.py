"""AWS CDK helper: wire a Chalice app's Cognito triggers into a CDK ``UserPool``.

For users of Chalice's CDK construct (``chalice.cdk.Chalice``), who define the
user pool in their CDK stack::

    from aws_cdk import aws_cognito as cognito, aws_kms as kms
    from chalice_cognito.cdk import Chalice, add_triggers

    api = Chalice(stack, "Api", source_dir="../runtime")
    key = kms.Key(stack, "SenderKey")  # only for custom senders
    pool = cognito.UserPool(stack, "Pool", custom_sender_kms_key=key)
    add_triggers(api, pool, kms_key=key)

:func:`add_triggers` calls ``user_pool.add_trigger(operation, fn, lambda_version)``
for every ``@app.cognito_trigger`` of the pool, so CDK writes the pool's
``LambdaConfig`` (shapes and versions as Cognito wants them) and one
``AWS::Lambda::Permission`` per function (scoped to the pool by ``SourceArn``;
this helper adds ``SourceAccount``).  The operation is derived from the
catalogue: ``UserPoolOperation.<CONFIG_KEY_IN_UPPER_SNAKE_CASE>`` (``PreSignUp``
-> ``PRE_SIGN_UP``, ``PreTokenGeneration`` -> ``PRE_TOKEN_GENERATION_CONFIG``
with its ``LambdaVersion``).  A trigger CDK has no operation for yet
(``InboundFederation`` in aws-cdk-lib 2.275) is written on the pool's
``CfnUserPool`` with the same shape and permission.  Access grants
(``access=[...]``) and the senders' ``kms:Decrypt`` become IAM policies on the
function's role, scoped to the pool and the key, as ``chalice-cognito deploy``
grants them.  With :class:`Chalice`, each trigger function that has grants
runs on a role of its own (as ``deploy`` and ``package`` lay them out), unless
the project's config sets ``"trigger_roles": "shared"`` for the construct's
stage; the stock construct keeps Chalice's one shared role.

:class:`Chalice` is ``chalice.cdk.Chalice`` whose packaging puts the plugin's
runtime half and requirements into the deployment zip (as ``chalice-cognito
package`` does); the stock construct packages with stock ``chalice package``,
whose zip lacks them unless the project's ``requirements.txt`` names
chalice-cognito.

Deploy-time half.  ``aws_cdk`` is imported only when a function or class of
this module is used, never when ``chalice_cognito`` is imported; and through
:func:`importlib.import_module`, so a type check of this package does not walk
aws-cdk-lib's very large stubs (about a minute of ``mypy`` per cold cache).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from chalice_cognito.app import TriggerRegistration, registered_triggers
from chalice_cognito.catalogue import TRIGGERS, TriggerSpec
from chalice_cognito.deploy.model import COGNITO_PRINCIPAL
from chalice_cognito.iac.cloudformation import function_logical_id
from chalice_cognito.iac.shapes import cfn_entries, snake
from chalice_cognito.senders import KMS_KEY_ARN_ENV

__all__ = ["CdkTriggers", "add_triggers", "operation_name", "supported_by_cdk"]


def operation_name(spec: TriggerSpec) -> str:
    """The ``aws_cognito.UserPoolOperation`` attribute of a trigger.

    One rule for all: the trigger's LambdaConfig key in upper snake case.  For
    PreTokenGeneration that key is ``PreTokenGenerationConfig``: the operation
    that takes a ``LambdaVersion`` (CDK's plain ``PRE_TOKEN_GENERATION`` is V1_0
    only).
    """
    return snake(spec.config_key).upper()


@dataclass
class CdkTriggers:
    """What :func:`add_triggers` did for one pool."""

    #: Chalice function name -> the ``lambda.IFunction`` the pool triggers
    functions: Dict[str, Any] = field(default_factory=dict)
    #: Chalice function name -> how the trigger was added (``UserPoolOperation.X``,
    #: or ``CfnUserPool LambdaConfig.X`` where CDK has no operation for it)
    operations: Dict[str, str] = field(default_factory=dict)
    #: Chalice function name -> (role logical id, IAM statements) added to that role
    grants: Dict[str, Tuple[str, Tuple[Dict[str, Any], ...]]] = field(default_factory=dict)
    #: Chalice function name -> IAM statements NOT added: the function runs with a
    #: pre-created role (``manage_iam_role: false``) that Chalice does not manage
    unattached_grants: Dict[str, Tuple[Dict[str, Any], ...]] = field(default_factory=dict)
    #: Notes for the user (shared-role caveat, unattached grants, and the
    #: ``cognito-idp:`` calls a trigger makes that ``access=`` does not declare,
    #: which are not granted: the construct's packaging found them).
    notes: List[str] = field(default_factory=list)


def add_triggers(
    chalice_construct: Any,
    user_pool: Any,
    *,
    app: Any = None,
    user_pool_alias: Optional[str] = None,
    kms_key: Any = None,
) -> CdkTriggers:
    """Attach the Cognito triggers of a Chalice CDK construct's app to ``user_pool``.

    ``chalice_construct``
        A ``chalice.cdk.Chalice`` (or this module's :class:`Chalice`).
    ``user_pool``
        An ``aws_cognito.UserPool`` of the same stack (CDK can only add
        triggers to a pool it defines; for an existing pool use
        ``chalice-cognito deploy`` or ``chalice-cognito package``).
    ``app``
        The Chalice app; by default the construct's (loaded from its
        ``source_dir`` as ``chalice package`` loads it).
    ``user_pool_alias``
        Which triggers go to this pool: those declared with
        ``user_pool=<alias>``; ``None`` (default) takes the triggers of the
        default pool (declared without ``user_pool=``).  Call once per pool.
    ``kms_key``
        Required when a custom sender (CustomEmailSender, CustomSMSSender) is
        declared: the ``aws_kms.IKey`` (or its ARN) given to the pool as
        ``custom_sender_kms_key``.  The sender's role gets ``kms:Decrypt`` on it
        and the function the ``CHALICE_COGNITO_KMS_KEY_ARN`` environment
        variable that :func:`chalice_cognito.senders.decrypt_code` reads.

    Raises ``ValueError`` when there is nothing to attach for the alias, when a
    sender is declared without ``kms_key``, or when a trigger's function is not
    in the construct's template.  A slot the pool already has a trigger for
    fails in CDK (``A trigger for the operation ... already exists``).
    """
    cognito = importlib.import_module("aws_cdk.aws_cognito")
    lambda_ = importlib.import_module("aws_cdk.aws_lambda")
    iam = importlib.import_module("aws_cdk.aws_iam")
    core = importlib.import_module("aws_cdk")

    registrations = _registrations(chalice_construct, app, user_pool_alias)
    senders = [r for r in registrations if r.spec.requires_kms]
    if senders and kms_key is None:
        raise ValueError(
            f"{', '.join(r.function_name for r in senders)} "
            f"({', '.join(r.trigger for r in senders)}) needs the pool's KMS key: create the "
            "UserPool with custom_sender_kms_key=key and pass the same key as "
            "add_triggers(..., kms_key=key)."
        )
    key_arn = None if kms_key is None else _key_arn(kms_key)
    resources = _template_resources(chalice_construct)
    for r in registrations:
        if function_logical_id(r.function_name) not in resources:
            raise ValueError(
                f"Function {r.function_name} ({function_logical_id(r.function_name)}) of "
                f"trigger {r.trigger} is not in the template the Chalice construct packaged: "
                "pass the app of that construct as app=."
            )

    pool_arn = user_pool.user_pool_arn
    account = core.Stack.of(user_pool).account
    result = CdkTriggers()
    shared: Dict[str, List[str]] = {}
    # permissions that already carry SourceAccount (the user's own, or added here)
    scoped = {p.node.path for p in _permissions(core, user_pool)}
    for r in registrations:
        fid = function_logical_id(r.function_name)
        arn = chalice_construct.get_resource(fid).get_att("Arn").to_string()
        # chalice.cdk's own get_function imports the function without
        # same_environment, and CDK then silently drops its permissions.
        fn = lambda_.Function.from_function_attributes(
            user_pool, f"{fid}Trigger", function_arn=arn, same_environment=True
        )
        result.functions[r.function_name] = fn
        operation = getattr(cognito.UserPoolOperation, operation_name(r.spec), None)
        if operation is not None:
            version = None if r.version is None else getattr(cognito.LambdaVersion, r.version)
            try:
                user_pool.add_trigger(operation, fn, version)
            except RuntimeError as e:  # jsii's form of CDK's ValidationError
                if r.spec.requires_kms and "KMS key" in str(e):
                    raise ValueError(
                        f"{r.trigger}: the UserPool has no custom_sender_kms_key; create it with "
                        "custom_sender_kms_key=key (the key passed as kms_key=)."
                    ) from None
                raise
            result.operations[r.function_name] = f"UserPoolOperation.{operation_name(r.spec)}"
        else:
            # No CDK operation yet: the same LambdaConfig entry and permission
            # that add_trigger would have written, on the L1 resource.
            cfn_pool = user_pool.node.default_child
            for key, value in cfn_entries(r.spec, r.version, fn.function_arn, key_arn).items():
                cfn_pool.add_property_override(f"LambdaConfig.{key}", value)
            fn.add_permission(
                f"{r.spec.config_key}Cognito",
                principal=iam.ServicePrincipal(COGNITO_PRINCIPAL),
                source_arn=pool_arn,
                source_account=account,
            )
            result.operations[r.function_name] = f"CfnUserPool LambdaConfig.{r.spec.config_key}"
        for permission in _permissions(core, user_pool, fn):
            if permission.node.path not in scoped:
                # CDK's add_trigger scopes the permission by SourceArn only.
                permission.add_property_override("SourceAccount", account)
                scoped.add(permission.node.path)

        if key_arn is not None and r.spec.requires_kms:
            chalice_construct.add_environment_variable(KMS_KEY_ARN_ENV, key_arn, fid)
        _grant(chalice_construct, iam, resources, r, pool_arn, key_arn, result, shared)

    for role_id, names in shared.items():
        result.notes.append(
            f"Role {role_id} is shared by several functions of the app: all of them hold the "
            f"grants of {', '.join(names)}. To limit a grant to its trigger, use "
            'chalice_cognito.cdk.Chalice with "trigger_roles": "own" (the default), or set '
            '"autogen_policy": false for that function under lambda_functions.'
        )
    # the Cognito calls the construct's packaging left ungranted (access= does not
    # declare them): about the app's roles, not one pool, so in every call's notes
    result.notes.extend(getattr(chalice_construct, "package_warnings", ()))
    return result


def _grant(
    chalice_construct: Any,
    iam: Any,
    resources: Dict[str, Any],
    registration: TriggerRegistration,
    pool_arn: Any,
    key_arn: Any,
    result: CdkTriggers,
    shared: Dict[str, List[str]],
) -> None:
    """Add the trigger's grants (:func:`statements_for`) to its role, or record why not."""
    from chalice_cognito.deploy.grants import statements_for

    statements = tuple(statements_for(registration, [pool_arn], key_arn))
    if not statements:
        return
    name = registration.function_name
    role = resources[function_logical_id(name)].get("Properties", {}).get("Role")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        result.unattached_grants[name] = statements
        result.notes.append(
            f"{name} runs with a pre-created IAM role ({role}) that Chalice does not manage: "
            "add its grants (CdkTriggers.unattached_grants) to that role yourself."
        )
        return
    role_id = str(role["Fn::GetAtt"][0])
    # A separate AWS::IAM::Policy (not part of the role) on the pool's ARN:
    # the pool depends on the function, the policy on both, so no cycle.
    target = chalice_construct.get_role(role_id)
    for statement in statements:
        target.add_to_principal_policy(iam.PolicyStatement.from_json(statement))
    result.grants[name] = (role_id, statements)
    users = [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Properties", {}).get("Role") == role and logical_id != role_id
    ]
    if len(users) > 1:
        shared.setdefault(role_id, []).append(name)


def _permissions(core: Any, *scopes: Any) -> List[Any]:
    """The ``AWS::Lambda::Permission`` resources under ``scopes``.

    CDK creates a trigger's permission in the pool's scope (aws-cdk-lib 2.275),
    the fallback path in the function's: both are searched.
    """
    return [
        child
        for scope in scopes
        for child in scope.node.find_all()
        if core.CfnResource.is_cfn_resource(child)
        and child.cfn_resource_type == "AWS::Lambda::Permission"
    ]


def _registrations(
    chalice_construct: Any, app: Any, alias: Optional[str]
) -> List[TriggerRegistration]:
    if app is None:
        app = getattr(chalice_construct, "chalice_app", None)
    if app is None:
        app = _load_app(str(chalice_construct.source_dir))
    every = registered_triggers(app)
    chosen = [r for r in every if r.user_pool == alias]
    if not chosen:
        aliases = sorted(
            {"the default pool" if r.user_pool is None else r.user_pool for r in every}
        )
        wanted = "the default pool" if alias is None else f"user_pool={alias!r}"
        raise ValueError(
            f"The app declares no Cognito trigger for {wanted}"
            + (f" (it declares triggers for: {', '.join(aliases)})." if aliases else ".")
        )
    return chosen


def _load_app(source_dir: str) -> Any:
    """The app of a Chalice project, loaded as ``chalice package`` loads it."""
    factory = importlib.import_module("chalice.cli.factory")
    return factory.CLIFactory(source_dir, environ=os.environ).load_chalice_app()


def _project_config(source_dir: str) -> Dict[str, Any]:
    """The project's ``.chalice/config.json``, read as ``chalice package`` reads it."""
    factory = importlib.import_module("chalice.cli.factory")
    config: Dict[str, Any] = factory.CLIFactory(
        source_dir, environ=os.environ
    ).load_project_config()
    return config


def _key_arn(kms_key: Any) -> Any:
    if isinstance(kms_key, str):
        return kms_key
    arn = getattr(kms_key, "key_arn", None)
    if arn is None:
        raise ValueError("kms_key must be an aws_kms.IKey or a KMS key ARN.")
    return arn


def _template_resources(chalice_construct: Any) -> Dict[str, Any]:
    """The functions of the SAM template the construct packaged: logical id -> ``{"Properties": {"Role": ...}}``.

    Read through CDK's public API: the construct's ``sam_template``
    (``CfnInclude``) holds one L1 resource per template resource, named by its
    logical id; a function's ``role`` is resolved back to the template's
    value (``{"Fn::GetAtt": [role, "Arn"]}`` for a role Chalice manages, the
    ARN of a pre-created one).
    """
    template = getattr(chalice_construct, "sam_template", None)
    if template is None:
        raise ValueError(
            "chalice_construct must be a chalice.cdk.Chalice construct (it has no sam_template)."
        )
    core = importlib.import_module("aws_cdk")
    stack = core.Stack.of(template)
    resources: Dict[str, Any] = {}
    for child in template.node.children:
        if (
            core.CfnResource.is_cfn_resource(child)
            and child.cfn_resource_type == "AWS::Serverless::Function"
        ):
            role = stack.resolve(child.role)
            resources[child.node.id] = {
                "Type": child.cfn_resource_type,
                "Properties": {"Role": role},
            }
    return resources


def supported_by_cdk(specs: Sequence[TriggerSpec] = TRIGGERS) -> Dict[str, bool]:
    """Trigger name -> whether the installed aws-cdk-lib has a ``UserPoolOperation`` for it."""
    cognito = importlib.import_module("aws_cdk.aws_cognito")
    return {s.name: hasattr(cognito.UserPoolOperation, operation_name(s)) for s in specs}


# -- the construct ----------------------------------------------------------------

_CONSTRUCT_CLASS: Optional[type] = None


def _construct_class() -> type:
    """Build (once) :class:`Chalice`: ``chalice.cdk.Chalice`` packaging with the plugin."""
    global _CONSTRUCT_CLASS
    if _CONSTRUCT_CLASS is not None:
        return _CONSTRUCT_CLASS
    stock: Any = importlib.import_module("chalice.cdk.construct").Chalice

    class Chalice(stock):  # type: ignore[misc]
        """``chalice.cdk.Chalice`` whose zip carries chalice-cognito's runtime half.

        Packages with the plugin's build stage (as ``chalice-cognito package``):
        the runtime half and pydantic go into the zip, and the ``cognito-idp``
        actions a trigger declares in ``access=`` are taken out of the
        autogenerated policy's ``Resource: "*"`` statements, since
        :func:`add_triggers` grants them on the pool.  Each trigger function
        with grants (``access=``, a custom sender's key) gets a role of its own,
        as ``chalice-cognito deploy`` and ``package`` give it, so no other
        function holds its grants; ``"trigger_roles": "shared"`` in the
        ``cognito`` section of ``.chalice/config.json`` (top level or the
        stage's: the stage is the construct's scope name, as in the stock
        construct) keeps Chalice's one role.  ``chalice_app`` is the loaded app.
        A bad ``trigger_roles`` value raises ``ValueError`` before packaging.
        """

        chalice_app: Any = None
        #: the project's ``trigger_roles`` for the construct's stage (``"own"`` or ``"shared"``)
        trigger_roles: str = "own"
        #: the functions the packaging moved onto a role of their own
        own_roles: Sequence[str] = ()
        #: what the packaging warned about (undeclared ``cognito-idp:`` calls);
        #: :func:`add_triggers` puts them into its notes
        package_warnings: Sequence[str] = ()

        def __init__(self, scope: Any, id: str, source_dir: str, *args: Any, **kwargs: Any):
            from chalice_cognito.deploy.config import trigger_roles
            from chalice_cognito.deploy.errors import ConfigError
            from chalice_cognito.deploy.grants import (
                NarrowDeclaredActionsStep,
                functions_with_grants,
                packager_trigger_roles,
            )
            from chalice_cognito.deploy.packaging import cognito_packaging

            project_dir = os.path.abspath(source_dir)
            # The stock constructor packages the stage named after its scope.
            stage = scope.to_string()
            try:
                roles = trigger_roles(_project_config(project_dir), stage)
            except ConfigError as error:  # before anything is packaged
                raise ValueError(f"{project_dir}/.chalice/config.json: {error}") from None
            app = _load_app(project_dir)
            registrations = registered_triggers(app)
            narrow = NarrowDeclaredActionsStep(registrations)
            # as chalice-cognito deploy and package: each trigger function with
            # grants on a role of its own, unless "trigger_roles": "shared"
            own = functions_with_grants(registrations) if roles == "own" else []
            # The stock constructor packages the app (``chalice package``) and
            # includes the template: with the plugin's build stage and graph
            # builder meanwhile.
            with cognito_packaging(extra_steps=[narrow]), packager_trigger_roles(own) as builder:
                super().__init__(scope, id, source_dir, *args, **kwargs)
            self.chalice_app = app
            self.package_warnings = tuple(narrow.warnings)
            self.trigger_roles = roles
            self.own_roles = tuple(builder.moved)

    _CONSTRUCT_CLASS = Chalice
    return Chalice


def __getattr__(name: str) -> Any:
    # ``from chalice_cognito.cdk import Chalice`` builds the subclass on first
    # use, so importing this module does not start jsii.
    if name == "Chalice":
        return _construct_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
