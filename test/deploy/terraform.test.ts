// deploy/terraform/ cannot be planned here (no Terraform, no AWS). What can be checked is:
// every file parses as HCL (HashiCorp's own parser, compiled to wasm in @cdktn/hcl2json),
// every reference names something declared, the example's variables are the module's, the
// attached policies are the generator's output for the example configuration, and the
// outputs feed the service's configuration.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { UPLOAD_LIFETIME_SECONDS } from '../../src/multipart/upload-lifetime.js';
import { cli } from '../cli/run.js';

const MODULE = fileURLToPath(new URL('../../deploy/terraform/', import.meta.url));

/** The command in deploy/terraform/README.md that wrote policies/policies.json.tftpl. */
const GENERATE = [
  'policy',
  '--mode',
  'regional',
  '--region',
  'eu-west-1',
  '--bucket',
  'example-uploads',
  '--vpce-id',
  '${gateway_vpce_id}',
  '--vpce-id',
  '${interface_vpce_id}',
  '--admin-arn',
  'arn:aws:iam::111122223333:role/StorageAdmin',
  '--clients',
  'deploy/terraform/example/clients.yaml',
  '--json',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed HCL, walked by key; the assertions check the shapes
type Hcl = Record<string, any>;

// Loaded untyped on purpose: its declarations pull in the DOM lib (`/// <reference lib="dom" />`),
// which would retype fetch() for every other file of the project.
const { parse } = createRequire(import.meta.url)('@cdktn/hcl2json') as {
  parse: (filename: string, contents: string) => Promise<Hcl>;
};

async function parseModule(): Promise<Map<string, Hcl>> {
  const files = (await readdir(MODULE)).filter((name) => name.endsWith('.tf')).sort();
  const parsed = new Map<string, Hcl>();
  for (const name of files) parsed.set(name, await parse(name, await readFile(join(MODULE, name), 'utf8')));
  return parsed;
}

function merged(files: Map<string, Hcl>, block: string): Hcl {
  const result: Hcl = {};
  for (const file of files.values()) {
    for (const [key, value] of Object.entries(file[block] ?? {})) {
      if (block === 'resource' || block === 'data') result[key] = { ...(result[key] ?? {}), ...(value as Hcl) };
      else result[key] = value;
    }
  }
  return result;
}

/** Every expression string in a parsed file (literal strings carry no `${`). */
function expressions(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes('${') || value.includes('%{')) out.push(value);
  } else if (Array.isArray(value)) {
    for (const entry of value) expressions(entry, out);
  } else if (value && typeof value === 'object') {
    for (const entry of Object.values(value)) expressions(entry, out);
  }
  return out;
}

