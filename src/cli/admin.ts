import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { hashSecret } from '../auth/passwords';
import { redirectUrisProblem } from '../auth/redirect-uri';
import { AuthStore, type ClientRecord, type ClientType } from '../auth/store';
import { loadConfig } from '../config';
import { ID_PATTERN } from '../fhir/util';
import { runCommand } from './command';

const FHIR_USER = new RegExp(`^(Patient|Practitioner|RelatedPerson|Person)/${ID_PATTERN}$`);
const USAGE = `Usage: npm run admin -- <command>
  client add --id ID --type public|confidential-symmetric|confidential-asymmetric --scope "SCOPES"
             [--name NAME] [--redirect-uri URI]... [--origin ORIGIN]... [--jwks-file FILE | --jwks-url URL]
             (redirect URIs: https, or http on 127.0.0.1, [::1] or localhost; no fragment)
             (a confidential symmetric client's secret is generated and printed once)
  client list
  client remove ID
  user add --username NAME --fhir-user Patient/123 [--administrator]
             (the password is read from FHIR_USER_PASSWORD or generated and printed once; an administrator's
             user/ scopes reach every record)
  user list
  user remove NAME
The store is the one of DATA_DIR (see the README).`;

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      type: { type: 'string' },
      scope: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      origin: { type: 'string', multiple: true },
      'jwks-file': { type: 'string' },
      'jwks-url': { type: 'string' },
      username: { type: 'string' },
      'fhir-user': { type: 'string' },
      administrator: { type: 'boolean' },
    },
  });
  const store = new AuthStore(loadConfig().dataDir);
  try {
    if (noun === 'client' && verb === 'add') {
      const type = values.type as ClientType;
      if (!values.id || !values.scope || !['public', 'confidential-symmetric', 'confidential-asymmetric'].includes(type)) return usage();
      const client: ClientRecord = {
        id: values.id,
        name: values.name ?? values.id,
        type,
        redirectUris: values['redirect-uri'] ?? [],
        scope: values.scope,
        ...(values.origin ? { origins: values.origin } : {}),
        ...(values['jwks-file'] ? { jwks: JSON.parse(fs.readFileSync(values['jwks-file'], 'utf8')) } : {}),
        ...(values['jwks-url'] ? { jwksUrl: values['jwks-url'] } : {}),
      };
      if (type === 'confidential-asymmetric' && !client.jwks && !client.jwksUrl) return usage('an asymmetric client needs --jwks-file or --jwks-url');
      const problem = redirectUrisProblem(client.redirectUris);
      if (problem) return usage(problem);
      let secret: string | undefined;
      if (type === 'confidential-symmetric') {
        secret = randomBytes(32).toString('base64url');
        client.secretHash = await hashSecret(secret);
      }
      store.putClient(client);
      console.log(JSON.stringify({ client_id: client.id, ...(secret ? { client_secret: secret } : {}), scope: client.scope }, null, 2));
      return 0;
    }
    if (noun === 'client' && verb === 'list') {
      for (const c of store.listClients()) console.log(`${c.id}\t${c.type}\t${c.scope}\t${c.redirectUris.join(' ')}`);
      return 0;
    }
    if (noun === 'client' && verb === 'remove' && positionals[0]) return store.removeClient(positionals[0]) ? 0 : notFound(positionals[0]);
    if (noun === 'user' && verb === 'add') {
      if (!values.username || !values['fhir-user'] || !FHIR_USER.test(values['fhir-user'])) return usage();
      const password = process.env.FHIR_USER_PASSWORD || randomBytes(12).toString('base64url');
      const administrator = values.administrator ? { administrator: true } : {};
      store.putUser({ username: values.username, passwordHash: await hashSecret(password), fhirUser: values['fhir-user'], ...administrator });
      console.log(JSON.stringify({ username: values.username, fhirUser: values['fhir-user'], ...administrator, ...(process.env.FHIR_USER_PASSWORD ? {} : { password }) }, null, 2));
      return 0;
    }
    if (noun === 'user' && verb === 'list') {
      for (const u of store.listUsers()) console.log(`${u.username}\t${u.fhirUser}${u.administrator ? '\tadministrator' : ''}`);
      return 0;
    }
    if (noun === 'user' && verb === 'remove' && positionals[0]) return store.removeUser(positionals[0]) ? 0 : notFound(positionals[0]);
    return usage();
  } finally {
    store.close();
  }
}

function usage(message?: string): number {
  if (message) console.error(message);
  console.error(USAGE);
  return 2;
}

function notFound(what: string): number {
  console.error(`${what} is not registered`);
  return 1;
}

runCommand(() => main(process.argv.slice(2)));
