"""The report to the city councils: figures, projects and charts for an agreement and a period,
as a printable page, PDF and XLSX, and the frozen copies coordinators keep."""
