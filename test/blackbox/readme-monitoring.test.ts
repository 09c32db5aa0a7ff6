import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, freePort, startChildServer, tmpDataDir, waitForExit, type ChildServer } from '../helpers/child-server';

/**
 * The README's monitoring example, run as written (only the ports changed) against the built server:
 * the walk-through's token, a receiver on loopback subscribed to the health-alert topic, a
 * blood-pressure reading of 185/95 mmHg, and the alert the receiver and the API show.
 */
jest.setTimeout(90_000);

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

function block(heading: string): string {
  const found = /```sh\n([\s\S]*?)```/.exec(README.split(heading)[1] ?? '')?.[1];
  if (!found) throw new Error(`README has no sh block under ${heading}`);
  return found;
}

describe('README monitoring example', () => {
  let server: ChildServer;
  const dataDir = tmpDataDir('fhir-readme-monitoring-');
  beforeAll(async () => {
    buildOnce();
    server = await startChildServer(dataDir, { FHIR_AUTH: 'smart' });
  });
  afterAll(async () => {
    server.proc.kill('SIGTERM');
    await waitForExit(server.proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('subscribes to blood-pressure alerts and receives the alert', async () => {
    const port = new URL(server.base).port;
    const receiverPort = await freePort();
    // the walk-through's first lines: the administrator token and the AUTH header
    const token = block('## A walk through the API').split('\n# create')[0];
    const script = `set -euo pipefail\n${token}\n${block('## Monitoring rules and alerts')}`.replaceAll('localhost:8080', `127.0.0.1:${port}`).replaceAll('127.0.0.1:9999', `127.0.0.1:${receiverPort}`).replaceAll('listen(9999', `listen(${receiverPort}`);
    const cwd = fs.mkdtempSync(path.join(dataDir, 'cwd-'));
    fs.symlinkSync(dataDir, path.join(cwd, 'data'));
    const out = execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } });
    const lines = out.trim().split('\n');
    expect(lines[0].trim()).toBe('handshake');
    const note = lines.find((l) => l.startsWith('event-notification '));
    expect(note).toBeDefined();
    const alert = JSON.parse((note as string).slice('event-notification '.length));
    expect(alert.detail).toBe('Hypertensive crisis: systolic blood pressure at or above 180 mmHg. Reading 185 mmHg; threshold ≥ 180 mmHg');
    expect(alert.evidence[0].code[0].coding[0]).toEqual({ system: 'http://loinc.org', code: '8480-6' });
    expect(alert.evidence[0].detail[0].reference).toMatch(/^Observation\/[0-9a-f-]{36}$/);
    // the README shows the printed line with the reading's id elided
    expect(README).toContain(`event-notification ${(note as string).slice('event-notification '.length).replace(/Observation\/[0-9a-f-]{36}/, 'Observation/…')}`);
    const bundles = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const [issues, flags, tasks] = bundles;
    expect(issues.entry.map((e: any) => e.resource.detail)).toEqual([alert.detail]);
    expect(flags.entry[0].resource.status).toBe('active');
    expect(tasks.entry[0].resource).toMatchObject({ status: 'requested', intent: 'order', focus: { reference: `DetectedIssue/${issues.entry[0].resource.id}` } });
  });
});
