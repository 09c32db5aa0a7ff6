import { coarseArea, removeDirectIdentifiers } from './deid-remove';
import { pseudonymiseIds, pseudonymiseReference } from './deid-references';

describe('removal of direct identifiers', () => {
  it('removes names, telecom and identifiers in contained resources and extensions, keeps Coding.display', () => {
    const { resource, removed, masked } = removeDirectIdentifiers({
      resourceType: 'RelatedPerson',
      id: 'rp',
      patient: { reference: 'Patient/p', display: 'Zhang San' },
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'WIFE', display: 'wife' }] }],
      name: [{ text: 'Li Si' }],
      telecom: [{ value: '13900001111' }],
      contained: [{ resourceType: 'Practitioner', id: 'x', name: [{ family: 'Wang' }], identifier: [{ value: 'D1' }] }],
      extension: [{ url: 'http://example.org/x', valueHumanName: { text: 'Li' } }, { url: 'http://example.org/y', valueCode: 'a' }],
      address: [{ line: ['1 Road'], city: 'Shanghai', postalCode: '200000', district: '浦东新区', country: 'CN' }],
    });
    expect(resource).toEqual({
      resourceType: 'RelatedPerson',
      id: 'rp',
      patient: { reference: 'Patient/p' },
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'WIFE', display: 'wife' }] }],
      contained: [{ resourceType: 'Practitioner', id: 'x' }],
      extension: [{ url: 'http://example.org/y', valueCode: 'a' }],
      address: [{ postalCode: '2000', country: 'CN' }],
    });
    expect([removed, masked]).toEqual([true, true]);
  });

  it('keeps only the kind of an attachment or a Binary, not its content', () => {
    const doc = removeDirectIdentifiers({
      resourceType: 'DocumentReference',
      id: 'd',
      status: 'current',
      content: [{ attachment: { contentType: 'application/pdf', data: 'JVBERi0=', url: 'http://x/scan.pdf', title: 'ID card of Zhang San', size: 5 } }],
    });
    expect(doc.resource.content).toEqual([{ attachment: { contentType: 'application/pdf', size: 5 } }]);
    expect(removeDirectIdentifiers({ resourceType: 'Binary', id: 'b', contentType: 'image/png', data: 'iVBO' }).resource).toEqual({ resourceType: 'Binary', id: 'b', contentType: 'image/png' });
  });

  it('removes the member number of a Coverage and keeps its plan and period', () => {
    const { resource } = removeDirectIdentifiers({ resourceType: 'Coverage', id: 'c', status: 'active', subscriberId: 'M-4402-1187', beneficiary: { reference: 'Patient/p' }, period: { start: '2026-01-01' }, class: [{ type: { coding: [{ code: 'plan' }] }, value: 'GOLD' }] });
    expect(resource).toEqual({ resourceType: 'Coverage', id: 'c', status: 'active', beneficiary: { reference: 'Patient/p' }, period: { start: '2026-01-01' }, class: [{ type: { coding: [{ code: 'plan' }] }, value: 'GOLD' }] });
  });

  it('keeps a postal or division code only as its first four of six digits', () => {
    expect(coarseArea('310115')).toBe('3101');
    expect(coarseArea('SW1A 1AA')).toBeUndefined();
  });
});

describe('pseudonymised references', () => {
  const p = (type: string, id: string) => `${type[0]}${id.length}`;
  it('rewrites relative, absolute and versioned references and the id, not contained ones', () => {
    expect(pseudonymiseReference('Patient/abc', p)).toBe('Patient/P3');
    expect(pseudonymiseReference('http://localhost:8080/fhir/Patient/abc/_history/2', p)).toBe('Patient/P3');
    expect(pseudonymiseReference('#c1', p)).toBe('#c1');
    expect(pseudonymiseReference('urn:uuid:1234', p)).toBeUndefined();
    const out = pseudonymiseIds(
      { resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/abc' }, contained: [{ resourceType: 'Specimen', id: 'c1' }], specimen: { reference: '#c1' }, focus: [{ reference: 'urn:uuid:1' }] },
      p
    );
    expect(out).toEqual({ resourceType: 'Observation', id: 'O2', subject: { reference: 'Patient/P3' }, contained: [{ resourceType: 'Specimen', id: 'c1' }], specimen: { reference: '#c1' }, focus: [{}] });
    // an outside reference is not kept; what is left empty is pruned by the policy (deid-pseudonymise.ts)
  });
});
