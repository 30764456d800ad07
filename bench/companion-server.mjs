// Uppy Companion 6.x's S3 routes in their own process, for comparison in the same run as the
// service (npm run bench). Companion is not a dependency: it is loaded from COMPANION_DIR
// (a folder where `npm install --prefix <dir> @uppy/companion@6 express@4` was run), which
// bench/run.mjs fills on demand. Listens on 127.0.0.1 only and reports its port over IPC,
// then its CPU time on request, like bench/http-server.mjs.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import { benchCredentials, BUCKET, REGION } from './workload.mjs';

const dir = process.env.COMPANION_DIR;
if (!dir) throw new Error('COMPANION_DIR is not set');
const require = createRequire(join(dir, 'package.json'));
const express = require('express');
const companion = require('@uppy/companion');

const filePath = join(dir, 'files');
mkdirSync(filePath, { recursive: true });
const credentials = benchCredentials();
const app = express();
app.use(express.json());
const { app: companionApp } = companion.app({
  s3: {
    bucket: BUCKET,
    region: REGION,
    expires: 900,
    // The same temporary credentials the service signs with: every URL carries a token.
    awsClientOptions: {
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
      },
    },
  },
  server: { host: '127.0.0.1', protocol: 'http' },
  filePath,
  secret: 'bench-companion-secret-bench-companion-secret',
  corsOrigins: true,
  uploadUrls: ['.*'],
  providerOptions: {},
  // Companion logs through its own logger; quiet it so the terminal stays readable.
  logClientVersion: false,
});
app.use(companionApp);
const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (message === 'rss') process.send({ rss: process.memoryUsage().rss });
  if (message === 'close') server.close(() => process.exit(0));
});
