import type { Resource } from '../fhir/types';
import { dayOffset, pseudonym, recipientKey } from './deid-keys';
import { personOf, pseudonymise, SECURITY_SYSTEM } from './deid-pseudonymise';

const key = recipientKey(Buffer.alloc(32, 1), 'insurer-a');
const AT = '2026-06-01T00:00:00Z';
const labels = (r: Resource) => (r.meta?.security ?? []).filter((c) => c.system === SECURITY_SYSTEM).map((c) => c.code).sort();
const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;

const patient = {
  resourceType: 'Patient',
  id: 'zhang-san',
  meta: { versionId: '3', lastUpdated: '2026-05-01T10:00:00Z', source: 'http://his.example.cn/zhangsan' },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">张三</div>' },
  identifier: [{ system: 'urn:oid:1.2.156.112604.1.1.1', value: '11010519491231002X' }],
  name: [{ family: '张', given: ['三'], text: '张三' }],
  telecom: [{ system: 'phone', value: '13812345678' }],
  gender: 'male',
  birthDate: '1975-04-12',
  address: [{ line: ['朝阳路 12 号'], city: '北京', district: '110105', state: '北京市', postalCode: '100020', country: 'CN', text: '北京市朝阳区朝阳路 12 号' }],
  photo: [{ contentType: 'image/jpeg', data: 'AAAA' }],
  contact: [{ name: { family: '李' }, telecom: [{ system: 'phone', value: '13900001111' }] }],
  maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }] },
  extension: [{ url: 'http://example.org/nickname', valueString: '小张, 电话 13512345678' }],
} as unknown as Resource;

const observation = {
  resourceType: 'Observation',
  id: 'bp-1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
  subject: { reference: 'Patient/zhang-san', display: '张三' },
  performer: [{ reference: 'Practitioner/dr-wang', display: '王医生' }],
  effectiveDateTime: '2026-03-01T08:30:00+08:00',
  issued: '2026-03-01T09:00:00+08:00',
  component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 128, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }],
  note: [{ text: '患者手机 13812345678' }],
} as unknown as Resource;

const encounter = {
  resourceType: 'Encounter',
  id: 'enc-1',
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  subject: { reference: 'http://localhost:8080/fhir/Patient/zhang-san' },
  period: { start: '2026-02-27T20:00:00+08:00', end: '2026-03-03T10:00:00+08:00' },
  location: [{ location: { reference: 'Location/ward-3', display: '3 病区' } }],
  reasonCode: [{ text: '胸痛' }],
} as unknown as Resource;

const eob = {
  resourceType: 'ExplanationOfBenefit',
  id: 'eob-1',
  identifier: [{ system: 'http://insurer.example.cn/claim', value: 'CLM-2026-0001' }],
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
  use: 'claim',
  patient: { reference: 'Patient/zhang-san' },
  created: '2026-03-05T12:00:00+08:00',
  billablePeriod: { start: '2026-02-27', end: '2026-03-03' },
  insurer: { reference: 'Organization/insurer', display: '某某保险' },
  provider: { reference: 'Organization/hospital' },
  insurance: [{ focal: true, coverage: { reference: 'Coverage/cov-1' } }],
  payee: { type: { coding: [{ code: 'subscriber' }] }, party: { identifier: { value: '6222021234567890128' } } },
  item: [{ sequence: 1, productOrService: { coding: [{ system: 'urn:oid:1.2.156', code: '310100001' }] }, net: { value: 320.5, currency: 'CNY' }, noteNumber: [1] }],
  processNote: [{ number: 1, text: '退款至卡 4111 1111 1111 1111' }],
  total: [{ category: { coding: [{ code: 'submitted' }] }, amount: { value: 320.5, currency: 'CNY' } }],
} as unknown as Resource;

