// docs/coming-from-boto3.md, checked with the tools it is about: the page's own code blocks run
// under Debian's boto3 and AWS CLI (fake static credentials; presigning needs no network), and
// what they mint goes to POST /verify of an in-process app in regional mode, in us-east-1 and in
// eu-west-3. The settings the page recommends pass; boto3's defaults are refused with
// URL_GLOBAL_ENDPOINT, as the page says; and its table of what each setting mints is what the
// tools mint.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { awsToolsMissing, pageBlock, runBash, runPython, toolEnvironment } from '../aws-tools.js';
import { startAwsModeApp } from '../helpers.js';

const PAGE = new URL('../../docs/coming-from-boto3.md', import.meta.url);
const REGIONS = ['us-east-1', 'eu-west-3'] as const;

interface Report {
  valid: boolean;
  failures: Array<{ code: string; message: string }>;
  bucket?: string;
  key?: string;
  region?: string;
  addressing?: string;
}

async function verifier(t: TestContext, region: string) {
  const { app } = await startAwsModeApp(t, { S3_REGION: region, S3_BUCKETS: 'my-bucket' });
  return async (payload: object): Promise<Report> => {
    const response = await (app as FastifyInstance).inject({ method: 'POST', url: '/verify', payload });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  };
}

const codes = (report: Report) => report.failures.map((failure) => failure.code);

for (const region of REGIONS) {
  test(
    `${region}: boto3 and the AWS CLI, set as the page says, mint what /verify accepts`,
    { skip: awsToolsMissing(), timeout: 120_000 },
    async (t) => {
      const verify = await verifier(t, region);
      const env = toolEnvironment({ S3_REGION: region });

      const boto3 = await pageBlock(PAGE, 'boto3-regional');
      assert.equal(boto3.language, 'python');
      const minted = JSON.parse(await runPython(boto3.code, env)) as {
        url: string;
        form: { url: string; fields: Record<string, string> };
      };
      assert.equal(new URL(minted.url).host, `my-bucket.s3.${region}.amazonaws.com`);
      const urlReport = await verify({ url: minted.url });
      assert.deepEqual(urlReport.failures, []);
      assert.equal(urlReport.valid, true);
      assert.equal(urlReport.key, 'reports/q3.pdf');
      assert.equal(urlReport.region, region);
      // generate_presigned_post's answer as it is, lowercase field names and all.
      assert.equal(minted.form.url, `https://my-bucket.s3.${region}.amazonaws.com/`);
      assert.ok('x-amz-signature' in minted.form.fields);
      const formReport = await verify(minted.form);
      assert.deepEqual(formReport.failures, []);
      assert.equal(formReport.key, 'reports/q3.pdf');

      const awsCli = await pageBlock(PAGE, 'aws-cli');
      assert.equal(awsCli.language, 'sh');
      const cliUrl = (await runBash(awsCli.code, env)).trim();
      assert.equal(new URL(cliUrl).host, `my-bucket.s3.${region}.amazonaws.com`);
      assert.deepEqual((await verify({ url: cliUrl })).failures, []);
      // The same command for a bucket the service does not sign for: reported, not passed.
      const otherBucket = (await runBash(awsCli.code.replace('s3://my-bucket/', 's3://other-bucket/'), env)).trim();
      assert.deepEqual(codes(await verify({ url: otherBucket })), ['URL_BUCKET_NOT_ALLOWED']);

      const defaults = await pageBlock(PAGE, 'boto3-default');
      const refused = await verify(JSON.parse(await runPython(defaults.code, env)));
      assert.equal(refused.valid, false);
      assert.equal(codes(refused)[0], 'URL_GLOBAL_ENDPOINT');
      // In us-east-1 boto3's default signature is SigV2, which the page says too.
      assert.equal(codes(refused).includes('URL_ALGORITHM'), region === 'us-east-1');
    },
  );
}

