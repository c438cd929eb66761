/** `GET /dashboard`: the web dashboard page. */
import { dashboardPage } from '../dashboard/page.js'
import type { Route } from '../http.js'

/**
 * A static page, served without the token: it holds no data of the node and asks for the token
 * itself (see dashboard/page.ts).
 */
export function dashboardRoutes (): Route[] {
  return [{ method: 'GET', path: '/dashboard', public: true, handler: () => dashboardPage() }]
}
