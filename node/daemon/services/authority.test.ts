import { describe, expect, it } from 'vitest';
import { relayAllowed } from './authority.js';

describe('relayAllowed', () => {
  it('matches whole names in the comma-separated relay attribute only', () => {
    expect(relayAllowed('postgres', 'postgres')).toBe(true);
    expect(relayAllowed('mysql,postgres', 'postgres')).toBe(true);
    expect(relayAllowed('mysql, postgres', 'postgres')).toBe(true);
    expect(relayAllowed('postgres2', 'postgres')).toBe(false);
    expect(relayAllowed('', 'postgres')).toBe(false);
    expect(relayAllowed(undefined, 'postgres')).toBe(false);
  });
});
