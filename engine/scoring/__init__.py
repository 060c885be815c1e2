"""From a month's facts to KPI scores, totals, grades, ranks and money; periods."""
