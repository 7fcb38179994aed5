import type { Command } from 'commander';
import { randomIds, systemClock } from '../../../src/clock.js';
import { completeCap, parseCapInput, type Cap, type CapContext } from '../../../src/records/cap.js';
import type { CapReceipt } from '../../../src/records/receipt.js';
import { CliError, EXIT } from './errors.js';
import type { CliExtension, CliTools } from './extension.js';
import { hopsOption, jsonObject } from './options.js';
import { loadSigningKey, sealWithKeyFile } from './seal.js';

/** `emit`: one cap from flags, run in process, or sent wherever an extension's flags say. */
export function registerEmitCommand(program: Command, tools: CliTools, extensions: readonly CliExtension[]): void {
  const emit = tools
    .withRunFlags(program.command('emit'))
    .description('build one cap from flags, run it (with its follow-ups up to --hops) and print the results as JSON')
    .requiredOption('--actor <id>', 'actor_id of the sender')
    .requiredOption('--intent <intent>', 'dotted intent, e.g. agent.tool.high')
    .option('--authority <ref>', 'authority_ref', 'sam:tool')
    .option('--payload <json>', 'payload JSON object', jsonObject('--payload'), {})
    .option('--actor-aint <aint>', 'actor_aint (defaults to the actor when it ends in .aint)')
    .option('--actor-jis-pubkey <key>', 'actor_jis_pubkey')
    .option('--executor-class <class>', 'executor_class', 'default')
    .option('--route-class <class>', 'route_class: direct, relay, triage, local, cluster', 'direct')
    .option('--lane-hint <lane>', 'lane id to use instead of lane:<intent>:<executor_class>')
    .option('--parent-id <cap_id>', 'parent cap id')
    .option('--continuation-mode <mode>', 'sets payload.continuation_mode')
    .option('--attestation-layer <layer>', 'jis, self-signed or none', 'jis')
    .option('--attestation-ref <ref>', 'attestation_ref')
    .option('--key <file>', 'seal the cap with this key file before submitting it (self-signed caps get actor_jis_pubkey from it)');
  for (const option of extensions.flatMap((extension) => extension.emitOptions?.() ?? [])) emit.addOption(option);
  emit.addOption(hopsOption('1')).action(async (o: Record<string, unknown>) => {
    const targets = extensions.map((extension) => extension.emitTarget?.(o)).filter((target) => target !== undefined);
    if (targets.length > 1) throw new CliError('emit: the flags name more than one place to send the cap');
    const [target] = targets;
    if (target) {
      const cap = capFromFlags(o, { clock: systemClock, ids: randomIds() });
      const key = o.key === undefined ? undefined : loadSigningKey(o.key as string);
      const receipt: CapReceipt = await target(cap, key);
      tools.out(JSON.stringify(receipt, null, 2) + '\n');
      // the bus answered, but refused to run the cap (bad or untrusted seal, policy)
      if (receipt.payload.accepted === false) throw new CliError(`cap ${receipt.cap_id} was not executed: ${receipt.payload.reason ?? receipt.outcome}`, EXIT.bad);
      return;
    }
    // the printed results carry the seals
    const cliBus = tools.composeBus({ ...o, signs: true });
    const cap = capFromFlags(o, cliBus.bus.context);
    const root = o.key === undefined ? { cap } : { sealed: sealWithKeyFile(cap, o.key as string).bytes };
    const results = await cliBus.bus.runChain(root, (o.hops as number | undefined) ?? 1);
    cliBus.finish();
    tools.out(JSON.stringify(results, null, 2) + '\n');
  });
}

function capFromFlags(o: Record<string, unknown>, ctx: CapContext): Cap {
  const payload = { ...(o.payload as Record<string, unknown>) };
  if (o.continuationMode !== undefined) payload.continuation_mode = o.continuationMode;
  const parsed = parseCapInput({
    actor_id: o.actor,
    intent: o.intent,
    authority_ref: o.authority,
    payload,
    executor_class: o.executorClass,
    route_class: o.routeClass,
    lane_hint: o.laneHint ?? null,
    parent_id: o.parentId ?? null,
    actor_aint: o.actorAint ?? null,
    actor_jis_pubkey: o.actorJisPubkey ?? null,
    attestation_layer: o.attestationLayer,
    attestation_ref: o.attestationRef ?? null,
  });
  if (!parsed.ok) throw new CliError(`invalid cap: ${parsed.error}`);
  return completeCap(parsed.input, ctx);
}
