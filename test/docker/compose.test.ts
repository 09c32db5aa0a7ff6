import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseDockerfile } from './dockerfile';

/**
 * docker-compose.yml, read as Compose reads it (no Docker engine here): the server is built from the
 * Dockerfile and started once MongoDB's single-node replica set is initiated and primary, with the
 * project folder not mounted into it (the image is all it runs), and its data on a named volume.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { build?: string | { context: string; dockerfile?: string }; image?: string; command?: unknown; volumes?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] }; ports?: string[] }>;
  volumes: Record<string, unknown>;
};
const { fhir, mongo } = compose.services;

describe('docker-compose.yml', () => {
  it('builds the server from the Dockerfile and runs the image as it is', () => {
    const build = typeof fhir.build === 'string' ? { context: fhir.build } : fhir.build;
    expect(build?.context).toBe('.');
    const dockerfile = path.join(ROOT, build!.context, (build as { dockerfile?: string }).dockerfile ?? 'Dockerfile');
    const stages = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'));
    expect(stages[stages.length - 1].instructions.some((i) => i.keyword === 'CMD')).toBe(true);
    expect(fhir.command).toBeUndefined(); // the image's CMD, not an npm install at start
  });

  it('mounts no host folder into the server: only named volumes', () => {
    for (const v of fhir.volumes ?? []) {
      const source = v.split(':')[0];
      expect(compose.volumes).toHaveProperty(source);
    }
    expect(fhir.volumes).toContain('fhir-data:/data');
  });

  it('starts the server after the replica set is initiated and primary', () => {
    expect(fhir.depends_on).toEqual({ mongo: { condition: 'service_healthy' } });
    const replSet = (mongo.command as string[])[(mongo.command as string[]).indexOf('--replSet') + 1];
    expect(replSet).toBe('rs0');
    const check = mongo.healthcheck!.test.join(' ');
    expect(check).toContain(`rs.initiate({ _id: '${replSet}'`);
    expect(check).toContain('isWritablePrimary');
    expect(new URL(fhir.environment!.MONGODB_URI).searchParams.get('replicaSet')).toBe(replSet);
    expect(fhir.ports).toEqual(['8080:8080']);
  });
});
