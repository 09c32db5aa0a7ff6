import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** Structured JSON logs. Request logs name parameters but never their values: values are PHI. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'insured-fhir-server' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.access_token', '*.refresh_token'], censor: '[redacted]' },
  });
}
