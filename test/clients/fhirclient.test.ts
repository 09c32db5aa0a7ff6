import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { addPublicClient, addUser } from '../smart/helpers';
import { startClientServer, type ClientServer } from './helpers';
import { chromiumLaunch, CHROMIUM_ARGS, serveTestApp } from '../helpers/browser';

/**
 * fhirclient, the reference JavaScript SMART library, in headless Chromium against the server on a
 * loopback port (no FHIR_BASE_URL, the app using 127.0.0.1): standalone launch, the library's default
 * refresh (no client_id), then create, read, search with paging, update, history, a transaction,
 * $everything and delete, each checked on what came back.
 */
jest.setTimeout(120_000);

let t: ClientServer;
let pageServer: http.Server;
let browser: Browser | undefined;
let appOrigin: string;

beforeAll(async () => {
  t = await startClientServer();
  ({ origin: appOrigin, server: pageServer } = await serveTestApp(path.join(__dirname, 'browser', 'app.ts'), { FHIR_BASE: JSON.stringify(t.baseUrl) }, 'SMART client test app'));

  addPublicClient(t.auth, 'browser-app', 'launch/patient openid fhirUser offline_access patient/*.cruds', { redirectUris: [`${appOrigin}/index.html`], origins: [appOrigin] });
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  const admin = await t.systemToken();
  const put = (url: string, body: object) => t.http.put(url).set('Authorization', `Bearer ${admin}`).set('Content-Type', 'application/fhir+json').send(body);
  expect((await put('/fhir/Patient/pat-A', { resourceType: 'Patient', id: 'pat-A', name: [{ family: 'Ann' }] })).status).toBe(201);

  const binary = chromiumLaunch();
  browser = await chromium.launch({ executablePath: binary.executablePath, env: { ...process.env, ...binary.env }, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => pageServer?.close(r));
  await t?.close();
});

it('launches, refreshes its token the default way, and runs the REST interactions', async () => {
  const page = await (browser as Browser).newPage();
  await page.goto(`${appOrigin}/index.html`);
  await page.waitForURL(/\/auth\/authorize/);
  // the app found the server at 127.0.0.1, and so did its sign-in page
  expect(new URL(page.url()).host).toBe(`127.0.0.1:${t.port}`);
  await page.fill('input[name=username]', 'ann');
  await page.fill('input[name=password]', 'correct horse');
  await page.click('button[type=submit]');
  await page.waitForSelector('button[value=approve]');
  await page.click('button[value=approve]');
  await page.waitForFunction(() => document.body.dataset.result !== undefined, undefined, { timeout: 60_000 });
  const result = JSON.parse((await page.evaluate(() => document.body.dataset.result)) as string);
  expect(result).toEqual({
    serverUrl: t.baseUrl,
    refreshed: true,
    patient: 'pat-A',
    created: '1',
    pageSizes: [2, 2, 1],
    values: [1, 2, 3, 4, 5],
    updated: ['2', 'amended'],
    history: ['2', '1'],
    transaction: ['201 Created', '201 Created'],
    everything: { first: 'Patient', observations: 6, encounters: 1 },
    afterDelete: 410,
  });
});
