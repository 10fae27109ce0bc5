import { describe, expect, it } from 'vitest';
import { AttributeStore } from './attribute-store.js';

const subject = (n: number): string => `I${n.toString(16).padStart(32, '0')}`;
const credential = (n: number, expiresAt: number, role = 'member') => ({
  id: n.toString(16).padStart(32, '0'), issuer: subject(999), subject: subject(n), attributes: { role }, createdAt: 0, expiresAt, signerKey: 'K' + '0'.repeat(32),
});

describe('AttributeStore', () => {
  it('holds attributes until expiry and replaces them with newer ones', () => {
    let now = 1000;
    const store = new AttributeStore({ clock: () => now });
    store.put(credential(1, 2000));
    expect(store.peerAttributes(subject(1))).toEqual({ attributes: { role: 'member' }, authority: subject(999) });
    store.put(credential(1, 3000, 'admin'));
    expect(store.get(subject(1))?.attributes.role).toBe('admin');
    expect(store.peerAttributes(subject(2))).toEqual({ attributes: {} });
    now = 3000;
    expect(store.get(subject(1))).toBeUndefined();
    expect(store.size).toBe(0);
    store.put(credential(3, 2000));
    expect(store.size).toBe(0);
  });

  it('purges expired entries and evicts the oldest beyond capacity', () => {
    let now = 0;
    const store = new AttributeStore({ maxSubjects: 3, clock: () => now });
    for (let i = 1; i <= 4; i++) store.put(credential(i, i * 10));
    expect(store.size).toBe(3);
    expect(store.get(subject(1))).toBeUndefined();
    now = 25;
    expect(store.purgeExpired()).toBe(1);
    expect(store.delete(subject(3))).toBe(true);
    expect(store.size).toBe(1);
    expect(() => new AttributeStore({ maxSubjects: 0 })).toThrow(/positive/);
  });

  it('yields no attributes for a credential its revocation check refuses, on put and on later reads, and again once lifted', () => {
    const store = new AttributeStore({ clock: () => 1000 });
    const revoked = new Set<string>();
    store.setRevocationCheck((c) => revoked.has(c.subject) && c.issuer === subject(999));
    store.put(credential(1, 2000));
    expect(store.peerAttributes(subject(1)).authority).toBe(subject(999));
    revoked.add(subject(1));
    expect(store.peerAttributes(subject(1))).toEqual({ attributes: {} });
    store.put(credential(1, 2000, 'admin'));
    expect(store.get(subject(1))).toBeUndefined();
    revoked.delete(subject(1));
    expect(store.get(subject(1))?.attributes.role).toBe('admin');
    store.setRevocationCheck(undefined);
    expect(store.get(subject(1))).toBeDefined();
  });
  it('finds the subjects whose credential a given signing key signed, and hides what a revocation check refuses', () => {
    const store = new AttributeStore({ clock: () => 0 });
    const keyA = 'K' + 'a'.repeat(32);
    const keyB = 'K' + 'b'.repeat(32);
    store.put({ ...credential(1, 100), signerKey: keyA });
    store.put({ ...credential(2, 100), signerKey: keyB });
    store.put({ ...credential(3, 100), signerKey: keyA, issuer: subject(998) });
    expect(store.subjectsSignedBy(subject(999), new Set([keyA]))).toEqual([subject(1)]);
    expect(store.subjectsSignedBy(subject(999), new Set([keyA, keyB])).sort()).toEqual([subject(1), subject(2)]);
    store.setRevocationCheck((c) => c.signerKey === keyA && c.issuer === subject(999));
    expect(store.get(subject(1))).toBeUndefined();
    expect(store.get(subject(2))?.attributes).toEqual({ role: 'member' });
    expect(store.get(subject(3))?.attributes).toEqual({ role: 'member' });
  });
});
