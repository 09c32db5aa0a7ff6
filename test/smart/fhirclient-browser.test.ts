import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { createFhirServer, listen, type FhirServer } from '../../src/server';
import { CHROMIUM_ARGS, chromiumLaunch, serveTestApp } from '../helpers/browser';
import { freePort, tmpDataDir } from '../helpers/child-server';
import { addPublicClient, addSecretClient, addUser, systemToken } from './helpers';
import { AuthStore } from '../../src/auth/store';
import request from 'supertest';

/**
 * The reference JavaScript SMART client (fhirclient), in real headless Chromium, runs a standalone
 * launch end to end: sign-in as a patient, consent, PKCE token, reads its Patient, searches its
 * Observations, and is refused another patient's record.
 */
jest.setTimeout(120_000);

describe('fhirclient standalone launch in headless Chromium', () => {
  const dataDir = tmpDataDir('fhir-browser-');
  let server: FhirServer;
  let fhirHttp: http.Server;
  let pageServer: http.Server;
  let browser: Browser | undefined;
  let fhirBase: string;
  let appOrigin: string;
  let obsA: string;

  beforeAll(async () => {
    const fhirPort = await freePort();
    fhirBase = `http://127.0.0.1:${fhirPort}/fhir`;
    server = await createFhirServer(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', FHIR_BASE_URL: fhirBase, FHIR_AUDIT: 'off', SQLITE_SYNCHRONOUS: 'NORMAL' }));
    fhirHttp = await listen(server, fhirPort);

    ({ origin: appOrigin, server: pageServer } = await serveTestApp(path.join(__dirname, 'browser', 'app.ts'), { FHIR_BASE: JSON.stringify(fhirBase) }, 'SMART test app'));

    const auth = new AuthStore(dataDir);
    addPublicClient(auth, 'browser-app', 'launch/patient openid fhirUser patient/*.rs', { redirectUris: [`${appOrigin}/index.html`], origins: [appOrigin] });
    await addUser(auth, 'ann', 'Patient/pat-A');
    const secret = await addSecretClient(auth, 'loader', 'system/*.cruds');
    auth.close();
    const api = request(server.app);
    const admin = await systemToken({ http: api } as never, 'loader', secret, 'system/*.cruds');
    const put = (url: string, body: object) => api.put(url).set('Authorization', `Bearer ${admin}`).set('Content-Type', 'application/fhir+json').send(body);
    await put('/fhir/Patient/pat-A', { resourceType: 'Patient', id: 'pat-A', name: [{ family: 'Ann' }] });
    await put('/fhir/Patient/pat-B', { resourceType: 'Patient', id: 'pat-B', name: [{ family: 'Bo' }] });
    obsA = (await put('/fhir/Observation/obs-A', { resourceType: 'Observation', id: 'obs-A', status: 'final', code: { text: 'steps' }, subject: { reference: 'Patient/pat-A' } })).body.id;
    await put('/fhir/Observation/obs-B', { resourceType: 'Observation', id: 'obs-B', status: 'final', code: { text: 'steps' }, subject: { reference: 'Patient/pat-B' } });

    const chromiumBinary = chromiumLaunch();
    browser = await chromium.launch({ executablePath: chromiumBinary.executablePath, env: { ...process.env, ...chromiumBinary.env }, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => pageServer?.close(r));
    await new Promise((r) => fhirHttp?.close(r));
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in, consents, gets a token with PKCE, reads its own data and is refused another patient', async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(`${appOrigin}/index.html`);
    await page.waitForURL(/\/auth\/authorize/);
    await page.fill('input[name=username]', 'ann');
    await page.fill('input[name=password]', 'correct horse');
    await page.click('button[type=submit]');
    await page.waitForSelector('button[value=approve]');
    expect(await page.textContent('body')).toContain('read, search all kinds of health and insurance records about you');
    await page.click('button[value=approve]');
    await page.waitForFunction(() => document.body.dataset.result !== undefined, undefined, { timeout: 30_000 });
    const result = JSON.parse((await page.evaluate(() => document.body.dataset.result)) as string);
    expect(result).toEqual({
      patient: 'pat-A',
      observations: [obsA],
      other: 404,
      scope: expect.stringContaining('patient/*.rs'),
      pkce: true,
    });
  });
});
