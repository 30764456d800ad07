// The multipart flows (test/flows/multipart.ts) against the embedded store.
import { multipartFlows } from '../flows/multipart.js';
import { embeddedStore } from '../stores.js';

multipartFlows(embeddedStore);
