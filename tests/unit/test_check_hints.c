/* The hints of `otlp2parquet check`'s catalog steps (check_catalog_hint): per auth mode, per step,
 * with the values of the configuration in the AWS resource names. */
#include "check.h"

#include "check_command.h"

static config_t glue_cfg(void)
{
    config_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.iceberg_rest_uri, sizeof c.iceberg_rest_uri, "https://glue.eu-west-1.amazonaws.com/iceberg");
    snprintf(c.iceberg_warehouse, sizeof c.iceberg_warehouse, "123456789012:s3tablescatalog/telemetry");
    snprintf(c.iceberg_namespace, sizeof c.iceberg_namespace, "otel");
    return c;
}

static char buf[1200];

#define HINT(cfg, auth, step, msg) check_catalog_hint(&(cfg), auth, step, msg, buf, sizeof buf)

TEST(glue_denied_per_step)
{
    config_t c = glue_cfg();
    const char *auth = "sigv4 glue eu-west-1";
    CHECK_EQ_STR(HINT(c, auth, "config", "iceberg GET /iceberg/v1/config: HTTP 403 AccessDeniedException"),
                 "allow glue:GetCatalog on arn:aws:glue:eu-west-1:123456789012:catalog, "
                 "arn:aws:glue:eu-west-1:123456789012:catalog/s3tablescatalog and "
                 "arn:aws:glue:eu-west-1:123456789012:catalog/s3tablescatalog/telemetry; the table bucket must be "
                 "integrated with the Glue Data Catalog (S3 Tables integration with AWS analytics services)");
    CHECK_EQ_STR(HINT(c, auth, "namespace", "x: HTTP 403 AccessDeniedException"),
                 "allow glue:GetDatabase and glue:CreateDatabase on "
                 "arn:aws:glue:eu-west-1:123456789012:database/s3tablescatalog/telemetry/otel; in Lake Formation grant "
                 "DESCRIBE and CREATE_TABLE on the database otel");
    CHECK(strstr(HINT(c, auth, "table", "x: HTTP 403 AccessDeniedException: Insufficient Lake Formation permission(s)"),
                 "Lake Formation denies it: allow glue:GetTable") == buf);
    CHECK_EQ_STR(HINT(c, auth, "table", "x: HTTP 403 AccessDeniedException: User: u is not authorized to perform: "
                                        "glue:UpdateTable on resource: r"),
                 "the principal's IAM policy does not allow glue:UpdateTable: add it (docs/iceberg.md has the whole policy)");
}

TEST(aws_credentials_region_and_warehouse)
{
    config_t c = glue_cfg();
    CHECK_EQ_STR(HINT(c, "sigv4 glue us-east-1", "config", "x: HTTP 403 InvalidSignatureException: the signature"),
                 "the endpoint is in eu-west-1 but the requests are signed for us-east-1: set "
                 "OTLP2PARQUET_ICEBERG_SIGNING_REGION=eu-west-1");
    CHECK(strstr(HINT(c, "sigv4 glue eu-west-1", "config", "iceberg SigV4 credentials: no AWS credentials: none"),
                 "set AWS_ACCESS_KEY_ID") != NULL);
    CHECK(strstr(HINT(c, "sigv4 glue eu-west-1", "config", "x: HTTP 400 ExpiredTokenException: The security token "
                                                           "included in the request is expired"),
                 "has expired") != NULL);
    CHECK(strstr(HINT(c, "sigv4 glue eu-west-1", "config", "x: HTTP 403 UnrecognizedClientException: u"),
                 "does not know the access key") != NULL);
    snprintf(c.iceberg_warehouse, sizeof c.iceberg_warehouse, "s3tablescatalog/telemetry");
    CHECK_EQ_STR(HINT(c, "sigv4 glue eu-west-1", "config", "x: HTTP 400 InvalidInputException: bad warehouse"),
                 "for Glue, OTLP2PARQUET_ICEBERG_WAREHOUSE is <account-id>:s3tablescatalog/<table-bucket>");
    /* the placeholders when the warehouse does not name them */
    CHECK(strstr(HINT(c, "sigv4 glue eu-west-1", "namespace", "x: HTTP 403 AccessDeniedException"),
                 "arn:aws:glue:eu-west-1:ACCOUNT:database/s3tablescatalog/BUCKET/otel") != NULL);
}

TEST(s3tables_denied)
{
    config_t c = glue_cfg();
    snprintf(c.iceberg_rest_uri, sizeof c.iceberg_rest_uri, "https://s3tables.eu-west-1.amazonaws.com/iceberg");
    snprintf(c.iceberg_warehouse, sizeof c.iceberg_warehouse, "arn:aws:s3tables:eu-west-1:123456789012:bucket/telemetry");
    CHECK_EQ_STR(HINT(c, "sigv4 s3tables eu-west-1", "config", "x: HTTP 403 AccessDeniedException"),
                 "allow s3tables:GetTableBucket on arn:aws:s3tables:eu-west-1:123456789012:bucket/telemetry");
    CHECK(strstr(HINT(c, "sigv4 s3tables eu-west-1", "table", "x: HTTP 403 AccessDeniedException"),
                 "s3tables:PutTableData on arn:aws:s3tables:eu-west-1:123456789012:bucket/telemetry/table/*") != NULL);
}

TEST(tokens_and_transport)
{
    config_t c = glue_cfg();
    snprintf(c.iceberg_rest_uri, sizeof c.iceberg_rest_uri, "http://localhost:8181");
    CHECK(strstr(HINT(c, "bearer", "table", "x: HTTP 401 NotAuthorizedException: no"), "OTLP2PARQUET_ICEBERG_TOKEN is invalid"));
    CHECK(strstr(HINT(c, "oauth2", "config", "iceberg OAuth2 token from h: HTTP 401: bad client"),
                 "OTLP2PARQUET_ICEBERG_CREDENTIAL (client_id:client_secret)"));
    CHECK(strstr(HINT(c, "oauth2", "table", "x: HTTP 403 ForbiddenException: no"), "PRINCIPAL_ROLE:ALL"));
    CHECK(strstr(HINT(c, "none", "config", "x: HTTP 401 NotAuthorizedException: no"), "the catalog wants credentials"));
    CHECK(strstr(HINT(c, "none", "config", "x: HTTP 404 (no Iceberg error envelope in the answer)"), "no /v1/config"));
    CHECK(strstr(HINT(c, "none", "config", "x: HTTP 200 with a body that is not JSON (line 1: x)"), "not an Iceberg REST"));
    CHECK(strstr(HINT(c, "none", "table", "x: HTTP 503 ServiceUnavailableException: busy"), "the catalog failed"));
    CHECK(strstr(HINT(c, "none", "config", "x: HTTP GET to localhost:8181: Couldn't connect to server"),
                 "nothing answers at http://localhost:8181"));
    CHECK(strstr(HINT(c, "none", "config", "x: HTTP GET to nohost: Could not resolve host: nohost"), "does not resolve"));
    CHECK_EQ_STR(HINT(c, "none", "table", "x: HTTP 409 AlreadyExistsException: y"), "");
}

RUN_TESTS(T(glue_denied_per_step), T(aws_credentials_region_and_warehouse), T(s3tables_denied), T(tokens_and_transport))
