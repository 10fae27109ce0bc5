import { afterAll, beforeAll } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import { openPostgresAuthorityStore } from './authority-store-postgres.js';
import { describeAuthorityStore } from './authority-store-contract.js';

let server: TestPostgres;
let n = 0;
beforeAll(async () => { server = await startTestPostgres(); });
afterAll(async () => { await server?.stop(); });

describeAuthorityStore('postgres', async () => {
  const url = await server.createDatabase(`authority_${++n}`);
  const store = await openPostgresAuthorityStore(url);
  return { store, openAnother: () => openPostgresAuthorityStore(url), cleanup: () => store.close() };
});
