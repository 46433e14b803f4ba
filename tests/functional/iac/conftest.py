"""Fixtures of the IaC tests: moto AWS, a local ResponseURL server, a packaged test app."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import boto3
import pytest
from moto import mock_aws

from chalice_cognito.deploy.wiring import AwsClients, Wiring
from tests.support import aws as support_aws
from tests.support.recording import CallRecorder

REGION = support_aws.REGION


class ResponseServer:
    """A stand-in for CloudFormation's pre-signed S3 URL: records every PUT."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host}:{port}/response"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def last(self) -> Dict[str, Any]:
        return dict(self.requests[-1]["body"])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def response_server() -> Iterator[ResponseServer]:
    server = ResponseServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


class Calls(CallRecorder):
    """The shared call recorder, with the names these tests read and a :class:`Wiring` on it."""

    @property
    def names(self) -> List[str]:
        return self.calls

    def wiring(self) -> Wiring:
        # confirm_delay=0: no re-read after a pause (no concurrent writer here).
        return Wiring(AwsClients(client_factory=self.factory), confirm_delay=0)


@pytest.fixture
def calls(aws: None) -> Calls:
    return Calls()


def create_function(name: str) -> str:
    """A moto Lambda function (never invoked); returns its ARN."""
    return support_aws.create_function(name, role_name="iac-test-role")


def create_pool(name: str = "shop-users", lambda_config: Optional[Dict[str, Any]] = None) -> str:
    """A pool with non-default settings that an UpdateUserPool without them would reset."""
    pool = boto3.client("cognito-idp", region_name=REGION).create_user_pool(
        PoolName=name,
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": False,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={
            "EmailSubject": "Your shop code",
            "EmailMessage": "Code: {####}",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
        UserPoolTags={"team": "shop"},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        LambdaConfig=lambda_config or {},
    )
    return str(pool["UserPool"]["Id"])


describe = support_aws.describe_pool
policy = support_aws.policy_statements


class Kit:
    """The helpers above, handed to tests as a fixture (importlib mode: no conftest imports)."""

    region = REGION
    create_function = staticmethod(create_function)
    create_pool = staticmethod(create_pool)
    describe = staticmethod(describe)
    policy = staticmethod(policy)


@pytest.fixture
def kit(aws: None) -> Kit:
    return Kit()


# -- packaging a test app with the real chalice-cognito command -------------------------

APP_SOURCE = """
from chalice_cognito import Chalice

app = Chalice(app_name="shop")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event


@app.cognito_trigger("PreTokenGeneration", version="V2_0")
def pre_token(event):
    return event


@app.cognito_trigger("CustomEmailSender")
def email_sender(event):
    return event


@app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup"])
def post_confirmation(event):
    return event


@app.lambda_function()
def not_a_trigger(event, context):
    return {}
"""


