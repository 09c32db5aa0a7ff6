import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createFhirServer } from '../../src/server';
import { FHIR_JSON } from '../helpers/server';
import { reading } from './helpers';

/**
 * Monitoring keeps its place in the version log in the store (DESIGN.md decision 12): a reading
 * committed while no worker judged it (the server stopped first) raises its alert after a restart.
 */
it('a reading committed before a stop is judged after the restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-monitoring-restart-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', FHIR_BASE_URL: 'http://localhost:8080/fhir', SQLITE_SYNCHRONOUS: 'NORMAL', FHIR_AUTH: 'none' });
  try {
    const first = await createFhirServer(config, { auditInProcess: true });
    await first.monitoring.close(); // as if the process had stopped right after the commit
    const http1 = request(first.app);
    expect((await http1.put('/fhir/Patient/p1').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: 'p1' })).status).toBe(201);
    const obs = await http1.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(reading('p1', '2708-6', 82, '%'));
    expect(obs.status).toBe(201);
    expect((await http1.get('/fhir/DetectedIssue?patient=Patient/p1')).body.entry ?? []).toEqual([]);
    await first.close();

    const second = await createFhirServer(config, { auditInProcess: true });
    try {
      await second.monitoring.idle();
      const issues = (await request(second.app).get('/fhir/DetectedIssue?patient=Patient/p1')).body.entry.map((e: any) => e.resource);
      expect(issues).toHaveLength(1);
      expect(issues[0].evidence[0].detail).toEqual([{ reference: `Observation/${obs.body.id}` }]);
    } finally {
      await second.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
