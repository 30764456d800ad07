variable "region" {
  description = "The region the service is pinned to (S3_REGION)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the service runs in."
  type        = string
}

variable "route_table_ids" {
  description = "Route tables of the service's subnets: the Gateway endpoint adds the region's S3 prefix list to them."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Subnets (one per availability zone) for the Interface endpoint and the Route 53 Resolver inbound endpoint."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "The Route 53 Resolver inbound endpoint needs subnets in at least two availability zones."
  }
}

variable "bucket_name" {
  description = "The bucket the policies are attached to; it must be the bucket the policies in policies/ were generated for."
  type        = string
}

variable "onprem_cidrs" {
  description = "On-premises address ranges behind the Direct Connect private VIF: allowed to reach the Interface endpoint (443) and the inbound resolver (53)."
  type        = list(string)
  default     = []
}

variable "dx_private_vif_id" {
  description = "The Direct Connect private virtual interface (dxvif-…) that carries on-premises traffic into the VPC. Informational: it is created with the connection, outside this module."
  type        = string
  default     = null
}

variable "dx_virtual_gateway_id" {
  description = "The virtual private gateway (vgw-…) the private VIF terminates on; its routes are propagated into route_table_ids. Null when a Transit Gateway carries them instead."
  type        = string
  default     = null
}

variable "oidc_provider_arn" {
  description = "The EKS cluster's IAM OIDC provider ARN, for IRSA."
  type        = string
}

variable "oidc_provider_url" {
  description = "The EKS cluster's OIDC issuer without https:// (oidc.eks.REGION.amazonaws.com/id/…)."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the service account."
  type        = string
  default     = "s3-presign"
}

variable "service_account" {
  description = "Kubernetes service account name (deploy/kubernetes/serviceaccount.yaml)."
  type        = string
  default     = "s3-presign"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
