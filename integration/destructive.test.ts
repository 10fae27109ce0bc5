import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

// Commands that destroy state refuse to run unattended without --yes, and an identity that
// a node runs as (the default node runs as the default identity) cannot be deleted.
describe('destructive commands', () => {
  let home: string;
  beforeAll(async () => {
    assertBuilt();
    home = tempHome('sym-destructive-');
    const port = await freePort();
    expect((await runCliJson(home, ['node', 'create', 'n1', '--tcp-listener-address', `127.0.0.1:${port}`])).code).toBe(0);
  }, 60_000);
  afterAll(async () => { await cleanupHome(home); }, 60_000);

  it('identity delete refuses the default identity of the running default node, even with --yes', async () => {
    const r = await runCli(home, ['identity', 'delete', 'default', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/identity 'default' is used by node 'n1': delete that node first/);
    const shown = await runCliJson(home, ['identity', 'show', 'default']);
    expect(shown.code).toBe(0);
  });

  it('node delete --all asks for --yes when not on a terminal and deletes nothing', async () => {
    const r = await runCli(home, ['node', 'delete', '--all']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused without confirmation; pass --yes to go ahead/);
    const list = await runCliJson(home, ['node', 'list']);
    expect(JSON.stringify(list.json)).toMatch(/"running"/);
  });

  it('project delete asks for --yes and keeps the project node and its database', async () => {
    const port = await freePort();
    expect((await runCliJson(home, ['project', 'create', 'p1', '--listen', `127.0.0.1:${port}`])).code).toBe(0);
    const r = await runCli(home, ['project', 'delete', 'p1']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/Delete project p1 and its project node .* refused without confirmation; pass --yes/)]);
    expect((await runCliJson(home, ['project', 'show', 'p1'])).code).toBe(0);
    expect((await runCliJson(home, ['node', 'show', 'p1'])).json).toMatchObject({ status: 'running' });
    expect((await runCliJson(home, ['project', 'delete', 'p1', '--yes'])).json).toMatchObject({ projectNodeDeleted: true });
  }, 60_000);
});
