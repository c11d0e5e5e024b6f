import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { parseInput } from "./parse-input.js";
import { documents } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import type { ServiceContext } from "../directory/actor.js";

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const DOCUMENT_TOO_LARGE = "Tệp đính kèm quá lớn: tối đa 10 MB.";

/**
 * Accepted documents, recognised by their content rather than by the name the browser sent: a PDF
 * by its first bytes, a DOCX by being a ZIP that holds word/document.xml (any ZIP renamed .docx is not).
 */
export async function documentType(name: string, bytes: Buffer): Promise<string | undefined> {
  if (bytes.subarray(0, 5).toString("latin1") === "%PDF-") return "application/pdf";
  if (/\.docx$/i.test(name) && bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    // jszip (already under exceljs) reads the ZIP's directory; loaded on use like exceljs.
    const { default: JSZip } = await import("jszip");
    const zip = await JSZip.loadAsync(bytes).catch(() => undefined);
    if (zip?.file("word/document.xml") && zip.file("[Content_Types].xml")) {
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    }
  }
  return undefined;
}

export const UploadDocumentInput = z.object({ name: z.string().min(1), bytes: z.instanceof(Buffer) });

export interface UploadedDocument {
  id: number;
  key: string;
  name: string;
  size: number;
}

/**
 * A document attached in the composer, kept under a random key (the link sent in chat). Only an
 * officer uploads; until a directive that carries it is sent, only they may open it.
 */
export async function uploadDocument(ctx: ServiceContext, input: z.infer<typeof UploadDocumentInput>): Promise<UploadedDocument> {
  const { name, bytes } = parseInput(UploadDocumentInput, input);
  if (ctx.actor.kind !== "officer") throw new AppError("forbidden", "Chỉ cán bộ đã đăng nhập mới đính kèm được văn bản.");
  const mime = await documentType(name, bytes);
  if (!mime) throw new AppError("invalid_input", `Tệp «${name}» không phải PDF hoặc DOCX.`);
  if (bytes.length > MAX_DOCUMENT_BYTES) throw new AppError("invalid_input", DOCUMENT_TOO_LARGE);
  const key = randomBytes(24).toString("base64url");
  const [row] = await ctx.db
    .insert(documents)
    .values({ key, name: name.slice(0, 200), mime, bytes, size: bytes.length, uploadedBy: ctx.actor.officer.id })
    .returning({ id: documents.id, key: documents.key, name: documents.name, size: documents.size });
  return row!;
}

/** The actor's own upload under this key (the key came back through a hidden field), or undefined. */
export async function ownDocument(ctx: ServiceContext, key: string | undefined): Promise<UploadedDocument | undefined> {
  if (!key || ctx.actor.kind !== "officer") return undefined;
  const [doc] = await ctx.db
    .select({ id: documents.id, key: documents.key, name: documents.name, size: documents.size })
    .from(documents)
    .where(and(eq(documents.key, key), eq(documents.uploadedBy, ctx.actor.officer.id)));
  return doc;
}
