// The key an anonymous client is counted under: its address as TRUST_PROXY reads it, with
// IPv6 clients counted by their /64. A single IPv6 host usually holds a whole /64 (SLAAC and
// privacy addresses rotate inside it), so counting by address would give it 2^64 budgets.
import ipaddr from 'ipaddr.js';

/** What a client that gives no usable address is counted under: all such clients share one budget. */
export const UNPARSED_ADDRESS_KEY = 'unparsed-address';

/**
 * `203.0.113.7` → `203.0.113.7`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`; an IPv4-mapped
 * `::ffff:203.0.113.7` (a dual-stack socket's view of an IPv4 client) → `203.0.113.7`.
 * Anything else (a trusted proxy may forward what it was sent) → UNPARSED_ADDRESS_KEY.
 */
export function clientAddressKey(address: string): string {
  // The longest textual address (IPv4-mapped IPv6 with a zone) is well under 100 characters.
  if (address.length > 100 || !ipaddr.isValid(address)) return UNPARSED_ADDRESS_KEY;
  // process(): parses, and turns an IPv4-mapped IPv6 address into the IPv4 address it maps.
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const [a, b, c, d] = (parsed as ipaddr.IPv6).parts as [number, number, number, number];
  return `${[a, b, c, d].map((part) => part.toString(16)).join(':')}::/64`;
}
