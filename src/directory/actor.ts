import type { DbOrTx } from "../db/client.js";
import { wholeCountry, scopeOf, type Scope } from "../domain/scope.js";
import type { ActingOfficer } from "./officers.js";
import type { Unit } from "./units.js";

/**
 * Who is acting: a signed-in officer (web, JSON API by session, chat), or the holder of the
 * admin API token / the operator's CLI, who acts on the whole country of a tree.
 */
export type Actor = { kind: "officer"; officer: ActingOfficer; unit: Unit; scope: Scope } | { kind: "system"; name: "admin-api-token" | "cli"; scope: Scope };

export const officerActor = (officer: ActingOfficer, unit: Unit): Actor => ({
  kind: "officer",
  officer,
  unit,
  // Admins see the whole country of their tree, whatever unit their account is filed under.
  scope: officer.role === "admin" ? wholeCountry(unit.scheme) : scopeOf(unit),
});

export const systemActor = (name: "admin-api-token" | "cli", scheme: string): Actor => ({ kind: "system", name, scope: wholeCountry(scheme) });

/** The actor as the audit log names them ("officer:5", "admin-api-token"). */
export const auditName = (actor: Actor): string => (actor.kind === "officer" ? `officer:${actor.officer.id}` : actor.name);

/**
 * What every use case is given: who acts, where to read and write (the transaction the change and
 * its audit row share), and the time.
 */
export interface ServiceContext {
  actor: Actor;
  db: DbOrTx;
  clock: () => Date;
}
