variable "name" {
  description = "Bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key for default SSE-KMS encryption."
  type        = string
}

variable "log_bucket" {
  description = "Bucket that receives this bucket's server access logs."
  type        = string
}

variable "object_lock_days" {
  description = "GOVERNANCE retention of every object in days; 0 disables object lock."
  type        = number
  default     = 0
}

variable "lifecycle_rules" {
  description = "Rules by key prefix (\"\" for every object): transitions and an optional expiration."
  type = list(object({
    id              = string
    prefix          = string
    transitions     = optional(list(object({ days = number, storage_class = string })), [])
    expiration_days = optional(number)
  }))
  default = []
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted version is kept before it expires."
  type        = number
  default     = 30
}
