-- 024_drug_knowledge.sql — the drug safety knowledge base (issue 14), in its own schema `kb`:
-- reference data, no personal data (so no RLS), read by the service, written only through
-- kb.load(). The source of truth is src/safety/knowledge/*.json in the repository: the service
-- calls kb.load() with the files' contents when it starts, and the function replaces the rows
-- only when the files' sha256 differs from the loaded one (one transaction, idempotent).
CREATE SCHEMA kb;

CREATE TABLE kb.meta (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version     text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb.sources (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    publisher   text,
    url         text,
    licence     text NOT NULL
);

CREATE TABLE kb.ingredients (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    kind                text NOT NULL CHECK (kind IN ('medicine', 'food')),
    name                text NOT NULL,
    atc                 text,
    class               text,
    components          text[] NOT NULL DEFAULT '{}',
    groups              text[] NOT NULL DEFAULT '{}',
    allergy_groups      text[] NOT NULL DEFAULT '{}',
    brands              text[] NOT NULL DEFAULT '{}',
    max_daily_mg        numeric(10, 3) CHECK (max_daily_mg > 0),
    pregnancy           text CHECK (pregnancy IN ('caution', 'avoid', 'contraindicated')),
    breastfeeding       text CHECK (breastfeeding IN ('caution', 'avoid', 'contraindicated')),
    sources             text[] NOT NULL CHECK (cardinality(sources) > 0),
    licence             text NOT NULL
);

CREATE TABLE kb.interactions (
    id          text PRIMARY KEY,
    a           text NOT NULL,
    b           text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('info', 'moderate', 'major', 'contraindicated')),
    effect      text NOT NULL,
    note        text NOT NULL,
    sources     text[] NOT NULL CHECK (cardinality(sources) > 0),
    licence     text NOT NULL
);
CREATE INDEX kb_interactions_a ON kb.interactions (a);
CREATE INDEX kb_interactions_b ON kb.interactions (b);

-- Replaces the knowledge base with p_doc ({sources, ingredients, interactions}) unless the
-- loaded one already has p_sha256. Returns true when it loaded.
CREATE FUNCTION kb.load(p_version text, p_sha256 text, p_doc jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = kb, pg_temp
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(727374828);
  IF EXISTS (SELECT 1 FROM kb.meta WHERE sha256 = p_sha256) THEN
    RETURN false;
  END IF;
  DELETE FROM kb.interactions;
  DELETE FROM kb.ingredients;
  DELETE FROM kb.sources;
  INSERT INTO kb.sources (id, title, publisher, url, licence)
  SELECT s.id, s.title, s.publisher, s.url, s.licence
  FROM jsonb_to_recordset(p_doc -> 'sources') AS s(id text, title text, publisher text, url text, licence text);
  INSERT INTO kb.ingredients (id, kind, name, atc, class, components, groups, allergy_groups, brands, max_daily_mg,
                              pregnancy, breastfeeding, sources, licence)
  SELECT i.id, i.kind, i.name, i.atc, i.class, coalesce(i.components, '{}'), coalesce(i.groups, '{}'),
         coalesce(i.allergy_groups, '{}'), coalesce(i.brands, '{}'), i.max_daily_mg, i.pregnancy, i.breastfeeding,
         i.sources, i.licence
  FROM jsonb_to_recordset(p_doc -> 'ingredients') AS i(id text, kind text, name text, atc text, class text,
       components text[], groups text[], allergy_groups text[], brands text[], max_daily_mg numeric,
       pregnancy text, breastfeeding text, sources text[], licence text);
  INSERT INTO kb.interactions (id, a, b, severity, effect, note, sources, licence)
  SELECT x.id, x.a, x.b, x.severity, x.effect, x.note, x.sources, x.licence
  FROM jsonb_to_recordset(p_doc -> 'interactions') AS x(id text, a text, b text, severity text, effect text,
       note text, sources text[], licence text);
  INSERT INTO kb.meta (singleton, version, sha256, loaded_at) VALUES (true, p_version, p_sha256, now())
  ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, sha256 = EXCLUDED.sha256, loaded_at = EXCLUDED.loaded_at;
  RETURN true;
END
$$;

REVOKE ALL ON SCHEMA kb FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA kb FROM PUBLIC;
REVOKE ALL ON FUNCTION kb.load(text, text, jsonb) FROM PUBLIC;
GRANT USAGE ON SCHEMA kb TO dastern_app;
GRANT SELECT ON ALL TABLES IN SCHEMA kb TO dastern_app;
GRANT EXECUTE ON FUNCTION kb.load(text, text, jsonb) TO dastern_app;

/* migrate:down
DROP SCHEMA kb CASCADE;
*/
