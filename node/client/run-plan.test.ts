import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../home/run-config.js';
import { EMPTY_SNAPSHOT, formatChange, planNodeChanges, type NodeSnapshot } from './run-plan.js';

const config = (text: string) => parseRunConfig(text, { file: 'f.yaml', env: {}, baseDir: '/' });
const FILE = [
  'tcp-outlets:',
  '  - to: 127.0.0.1:5432',
  '    allow: subject.component == "analysis"',
  'tcp-inlets:',
  '  - from: 127.0.0.1:15432',
  '    via: postgres',
  '    allow: subject.component == "db"',
  'relays: [postgres]',
  'policies:',
  '  - resource-type: secure-channel-listener',
  '    expression: "true"',
].join('\n');
const CREATED = '2024-01-01T00:00:00.000Z';
const converged: NodeSnapshot = {
  outlets: [{ address: 'outlet', target: '127.0.0.1:5432', allow: 'subject.component == "analysis"', createdAt: CREATED }],
  inlets: [{ listen: '127.0.0.1:15432', via: 'postgres', outlet: 'outlet', allow: 'subject.component == "db"', createdAt: CREATED }],
  relays: [{ name: 'postgres', createdAt: CREATED }],
  policies: [
    { scope: { kind: 'resource-type', type: 'secure-channel-listener' }, expression: 'true' },
    { scope: { kind: 'resource', name: 'outlet' }, expression: 'subject.component == "analysis"' },
    { scope: { kind: 'resource', name: '127.0.0.1:15432' }, expression: 'subject.component == "db"' },
  ],
};

describe('planNodeChanges', () => {
  it('creates everything on an empty node: policies, outlets, relays, then inlets', () => {
    expect(planNodeChanges(config(FILE), EMPTY_SNAPSHOT).map(formatChange)).toEqual([
      '+ policy resource-type secure-channel-listener (true)',
      '+ tcp-outlet outlet (to 127.0.0.1:5432, allow subject.component == "analysis")',
      '+ relay postgres',
      '+ tcp-inlet 127.0.0.1:15432 (via postgres, allow subject.component == "db")',
    ]);
  });

  it('changes nothing on a node that matches, allow policies included', () => {
    expect(planNodeChanges(config(FILE), converged)).toEqual([]);
  });

  it('removes what the file no longer lists (an inlet takes its allow policy along) and changes what differs', () => {
    const edited = config([
      'tcp-outlets:', '  - to: 127.0.0.1:5433', '    allow: subject.component == "analysis"',
      'policies:', '  - resource-type: secure-channel-listener', '    expression: "false"',
    ].join('\n'));
    expect(planNodeChanges(edited, converged).map(formatChange)).toEqual([
      '- tcp-inlet 127.0.0.1:15432',
      '- relay postgres',
      '~ policy resource-type secure-channel-listener (expression: true -> false)',
      '~ tcp-outlet outlet (to: 127.0.0.1:5432 -> 127.0.0.1:5433)',
    ]);
  });

  it('plans a policy\'s mode: created in audit mode, changed when only the mode differs, unchanged when both match', () => {
    const audit = config(['policies:', '  - resource: echo', '    expression: "true"', '    mode: audit'].join('\n'));
    expect(planNodeChanges(audit, EMPTY_SNAPSHOT).map(formatChange)).toEqual(['+ policy resource echo (true, mode audit)']);
    const enforced: NodeSnapshot = { ...EMPTY_SNAPSHOT, policies: [{ scope: { kind: 'resource', name: 'echo' }, expression: 'true', mode: 'enforce' }] };
    expect(planNodeChanges(audit, enforced).map(formatChange)).toEqual(['~ policy resource echo (mode: enforce -> audit)']);
    const audited: NodeSnapshot = { ...EMPTY_SNAPSHOT, policies: [{ scope: { kind: 'resource', name: 'echo' }, expression: 'true', mode: 'audit' }] };
    expect(planNodeChanges(audit, audited)).toEqual([]);
  });

  it('removes a policy that no inlet, outlet or file entry owns', () => {
    const now: NodeSnapshot = { ...EMPTY_SNAPSHOT, policies: [{ scope: { kind: 'resource', name: 'echo' }, expression: 'true' }] };
    expect(planNodeChanges(config('relays: []'), now).map(formatChange)).toEqual(['- policy resource echo']);
  });
});
