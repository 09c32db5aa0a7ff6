import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hashSecret } from '../auth/passwords';
import { redirectUrisProblem } from '../auth/redirect-uri';
import { AuthStore, type ClientRecord, type ClientType } from '../auth/store';
import { ID_PATTERN } from '../fhir/util';
import { adminAuditEvent } from '../audit/admin-event';
import { changed, type AdminTrail as Trail } from '../audit/admin-change';
import { AuditAppender } from '../audit/appender';
import { loadCheckpointSigner } from '../audit/checkpoint';
import { trailHead } from '../audit/head';
import { getRegistry } from '../definitions/registry';
import type { Config } from '../config';
import { createAuditStore, createStore } from '../storage';
import { CommandError, commandConfig, parseCommandLine, runCommand, UsageError } from './command';

const USAGE = `Usage: npm run admin -- <command>
  client add --id ID --type public|confidential-symmetric|confidential-asymmetric --scope "SCOPES"
             [--name NAME] [--redirect-uri URI]... [--origin ORIGIN]... [--jwks-file FILE | --jwks-url URL]
             (redirect URIs: https, or http on 127.0.0.1, [::1] or localhost; no fragment)
             (a confidential symmetric client's secret is generated and printed once)
  client list
  client remove ID
  user add --username NAME --fhir-user Patient/123 [--administrator] [--force]
             (the fhirUser must exist in the FHIR store, unless --force; the password is read from
             FHIR_USER_PASSWORD or generated and printed once; an administrator's user/ scopes reach every record)
  user list
  user remove NAME
The store is the one of DATA_DIR (see the README).`;

const OPTIONS = {
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
  force: { type: 'boolean' },
} as const;

/** The options each command takes; any other is refused, so a misspelt or misplaced one is never ignored. */
const COMMANDS: Record<string, (keyof typeof OPTIONS)[]> = {
  'client add': ['id', 'name', 'type', 'scope', 'redirect-uri', 'origin', 'jwks-file', 'jwks-url'],
  'client list': [],
  'client remove': [],
  'user add': ['username', 'fhir-user', 'administrator', 'force'],
  'user list': [],
  'user remove': [],
};

const CLIENT_TYPES: ClientType[] = ['public', 'confidential-symmetric', 'confidential-asymmetric'];
const FHIR_USER = new RegExp(`^(Patient|Practitioner|RelatedPerson|Person)/${ID_PATTERN}$`);

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv;
  const command = `${noun} ${verb}`;
  const allowed = COMMANDS[command];
  if (!allowed) throw new UsageError(noun ? `unknown command: ${[noun, verb].filter(Boolean).join(' ')}` : 'no command given');
  const { values, positionals } = parseCommandLine(rest, OPTIONS, true);
  const misplaced = Object.keys(values).find((o) => !allowed.includes(o as keyof typeof OPTIONS));
  if (misplaced) throw new UsageError(`${command} takes no --${misplaced}`);
  const removes = verb === 'remove';
  if (removes ? positionals.length !== 1 : positionals.length) throw new UsageError(removes ? `${command} takes one ${noun === 'user' ? 'user name' : 'client id'}` : `unexpected argument: ${positionals[0]}`);
  const config = commandConfig();
  // the trail is opened before anything changes: a change whose trail cannot even be opened is not made
  const trail = verb === 'list' ? undefined : await openTrail(config);
  try {
    const status = await (command === 'user add' ? addUser(values, config, trail) : manage(command, values, positionals, config, trail));
    if (trail?.incomplete) throw new CommandError(trail.incomplete);
    return status;
  } finally {
    await trail?.close();
  }
}

type Parsed = ReturnType<typeof parseCommandLine<typeof OPTIONS>>;

