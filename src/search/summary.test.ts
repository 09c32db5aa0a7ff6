import { getRegistry } from '../definitions/registry';
import { shapeResource } from './summary';

const registry = getRegistry();
const patient = {
  resourceType: 'Patient',
  id: 'p',
  meta: { versionId: '1', tag: [{ system: 'urn:t', code: 'x' }] },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">p</div>' },
  name: [{ family: 'F' }],
  birthDate: '2000-01-01',
  _birthDate: { extension: [{ url: 'urn:e', valueString: 'x' }] },
  multipleBirthInteger: 2,
  photo: [{ contentType: 'image/png' }],
  link: [{ other: { reference: 'Patient/q' }, type: 'seealso' }],
};
const json = JSON.stringify(patient);
const shaped = (summary?: 'true' | 'text' | 'data' | 'count' | 'false', elements?: string[]) => JSON.parse(shapeResource(registry, json, summary, elements));

describe('shapeResource: _summary and _elements', () => {
  it('leaves resources alone without either, or with _summary=false', () => {
    expect(shapeResource(registry, json, undefined, undefined)).toBe(json);
    expect(shapeResource(registry, json, 'false', undefined)).toBe(json);
  });
  it('_summary=true keeps summary elements (with their _primitive extensions) and tags SUBSETTED next to existing tags', () => {
    const r = shaped('true');
    expect(Object.keys(r).sort()).toEqual(['_birthDate', 'birthDate', 'id', 'link', 'meta', 'name', 'resourceType']);
    expect(r.meta.tag.map((t: any) => t.code)).toEqual(['x', 'SUBSETTED']);
  });
  it('_summary=text keeps text and mandatory elements; data drops only text', () => {
    expect(Object.keys(shaped('text')).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    const data = shaped('data');
    expect(data.text).toBeUndefined();
    expect(data.photo).toBeDefined();
  });
  it('_elements keeps the listed elements, choice types by their base name', () => {
    expect(Object.keys(shaped(undefined, ['multipleBirth', 'name'])).sort()).toEqual(['id', 'meta', 'multipleBirthInteger', 'name', 'resourceType']);
  });
});
