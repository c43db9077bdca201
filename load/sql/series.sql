-- Comparable measures across templates, long: one row per primary report and known key.
-- `measure` is the key the value lines up with; `relation` says how comparable it is
-- (equivalent, renamed, approximate, derived, only_2019 ...). Never compare approximate
-- values as if they were the same measure without saying so.
SELECT
    p.doc_id,
    p.agency,
    p.province,
    p.city,
    p.county,
    p.level,
    p.sector,
    p.report_year,
    p.template,
    k.measure,
    p.key,
    p.value,
    k.series_relation AS relation,
    k.unit,
    p.method,
    p.flags
FROM primary_facts p
JOIN key_dictionary k USING (key)
