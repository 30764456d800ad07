// AWS partitions as the S3 endpoint rules see them, written out here rather than taken
// from the SDK so that the validator derives hosts without trusting the signer's code.
// Regex and DNS suffixes follow AWS's partitions.json.

export interface Partition {
  name: 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' | 'aws-iso-b' | 'aws-iso-e' | 'aws-iso-f' | 'aws-eusc';
  dnsSuffix: string;
  supportsFips: boolean;
  supportsDualStack: boolean;
  supportsAccelerate: boolean;
}

const PARTITIONS: ReadonlyArray<Partition & { regionPattern: RegExp }> = [
  {
    name: 'aws-us-gov',
    regionPattern: /^us-gov-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    supportsFips: true,
    supportsDualStack: true,
    supportsAccelerate: false,
  },
  {
    name: 'aws-cn',
    regionPattern: /^cn-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com.cn',
    supportsFips: false,
    supportsDualStack: true,
    supportsAccelerate: false,
  },
  {
    name: 'aws-iso',
    regionPattern: /^us-iso-\w+-\d+$/,
    dnsSuffix: 'c2s.ic.gov',
    supportsFips: true,
    supportsDualStack: false,
    supportsAccelerate: false,
  },
  {
    name: 'aws-iso-b',
    regionPattern: /^us-isob-\w+-\d+$/,
    dnsSuffix: 'sc2s.sgov.gov',
    supportsFips: true,
    supportsDualStack: false,
    supportsAccelerate: false,
  },
  {
    name: 'aws-iso-e',
    regionPattern: /^eu-isoe-\w+-\d+$/,
    dnsSuffix: 'cloud.adc-e.uk',
    supportsFips: true,
    supportsDualStack: false,
    supportsAccelerate: false,
  },
  {
    name: 'aws-iso-f',
    regionPattern: /^us-isof-\w+-\d+$/,
    dnsSuffix: 'csp.hci.ic.gov',
    supportsFips: true,
    supportsDualStack: false,
    supportsAccelerate: false,
  },
  {
    name: 'aws-eusc',
    regionPattern: /^eusc-(de)-\w+-\d+$/,
    dnsSuffix: 'amazonaws.eu',
    supportsFips: true,
    supportsDualStack: false,
    supportsAccelerate: false,
  },
  {
    name: 'aws',
    regionPattern: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    supportsFips: true,
    supportsDualStack: true,
    supportsAccelerate: true,
  },
];

/** Pseudo-regions that name the legacy global endpoint: never a pinned route. */
export const GLOBAL_REGIONS: ReadonlySet<string> = new Set(['aws-global', 's3-external-1', 'global']);

/**
 * The partition a real AWS region belongs to, or undefined for anything that is not a
 * region name (typos, `aws-global`, FIPS pseudo-regions such as `fips-us-east-1`).
 */
export function partitionOfRegion(region: string): Partition | undefined {
  const match = PARTITIONS.find((p) => p.regionPattern.test(region));
  if (!match) return undefined;
  const { regionPattern: _pattern, ...partition } = match;
  return partition;
}
