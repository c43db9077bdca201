-- Section 三: one row per report and applicant type (the seven columns of the table),
-- one column per result row. Primary copies only. Columns come from layout_rows.csv.
SELECT
    doc_id,
    any_value(agency) AS agency,
    any_value(province) AS province,
    any_value(level) AS level,
    any_value(sector) AS sector,
    any_value(report_year) AS report_year,
    any_value(template) AS template,
    split_part(key, '.', 3) AS applicant,
{pivot_columns}
FROM primary_facts
WHERE key LIKE 's3.%'
GROUP BY doc_id, applicant
