/** The node's embedded SQLite store: open it with `SwarmStore.open(path)`. */
export { SwarmStore, BUSY_TIMEOUT_MS, MEMORY_PATH } from './store.js'
export { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate, schemaVersion } from './migrations.js'
export type { Migration } from './migrations.js'
export { TASK_ROLES } from './types.js'
export type {
  StoredTask, TaskRole, TaskFilter, TaskCountFilter, AuditEntry, AuditFilter, SkillStatsRecord, ReputationRecord
} from './types.js'
