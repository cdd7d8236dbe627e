# Lake, quarantine and backup buckets (modules/secure-bucket): versioned, SSE-KMS by default,
# public access blocked, TLS-only, access-logged. The backup bucket adds object lock
# (GOVERNANCE): a backup cannot be deleted or overwritten before its retention ends, even by a
# compromised remediator. MFA delete was considered and not used: only the root user can
# enable it, and never through Terraform; object lock protects the same objects.

locals {
  # The runbook's lifecycle: bronze to STANDARD_IA at 30 days and GLACIER at 90; reports expire
  # at 30. Quarantine is kept for investigation, backups until well past their lock.
  lifecycle_rules = {
    lake = [
      {
        id     = "potato-pipeline-lifecycle"
        prefix = "bronze/"
        transitions = [
          { days = 30, storage_class = "STANDARD_IA" },
          { days = 90, storage_class = "GLACIER" },
        ]
      },
      { id = "reports-expire", prefix = "reports/", expiration_days = 30 },
    ]
    quarantine = [
      { id = "quarantine-expire", prefix = "", expiration_days = var.quarantine_expiry_days },
    ]
    backup = [
      { id = "backup-expire", prefix = "", expiration_days = var.backup_expiry_days },
    ]
  }
}

module "bucket" {
  source   = "./modules/secure-bucket"
  for_each = local.buckets

  name            = each.value
  kms_key_arn     = aws_kms_key.lake.arn
  log_bucket      = aws_s3_bucket.logs.id
  lifecycle_rules = local.lifecycle_rules[each.key]
  noncurrent_days = each.key == "backup" ? 7 : 30
  # Only backups are locked: the lake and quarantine must allow deletes (publish, quarantine).
  object_lock_days = each.key == "backup" ? var.backup_retention_days : 0
}

# Server access logs of the three buckets. S3 log delivery cannot write to SSE-KMS buckets, so
# this one uses SSE-S3; it does not log itself.
resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it into itself would loop.
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to SSE-S3 buckets, not SSE-KMS.
  #checkov:skip=CKV_AWS_144:Access logs are not replicated; they are evidence for this region only.
  #checkov:skip=CKV2_AWS_62:No consumer reacts to new access-log objects.
  bucket        = local.logs_bucket
  force_destroy = false
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "logs-expire"
    status = "Enabled"

    filter {}

    expiration {
      days = 365
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "S3ServerAccessLogsFromThisAccount"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [for b in module.bucket : b.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}