class Project:
    """A small Chalice app in a temp dir, packaged by ``chalice-cognito package``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "app"
        (self.dir / ".chalice").mkdir(parents=True)
        (self.dir / "app.py").write_text(APP_SOURCE)
        (self.dir / "requirements.txt").write_text("")

    def configure(self, cognito: Dict[str, Any], stages: Optional[Dict[str, Any]] = None) -> None:
        config = {
            "version": "2.0",
            "app_name": "shop",
            "stages": stages or {"dev": {}},
            "cognito": cognito,
        }
        (self.dir / ".chalice" / "config.json").write_text(json.dumps(config))

    def package(self, *args: str, out: str = "out") -> Path:
        done = self.run_package(*args, out=out)
        if done.returncode != 0:
            raise AssertionError(
                f"package failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return self.root / out

    def run_package(
        self, *args: str, out: str = "out", prelude: str = ""
    ) -> subprocess.CompletedProcess[str]:
        """Run the command in a child process; ``prelude`` is Python run before it."""
        command = [
            sys.executable,
            "-c",
            f"{prelude}\n"
            "import sys; from chalice_cognito.cli import main; sys.exit(main(sys.argv[1:]))",
            "--project-dir",
            str(self.dir),
            "package",
            *args,
            str(self.root / out),
        ]
        env = {**os.environ, "AWS_DEFAULT_REGION": REGION}
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def lint() -> Any:
    return _lint


@pytest.fixture
def sam_translate() -> Any:
    return _sam_translate


@pytest.fixture
def terraform_references() -> Any:
    return _terraform_references


def _lint(template_path: Path) -> List[str]:
    """cfn-lint findings (errors and warnings) of a template file."""
    from cfnlint.api import lint_file

    return [str(m) for m in lint_file(template_path)]


def _sam_translate(template: Dict[str, Any]) -> Dict[str, Any]:
    """Run the SAM transform as CloudFormation would, after `aws cloudformation package`.

    That step uploads local artifacts and rewrites ``CodeUri`` to ``s3://``;
    the rewrite is mimicked here (the translator accepts no local paths).
    """
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> Dict[str, str]:
            return {}

    doc = json.loads(json.dumps(template))
    for resource in doc["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and str(
            props.get("CodeUri", "")
        ).startswith("./"):
            props["CodeUri"] = "s3://artifacts/" + props["CodeUri"][2:]
    return dict(transform(doc, {}, NoManagedPolicies()))


_REF = re.compile(r"\$\{([^}]*)\}")
_ADDRESS = re.compile(
    r"(?<![\w.\"])(data\.[a-z0-9_]+\.[\w-]+|var\.\w+|local\.\w+|"
    r"(?:aws|null)_[a-z0-9_]*\.[\w-]+|self\.[\w.]+|path\.module)"
)


def _terraform_references(folder: Path) -> Dict[str, Any]:
    """Every reference in the folder's ``*.tf.json`` files, and whether it resolves.

    Returns ``{"refs": set, "unresolved": set}``.  Terraform loads all files of
    a folder as one module, so definitions from every file count.
    """
    resources: set = set()
    data: set = set()
    variables: set = set()
    locals_: set = set()
    docs = []
    for path in sorted(folder.glob("*.tf.json")):
        doc = json.loads(path.read_text())
        docs.append(doc)
        for rtype, items in doc.get("resource", {}).items():
            resources.update(f"{rtype}.{name}" for name in items)
        for dtype, items in doc.get("data", {}).items():
            data.update(f"data.{dtype}.{name}" for name in items)
        variables.update(f"var.{name}" for name in doc.get("variable", {}))
        for block in doc.get("locals", {}) if isinstance(doc.get("locals"), dict) else []:
            locals_.add(f"local.{block}")
    refs: set = set()
    unresolved: set = set()

    def visit(node: Any, in_provisioner: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "depends_on":
                    for address in value:
                        refs.add(address)
                        if address not in resources and address not in data:
                            unresolved.add(address)
                    continue
                visit(value, in_provisioner or key == "provisioner")
        elif isinstance(node, list):
            for value in node:
                visit(value, in_provisioner)
        elif isinstance(node, str):
            for expression in _REF.findall(node):
                for address in _ADDRESS.findall(expression):
                    refs.add(address)
                    if address == "path.module":
                        continue
                    if address.startswith("self."):
                        if not in_provisioner:
                            unresolved.add(address)
                        continue
                    base = ".".join(
                        address.split(".")[:3]
                        if address.startswith("data.")
                        else address.split(".")[:2]
                    )
                    known = resources | data | variables | locals_
                    if base not in known:
                        unresolved.add(address)

    for doc in docs:
        visit(doc)
    return {"refs": refs, "unresolved": unresolved, "cycles": _terraform_cycles(docs)}


def _base(address: str) -> str:
    parts = address.split(".")
    return ".".join(parts[:3] if address.startswith("data.") else parts[:2])


def _terraform_cycles(docs: List[Dict[str, Any]]) -> List[List[str]]:
    """Dependency cycles between resources, data sources and locals (Terraform refuses them)."""
    edges: Dict[str, set] = {}

    def refs_in(node: Any) -> set:
        found: set = set()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "depends_on":
                    found.update(value)
                elif key != "provisioner":  # destroy provisioners may only use self
                    found |= refs_in(value)
        elif isinstance(node, list):
            for value in node:
                found |= refs_in(value)
        elif isinstance(node, str):
            for expression in _REF.findall(node):
                found.update(
                    _base(a)
                    for a in _ADDRESS.findall(expression)
                    if not a.startswith(("self.", "path."))
                )
        return found

    for doc in docs:
        for rtype, items in doc.get("resource", {}).items():
            for name, body in items.items():
                edges[f"{rtype}.{name}"] = refs_in(body)
        for dtype, items in doc.get("data", {}).items():
            for name, body in items.items():
                edges[f"data.{dtype}.{name}"] = refs_in(body)
        for name, body in (doc.get("locals") or {}).items():
            edges[f"local.{name}"] = refs_in(body)
    cycles: List[List[str]] = []
    state: Dict[str, int] = {}
    stack: List[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt in edges and state.get(nxt) is None:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if state.get(node) is None:
            dfs(node)
    return cycles
