import { FhirError } from '../fhir/errors';
import { mediaType, parseBody } from './body';
import { negotiate } from './negotiate';

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as FhirError).status;
  }
};

describe('parseBody', () => {
  it('parses FHIR JSON and form bodies', () => {
    expect(parseBody(Buffer.from('{"resourceType":"Patient"}'), 'application/fhir+json; charset=utf-8')).toEqual({
      contentType: 'application/fhir+json',
      body: { resourceType: 'Patient' },
    });
    expect(parseBody(Buffer.from('a=1&a=2&b=x%7Cy'), 'application/x-www-form-urlencoded')).toEqual({
      contentType: 'application/x-www-form-urlencoded',
      body: [['a', '1'], ['a', '2'], ['b', 'x|y']],
    });
    expect(parseBody(Buffer.alloc(0), undefined)).toEqual({});
  });

  it('refuses what is not FHIR JSON', () => {
    expect(status(() => parseBody(Buffer.from('{}'), undefined))).toBe(415);
    expect(status(() => parseBody(Buffer.from('<x/>'), 'application/xml'))).toBe(415);
    expect(status(() => parseBody(Buffer.from('{}'), 'application/fhir+json; fhirVersion=5.0'))).toBe(415);
    expect(status(() => parseBody(Buffer.from('{'), 'application/json'))).toBe(400);
    expect(status(() => parseBody(Buffer.from([0xc3, 0x28]), 'application/json'))).toBe(400);
    expect(status(() => parseBody(Buffer.from('{"__proto__":{}}'), 'application/json'))).toBe(400);
    expect(status(() => parseBody(Buffer.from('['.repeat(200) + ']'.repeat(200)), 'application/json'))).toBe(400);
  });

  describe('refuses Object.prototype member names as keys at any depth (400, structure)', () => {
    const fail = (json: string) => {
      try {
        parseBody(Buffer.from(json), 'application/fhir+json');
      } catch (e) {
        return e as FhirError;
      }
      throw new Error(`accepted ${json}`);
    };
    const names = Object.getOwnPropertyNames(Object.prototype);

    it.each(names)('%s', (name) => {
      const key = JSON.stringify(name);
      for (const json of [
        `{"resourceType":"Patient",${key}:{"x":1}}`,
        `{"resourceType":"Patient","contact":[{"name":{${key}:"y"}}]}`,
        `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","extension":[{"url":"u","valueString":"v",${key}:true}]}}]}`,
        `[{"op":"add","path":"/active","value":{${key}:1}}]`,
      ]) {
        const err = fail(json);
        expect(err.status).toBe(400);
        // __proto__ is refused by the parser itself, every other name by the walk after it
        expect(err.errorCode).toBe(name === '__proto__' ? 'FHIR-0400-JSON' : 'FHIR-0400-NAME');
        expect(err.toOperationOutcome().issue[0].code).toBe('structure');
      }
    });

    it('names the element', () => {
      const err = fail('{"resourceType":"Patient","contact":[{"name":{"toString":"y"}}]}');
      expect(err.toOperationOutcome().issue[0].expression).toEqual(['Patient.contact[0].name.toString']);
    });

    it('leaves values and look-alike names alone', () => {
      const body = '{"resourceType":"Basic","code":{"text":"constructor"},"_toString":{"id":"x"},"extension":[{"url":"hasOwnProperty","valueString":"valueOf"}]}';
      expect(parseBody(Buffer.from(body), 'application/fhir+json').body).toEqual(JSON.parse(body));
    });
  });

  it('splits media types', () => {
    expect(mediaType('Application/FHIR+JSON; fhirVersion="4.0"; charset=utf-8')).toEqual({
      type: 'application/fhir+json',
      params: { fhirversion: '4.0', charset: 'utf-8' },
    });
  });
});

describe('negotiate', () => {
  it('accepts JSON in all its spellings and refuses the rest with 406', () => {
    expect(status(() => negotiate(undefined, undefined))).toBeUndefined();
    expect(status(() => negotiate('text/html, application/fhir+json;q=0.9', undefined))).toBeUndefined();
    expect(status(() => negotiate('application/fhir+xml', undefined))).toBe(406);
    expect(status(() => negotiate('application/fhir+json;q=0', undefined))).toBe(406);
    expect(status(() => negotiate('application/fhir+xml', 'json'))).toBeUndefined();
    expect(status(() => negotiate(undefined, 'html'))).toBe(406);
  });
});
