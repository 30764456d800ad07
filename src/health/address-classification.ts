import { BlockList, isIP } from 'node:net';

// An Interface VPC endpoint answers from ENI addresses inside the VPC; a public address in the
// answer means traffic would leave through a NAT or gateway instead. "Private" here therefore
// means "not routable on the public internet": RFC 1918, loopback, link-local, CGNAT (which some
// VPCs use as secondary CIDRs), and the IPv6 equivalents.
const PRIVATE_RANGES: ReadonlyArray<readonly [network: string, prefix: number, type: 'ipv4' | 'ipv6']> = [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];

const privateRanges = new BlockList();
for (const [network, prefix, type] of PRIVATE_RANGES) privateRanges.addSubnet(network, prefix, type);

export interface ClassifiedAddress {
  address: string;
  family: 4 | 6;
  private: boolean;
}

/**
 * Whether an IP literal falls in a private range. IPv4-mapped IPv6 (`::ffff:10.0.0.1`,
 * `::ffff:a00:1`) is matched against the IPv4 ranges: BlockList does that mapping itself.
 * Throws on input that is not an IP address, so a hostname is never silently called public.
 */
export function isPrivateAddress(address: string): boolean {
  // A zone id (fe80::1%eth0) makes BlockList answer false rather than throw, which would turn
  // every link-local answer into "public".
  const bare = stripZone(address);
  const family = isIP(bare);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  return privateRanges.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export function classifyAddress(address: string, family?: number): ClassifiedAddress {
  const detected = isIP(stripZone(address));
  const resolvedFamily = family === 4 || family === 6 ? family : detected === 6 ? 6 : 4;
  return { address, family: resolvedFamily, private: isPrivateAddress(address) };
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}
