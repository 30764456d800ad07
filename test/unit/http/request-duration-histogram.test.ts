// The service's request-duration histogram against prom-client's own Histogram: fed the same
// observations, each registry renders the same text and the same JSON, byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';

import { RequestDurationHistogram } from '../../../src/http/request-duration-histogram.js';

const NAME = 's3presign_http_request_duration_seconds';
const HELP = 'HTTP request duration by route and status';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Observation = [method: string, route: string, status: number, seconds: number];

function bothHistograms() {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = new RequestDurationHistogram({ name: NAME, help: HELP, buckets: BUCKETS, registry: ours });
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const observe = ([method, route, status, seconds]: Observation) => {
    histogram.observe(method, route, status, seconds);
    reference.observe({ method, route, status: String(status) }, seconds);
  };
  return { ours, theirs, histogram, observe };
}

async function assertSameRendering(ours: Registry, theirs: Registry): Promise<void> {
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
}

const seconds = fc.oneof(
  fc.constantFrom(0, ...BUCKETS, 2.5000001, 30),
  fc.double({ min: 0, max: 5, noNaN: true }),
  fc.double({ min: 0, max: 0.002, noNaN: true }),
);
const observation: fc.Arbitrary<Observation> = fc.tuple(
  fc.constantFrom('GET', 'POST', 'OPTIONS', 'HEAD'),
  fc.constantFrom(
    '/presign',
    '/uploads',
    '/multipart/parts',
    '/healthz',
    'unmatched',
    '/s3/multipart/:uploadId/:partNumber',
  ),
  fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 429, 500, 503),
  seconds,
);

describe('RequestDurationHistogram', () => {
  it('renders what prom-client’s Histogram renders for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const { ours, theirs, observe } = bothHistograms();
        observations.forEach(observe);
        await assertSameRendering(ours, theirs);
      }),
      { numRuns: 500 },
    );
  });

  it('renders an observation on a bucket’s bound in that bucket, and one past the last only in +Inf', async () => {
    const { ours, theirs, observe } = bothHistograms();
    observe(['POST', '/presign', 200, 0.001]);
    observe(['POST', '/presign', 200, 0.0010001]);
    observe(['POST', '/presign', 200, 3]);
    await assertSameRendering(ours, theirs);
    const text = await ours.metrics();
    assert.match(text, /_bucket\{le="0\.001",method="POST",route="\/presign",status="200"\} 1\n/);
    assert.match(text, /_bucket\{le="0\.0025",method="POST",route="\/presign",status="200"\} 2\n/);
    assert.match(text, /_bucket\{le="2\.5",method="POST",route="\/presign",status="200"\} 2\n/);
    assert.match(text, /_bucket\{le="\+Inf",method="POST",route="\/presign",status="200"\} 3\n/);
    assert.match(text, /_count\{method="POST",route="\/presign",status="200"\} 3\n/);
  });

  it('starts again from nothing when the registry resets its metrics', async () => {
    const { ours, theirs, observe } = bothHistograms();
    observe(['GET', '/healthz', 200, 0.01]);
    ours.resetMetrics();
    theirs.resetMetrics();
    await assertSameRendering(ours, theirs);
    observe(['GET', '/healthz', 503, 0.2]);
    await assertSameRendering(ours, theirs);
    assert.doesNotMatch(await ours.metrics(), /status="200"/);
  });

  it('leaves out a duration that is not a number, where prom-client would throw', async () => {
    const { ours, histogram } = bothHistograms();
    histogram.observe('GET', '/healthz', 200, Number.NaN);
    histogram.observe('GET', '/healthz', 200, Number.POSITIVE_INFINITY);
    assert.doesNotMatch(await ours.metrics(), /_count/);
  });
});
