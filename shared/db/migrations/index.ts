import { sql as users } from './001_users.js';
import { sql as packages } from './002_packages.js';
import { sql as downloadCounts } from './003_download_counts.js';
import { sql as registries } from './004_registries.js';
import { sql as loginLock } from './005_login_lock.js';
import { sql as pendingRevocations } from './006_pending_revocations.js';
import { sql as versionPrecedence } from './007_version_precedence.js';
import { sql as downloadClients } from './008_download_clients.js';
import { sql as versionFiles } from './009_version_files.js';
import { sql as versionStatus } from './010_version_status.js';
import { sql as ruleSafety } from './011_rule_safety.js';

/**
 * Ordered schema migrations. Applied once each, in order, recorded in
 * registry.schema_migrations. Never edit one that has shipped: add the next.
 * Kept as TypeScript modules so a bundled migration Lambda carries them without file access.
 */
export const migrations: ReadonlyArray<{ id: string; sql: string }> = [
  { id: '001_users', sql: users },
  { id: '002_packages', sql: packages },
  { id: '003_download_counts', sql: downloadCounts },
  { id: '004_registries', sql: registries },
  { id: '005_login_lock', sql: loginLock },
  { id: '006_pending_revocations', sql: pendingRevocations },
  { id: '007_version_precedence', sql: versionPrecedence },
  { id: '008_download_clients', sql: downloadClients },
  { id: '009_version_files', sql: versionFiles },
  { id: '010_version_status', sql: versionStatus },
  { id: '011_rule_safety', sql: ruleSafety },
];
