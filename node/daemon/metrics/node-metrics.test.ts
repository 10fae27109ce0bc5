import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionCounts } from '../../../policy/decision-counts.js';
import { DenialLog } from '../../../policy/denial-log.js';
import { Node } from '../../../core/node/node.js';
import { local } from '../../../core/routing/address.js';
import { TcpInlet } from '../../../core/portal/tcp-inlet.js';
import { TcpOutlet } from '../../../core/portal/tcp-outlet.js';
import { startEchoServer } from '../../../core/portal/testing/echo-server.js';
import { exchange } from '../../../core/portal/testing/tcp-client.js';
import { RelayClient } from '../../../core/relay/relay-client.js';
import { RelayService } from '../../../core/relay/relay-service.js';
import { IoError, TimeoutError } from '../../../core/errors.js';
import { TCP, tcp } from '../../../core/routing/address.js';
import { TcpTransport } from '../../../core/transport/tcp-transport.js';
import { TransportSet } from '../../../core/transport/transport-set.js';
import { transportKinds } from '../transports.js';
import { HandshakeCounts } from './handshake-counts.js';
import type { CredentialState } from './metric-sources.js';
import { NodeMetrics } from './node-metrics.js';
import { credentialStateReader } from './credential-state.js';
import { labelValues, metricValue } from './testing/metric-value.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function metricsNode(credential: CredentialState = { expected: false, valid: false }) {
  const node = new Node({ name: 'n' });
  cleanups.push(() => node.stop());
  const transports = TransportSet.create(node, transportKinds);
  cleanups.push(() => transports.stop());
  await transports.get(TCP).listen('127.0.0.1:0');
  const denials = new DenialLog();
  const decisions = new DecisionCounts();
  const handshakes = new HandshakeCounts();
  let state = credential;
  const metrics = new NodeMetrics(node, transports, { name: 'n', handshakes, denials: () => denials.counts(), decisions: () => decisions.entries(), credential: () => state });
  metrics.markStarted();
  return { node, transports, metrics, denials, decisions, handshakes, setCredential: (c: CredentialState) => { state = c; } };
}

