import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RequestParseError, errorBody, parseRequest } from './control-protocol.js';
import { TimeoutError } from '../errors.js';

const method = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}$/);
const params = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

describe('parseRequest', () => {
  it('round-trips well-formed requests', () => {
    fc.assert(fc.property(fc.oneof(fc.integer(), fc.string({ minLength: 1, maxLength: 20 })), method, params, (id, m, p) => {
      const parsed = parseRequest(JSON.stringify({ id, method: m, params: p }));
      expect(parsed).toEqual({ id, method: m, params: JSON.parse(JSON.stringify(p)) });
    }));
  });

  it('only ever throws RequestParseError on arbitrary input', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (line) => {
      try {
        parseRequest(line);
      } catch (err) {
        expect(err).toBeInstanceOf(RequestParseError);
      }
    }));
  });

  it('defaults params to an empty object and keeps the id of a bad request', () => {
    expect(parseRequest('{"id":"a","method":"node.info"}').params).toEqual({});
    try {
      parseRequest('{"id":7,"method":"Bad!"}');
      expect.unreachable();
    } catch (err) {
      expect((err as RequestParseError).requestId).toBe(7);
    }
  });
});

describe('errorBody', () => {
  it('keeps SymbolonError fields and hides others', () => {
    expect(errorBody(new TimeoutError('routing', 'no reply'))).toEqual({ origin: 'routing', kind: 'timeout', message: 'no reply' });
    expect(errorBody(new Error('x'))).toEqual({ origin: 'node', kind: 'internal', message: 'internal error (see the node log)' });
  });
});
