# Every name the runbook and docs/deploy.md use: `terraform output -raw lake_bucket`.

output "lake_bucket" {
  description = "The lake (bronze/, silver/, rejects/, reports/, _state/): POTATO_LAKE=s3://<this> (the pipeline), SRE_LAKE=s3://<this> (sre)."
  value       = module.bucket["lake"].id
}

output "quarantine_bucket" {
  description = "Quarantined silver objects: SRE_QUARANTINE=s3://<this>."
  value       = module.bucket["quarantine"].id
}

output "backup_bucket" {
  description = "Dated silver backups (silver/YYYY-MM-DD/), object-locked: SRE_BACKUP=s3://<this>."
  value       = module.bucket["backup"].id
}

output "access_logs_bucket" {
  description = "Server access logs of the three buckets."
  value       = aws_s3_bucket.logs.bucket
}

output "bucket_arns" {
  description = "ARNs of the lake, quarantine and backup buckets."
  value       = { for k, b in module.bucket : k => b.arn }
}

output "kms_key_arn" {
  description = "The key that encrypts the three buckets."
  value       = aws_kms_key.lake.arn
}

output "pipeline_role_arn" {
  description = "IRSA role of the potato-pipeline service account (eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.pipeline.arn
}

output "remediator_role_arn" {
  description = "IRSA role of the sre-remediator service account."
  value       = aws_iam_role.remediator.arn
}

output "backup_role_arn" {
  description = "IRSA role of the potato-backup service account."
  value       = aws_iam_role.backup.arn
}

output "github_oidc_role_name" {
  description = "The role GitHub Actions assume (runbook: aws iam get-role --role-name <this>)."
  value       = aws_iam_role.github.name
}

output "github_oidc_role_arn" {
  description = "role-to-assume for aws-actions/configure-aws-credentials."
  value       = aws_iam_role.github.arn
}

output "github_oidc_provider_arn" {
  description = "The account's GitHub OIDC provider."
  value       = aws_iam_openid_connect_provider.github.arn
}
