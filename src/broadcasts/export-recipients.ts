import { z } from "zod";
import { parseInput } from "./parse-input.js";
import { auditLog } from "../db/schema/index.js";
import { formatDateTime, localDate } from "../domain/dates.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { broadcastStatus } from "./broadcasts.js";
import { channelLabel, RECIPIENT_STATUS_LABELS } from "./labels.js";
import { broadcastInScope } from "./visible-broadcasts.js";

export const ExportRecipientsInput = z.object({ broadcastId: z.number().int().positive(), format: z.enum(["xlsx", "csv"]), timeZone: z.string().min(1) });

export interface RecipientsTable {
  broadcastId: number;
  /** The file's name without extension ("van-ban-7-2026-05-12"). */
  fileName: string;
  header: string[];
  rows: string[][];
}

/** Who got a directive and who acknowledged it, as a table in words; an audited read ("broadcast.export"). */
export async function exportRecipients(ctx: ServiceContext, input: z.infer<typeof ExportRecipientsInput>): Promise<RecipientsTable> {
  const { broadcastId, format, timeZone } = parseInput(ExportRecipientsInput, input);
  const b = await broadcastInScope(ctx, broadcastId);
  const st = (await broadcastStatus(ctx.db, b.id))!;
  const when = (iso: string | null) => (iso ? formatDateTime(new Date(iso), timeZone) : "");
  const rows = st.recipients.map((r) => [
    r.name,
    r.unit,
    r.channel ? channelLabel(r.channel) : "",
    RECIPIENT_STATUS_LABELS[r.status],
    when(r.sentAt),
    when(r.acknowledgedAt),
  ]);
  await ctx.db.insert(auditLog).values({ actor: auditName(ctx.actor), action: "broadcast.export", target: `broadcast:${b.id}`, detail: { format } });
  return {
    broadcastId: b.id,
    fileName: `van-ban-${b.id}-${localDate(ctx.clock(), timeZone)}`,
    header: ["Cán bộ", "Đơn vị", "Kênh", "Tình trạng", "Gửi lúc", "Xác nhận lúc"],
    rows,
  };
}
