# One customer-managed key encrypts the lake, quarantine and backup buckets. The key policy lets
# the account administer the key and lets IAM policies grant its use; the roles in iam.tf get
# only Decrypt / GenerateDataKey, through S3.

data "aws_iam_policy_document" "lake_key" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; the actions are listed.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource.
  #checkov:skip=CKV_AWS_109:Only the account root may change the key policy (needed to keep the key manageable).
  # In a key policy "*" as resource means "this key"; actions are listed, never kms:*.
  statement {
    sid       = "AccountAdministersKey"
    effect    = "Allow"
    resources = ["*"]
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]

    principals {
      type        = "AWS"
      identifiers = ["${local.arn}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "IamPoliciesGrantUseThroughS3"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]

    principals {
      type        = "AWS"
      identifiers = ["${local.arn}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "lake" {
  description             = "${local.name}: lake, quarantine and backup buckets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.lake_key.json
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${local.name}-lake"
  target_key_id = aws_kms_key.lake.key_id
}
