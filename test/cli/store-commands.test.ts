// `doctor` and `upload` against the embedded store (test/flows/cli.ts).
import { cliFlows } from '../flows/cli.js';
import { embeddedStore } from '../stores.js';

cliFlows(embeddedStore);
