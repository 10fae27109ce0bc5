// Test helper process: opens the SQLite authority store at argv[2] and, at time argv[6],
// attempts argv[5] concurrent redemptions of ticket hash argv[3]; prints the outcomes as JSON.
import { openSqliteAuthorityStore } from '../authority-store-sqlite.js';

const [path, hash, id, count, startAt] = process.argv.slice(2) as [string, string, string, string, string];
const store = await openSqliteAuthorityStore(path, { busyTimeoutMs: 15_000 });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const outcomes = await Promise.all(Array.from({ length: Number(count) }, (_, i) =>
  store.withTransaction((tx) => tx.redeemTicket(hash, `I${id}-${i}`, Date.now()))));
await store.close();
process.stdout.write(JSON.stringify(outcomes.map((o) => (o.ok ? 'ok' : o.reason))));
