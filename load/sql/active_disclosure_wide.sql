-- Section 二: one row per report and item (block + row, e.g. art20_1 / regulations),
-- one column per printed column. Columns a template does not print stay null.
SELECT
    doc_id,
    any_value(agency) AS agency,
    any_value(province) AS province,
    any_value(level) AS level,
    any_value(report_year) AS report_year,
    any_value(template) AS template,
    split_part(key, '.', 2) AS block,
    split_part(key, '.', 3) AS item,
{pivot_columns}
FROM primary_facts
WHERE key LIKE 's2.%'
GROUP BY doc_id, block, item
