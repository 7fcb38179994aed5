/** Structured log lines: one JSON object per line on stderr, so operators can grep and ship them. */
export interface LogRecord {
  level: 'info' | 'warn' | 'error';
  msg: string;
  [field: string]: unknown;
}

export type Logger = (record: LogRecord) => void;

export const stderrLogger: Logger = (record) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
};
