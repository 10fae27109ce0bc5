import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allowSecureChannelOrLocal } from '../../../core/node/access-control.js';
import { DataKeyRing } from '../../../core/kafka/data-key-ring.js';
import { KEY_SERVICE_ADDRESS, KeyServiceWorker } from '../../../core/kafka/key-exchange.js';
import type { DataKey } from '../../../core/kafka/record-cipher.js';
import { revokedPeerCheck } from '../revoked-peers.js';
import type { DaemonContext } from '../service.js';

/** The file of a node's Kafka data keys (mode 0600, beside its vault and policies). */
function keyFile(ctx: DaemonContext): string {
  return join(ctx.home.node(ctx.name).dir, 'kafka-keys.json');
}

function load(file: string): DataKey[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: { id: string; topic: string; secret: string; createdAt: number; retentionMs?: unknown }[] };
  return (parsed.keys ?? []).filter((k) => typeof k.id === 'string' && /^[0-9a-f]{32}$/.test(k.id) && typeof k.topic === 'string' && typeof k.secret === 'string' && typeof k.createdAt === 'number')
    .map((k) => ({
      id: k.id, topic: k.topic, secret: Buffer.from(k.secret, 'base64'), createdAt: k.createdAt,
      ...(typeof k.retentionMs === 'number' && k.retentionMs > 0 ? { retentionMs: k.retentionMs } : {}),
    }))
    .filter((k) => k.secret.length === 32);
}

function save(file: string, keys: readonly DataKey[]): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, keys: keys.map((k) => ({ id: k.id, topic: k.topic, secret: k.secret.toString('base64'), createdAt: k.createdAt, ...(k.retentionMs !== undefined ? { retentionMs: k.retentionMs } : {}) })) }), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Rotation and retention of a node's data keys, from the environment (seconds), else the defaults (1 h, 7 days). */
function periods(): { rotationMs?: number; retentionMs?: number } {
  const seconds = (name: string): number | undefined => {
    const v = process.env[name];
    return v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) * 1000 : undefined;
  };
  const rotationMs = seconds('SYMBOLON_KAFKA_KEY_ROTATION_SECONDS');
  const retentionMs = seconds('SYMBOLON_KAFKA_KEY_RETENTION_SECONDS');
  return { ...(rotationMs !== undefined ? { rotationMs } : {}), ...(retentionMs !== undefined ? { retentionMs } : {}) };
}

/**
 * The node's Kafka data keys and the key service at `kafka_keys`: a key goes to a peer
 * only over a secure channel, only when the peer is not revoked and the node's policy for
 * resource type `kafka-consume` (resource name and `resource.topic`: the key's topic,
 * action `consume`) allows it. Keys persist in `nodes/<name>/kafka-keys.json` (0600).
 */
export async function startKafkaKeys(ctx: DaemonContext): Promise<DataKeyRing> {
  const file = keyFile(ctx);
  let saved: DataKey[] = [];
  try {
    saved = load(file);
  } catch (error) {
    ctx.logger.error({ err: (error as Error).message }, 'cannot read the kafka data keys: starting with none');
  }
  const ring = new DataKeyRing({ ...periods(), saved, changed: (keys) => save(file, keys) });
  const worker = new KeyServiceWorker(
    (id) => ring.get(id),
    (peer, key) => {
      const resource = { type: 'kafka-consume', name: key.topic, topic: key.topic };
      return !revokedPeerCheck(ctx, resource, 'consume')(peer) && ctx.policy.authorize(resource, 'consume', peer);
    },
    ctx.logger,
  );
  await ctx.node.startWorker(KEY_SERVICE_ADDRESS, worker, { incoming: allowSecureChannelOrLocal });
  return ring;
}
