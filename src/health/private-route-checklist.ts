// The private-route checklist `s3-presign doctor` walks beyond the /healthz checks: what the
// service can see from inside is checked (the pinned route, the bucket policy); the rest
// (routes, security groups, Direct Connect, on-premises DNS, flow logs) is printed as a
// "verify by hand" item with the exact AWS CLI commands for this configuration.
import type { Config } from '../config/config.js';
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { expectedLocation } from '../endpoint/expected-location.js';
import { vpceIdOfDnsName } from '../iam/generate-policies.js';
import { SERVICE_ACTIONS } from '../iam/service-actions.js';
import type { BucketPolicyVerdict } from './bucket-policy-check.js';

export interface ChecklistItem {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skipped' | 'manual';
  message: string;
  code?: string;
  /** For `manual` (and skipped) items: what to run, in order. */
  commands?: string[];
}

/** Whether the pinned route can be private at all: regional (Gateway endpoint) or interface. */
export function routeItem(mode: EndpointMode): ChecklistItem {
  switch (mode.kind) {
    case 'regional':
      return {
        name: 'route',
        status: 'ok',
        message: `regional endpoint of ${mode.region} (never the global one): private through a Gateway VPC endpoint in the service's VPC`,
      };
    case 'interface':
      return {
        name: 'route',
        status: 'ok',
        message: `Interface VPC endpoint ${mode.vpceDnsName} (PrivateLink), reachable from on-premises over Direct Connect`,
      };
    case 'accelerate':
      return {
        name: 'route',
        status: 'warn',
        code: 'ROUTE_PUBLIC',
        message: 'S3 Transfer Acceleration is public by nature: no VPC endpoint carries it',
      };
    default:
      return { name: 'route', status: 'skipped', message: `${mode.kind} mode is not AWS S3: no VPC endpoint applies` };
  }
}

export function bucketPolicyItem(verdict: BucketPolicyVerdict): ChecklistItem {
  const item: ChecklistItem = { name: 'bucket-policy', status: verdict.status, message: verdict.message };
  if ('code' in verdict) item.code = verdict.code;
  if (verdict.status === 'skipped') item.commands = [verdict.command];
  return item;
}

