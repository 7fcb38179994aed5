import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';

/** How to log in to NATS (and check the server); the CLI's login flags are these. */
export interface NatsLogin {
  user?: string;
  password?: string;
  token?: string;
  /** a NATS credentials file (JWT + NKey seed) */
  creds?: string;
  /** PEM file of the CA(s) the server's certificate must chain to (a private CA); implies TLS */
  tlsCa?: string;
  /** PEM client certificate and its key, for servers that verify clients (mutual TLS); implies TLS */
  tlsCert?: string;
  tlsKey?: string;
}

/** The login parts, by name (the CLI picks them out of its parsed flags). */
export const LOGIN_KEYS = ['user', 'password', 'token', 'creds', 'tlsCa', 'tlsCert', 'tlsKey'] as const satisfies readonly (keyof NatsLogin)[];

/** How to reach and log in to NATS; shared by the worker, the client and the CLI. */
export interface NatsConnectOptions extends NatsLogin {
  /** one or more server URLs: nats://host:port, or tls://host:port to insist on TLS */
  servers: string | readonly string[];
  /** connection name shown by the server's monitoring */
  name?: string;
}

export const DEFAULT_SERVER = 'nats://127.0.0.1:4222';

/** Checks the combination and builds nats.js options; throws an Error naming what is wrong. */
export function connectionOptions(options: NatsConnectOptions): ConnectionOptions {
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  if (servers.length === 0) throw new Error('no NATS server given');
  if ((options.user === undefined) !== (options.password === undefined)) throw new Error('--user and --password go together');
  const schemes = [options.user !== undefined && 'user/password', options.token !== undefined && 'token', options.creds !== undefined && 'credentials file'].filter(Boolean);
  if (schemes.length > 1) throw new Error(`choose one way to log in, not ${schemes.join(' and ')}`);

  const result: ConnectionOptions = { servers, name: options.name };
  if (options.user !== undefined) Object.assign(result, { user: options.user, pass: options.password });
  if (options.token !== undefined) result.token = options.token;
  if (options.creds !== undefined) result.authenticator = credsAuthenticator(readOption(options.creds, 'credentials file'));
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  // nats.js drops the scheme and upgrades only when the server offers TLS; a tls:// URL or any
  // TLS file asks for it to be required.
  if (servers.some((url) => url.toLowerCase().startsWith('tls://')) || options.tlsCa !== undefined || options.tlsCert !== undefined) {
    result.tls = {
      ...(options.tlsCa === undefined ? {} : { ca: readOption(options.tlsCa, 'TLS CA file').toString() }),
      ...(options.tlsCert === undefined ? {} : { cert: readOption(options.tlsCert, 'TLS certificate file').toString(), key: readOption(options.tlsKey!, 'TLS key file').toString() }),
    };
  }
  return result;
}

function readOption(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Connects; `extra` tunes reconnection for long-lived workers. */
export async function connectNats(options: NatsConnectOptions, extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const base = connectionOptions(options);
  try {
    return await connect({ ...base, ...extra });
  } catch (error) {
    throw new Error(`cannot connect to NATS at ${(base.servers as string[]).join(', ')}: ${(error as Error).message}`);
  }
}
