import { granularScopeProblem, intersectScopes } from './scopes';

describe('intersectScopes: granular scopes only as registered', () => {
  it('grants a granular scope only when the client registered that same scope (permissions may narrow)', () => {
    const registered = 'launch/patient patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';
    expect(intersectScopes('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', registered)).toBe(
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs'
    );
    expect(intersectScopes('patient/Observation.r?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', registered)).toBe(
      'patient/Observation.r?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs'
    );
    // another query, another context, another type, or wider permissions: not registered
    expect(intersectScopes('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', registered)).toBe('');
    expect(intersectScopes('user/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', registered)).toBe('');
    expect(intersectScopes('patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', registered)).toBe('');
    expect(intersectScopes('patient/Observation.cruds?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', registered)).toBe('');
    // nor does a granular registration grant the whole type
    expect(intersectScopes('patient/Observation.rs', registered)).toBe('');
  });

  it('does not let a broad registration grant a granular scope the client did not register', () => {
    expect(intersectScopes('patient/Observation.rs?focus:Patient.gender=male', 'patient/*.rs')).toBe('');
    expect(intersectScopes('patient/Observation.rs?code=1234-5', 'patient/*.rs patient/Observation.rs')).toBe('');
    expect(intersectScopes('patient/Observation.rs patient/Patient.r', 'patient/*.rs')).toBe('patient/Observation.rs patient/Patient.r');
  });
});

describe('granularScopeProblem: plain name=value criteria only', () => {
  it.each([
    'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
    'patient/Observation.rs?code=http://loinc.org|1234-5&status=final',
    'user/Observation.rs?_tag=urn:x|y',
    'launch/patient openid patient/*.rs',
  ])('accepts %s', (scope) => {
    expect(granularScopeProblem(scope)).toBeUndefined();
  });

  it.each([
    ['patient/Observation.rs?focus:Patient.gender=male', 'focus:Patient.gender'],
    ['patient/Observation.rs?subject.name=smith', 'subject.name'],
    ['patient/Patient.rs?_has:Observation:patient:code=1234', '_has:Observation:patient:code'],
    ['patient/Observation.rs?code:not=1234', 'code:not'],
    ['patient/Observation.rs?_include=Observation:subject', '_include'],
    ['patient/Observation.rs?code', 'code'],
    ['patient/Observation.rs?code=', 'code'],
  ])('refuses %s, naming %s', (scope, name) => {
    expect(granularScopeProblem(scope)).toContain(`"${name}"`);
  });
});
