import { REPLAY_WINDOW_AGE_MS, REPLAY_WINDOW_SIZE } from './replay-window.js';

/**
 * Deployment facts the records mention but the bus cannot know by itself. The reference
 * hard-coded a private LLM host; here they are configuration with neutral defaults. Also the
 * bounds of the replay window, which a deployment may need larger.
 */
export interface BusConfig {
  /** target_url of caps whose payload names a `model` and no target_url. */
  llmEndpoint: string;
  /** surface of caps whose payload names a `model` (and are neither factory nor service). */
  llmSurface: string;
  /** cap_ids a running bus remembers so a replay gets the first receipt (0: none) */
  replayWindowSize: number;
  /** how long, in ms, a cap_id stays in the replay window */
  replayWindowMs: number;
}

export const DEFAULT_CONFIG: BusConfig = {
  llmEndpoint: 'cap://llm-runtime/generate',
  llmSurface: 'llm-runtime',
  replayWindowSize: REPLAY_WINDOW_SIZE,
  replayWindowMs: REPLAY_WINDOW_AGE_MS,
};
