/** One refusal, placed where the author will look: "survey, dòng 14, cột relevant: không hiểu `jr:choice-name`". */
export interface XlsFormProblem {
  sheet: "survey" | "choices" | "settings" | "tệp";
  /** 1-based spreadsheet row (the header is row 1); absent for a problem of the whole sheet. */
  row?: number;
  column?: string;
  message: string;
}

/** The three sheets as rows of cells by column header (what both .xlsx and the CSV text form read into). */
export interface XlsFormSheets {
  survey: Record<string, string>[];
  choices: Record<string, string>[];
  settings: Record<string, string>[];
}
