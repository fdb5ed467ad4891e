-- The save hook sends a row's vector as text in "embeddingPayload" in the same INSERT/UPDATE that
-- writes its text, and these triggers move it into "embedding" before the row is stored. Row and
-- vector are one statement, so they commit or roll back together in whatever transaction the
-- caller is in. The triggers also keep "contentHash", and never let a changed text keep the
-- vector of its old text: it becomes NULL until `reembed`.
--
-- Function bodies are E'' strings with \x3B for the semicolons: Prisma's driver adapters run a
-- migration by splitting it at every semicolon, dollar quotes included.

CREATE FUNCTION "phs_document_before_write"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  NEW."contentHash" := md5(NEW."content")\x3B
  IF NEW."embeddingPayload" IS NOT NULL THEN
    NEW."embedding" := NEW."embeddingPayload"::vector(384)\x3B
    NEW."embeddingPayload" := NULL\x3B
  ELSIF TG_OP = ''UPDATE'' AND NEW."content" IS DISTINCT FROM OLD."content"
        AND NEW."embedding" IS NOT DISTINCT FROM OLD."embedding" THEN
    NEW."embedding" := NULL\x3B
    NEW."embeddingModel" := NULL\x3B
  END IF\x3B
  RETURN NEW\x3B
END
';

CREATE FUNCTION "phs_annotation_before_write"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  NEW."contentHash" := md5(NEW."rawText")\x3B
  IF NEW."embeddingPayload" IS NOT NULL THEN
    NEW."embedding" := NEW."embeddingPayload"::vector(384)\x3B
    NEW."embeddingPayload" := NULL\x3B
  ELSIF TG_OP = ''UPDATE'' AND NEW."rawText" IS DISTINCT FROM OLD."rawText"
        AND NEW."embedding" IS NOT DISTINCT FROM OLD."embedding" THEN
    NEW."embedding" := NULL\x3B
    NEW."embeddingModel" := NULL\x3B
  END IF\x3B
  RETURN NEW\x3B
END
';

CREATE TRIGGER "Document_before_write" BEFORE INSERT OR UPDATE ON "Document"
  FOR EACH ROW EXECUTE FUNCTION "phs_document_before_write"();

CREATE TRIGGER "Annotation_before_write" BEFORE INSERT OR UPDATE ON "Annotation"
  FOR EACH ROW EXECUTE FUNCTION "phs_annotation_before_write"();
