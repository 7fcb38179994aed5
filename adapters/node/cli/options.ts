import { InvalidArgumentError, Option } from 'commander';
import { SOURCES } from '../../../src/demo-sources.js';

/** Parsers and option builders the commands share. */

const positiveInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new InvalidArgumentError(`${name} must be an integer from 1 to 64`);
  return Number(value);
};

export const wholeNumber = (name: string, min = 0) => (value: string) => {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}`);
  return Number(value);
};

export const jsonObject = (name: string) => (value: string) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`${name} is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
};

export const sourceOption = () => new Option('--source <name>', 'built-in scenario to run').choices(SOURCES as unknown as string[]).default('demo');
export const inputOption = () => new Option('--input <file>', 'cap JSONL, one root cap per line ("-" reads stdin); replaces --source');
export const maxLineBytesOption = () =>
  new Option('--max-line-bytes <n>', 'longest --input line accepted, in bytes; a longer one is a bad line, not read further').default(1_048_576, '1048576, 1 MiB').argParser((value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1 << 30) throw new InvalidArgumentError('--max-line-bytes must be an integer from 1 to 1073741824');
    return Number(value);
  });
export const progressOption = () => new Option('--progress', 'show a progress line on stderr even when it is not a terminal');
export const noProgressOption = () => new Option('--no-progress', 'never show the progress line (default: shown on a terminal for runs over a second)');
export const hopsOption = (dflt?: string) =>
  new Option('--hops <n>', `chain depth per root, 1-64 (default: ${dflt ?? "the source's own; 1 for --input"})`).argParser(positiveInt('--hops'));
