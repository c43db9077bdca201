-- Section 四: one row per report, one column per printed column (复议 and 诉讼 outcomes).
SELECT
    doc_id,
    any_value(agency) AS agency,
    any_value(province) AS province,
    any_value(level) AS level,
    any_value(report_year) AS report_year,
    any_value(template) AS template,
{pivot_columns}
FROM primary_facts
WHERE key LIKE 's4.%'
GROUP BY doc_id
