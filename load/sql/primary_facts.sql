-- Facts of the primary copy of each annual report, with the report's identity columns.
SELECT
    r.doc_id,
    r.agency,
    r.province,
    r.city,
    r.county,
    r.level,
    r.sector,
    r.report_year,
    r.template,
    f.key,
    f.value,
    f.method,
    f.unit,
    f.flags
FROM reports r
JOIN facts f USING (doc_id)
WHERE r.is_primary
