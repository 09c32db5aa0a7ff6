import { startTestServer, type TestServer } from '../helpers/server';
import { matchIds, seed } from './helpers';

/**
 * Values from URLs and bodies that look like query operators are data on every store: they match
 * the resources that hold exactly that text and nothing else, never widen a search, never fail it.
 */
describe('operator-looking values are data', () => {
  let t: TestServer;
  const hostile = ['{"$ne":null}', '{"$where":"sleep(100)"}', '$gt', '$$ROOT', '.*', "' OR 1=1 --"];
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      ...hostile.map((v, i) => ({ resourceType: 'Patient', id: `h${i}`, identifier: [{ system: 'urn:odd', value: v }], name: [{ family: v }] })),
      { resourceType: 'Patient', id: 'plain', identifier: [{ system: 'urn:odd', value: 'plain' }], name: [{ family: 'Plain' }] },
      // a key that is an operator inside a resource body is stored as the text it is
      { resourceType: 'Basic', id: 'b', code: { text: 'x' }, extension: [{ url: 'http://example.org/$where', valueString: '$where' }] },
    ]);
  });
  afterAll(() => t.close());

  it.each(hostile.map((v, i) => [v, i] as const))('%s matches only the resource that holds it', async (v, i) => {
    const q = encodeURIComponent(v);
    expect(await matchIds(t, `/fhir/Patient?identifier=urn:odd|${q}`)).toEqual([`h${i}`]);
    expect(await matchIds(t, `/fhir/Patient?family:exact=${q}`)).toEqual([`h${i}`]);
    expect(await matchIds(t, `/fhir/Patient?family:contains=${q}`)).toContain(`h${i}`);
    expect(await matchIds(t, `/fhir/Patient?family:contains=${q}`)).not.toContain('plain');
  });

  it('an operator as a whole query value matches nothing it does not hold', async () => {
    expect(await matchIds(t, `/fhir/Patient?identifier=${encodeURIComponent('{"$gt":""}')}`)).toEqual([]);
    expect(await matchIds(t, `/fhir/Patient?_sort=${encodeURIComponent('-family')}&identifier=urn:odd|plain`)).toEqual(['plain']);
    const body = (await t.http.get('/fhir/Basic/b')).body;
    expect(body.extension).toEqual([{ url: 'http://example.org/$where', valueString: '$where' }]);
  });
});
