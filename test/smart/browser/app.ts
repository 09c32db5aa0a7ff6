// A minimal SMART app on the real fhirclient library, bundled by esbuild for the browser test.
import FHIR from 'fhirclient';

declare const FHIR_BASE: string;

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) {
    await FHIR.oauth2.authorize({
      clientId: 'browser-app',
      scope: 'launch/patient openid fhirUser patient/*.rs',
      redirectUri: `${location.origin}/index.html`,
      iss: FHIR_BASE,
      pkceMode: 'required',
    });
    return;
  }
  const client = await FHIR.oauth2.ready();
  const patient = await client.patient.read();
  const observations = await client.request(`Observation?patient=${client.patient.id}`);
  let other: unknown;
  try {
    await client.request('Patient/pat-B');
    other = 'read';
  } catch (err) {
    other = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode ?? String(err);
  }
  document.body.dataset.result = JSON.stringify({
    patient: patient.id,
    observations: (observations.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort(),
    other,
    scope: client.state.tokenResponse?.scope,
    pkce: !!client.state.codeVerifier,
  });
}

main().catch((err) => {
  document.body.dataset.result = JSON.stringify({ error: String(err) });
});
