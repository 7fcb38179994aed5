import { readFileSync, writeFileSync } from 'node:fs';
import { CliError } from './errors.js';

/** The CLI's file and terminal I/O on Node; errors name the file and the system's code. */

const reason = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (error) {
    throw new CliError(`cannot read ${path === '-' ? 'standard input' : path}: ${reason(error)}`);
  }
}

export const readText = (path: string): string => readBytes(path).toString('utf8');

export function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${reason(error)}`);
  }
}

export const stdout = (text: string): void => void process.stdout.write(text);
export const stderr = (text: string): void => void process.stderr.write(text);
