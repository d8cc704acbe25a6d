import type { RuleId } from './rules.js';

// What a rule reports while it scans one text, in UTF-16 offsets; the scanner turns these into
// findings (lines, code-point columns, excerpts) once the text's findings are sorted and bounded.

export interface RawFinding {
  rule: RuleId;
  /** UTF-16 offsets of the offending text in the scanned text. */
  start: number;
  end: number;
  /** A noun phrase that completes "<file> line 3, column 17 has …" (no raw hidden character, no secret). */
  message: string;
  /** Set where the excerpt must not be cut from the text (a credential: its redaction). */
  excerpt?: string;
}

/** Hands a finding to the scanner; false when it has enough of this rule for this text (stop looking). */
export type Emit = (finding: RawFinding) => boolean;
