/** `HOST:PORT` or `[IPv6]:PORT`; throws naming the accepted form. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65_535) throw new Error(`${JSON.stringify(text)} is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464; port 0 picks a free one)`);
  return { host: m[1] ?? m[2]!, port };
}
