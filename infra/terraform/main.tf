# The potato lake on AWS: lake, quarantine and backup buckets (and their access-log bucket), one
# customer-managed KMS key, IAM roles with least privilege for the pipeline, the remediator, the
# backup job and GitHub Actions. Names follow the runbook: cdp-prod-potato-data-lake-xyz.

locals {
  name   = "${var.prefix}-${var.environment}-potato"
  arn    = "arn:${data.aws_partition.current.partition}"
  region = var.region

  buckets = {
    lake       = "${local.name}-data-lake-${var.bucket_suffix}"
    quarantine = "${local.name}-quarantine-${var.bucket_suffix}"
    backup     = "${local.name}-backup-${var.bucket_suffix}"
  }
  logs_bucket = "${local.name}-access-logs-${var.bucket_suffix}"

  # Prefixes of the lake (DESIGN.md section 2).
  lake_prefixes = ["bronze/", "silver/", "rejects/", "reports/", "_state/"]
}
