// The presign flows (test/flows/presign.ts) against the embedded store.
import { presignFlows } from '../flows/presign.js';
import { embeddedStore } from '../stores.js';

presignFlows(embeddedStore);
