/* The hints of `otlp2parquet check`'s catalog steps (check_catalog_hint): per auth mode, per step,
 * with the values of the configuration in the AWS resource names. */
#include "check.h"

#include "check_command.h"

#define GLUE_URI "https://glue.eu-west-1.amazonaws.com/iceberg"
#define GLUE_WH "123456789012:s3tablescatalog/telemetry"
#define S3T_URI "https://s3tables.eu-west-1.amazonaws.com/iceberg"
#define S3T_WH "arn:aws:s3tables:eu-west-1:123456789012:bucket/telemetry"
#define GLUE "sigv4 glue eu-west-1"
#define LOCAL "http://localhost:8181"

typedef struct {
    const char *uri, *warehouse, *auth, *step, *msg;
    const char *want; /* the whole hint when exact, else a part of it */
    int exact;
} hint_case_t;

static const hint_case_t cases[] = {
    /* Glue denies a step: the IAM actions and Lake Formation grants of that step */
    {GLUE_URI, GLUE_WH, GLUE, "config", "iceberg GET /iceberg/v1/config: HTTP 403 AccessDeniedException",
     "allow glue:GetCatalog on arn:aws:glue:eu-west-1:123456789012:catalog, "
     "arn:aws:glue:eu-west-1:123456789012:catalog/s3tablescatalog and "
     "arn:aws:glue:eu-west-1:123456789012:catalog/s3tablescatalog/telemetry; the table bucket must be integrated with "
     "the Glue Data Catalog (S3 Tables integration with AWS analytics services)",
     1},
    {GLUE_URI, GLUE_WH, GLUE, "namespace", "x: HTTP 403 AccessDeniedException",
     "allow glue:GetDatabase and glue:CreateDatabase on "
     "arn:aws:glue:eu-west-1:123456789012:database/s3tablescatalog/telemetry/otel; in Lake Formation grant DESCRIBE and "
     "CREATE_TABLE on the database otel",
     1},
    {GLUE_URI, GLUE_WH, GLUE, "table", "x: HTTP 403 AccessDeniedException: Insufficient Lake Formation permission(s)",
     "Lake Formation denies it: allow glue:GetTable", 0},
    {GLUE_URI, GLUE_WH, GLUE, "table",
     "x: HTTP 403 AccessDeniedException: User: u is not authorized to perform: glue:UpdateTable on resource: r",
     "the principal's IAM policy does not allow glue:UpdateTable: add it (docs/iceberg.md has the whole policy)", 1},
    /* credentials, region, warehouse */
    {GLUE_URI, GLUE_WH, "sigv4 glue us-east-1", "config", "x: HTTP 403 InvalidSignatureException: the signature",
     "the endpoint is in eu-west-1 but the requests are signed for us-east-1: set "
     "OTLP2PARQUET_ICEBERG_SIGNING_REGION=eu-west-1",
     1},
    {GLUE_URI, GLUE_WH, GLUE, "config", "iceberg SigV4 credentials: no AWS credentials: none", "set AWS_ACCESS_KEY_ID", 0},
    {GLUE_URI, GLUE_WH, GLUE, "config", "x: HTTP 400 ExpiredTokenException: The security token included in the request is expired",
     "has expired", 0},
    {GLUE_URI, GLUE_WH, GLUE, "config", "x: HTTP 403 UnrecognizedClientException: u", "does not know the access key", 0},
    {GLUE_URI, "s3tablescatalog/telemetry", GLUE, "config", "x: HTTP 400 InvalidInputException: bad warehouse",
     "for Glue, OTLP2PARQUET_ICEBERG_WAREHOUSE is <account-id>:s3tablescatalog/<table-bucket>", 1},
    /* placeholders when the warehouse does not name them */
    {GLUE_URI, "s3tablescatalog/telemetry", GLUE, "namespace", "x: HTTP 403 AccessDeniedException",
     "arn:aws:glue:eu-west-1:ACCOUNT:database/s3tablescatalog/BUCKET/otel", 0},
    /* the S3 Tables endpoint */
    {S3T_URI, S3T_WH, "sigv4 s3tables eu-west-1", "config", "x: HTTP 403 AccessDeniedException",
     "allow s3tables:GetTableBucket on arn:aws:s3tables:eu-west-1:123456789012:bucket/telemetry", 1},
    {S3T_URI, S3T_WH, "sigv4 s3tables eu-west-1", "table", "x: HTTP 403 AccessDeniedException",
     "s3tables:PutTableData on arn:aws:s3tables:eu-west-1:123456789012:bucket/telemetry/table/*", 0},
    /* tokens */
    {LOCAL, "", "bearer", "table", "x: HTTP 401 NotAuthorizedException: no", "OTLP2PARQUET_ICEBERG_TOKEN is invalid", 0},
    {LOCAL, "", "oauth2", "config", "iceberg OAuth2 token from h: HTTP 401: bad client",
     "OTLP2PARQUET_ICEBERG_CREDENTIAL (client_id:client_secret)", 0},
    {LOCAL, "", "oauth2", "table", "x: HTTP 403 ForbiddenException: no", "PRINCIPAL_ROLE:ALL", 0},
    {LOCAL, "", "none", "config", "x: HTTP 401 NotAuthorizedException: no", "the catalog wants credentials", 0},
    /* the URI and the transport */
    {LOCAL, "", "none", "config", "x: HTTP 404 (no Iceberg error envelope in the answer)", "no /v1/config", 0},
    {LOCAL, "", "none", "config", "x: HTTP 200 with a body that is not JSON (line 1: x)", "not an Iceberg REST", 0},
    {LOCAL, "", "none", "table", "x: HTTP 503 ServiceUnavailableException: busy", "the catalog failed", 0},
    {LOCAL, "", "none", "config", "x: HTTP GET to localhost:8181: Couldn't connect to server",
     "nothing answers at http://localhost:8181", 0},
    {LOCAL, "", "none", "config", "x: HTTP GET to nohost: Could not resolve host: nohost", "does not resolve", 0},
    /* a catalog's message that merely mentions a word of a transport error */
    {LOCAL, "", "none", "table", "x: HTTP 400 BadRequestException: cannot resolve host name column", "", 1},
    {LOCAL, "", "none", "table", "x: HTTP 409 AlreadyExistsException: y", "", 1},
};

TEST(every_case)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hint_case_t *k = &cases[i];
        config_t c;
        memset(&c, 0, sizeof c);
        snprintf(c.iceberg_rest_uri, sizeof c.iceberg_rest_uri, "%s", k->uri);
        snprintf(c.iceberg_warehouse, sizeof c.iceberg_warehouse, "%s", k->warehouse);
        snprintf(c.iceberg_namespace, sizeof c.iceberg_namespace, "otel");
        char buf[1200];
        const char *h = check_catalog_hint(&c, k->auth, k->step, k->msg, buf, sizeof buf);
        if (k->exact ? strcmp(h, k->want) != 0 : strstr(h, k->want) == NULL)
            printf("    case %zu (%s): hint \"%s\"\n", i, k->msg, h);
        CHECK(k->exact ? strcmp(h, k->want) == 0 : strstr(h, k->want) != NULL);
    }
}

RUN_TESTS(T(every_case))
