-- One row per annual report (every copy; is_primary marks the one the wide views use),
-- with its place, level and sector (table `agencies`) and its key totals. A total lines up
-- across templates through key_dictionary.measure: legacy values are approximate
-- counterparts, which `totals_relation` says. Every total is a count: BIGINT (as_count, views.py),
-- null when the report does not print it.
WITH measured AS (
    SELECT f.doc_id, k.measure, f.value
    FROM facts f
    JOIN key_dictionary k USING (key)
), totals AS (
    SELECT
        doc_id,
        max(value) FILTER (WHERE measure = 's3.new_received.total') AS applications_received,
        max(value) FILTER (WHERE measure = 's3.carried_over_from_prev.total') AS applications_carried_over,
        max(value) FILTER (WHERE measure = 's3.r_total.total') AS applications_closed,
        max(value) FILTER (WHERE measure = 's3.r_granted.total') AS granted,
        max(value) FILTER (WHERE measure = 's3.r_partial.total') AS partially_granted,
        max(value) FILTER (WHERE measure = 's3.r_denied.total') AS denied,
        max(value) FILTER (WHERE measure = 's4.review_total') AS reviews,
        sum(value) FILTER (WHERE measure IN ('s4.lit_direct_total', 's4.lit_after_review_total', 'legacy.lit_total'))
            AS lawsuits
    FROM measured
    GROUP BY doc_id
), identity_results AS (
    SELECT
        doc_id,
        bool_and(passed) FILTER (WHERE identity = 'S3_BALANCE') AS s3_balance_passed,
        count(passed) AS checks_evaluated,
        count(*) FILTER (WHERE passed = false) AS checks_failed,
        string_agg(DISTINCT identity, ',' ORDER BY identity) FILTER (WHERE passed = false) AS failed_identities
    FROM checks
    GROUP BY doc_id
)
SELECT
    d.doc_id,
    d.agency,
    a.province,
    a.city,
    a.county,
    a.level,
    a.sector,
    d.report_year,
    d.template,
    d.source,
    d.file_name,
    d.format,
    d.published_date,
    d.status,
    d.error,
    coalesce(c.is_primary, false) AS is_primary,
    c.reason AS choice_reason,
    as_count(t.applications_received) AS applications_received,
    as_count(t.applications_carried_over) AS applications_carried_over,
    as_count(t.applications_closed) AS applications_closed,
    as_count(t.granted) AS granted,
    as_count(t.partially_granted) AS partially_granted,
    as_count(t.denied) AS denied,
    as_count(t.reviews) AS reviews,
    as_count(t.lawsuits) AS lawsuits,
    CASE WHEN d.template = 'legacy_stats' THEN 'approximate' ELSE 'equivalent' END AS totals_relation,
    i.s3_balance_passed,
    coalesce(i.checks_evaluated, 0) AS checks_evaluated,
    coalesce(i.checks_failed, 0) AS checks_failed,
    i.failed_identities,
    d.n_facts::BIGINT AS n_facts,
    n.agency_key  -- one key per body: '淮安市洪泽区人民政府' and '洪泽区人民政府' share it (new columns go last)
FROM documents d
LEFT JOIN document_choice c USING (doc_id)
LEFT JOIN agency_names n ON n.agency = d.agency
LEFT JOIN agencies a
    ON a.agency IS NOT DISTINCT FROM d.agency AND a.site IS NOT DISTINCT FROM {site_of_source}
LEFT JOIN totals t USING (doc_id)
LEFT JOIN identity_results i USING (doc_id)
WHERE d.doc_type = 'annual_report'
