// The validator's UriEncode (built-in encoders, then escapes) against the signers' (a
// table-driven loop), on object keys and on values, each alternated with the other in one
// process. After npm run build:   node bench/uri-encoding.mjs [--runs=7] [--calls=1000000]
// Nothing here asserts a timing; it prints ns per call, the median of the runs, and the ratio.
import console from 'node:console';
import { performance } from 'node:perf_hooks';
import { encodeObjectKey, uriEncode } from '../dist/endpoint/s3-uri-encoding.js';
import { encodeKeyPath, uriEncode as signerUriEncode } from '../dist/presign/sigv4-encoding.js';
import { commandLineOptions } from './options.mjs';

const options = commandLineOptions();
const RUNS = Number(options.runs ?? 7);
const CALLS = Number(options.calls ?? 1_000_000);

// Keys as uploads name them, and one in six with characters both encoders must escape.
const PLAIN = [
  'uploads/2026/03/01/report.pdf',
  'users/42/avatar.png',
  'a b/c.txt',
  'photos/café/été.jpg',
  'data/x.csv',
];
const WITH_RESERVED = [...PLAIN, "shared/it's (v2)*!.txt"];

function nsPerCall(encode, inputs) {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) sink += encode(inputs[i % inputs.length]).length;
  if (sink === 0) throw new Error('nothing encoded');
  return ((performance.now() - start) * 1e6) / CALLS;
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const [name, validator, signer, inputs] of [
  ['object keys, plain', encodeObjectKey, encodeKeyPath, PLAIN],
  ["object keys, 1 in 6 with !'()*", encodeObjectKey, encodeKeyPath, WITH_RESERVED],
  ['values, plain', uriEncode, signerUriEncode, PLAIN],
]) {
  const ours = [];
  const theirs = [];
  for (let run = 0; run < RUNS; run++) {
    ours.push(nsPerCall(validator, inputs));
    theirs.push(nsPerCall(signer, inputs));
  }
  const [a, b] = [median(ours), median(theirs)];
  console.log(`${name}: validator ${a.toFixed(0)} ns, signers ${b.toFixed(0)} ns, ratio ${(a / b).toFixed(2)}`);
}
