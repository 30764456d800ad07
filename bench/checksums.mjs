// How fast each checksum algorithm's implementation runs on this machine, in MB/s (10^6 bytes
// per second): the ones the service, the embedded store and a Node client use. A client that
// checksums slower than its link uploads makes the checksum the bottleneck; 1 Gbit/s is 125 MB/s.
//
//   node bench/checksums.mjs [MiB per run, default 64] [runs, default 5]
//
// Each implementation hashes the same random buffer in 1 MiB updates (as a file read in chunks
// would be), `runs` times; the table shows the median and the best run.
import console from 'node:console';
import { createHash, randomBytes } from 'node:crypto';
import process from 'node:process';
import { crc32 } from 'node:zlib';
import { Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { Md5 } from '@aws-sdk/checksums/md5';
import { Sha512 } from '@aws-sdk/checksums/sha';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import { createXXHash128, createXXHash3, createXXHash64 } from 'hash-wasm';

const mebibytes = Number(process.argv[2] ?? 64);
const runs = Number(process.argv[3] ?? 5);
const CHUNK = 1024 * 1024;
const data = randomBytes(mebibytes * CHUNK);
const chunks = [];
for (let offset = 0; offset < data.length; offset += CHUNK) chunks.push(data.subarray(offset, offset + CHUNK));

const implementations = {
  'CRC32 (node:zlib crc32)': async () => {
    let value = 0;
    for (const chunk of chunks) value = crc32(chunk, value);
    return value;
  },
  'CRC32C (@aws-sdk/checksums Crc32c)': async () => {
    const checksum = new Crc32c();
    for (const chunk of chunks) checksum.update(chunk);
    return checksum.digest();
  },
  'CRC64NVME (@aws-sdk/checksums Crc64Nvme)': async () => {
    const checksum = new Crc64Nvme();
    for (const chunk of chunks) checksum.update(chunk);
    return checksum.digest();
  },
  'SHA-1 (node:crypto)': async () => {
    const hash = createHash('sha1');
    for (const chunk of chunks) hash.update(chunk);
    return hash.digest();
  },
  'SHA-256 (node:crypto)': async () => {
    const hash = createHash('sha256');
    for (const chunk of chunks) hash.update(chunk);
    return hash.digest();
  },
  'MD5 (node:crypto)': async () => {
    const hash = createHash('md5');
    for (const chunk of chunks) hash.update(chunk);
    return hash.digest();
  },
  'MD5 (@aws-sdk/checksums Md5)': async () => sdkDigest(new Md5()),
  'SHA-512 (node:crypto)': async () => {
    const hash = createHash('sha512');
    for (const chunk of chunks) hash.update(chunk);
    return hash.digest();
  },
  'SHA-512 (@aws-sdk/checksums Sha512)': async () => sdkDigest(new Sha512()),
  'XXHash64 (@aws-sdk/checksums Xxh64)': async () => sdkDigest(new Xxh64()),
  'XXHash3 (@aws-sdk/checksums Xxh3_64)': async () => sdkDigest(new Xxh3_64()),
  'XXHash128 (@aws-sdk/checksums Xxh3_128)': async () => sdkDigest(new Xxh3_128()),
  'XXHash64 (hash-wasm createXXHash64)': async () => wasmDigest(await createXXHash64()),
  'XXHash3 (hash-wasm createXXHash3)': async () => wasmDigest(await createXXHash3()),
  'XXHash128 (hash-wasm createXXHash128)': async () => wasmDigest(await createXXHash128()),
};

function wasmDigest(hasher) {
  hasher.init();
  for (const chunk of chunks) hasher.update(chunk);
  return hasher.digest('binary');
}

async function sdkDigest(checksum) {
  for (const chunk of chunks) checksum.update(chunk);
  return checksum.digest();
}

console.log(`node ${process.version}, ${mebibytes} MiB per run, ${runs} runs\n`);
console.log('| algorithm (implementation) | median MB/s | best MB/s |');
console.log('| --- | ---: | ---: |');
for (const [name, run] of Object.entries(implementations)) {
  await run(); // warm up: the first run compiles
  const rates = [];
  for (let index = 0; index < runs; index++) {
    const started = process.hrtime.bigint();
    await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(data.length / 1e6 / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(`| ${name} | ${median.toFixed(0)} | ${rates[rates.length - 1].toFixed(0)} |`);
}
