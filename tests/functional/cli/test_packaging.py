"""What the packagers put in the Lambda zip: the runtime half, its requirements, no AWS SDK."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from chalice_cognito.deploy import packaging


def test_runtime_files_are_the_runtime_half_only() -> None:
    zip_paths = {zip_path for _, zip_path in packaging.runtime_files()}
    for required in (
        "chalice_cognito/__init__.py",
        "chalice_cognito/app.py",
        "chalice_cognito/catalogue.py",
        "chalice_cognito/dispatch.py",
        "chalice_cognito/events/base.py",
        "chalice_cognito/py.typed",
    ):
        assert required in zip_paths
    # testing.py is for the developer's tests: no function imports it
    forbidden = (
        "chalice_cognito/cli.py",
        "chalice_cognito/testing.py",
        "chalice_cognito/deploy/",
        "chalice_cognito/local/",
    )
    assert not [p for p in zip_paths if p.startswith((*forbidden, "chalice_cognito/iac/"))]
    assert not [p for p in zip_paths if "__pycache__" in p or p.endswith(".pyc")]


RUNTIME = packaging.runtime_requirements()
LEFT_OUT = (
    "# chalice-cognito: provided by the Lambda runtime, left out of the zip unless needed "
    "otherwise: "
)
ALL_PROVIDED = "boto3, botocore, jmespath, python-dateutil, s3transfer, six, urllib3"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("", [*RUNTIME, LEFT_OUT + ALL_PROVIDED]),
        ("requests==2.32.3\n", ["requests==2.32.3", *RUNTIME, LEFT_OUT + ALL_PROVIDED]),
        # the user's own pydantic pin wins; chalice-cognito itself is never downloaded
        (
            "pydantic==2.9.2\nchalice-cognito>=0.1\n",
            ["pydantic==2.9.2", LEFT_OUT + ALL_PROVIDED],
        ),
        (
            "Chalice_Cognito[deploy]\n# comment\n",
            ["# comment", *RUNTIME, LEFT_OUT + ALL_PROVIDED],
        ),
        # a boto3 the user names is kept (and the note, part of the zip hash, says so)
        (
            "boto3==1.35.0\n",
            [
                "boto3==1.35.0",
                *RUNTIME,
                LEFT_OUT + "botocore, jmespath, python-dateutil, s3transfer, six, urllib3",
            ],
        ),
    ],
)
def test_effective_requirements(user: str, expected: list) -> None:
    assert RUNTIME and all(r.startswith("pydantic") for r in RUNTIME)
    assert packaging.effective_requirements(user).splitlines() == expected


# -- Lambda-provided packages left out of the zip ---------------------------------------

#: name -> (requirements, top-level files) of the fake wheels "pip" installs below.
FAKE_WHEELS = {
    "boto3": (["botocore", "jmespath", "s3transfer"], ["boto3/__init__.py"]),
    "botocore": (
        ["jmespath", "python-dateutil", "urllib3"],
        ["botocore/__init__.py", "botocore/data/x.json"],
    ),
    "s3transfer": (["botocore"], ["s3transfer/__init__.py"]),
    "jmespath": ([], ["jmespath/__init__.py"]),
    "python-dateutil": (["six"], ["dateutil/__init__.py"]),
    "six": ([], ["six.py"]),
    "urllib3": ([], ["urllib3/__init__.py"]),
    "aws-encryption-sdk": (
        ["boto3", "cryptography", "attrs (>=17.4.0)", 'wrapt ; extra == "x"'],
        ["aws_encryption_sdk/__init__.py"],
    ),
    "cryptography": (["cffi"], ["cryptography/__init__.py"]),
    "requests": (["urllib3 (<3,>=1.21.1)"], ["requests/__init__.py"]),
}


def install_fake(site: Path, names: list) -> None:
    """Lay out wheels as Chalice's DependencyBuilder installs them (files + dist-info)."""
    for name in names:
        requires, files = FAKE_WHEELS[name]
        info = site / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir(parents=True)
        metadata = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
        metadata += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(metadata) + "\n")
        record = []
        for relative in files:
            path = site / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# fake\n")
            record.append(f"{relative},sha256=x,7")
        record.append(f"{info.name}/METADATA,,")
        record.append(f"{info.name}/RECORD,,")
        (info / "RECORD").write_text("\n".join(record) + "\n")


