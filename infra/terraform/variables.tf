variable "region" {
  description = "AWS region of the lake."
  type        = string
  default     = "eu-west-1"
}

variable "prefix" {
  description = "Organisation prefix of every name (the runbook's cdp-...)."
  type        = string
  default     = "cdp"
}

variable "environment" {
  description = "Deployment name: prod, staging, dev."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment: lower-case letters, digits and dashes, at most 16 characters."
  }
}

variable "bucket_suffix" {
  description = "Suffix that makes the bucket names globally unique (the runbook's -xyz)."
  type        = string
  default     = "xyz"
}

variable "backup_retention_days" {
  description = "Object-lock retention (GOVERNANCE) of every backup object, in days."
  type        = number
  default     = 35
}

variable "backup_expiry_days" {
  description = "Backups are deleted after this many days; longer than the object-lock retention."
  type        = number
  default     = 90

  validation {
    condition     = var.backup_expiry_days > 35
    error_message = "backup_expiry_days must exceed the default object-lock retention (35 days)."
  }
}

variable "quarantine_expiry_days" {
  description = "Quarantined objects are kept this long for investigation."
  type        = number
  default     = 180
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the GitHub OIDC role."
  type        = string
  default     = "example/potato-weight-nutrition"
}

variable "github_branch" {
  description = "The only branch whose workflows may assume the GitHub OIDC role."
  type        = string
  default     = "main"
}

variable "eks_oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider (IRSA) for the pipeline and remediator service accounts."
  type        = string
}

variable "eks_oidc_issuer" {
  description = "The cluster's OIDC issuer without https:// (oidc.eks.REGION.amazonaws.com/id/ID)."
  type        = string
}

variable "k8s_namespace" {
  description = "Kubernetes namespace of infra/k8s."
  type        = string
  default     = "potato-pipeline"
}
