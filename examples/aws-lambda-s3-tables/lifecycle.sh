#!/usr/bin/env bash
# Sets up, deploys, exercises and removes otlp2parquet on AWS Lambda with an S3 table bucket
# behind the AWS Glue Iceberg REST endpoint. `lifecycle.sh --help` lists the subcommands and
# flags; README.md next to this file explains the deployment.
#
# --dry-run prints every AWS CLI call as one line `+ aws ...` (arguments shell-quoted) on
# standard output. Read-only calls (sts get-caller-identity, get-*, describe-*, list-*,
# head-bucket) still run, so the plan reflects the account; every call that changes something
# (and `lambda invoke`, `logs tail`, downloads) is only printed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
template="$here/template.yaml"
fixtures="$here/fixtures"
root=$(cd "$here/../.." && pwd)
export AWS_PAGER=""
exec 3>&1 # the plan of --dry-run goes here, also from inside $(...)

# ---- settings (flags override) ----
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
stack_name=otlp2parquet
database=otel
arch=arm64
version=$(cat "$root/VERSION" 2>/dev/null || echo 0.1.0)
local_binary=""
verbose=0
since=10m
follow=0
force=0
retain_bucket=0
dry_run=0
table_bucket=""
memory_size=512
timeout=30
function_url=false
iceberg_enabled=true
log_level=info
log_retention_days=14
release_base=${OTLP2PARQUET_RELEASE_URL:-https://github.com/otlp2parquet/otlp2parquet/releases/download}
lf_role_name=otlp2parquet-lakeformation-s3tables

cmd=""
want_help=0
tmpdir=""
cleanup() { if [ -n "$tmpdir" ]; then rm -rf "$tmpdir"; fi; }
trap cleanup EXIT

# ---- output ----
say() { printf '%s\n' "$*" >&2; }
note() { printf 'lifecycle: %s\n' "$*" >&2; }
die() { printf 'lifecycle: error: %s\n' "$*" >&2; exit 1; }
next_step() { printf '\nNext: %s\n' "$*" >&2; }

# One argument as a shell word: bare when it is safe, else in single quotes.
shell_word() {
  if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

show_call() { # $1 = marker, rest = the aws arguments
  local marker=$1
  shift
  local line="+ aws" a
  for a in "$@"; do line+=" $(shell_word "$a")"; done
  if [ "$dry_run" = 1 ]; then
    printf '%s\n' "$line" >&3
  elif [ "$verbose" = 1 ]; then
    printf '%s%s\n' "$line" "$marker" >&2
  fi
}

# A read-only call: runs under --dry-run too. Its standard output is the caller's.
aws_query() {
  show_call "" "$@" --region "$region" --output json
  aws "$@" --region "$region" --output json
}

# A call that changes something (or runs long): only printed under --dry-run.
aws_do() {
  show_call "" "$@" --region "$region"
  [ "$dry_run" = 1 ] && return 0
  aws "$@" --region "$region"
}

need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is needed for '$cmd' and was not found on PATH (see README.md, Prerequisites)"
  done
}

# ---- help ----
usage() {
  cat <<EOF
Usage: lifecycle.sh <subcommand> [flags]

Deploys otlp2parquet as an AWS Lambda function writing Apache Iceberg tables to an S3 table
bucket through the AWS Glue Iceberg REST endpoint (template.yaml).

Subcommands (in the order of a first deployment):
  setup     enable the S3 Tables integration with the Glue Data Catalog, Lake Formation settings;
            once the stack exists also the namespace and the grants of the function role
  deploy    upload the function zip and create or update the CloudFormation stack
  test      invoke the function with the bundled OTLP fixtures (logs, traces, metrics)
  logs      show the function's CloudWatch logs
  status    stack status, outputs and the tables in the namespace
  delete    delete the stack, then the table bucket and data bucket (unless --retain-bucket)

Flags (each subcommand's --help lists the ones it uses):
  --region REGION        AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, aws configure)
  --stack-name NAME      CloudFormation stack, also the function name (default otlp2parquet)
  --database NAME        S3 Tables namespace / Glue database of the tables (default otel)
  --table-bucket NAME    S3 table bucket name (default: the stack name)
  --arch ARCH            arm64 or x86_64 (default arm64)
  --version VERSION      release whose zip deploy downloads (default $version)
  --local-binary ZIP     deploy this zip (make lambda-zip) instead of downloading a release
  --memory-size MB       function memory (default 512)
  --timeout SECONDS      function timeout (default 30)
  --function-url         also create a Function URL (AuthType AWS_IAM)
  --iceberg true|false   false writes plain Parquet to the data bucket, no catalog (default true)
  --log-level LEVEL      debug, info, warn or error (default info)
  --log-retention-days N CloudWatch log retention (default 14)
  --since DURATION       logs: how far back (default 10m)
  --follow               logs: keep following new events
  --force                delete: do not ask for confirmation
  --retain-bucket        delete: keep the table bucket, the data bucket and the artifacts
  --dry-run              print the AWS CLI calls (+ aws ...) instead of making changes
  --verbose              print each AWS CLI call on standard error as it runs
  -h, --help             this help; 'lifecycle.sh <subcommand> --help' for one subcommand

Quick start:
  ./lifecycle.sh setup --region eu-west-1
  ./lifecycle.sh deploy --region eu-west-1 --local-binary ../../dist/otlp2parquet-lambda-linux-arm64.zip
  ./lifecycle.sh test --region eu-west-1
  ./lifecycle.sh logs --region eu-west-1 --since 15m
EOF
}

common_flags="  --region REGION, --stack-name NAME, --dry-run, --verbose, -h/--help"

usage_cmd() {
  case "$1" in
    setup) cat <<EOF
Usage: lifecycle.sh setup [flags]

Prepares the account and region (safe to run again):
  1. enables the integration of S3 Tables with the Glue Data Catalog (the federated catalog
     s3tablescatalog) unless it exists; in Lake Formation mode it first registers
     arn:aws:s3tables:<region>:<account>:bucket/* with Lake Formation through the role
     $lf_role_name (created when missing);
  2. Lake Formation mode: adds the caller as a data lake administrator when it is not one and
     allows full-table access by external engines (the Iceberg REST endpoint with vended
     credentials). IAM mode (IAM_ALLOWED_PRINCIPALS defaults) is detected and reported, and the
     Lake Formation steps are skipped;
  3. when the stack exists: creates the namespace (--database) in the table bucket and, in Lake
     Formation mode, grants the function role DESCRIBE and CREATE_TABLE on the database and
     SELECT, INSERT, ALTER and DESCRIBE on all its tables. (deploy does this step too.)

Flags:
  --database NAME, --table-bucket NAME
$common_flags
Needs: aws, jq
EOF
      ;;
    deploy) cat <<EOF
Usage: lifecycle.sh deploy [flags]

Checks the zip (bootstrap of the right architecture), uploads it to the artifacts bucket
otlp2parquet-artifacts-<account>-<region> (created when missing), runs
'aws cloudformation deploy' with template.yaml, then creates the namespace and applies the
Lake Formation grants of the function role (as setup does once the stack exists).

Flags:
  --arch ARCH, --version VERSION, --local-binary ZIP, --database NAME, --table-bucket NAME,
  --memory-size MB, --timeout SECONDS, --function-url, --iceberg true|false, --log-level LEVEL,
  --log-retention-days N
$common_flags
Needs: aws, jq, unzip (and curl without --local-binary)
EOF
      ;;
    test) cat <<EOF
Usage: lifecycle.sh test [flags]

Invokes the function once per signal (logs, traces, metrics) with an API Gateway HTTP API (v2)
event carrying the OTLP/JSON fixture of fixtures/<signal>.json, and prints the status per
signal. Exit status 1 when one of them did not answer 200.

Flags:
$common_flags
Needs: aws, jq
EOF
      ;;
    logs) cat <<EOF
Usage: lifecycle.sh logs [flags]

Shows the function's log group (aws logs tail).

Flags:
  --since DURATION (default 10m, e.g. 5m, 2h, 1d), --follow
$common_flags
Needs: aws, jq
EOF
      ;;
    status) cat <<EOF
Usage: lifecycle.sh status [flags]

Prints the stack status, its outputs and the tables of the namespace.

Flags:
$common_flags
Needs: aws, jq
EOF
      ;;
    delete) cat <<EOF
Usage: lifecycle.sh delete [flags]

Revokes the Lake Formation grants of the function role (Lake Formation mode), deletes the
stack and waits for it; then, unless --retain-bucket, deletes every table and namespace of the
table bucket, the table bucket, the data bucket and this stack's artifacts (both are retained
by the stack itself). Asks for confirmation unless --force.

Flags:
  --force, --retain-bucket
$common_flags
Needs: aws, jq
EOF
      ;;
    *) usage ;;
  esac
}

# ---- flag parsing ----
bool_value() {
  case "$2" in
    true|false) printf '%s' "$2" ;;
    *) die "$1 takes true or false, not '$2'" ;;
  esac
}

parse() {
  while [ $# -gt 0 ]; do
    local a=$1 v=""
    if [[ $a == --*=* ]]; then
      v=${a#*=}
      a=${a%%=*}
      set -- "$a" "$v" "${@:2}"
    fi
    case "$a" in
      -h|--help) want_help=1 ;;
      --dry-run) dry_run=1 ;;
      --verbose) verbose=1 ;;
      --follow) follow=1 ;;
      --force) force=1 ;;
      --retain-bucket) retain_bucket=1 ;;
      --function-url) function_url=true ;;
      --region|--stack-name|--database|--table-bucket|--arch|--version|--local-binary|--since|\
      --memory-size|--timeout|--iceberg|--log-level|--log-retention-days)
        [ $# -ge 2 ] || die "$a needs a value"
        v=$2
        shift
        case "$a" in
          --region) region=$v ;;
          --stack-name) stack_name=$v ;;
          --database) database=$v ;;
          --table-bucket) table_bucket=$v ;;
          --arch) arch=$v ;;
          --version) version=${v#v} ;;
          --local-binary) local_binary=$v ;;
          --since) since=$v ;;
          --memory-size) memory_size=$v ;;
          --timeout) timeout=$v ;;
          --iceberg) iceberg_enabled=$(bool_value "$a" "$v") ;;
          --log-level) log_level=$v ;;
          --log-retention-days) log_retention_days=$v ;;
        esac
        ;;
      help) if [ -z "$cmd" ]; then want_help=1; else die "unexpected argument 'help'"; fi ;;
      -*) die "unknown flag '$a' (try --help)" ;;
      *)
        [ -z "$cmd" ] || die "unexpected argument '$a' (one subcommand at a time)"
        case "$a" in
          setup|deploy|test|logs|status|delete) cmd=$a ;;
          *) die "unknown subcommand '$a' (try --help)" ;;
        esac
        ;;
    esac
    shift
  done
}

check_settings() {
  case "$arch" in arm64|x86_64) ;; *) die "--arch is arm64 or x86_64, not '$arch'" ;; esac
  case "$log_level" in debug|info|warn|error) ;; *) die "--log-level is debug, info, warn or error" ;; esac
  [[ $database =~ ^[a-z0-9][a-z0-9_]*$ ]] || die "--database: lower-case letters, digits and _ only"
  [[ $stack_name =~ ^[A-Za-z][A-Za-z0-9-]{0,63}$ ]] || die "--stack-name: letters, digits and -, at most 64 (it names the function)"
  [ -n "$table_bucket" ] || table_bucket=$(printf '%s' "$stack_name" | tr '[:upper:]' '[:lower:]')
  [[ $table_bucket =~ ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ ]] || die "--table-bucket '$table_bucket': 3 to 63 lower-case letters, digits and -"
  if [ -z "$region" ] && command -v aws >/dev/null 2>&1; then
    region=$(aws configure get region 2>/dev/null || true)
  fi
  [ -n "$region" ] || die "no AWS region: pass --region (or set AWS_REGION)"
}

# ---- account and stack ----
account=""
caller_arn=""
whoami() {
  local id
  if ! id=$(aws_query sts get-caller-identity); then
    [ "$dry_run" = 1 ] || die "no usable AWS credentials (aws sts get-caller-identity failed)"
    account="<account-id>"; caller_arn="arn:aws:iam::<account-id>:role/<you>"
    note "dry run: no credentials, using placeholders"
    return 0
  fi
  account=$(jq -r .Account <<<"$id")
  caller_arn=$(jq -r .Arn <<<"$id")
  # an assumed-role session acts as its role (what Lake Formation admins are made of)
  if [[ $caller_arn =~ ^arn:([^:]+):sts::([0-9]+):assumed-role/([^/]+)/ ]]; then
    caller_arn="arn:${BASH_REMATCH[1]}:iam::${BASH_REMATCH[2]}:role/${BASH_REMATCH[3]}"
  fi
}

partition() {
  case "$region" in
    cn-*) printf 'aws-cn' ;;
    us-gov-*) printf 'aws-us-gov' ;;
    *) printf 'aws' ;;
  esac
}

stack_json=""
# Loads the stack (describe-stacks). Returns 1 when it does not exist.
load_stack() {
  local out
  if out=$(aws_query cloudformation describe-stacks --stack-name "$stack_name" 2>/dev/null); then
    stack_json=$(jq -c '.Stacks[0]' <<<"$out")
    return 0
  fi
  stack_json=""
  return 1
}

require_stack() {
  if ! load_stack; then
    if [ "$dry_run" = 1 ]; then
      note "dry run: stack $stack_name not found, stack outputs are shown as <OutputKey>"
      stack_json='{"placeholder":true}'
      return 0
    fi
    die "stack $stack_name not found in $region (run: ./lifecycle.sh deploy --region $region --stack-name $stack_name)"
  fi
}

# The value of a stack output (template.yaml, Outputs).
output() {
  if [ "$(jq -r '.placeholder // false' <<<"$stack_json")" = true ]; then
    printf '<%s>' "$1"
    return 0
  fi
  local v
  v=$(jq -r --arg k "$1" '[.Outputs[]? | select(.OutputKey == $k) | .OutputValue][0] // empty' <<<"$stack_json")
  [ -n "$v" ] || die "stack $stack_name has no output $1 (is it from this template.yaml?)"
  printf '%s' "$v"
}

# ---- Lake Formation mode ----
lf_mode=""   # "lakeformation" or "iam"
detect_mode() {
  local settings catalog defaults=""
  if catalog=$(aws_query glue get-catalog --catalog-id s3tablescatalog 2>/dev/null); then
    defaults=$(jq -c '[.Catalog.CreateTableDefaultPermissions[]?, .Catalog.CreateDatabaseDefaultPermissions[]?]' <<<"$catalog")
  fi
  if [ -z "$defaults" ] || [ "$defaults" = "[]" ]; then
    if settings=$(aws_query lakeformation get-data-lake-settings 2>/dev/null); then
      lf_settings=$(jq -c '.DataLakeSettings' <<<"$settings")
      [ -n "$defaults" ] || defaults=$(jq -c '[.CreateTableDefaultPermissions[]?, .CreateDatabaseDefaultPermissions[]?]' <<<"$lf_settings")
    else
      [ "$dry_run" = 1 ] || die "aws lakeformation get-data-lake-settings failed: the caller needs lakeformation:GetDataLakeSettings"
      lf_settings='{}'
      defaults='[]'
    fi
  fi
  if jq -e 'any(.[]; .Principal.DataLakePrincipalIdentifier == "IAM_ALLOWED_PRINCIPALS")' >/dev/null <<<"$defaults"; then
    lf_mode=iam
  else
    lf_mode=lakeformation
  fi
}
lf_settings=""

catalog_id() { printf '%s:s3tablescatalog/%s' "$account" "$1"; }

# ---- setup steps ----
enable_integration() {
  local p bucket_arns
  p=$(partition)
  bucket_arns="arn:$p:s3tables:$region:$account:bucket/*"
  if aws_query glue get-catalog --catalog-id s3tablescatalog >/dev/null 2>&1; then
    note "the S3 Tables integration with the Glue Data Catalog is enabled (catalog s3tablescatalog)"
    return 0
  fi
  note "enabling the S3 Tables integration with the Glue Data Catalog ($lf_mode mode)"
  if [ "$lf_mode" = iam ]; then
    aws_do glue create-catalog --name s3tablescatalog --catalog-input "$(jq -cn --arg id "$bucket_arns" '{
      FederatedCatalog: {Identifier: $id, ConnectionName: "aws:s3tables"},
      CreateDatabaseDefaultPermissions: [{Principal: {DataLakePrincipalIdentifier: "IAM_ALLOWED_PRINCIPALS"}, Permissions: ["ALL"]}],
      CreateTableDefaultPermissions: [{Principal: {DataLakePrincipalIdentifier: "IAM_ALLOWED_PRINCIPALS"}, Permissions: ["ALL"]}]}')"
    return 0
  fi
  # Lake Formation mode: Lake Formation reaches the table buckets through a registered role.
  local role_arn="arn:$p:iam::$account:role/$lf_role_name"
  if ! aws_query iam get-role --role-name "$lf_role_name" >/dev/null 2>&1; then
    aws_do iam create-role --role-name "$lf_role_name" \
      --description "Lake Formation access to the S3 table buckets of the account" \
      --assume-role-policy-document "$(jq -cn --arg a "$account" '{Version: "2012-10-17", Statement: [{
        Effect: "Allow", Principal: {Service: "lakeformation.amazonaws.com"},
        Action: ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:SetContext"],
        Condition: {StringEquals: {"aws:SourceAccount": $a}}}]}')" >/dev/null
    aws_do iam attach-role-policy --role-name "$lf_role_name" \
      --policy-arn "arn:$p:iam::aws:policy/service-role/AmazonS3TablesLakeFormationServiceRole"
  fi
  if ! aws_query lakeformation describe-resource --resource-arn "$bucket_arns" >/dev/null 2>&1; then
    aws_do lakeformation register-resource --resource-arn "$bucket_arns" --role-arn "$role_arn" --with-federation
  fi
  aws_do glue create-catalog --name s3tablescatalog --catalog-input "$(jq -cn --arg id "$bucket_arns" '{
    FederatedCatalog: {Identifier: $id, ConnectionName: "aws:s3tables"},
    CreateDatabaseDefaultPermissions: [], CreateTableDefaultPermissions: [],
    AllowFullTableExternalDataAccess: "True"}')"
}

lake_formation_settings() {
  if [ "$lf_mode" = iam ]; then
    note "IAM mode: the catalog's default permissions go to IAM_ALLOWED_PRINCIPALS, so the IAM policy of the function role is all it needs; skipping the Lake Formation settings and grants"
    return 0
  fi
  if [ -z "$lf_settings" ]; then
    lf_settings=$(aws_query lakeformation get-data-lake-settings | jq -c '.DataLakeSettings') || lf_settings='{}'
  fi
  local new
  new=$(jq -c --arg me "$caller_arn" '
    .DataLakeAdmins = ((.DataLakeAdmins // []) + (if any((.DataLakeAdmins // [])[]; .DataLakePrincipalIdentifier == $me) then [] else [{DataLakePrincipalIdentifier: $me}] end))
    | .AllowFullTableExternalDataAccess = true' <<<"$lf_settings")
  if [ "$new" = "$(jq -c . <<<"$lf_settings")" ]; then
    note "Lake Formation mode: $caller_arn is a data lake administrator and full-table access by external engines is allowed"
    return 0
  fi
  note "Lake Formation mode: making $caller_arn a data lake administrator, allowing full-table access by external engines"
  aws_do lakeformation put-data-lake-settings --data-lake-settings "$new"
}

# The namespace and the grants of the function role: they need the stack's bucket and role.
stack_resources_setup() {
  local bucket_arn role_arn cat_id iceberg
  iceberg=$(output IcebergEnabled)
  bucket_arn=$(output TableBucketArn)
  role_arn=$(output RoleArn)
  table_bucket=$(output TableBucketName)
  database=$(output Namespace)
  if ! aws_query s3tables get-namespace --table-bucket-arn "$bucket_arn" --namespace "$database" >/dev/null 2>&1; then
    note "creating namespace $database in $bucket_arn"
    aws_do s3tables create-namespace --table-bucket-arn "$bucket_arn" --namespace "$database" >/dev/null
  else
    note "namespace $database exists in $bucket_arn"
  fi
  [ "$iceberg" = true ] || { note "the stack writes plain Parquet (IcebergEnabled=false): no grants needed"; return 0; }
  [ -n "$lf_mode" ] || detect_mode
  if [ "$lf_mode" = iam ]; then
    note "IAM mode: no Lake Formation grants for $role_arn (its IAM policy authorizes it)"
    return 0
  fi
  cat_id=$(catalog_id "$table_bucket")
  note "granting $role_arn access to $cat_id/$database in Lake Formation"
  lf_grants grant-permissions "$role_arn" "$cat_id"
}

lf_grants() { # $1 grant-permissions|revoke-permissions, $2 principal, $3 catalog id
  local verb=$1 principal="DataLakePrincipalIdentifier=$2" cat_id=$3
  # (grants inside the catalog imply DESCRIBE on the catalog itself)
  aws_do lakeformation "$verb" --principal "$principal" \
    --resource "$(jq -cn --arg c "$cat_id" --arg d "$database" '{Database: {CatalogId: $c, Name: $d}}')" \
    --permissions DESCRIBE CREATE_TABLE
  aws_do lakeformation "$verb" --principal "$principal" \
    --resource "$(jq -cn --arg c "$cat_id" --arg d "$database" '{Table: {CatalogId: $c, DatabaseName: $d, TableWildcard: {}}}')" \
    --permissions SELECT INSERT ALTER DESCRIBE
}

# ---- subcommands ----
cmd_setup() {
  need aws jq
  whoami
  detect_mode
  note "account $account, region $region, access control: $lf_mode"
  enable_integration
  lake_formation_settings
  if load_stack; then
    stack_resources_setup
    next_step "./lifecycle.sh test --region $region --stack-name $stack_name"
  else
    note "stack $stack_name does not exist yet: deploy creates the table bucket, then the namespace $database and the grants of the function role"
    next_step "./lifecycle.sh deploy --region $region --stack-name $stack_name --local-binary ../../dist/otlp2parquet-lambda-linux-$arch.zip"
  fi
}

elf_arch() { # the architecture of the zip's bootstrap
  local m
  m=$(unzip -p "$1" bootstrap | head -c 20 | od -An -tx1 -j18 -N2 | tr -d ' \n')
  case "$m" in
    b700) printf arm64 ;;
    3e00) printf x86_64 ;;
    *) printf 'unknown(%s)' "$m" ;;
  esac
}

cmd_deploy() {
  need aws jq unzip
  whoami
  local zip got
  if [ -n "$local_binary" ]; then
    [ -f "$local_binary" ] || die "--local-binary $local_binary: no such file (build it with: make lambda-zip ARCH=$arch)"
    zip=$local_binary
  else
    need curl
    local url="$release_base/v$version/otlp2parquet-lambda-linux-$arch.zip"
    tmpdir=$(mktemp -d)
    zip="$tmpdir/otlp2parquet-lambda-linux-$arch.zip"
    if [ "$dry_run" = 1 ]; then
      printf '+ curl -fsSL -o %s %s\n' "$(shell_word "$zip")" "$(shell_word "$url")" >&3
    else
      note "downloading $url"
      curl -fsSL -o "$zip" "$url" || die "download of $url failed (or build it: make lambda-zip ARCH=$arch, then --local-binary)"
    fi
  fi
  local sha="dry-run"
  if [ -f "$zip" ]; then
    unzip -l "$zip" bootstrap >/dev/null 2>&1 || die "$zip has no bootstrap at its root: not an otlp2parquet Lambda zip"
    got=$(elf_arch "$zip")
    [ "$got" = "$arch" ] || die "$zip holds a $got bootstrap but --arch is $arch"
    sha=$(sha256sum "$zip" | cut -c1-16)
  fi
  local artifacts="otlp2parquet-artifacts-$account-$region"
  [ "$account" != "<account-id>" ] || artifacts="otlp2parquet-artifacts-ACCOUNT-$region"
  local key="$stack_name/$version/otlp2parquet-lambda-linux-$arch-$sha.zip"
  if ! aws_query s3api head-bucket --bucket "$artifacts" >/dev/null 2>&1; then
    note "creating the artifacts bucket $artifacts"
    if [ "$region" = us-east-1 ]; then
      aws_do s3api create-bucket --bucket "$artifacts" >/dev/null
    else
      aws_do s3api create-bucket --bucket "$artifacts" --create-bucket-configuration "LocationConstraint=$region" >/dev/null
    fi
    aws_do s3api put-public-access-block --bucket "$artifacts" \
      --public-access-block-configuration "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
  fi
  note "uploading $zip to s3://$artifacts/$key"
  aws_do s3 cp "$zip" "s3://$artifacts/$key" --only-show-errors
  note "deploying stack $stack_name ($arch, Iceberg $iceberg_enabled, table bucket $table_bucket)"
  aws_do cloudformation deploy --template-file "$template" --stack-name "$stack_name" \
    --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
    --parameter-overrides \
      "LambdaArchitecture=$arch" "MemorySize=$memory_size" "Timeout=$timeout" \
      "TableBucketName=$table_bucket" "Namespace=$database" \
      "CodeS3Bucket=$artifacts" "CodeS3Key=$key" "EnableFunctionUrl=$function_url" \
      "IcebergEnabled=$iceberg_enabled" "LogRetentionDays=$log_retention_days" "LogLevel=$log_level"
  require_stack
  stack_resources_setup
  note "function $(output FunctionName) is deployed"
  if [ "$function_url" = true ]; then note "Function URL: $(output FunctionUrl)"; fi
  next_step "./lifecycle.sh test --region $region --stack-name $stack_name"
}

# An API Gateway HTTP API (v2) event posting an OTLP/JSON body to /v1/<signal>.
v2_event() { # $1 signal, $2 body file
  jq -c --arg sig "$1" --rawfile body "$2" -n '{
    version: "2.0", routeKey: "$default", rawPath: ("/v1/" + $sig), rawQueryString: "",
    headers: {"content-type": "application/json", "user-agent": "otlp2parquet-lifecycle-test"},
    requestContext: {http: {method: "POST", path: ("/v1/" + $sig), protocol: "HTTP/1.1",
      sourceIp: "127.0.0.1", userAgent: "otlp2parquet-lifecycle-test"},
      requestId: "lifecycle-test", routeKey: "$default", stage: "$default"},
    body: $body, isBase64Encoded: false}'
}

cmd_test() {
  need aws jq
  require_stack
  local fn tmp sig failed=0 meta status body
  fn=$(output FunctionName)
  tmpdir=$(mktemp -d)
  tmp=$tmpdir
  local summary=()
  for sig in logs traces metrics; do
    [ -f "$fixtures/$sig.json" ] || die "missing fixture $fixtures/$sig.json"
    v2_event "$sig" "$fixtures/$sig.json" >"$tmp/$sig.event.json"
    if ! meta=$(aws_do lambda invoke --function-name "$fn" --payload "fileb://$tmp/$sig.event.json" \
        --cli-read-timeout 0 --output json "$tmp/$sig.out.json"); then
      summary+=("$(printf '%-8s FAIL  aws lambda invoke failed' "$sig")"); failed=1; continue
    fi
    [ "$dry_run" = 1 ] && continue
    if [ "$(jq -r '.FunctionError // empty' <<<"$meta")" != "" ]; then
      summary+=("$(printf '%-8s FAIL  function error: %s' "$sig" "$(head -c 300 "$tmp/$sig.out.json")")"); failed=1; continue
    fi
    status=$(jq -r '.statusCode // "?"' "$tmp/$sig.out.json" 2>/dev/null || echo "?")
    body=$(jq -r '.body // ""' "$tmp/$sig.out.json" 2>/dev/null | head -c 200)
    if [ "$status" = 200 ]; then
      summary+=("$(printf '%-8s ok    HTTP %s %s' "$sig" "$status" "$body")")
    else
      summary+=("$(printf '%-8s FAIL  HTTP %s %s' "$sig" "$status" "$body")"); failed=1
    fi
  done
  if [ "$dry_run" = 0 ]; then
    say ""
    say "test of $fn ($region):"
    printf '  %s\n' "${summary[@]}" >&2
  fi
  if [ "$failed" = 1 ]; then
    next_step "./lifecycle.sh logs --region $region --stack-name $stack_name --since 15m (and README.md, Troubleshooting)"
    exit 1
  fi
  next_step "./lifecycle.sh logs --region $region --stack-name $stack_name --since 10m; then query the tables (README.md, Querying)"
}

cmd_logs() {
  need aws jq
  require_stack
  local lg args=()
  lg=$(output LogGroupName)
  args=(logs tail "$lg" --since "$since" --format short)
  [ "$follow" = 1 ] && args+=(--follow)
  aws_do "${args[@]}"
  [ "$follow" = 1 ] || next_step "./lifecycle.sh status --region $region --stack-name $stack_name"
}

cmd_status() {
  need aws jq
  require_stack
  if [ "$(jq -r '.placeholder // false' <<<"$stack_json")" != true ]; then
    printf 'stack %s: %s\n' "$stack_name" "$(jq -r .StackStatus <<<"$stack_json")"
    jq -r '.Outputs[]? | "  \(.OutputKey) = \(.OutputValue)"' <<<"$stack_json"
  fi
  local bucket_arn ns tables
  bucket_arn=$(output TableBucketArn)
  ns=$(output Namespace)
  if tables=$(aws_query s3tables list-tables --table-bucket-arn "$bucket_arn" --namespace "$ns" 2>/dev/null); then
    printf 'tables in %s:\n' "$ns"
    jq -r '.tables[]? | "  \(.name) (modified \(.modifiedAt // "?"))"' <<<"$tables"
  else
    printf 'tables in %s: none yet (or the namespace does not exist)\n' "$ns"
  fi
  next_step "./lifecycle.sh test --region $region --stack-name $stack_name, or ./lifecycle.sh logs"
}

cmd_delete() {
  need aws jq
  whoami
  require_stack
  local bucket_arn data_bucket role_arn iceberg tb
  bucket_arn=$(output TableBucketArn)
  data_bucket=$(output DataBucketName)
  role_arn=$(output RoleArn)
  iceberg=$(output IcebergEnabled)
  tb=$(output TableBucketName)
  database=$(output Namespace)
  if [ "$force" = 0 ] && [ "$dry_run" = 0 ]; then
    local what="stack $stack_name"
    [ "$retain_bucket" = 1 ] || what+=", table bucket $tb with all its tables, data bucket $data_bucket"
    [ -t 0 ] || die "not a terminal: pass --force to delete $what"
    local answer
    read -r -p "Delete $what in $region? [y/N] " answer
    [[ $answer =~ ^[Yy]$ ]] || die "nothing deleted"
  fi
  if [ "$iceberg" = true ]; then
    detect_mode
    if [ "$lf_mode" = lakeformation ]; then
      note "revoking the Lake Formation grants of $role_arn"
      lf_grants revoke-permissions "$role_arn" "$(catalog_id "$tb")" || note "some grants were already gone"
    fi
  fi
  note "deleting stack $stack_name"
  aws_do cloudformation delete-stack --stack-name "$stack_name"
  aws_do cloudformation wait stack-delete-complete --stack-name "$stack_name"
  if [ "$retain_bucket" = 1 ]; then
    note "kept (--retain-bucket): table bucket $bucket_arn, data bucket $data_bucket, the artifacts"
    next_step "the table bucket $tb now lives outside any stack: deploy again with another --table-bucket, or delete it (README.md, Deleting)"
    return 0
  fi
  local tables t
  if tables=$(aws_query s3tables list-tables --table-bucket-arn "$bucket_arn" 2>/dev/null); then
    while IFS=$'\t' read -r ns t; do
      [ -n "$t" ] || continue
      aws_do s3tables delete-table --table-bucket-arn "$bucket_arn" --namespace "$ns" --name "$t"
    done < <(jq -r '.tables[]? | [(.namespace | join(".")), .name] | @tsv' <<<"$tables")
  fi
  local namespaces
  if namespaces=$(aws_query s3tables list-namespaces --table-bucket-arn "$bucket_arn" 2>/dev/null); then
    while read -r ns; do
      [ -n "$ns" ] || continue
      aws_do s3tables delete-namespace --table-bucket-arn "$bucket_arn" --namespace "$ns"
    done < <(jq -r '.namespaces[]? | .namespace | join(".")' <<<"$namespaces")
  fi
  aws_do s3tables delete-table-bucket --table-bucket-arn "$bucket_arn"
  aws_do s3 rm "s3://$data_bucket" --recursive --only-show-errors
  aws_do s3api delete-bucket --bucket "$data_bucket"
  local artifacts="otlp2parquet-artifacts-$account-$region"
  aws_do s3 rm "s3://$artifacts/$stack_name/" --recursive --only-show-errors
  aws_do s3api delete-bucket --bucket "$artifacts" 2>/dev/null || note "artifacts bucket $artifacts kept: it holds other stacks' zips"
  note "deleted stack $stack_name and its buckets"
  next_step "./lifecycle.sh setup and deploy to start again"
}

main() {
  parse "$@"
  if [ "$want_help" = 1 ] || [ -z "$cmd" ]; then
    if [ -n "$cmd" ]; then usage_cmd "$cmd"; else usage; fi
    [ "$want_help" = 1 ] && exit 0
    exit 2
  fi
  check_settings
  "cmd_$cmd"
}

main "$@"
