import * as z from 'zod/mini';

// A published version stays immutable; what can change is whether it is offered. A yank (its
// owners, its registry's admins) withdraws it from `latest` and search but keeps it installable,
// so lockfiles that name it keep working. A quarantine (global admins) stops serving its archive
// to anyone, for a version found to carry something harmful such as a leaked credential. Either
// can be lifted by the same people.

/** The two marks a version can carry. */
export type VersionMark = 'yank' | 'quarantine';

/** The longest reason kept with a mark (the database refuses longer ones too: migration 010). */
export const MAX_MARK_REASON_LENGTH = 500;

/** Who yanked a version, when and why: shown with the version. */
export interface YankRecord {
  at: Date;
  reason: string;
  /** Username of whoever yanked it (usernames are public). */
  by: string;
}

/** When and why a version was quarantined: shown with the version, never who did it. */
export interface QuarantineRecord {
  at: Date;
  reason: string;
}

/** The body of PUT .../yank and PUT .../quarantine. */
export const markReasonRequest = z.object({
  reason: z.string({ error: 'is required: a string saying why' }).check(
    z.trim(),
    z.minLength(1, 'is required: say why'),
    z.maxLength(MAX_MARK_REASON_LENGTH, `must be at most ${MAX_MARK_REASON_LENGTH} characters`),
  ),
});
