// The Grafana dashboard (deploy/grafana/s3-presign.json) against Grafana's published dashboard
// schema. @grafana/schema ships it as TypeScript types generated from Grafana's CUE schema (no
// JSON Schema), so the JSON is type-checked as a literal: the dashboard against `Dashboard`,
// each panel against `Panel` with its plugin's own `Options` and `FieldConfig` (timeseries,
// stat, state-timeline). Unknown fields, wrong types and values outside an enum all fail.
// Whether each query returns series is test/integration/prometheus.test.ts's job.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { inMemoryProgram } from '../../scripts/deploy-checks/in-memory-program.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DASHBOARD_FILE = new URL('../../deploy/grafana/s3-presign.json', import.meta.url);

const PANEL_CONFIG = 'node_modules/@grafana/schema/dist/esm/raw/composable';
/** Each panel plugin the dashboard may use: the module of its generated types. */
const PANEL_TYPES: Record<string, { module: string; fieldConfig: boolean }> = {
  timeseries: { module: `${PANEL_CONFIG}/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen`, fieldConfig: true },
  stat: { module: `${PANEL_CONFIG}/stat/panelcfg/x/StatPanelCfg_types.gen`, fieldConfig: false },
  'state-timeline': {
    module: `${PANEL_CONFIG}/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen`,
    fieldConfig: true,
  },
};

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>;
}

function dashboardPanels(): DashboardPanel[] {
  return (JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: DashboardPanel[] }).panels;
}

/** TypeScript source that holds `dashboard` to Grafana's types, each panel to its plugin's. */
function typedSource(dashboard: { panels: Array<{ type: string }> }): string {
  const lines = ["import type { Dashboard, FieldConfig, FieldConfigSource, Panel, RowPanel } from '@grafana/schema';"];
  Object.entries(PANEL_TYPES).forEach(([, { module }], index) => {
    lines.push(
      `import type * as Plugin${index} from '@grafana/schema/${module.replace('node_modules/@grafana/schema/', '')}';`,
    );
  });
  lines.push(
    // The types declare Grafana's string enums as TypeScript enums; in JSON they are their values.
    'type Json<T> = T extends string ? `${T}` : T extends readonly (infer E)[] ? Json<E>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
    'type PanelOf<Options, Custom> = Json<',
    "  Omit<Panel, 'options' | 'fieldConfig'> & {",
    '    options: Options;',
    "    fieldConfig: Omit<FieldConfigSource, 'defaults'> & { defaults: Omit<FieldConfig, 'custom'> & { custom?: Custom } };",
    '  }',
    '>;',
    `export const dashboard = ${JSON.stringify({ ...dashboard, panels: [] })} satisfies Json<Dashboard>;`,
  );
  const types = Object.keys(PANEL_TYPES);
  dashboard.panels.forEach((panel, index) => {
    const literal = JSON.stringify(panel);
    if (panel.type === 'row') {
      lines.push(`export const panel${index} = ${literal} satisfies Json<RowPanel>;`);
      return;
    }
    const plugin = types.indexOf(panel.type);
    const config = PANEL_TYPES[panel.type];
    if (plugin < 0 || !config) {
      lines.push(`export const panel${index}: never = ${JSON.stringify(`unknown panel type ${panel.type}`)};`);
      return;
    }
    const custom = config.fieldConfig ? `Plugin${plugin}.FieldConfig` : 'never';
    lines.push(`export const panel${index} = ${literal} satisfies PanelOf<Plugin${plugin}.Options, ${custom}>;`);
  });
  return lines.join('\n');
}

/** Type-checks each named source; returns its diagnostics as text, by name. */
function typeCheck(sources: Record<string, string>): Record<string, string[]> {
  const files = new Map(Object.entries(sources).map(([name, text]) => [`${ROOT}deploy/grafana/${name}.ts`, text]));
  const program = inMemoryProgram(files);
  const result: Record<string, string[]> = {};
  for (const [file] of files) {
    const name = file.slice(`${ROOT}deploy/grafana/`.length, -3);
    result[name] = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').slice(0, 400));
  }
  return result;
}

test('the dashboard is valid against Grafana’s dashboard and panel schemas (@grafana/schema), and a broken one is not', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
  const broken = structuredClone(dashboard);
  // Three mistakes a hand edit makes: a misspelt option, a value outside an enum, a missing field.
  const timeseries = broken.panels.find((panel: { type: string }) => panel.type === 'timeseries');
  timeseries.options.legend.placment = 'right';
  const stat = broken.panels.find((panel: { type: string }) => panel.type === 'stat');
  stat.options.colorMode = 'rainbow';
  delete broken.panels.find((panel: { type: string }) => panel.type === 'state-timeline').gridPos.h;

  const diagnostics = typeCheck({ dashboard: typedSource(dashboard), broken: typedSource(broken) });
  assert.deepEqual(diagnostics.dashboard, []);
  const found = (diagnostics.broken ?? []).join('\n');
  assert.match(found, /placment/);
  assert.match(found, /rainbow/);
  assert.match(found, /Property 'h' is missing/);
});

test('every panel: a unique id, inside the 24-column grid, and Prometheus queries through the dashboard’s data source', () => {
  const panels = dashboardPanels();
  assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length, 'panel ids are unique');
  for (const panel of panels) {
    assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the grid`);
    if (panel.type === 'row') continue;
    assert.ok(panel.title, 'every panel has a title');
    assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
    const targets = panel.targets ?? [];
    assert.ok(targets.length > 0, `${panel.title} has a query`);
    assert.equal(new Set(targets.map((target) => target.refId)).size, targets.length, `${panel.title}: refIds`);
    for (const target of targets) {
      assert.ok(/\bs3presign_|\bnodejs_/.test(target.expr), `${panel.title}: ${target.expr}`);
      // Scoped to the chosen job and instance, like every other panel.
      assert.match(target.expr, /job=~"\$job", instance=~"\$instance"/, `${panel.title}: ${target.expr}`);
    }
  }
});
