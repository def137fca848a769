"""examples/aws-lambda-s3-tables, checked offline: shellcheck on lifecycle.sh, cfn-lint on
template.yaml, every --help, and the --dry-run plan of every subcommand against the template.

lifecycle.sh runs with a fake `aws` first on PATH (written below). Under --dry-run the script
runs read-only calls (sts get-caller-identity, get-*, describe-*, list-*, head-bucket) and only
prints the others as `+ aws ...` lines; the fake answers the read-only ones, refuses anything
else (so a mutating call that ran would fail the test), and logs what it was asked. The printed
calls are then checked: parameter overrides against the template's Parameters, the values taken
from the stack against its Outputs, and every `aws <service> <command> --flag` against the AWS
CLI: the help text of Debian's AWS CLI v2 (/usr/bin/aws, installed by scripts/ensure-deps.sh
test) when it knows the command, else the botocore service model (commands of services newer
than that CLI, e.g. s3tables, glue create-catalog)."""

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest
import yaml

from conftest import ROOT, run_bin

EXAMPLE = os.path.join(ROOT, "examples", "aws-lambda-s3-tables")
SCRIPT = os.path.join(EXAMPLE, "lifecycle.sh")
TEMPLATE = os.path.join(EXAMPLE, "template.yaml")
SUBCOMMANDS = ["setup", "deploy", "test", "logs", "status", "delete"]
ACCOUNT = "123456789012"
REGION = "eu-west-1"
STACK = "otlp-test"
DEBIAN_AWS = "/usr/bin/aws"
# global options of the AWS CLI, not in each command's help
GLOBAL_FLAGS = {"--region", "--output", "--query", "--cli-read-timeout", "--profile", "--debug"}
# flags each subcommand's --help must mention
SUB_FLAGS = {
    "setup": ["--database", "--table-bucket", "--region", "--stack-name", "--dry-run", "--verbose"],
    "deploy": ["--arch", "--version", "--local-binary", "--database", "--memory-size", "--timeout",
               "--function-url", "--iceberg", "--region", "--stack-name", "--dry-run"],
    "test": ["--region", "--stack-name", "--dry-run", "--verbose"],
    "logs": ["--since", "--follow", "--region", "--stack-name"],
    "status": ["--region", "--stack-name", "--dry-run"],
    "delete": ["--force", "--retain-bucket", "--region", "--stack-name", "--dry-run"],
}
ALL_FLAGS = ["--region", "--stack-name", "--database", "--arch", "--version", "--local-binary", "--verbose",
             "--since", "--follow", "--force", "--retain-bucket", "--dry-run", "--help"]


class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template():
    with open(TEMPLATE) as f:
        return yaml.load(f, Loader=CfnLoader)


