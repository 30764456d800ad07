# The seed's private route to S3 and the policies that make it mandatory.
#
# - Gateway endpoint: the VPC's own traffic to S3, on the route tables.
# - Interface endpoint (PrivateLink) with private DNS, answered only to the Route 53 Resolver
#   inbound endpoint: on-premises clients arriving over the Direct Connect private VIF.
# - The policies from `s3-presign policy` (policies/policies.json.tftpl), with the two
#   endpoint IDs filled in once they exist: bucket policy, both endpoint policies, and the
#   service role (IRSA) policy; and the bucket's lifecycle rule for abandoned multipart
#   uploads, from the same file.

data "aws_partition" "current" {}

data "aws_vpc" "this" {
  id = var.vpc_id
}

locals {
  s3_service_name = "${data.aws_partition.current.partition == "aws-cn" ? "cn.com.amazonaws" : "com.amazonaws"}.${var.region}.s3"
  policies = jsondecode(templatefile("${path.module}/policies/policies.json.tftpl", {
    gateway_vpce_id   = aws_vpc_endpoint.gateway.id
    interface_vpce_id = aws_vpc_endpoint.interface.id
  }))
}

resource "aws_vpc_endpoint" "gateway" {
  vpc_id            = var.vpc_id
  service_name      = local.s3_service_name
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.route_table_ids
  tags              = merge(var.tags, { Name = "s3-presign-gateway" })
}

resource "aws_security_group" "interface_endpoint" {
  name_prefix = "s3-presign-vpce-"
  description = "HTTPS to the S3 Interface endpoint from the VPC and on-premises"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    description = "HTTPS from the VPC and the on-premises ranges behind Direct Connect"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = concat([data.aws_vpc.this.cidr_block], var.onprem_cidrs)
  }
}

resource "aws_vpc_endpoint" "interface" {
  vpc_id              = var.vpc_id
  service_name        = local.s3_service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.interface_endpoint.id]
  private_dns_enabled = true
  tags                = merge(var.tags, { Name = "s3-presign-interface" })

  dns_options {
    # With the Gateway endpoint in the same VPC, the VPC's own lookups keep the gateway
    # route; only queries through the inbound resolver (on-premises) get the endpoint.
    private_dns_only_for_inbound_resolver_endpoint = true
  }
}

resource "aws_vpc_endpoint_policy" "gateway" {
  vpc_endpoint_id = aws_vpc_endpoint.gateway.id
  policy          = jsonencode(local.policies.endpointPolicy)
}

resource "aws_vpc_endpoint_policy" "interface" {
  vpc_endpoint_id = aws_vpc_endpoint.interface.id
  policy          = jsonencode(local.policies.endpointPolicy)
}

resource "aws_s3_bucket_policy" "private_route" {
  bucket = var.bucket_name
  policy = jsonencode(local.policies.bucketPolicy)
}

# Parts of uploads nobody completes are billed until aborted. The age comes from the generated
# file, which takes it from the service's upload-ID lifetime, so the two cannot drift apart.
# This resource owns the bucket's whole lifecycle configuration: add other rules here.
resource "aws_s3_bucket_lifecycle_configuration" "abandoned_uploads" {
  bucket = var.bucket_name

  dynamic "rule" {
    for_each = local.policies.lifecycleConfiguration.Rules
    content {
      id     = rule.value.ID
      status = rule.value.Status
      filter {
        prefix = rule.value.Filter.Prefix
      }
      abort_incomplete_multipart_upload {
        days_after_initiation = rule.value.AbortIncompleteMultipartUpload.DaysAfterInitiation
      }
    }
  }
}

# On-premises: routes learned over the private VIF reach the service's subnets, and
# on-premises resolvers forward the S3 names to the inbound endpoint.
resource "aws_vpn_gateway_route_propagation" "direct_connect" {
  for_each       = var.dx_virtual_gateway_id == null ? toset([]) : toset(var.route_table_ids)
  vpn_gateway_id = var.dx_virtual_gateway_id
  route_table_id = each.value
}

resource "aws_security_group" "resolver_inbound" {
  name_prefix = "s3-presign-resolver-"
  description = "DNS from on-premises to the Route 53 Resolver inbound endpoint"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    description = "DNS over UDP"
    from_port   = 53
    to_port     = 53
    protocol    = "udp"
    cidr_blocks = concat([data.aws_vpc.this.cidr_block], var.onprem_cidrs)
  }

  ingress {
    description = "DNS over TCP"
    from_port   = 53
    to_port     = 53
    protocol    = "tcp"
    cidr_blocks = concat([data.aws_vpc.this.cidr_block], var.onprem_cidrs)
  }
}

resource "aws_route53_resolver_endpoint" "inbound" {
  name               = "s3-presign-inbound"
  direction          = "INBOUND"
  security_group_ids = [aws_security_group.resolver_inbound.id]
  tags               = var.tags

  dynamic "ip_address" {
    for_each = var.subnet_ids
    content {
      subnet_id = ip_address.value
    }
  }
}

# The service's identity (IRSA): only its service account may assume it.
resource "aws_iam_role" "service" {
  name_prefix = "s3-presign-"
  tags        = var.tags
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${var.oidc_provider_url}:sub" = "system:serviceaccount:${var.namespace}:${var.service_account}"
          "${var.oidc_provider_url}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "service" {
  name   = "s3-presign"
  role   = aws_iam_role.service.id
  policy = jsonencode(local.policies.servicePolicy)
}
