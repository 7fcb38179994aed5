/**
 * Deployment facts the records mention but the bus cannot know by itself. The reference
 * hard-coded a private LLM host; here they are configuration with neutral defaults.
 */
export interface BusConfig {
  /** target_url of caps whose payload names a `model` and no target_url. */
  llmEndpoint: string;
  /** surface of caps whose payload names a `model` (and are neither factory nor service). */
  llmSurface: string;
}

export const DEFAULT_CONFIG: BusConfig = {
  llmEndpoint: 'cap://llm-runtime/generate',
  llmSurface: 'llm-runtime',
};