describe('the pseudonymised policy', () => {
  it('takes the direct identifiers out of a Patient and keeps what is not identifying', () => {
    const out = pseudonymise(patient, key, AT) as unknown as Record<string, unknown> & { address: Record<string, unknown>[] };
    const text = JSON.stringify(out);
    for (const gone of ['张三', '11010519491231002X', '13812345678', '13900001111', '13512345678', '朝阳路', 'zhang-san', 'AAAA', 'his.example.cn']) expect(text).not.toContain(gone);
    for (const k of ['name', 'telecom', 'identifier', 'photo', 'contact', 'text']) expect(out[k]).toBeUndefined();
    expect(out.address).toEqual([{ state: '北京市', country: 'CN', district: '1101', postalCode: '1000' }]);
    expect(out.gender).toBe('male');
    expect(out.maritalStatus).toEqual((patient as unknown as Record<string, unknown>).maritalStatus);
    expect(out.id).toBe(pseudonym(key, 'Patient', 'zhang-san'));
    expect(days('1975-04-12', out.birthDate as string)).toBe(dayOffset(key, 'Patient/zhang-san'));
    expect((out.extension as { valueString: string }[])[0].valueString).toBe('小张, 电话 [REDACTED]');
    expect(labels(out as unknown as Resource)).toEqual(['MASKED', 'PSEUDED', 'REDACTED']);
  });

  it('bands the birth date of a person over 89 to the year of a 90-year-old', () => {
    const old = pseudonymise({ ...patient, birthDate: '1931-01-02' } as Resource, key, AT) as { birthDate?: string };
    expect(old.birthDate).toBe('1936');
  });

  it('keeps an Observation\'s codes and values, shifts its dates by the patient\'s offset and rewrites its references', () => {
    const out = pseudonymise(observation, key, AT) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.code).toEqual((observation as unknown as Record<string, unknown>).code);
    expect(out.component[0].valueQuantity).toEqual({ value: 128, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
    expect(out.subject).toEqual({ reference: `Patient/${pseudonym(key, 'Patient', 'zhang-san')}` });
    expect(out.performer).toEqual([{ reference: `Practitioner/${pseudonym(key, 'Practitioner', 'dr-wang')}` }]);
    expect(out.note).toBeUndefined();
    expect(days('2026-03-01T08:30:00+08:00', out.effectiveDateTime)).toBe(dayOffset(key, 'Patient/zhang-san'));
    expect(out.effectiveDateTime.slice(10)).toBe('T08:30:00+08:00');
    expect(out.id).toBe(pseudonym(key, 'Observation', 'bp-1'));
  });

  it('moves an Encounter by the same offset as its patient, so the stay keeps its length', () => {
    const out = pseudonymise(encounter, key, AT) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(days(out.period.start, out.period.end)).toBe(days('2026-02-27T20:00:00+08:00', '2026-03-03T10:00:00+08:00'));
    expect(days('2026-02-27T20:00:00+08:00', out.period.start)).toBe(dayOffset(key, 'Patient/zhang-san'));
    expect(out.subject.reference).toBe(`Patient/${pseudonym(key, 'Patient', 'zhang-san')}`);
    expect(out.location[0].location).toEqual({ reference: `Location/${pseudonym(key, 'Location', 'ward-3')}` });
    expect(out.reasonCode).toEqual([{ text: '胸痛' }]);
  });

  it('keeps an ExplanationOfBenefit\'s amounts and codes and takes out claim numbers, card numbers and party identifiers', () => {
    const out = pseudonymise(eob, key, AT) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const text = JSON.stringify(out);
    for (const gone of ['CLM-2026-0001', '6222021234567890128', '4111 1111', '某某保险', 'eob-1', 'cov-1']) expect(text).not.toContain(gone);
    expect(out.identifier).toBeUndefined();
    expect(out.payee).toEqual({ type: { coding: [{ code: 'subscriber' }] } });
    expect(out.processNote[0].text).toBe('退款至卡 [REDACTED]');
    expect(out.total).toEqual((eob as unknown as Record<string, unknown>).total);
    expect(out.item[0].net).toEqual({ value: 320.5, currency: 'CNY' });
    expect(out.insurance[0].coverage.reference).toBe(`Coverage/${pseudonym(key, 'Coverage', 'cov-1')}`);
    expect(days('2026-02-27', out.billablePeriod.start)).toBe(dayOffset(key, 'Patient/zhang-san'));
    expect(labels(out as Resource)).toEqual(['MASKED', 'PSEUDED', 'REDACTED']);
  });

  it('finds the person a resource is about', () => {
    expect(personOf(patient)).toBe('Patient/zhang-san');
    expect(personOf(encounter)).toBe('Patient/zhang-san');
    expect(personOf(eob)).toBe('Patient/zhang-san');
    expect(personOf({ resourceType: 'Practitioner', id: 'dr-wang' } as Resource)).toBe('Practitioner/dr-wang');
  });

  it('gives another recipient other pseudonyms and another offset, and leaves the input untouched', () => {
    const other = recipientKey(Buffer.alloc(32, 1), 'insurer-b');
    const before = JSON.stringify(observation);
    expect(pseudonymise(observation, other, AT).id).not.toBe(pseudonymise(observation, key, AT).id);
    expect(JSON.stringify(observation)).toBe(before);
  });
});
