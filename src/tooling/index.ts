/**
 * `prisma-hybrid-store/tooling`: the lower-level building blocks the CLI is made of, for tools
 * of your own: reading `/// @embed` markings and writing their migration SQL, distributing the
 * tables on Citus, classifying database errors, resolving the MiniLM model's options. The
 * application API (the extension, searches, embedders, errors) is `prisma-hybrid-store`.
 *
 * @packageDocumentation
 * @module prisma-hybrid-store/tooling
 */
export { describeMigrationFailure } from "../db/check.ts";
export {
  CITUS_DATABASE_SETTINGS,
  type DistributeOptions,
  type DistributeResult,
  distributeOnCitus,
  requireCitus,
  SHARDS_PER_WORKER,
  type SqlSession,
  type TablePlacement,
  tablePlacement,
} from "../db/citus-distribute.ts";
export { incompletePlacements, inspectPlacements, type PlacementParts, type TableParts } from "../db/citus-shards.ts";
export { connectionFailure } from "../db/connect.ts";
export { toHybridStoreError } from "../db/execute.ts";
export { type ResolvedMiniLmOptions, resolveMiniLmOptions } from "../embed/minilm-options.ts";
export { formatMarkingIssue } from "../errors.ts";
export { HNSW_EF_CONSTRUCTION, HNSW_M, hybridSql, type SqlPart } from "../schema/hybrid-sql.ts";
export { type Markings, readMarkings, type VectorMarking } from "../schema/markings.ts";
export { type MigratedIndex, type MigratedObjects, readMigratedObjects } from "../schema/migrated-objects.ts";
export { datasourceProvider, modelSignature, type SchemaBlock, schemaBlocks } from "../schema/schema-blocks.ts";
export { type SchemaField, type SchemaModel, schemaModels, vectorDimensions } from "../schema/schema-models.ts";
