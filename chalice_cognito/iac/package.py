"""``chalice-cognito package``: Chalice's package output plus the Cognito wiring.

The CLI calls :func:`check_package_config` before anything is packaged, runs
stock packaging into a staging folder, calls :func:`add_cognito_to_package`
on it (``--merge-template`` already applied by Chalice) and only then moves
the result into ``OUT`` with :func:`install_output`, so a failed command never
leaves a template without the wiring in ``OUT``::

    from chalice_cognito.iac.package import add_cognito_to_package

    result = add_cognito_to_package(
        app,            # the chalice_cognito (or chalice) app; None: config.chalice_app
        config,         # chalice.config.Config (factory.create_config_obj(stage))
                        # or the parsed .chalice/config.json dict
        out_dir,        # OUT, the folder `chalice package` wrote
        pkg_format,     # "cloudformation" | "terraform" (Chalice's --pkg-format)
        stage,          # --stage
        user_pool_id=None,  # --user-pool-id: the default pool is this existing pool
    )
    for line in result.warnings: click.echo(line, err=True)

Parameters:

``app``
    Anything :func:`chalice_cognito.app.registered_triggers` accepts.  No
    trigger: the output is left untouched.
``config``
    A :class:`chalice.config.Config` (its ``config_from_disk`` and
    ``app_name`` are read) or the parsed ``.chalice/config.json``.  The
    ``cognito`` section is merged top level <- ``stages.<stage>`` (the stage
    wins key by key, per pool alias) and read by :mod:`.targets`:
    ``user_pool_resource`` (pool in the merge template / user's Terraform),
    ``user_pool_parameter`` (a template parameter / Terraform variable with
    the pool id), ``user_pool_id``, ``user_pool_name``, ``kms_key_arn`` or
    ``kms_key_resource``, ``on_conflict``; several pools via ``user_pools``.
``out_dir``, ``pkg_format``, ``stage``
    As given to ``chalice package``.  ``sam.json`` or ``sam.yaml`` is edited in
    place (same serialisation); for Terraform ``chalice-cognito.tf.json`` is
    written next to ``chalice.tf.json``.  With an existing pool,
    ``cognito-attach.zip`` (the attach Lambda) is written too.
``app_name``
    Overrides the app name (default: from ``config``, else ``app.app_name``).
``grants``
    Hook for access grants: ``(binding, pool_arn, kms_key) -> [IAM statement]``
    where ``pool_arn``/``kms_key`` are template values (CloudFormation
    intrinsics or Terraform interpolations).  Default:
    ``chalice_cognito.deploy.grants.statements_for`` (the statements ``deploy``
    grants, so deploy and package agree).  The statements become an
    ``AWS::IAM::Policy`` / ``aws_iam_role_policy`` on the function's role, so
    the packaging build stage must not inject them a second time.

Raises :class:`chalice_cognito.iac.targets.IaCConfigError` (a ``ValueError``)
with a message fit for the user; :class:`.bundle.BundleError` if the attach
Lambda's code would not run.

``--merge-template``: nothing extra is needed: Chalice merges it before this
runs, so the pool it defines is found by its logical id.  (Chalice rejects
``--merge-template`` for Terraform; there the user's own ``*.tf`` files sit in
the same folder.)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Tuple

from chalice_cognito.app import registered_triggers
from chalice_cognito.iac import cloudformation, terraform
from chalice_cognito.iac.bundle import write_bundle
from chalice_cognito.iac.targets import Binding, IaCConfigError, bind, load_pool_targets

#: file name of the attach Lambda's code next to the template
ATTACH_ZIP = "cognito-attach.zip"
PKG_FORMATS = ("cloudformation", "terraform")

GrantProvider = cloudformation.GrantProvider


@dataclass
class PackageResult:
    """What :func:`add_cognito_to_package` did."""

    #: files written or rewritten, absolute paths
    files: List[str] = field(default_factory=list)
    bindings: List[Binding] = field(default_factory=list)
    #: things the user must do by hand (e.g. grants for a pre-created role)
    warnings: List[str] = field(default_factory=list)

    @property
    def attach_lambda(self) -> bool:
        """True when an existing pool is wired through the attach Lambda."""
        return any(not b.pool.in_template for b in self.bindings)


def add_cognito_to_package(
    app: Any = None,
    config: Any = None,
    out_dir: str = ".",
    pkg_format: str = "cloudformation",
    stage: str = "dev",
    *,
    template_format: Optional[str] = None,
    user_pool_id: Optional[str] = None,
    app_name: Optional[str] = None,
    grants: Optional[GrantProvider] = None,
) -> PackageResult:
    """Add the Cognito wiring of every declared trigger to ``chalice package`` output.

    ``app`` defaults to ``config.chalice_app``.  ``template_format`` is
    accepted for symmetry with ``chalice package`` and otherwise unused: the
    format of the written template (``sam.json`` / ``sam.yaml``) is kept.
    ``user_pool_id`` (the CLI's ``--user-pool-id``) makes the default pool an
    existing pool with that id, whatever the config says.
    """
    del template_format  # the file Chalice wrote tells
    if pkg_format not in PKG_FORMATS:
        raise IaCConfigError(
            f"Unknown package format {pkg_format!r}; use one of {', '.join(PKG_FORMATS)}."
        )
    if config is None:
        raise IaCConfigError("add_cognito_to_package needs the Chalice config.")
    if app is None:
        app = config.chalice_app
    config_dict = _config_dict(config)
    name = app_name or _app_name(config, config_dict) or str(getattr(app, "app_name", "app"))
    registrations = registered_triggers(app)
    result = PackageResult()
    if not registrations:
        _remove_stale(out_dir, terraform.FILE_NAME, ATTACH_ZIP)
        return result
    pools = load_pool_targets(config_dict, stage, user_pool_id=user_pool_id)
    result.bindings = bind(registrations, pools)
    owner = f"{name}-{stage}"
    provider = grants or default_grants_provider()
    if pkg_format == "cloudformation":
        from chalice_cognito.deploy.config import rollout_settings

        rollout = rollout_settings(config_dict, stage)  # alias, canary, alarms
        _package_cloudformation(out_dir, result, owner, provider, rollout)
    else:
        from chalice_cognito.deploy.config import rollout_settings

        _package_terraform(out_dir, result, owner, provider, rollout_settings(config_dict, stage))
    zip_path = os.path.join(out_dir, ATTACH_ZIP)
    if result.attach_lambda:
        write_bundle(zip_path)
        result.files.append(os.path.abspath(zip_path))
    else:
        _remove_stale(out_dir, ATTACH_ZIP)
    return result


def check_package_config(
    app: Any, config: Any, stage: str, *, user_pool_id: Optional[str] = None
) -> List[Binding]:
    """Validate the ``cognito`` section and bind the triggers, writing nothing.

    The CLI calls this before stock packaging so a configuration error stops
    the command before any output exists (a template without the wiring would
    deploy "successfully" with no trigger attached).  Raises
    :class:`IaCConfigError`.
    """
    if app is None:
        app = config.chalice_app
    registrations = registered_triggers(app)
    if not registrations:
        return []
    pools = load_pool_targets(_config_dict(config), stage, user_pool_id=user_pool_id)
    return bind(registrations, pools)


def install_output(staging_dir: str, out_dir: str) -> List[str]:
    """Move a complete package from ``staging_dir`` into ``out_dir``; returns the paths.

    Only called once packaging and the Cognito step both succeeded, so ``OUT``
    never holds a half-made package.  Files of ``OUT`` that the package does
    not contain are kept (a Terraform user's own ``*.tf`` files live there),
    except this plugin's own files from an earlier run, which would reference
    functions or pools that are gone.
    """
    os.makedirs(out_dir, exist_ok=True)
    names = sorted(os.listdir(staging_dir))
    installed = []
    for name in names:
        target = os.path.join(out_dir, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        shutil.move(os.path.join(staging_dir, name), target)
        installed.append(os.path.abspath(target))
    _remove_stale(out_dir, *(n for n in (terraform.FILE_NAME, ATTACH_ZIP) if n not in names))
    return installed


def _remove_stale(out_dir: str, *names: str) -> None:
    """Drop files of an earlier run into the same OUT folder that this run does not need.

    Terraform loads every ``*.tf.json`` of the folder: a stale wiring file
    would reference functions that are gone.
    """
    for name in names:
        path = os.path.join(out_dir, name)
        if os.path.isfile(path):
            os.remove(path)


def default_grants_provider() -> GrantProvider:
    """The deploy half's grants builder (:func:`chalice_cognito.deploy.grants.statements_for`)."""
    return cloudformation.default_grant_statements


# -- formats ---------------------------------------------------------------------


def _package_cloudformation(
    out_dir: str,
    result: PackageResult,
    owner: str,
    grants: GrantProvider,
    rollout: Optional[Mapping[str, Any]] = None,
) -> None:
    path, yaml_format = _find_template(out_dir)
    serializer = _serializer(yaml_format)
    with open(path, encoding="utf-8") as f:
        template = serializer.load_template(f.read(), path)
    result.warnings.extend(
        cloudformation.add_to_template(
            template, result.bindings, owner=owner, attach_code_uri=f"./{ATTACH_ZIP}", grants=grants
        )
    )
    if rollout:
        from chalice_cognito.iac.rollout import add_rollout_to_template

        add_rollout_to_template(
            template,
            result.bindings,
            alias=rollout.get("alias"),
            canary=rollout.get("canary"),
            alarms=rollout.get("alarms"),
        )
    with open(path, "w", encoding="utf-8") as f:
        f.write(serializer.serialize_template(template))
    result.files.append(os.path.abspath(path))


def _package_terraform(
    out_dir: str,
    result: PackageResult,
    owner: str,
    grants: GrantProvider,
    rollout: Optional[Mapping[str, Any]] = None,
) -> None:
    chalice_tf = os.path.join(out_dir, "chalice.tf.json")
    if not os.path.isfile(chalice_tf):
        raise IaCConfigError(
            f"{chalice_tf} not found: run `chalice package --pkg-format terraform`."
        )
    with open(chalice_tf, encoding="utf-8") as f:
        generated = json.load(f)
    doc = terraform.build(generated, result.bindings, owner=owner, grants=grants)
    result.warnings.extend(terraform.provider_warnings(result.bindings))
    changed = terraform.add_sender_environment(generated, result.bindings)
    if rollout:
        from chalice_cognito.iac.rollout import add_rollout_to_terraform

        result.warnings.extend(
            add_rollout_to_terraform(
                doc,
                generated,
                result.bindings,
                alias=rollout.get("alias"),
                canary=rollout.get("canary"),
                alarms=rollout.get("alarms"),
            )
        )
        changed = changed or bool(rollout.get("alias"))
    if changed:
        with open(chalice_tf, "w", encoding="utf-8") as f:
            json.dump(generated, f, indent=2)
            f.write("\n")
        result.files.append(os.path.abspath(chalice_tf))
    path = os.path.join(out_dir, terraform.FILE_NAME)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write("\n")
    result.files.append(os.path.abspath(path))


def _find_template(out_dir: str) -> Tuple[str, bool]:
    for name, is_yaml in (("sam.json", False), ("sam.yaml", True)):
        path = os.path.join(out_dir, name)
        if os.path.isfile(path):
            return path, is_yaml
    raise IaCConfigError(f"No sam.json or sam.yaml in {out_dir}: run `chalice package` first.")


def _serializer(yaml_format: bool) -> Any:
    from chalice.package import JSONTemplateSerializer, YAMLTemplateSerializer

    return YAMLTemplateSerializer() if yaml_format else JSONTemplateSerializer()


def _config_dict(config: Any) -> Mapping[str, Any]:
    if isinstance(config, Mapping):
        return config
    from_disk = getattr(config, "config_from_disk", None)
    if isinstance(from_disk, Mapping):
        return from_disk
    raise IaCConfigError(
        "config must be a chalice.config.Config or the parsed .chalice/config.json."
    )


def _app_name(config: Any, config_dict: Mapping[str, Any]) -> Optional[str]:
    if not isinstance(config, Mapping):
        try:
            return str(config.app_name)
        except Exception:  # a Config without app_name raises KeyError-like errors
            pass
    value = config_dict.get("app_name")
    return str(value) if value else None


__all__: List[str] = [
    "ATTACH_ZIP",
    "IaCConfigError",
    "PackageResult",
    "add_cognito_to_package",
    "check_package_config",
    "default_grants_provider",
    "install_output",
]
