import { notificationAuditEvent, type NotificationSent } from './notification-event';

const sent: NotificationSent = { subscription: 's1', type: 'heartbeat', endpoint: 'https://hooks.example.org/path/secret-token?key=1', focus: [], patients: [] };
const now = new Date('2026-12-02T10:00:00Z');

describe('notificationAuditEvent', () => {
  it('records the endpoint origin and host only', () => {
    const e = notificationAuditEvent({ ...sent, status: 200, ownerClientId: 'app' }, now);
    expect(e.outcome).toBe('0');
    expect(e.agent[1]).toMatchObject({ who: { display: 'https://hooks.example.org' }, altId: 'app', network: { address: 'hooks.example.org', type: '1' } });
    expect(JSON.stringify(e)).not.toMatch(/secret-token|key=1/);
  });

  it('takes the outcome from the answer: 4xx minor, 5xx or none serious', () => {
    expect(notificationAuditEvent({ ...sent, status: 410, error: 'HTTP 410' }, now).outcome).toBe('4');
    expect(notificationAuditEvent({ ...sent, status: 503, error: 'HTTP 503' }, now).outcome).toBe('8');
    const none = notificationAuditEvent({ ...sent, endpoint: 'http://[::1]:9000/hook', error: 'no answer within 5000 ms' }, now);
    expect([none.outcome, none.outcomeDesc, none.agent[1].network]).toEqual(['8', 'no answer within 5000 ms; 0 focus resources to http://[::1]:9000', { address: '::1', type: '2' }]);
  });
});
