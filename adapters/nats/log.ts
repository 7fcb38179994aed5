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

/** Most severe first: a logger at one level writes that level and the ones before it. */
export const LOG_LEVELS = ['error', 'warn', 'info'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Drops records less severe than `level`. */
export function leveledLogger(level: LogLevel, inner: Logger = stderrLogger): Logger {
  const max = LOG_LEVELS.indexOf(level);
  return (record) => {
    if (LOG_LEVELS.indexOf(record.level) <= max) inner(record);
  };
}