test(
  "the page's ~/.aws/config settings and --endpoint-url give the AWS CLI the regional endpoint",
  { skip: awsToolsMissing(), timeout: 60_000 },
  async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 's3-presign-awscli-'));
    t.after(() => rm(directory, { recursive: true, force: true }));
    const config = await pageBlock(PAGE, 'aws-config');
    assert.equal(config.language, 'ini');
    await writeFile(join(directory, 'config'), config.code);
    for (const region of REGIONS) {
      const verify = await verifier(t, region);
      const url = await runBash(
        `aws s3 presign s3://my-bucket/reports/q3.pdf --region ${region} --endpoint-url https://s3.${region}.amazonaws.com --expires-in 900`,
        toolEnvironment({ AWS_CONFIG_FILE: join(directory, 'config') }),
      );
      assert.deepEqual((await verify({ url: url.trim() })).failures, [], region);
    }
  },
);

/** Each row of the page's table, as the tool is called for it. */
const BOTO3_ROWS: Record<string, string> = {
  "boto3, `boto3.client('s3', region_name=region)`": '{}',
  "boto3, `Config(signature_version='s3v4', s3={'addressing_style': 'virtual'})`":
    "{'config': Config(signature_version='s3v4', s3={'addressing_style': 'virtual'})}",
  "the same, with `'us_east_1_regional_endpoint': 'regional'`":
    "{'config': Config(signature_version='s3v4', s3={'addressing_style': 'virtual', 'us_east_1_regional_endpoint': 'regional'})}",
  "the same, with `endpoint_url=f'https://s3.{region}.amazonaws.com'`":
    "{'endpoint_url': f'https://s3.{region}.amazonaws.com', 'config': Config(signature_version='s3v4', s3={'addressing_style': 'virtual'})}",
};
const CLI_ROWS: Record<string, Record<string, string>> = {
  'AWS CLI 2, `aws s3 presign s3://my-bucket/… --region R`': {},
};

/** What the table says a URL looks like: its host, and ", SigV2" when it is not SigV4. */
const cell = (url: string) => {
  const parsed = new URL(url);
  return `\`${parsed.host}\`${parsed.searchParams.has('AWSAccessKeyId') ? ', SigV2' : ''}`;
};

test(
  "the page's table is what boto3 and the AWS CLI mint, URLs and forms alike",
  { skip: awsToolsMissing(), timeout: 120_000 },
  async () => {
    const text = await readFile(PAGE, 'utf8');
    const rows = text
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| settings') && !line.startsWith('| ---'))
      .map((line) => line.split(' | ').map((part) => part.replace(/^\| |\s*\|?$/g, '').trim()));
    assert.deepEqual(
      rows.map((row) => row[0]),
      [...Object.keys(BOTO3_ROWS), ...Object.keys(CLI_ROWS)],
    );

    const program = [
      'import json, boto3',
      'from botocore.config import Config',
      'out = {}',
      `for region in ${JSON.stringify(REGIONS)}:`,
      ...Object.entries(BOTO3_ROWS).map(
        ([row, settings]) =>
          `    s3 = boto3.client('s3', region_name=region, **${settings})\n` +
          `    out[${JSON.stringify(row)} + region] = [s3.generate_presigned_url('get_object', Params={'Bucket': 'my-bucket', 'Key': 'k'}), s3.generate_presigned_post('my-bucket', 'k')['url']]`,
      ),
      'print(json.dumps(out))',
    ].join('\n');
    const boto3 = JSON.parse(await runPython(program, toolEnvironment())) as Record<string, [string, string]>;
    for (const [row, us, eu] of rows) {
      const label = row as string;
      for (const [index, region] of REGIONS.entries()) {
        const written = [us, eu][index];
        if (label in BOTO3_ROWS) {
          const [url, formUrl] = boto3[label + region] as [string, string];
          assert.equal(cell(url), written, `${label} in ${region}`);
          assert.equal(
            new URL(formUrl).host,
            new URL(url).host,
            `${label} in ${region}: the form goes where the URL does`,
          );
        } else {
          const url = await runBash(
            `aws s3 presign s3://my-bucket/k --region ${region}`,
            toolEnvironment(CLI_ROWS[label]),
          );
          assert.equal(cell(url.trim()), written, `${label} in ${region}`);
        }
      }
    }
  },
);
