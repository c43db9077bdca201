-- Year over year: one row per agency_key, measure and pair of consecutive report years
-- (year - 1, year) where both primary reports print the measure; a key with no counterpart
-- in the other year is not compared. Across a template change the values line up through
-- key_dictionary.measure (the spec's version mapping) and `comparison` says how comparable
-- they are: the key's relation (equivalent, renamed, approximate ...), `approximate` for a
-- pre-2019 row against its 2019/2021 counterpart, `same_template` when nothing changed.
WITH s AS (
    SELECT r.agency_key, s.report_year, s.template, s.doc_id, s.measure, s.key, s.value, s.relation
    FROM series s
    JOIN reports r USING (doc_id)
    WHERE r.agency_key IS NOT NULL AND s.report_year IS NOT NULL
)
SELECT
    c.agency_key,
    c.measure,
    p.report_year AS year_prev,
    c.report_year AS year,
    p.key AS key_prev,
    c.key,
    p.value AS value_prev,
    c.value,
    c.value - p.value AS change,
    CASE WHEN p.value <> 0 THEN (c.value - p.value) / p.value END AS relative_change,  -- null from 0
    p.template AS template_prev,
    c.template,
    p.template IS DISTINCT FROM c.template AS template_changed,
    CASE
        WHEN p.template IS NOT DISTINCT FROM c.template THEN 'same_template'
        WHEN p.key <> c.key THEN 'approximate'
        ELSE c.relation
    END AS comparison,
    p.doc_id AS doc_id_prev,
    c.doc_id
FROM s c
JOIN s p ON p.agency_key = c.agency_key AND p.report_year = c.report_year - 1 AND p.measure = c.measure
