// The cost of the request log line: the service's logger options (serializers, redaction, the
// last-line scrub) up to the write, for the hot route and for hostile URLs. In-process,
// after npm run build:   node bench/log-line.mjs [--ms=1500] [--runs=5]
// Nothing here asserts a timing; it prints µs per line, the median of the runs.
import console from 'node:console';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { loggerOptions } from '../dist/app.js';
import { loadConfig } from '../dist/config/config.js';
import { commandLineOptions } from './options.mjs';

const options = commandLineOptions();
const RUN_MS = Number(options.ms ?? 1500);
const RUNS = Number(options.runs ?? 5);

const result = loadConfig({ S3_ENDPOINT_MODE: 'local', LOG_LEVEL: 'info' });
if (!result.ok) throw new Error(result.problems.join('; '));
// A stream that reads the line's last character and drops it: the write syscall is the same
// before and after, and noisy; reading flattens pino's concatenated string, as a real write does.
let sink = 0;
const { stream, ...pinoOptions } = loggerOptions(result.config, {
  write(line) {
    sink ^= line.charCodeAt(line.length - 1);
  },
});
const logger = pino(pinoOptions, stream);

/** What the serializers read of a Fastify request and reply. */
const request = (url) => ({
  method: 'POST',
  url,
  host: '127.0.0.1:8080',
  ip: '10.0.3.14',
});
const reply = { statusCode: 200 };
const signature = 'a'.repeat(64);
const CASES = {
  'POST /presign (the hot path)': request('/presign'),
  'GET /livez?X-Amz-Signature=…': request(`/livez?X-Amz-Signature=${signature}&X-Amz-Credential=AKIA`),
  '404 with an encoded presigned URL': request(
    `/nowhere?next=${encodeURIComponent(`https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Signature=${signature}`)}`,
  ),
};

function measure(req) {
  const line = () =>
    logger.info({ req, res: reply, responseTime: 1.2, caller: 'billing-service' }, 'request completed');
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) for (let i = 0; i < 1000; i++) line();
  let count = 0;
  const start = performance.now();
  const until = start + RUN_MS;
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++) line();
    count += 1000;
  }
  return ((performance.now() - start) * 1000) / count;
}

for (const [name, req] of Object.entries(CASES)) {
  const samples = Array.from({ length: RUNS }, () => measure(req)).sort((a, b) => a - b);
  console.log(`${name.padEnd(40)} ${samples[Math.floor(RUNS / 2)].toFixed(2)} µs/line`);
}
if (sink < 0) console.log(sink);
