/**
 * Child process of `x25519-keygen.test.ts`: generates `COUNT` ephemeral X25519 key pairs
 * (and `VAULT_COUNT` vault keys, each used once) while allocating, so that garbage
 * collections fall inside the key code. Prints `ok` when done; a deadlock never prints.
 */
import { X25519KeyPair } from '../x25519.js';
import { SoftwareX25519Key } from '../../../vault/software-x25519-key.js';

const [count, vaultCount] = [Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 300)];
let keep: number[][] = [];
const peer = X25519KeyPair.generate();
for (let i = 0; i < count; i++) {
  const pair = X25519KeyPair.generate();
  if (i % 100 === 0) pair.dh(peer.publicKey);
  keep.push(new Array(16).fill(i));
  if (keep.length > 256) keep = [];
}
for (let i = 0; i < vaultCount; i++) {
  const key = SoftwareX25519Key.generate();
  key.exportSecret();
  key.derive(peer.publicKey);
}
process.stdout.write('ok\n');
