terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # dns_options.private_dns_only_for_inbound_resolver_endpoint needs 5.x or later.
      version = ">= 5.31.0"
    }
  }
}