/** The items only an operator with AWS access can check, with the commands for this config. */
export function manualItems(config: Config, env: Readonly<Record<string, string | undefined>>): ChecklistItem[] {
  const { mode } = config;
  if (mode.kind !== 'regional' && mode.kind !== 'interface') return [];
  const region = mode.region;
  const partition = mode.partition.name;
  const serviceName = `${partition === 'aws-cn' ? 'cn.com.amazonaws' : 'com.amazonaws'}.${region}.s3`;
  const r = `--region ${region}`;
  const bucket = config.buckets[0] ?? 'BUCKET';
  const host = expectedLocation(mode, bucket).host;
  const vpceId = mode.kind === 'interface' ? (vpceIdOfDnsName(mode.vpceDnsName) ?? 'VPCE_ID') : 'VPCE_ID';
  const roleArn = env.AWS_ROLE_ARN ?? 'ROLE_ARN';
  const actions = SERVICE_ACTIONS.filter((entry) => entry.resource === 'object').map((entry) => entry.action);

  const items: ChecklistItem[] = [
    {
      name: 'gateway',
      status: 'manual',
      message: `the Gateway endpoint for ${serviceName} is associated with the route tables of the service's subnets (a route to the region's S3 prefix list)`,
      commands: [
        `aws ec2 describe-vpc-endpoints ${r} --filters Name=service-name,Values=${serviceName} Name=vpc-endpoint-type,Values=Gateway --query 'VpcEndpoints[].[VpcEndpointId,State,join(\`,\`,RouteTableIds)]' --output text`,
        `aws ec2 describe-route-tables ${r} --filters Name=route.destination-prefix-list-id,Values=$(aws ec2 describe-prefix-lists ${r} --filters Name=prefix-list-name,Values=${serviceName} --query 'PrefixLists[0].PrefixListId' --output text) --query 'RouteTables[].[RouteTableId,VpcId]' --output text`,
      ],
    },
    {
      name: 'interface',
      status: 'manual',
      message:
        'the Interface endpoint is available, has private DNS on (inbound-resolver-only when a Gateway endpoint shares the VPC), and its security group allows 443 from the VPC CIDR (and the on-premises ranges)',
      commands: [
        `aws ec2 describe-vpc-endpoints ${r} --vpc-endpoint-ids ${vpceId} --query 'VpcEndpoints[].[State,PrivateDnsEnabled,VpcId,join(\`,\`,Groups[].GroupId)]' --output text`,
        `aws ec2 describe-security-groups ${r} --group-ids SG_ID --query 'SecurityGroups[].IpPermissions[?FromPort<=\`443\` && ToPort>=\`443\`].IpRanges[].CidrIp' --output text`,
        `aws ec2 describe-vpcs ${r} --vpc-ids VPC_ID --query 'Vpcs[].CidrBlockAssociationSet[].CidrBlock' --output text`,
      ],
    },
    {
      name: 'endpoint-policy',
      status: 'manual',
      message: 'each endpoint policy lets the endpoint reach only the service buckets (compare with the generated one)',
      commands: [
        `aws ec2 describe-vpc-endpoints ${r} --vpc-endpoint-ids ${vpceId} --query 'VpcEndpoints[0].PolicyDocument' --output text`,
        `s3-presign policy --json --vpce-id ${vpceId} | node -pe 'JSON.stringify(JSON.parse(require("fs").readFileSync(0)).endpointPolicy, null, 2)'`,
      ],
    },
    {
      name: 'service-role',
      status: 'manual',
      message: `the service role allows exactly ${actions.join(', ')} on the callers' keys and s3:ListBucket on the buckets; s3:DeleteObject must come back implicitDeny`,
      commands: [
        `aws iam simulate-principal-policy --policy-source-arn ${roleArn} --action-names ${actions.join(' ')} s3:DeleteObject --resource-arns arn:${partition}:s3:::${bucket.startsWith('arn:') ? 'BUCKET' : bucket}/KEY_UNDER_A_CALLER_PREFIX --query 'EvaluationResults[].[EvalActionName,EvalDecision]' --output text`,
      ],
    },
    {
      name: 'direct-connect',
      status: 'manual',
      message: 'the Direct Connect private VIF is available and its BGP sessions are up',
      commands: [
        `aws directconnect describe-virtual-interfaces ${r} --query "virtualInterfaces[?virtualInterfaceType=='private'].[virtualInterfaceId,virtualInterfaceState,join(',',bgpPeers[].bgpStatus)]" --output text`,
      ],
    },
    {
      name: 'onprem-dns',
      status: 'manual',
      message: `on-premises resolvers forward ${mode.kind === 'interface' ? mode.vpceDnsName : `s3.${region}.${mode.partition.dnsSuffix}`} to a Route 53 Resolver inbound endpoint and get private addresses`,
      commands: [
        `aws route53resolver list-resolver-endpoints ${r} --filters Name=Direction,Values=INBOUND --query 'ResolverEndpoints[].[Id,Status,HostVPCId]' --output text`,
        `aws route53resolver list-resolver-endpoint-ip-addresses ${r} --resolver-endpoint-id RESOLVER_ENDPOINT_ID --query 'IpAddresses[].Ip' --output text`,
        `dig +short ${host} @INBOUND_RESOLVER_IP   # from an on-premises host: private addresses only`,
      ],
    },
    {
      name: 'backbone',
      status: 'manual',
      message:
        'verified requests stay on the AWS backbone (no public internet): the bucket-policy check above enforces it; VPC Flow Logs show it (S3 traffic only through the endpoint interfaces or the gateway route, none through a NAT gateway or internet gateway)',
      commands: [
        `aws ec2 describe-flow-logs ${r} --filter Name=resource-id,Values=VPC_ID --query 'FlowLogs[].[FlowLogId,FlowLogStatus,LogDestination]' --output text`,
        `aws logs start-query ${r} --log-group-name FLOW_LOG_GROUP --start-time $(date -d '-1 hour' +%s) --end-time $(date +%s) --query-string 'fields interfaceId, dstAddr | filter dstPort = 443 | stats sum(bytes) as bytes by interfaceId, dstAddr | sort bytes desc'`,
      ],
    },
  ];
  return items;
}