/** client add, list and remove; user list and remove. */
async function manage(command: string, values: Parsed['values'], positionals: string[], config: Config, trail: Trail | undefined): Promise<number> {
  const noun = command.split(' ')[0];
  const store = new AuthStore(config.dataDir);
  try {
    if (command === 'client add') {
      const type = values.type as ClientType;
      const missing = (['id', 'type', 'scope'] as const).filter((o) => !values[o]);
      if (missing.length) throw new UsageError(`client add needs ${missing.map((o) => `--${o}`).join(', ')}`);
      if (!CLIENT_TYPES.includes(type)) throw new UsageError(`--type must be one of ${CLIENT_TYPES.join(', ')}, got "${values.type}"`);
      const client: ClientRecord = {
        id: values.id as string,
        name: values.name ?? (values.id as string),
        type,
        redirectUris: values['redirect-uri'] ?? [],
        scope: values.scope as string,
        ...(values.origin ? { origins: values.origin } : {}),
        ...(values['jwks-file'] ? { jwks: readJwks(values['jwks-file']) } : {}),
        ...(values['jwks-url'] ? { jwksUrl: values['jwks-url'] } : {}),
      };
      if (type === 'confidential-asymmetric' && !client.jwks && !client.jwksUrl) throw new UsageError('an asymmetric client needs --jwks-file or --jwks-url');
      const problem = redirectUrisProblem(client.redirectUris);
      if (problem) throw new UsageError(problem);
      let secret: string | undefined;
      if (type === 'confidential-symmetric') {
        secret = randomBytes(32).toString('base64url');
        client.secretHash = await hashSecret(secret);
      }
      await changed(trail, { action: 'add', target: { kind: 'client', id: client.id }, detail: `type ${type}, scope ${client.scope}` }, () => store.putClient(client));
      console.log(JSON.stringify({ client_id: client.id, ...(secret ? { client_secret: secret } : {}), scope: client.scope }, null, 2));
      return 0;
    }
    if (command === 'client list') {
      for (const c of store.listClients()) console.log(`${c.id}\t${c.type}\t${c.scope}\t${c.redirectUris.join(' ')}`);
      return 0;
    }
    if (command === 'user list') {
      for (const u of store.listUsers()) console.log(`${u.username}\t${u.fhirUser}${u.administrator ? '\tadministrator' : ''}`);
      return 0;
    }
    const [name] = positionals;
    const fhirUser = noun === 'user' ? store.getUser(name)?.fhirUser : undefined;
    const removed = await changed(
      trail,
      { action: 'remove', target: { kind: noun as 'client' | 'user', id: name, ...(fhirUser ? { fhirUser } : {}) } },
      () => (noun === 'client' ? store.removeClient(name) : store.removeUser(name)),
      (done) => (done ? { done } : { done, detail: `no such ${noun}` })
    );
    if (!removed) throw new CommandError(`no ${noun} ${name} is registered in ${config.dataDir}; nothing removed`);
    console.log(`removed ${noun} ${name} from ${config.dataDir}`);
    return 0;
  } finally {
    store.close();
  }
}

async function addUser(values: { username?: string; 'fhir-user'?: string; administrator?: boolean; force?: boolean }, config: Config, trail: Trail | undefined): Promise<number> {
  const { username, 'fhir-user': fhirUser } = values;
  const missing = (['username', 'fhir-user'] as const).filter((o) => !values[o]);
  if (missing.length || !username || !fhirUser) throw new UsageError(`user add needs ${missing.map((o) => `--${o}`).join(', ')}`);
  if (!FHIR_USER.test(fhirUser)) throw new UsageError(`--fhir-user must be Patient/, Practitioner/, RelatedPerson/ or Person/ and an id, got "${fhirUser}"`);
  // a user whose fhirUser is not in the store reaches nothing and cannot sign in usefully: a typo, most likely
  if (!values.force) {
    const [type, id] = fhirUser.split('/');
    const fhir = await createStore(config);
    try {
      const current = await fhir.readCurrent(type, id);
      if (!current || current.deleted) {
        throw new CommandError(`${fhirUser} ${current ? 'is deleted' : 'does not exist'} in the FHIR store (${config.mongodbUri ? `MongoDB ${config.mongodbDb}` : config.dataDir}); create it first, or add the user with --force`);
      }
    } finally {
      await fhir.close();
    }
  }
  const store = new AuthStore(config.dataDir);
  try {
    const password = process.env.FHIR_USER_PASSWORD || randomBytes(12).toString('base64url');
    const administrator = values.administrator ? { administrator: true } : {};
    const passwordHash = await hashSecret(password);
    await changed(trail, { action: 'add', target: { kind: 'user', id: username, fhirUser }, ...(values.administrator ? { detail: 'administrator' } : {}) }, () =>
      store.putUser({ username, passwordHash, fhirUser, ...administrator })
    );
    console.log(JSON.stringify({ username, fhirUser, ...administrator, ...(process.env.FHIR_USER_PASSWORD ? {} : { password }) }, null, 2));
    return 0;
  } finally {
    store.close();
  }
}

/**
 * The audit trail of DATA_DIR (or MONGODB_URI), appended through the same appender as the server and
 * the importer, so the chain and its checkpoints go on unbroken; undefined with FHIR_AUDIT=off.
 */
async function openTrail(config: Config): Promise<Trail | undefined> {
  if (!config.audit) return undefined;
  const auditStore = await createAuditStore(config);
  const base = { baseUrl: config.baseUrl, config, registry: getRegistry(), now: () => new Date() };
  const appender = new AuditAppender(auditStore, base, await loadCheckpointSigner(config.dataDir), undefined, trailHead(config.dataDir, auditStore));
  return {
    record: async (change) => {
      const event = adminAuditEvent(change, new Date());
      await appender.append([event]);
      return event.id as string;
    },
    close: () => auditStore.close(),
  };
}

function readJwks(file: string): ClientRecord['jwks'] {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ClientRecord['jwks'];
  } catch (err) {
    throw new UsageError(`--jwks-file ${file}: ${(err as Error).message}`);
  }
}

runCommand(USAGE, main);
