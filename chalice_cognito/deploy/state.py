"""The CLI's ownership record: ``.chalice/cognito/<stage>.json``.

What this app/stage attached to which pool, so the next deploy can update or
detach exactly its own triggers and never another owner's.  It is a file of its
own, NOT an entry in ``.chalice/deployed/<stage>.json``: Chalice rewrites that
file whole on each deploy and its sweeper fails on unknown resource types, so
stock ``chalice deploy``/``chalice delete`` keep working.

Shape (``schema_version`` 1)::

    {"schema_version": 1,
     "pools": {"eu-west-1_AbC": {
         "alias": "default", "region": "eu-west-1",
         "pool_arn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC",
         "slots": {"PreSignUp": {"function_arn": "arn:aws:lambda:...:function:shop-dev-pre_sign_up",
                                 "function_name": "shop-dev-pre_sign_up"}},
         "kms_key_arn": null}}}

The file is written atomically (temp file + rename).  A pool whose ownership
becomes empty is dropped from the record; an empty record deletes the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

from chalice_cognito.deploy.errors import WiringError
from chalice_cognito.deploy.model import Ownership, PoolRef, function_name_from_arn

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class PoolRecord:
    """Ownership of one pool plus where it lives."""

    pool_id: str
    region: str
    ownership: Ownership
    alias: Optional[str] = None
    pool_arn: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {
            "alias": self.alias,
            "region": self.region,
            "pool_arn": self.pool_arn,
            "slots": {
                trigger: {"function_arn": arn, "function_name": function_name_from_arn(arn)}
                for trigger, arn in sorted(self.ownership.slots.items())
            },
            "kms_key_arn": self.ownership.kms_key_arn,
        }


@dataclass(frozen=True)
class StageState:
    """Every pool record of one stage."""

    stage: str
    pools: Mapping[str, PoolRecord] = field(default_factory=dict)

    def ownership(self, pool_id: str) -> Ownership:
        """What this stage owns on ``pool_id`` (empty if nothing)."""
        record = self.pools.get(pool_id)
        return record.ownership if record else Ownership()

    def with_pool(
        self, pool: PoolRef, ownership: Ownership, alias: Optional[str] = None
    ) -> StageState:
        """A copy recording ``ownership`` for ``pool`` (dropped when empty)."""
        pools = dict(self.pools)
        if ownership.is_empty:
            pools.pop(pool.pool_id, None)
        else:
            pools[pool.pool_id] = PoolRecord(
                pool_id=pool.pool_id,
                region=pool.region,
                ownership=ownership,
                alias=alias,
                pool_arn=pool.arn,
            )
        return StageState(stage=self.stage, pools=pools)

    def to_json(self) -> Dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "pools": {pid: rec.to_json() for pid, rec in sorted(self.pools.items())},
        }


def state_path(project_dir: Union[str, Path], stage: str) -> Path:
    """``<project_dir>/.chalice/cognito/<stage>.json``."""
    return Path(project_dir) / ".chalice" / "cognito" / f"{stage}.json"


def load_state(project_dir: Union[str, Path], stage: str) -> StageState:
    """Read the stage's record (an empty state when the file does not exist)."""
    path = state_path(project_dir, stage)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return StageState(stage=stage)
    except ValueError as error:
        raise WiringError(f"{path} is not valid JSON ({error}); fix or delete it.") from None
    return state_from_json(stage, data, str(path))


def state_from_json(stage: str, data: Any, where: str = "ownership record") -> StageState:
    """Parse the JSON of a record (see the module docstring)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("pools", {}), Mapping):
        raise WiringError(f"{where} is not a chalice-cognito ownership record.")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise WiringError(
            f"{where} has schema_version {version}; this chalice-cognito reads {SCHEMA_VERSION}."
        )
    pools: Dict[str, PoolRecord] = {}
    for pool_id, raw in (data.get("pools") or {}).items():
        if not isinstance(raw, Mapping):
            raise WiringError(f"{where}: pool {pool_id} must be an object.")
        try:
            ownership = Ownership.from_json(raw)
        except ValueError as error:
            raise WiringError(f"{where}: pool {pool_id}: {error}") from None
        pools[str(pool_id)] = PoolRecord(
            pool_id=str(pool_id),
            region=str(raw.get("region") or ""),
            ownership=ownership,
            alias=raw.get("alias"),
            pool_arn=str(raw.get("pool_arn") or ""),
        )
    return StageState(stage=stage, pools=pools)


def save_state(project_dir: Union[str, Path], state: StageState) -> Path:
    """Write the record atomically; delete the file when nothing is owned."""
    path = state_path(project_dir, state.stage)
    if not state.pools:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(state.to_json(), indent=2, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{state.stage}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
