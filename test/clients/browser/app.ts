// A SMART app on the real fhirclient library, bundled by esbuild for test/clients/fhirclient.test.ts:
// a standalone launch, the library's own (default) refresh, then the REST interactions a patient app uses.
import FHIR from 'fhirclient';

declare const FHIR_BASE: string;

type Resource = { resourceType: string; id?: string; meta?: { versionId?: string }; [k: string]: unknown };
type Bundle = Resource & { total?: number; entry?: { resource?: Resource; response?: { status: string; location?: string } }[] };

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) {
    await FHIR.oauth2.authorize({
      clientId: 'browser-app',
      scope: 'launch/patient openid fhirUser offline_access patient/*.cruds',
      redirectUri: `${location.origin}/index.html`,
      iss: FHIR_BASE,
      pkceMode: 'required',
    });
    return;
  }
  const client = await FHIR.oauth2.ready();
  const out: Record<string, unknown> = { serverUrl: client.state.serverUrl };
  const firstToken = client.state.tokenResponse?.access_token;
  // the library's default refresh: grant_type=refresh_token without client_id
  await client.refresh();
  out.refreshed = !!client.state.tokenResponse?.access_token && client.state.tokenResponse.access_token !== firstToken;

  const patient = client.patient.id as string;
  out.patient = (await client.patient.read()).id;
  const obs = (n: number) => ({ resourceType: 'Observation', status: 'final', code: { text: 'steps' }, subject: { reference: `Patient/${patient}` }, valueQuantity: { value: n, unit: 'steps' } });
  const created = (await client.create(obs(1))) as Resource;
  for (const n of [2, 3, 4, 5]) await client.create(obs(n));
  out.created = created.meta?.versionId;

  // search with paging: the library follows the server's next links (pageLimit 0: all pages)
  const pages = (await client.request(`Observation?patient=${patient}&_count=2`, { pageLimit: 0 })) as Bundle[];
  out.pageSizes = pages.map((p) => p.entry?.length ?? 0);
  out.values = pages.flatMap((p) => (p.entry ?? []).map((e) => (e.resource?.valueQuantity as { value: number }).value)).sort();

  const updated = (await client.update({ ...created, status: 'amended' } as Parameters<typeof client.update>[0])) as Resource;
  out.updated = [updated.meta?.versionId, updated.status];
  const history = (await client.request(`Observation/${created.id}/_history`)) as Bundle;
  out.history = (history.entry ?? []).map((e) => e.resource?.meta?.versionId);

  const transaction = (await client.request({
    url: client.state.serverUrl,
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:6d0c0c1e-0000-4000-8000-000000000001', resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${patient}` } }, request: { method: 'POST', url: 'Encounter' } },
        { resource: { ...obs(6), encounter: { reference: 'urn:uuid:6d0c0c1e-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    }),
  })) as Bundle;
  out.transaction = (transaction.entry ?? []).map((e) => e.response?.status);

  const everything = (await client.request(`Patient/${patient}/$everything`)) as Bundle;
  const types = (everything.entry ?? []).map((e) => e.resource?.resourceType as string);
  out.everything = { first: types[0], observations: types.filter((x) => x === 'Observation').length, encounters: types.filter((x) => x === 'Encounter').length };

  await client.delete(`Observation/${created.id}`);
  try {
    await client.request(`Observation/${created.id}`);
    out.afterDelete = 'read';
  } catch (err) {
    out.afterDelete = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode ?? String(err);
  }
  document.body.dataset.result = JSON.stringify(out);
}

main().catch((err) => {
  document.body.dataset.result = JSON.stringify({ error: String(err), stack: (err as Error).stack });
});
