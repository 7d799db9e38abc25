// What other layers use from the audit log. No side effects.
export type { AuditActor, AuditEvent, AuditEventType, AuditFailure, AuditLog, AuditRecord, AuditRequest, AuditResult, AuditRotation, AuditTrustReportCa, SigningFailureReason } from "./types.js";
export { signingFailure } from "./signing-failure.js";
export type { AuditReader, AuditStore, Stored, TornTail } from "./store.js";
export { createAuditLog, openAuditReader, fileAuditPaths, type AuditLogOptions } from "./create-audit-log.js";
export { createFileAuditStore, type FileAuditStoreOptions } from "./file-store.js";
export { createFileAuditReader, checkpointPathFor, type FileAuditPaths } from "./file-reader.js";
// Not the DynamoDB store's code: importing it from here would load the AWS SDK in every process that
// reads the audit log. createAuditLog and openAuditReader load it for a dynamodb store.
export type { DynamoDbAuditStoreOptions } from "./dynamodb-store.js";
export { withStdoutMirror } from "./stdout-mirror.js";
export { canonicalJson } from "./canonical-json.js";
export { MAX_RECORD_TEXT, isWellFormed, loneSurrogates, recordText } from "./record-text.js";
export { GENESIS_HASH, AUDIT_EVENT_TYPES, isAuditEventType, recordHash, sealRecord } from "./record.js";
export { signCheckpoint, checkpointSignatureValid, asStoredCheckpoint, type AuditCheckpoint } from "./checkpoint.js";
export { DEFAULT_CHECKPOINT_POLICY, type CheckpointPolicy } from "./checkpoint-schedule.js";
export { verifyAuditLog, type VerifyResult, type VerifyOptions, type AuditBreak, type AuditBreakKind } from "./verify.js";
export { compileQuery, DEFAULT_PAGE_LIMIT, normaliseSerial, type AuditQuery, type AuditPage } from "./query.js";
export { CSV_COLUMNS, EXPORT_FORMATS, csvCell, csvHeader, formatRecord, type ExportFormat } from "./export-format.js";
export {
  CertificateInventory,
  inventorySlot,
  readInventory,
  startLiveInventory,
  KUBELET_CLIENT_FILE,
  KUBELET_SERVING_FILE,
  type InventoryListener,
  type InventoryRow,
  type LiveInventory,
  type ReadInventoryResult,
} from "./inventory.js";
