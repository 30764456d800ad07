output "s3_vpce_dns_name" {
  description = "S3_VPCE_DNS_NAME for interface mode: the endpoint's first DNS entry, in the *.vpce-… form the service accepts."
  value       = aws_vpc_endpoint.interface.dns_entry[0].dns_name
}

output "service_role_arn" {
  description = "The role for IRSA: the eks.amazonaws.com/role-arn annotation of deploy/kubernetes/serviceaccount.yaml."
  value       = aws_iam_role.service.arn
}

output "gateway_vpce_id" {
  description = "The Gateway endpoint, for `s3-presign policy --vpce-id`."
  value       = aws_vpc_endpoint.gateway.id
}

output "interface_vpce_id" {
  description = "The Interface endpoint, for `s3-presign policy --vpce-id`."
  value       = aws_vpc_endpoint.interface.id
}

output "resolver_inbound_ips" {
  description = "Where on-premises resolvers forward the S3 names (conditional forwarder for s3.REGION.amazonaws.com)."
  value       = [for ip in aws_route53_resolver_endpoint.inbound.ip_address : ip.ip]
}

output "dx_private_vif_id" {
  description = "The Direct Connect private VIF this setup expects on-premises traffic on."
  value       = var.dx_private_vif_id
}

output "service_environment" {
  description = "The service's configuration for this setup (deploy/kubernetes/configmap.yaml)."
  value = {
    S3_ENDPOINT_MODE = "interface"
    S3_REGION        = var.region
    S3_VPCE_DNS_NAME = aws_vpc_endpoint.interface.dns_entry[0].dns_name
    S3_BUCKETS       = var.bucket_name
  }
}
