import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { field, NO_PARAMS, schema, validateParams } from './param-schema.js';

const every = schema({
  name: field.string({ max: 8 }),
  note: field.optional(field.string({ min: 0, max: 4 })),
  count: field.optional(field.integer({ min: 1, max: 10 })),
  size: field.optional(field.integer()),
  flag: field.optional(field.boolean()),
  role: field.optional(field.enum(['admin', 'member'])),
  labels: field.optional(field.stringMap({ maxEntries: 2, max: 5 })),
  tags: field.optional(field.stringList({ maxItems: 2, max: 5 })),
});

const check = (raw: Record<string, unknown>): unknown => validateParams(every, raw, 'node');
const error = (raw: Record<string, unknown>): InvalidInputError => {
  try {
    check(raw);
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('validateParams', () => {
  it('returns every kind of field, typed as the schema says', () => {
    const raw = { name: 'a', note: '', count: 10, size: 0, flag: false, role: 'admin', labels: { k: 'v' }, tags: ['x', 'y'] };
    const params = validateParams(every, raw, 'node');
    expect(params).toEqual(raw);
    const typed: { name: string; count?: number | undefined; role?: 'admin' | 'member' | undefined } = params;
    expect(typed.role).toBe('admin');
  });

  it('leaves absent and null optional fields out', () => {
    expect(check({ name: 'a', note: null, flag: undefined })).toEqual({ name: 'a' });
  });

  it('refuses an unknown parameter by name, before any other check', () => {
    expect(error({ x: 1 })).toMatchObject({ origin: 'node', kind: 'invalid', message: 'unknown parameter "x"' });
    expect(error({ name: 'a', ['y'.repeat(100)]: 1 }).message).toBe(`unknown parameter "${'y'.repeat(64)}"`);
    expect(() => validateParams(NO_PARAMS, { extra: true }, 'node')).toThrow('unknown parameter "extra"');
    expect(validateParams(NO_PARAMS, {}, 'node')).toEqual({});
  });

  it('names a missing required parameter', () => {
    expect(error({}).message).toBe('missing parameter "name"');
    expect(error({ name: null }).message).toBe('missing parameter "name"');
  });

  it.each([
    [{ name: 7 }, 'parameter "name" must be text of 1-8 characters'],
    [{ name: '' }, 'parameter "name" must be text of 1-8 characters'],
    [{ name: 'toolongname' }, 'parameter "name" must be text of 1-8 characters'],
    [{ name: 'a', note: 'abcde' }, 'parameter "note" must be text of at most 4 characters'],
    [{ name: 'a', count: '3' }, 'parameter "count" must be an integer from 1 to 10'],
    [{ name: 'a', count: 0 }, 'parameter "count" must be an integer from 1 to 10'],
    [{ name: 'a', count: 11 }, 'parameter "count" must be an integer from 1 to 10'],
    [{ name: 'a', count: 1.5 }, 'parameter "count" must be an integer from 1 to 10'],
    [{ name: 'a', size: -1 }, 'parameter "size" must be a non-negative integer'],
    [{ name: 'a', size: 2 ** 53 }, 'parameter "size" must be a non-negative integer'],
    [{ name: 'a', flag: 'true' }, 'parameter "flag" must be true or false'],
    [{ name: 'a', role: 'owner' }, 'parameter "role" must be one of admin, member'],
    [{ name: 'a', role: 1 }, 'parameter "role" must be one of admin, member'],
    [{ name: 'a', labels: ['k'] }, 'parameter "labels" must be a map of strings (at most 2 entries of at most 5 characters)'],
    [{ name: 'a', labels: { k: 1 } }, 'parameter "labels" must be a map of strings (at most 2 entries of at most 5 characters)'],
    [{ name: 'a', labels: { a: 'x', b: 'y', c: 'z' } }, 'parameter "labels" must be a map of strings (at most 2 entries of at most 5 characters)'],
    [{ name: 'a', labels: { k: 'toolong' } }, 'parameter "labels" must be a map of strings (at most 2 entries of at most 5 characters)'],
    [{ name: 'a', tags: 'x' }, 'parameter "tags" must be a list of strings (at most 2 of at most 5 characters)'],
    [{ name: 'a', tags: ['x', 2] }, 'parameter "tags" must be a list of strings (at most 2 of at most 5 characters)'],
    [{ name: 'a', tags: ['x', 'y', 'z'] }, 'parameter "tags" must be a list of strings (at most 2 of at most 5 characters)'],
    [{ name: 'a', tags: ['toolong'] }, 'parameter "tags" must be a list of strings (at most 2 of at most 5 characters)'],
  ])('refuses a wrong type or a value out of its limits: %j', (raw, message) => {
    expect(error(raw)).toMatchObject({ origin: 'node', kind: 'invalid', message });
  });

  it('uses the origin it is given', () => {
    expect(() => validateParams(every, { name: 1 }, 'authority')).toThrow(expect.objectContaining({ origin: 'authority' }));
  });

  it('requires exactly one field of a group', () => {
    const either = schema({ via: field.optional(field.string()), to: field.optional(field.string()) }, { exactlyOne: [['via', 'to']] });
    expect(validateParams(either, { via: 'r' }, 'node')).toEqual({ via: 'r' });
    expect(validateParams(either, { to: '/service/x', via: null }, 'node')).toEqual({ to: '/service/x' });
    expect(() => validateParams(either, {}, 'node')).toThrow('give exactly one of "via" or "to"');
    expect(() => validateParams(either, { via: 'r', to: '/service/x' }, 'node')).toThrow('give exactly one of "via" or "to"');
  });
});
