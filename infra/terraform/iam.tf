# Least privilege, one role per workload. Every Allow names its actions and its resources (ARNs
# of this module's buckets, prefixes and key); no "*" action or resource anywhere. The test
# tests/deploy/test_least_privilege.py reads these documents and holds them to that.
#
#   pipeline    read bronze (and the silver/_state it commits against); write silver, rejects,
#               reports and its run ledger; delete only silver files of its own failed run
#   remediator  copy silver to quarantine, delete from silver, read backups, write silver
#   backup      read silver, write backups (the maintenance job behind restore)
#   github      this repository's main branch only: read silver and backups (CI integrity checks)

locals {
  lake_arn       = module.bucket["lake"].arn
  quarantine_arn = module.bucket["quarantine"].arn
  backup_arn     = module.bucket["backup"].arn
}

# --- Trust: Kubernetes service accounts through the EKS cluster's OIDC provider (IRSA) ---

data "aws_iam_policy_document" "irsa" {
  for_each = toset(["potato-pipeline", "sre-remediator", "potato-backup"])

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.eks_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.eks_oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.k8s_namespace}:${each.key}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.eks_oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

# --- The pipeline ---

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "ListLakePrefixes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["bronze/*", "silver/*", "rejects/*", "reports/*", "_state/*"]
    }
  }

  statement {
    sid     = "ReadBronzeAndCommittedState"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = [
      "${local.lake_arn}/bronze/*",
      "${local.lake_arn}/silver/*",
      "${local.lake_arn}/_state/*",
    ]
  }

  statement {
    sid     = "WriteSilverRejectsReportsLedger"
    effect  = "Allow"
    actions = ["s3:PutObject"]
    resources = [
      "${local.lake_arn}/silver/*",
      "${local.lake_arn}/rejects/*",
      "${local.lake_arn}/reports/*",
      "${local.lake_arn}/_state/*",
    ]
  }

  # A failed run removes the files it uploaded, so committed silver stays exactly as it was.
  statement {
    sid       = "RemoveOwnUncommittedFiles"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.lake_arn}/silver/*", "${local.lake_arn}/rejects/*"]
  }

  statement {
    sid       = "UseLakeKeyThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role" "pipeline" {
  name                 = "${local.name}-pipeline"
  description          = "potato-pipeline CronJob: bronze in; silver, rejects, reports out"
  assume_role_policy   = data.aws_iam_policy_document.irsa["potato-pipeline"].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "lake-access"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# --- The remediator (sre serve) ---

data "aws_iam_policy_document" "remediator" {
  statement {
    sid       = "ListSilver"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["silver/*"]
    }
  }

  statement {
    sid       = "ReadWriteDeleteSilver"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.lake_arn}/silver/*"]
  }

  # Copy into quarantine, then read the copy back to verify its checksum before deleting silver.
  statement {
    sid       = "CopyIntoQuarantine"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${local.quarantine_arn}/*"]
  }

  statement {
    sid       = "ListBackups"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.backup_arn]
  }

  statement {
    sid       = "ReadBackups"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.backup_arn}/*"]
  }

  statement {
    sid       = "UseLakeKeyThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role" "remediator" {
  name                 = "${local.name}-remediator"
  description          = "sre serve: quarantine and restore silver"
  assume_role_policy   = data.aws_iam_policy_document.irsa["sre-remediator"].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "remediator" {
  name   = "remediation"
  role   = aws_iam_role.remediator.id
  policy = data.aws_iam_policy_document.remediator.json
}

# --- The backup job (potato-pipeline backup) ---

data "aws_iam_policy_document" "backup" {
  statement {
    sid       = "ListSilver"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["silver/*"]
    }
  }

  statement {
    sid       = "ReadSilver"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_arn}/silver/*"]
  }

  statement {
    sid       = "ListBackups"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.backup_arn]
  }

  # Object lock keeps what this writes for backup_retention_days; it cannot shorten that.
  statement {
    sid       = "WriteBackups"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.backup_arn}/silver/*"]
  }

  statement {
    sid       = "UseLakeKeyThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role" "backup" {
  name                 = "${local.name}-backup"
  description          = "potato backup job: silver into dated, locked backups"
  assume_role_policy   = data.aws_iam_policy_document.irsa["potato-backup"].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "backup" {
  name   = "backup"
  role   = aws_iam_role.backup.id
  policy = data.aws_iam_policy_document.backup.json
}

# --- GitHub Actions through OIDC: this repository and branch only ---

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # IAM trusts GitHub's certificate authority itself; the list is kept for older provider logic.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]
}

data "aws_iam_policy_document" "github_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Exactly one repository and one branch: no pull requests, tags, forks or other branches.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"]
    }
  }
}

data "aws_iam_policy_document" "github" {
  statement {
    sid       = "ListSilverAndBackups"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn, local.backup_arn]
  }

  statement {
    sid       = "ReadSilverAndBackups"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_arn}/silver/*", "${local.backup_arn}/silver/*"]
  }

  statement {
    sid       = "DecryptThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role" "github" {
  name                 = "${local.name}-github-oidc-role"
  description          = "GitHub Actions of ${var.github_repository}@${var.github_branch}: integrity and backup checks"
  assume_role_policy   = data.aws_iam_policy_document.github_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "github" {
  name   = "integrity-checks"
  role   = aws_iam_role.github.id
  policy = data.aws_iam_policy_document.github.json
}
