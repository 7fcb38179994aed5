import { LOGIN_KEYS, type NatsLogin } from './connection.js';

/**
 * The environment variables the NATS CLI (`nats`) reads for its connection flags; ours read the
 * same ones, so one exported context serves both tools.
 */
export const NATS_ENV = {
  servers: 'NATS_URL',
  user: 'NATS_USER',
  password: 'NATS_PASSWORD',
  token: 'NATS_TOKEN',
  creds: 'NATS_CREDS',
  tlsCa: 'NATS_CA',
  tlsCert: 'NATS_CERT',
  tlsKey: 'NATS_KEY',
} as const satisfies Record<(typeof LOGIN_KEYS)[number] | 'servers', string>;

/** A server list as the NATS CLI takes it: comma-separated, blanks ignored. */
export function splitServers(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** NATS_URL's servers, or null when it is unset or blank. */
export function serversFromEnv(env: Readonly<Record<string, string | undefined>>): string[] | null {
  const servers = splitServers(env[NATS_ENV.servers] ?? '');
  return servers.length > 0 ? servers : null;
}

/** The login values set in the environment (each under the NATS CLI's name), unset ones omitted. */
export function loginFromEnv(env: Readonly<Record<string, string | undefined>>): NatsLogin {
  return Object.fromEntries(LOGIN_KEYS.flatMap((key) => (env[NATS_ENV[key]] === undefined ? [] : [[key, env[NATS_ENV[key]]]])));
}
