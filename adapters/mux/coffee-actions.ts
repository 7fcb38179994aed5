import type { CoffeePolicy } from '../../src/policy/coffee.js';

/**
 * product.md §5, coffee-lane table: what each policy does before the lane.
 * `run` enters the lane normally, `last` waits behind everything else ready on the lane,
 * `avoid` is not executed. offline_fallback, rebuild, freeze_resume and fork_on_hop_off run
 * normally; their continuation is the receipt's business (behaviour.md §6–7).
 */
export type CoffeeAction = 'run' | 'last' | 'avoid';

export const COFFEE_ACTIONS: Readonly<Record<CoffeePolicy, CoffeeAction>> = {
  sip_anyway: 'run',
  polite_avoid: 'last',
  hard_avoid: 'avoid',
  offline_fallback: 'run',
  rebuild: 'run',
  freeze_resume: 'run',
  fork_on_hop_off: 'run',
};
