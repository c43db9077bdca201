-- The pre-2019 statistics table: one row per report, one column per known legacy row
-- (national rows, then local variants). Rows the spec does not know (legacy.raw.*) are in facts.
SELECT
    doc_id,
    any_value(agency) AS agency,
    any_value(province) AS province,
    any_value(level) AS level,
    any_value(report_year) AS report_year,
    any_value(template) AS template,
{pivot_columns}
FROM primary_facts
WHERE key LIKE 'legacy.%'
GROUP BY doc_id
