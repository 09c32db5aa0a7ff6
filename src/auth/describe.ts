import { parseResourceScope } from './scopes';

const VERBS: Record<string, string> = { c: 'create', r: 'read', u: 'change', d: 'delete', s: 'search' };

/** A scope in words a patient understands, for the consent page. */
export function describeScope(scope: string): string {
  const r = parseResourceScope(scope);
  if (r) {
    // the person's own log: read and search of the AuditEvents in their compartment
    if (r.resourceType === 'AuditEvent' && r.context === 'patient' && !r.query) return 'see who looked at your records: which app and person, when, what kind of access and from where';
    const verbs = [...r.permissions].map((p) => VERBS[p]).join(', ');
    const what = r.resourceType === '*' ? 'all kinds of health and insurance records' : `records of type ${r.resourceType}`;
    const whose = r.context === 'patient' ? 'about you' : r.context === 'user' ? 'that you can access' : 'on the whole server';
    return `${verbs} ${what} ${whose}${r.query ? ` (only those matching ${r.query})` : ''}`;
  }
  const words: Record<string, string> = {
    openid: 'confirm who you are',
    fhirUser: 'know which person record is yours',
    'launch/patient': 'know which patient record is open',
    offline_access: 'keep access after you close the app, until you revoke it',
    online_access: 'keep access while you are signed in',
    launch: 'open from your health record system',
  };
  return words[scope] ?? scope;
}
