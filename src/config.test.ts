import path from 'node:path';
import { ConfigError, loadConfig, parseByteSize } from './config';

describe('loadConfig', () => {
  it('has defaults so that npm start works with nothing set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, baseUrl: 'http://localhost:8080/fhir', logLevel: 'info', defaultCount: 20, maxCount: 1000, sqliteSynchronous: 'FULL' });
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.bodyLimit).toBe(64 * 1024 * 1024);
  });

  it('reads every variable and strips a trailing slash from the base URL', () => {
    const c = loadConfig({ PORT: '9000', FHIR_BASE_URL: 'https://fhir.example.org/r4/', DATA_DIR: '/tmp/x', FHIR_BODY_LIMIT: '1mb', LOG_LEVEL: 'warn', FHIR_CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(c).toMatchObject({ port: 9000, baseUrl: 'https://fhir.example.org/r4', dataDir: '/tmp/x', bodyLimit: 1048576, logLevel: 'warn', corsOrigins: ['https://a.example', 'https://b.example'] });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ FHIR_BASE_URL: 'ftp://x' }, /FHIR_BASE_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ FHIR_BODY_LIMIT: 'lots' }, /byte size/],
    [{ FHIR_DEFAULT_COUNT: '50', FHIR_MAX_COUNT: '10' }, /FHIR_MAX_COUNT/],
    [{ SQLITE_SYNCHRONOUS: 'OFF' }, /SQLITE_SYNCHRONOUS/],
    [{ HOST: '[::1]' }, /HOST/],
    [{ HOST: 'http://localhost' }, /HOST/],
    [{ HOST: '10.0.0.1:80' }, /HOST/],
    [{ FHIR_PUBLIC_HOSTS: 'https://fhir.example.org' }, /FHIR_PUBLIC_HOSTS/],
    [{ FHIR_PUBLIC_HOSTS: 'fhir.example.org/x' }, /FHIR_PUBLIC_HOSTS/],
    [{ FHIR_AUDIT_RETENTION_DAYS: '0' }, /FHIR_AUDIT_RETENTION_DAYS/],
    [{ FHIR_AUDIT_RETENTION_DAYS: 'a year' }, /FHIR_AUDIT_RETENTION_DAYS/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('answers with the request\'s own host only without FHIR_BASE_URL, among loopback and FHIR_PUBLIC_HOSTS', () => {
    expect(loadConfig({})).toMatchObject({ baseUrlConfigured: false, publicHosts: [] });
    expect(loadConfig({ FHIR_BASE_URL: 'https://fhir.example.org/r4' }).baseUrlConfigured).toBe(true);
    expect(loadConfig({ FHIR_PUBLIC_HOSTS: 'FHIR.example.org, 10.0.0.5:8080,[fd00::1]:8080' }).publicHosts).toEqual(['fhir.example.org', '10.0.0.5:8080', '[fd00::1]:8080']);
  });

  it('listens on all interfaces unless HOST names one', () => {
    expect(loadConfig({}).host).toBeUndefined();
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it('reads the anonymised export policy, and refuses thresholds out of range', () => {
    expect(loadConfig({}).export.anonymised).toEqual({ k: 11, maxAverageRisk: 0.05, l: 3, maxSuppression: 0.05, dates: 'month' });
    const c = loadConfig({ EXPORT_ANON_K: '5', EXPORT_ANON_MAX_AVERAGE_RISK: '0.2', EXPORT_ANON_L: '2', EXPORT_ANON_MAX_SUPPRESSION: '0', EXPORT_ANON_DATES: 'shift' });
    expect(c.export.anonymised).toEqual({ k: 5, maxAverageRisk: 0.2, l: 2, maxSuppression: 0, dates: 'shift' });
    expect(() => loadConfig({ EXPORT_ANON_K: '1' })).toThrow(/EXPORT_ANON_K must be an integer between 2/);
    expect(() => loadConfig({ EXPORT_ANON_MAX_AVERAGE_RISK: '5%' })).toThrow(/between 0 and 1/);
    expect(() => loadConfig({ EXPORT_ANON_MAX_SUPPRESSION: '1.5' })).toThrow(/between 0 and 1/);
    expect(() => loadConfig({ EXPORT_ANON_DATES: 'day' })).toThrow(/month, year or shift/);
  });

  it('keeps the audit trail forever unless FHIR_AUDIT_RETENTION_DAYS says how long', () => {
    expect(loadConfig({}).auditRetentionDays).toBeUndefined();
    expect(loadConfig({ FHIR_AUDIT_RETENTION_DAYS: '400' }).auditRetentionDays).toBe(400);
  });

  it('parses byte sizes', () => {
    expect(parseByteSize('512')).toBe(512);
    expect(parseByteSize('2kb')).toBe(2048);
    expect(parseByteSize('1.5MB')).toBe(1572864);
  });
});
