import { badRequest } from '../errors.js';
import { applyRegistryPolicy, refusalMessage, scanFiles, SCANNER_VERSION, type Finding } from '../safety/ruleScanner.js';

// What publish and the rescan do with the rule scanner: which texts of a package it reads, and
// what a registry's policy makes of its findings.

/** Where an archive keeps its manifest (as archiveValidator reads it). */
const MANIFEST_PATHS = ['rulestack.json', 'package/rulestack.json'];
/** Field names shown as they are; any other name is scanned as text itself and shown as `(field)`. */
const PLAIN_FIELD = /^[A-Za-z0-9_-]{1,64}$/;
/** Nesting followed into the manifest's objects and lists (a real manifest has two levels). */
const MAX_DEPTH = 4;

/**
 * Every string the archive's rulestack.json carries (description, license, files, tags, and
 * fields rfh does not know), as `{ field, text }`: a list's strings are one text, a line each,
 * and a nested field is named by its path (`author.name`). Its raw text is scanned as a file
 * too; this reads what JSON escapes (`\u202e`) hide there.
 */
export function manifestTextOf(files: ReadonlyArray<{ path: string; text: string }>): Array<{ field: string; text: string }> {
  const manifest = files.find((f) => MANIFEST_PATHS.includes(f.path));
  if (!manifest) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest.text);
  } catch {
    return [];
  }
  const texts: Array<{ field: string; text: string }> = [];
  const walk = (value: unknown, field: string, depth: number) => {
    if (typeof value === 'string') texts.push({ field, text: value });
    else if (Array.isArray(value)) {
      const strings = value.filter((item): item is string => typeof item === 'string');
      if (strings.length > 0) texts.push({ field, text: strings.join('\n') });
      if (depth < MAX_DEPTH) for (const item of value) if (typeof item === 'object' && item !== null) walk(item, field, depth + 1);
    } else if (typeof value === 'object' && value !== null && depth < MAX_DEPTH) {
      for (const [key, inner] of Object.entries(value)) {
        const plain = PLAIN_FIELD.test(key);
        if (!plain) texts.push({ field: field ? `${field}.(field)` : '(field)', text: key });
        walk(inner, `${field ? `${field}.` : ''}${plain ? key : '(field)'}`, depth + 1);
      }
    }
  };
  walk(parsed, '', 0);
  return texts;
}

/** What the scanner finds in a package: every file's name and text, and its manifest's strings. */
export function scanPackage(files: ReadonlyArray<{ path: string; text: string }>): Finding[] {
  return scanFiles({ files, manifestText: manifestTextOf(files) });
}

/** A version's findings, by the scanner version that produced them. */
export interface SafetyScan {
  scannerVersion: number;
  findings: readonly Finding[];
}

/**
 * The findings of a package about to be published, judged under its registry's policy (the flag
 * rules the registry refuses): a 400 naming the refused findings when there is one, else the
 * flags to store with the version.
 */
export function admitFindings(findings: readonly Finding[], refusedFlagRules: readonly string[]): Finding[] {
  const judged = applyRegistryPolicy(findings, refusedFlagRules);
  if (judged.some((f) => f.severity === 'refuse')) throw badRequest(refusalMessage(judged));
  return judged;
}

/** A stored version's files scanned again, as the rescan stores them: refusals are kept as such, only shown. */
export function rescan(files: ReadonlyArray<{ path: string; text: string }>): SafetyScan {
  return { scannerVersion: SCANNER_VERSION, findings: scanPackage(files) };
}