FAKE_AWS = r'''#!/usr/bin/env python3
import json, os, shutil, sys
state = json.load(open(os.environ["FAKE_AWS_STATE"]))
argv = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as f:
    f.write(json.dumps(argv) + "\n")
args, i = [], 0
while i < len(argv):  # global options are not part of the call
    if argv[i] in ("--region", "--output") and i + 1 < len(argv):
        i += 2
        continue
    args.append(argv[i]); i += 1
call = " ".join(args[:2])
def opt(name):
    return args[args.index(name) + 1] if name in args else None
def out(obj):
    print(json.dumps(obj)); sys.exit(0)
def missing(what):
    sys.stderr.write(f"An error occurred (NotFound): {what} not found\n"); sys.exit(254)
iam_defaults = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]
defaults = iam_defaults if state["mode"] == "iam" else []
if call == "sts get-caller-identity":
    out({"Account": "%(account)s", "UserId": "AROAEXAMPLE:me", "Arn": "arn:aws:sts::%(account)s:assumed-role/Admin/me"})
if call == "configure get":
    sys.exit(1)
if call == "cloudformation describe-stacks":
    if not state["stack"]:
        missing("Stack with id " + opt("--stack-name"))
    out({"Stacks": [{"StackName": opt("--stack-name"), "StackStatus": "CREATE_COMPLETE",
                     "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in state["outputs"].items()]}]})
if call == "glue get-catalog":
    if not state["catalog"]:
        missing("catalog")
    out({"Catalog": {"Name": "s3tablescatalog", "CreateDatabaseDefaultPermissions": defaults,
                     "CreateTableDefaultPermissions": defaults}})
if call == "lakeformation get-data-lake-settings":
    out({"DataLakeSettings": {"DataLakeAdmins": state.get("admins", []), "CreateDatabaseDefaultPermissions": defaults,
                              "CreateTableDefaultPermissions": defaults}})
if call in ("lakeformation describe-resource", "iam get-role", "s3tables get-namespace", "s3api head-bucket"):
    missing(call)
if call == "s3tables list-tables":
    out({"tables": [{"name": t, "namespace": ["otel"]} for t in ("logs", "traces", "metrics_sum")]})
if call == "s3tables list-namespaces":
    out({"namespaces": [{"namespace": ["otel"]}]})
if call == "lambda invoke" and state.get("invoke"):
    payload = opt("--payload")
    assert payload.startswith("fileb://"), payload
    n = len(os.listdir(state["invoke"]))
    shutil.copy(payload[len("fileb://"):], os.path.join(state["invoke"], f"{n}.json"))
    status = state.get("status", 200)
    with open(args[-1], "w") as f:
        json.dump({"statusCode": status, "headers": {"content-type": "application/json"}, "body": "{}"}, f)
    out({"StatusCode": 200, "ExecutedVersion": "$LATEST"})
sys.stderr.write("fake aws: unexpected call: " + " ".join(argv) + "\n")
sys.exit(99)
''' % {"account": ACCOUNT}


def outputs_for(template):
    """Stack outputs as CloudFormation would report them: every Outputs key of the template."""
    values = {
        "FunctionName": STACK,
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}",
        "FunctionUrl": "https://abc.lambda-url.eu-west-1.on.aws/",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{STACK}-FunctionRole-ABC",
        "RoleName": f"{STACK}-FunctionRole-ABC",
        "LogGroupName": f"/aws/lambda/{STACK}",
        "TableBucketArn": f"arn:aws:s3tables:{REGION}:{ACCOUNT}:bucket/{STACK}",
        "TableBucketName": STACK,
        "Namespace": "otel",
        "DataBucketName": f"{STACK}-databucket-abc",
        "IcebergWarehouse": f"{ACCOUNT}:s3tablescatalog/{STACK}",
        "IcebergRestUri": f"https://glue.{REGION}.amazonaws.com/iceberg",
        "IcebergEnabled": "true",
    }
    return {k: values.get(k, f"value-of-{k}") for k in template["Outputs"]}


FAKE_BIN = []  # the fake aws of the module's lifecycle fixture


class Run:
    def __init__(self, proc, calls, executed):
        self.returncode, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
        self.calls = calls        # printed `+ aws ...` lines, split into arguments (without "aws")
        self.executed = executed  # what the fake aws was asked

    def find(self, service, command):
        return [c for c in self.calls if c[:2] == [service, command]]


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory, template):
    tmp_path = tmp_path_factory.mktemp("lifecycle")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "aws"
    fake.write_text("#!" + sys.executable + "\n" + FAKE_AWS.split("\n", 1)[1])
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "aws.log"
    FAKE_BIN[:] = [str(fake)]

    def run(*args, mode="lakeformation", stack=True, catalog=True, outputs=None, stdin=None, **state):
        st = {"mode": mode, "stack": stack, "catalog": catalog, "outputs": outputs or outputs_for(template), **state}
        (tmp_path / "state.json").write_text(json.dumps(st))
        log.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(PATH=f"{bindir}:{env['PATH']}", FAKE_AWS_STATE=str(tmp_path / "state.json"), FAKE_AWS_LOG=str(log))
        proc = subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True, timeout=60,
                              stdin=stdin if stdin is not None else subprocess.DEVNULL)
        calls = [shlex.split(line)[2:] for line in proc.stdout.splitlines() if line.startswith("+ aws ")]
        executed = [json.loads(line) for line in log.read_text().splitlines()]
        return Run(proc, calls, executed)

    return run


