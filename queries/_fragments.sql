-- Fragments shared by the query files (the grammar: queries/README.md, "Fragments"). A query pulls one
-- in with a line `-- include: <name>`; the catalog replaces that line by the fragment, indented like
-- it, when it reads the files, so every query still runs (and `python -m warehouse.catalog NAME`
-- prints) its whole SQL. A fragment takes no arguments: its values are the query's bound $params.
--
-- The filter blocks (docs/kpis.md, the Filters item): the five multi-valued filters, an empty list =
-- all, as conditions that follow a first one (`where <condition>` or `where true`). Alias convention:
-- filters_<alias> filters the table the query names <alias>; its description says which columns.

-- fragment: filters_e
-- the encounter filters on int_encounters as e (payer: its primary payer)
and (array_length($facility) = 0 or list_contains($facility, e.facility_id))
and (array_length($patient_type) = 0 or list_contains($patient_type, e.patient_type))
and (array_length($financial_class) = 0 or list_contains($financial_class, e.financial_class))
and (array_length($payer) = 0 or list_contains($payer, e.primary_payer))
and (array_length($service_line) = 0 or list_contains($service_line, e.service_line))

-- fragment: filters_a
-- the encounter filters on the encounter columns that a (int_coding_activity, int_coding_audits)
-- carries (payer: the primary payer)
and (array_length($facility) = 0 or list_contains($facility, a.facility_id))
and (array_length($patient_type) = 0 or list_contains($patient_type, a.patient_type))
and (array_length($financial_class) = 0 or list_contains($financial_class, a.financial_class))
and (array_length($payer) = 0 or list_contains($payer, a.primary_payer))
and (array_length($service_line) = 0 or list_contains($service_line, a.service_line))

-- fragment: filters_s
-- the encounter filters on a month-end state table as s (int_month_ends, rollup_month_ends; payer: the
-- primary payer)
and (array_length($facility) = 0 or list_contains($facility, s.facility_id))
and (array_length($patient_type) = 0 or list_contains($patient_type, s.patient_type))
and (array_length($financial_class) = 0 or list_contains($financial_class, s.financial_class))
and (array_length($payer) = 0 or list_contains($payer, s.primary_payer))
and (array_length($service_line) = 0 or list_contains($service_line, s.service_line))

-- fragment: filters_m
-- the encounter filters on int_month_ends as m (payer: the primary payer)
and (array_length($facility) = 0 or list_contains($facility, m.facility_id))
and (array_length($patient_type) = 0 or list_contains($patient_type, m.patient_type))
and (array_length($financial_class) = 0 or list_contains($financial_class, m.financial_class))
and (array_length($payer) = 0 or list_contains($payer, m.primary_payer))
and (array_length($service_line) = 0 or list_contains($service_line, m.service_line))

-- fragment: filters_c
-- the filters on int_claims as c (payer: the claim's payer; the others: its encounter's)
and (array_length($facility) = 0 or list_contains($facility, c.facility_id))
and (array_length($patient_type) = 0 or list_contains($patient_type, c.patient_type))
and (array_length($financial_class) = 0 or list_contains($financial_class, c.financial_class))
and (array_length($payer) = 0 or list_contains($payer, c.payer))
and (array_length($service_line) = 0 or list_contains($service_line, c.service_line))

-- fragment: filters_f
-- the filters on a month-flows table as f (int_month_flows, rollup_month_flows; payer: the claim's
-- payer for claims)
and (array_length($facility) = 0 or list_contains($facility, f.facility_id))
and (array_length($patient_type) = 0 or list_contains($patient_type, f.patient_type))
and (array_length($financial_class) = 0 or list_contains($financial_class, f.financial_class))
and (array_length($payer) = 0 or list_contains($payer, f.payer))
and (array_length($service_line) = 0 or list_contains($service_line, f.service_line))
