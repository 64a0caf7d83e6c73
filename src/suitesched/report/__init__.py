"""KPIs, terminal tables and the HTML report of a plan."""