def test_prune_keeps_what_the_user_names_and_deps_others_need(tmp_path) -> None:
    site = tmp_path / "site"
    install_fake(
        site,
        [
            *("aws-encryption-sdk", "boto3", "botocore", "s3transfer", "jmespath"),
            *("python-dateutil", "six", "urllib3", "cryptography", "requests"),
        ],
    )
    pruned, files = packaging.runtime_provided_files(site, named=["aws-encryption-sdk"])
    # urllib3 stays: requests (kept) needs it and may need a newer one than Lambda's.
    assert pruned == ["boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six"]
    assert {"boto3/__init__.py", "botocore/data/x.json", "six.py", "boto3-1.0.dist-info/"} <= files
    for kept in ("aws_encryption_sdk/", "cryptography/", "urllib3/", "requests/"):
        assert not [f for f in files if f.startswith(kept)], kept


def test_prune_keeps_a_boto3_the_user_pins(tmp_path) -> None:
    site = tmp_path / "site"
    install_fake(site, ["boto3", "botocore", "s3transfer", "jmespath", "python-dateutil"])
    install_fake(site, ["six", "urllib3"])
    # boto3 kept, so everything it needs is kept too
    assert packaging.runtime_provided_files(site, named=["boto3"]) == ([], set())


def test_packager_zip_leaves_out_the_runtime_sdk_unless_named(tmp_path) -> None:
    """Chalice's real zip packager, with "pip" laying out the fake wheels above."""

    from chalice.utils import UI, OSUtils

    class FakePip:
        def build_site_packages(self, abi: str, requirements: str, target: str) -> None:
            names = [
                line.split("=")[0].split(">")[0].split("<")[0].strip()
                for line in Path(requirements).read_text().splitlines()
                if line.strip() and not line.startswith("#")
            ]
            wanted = set()
            todo = [n for n in names if n in FAKE_WHEELS]
            while todo:
                name = todo.pop()
                if name in wanted:
                    continue
                wanted.add(name)
                todo += [r.split()[0] for r in FAKE_WHEELS[name][0] if r.split()[0] in FAKE_WHEELS]
            install_fake(Path(target), sorted(wanted))

    def build(requirements: str) -> list:
        project = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
        (project / ".chalice").mkdir(parents=True)
        (project / "app.py").write_text("from chalice import Chalice\napp = Chalice('x')\n")
        (project / "requirements.txt").write_text(requirements)
        packager = packaging.CognitoLambdaDeploymentPackager(
            osutils=OSUtils(), dependency_builder=FakePip(), ui=UI(), architecture="x86_64"
        )
        path = packager.create_deployment_package(str(project), "python3.11")
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()

    names = build("aws-encryption-sdk>=4,<5\n")
    assert len(names) == len(set(names)), "duplicate zip entries"
    for dist_info in ("boto3-1.0.dist-info/", "six-1.0.dist-info/"):
        assert not [n for n in names if n.startswith(dist_info)], dist_info
    assert "aws_encryption_sdk/__init__.py" in names
    assert "cryptography/__init__.py" in names
    assert "chalice_cognito/app.py" in names
    for provided in ("boto3/", "botocore/", "s3transfer/", "jmespath/", "dateutil/", "six.py"):
        assert not [n for n in names if n.startswith(provided)], provided
    assert not [n for n in names if n.startswith("urllib3/")]

    pinned = build("aws-encryption-sdk>=4,<5\nboto3==1.35.0\n")
    assert "boto3/__init__.py" in pinned and "botocore/__init__.py" in pinned
