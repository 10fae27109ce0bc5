import { cipherOfProtocol } from './protocol-name.js';
import { X25519KeyPair } from './x25519.js';
import { XxInitiator } from './xx-initiator.js';
import { XxResponder } from './xx-responder.js';
import type { HandshakeResult } from './handshake-state.js';

/** Outcome of replaying a vector file. */
export interface NoiseVectorReport {
  readonly passed: number;
  readonly failed: number;
  /** Entries for a protocol (or PSK use) this implementation does not run. */
  readonly skipped: number;
  /** One line per failed entry: which entry, which step, what differed. */
  readonly failures: string[];
}

const EMPTY = new Uint8Array(0);

/** Parses lowercase or uppercase hex; throws on anything else. */
function hex(value: unknown, field: string): Uint8Array {
  if (value === undefined) return EMPTY;
  if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(value)) throw new Error(`${field} is not hex`);
  return Buffer.from(value, 'hex');
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function expectEqual(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!Buffer.from(actual).equals(Buffer.from(expected))) {
    throw new Error(`${what} differs: got ${toHex(actual).slice(0, 32)}..., want ${toHex(expected).slice(0, 32)}...`);
  }
}

type Entry = Record<string, unknown>;

/** Whether an entry is one this implementation can run. */
function isSupported(entry: Entry): boolean {
  if (typeof entry.protocol_name !== 'string' || cipherOfProtocol(entry.protocol_name) === undefined) return false;
  for (const key of ['init_psks', 'resp_psks']) {
    const psks = entry[key];
    if (psks !== undefined && !(Array.isArray(psks) && psks.length === 0)) return false;
  }
  return true;
}

/**
 * Replays one entry through XxInitiator/XxResponder and the Split() CipherStates.
 * Each side writes its message (compared with the vector's ciphertext) and the other
 * side reads the vector's ciphertext (compared with the payload).
 */
function runEntry(entry: Entry): void {
  const messages = entry.messages;
  if (!Array.isArray(messages) || messages.length < 3) throw new Error('needs at least 3 messages');
  const msg = messages.map((m: unknown, i: number) => {
    const o = (m ?? {}) as Entry;
    return { payload: hex(o.payload, `messages[${i}].payload`), ciphertext: hex(o.ciphertext, `messages[${i}].ciphertext`) };
  });
  const initStatic = X25519KeyPair.fromPrivateKey(hex(entry.init_static, 'init_static'));
  const respStatic = X25519KeyPair.fromPrivateKey(hex(entry.resp_static, 'resp_static'));
  try {
    replay(entry, msg, initStatic, respStatic);
  } finally {
    initStatic.destroy();
    respStatic.destroy();
  }
}

/** The handshake and transport steps of one entry, with its static keys imported. */
function replay(entry: Entry, msg: { payload: Uint8Array; ciphertext: Uint8Array }[], initStatic: X25519KeyPair, respStatic: X25519KeyPair): void {
  const protocolName = entry.protocol_name as string;
  const initiator = XxInitiator.start({
    protocolName, staticKey: initStatic, prologue: hex(entry.init_prologue, 'init_prologue'),
    ephemeralKey: X25519KeyPair.fromPrivateKey(hex(entry.init_ephemeral, 'init_ephemeral')),
  });
  const responder = XxResponder.start({
    protocolName, staticKey: respStatic, prologue: hex(entry.resp_prologue, 'resp_prologue'),
    ephemeralKey: X25519KeyPair.fromPrivateKey(hex(entry.resp_ephemeral, 'resp_ephemeral')),
  });

  // -> e
  const w0 = initiator.writeMessage1(msg[0]!.payload);
  expectEqual(w0.send, msg[0]!.ciphertext, 'message 0 ciphertext');
  const r0 = responder.readMessage1(msg[0]!.ciphertext);
  expectEqual(r0.payload, msg[0]!.payload, 'message 0 payload');
  // <- e, ee, s, es
  const w1 = r0.next.writeMessage2(msg[1]!.payload);
  expectEqual(w1.send, msg[1]!.ciphertext, 'message 1 ciphertext');
  const r1 = w0.next.readMessage2(msg[1]!.ciphertext);
  expectEqual(r1.payload, msg[1]!.payload, 'message 1 payload');
  expectEqual(r1.remoteStaticKey, respStatic.publicKey, 'initiator rs');
  // -> s, se
  const w2 = r1.next.writeMessage3(msg[2]!.payload);
  expectEqual(w2.send, msg[2]!.ciphertext, 'message 2 ciphertext');
  const r2 = w1.next.readMessage3(msg[2]!.ciphertext);
  expectEqual(r2.payload, msg[2]!.payload, 'message 2 payload');
  expectEqual(r2.remoteStaticKey, initStatic.publicKey, 'responder rs');

  const init: HandshakeResult = w2.next;
  const resp: HandshakeResult = r2.next;
  expectEqual(init.handshakeHash, resp.handshakeHash, 'handshake hash of the two sides');
  if (entry.handshake_hash !== undefined) expectEqual(init.handshakeHash, hex(entry.handshake_hash, 'handshake_hash'), 'handshake_hash');

  for (let i = 3; i < msg.length; i++) {
    const [sender, receiver] = i % 2 === 0 ? [init, resp] : [resp, init];
    const { payload, ciphertext } = msg[i]!;
    expectEqual(sender.send.encryptWithAd(EMPTY, payload), ciphertext, `message ${i} ciphertext`);
    expectEqual(receiver.receive.decryptWithAd(EMPTY, ciphertext), payload, `message ${i} payload`);
  }
  for (const side of [init, resp]) {
    side.send.clear();
    side.receive.clear();
  }
}

/** The entries of a vector file: `vectors` and `ockam_vectors`, or a bare array. */
function entriesOf(json: unknown): { label: string; entry: Entry }[] {
  const out: { label: string; entry: Entry }[] = [];
  const add = (list: unknown, prefix: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((entry: unknown, i: number) => out.push({ label: `${prefix}[${i}]`, entry: (entry ?? {}) as Entry }));
  };
  if (Array.isArray(json)) add(json, 'vectors');
  else if (json !== null && typeof json === 'object') {
    add((json as Entry).vectors, 'vectors');
    add((json as Entry).ockam_vectors, 'ockam_vectors');
  }
  return out;
}

/**
 * Replays a Noise test-vector file (format of `shared/vectors/noise-xx.json`) through
 * the project's XX handshake and CipherState transport. Entries for another protocol
 * are counted as skipped; an entry passes only if every message, payload, remote
 * static key and (when given) the handshake hash match.
 */
export function runNoiseVectors(json: unknown): NoiseVectorReport {
  let passed = 0;
  let skipped = 0;
  const failures: string[] = [];
  for (const { label, entry } of entriesOf(json)) {
    const name = `${label} ${String(entry.protocol_name)}`;
    if (!isSupported(entry)) {
      skipped++;
      continue;
    }
    try {
      runEntry(entry);
      passed++;
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { passed, failed: failures.length, skipped, failures };
}