describe('deploy/terraform', async () => {
  const files = await parseModule();
  const variables = merged(files, 'variable');
  const resources = merged(files, 'resource');
  const data = merged(files, 'data');
  const outputs = merged(files, 'output');
  const locals = Object.assign({}, ...[...files.values()].flatMap((file) => file.locals ?? []));
  const resource = (type: string, name: string): Hcl => {
    const block = resources[type]?.[name]?.[0];
    assert.ok(block, `resource ${type}.${name} is declared`);
    return block;
  };

  it('every .tf file parses as HCL', () => {
    assert.deepEqual([...files.keys()], ['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
  });

  it('every reference names a declared variable, local, resource or data source; every variable is used', () => {
    const all = [...files.values()].flatMap((file) => expressions(file));
    const used = new Set<string>();
    for (const expression of all) {
      const withoutData = expression.replace(/\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)/g, (_match, type, name) => {
        assert.ok(data[type]?.[name], `data.${type}.${name} is declared`);
        return '';
      });
      for (const [, kind, name] of withoutData.matchAll(/\b(var|local)\.([a-z0-9_]+)/g)) {
        if (kind === 'var') {
          assert.ok(variables[name as string], `var.${name} is declared`);
          used.add(name as string);
        } else {
          assert.ok((name as string) in locals, `local.${name} is declared`);
        }
      }
      for (const [, type, name] of withoutData.matchAll(/\b(aws_[a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        assert.ok(resources[type as string]?.[name as string], `${type}.${name} is declared`);
      }
    }
    assert.deepEqual(
      Object.keys(variables).filter((name) => !used.has(name)),
      [],
    );
  });

  it('the example sets only declared variables, and every one without a default', async () => {
    const example = await parse('terraform.tfvars', await readFile(join(MODULE, 'example/terraform.tfvars'), 'utf8'));
    for (const name of Object.keys(example)) assert.ok(variables[name], `${name} is a variable of the module`);
    const required = Object.entries(variables)
      .filter(([, blocks]) => !('default' in (blocks as Hcl[])[0]!))
      .map(([name]) => name);
    assert.deepEqual(
      required.filter((name) => !(name in example)),
      [],
    );
  });

  it('policies/policies.json.tftpl is exactly what `s3-presign policy` prints for the example', async () => {
    const generated = await cli(GENERATE);
    assert.equal(generated.code, 0, generated.stderr);
    const onDisk = await readFile(join(MODULE, 'policies/policies.json.tftpl'), 'utf8');
    assert.equal(onDisk, generated.stdout);
    // templatefile() would read any other ${…} or %{…} as its own.
    assert.deepEqual(
      [...onDisk.matchAll(/[$%]\{[^}]*\}/g)].map((match) => match[0]),
      ['${gateway_vpce_id}', '${interface_vpce_id}'],
    );
    const readme = await readFile(join(MODULE, 'README.md'), 'utf8');
    assert.ok(
      readme.replace(/\\\n\s*/g, '').includes(GENERATE.map((arg) => (arg.includes('$') ? `'${arg}'` : arg)).join(' ')),
      'the README shows the command that generated the file',
    );
  });

  it('attaches the generated policies: bucket, both endpoints, the service role', () => {
    assert.match(
      locals.policies,
      /^\$\{jsondecode\(templatefile\("\$\{path\.module\}\/policies\/policies\.json\.tftpl", \{\s*gateway_vpce_id\s*= aws_vpc_endpoint\.gateway\.id\s*interface_vpce_id\s*= aws_vpc_endpoint\.interface\.id\s*\}\)\)\}$/,
    );
    assert.equal(
      resource('aws_s3_bucket_policy', 'private_route').policy,
      '${jsonencode(local.policies.bucketPolicy)}',
    );
    assert.equal(resource('aws_s3_bucket_policy', 'private_route').bucket, '${var.bucket_name}');
    for (const name of ['gateway', 'interface']) {
      const attached = resource('aws_vpc_endpoint_policy', name);
      assert.equal(attached.policy, '${jsonencode(local.policies.endpointPolicy)}');
      assert.equal(attached.vpc_endpoint_id, `\${aws_vpc_endpoint.${name}.id}`);
    }
    assert.equal(resource('aws_iam_role_policy', 'service').policy, '${jsonencode(local.policies.servicePolicy)}');
    assert.equal(resource('aws_iam_role_policy', 'service').role, '${aws_iam_role.service.id}');
  });

  it("aborts abandoned multipart uploads after the upload ID's lifetime, from the generated file", async () => {
    const lifecycle = resource('aws_s3_bucket_lifecycle_configuration', 'abandoned_uploads');
    assert.equal(lifecycle.bucket, '${var.bucket_name}');
    const rule = lifecycle.dynamic.rule[0];
    assert.equal(rule.for_each, '${local.policies.lifecycleConfiguration.Rules}');
    const content = rule.content[0];
    assert.deepEqual(
      [content.id, content.status, content.filter[0].prefix],
      ['${rule.value.ID}', '${rule.value.Status}', '${rule.value.Filter.Prefix}'],
    );
    assert.equal(
      content.abort_incomplete_multipart_upload[0].days_after_initiation,
      '${rule.value.AbortIncompleteMultipartUpload.DaysAfterInitiation}',
    );
    // The file's age: the upload ID's lifetime in whole days, never shorter, less than a day longer.
    const template = JSON.parse(await readFile(join(MODULE, 'policies/policies.json.tftpl'), 'utf8'));
    const [only, ...others] = template.lifecycleConfiguration.Rules;
    assert.deepEqual(others, []);
    assert.deepEqual([only.Status, only.Filter], ['Enabled', { Prefix: '' }]);
    const days = only.AbortIncompleteMultipartUpload.DaysAfterInitiation;
    assert.ok(days * 86_400 >= UPLOAD_LIFETIME_SECONDS && (days - 1) * 86_400 < UPLOAD_LIFETIME_SECONDS, `${days}`);
  });

  it("follows the seed's setup: gateway on the route tables, interface with private DNS and 443 from the VPC", () => {
    const gateway = resource('aws_vpc_endpoint', 'gateway');
    assert.equal(gateway.vpc_endpoint_type, 'Gateway');
    assert.equal(gateway.route_table_ids, '${var.route_table_ids}');
    const iface = resource('aws_vpc_endpoint', 'interface');
    assert.equal(iface.vpc_endpoint_type, 'Interface');
    assert.equal(iface.private_dns_enabled, true);
    assert.deepEqual(iface.security_group_ids, ['${aws_security_group.interface_endpoint.id}']);
    const ingress = resource('aws_security_group', 'interface_endpoint').ingress[0];
    assert.deepEqual([ingress.from_port, ingress.to_port, ingress.protocol], [443, 443, 'tcp']);
    assert.match(ingress.cidr_blocks, /data\.aws_vpc\.this\.cidr_block/);
    assert.equal(resource('aws_route53_resolver_endpoint', 'inbound').direction, 'INBOUND');
    assert.ok(variables.dx_private_vif_id && variables.dx_virtual_gateway_id, 'the Direct Connect VIF is an input');
  });

  it("its outputs feed the service's configuration", () => {
    assert.equal(outputs.s3_vpce_dns_name[0].value, '${aws_vpc_endpoint.interface.dns_entry[0].dns_name}');
    assert.equal(outputs.service_role_arn[0].value, '${aws_iam_role.service.arn}');
    // The endpoint's first DNS entry has the console's wildcard form, which S3_VPCE_DNS_NAME takes.
    const result = loadConfig(
      {
        S3_ENDPOINT_MODE: 'interface',
        S3_REGION: 'eu-west-1',
        S3_VPCE_DNS_NAME: '*.vpce-0123456789abcdef0-abcdefgh.s3.eu-west-1.vpce.amazonaws.com',
        S3_BUCKETS: 'example-uploads',
      },
      { requireCallers: false },
    );
    assert.ok(result.ok && result.config.mode.kind === 'interface');
    assert.equal(
      result.ok && result.config.mode.kind === 'interface' && result.config.mode.vpceDnsName,
      'vpce-0123456789abcdef0-abcdefgh.s3.eu-west-1.vpce.amazonaws.com',
    );
  });
});
