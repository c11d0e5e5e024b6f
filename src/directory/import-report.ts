/** A row of an import file that was not written, with the reason in Vietnamese. */
export interface RejectedRow {
  /** 1-based line number in the file, header = line 1. */
  line: number;
  reason: string;
}

export interface ImportReport {
  imported: number;
  rejected: RejectedRow[];
}

export function formatImportReport(what: string, r: ImportReport): string {
  const lines = [`Đã nhập ${r.imported} ${what}.`];
  if (r.rejected.length > 0) {
    lines.push(`${r.rejected.length} dòng không nhập được:`);
    for (const row of r.rejected) lines.push(`  dòng ${row.line}: ${row.reason}`);
  }
  return lines.join("\n");
}