describe('NodeMetrics', () => {
  it('reads portal sessions and bytes each way from the inlet and outlet, labelled by their addresses', async () => {
    const { node, metrics } = await metricsNode();
    const echo = await startEchoServer();
    cleanups.push(() => echo.close());
    const outlet = new TcpOutlet(node, { target: echo.address });
    await outlet.start();
    const inlet = new TcpInlet(node, { listen: '127.0.0.1:0', outlet: [local('outlet')], authorizeOutlet: () => true });
    const { address } = await inlet.start();
    cleanups.push(() => inlet.stop());
    metrics.provide('inlets', () => [inlet.status()]);
    metrics.provide('outlets', () => [outlet.status()]);

    const before = await metrics.text();
    expect(metricValue(before, 'symbolon_portal_bytes_total', { portal: 'inlet', address, direction: 'sent' })).toBe(0);
    expect(metricValue(before, 'symbolon_portal_up', { portal: 'inlet', address })).toBe(1);

    const data = randomBytes(200_000);
    expect((await exchange(address, data)).equals(data)).toBe(true);
    const after = await metrics.text();
    expect(metricValue(after, 'symbolon_portal_bytes_total', { portal: 'inlet', address, direction: 'sent' })).toBe(200_000);
    expect(metricValue(after, 'symbolon_portal_bytes_total', { portal: 'inlet', address, direction: 'received' })).toBe(200_000);
    expect(metricValue(after, 'symbolon_portal_bytes_total', { portal: 'outlet', address: 'outlet', direction: 'received' })).toBe(200_000);
    expect(metricValue(after, 'symbolon_portal_sessions_total', { portal: 'inlet', address })).toBe(1);
    expect(metricValue(after, 'symbolon_portal_sessions_total', { portal: 'outlet', address: 'outlet' })).toBe(1);
    // Label values are addresses and fixed words, never identifiers.
    for (const value of labelValues(after)) expect(value).not.toMatch(/^I[0-9a-f]{16,}/);
  });

  it('is ready while its relays are registered, and names what is not', async () => {
    const { node, metrics } = await metricsNode();
    const project = new Node({ name: 'p' });
    cleanups.push(() => project.stop());
    const { address } = await new TcpTransport(project).listen('127.0.0.1:0');
    const startRelayService = async (): Promise<RelayService> => {
      const service = new RelayService(project, { authorize: () => true });
      await service.start();
      return service;
    };
    let service = await startRelayService();
    const client = new RelayClient(node, {
      name: 'postgres', keepAliveMs: 100, requestTimeoutMs: 300, minBackoffMs: 50, maxBackoffMs: 100, fastBackoffMs: 50,
      route: async () => ({ route: [tcp(address), local('relay')] }),
    });
    cleanups.push(() => client.stop());
    metrics.provide('relays', () => [client.status()]);
    await client.start();
    await expect.poll(() => metrics.readiness().ready, { timeout: 5_000 }).toBe(true);
    expect(metricValue(await metrics.text(), 'symbolon_relay_registered', { relay: 'postgres' })).toBe(1);

    await service.stop();
    await expect.poll(() => metrics.readiness().ready, { timeout: 5_000 }).toBe(false);
    expect(metrics.readiness().checks).toContainEqual({ name: 'relay postgres', ok: false, detail: 'not registered' });
    const down = await metrics.text();
    expect(metricValue(down, 'symbolon_relay_registered', { relay: 'postgres' })).toBe(0);
    expect(metricValue(down, 'symbolon_node_ready')).toBe(0);

    service = await startRelayService();
    cleanups.push(() => service.stop());
    await expect.poll(() => metrics.readiness().ready, { timeout: 5_000 }).toBe(true);
    expect(metricValue(await metrics.text(), 'symbolon_relay_reconnects_total', { relay: 'postgres' })).toBeGreaterThanOrEqual(1);

    metrics.markStopping();
    expect(metrics.readiness().checks).toContainEqual({ name: 'started', ok: false, detail: 'stopping' });
  });

  it('needs a valid credential on a project member, and reports its expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { metrics, setCredential } = await metricsNode({ expected: true, valid: false });
    expect(metrics.readiness().checks).toContainEqual({ name: 'credential', ok: false, detail: 'no valid credential' });
    setCredential({ expected: true, valid: true, expiresAt: now + 600 });
    expect(metrics.readiness().ready).toBe(true);
    const text = await metrics.text();
    expect(metricValue(text, 'symbolon_credential_valid')).toBe(1);
    expect(metricValue(text, 'symbolon_credential_expiry_timestamp_seconds')).toBe(now + 600);
    expect(metricValue(text, 'symbolon_credential_expires_in_seconds')).toBeGreaterThan(590);
    setCredential({ expected: true, valid: false, expiresAt: now - 5 });
    expect(metrics.readiness().checks).toContainEqual({ name: 'credential', ok: false, detail: 'expired' });
  });

  it('exports no credential series on a node that needs none', async () => {
    const { metrics } = await metricsNode();
    const text = await metrics.text();
    expect(metricValue(text, 'symbolon_credential_valid')).toBeUndefined();
    expect(metricValue(text, 'symbolon_credential_expires_in_seconds')).toBeUndefined();
  });

  it('counts decisions and denials by resource type and initiator handshake failures by reason', async () => {
    const { metrics, denials, handshakes, decisions } = await metricsNode();
    decisions.count('tcp-outlet', true);
    decisions.count('tcp-outlet', false);
    decisions.count('worker', true, true);
    const resource = (type: string, name: string) => ({ type, name, node: 'n' });
    denials.record({ at: new Date().toISOString(), resource: resource('tcp-outlet', 'outlet'), action: 'connect', reason: 'r' });
    denials.record({ at: new Date().toISOString(), resource: resource('tcp-outlet', 'other'), action: 'connect', reason: 'r' });
    denials.record({ at: new Date().toISOString(), resource: resource('relay', 'a/b'), action: 'create', reason: 'r' });
    await handshakes.track(Promise.resolve(1));
    await handshakes.track(Promise.reject(new TimeoutError('channel', 'slow'))).catch(() => undefined);
    await handshakes.track(Promise.reject(new IoError('transport', 'refused'))).catch(() => undefined);
    const text = await metrics.text();
    expect(metricValue(text, 'symbolon_policy_denials_total', { resource_type: 'tcp-outlet' })).toBe(2);
    expect(metricValue(text, 'symbolon_policy_denials_total', { resource_type: 'relay' })).toBe(1);
    expect(metricValue(text, 'symbolon_policy_decisions_total', { resource_type: 'tcp-outlet', decision: 'allowed' })).toBe(1);
    expect(metricValue(text, 'symbolon_policy_decisions_total', { resource_type: 'tcp-outlet', decision: 'denied' })).toBe(1);
    expect(metricValue(text, 'symbolon_policy_would_deny_total', { resource_type: 'worker' })).toBe(1);
    expect(metricValue(text, 'symbolon_policy_would_deny_total', { resource_type: 'tcp-outlet' })).toBe(0);
    expect(metricValue(text, 'symbolon_policy_decisions_total', { resource_type: 'worker', decision: 'allowed' })).toBe(1);
    expect(metricValue(text, 'symbolon_secure_channel_handshakes_total', { role: 'initiator' })).toBe(3);
    expect(metricValue(text, 'symbolon_secure_channel_handshakes_failed_total', { role: 'initiator', reason: 'timeout' })).toBe(1);
    expect(metricValue(text, 'symbolon_secure_channel_handshakes_failed_total', { role: 'initiator', reason: 'io' })).toBe(1);
  });

  it('keeps one registry per node: two nodes in one process export their own values', async () => {
    const a = await metricsNode();
    const b = await metricsNode();
    a.denials.record({ at: new Date().toISOString(), resource: { type: 'worker', name: 'echo', node: 'n' }, action: 'handle', reason: 'r' });
    expect(metricValue(await a.metrics.text(), 'symbolon_policy_denials_total', { resource_type: 'worker' })).toBe(1);
    expect(metricValue(await b.metrics.text(), 'symbolon_policy_denials_total', { resource_type: 'worker' })).toBeUndefined();
  });
});

describe('credentialStateReader', () => {
  it('remembers the expiry of the held credential after it stopped verifying, and forgets it when replaced', () => {
    const first = { credential: new Uint8Array([1]), attestation: new Uint8Array([1]) };
    let held: typeof first | undefined = first;
    let verifies = true;
    const read = credentialStateReader({
      held: () => held, member: () => true,
      verified: () => (verifies ? { id: 'x', issuer: 'Ia', subject: 'Ib', attributes: {}, createdAt: 1, expiresAt: 1000, signerKey: 'K' + '0'.repeat(32) } : undefined),
    });
    expect(read()).toEqual({ expected: true, valid: true, expiresAt: 1000 });
    verifies = false;
    expect(read()).toEqual({ expected: true, valid: false, expiresAt: 1000 });
    held = { credential: new Uint8Array([2]), attestation: new Uint8Array([2]) };
    expect(read()).toEqual({ expected: true, valid: false });
  });
});
