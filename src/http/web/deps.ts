import type { Db } from "../../db/client.js";
import type { NewOutboxRow } from "../../delivery/outbox.js";
import type { FormRegistry } from "../../forms/form-registry.js";
import type { ReviewService } from "../../reporting/review.js";
import type { Sessions } from "../sessions.js";
import type { WebReportService } from "../../web-form/web-report.js";

export interface WebDeps {
  db: Db;
  clock: () => Date;
  timeZone: string;
  /** This site's address for links sent in chat: PUBLIC_URL, else the service's own from its config — never the request's Host. */
  publicOrigin: () => string;
  /** Reverse proxies whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy: readonly string[];
  /** Queues the sign-in link to the officer's chat and sends it at once. */
  send: (rows: NewOutboxRow[]) => Promise<void>;
  review: ReviewService;
  forms: FormRegistry;
  /** Sends queued notices now (the review's message to the officer). */
  drainNotices: () => Promise<unknown>;
  sessions: Sessions;
  /** The officers' phone web form (/f/{link}). */
  webReport: WebReportService;
  /** Warnings only admins can act on (Zalo OA tokens), shown atop their dashboard. */
  adminBanners?: () => Promise<string[]>;
}