@pytest.fixture(scope="module")
def fake_zip(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("zips")

    """A zip shaped like `make lambda-zip`: an ELF bootstrap of the given machine and lib/."""
    def make(arch="arm64"):
        machine = {"arm64": b"\xb7\x00", "x86_64": b"\x3e\x00"}[arch]
        elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00" + machine + b"\x01\x00\x00\x00" + b"\x00" * 40
        path = tmp_path / f"otlp2parquet-lambda-linux-{arch}.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("bootstrap", elf)
            z.writestr("lib/ld-linux.so", b"")
        return str(path)
    return make


def is_read_only(argv):
    args = [a for a in argv if not a.startswith("--")]
    if args[:2] in (["sts", "get-caller-identity"], ["configure", "get"]):
        return True
    return len(args) >= 2 and re.match(r"^(get|describe|list|head)-", args[1]) is not None


def plans(lifecycle, fake_zip):
    """Every subcommand under --dry-run, in the situations that change its plan."""
    z = fake_zip("arm64")
    base = ["--region", REGION, "--stack-name", STACK, "--dry-run"]
    return {
        "setup-lf-new": lifecycle("setup", *base, stack=False, catalog=False),
        "setup-lf": lifecycle("setup", *base),
        "setup-iam-new": lifecycle("setup", *base, mode="iam", stack=False, catalog=False),
        "setup-iam": lifecycle("setup", *base, mode="iam"),
        "deploy": lifecycle("deploy", *base, "--local-binary", z, "--function-url"),
        "deploy-download": lifecycle("deploy", *base, "--arch", "x86_64", "--version", "v0.1.0", "--iceberg", "false"),
        "test": lifecycle("test", *base),
        "logs": lifecycle("logs", *base, "--since", "1h", "--follow"),
        "status": lifecycle("status", *base),
        "delete": lifecycle("delete", *base),
        "delete-retain": lifecycle("delete", *base, "--retain-bucket", "--force"),
        "delete-iam": lifecycle("delete", *base, mode="iam"),
    }


@pytest.fixture(scope="module")
def all_plans(lifecycle, fake_zip):
    return plans(lifecycle, fake_zip)


def test_shellcheck():
    sc = shutil.which("shellcheck")
    assert sc, "shellcheck is missing (scripts/ensure-deps.sh test installs it)"
    p = subprocess.run([sc, "--severity=style", SCRIPT], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_cfn_lint():
    cfn = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    if not os.path.exists(cfn):
        cfn = shutil.which("cfn-lint")
    assert cfn, "cfn-lint is missing (tests/requirements.txt)"
    p = subprocess.run([cfn, TEMPLATE], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_template_shape(template):
    res = template["Resources"]
    types = {r["Type"] for r in res.values()}
    for t in ("AWS::S3Tables::TableBucket", "AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup",
              "AWS::Lambda::Url"):
        assert t in types
    fn = res["Function"]["Properties"]
    assert fn["Runtime"] == "provided.al2023" and fn["Handler"] == "bootstrap"
    assert fn["Architectures"] == [{"Ref": "LambdaArchitecture"}]
    assert template["Parameters"]["LambdaArchitecture"]["Default"] == "arm64"
    env = fn["Environment"]["Variables"]
    assert env["OTLP2PARQUET_ICEBERG_REST_URI"] == {"Sub": "https://glue.${AWS::Region}.${AWS::URLSuffix}/iceberg"}
    assert env["OTLP2PARQUET_ICEBERG_WAREHOUSE"] == {"Sub": "${AWS::AccountId}:s3tablescatalog/${TableBucketName}"}
    # every variable the function gets is one otlp2parquet knows (src/config.c)
    with open(os.path.join(ROOT, "src", "config.c")) as f:
        known = set(re.findall(r'^\s*\{"([A-Z0-9_]+)", K_', f.read(), re.M))
    for k in env:
        assert k.startswith("OTLP2PARQUET_") and k[len("OTLP2PARQUET_"):] in known, k
    assert res["FunctionUrl"]["Properties"]["AuthType"] == "AWS_IAM" and res["FunctionUrl"]["Condition"]
    assert template["Outputs"]["FunctionUrl"]["Condition"] == res["FunctionUrl"]["Condition"]
    assert res["LogGroup"]["Properties"]["LogGroupName"] == {"Sub": "/aws/lambda/${AWS::StackName}"}
    assert fn["FunctionName"] == {"Ref": "AWS::StackName"}


def test_help(lifecycle):
    r = lifecycle("--help")
    assert r.returncode == 0, r.stderr
    for sub in SUBCOMMANDS:
        assert sub in r.stdout
    for flag in ALL_FLAGS:
        assert flag in r.stdout, flag
    assert not r.executed
    for sub in SUBCOMMANDS:
        for args in ([sub, "--help"], ["--help", sub], [sub, "-h"]):
            r = lifecycle(*args)
            assert r.returncode == 0, (args, r.stderr)
            assert r.stdout.startswith(f"Usage: lifecycle.sh {sub}"), args
            for flag in SUB_FLAGS[sub]:
                assert flag in r.stdout, (sub, flag)
            assert not r.executed, "--help made AWS calls"
    assert lifecycle().returncode == 2
    assert lifecycle("frobnicate").returncode != 0
    assert lifecycle("deploy", "--no-such-flag").returncode != 0


def test_dry_run_runs_only_read_only_calls(all_plans):
    for name, r in all_plans.items():
        assert r.returncode == 0, (name, r.stderr)
        assert r.calls, name
        for argv in r.executed:
            assert is_read_only(argv), (name, argv)
        # every call that ran was printed too
        printed = {tuple(c) for c in r.calls}
        for argv in r.executed:
            if argv[:2] != ["configure", "get"]:
                assert tuple(argv) in printed, (name, argv)
        for c in r.calls:
            assert "--region" in c and c[c.index("--region") + 1] == REGION, (name, c)
        assert "\nNext: " in r.stderr or name == "logs", (name, r.stderr)  # logs --follow: no next step


def flag_values(call, flag):
    i = call.index(flag) + 1
    out = []
    while i < len(call) and not call[i].startswith("--"):
        out.append(call[i])
        i += 1
    return out


def parameter_overrides(call):
    return dict(kv.split("=", 1) for kv in flag_values(call, "--parameter-overrides"))


def test_deploy_plan_matches_template(all_plans, template):
    params = template["Parameters"]
    for name in ("deploy", "deploy-download"):
        r = all_plans[name]
        [dep] = r.find("cloudformation", "deploy")
        assert dep[dep.index("--template-file") + 1] == TEMPLATE
        assert dep[dep.index("--stack-name") + 1] == STACK
        assert "CAPABILITY_IAM" in dep
        ov = parameter_overrides(dep)
        assert set(ov) <= set(params), set(ov) - set(params)
        required = {k for k, p in params.items() if "Default" not in p}
        assert required <= set(ov), required - set(ov)
        for k, v in ov.items():
            if "AllowedValues" in params[k]:
                assert v in [str(a) for a in params[k]["AllowedValues"]], (k, v)
            if "AllowedPattern" in params[k]:
                assert re.fullmatch(params[k]["AllowedPattern"], v), (k, v)
        [cp] = r.find("s3", "cp")
        assert cp[3] == f"s3://{ov['CodeS3Bucket']}/{ov['CodeS3Key']}"
        # after the stack: the namespace in the table bucket of the stack's outputs
        [ns] = r.find("s3tables", "create-namespace")
        assert ns[ns.index("--table-bucket-arn") + 1] == outputs_for(template)["TableBucketArn"]
    ov = parameter_overrides(all_plans["deploy"].find("cloudformation", "deploy")[0])
    assert ov["LambdaArchitecture"] == "arm64" and ov["EnableFunctionUrl"] == "true" and ov["IcebergEnabled"] == "true"
    assert "otlp2parquet-lambda-linux-arm64" in ov["CodeS3Key"]
    assert all_plans["deploy"].find("lakeformation", "grant-permissions")
    ov = parameter_overrides(all_plans["deploy-download"].find("cloudformation", "deploy")[0])
    assert ov["LambdaArchitecture"] == "x86_64" and ov["IcebergEnabled"] == "false"
    assert "+ curl " in all_plans["deploy-download"].stdout and "/v0.1.0/otlp2parquet-lambda-linux-x86_64.zip" in all_plans["deploy-download"].stdout


def test_deploy_checks_the_zip(lifecycle, fake_zip):
    base = ["--region", REGION, "--stack-name", STACK, "--dry-run"]
    r = lifecycle("deploy", *base, "--local-binary", fake_zip("x86_64"))  # --arch defaults to arm64
    assert r.returncode != 0 and "x86_64" in r.stderr
    r = lifecycle("deploy", *base, "--local-binary", "/nonexistent.zip")
    assert r.returncode != 0 and "make lambda-zip" in r.stderr


def test_setup_plans(all_plans, template):
    outs = outputs_for(template)
    cat_id = f"{ACCOUNT}:s3tablescatalog/{outs['TableBucketName']}"
    # Lake Formation mode, fresh account: role, registration, catalog, admin settings; no stack yet
    r = all_plans["setup-lf-new"]
    assert r.find("iam", "create-role") and r.find("iam", "attach-role-policy")
    [reg] = r.find("lakeformation", "register-resource")
    assert reg[reg.index("--resource-arn") + 1] == f"arn:aws:s3tables:{REGION}:{ACCOUNT}:bucket/*" and "--with-federation" in reg
    [cc] = r.find("glue", "create-catalog")
    ci = json.loads(cc[cc.index("--catalog-input") + 1])
    assert ci["FederatedCatalog"] == {"Identifier": f"arn:aws:s3tables:{REGION}:{ACCOUNT}:bucket/*", "ConnectionName": "aws:s3tables"}
    assert ci["CreateTableDefaultPermissions"] == [] and ci["AllowFullTableExternalDataAccess"] == "True"
    [put] = r.find("lakeformation", "put-data-lake-settings")
    s = json.loads(put[put.index("--data-lake-settings") + 1])
    assert {"DataLakePrincipalIdentifier": f"arn:aws:iam::{ACCOUNT}:role/Admin"} in s["DataLakeAdmins"]
    assert s["AllowFullTableExternalDataAccess"] is True
    assert not r.find("lakeformation", "grant-permissions") and not r.find("s3tables", "create-namespace")
    assert "deploy" in r.stderr
    # Lake Formation mode with the stack: namespace and grants to the function role
    r = all_plans["setup-lf"]
    assert not r.find("glue", "create-catalog")
    [ns] = r.find("s3tables", "create-namespace")
    assert ns[ns.index("--namespace") + 1] == outs["Namespace"]
    grants = r.find("lakeformation", "grant-permissions")
    assert len(grants) == 2
    resources = {}
    for g in grants:
        assert g[g.index("--principal") + 1] == f"DataLakePrincipalIdentifier={outs['RoleArn']}"
        res = json.loads(g[g.index("--resource") + 1])
        perms = flag_values(g, "--permissions")
        resources[next(iter(res))] = (res, perms)
    assert resources["Database"][0] == {"Database": {"CatalogId": cat_id, "Name": "otel"}}
    assert set(resources["Database"][1]) == {"DESCRIBE", "CREATE_TABLE"}
    assert resources["Table"][0] == {"Table": {"CatalogId": cat_id, "DatabaseName": "otel", "TableWildcard": {}}}
    assert set(resources["Table"][1]) == {"SELECT", "INSERT", "ALTER", "DESCRIBE"}
    # IAM mode: detected, said, Lake Formation skipped
    for name in ("setup-iam-new", "setup-iam"):
        r = all_plans[name]
        assert "IAM mode" in r.stderr
        assert not r.find("lakeformation", "grant-permissions") and not r.find("lakeformation", "put-data-lake-settings")
        assert not r.find("lakeformation", "register-resource") and not r.find("iam", "create-role")
    [cc] = all_plans["setup-iam-new"].find("glue", "create-catalog")
    ci = json.loads(cc[cc.index("--catalog-input") + 1])
    assert ci["CreateTableDefaultPermissions"][0]["Principal"]["DataLakePrincipalIdentifier"] == "IAM_ALLOWED_PRINCIPALS"
    assert all_plans["setup-iam"].find("s3tables", "create-namespace")


def test_test_logs_status_plans(all_plans, template):
    outs = outputs_for(template)
    inv = all_plans["test"].find("lambda", "invoke")
    assert len(inv) == 3
    for c in inv:
        assert c[c.index("--function-name") + 1] == outs["FunctionName"]
    [tail] = all_plans["logs"].find("logs", "tail")
    assert tail[2] == outs["LogGroupName"] and tail[tail.index("--since") + 1] == "1h" and "--follow" in tail
    [lt] = all_plans["status"].find("s3tables", "list-tables")
    assert lt[lt.index("--table-bucket-arn") + 1] == outs["TableBucketArn"]
    assert "CREATE_COMPLETE" in all_plans["status"].stdout


def test_delete_plans(all_plans, template):
    outs = outputs_for(template)
    r = all_plans["delete"]
    order = [" ".join(c[:2]) for c in r.calls]
    assert order.index("cloudformation delete-stack") < order.index("s3tables delete-table-bucket")
    assert [c[c.index("--name") + 1] for c in r.find("s3tables", "delete-table")] == ["logs", "traces", "metrics_sum"]
    assert order.index("s3tables delete-namespace") < order.index("s3tables delete-table-bucket")
    [tb] = r.find("s3tables", "delete-table-bucket")
    assert tb[tb.index("--table-bucket-arn") + 1] == outs["TableBucketArn"]
    assert any(c[2] == f"s3://{outs['DataBucketName']}" for c in r.find("s3", "rm"))
    assert len(r.find("lakeformation", "revoke-permissions")) == 2
    r = all_plans["delete-retain"]
    assert r.find("cloudformation", "delete-stack")
    assert not r.find("s3tables", "delete-table-bucket") and not r.find("s3tables", "delete-table") and not r.find("s3", "rm")
    assert not all_plans["delete-iam"].find("lakeformation", "revoke-permissions")


def test_delete_asks_first(lifecycle):
    r = lifecycle("delete", "--region", REGION, "--stack-name", STACK)  # stdin is not a terminal
    assert r.returncode != 0 and "--force" in r.stderr
    assert all(is_read_only(a) for a in r.executed)


def test_outputs_read_exist_in_template(template):
    """Every `output NAME` lifecycle.sh reads is an output of the template."""
    with open(SCRIPT) as f:
        names = set(re.findall(r"\boutput ([A-Z][A-Za-z]+)\)", f.read()))
    assert names, "no outputs read?"
    assert names <= set(template["Outputs"]), names - set(template["Outputs"])
    for name, o in template["Outputs"].items():
        refs = json.dumps(o["Value"])
        for ref in re.findall(r'"(?:Ref|GetAtt)": "([A-Za-z]+)', refs):
            assert ref in template["Resources"] or ref in template["Parameters"], (name, ref)


def test_invoke_events_and_summary(lifecycle, tmp_path):
    """`test` (not a dry run) sends one API Gateway v2 event per fixture and reports each status."""
    inv = tmp_path / "invocations"
    inv.mkdir()
    r = lifecycle("test", "--region", REGION, "--stack-name", STACK, invoke=str(inv))
    assert r.returncode == 0, r.stderr
    events = [json.load(open(inv / f"{i}.json")) for i in range(3)]
    for sig, ev in zip(["logs", "traces", "metrics"], events):
        assert ev["version"] == "2.0" and ev["rawPath"] == f"/v1/{sig}"
        assert ev["requestContext"]["http"]["method"] == "POST"
        assert ev["headers"]["content-type"] == "application/json" and ev["isBase64Encoded"] is False
        with open(os.path.join(EXAMPLE, "fixtures", f"{sig}.json")) as f:
            assert json.loads(ev["body"]) == json.load(f)
        assert re.search(rf"^\s+{sig}\s+ok\s+HTTP 200", r.stderr, re.M), r.stderr
    inv2 = tmp_path / "inv2"
    inv2.mkdir()
    r = lifecycle("test", "--region", REGION, "--stack-name", STACK, invoke=str(inv2), status=400)
    assert r.returncode == 1 and "FAIL  HTTP 400" in r.stderr


def test_fixtures_are_otlp_json():
    keys = {"logs": "resourceLogs", "traces": "resourceSpans", "metrics": "resourceMetrics"}
    for sig, key in keys.items():
        with open(os.path.join(EXAMPLE, "fixtures", f"{sig}.json")) as f:
            doc = json.load(f)
        assert doc[key], sig


# ---- the AWS CLI knows every command and flag ----

_help_cache = {}


def cli_help_flags(service, command):
    """Flags of `aws service command` per Debian's AWS CLI v2 help, or None when it lacks it."""
    key = (service, command)
    if key not in _help_cache:
        p = subprocess.run([DEBIAN_AWS, service, *command.split(), "help"], capture_output=True, text=True,
                           env={**os.environ, "PAGER": "cat", "AWS_PAGER": "", "MANPAGER": "cat"}, timeout=60)
        text = re.sub(r".\x08", "", p.stdout)
        _help_cache[key] = set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", text)) if p.returncode == 0 and "SYNOPSIS" in text else None
    return _help_cache[key]


def botocore_flags(service, command):
    import botocore.session
    from botocore import xform_name
    from botocore.exceptions import UnknownServiceError
    try:  # the CLI's s3api is botocore's s3; its s3 is a customization
        model = botocore.session.get_session().get_service_model({"s3api": "s3", "s3": "-"}.get(service, service))
    except UnknownServiceError:
        return None
    ops = {xform_name(op, "-"): op for op in model.operation_names}
    if command not in ops:
        return None
    shape = model.operation_model(ops[command]).input_shape
    flags = set()
    for name, member in (shape.members.items() if shape else []):
        flags.add("--" + xform_name(name, "-"))
        if member.type_name == "boolean":
            flags.add("--no-" + xform_name(name, "-"))
    return flags | {"--cli-input-json"}


def test_aws_cli_knows_every_call(all_plans):
    assert os.path.exists(DEBIAN_AWS), "Debian's awscli is missing (scripts/ensure-deps.sh test installs it)"
    calls = {}
    for r in all_plans.values():
        for c in r.calls:
            flags = {a for a in c if a.startswith("--")}
            command = " ".join(c[1:3]) if c[1] == "wait" else c[1]  # aws cloudformation wait <waiter>
            calls.setdefault((c[0], command), set()).update(flags)
    assert len(calls) > 20
    for (service, command), flags in sorted(calls.items()):
        # a command of the CLI (customizations such as s3 cp, cloudformation deploy, logs tail
        # only there) or of the service model; flags newer than Debian's CLI come from the model
        v2, model = cli_help_flags(service, command), botocore_flags(service, command)
        assert v2 is not None or model is not None, f"aws {service} {command}: no such command"
        known = (v2 or set()) | (model or set())
        unknown = flags - known - GLOBAL_FLAGS
        assert not unknown, f"aws {service} {command}: unknown flags {unknown}"


def test_doc_links_resolve():
    """Relative links of the example README, docs/deploying-lambda.md and the README's Lambda
    section point at files (and headings) that exist."""
    def anchors(path):
        with open(path) as f:
            heads = re.findall(r"^#+ (.+)$", f.read(), re.M)
        return {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in heads}
    docs = [os.path.join(EXAMPLE, "README.md"), os.path.join(ROOT, "docs", "deploying-lambda.md"), os.path.join(ROOT, "README.md")]
    seen = 0
    for doc in docs:
        with open(doc) as f:
            text = f.read()
        for target in re.findall(r"\]\(([^)#:]+)(?:#([^)]+))?\)", text):
            path, anchor = target
            full = os.path.normpath(os.path.join(os.path.dirname(doc), path))
            assert os.path.exists(full), (doc, path)
            if anchor:
                assert anchor in anchors(full), (doc, path, anchor)
            seen += 1
    assert seen > 10
    with open(os.path.join(ROOT, "README.md")) as f:
        assert "docs/deploying-lambda.md" in f.read()


def test_prerequisites_are_checked(lifecycle, tmp_path, fake_zip):
    """A subcommand names the tool it needs (aws, jq, unzip) when it is missing from PATH."""
    def restricted(*tools):
        d = tmp_path / f"bin{len(os.listdir(tmp_path))}"
        d.mkdir()
        for t in ("bash", "dirname", "cat", "mktemp", "rm", "tr", "head", "od", "sha256sum", "cut", "env") + tools:
            w = shutil.which(t)
            if w:
                os.symlink(w, d / t)
        return str(d)
    base = ["--region", REGION, "--stack-name", STACK, "--dry-run"]
    no_jq = restricted("unzip")
    r = subprocess.run([shutil.which("bash"), SCRIPT, "status", *base], env={"PATH": no_jq}, capture_output=True, text=True)
    assert r.returncode != 0 and "'aws' is needed" in r.stderr, r.stderr
    # with the fake aws but no jq, then no unzip
    assert lifecycle("--help").returncode == 0
    fake_bin = os.path.dirname(FAKE_BIN[0])
    for missing, have, sub in (("jq", ("unzip",), "setup"), ("unzip", ("jq",), "deploy")):
        d = restricted(*have)
        os.symlink(os.path.join(fake_bin, "aws"), os.path.join(d, "aws"))
        args = [sub, *base] + (["--local-binary", fake_zip("arm64")] if sub == "deploy" else [])
        r = subprocess.run([shutil.which("bash"), SCRIPT, *args], env={"PATH": d}, capture_output=True, text=True)
        assert r.returncode != 0 and f"'{missing}' is needed" in r.stderr, (sub, r.stderr)


def test_fixtures_convert(tmp_path):
    """The bundled fixtures are OTLP/JSON the program accepts: every record becomes a row."""
    import pyarrow.parquet as pq
    want = {"logs": {"logs": 2}, "traces": {"traces": 1}, "metrics": {"metrics_sum": 1, "metrics_gauge": 1}}
    for sig, tables in want.items():
        out = tmp_path / sig
        r = run_bin(["convert", "--signal", sig, "-o", str(out), os.path.join(EXAMPLE, "fixtures", f"{sig}.json")])
        assert r.returncode == 0, r.stderr
        for table, rows in tables.items():
            files = [os.path.join(d, f) for d, _, fs in os.walk(out / table) for f in fs if f.endswith(".parquet")]
            assert files, (sig, table, os.listdir(out))
            assert sum(pq.read_metadata(f).num_rows for f in files) == rows, (sig, table)
