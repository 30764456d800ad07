// Which kinds of caller may use a route. Services (API keys) use every route. Frontends (JWT
// end users) use the routes where the service picks or checks the key and binds size and type;
// a route where the caller names any key opens to them only when their policy says so.
import { AppError } from '../errors.js';
import type { Caller, CallerPolicy } from './caller-policy.js';

/** The policy switches that open a route family to a frontend (`presignRoutes: true`). */
export type FrontendOpener = keyof Pick<CallerPolicy, 'presignRoutes'>;

export interface RouteAccess {
  /** Named in a refusal, and shared by the routes that belong together (`presign`). */
  family: string;
  /**
   * `open`: frontends may call it. `closed`: services only. A policy switch's name: frontends
   * whose policy sets it. A route that declares nothing is `closed`, so a new route is never
   * handed to end users by omission.
   */
  frontends: 'open' | 'closed' | FrontendOpener;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see src/auth/route-access.ts); undeclared: services only. */
    access?: RouteAccess;
  }
}

export function mayUseRoute(caller: Caller, access: RouteAccess): boolean {
  if (caller.kind === 'api-key') return true;
  if (access.frontends === 'open') return true;
  if (access.frontends === 'closed') return false;
  return caller.policy[access.frontends];
}

/** Throws 403 ROUTE_NOT_ALLOWED when the caller's kind may not use the route. */
export function checkRouteAccess(caller: Caller, access: RouteAccess): void {
  if (mayUseRoute(caller, access)) return;
  const opener =
    access.frontends === 'closed'
      ? 'they are for services (API keys) only'
      : `its policy does not set ${access.frontends}: true`;
  throw new AppError(
    'ROUTE_NOT_ALLOWED',
    `caller ${caller.id} is a frontend (JWT) and may not use the ${access.family} routes: ${opener}`,
  );
}

/** A route's declared access, or the safe default for a route that declares none. */
export function routeAccessOf(config: { access?: RouteAccess }, url: string): RouteAccess {
  return config.access ?? { family: url, frontends: 'closed' };
}
