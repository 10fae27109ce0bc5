import { describe, expect, it } from 'vitest';
import { checkServedRoutes } from './project-routes.js';

describe('checkServedRoutes', () => {
  it('accepts one transport address per route', () => {
    const routes = ['/ip4/10.0.0.2/tcp/4000', '/dns/project.example/tcp/4000', '/ip4/10.0.0.3/udp/4000'];
    expect(checkServedRoutes(routes)).toEqual(routes);
  });

  it('refuses local addresses, several hops, /node names of this home and text that does not parse', () => {
    expect(() => checkServedRoutes(['/ip4/10.0.0.2/tcp/4000', '/service/api'])).toThrow(/not one transport address: '\/service\/api'/);
    expect(() => checkServedRoutes(['/ip4/10.0.0.2/tcp/4000/ip4/10.0.0.3/tcp/4000'])).toThrow(/not one transport address/);
    expect(() => checkServedRoutes(['/node/admin'])).toThrow(/does not parse/);
    expect(() => checkServedRoutes(['ip4'])).toThrow(/does not parse/);
  });
});
