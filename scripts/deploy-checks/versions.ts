// Image references pinned to an exact release, and package.json's engines read as ranges.

/** Images whose releases are numbered major.minor (SeaweedFS 4.48): two parts are exact there. */
const TWO_PART_RELEASES = new Set(['chrislusf/seaweedfs']);

/** Why the reference is not pinned to an exact release or a digest, or undefined. */
export function imagePinProblem(image: string): string | undefined {
  const [reference = image, digest] = image.split('@');
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) return `${image}: malformed digest`;
  const lastSegment = reference.split('/').pop() ?? reference;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (digest !== undefined) return undefined;
  if (!tag) return `${image}: no tag (means "latest"); pin a version`;
  if (tag === 'latest') return `${image}: "latest" is not a version; pin one`;
  // A moving tag (`26-trixie-slim`, `lts`, `v2`) names whatever was published last; an exact
  // release has all three version parts (or a release date stamp).
  const repository = reference.slice(0, reference.length - tag.length - 1);
  const exact = TWO_PART_RELEASES.has(repository) ? /^\d+\.\d+$/ : /\d+\.\d+\.\d+|\d{4}-\d{2}-\d{2}/;
  if (!exact.test(tag)) return `${image}: "${tag}" is a moving tag; pin an exact release (x.y.z) or a digest`;
  return undefined;
}

export interface EngineRange {
  lowest: number[];
  below: number[];
  text: string;
}

/** package.json `engines.node` as [lowest, below) pairs: ">=20.19.0 <21 || >=22.13.0 <23". */
export function engineRanges(engines: string): EngineRange[] {
  return engines.split('||').map((text) => {
    const lowest = />=\s*(\d+(?:\.\d+){0,2})/.exec(text)?.[1];
    const below = /<\s*(\d+(?:\.\d+){0,2})/.exec(text)?.[1];
    const parts = (version: string | undefined) => (version ?? '').split('.').map(Number);
    return { lowest: parts(lowest), below: below ? parts(below) : [Infinity], text: text.trim() };
  });
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
